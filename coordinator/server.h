// CoordinatorServer: the running coordinator process minus flag parsing. It serves both gRPC
// services on one port, with the standard health service (grpc.health.v1: SERVING for "",
// sg.v1.SweepService and sg.v1.WorkerService while it runs, NOT_SERVING once shutting down) and
// server reflection, and runs the lease-expiry loop. Tests start one on 127.0.0.1:0.
// Before the database is open, sg-coordinator answers health checks NOT_SERVING on its
// --health-listen port (health_endpoint.h).
//
// Thread-safety: Start, Shutdown and port are called from one owning thread.
#ifndef SG_COORDINATOR_SERVER_H_
#define SG_COORDINATOR_SERVER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "coordinator/authorizer.h"
#include "coordinator/coordinator.h"
#include "coordinator/coordinator_metrics.h"
#include "coordinator/server_security.h"
#include "coordinator/sweep_service.h"
#include "coordinator/worker_service.h"

namespace grpc {
class Channel;
class Server;
class ServerCredentials;
}

namespace sg {

struct ServerOptions {
  std::string listen = "127.0.0.1:7431";  // HOST:PORT; port 0 picks a free port
  int64_t expiry_scan_ms = 1000;           // how often expired leases are re-queued
  ServerTls tls;                           // default: plaintext
  // Checks every call's token (must outlive the server). null: anonymous access (no tokens).
  // The server does not apply CheckListenSecurity; sg-coordinator's main does.
  const Authorizer* authorizer = nullptr;
  // When set, every RPC and lease expiry is counted there (must outlive the server).
  CoordinatorMetrics* metrics = nullptr;
};

// The services health reports on, besides the whole server ("").
extern const char* const kHealthServiceNames[2];

// The transport credentials the CoordinatorServer listens with (TLS when configured).
std::shared_ptr<grpc::ServerCredentials> ListenCredentials(const ServerOptions& options);

// Turns on, once per process, what every sg gRPC server offers: the default health service and
// the reflection plugin (both are process-wide switches in gRPC that builders read).
void EnableHealthAndReflection();

class CoordinatorServer {
 public:
  // `coordinator` must outlive the server.
  CoordinatorServer(Coordinator* coordinator, ServerOptions options);
  ~CoordinatorServer();

  // Binds and starts serving. kUnavailable if the address cannot be bound.
  absl::Status Start();
  // The bound port (after Start).
  int port() const { return port_; }
  // A channel to this server within the process (after Start). Its calls pass the server's
  // interceptors, authorization and message limits as any client's do (the HTTP gateway's).
  std::shared_ptr<grpc::Channel> InProcessChannel();
  // Stops accepting calls, lets calls in flight finish (up to `grace_ms`), stops the loop.
  void Shutdown(int64_t grace_ms = 2000);
  // Blocks until Shutdown is called from another thread.
  void Wait();

 private:
  void ExpiryLoop();

  Coordinator* const coordinator_;
  const ServerOptions options_;
  Authorizer open_authorizer_;  // used when options_.authorizer is null
  SweepServiceImpl sweep_service_;
  WorkerServiceImpl worker_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::thread expiry_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace sg

#endif  // SG_COORDINATOR_SERVER_H_
