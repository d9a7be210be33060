#include "coordinator/opening_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"

namespace sg {

OpeningServer::OpeningServer(ServerOptions options) : options_(std::move(options)) {}

OpeningServer::~OpeningServer() { Stop(); }

absl::Status OpeningServer::Start() {
  EnableHealthAndReflection();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen, ListenCredentials(options_), &port_);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat(
        "--listen: cannot listen on ", options_.listen,
        " (address in use or not local?); pick another HOST:PORT"));
  }
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health != nullptr) {
    health->SetServingStatus("", false);
    for (const char* name : kHealthServiceNames) health->SetServingStatus(name, false);
  }
  return absl::OkStatus();
}

std::string OpeningServer::bound_address() const {
  const size_t colon = options_.listen.rfind(':');
  return absl::StrCat(options_.listen.substr(0, colon), ":", port_);
}

void OpeningServer::Stop() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
    server_.reset();
  }
}

}  // namespace sg
