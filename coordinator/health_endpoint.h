// HealthEndpoint: sg-coordinator --health-listen. A second, plaintext gRPC port that serves only
// the standard health service (grpc.health.v1), mirroring the main port's status: NOT_SERVING
// while the database opens, SERVING while the coordinator serves, NOT_SERVING once it shuts
// down. It exists for probes that cannot present TLS or a token (the kubelet's gRPC probe); a
// health answer discloses nothing but the status.
//
// Thread-safety: Start, SetServing and Stop are called from one owning thread.
#ifndef SG_COORDINATOR_HEALTH_ENDPOINT_H_
#define SG_COORDINATOR_HEALTH_ENDPOINT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"

namespace grpc {
class Server;
}

namespace sg {

class HealthEndpoint {
 public:
  HealthEndpoint();
  ~HealthEndpoint();

  // Binds `listen` (HOST:PORT, port 0: any free port) and answers NOT_SERVING until
  // SetServing(true). kUnavailable naming --health-listen when it cannot be bound.
  absl::Status Start(const std::string& listen);
  int port() const { return port_; }
  // Sets "" and the sg services together.
  void SetServing(bool serving);
  void Stop();

 private:
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace sg

#endif  // SG_COORDINATOR_HEALTH_ENDPOINT_H_
