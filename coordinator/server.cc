#include "coordinator/server.h"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <vector>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "common/message_limits.h"

namespace sg {

const char* const kHealthServiceNames[2] = {"sg.v1.SweepService", "sg.v1.WorkerService"};

std::shared_ptr<grpc::ServerCredentials> ListenCredentials(const ServerOptions& options) {
  if (!options.tls.enabled()) return grpc::InsecureServerCredentials();
  // With a client CA, a client must present a certificate that CA signed (mutual TLS).
  grpc::SslServerCredentialsOptions ssl(
      options.tls.client_ca_pem.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = options.tls.client_ca_pem;
  ssl.pem_key_cert_pairs.push_back({options.tls.key_pem, options.tls.cert_pem});
  return grpc::SslServerCredentials(ssl);
}

void EnableHealthAndReflection() {
  static std::once_flag once;
  std::call_once(once, [] {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  });
}

CoordinatorServer::CoordinatorServer(Coordinator* coordinator, ServerOptions options)
    : coordinator_(coordinator),
      options_(std::move(options)),
      sweep_service_(coordinator, options_.authorizer != nullptr ? options_.authorizer
                                                                 : &open_authorizer_),
      worker_service_(coordinator, options_.authorizer != nullptr ? options_.authorizer
                                                                  : &open_authorizer_) {}

CoordinatorServer::~CoordinatorServer() { Shutdown(0); }

absl::Status CoordinatorServer::Start() {
  EnableHealthAndReflection();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen, ListenCredentials(options_), &port_);
  if (options_.metrics != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(options_.metrics->InterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  builder.RegisterService(&sweep_service_);
  builder.RegisterService(&worker_service_);
  // The limits every client shares (common/message_limits.h): what this server may send, sgctl
  // and sg-worker accept (GetCurves pages answers larger than that); requests are small.
  builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat(
        "--listen: cannot listen on ", options_.listen,
        " (address in use or not local, or the TLS certificate and key do not match?); pick "
        "another HOST:PORT or check --tls-cert/--tls-key"));
  }
  // The database is open and migrated (the Coordinator's store exists): ready for traffic.
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health != nullptr) {
    health->SetServingStatus("", true);
    for (const char* name : kHealthServiceNames) health->SetServingStatus(name, true);
  }
  expiry_thread_ = std::thread([this] { ExpiryLoop(); });
  return absl::OkStatus();
}

void CoordinatorServer::ExpiryLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  // A scan fails on every pass while the storage refuses writes: the first failure is logged,
  // then one line a minute with the count, and the recovery, instead of a line per pass.
  int64_t failed_scans = 0;
  auto last_logged = std::chrono::steady_clock::time_point();
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.expiry_scan_ms));
    if (stopping_) break;
    lock.unlock();
    absl::StatusOr<int64_t> requeued = coordinator_->RequeueExpired();
    if (requeued.ok() && options_.metrics != nullptr) options_.metrics->AddLeasesExpired(*requeued);
    const auto now = std::chrono::steady_clock::now();
    if (!requeued.ok()) {
      ++failed_scans;
      if (failed_scans == 1 || now - last_logged >= std::chrono::minutes(1)) {
        std::fprintf(stderr,
                     "sg-coordinator: lease expiry scan failed (%lld in a row): %s; leases are "
                     "not expired until one lease after the storage works again\n",
                     static_cast<long long>(failed_scans), requeued.status().ToString().c_str());
        last_logged = now;
      }
    } else if (failed_scans > 0) {
      std::fprintf(stderr, "sg-coordinator: lease expiry scan works again after %lld failed scans\n",
                   static_cast<long long>(failed_scans));
      failed_scans = 0;
    }
    lock.lock();
  }
}

void CoordinatorServer::Shutdown(int64_t grace_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    stopping_ = true;
  }
  cv_.notify_all();
  if (server_ != nullptr) {
    // Probes see NOT_SERVING while calls in flight finish.
    grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
    if (health != nullptr) health->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(grace_ms));
  }
  if (expiry_thread_.joinable()) expiry_thread_.join();
}

std::shared_ptr<grpc::Channel> CoordinatorServer::InProcessChannel() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);  // as sgctl: the server's largest reply
  return server_->InProcessChannel(args);
}

void CoordinatorServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace sg
