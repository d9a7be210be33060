#include "coordinator/health_endpoint.h"

#include <chrono>

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "coordinator/server.h"

namespace sg {

HealthEndpoint::HealthEndpoint() = default;
HealthEndpoint::~HealthEndpoint() { Stop(); }

absl::Status HealthEndpoint::Start(const std::string& listen) {
  EnableHealthAndReflection();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port_);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("--health-listen: cannot listen on ", listen,
                                               " (address in use or not local?)"));
  }
  SetServing(false);
  return absl::OkStatus();
}

void HealthEndpoint::SetServing(bool serving) {
  if (server_ == nullptr) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus("", serving);
  for (const char* name : kHealthServiceNames) health->SetServingStatus(name, serving);
}

void HealthEndpoint::Stop() {
  if (server_ != nullptr) {
    // Health calls are answered at once; nothing in flight is worth waiting for.
    server_->Shutdown(std::chrono::system_clock::now());
    server_.reset();
  }
}

}  // namespace sg
