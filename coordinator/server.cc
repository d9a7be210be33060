#include "coordinator/server.h"

#include <chrono>
#include <cstdio>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/message_limits.h"

namespace sg {

CoordinatorServer::CoordinatorServer(Coordinator* coordinator, ServerOptions options)
    : coordinator_(coordinator),
      options_(std::move(options)),
      sweep_service_(coordinator, options_.authorizer != nullptr ? options_.authorizer
                                                                 : &open_authorizer_),
      worker_service_(coordinator, options_.authorizer != nullptr ? options_.authorizer
                                                                  : &open_authorizer_) {}

CoordinatorServer::~CoordinatorServer() { Shutdown(0); }

absl::Status CoordinatorServer::Start() {
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (options_.tls.enabled()) {
    // With a client CA, a client must present a certificate that CA signed (mutual TLS).
    grpc::SslServerCredentialsOptions ssl(
        options_.tls.client_ca_pem.empty()
            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = options_.tls.client_ca_pem;
    ssl.pem_key_cert_pairs.push_back({options_.tls.key_pem, options_.tls.cert_pem});
    credentials = grpc::SslServerCredentials(ssl);
  }
  builder.AddListeningPort(options_.listen, credentials, &port_);
  builder.RegisterService(&sweep_service_);
  builder.RegisterService(&worker_service_);
  // One limit for both directions and every client (common/message_limits.h): what this
  // server may send, sgctl and sg-worker accept. GetCurves pages answers larger than that.
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat(
        "--listen: cannot listen on ", options_.listen,
        " (address in use or not local, or the TLS certificate and key do not match?); pick "
        "another HOST:PORT or check --tls-cert/--tls-key"));
  }
  expiry_thread_ = std::thread([this] { ExpiryLoop(); });
  return absl::OkStatus();
}

void CoordinatorServer::ExpiryLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.expiry_scan_ms));
    if (stopping_) break;
    lock.unlock();
    absl::StatusOr<int64_t> requeued = coordinator_->RequeueExpired();
    if (!requeued.ok()) {
      std::fprintf(stderr, "sg-coordinator: lease expiry scan failed: %s\n",
                   requeued.status().ToString().c_str());
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
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(grace_ms));
  }
  if (expiry_thread_.joinable()) expiry_thread_.join();
}

void CoordinatorServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace sg
