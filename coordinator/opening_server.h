// OpeningServer: what sg-coordinator serves on its address while it opens and migrates the
// database, which may take a while on a large database after an upgrade. It answers the
// standard health check with NOT_SERVING (for "", sg.v1.SweepService and sg.v1.WorkerService)
// and offers reflection, so an orchestrator's readiness probe says "not yet" instead of
// "connection refused", and a liveness probe can tell a slow migration from a dead process.
// sg-coordinator stops it and starts the CoordinatorServer on the same port once the store is
// open (a sub-second gap in which connections are refused).
//
// Thread-safety: Start, Stop and port are called from one owning thread.
#ifndef SG_COORDINATOR_OPENING_SERVER_H_
#define SG_COORDINATOR_OPENING_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "coordinator/server.h"

namespace sg {

class OpeningServer {
 public:
  explicit OpeningServer(ServerOptions options);
  ~OpeningServer();

  // Binds options.listen (port 0: any free port). kUnavailable naming --listen when it cannot.
  absl::Status Start();
  int port() const { return port_; }
  // options.listen with port 0 replaced by the bound port: where the CoordinatorServer must
  // listen next.
  std::string bound_address() const;
  void Stop();

 private:
  const ServerOptions options_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace sg

#endif  // SG_COORDINATOR_OPENING_SERVER_H_
