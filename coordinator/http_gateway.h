// HttpGateway: sg-coordinator's HTTP port (--http-listen). It serves the JSON API under
// /api/v1/ (http_routes.h), every answer a gRPC call to the coordinator's own SweepService
// through `channel` (the server's in-process channel), and the dashboard's files everywhere
// else (http_static.h). With TLS it serves HTTPS with the gRPC port's certificate and key
// (http_tls.h), and a plain HTTP request to it fails. HTTP comes from cpp-httplib (Debian:
// libcpp-httplib-dev, built with OpenSSL), as /metrics does (common/metrics_http.h).
//
// Thread-safety: Start, Stop and port from one owning thread; requests are served on
// cpp-httplib's thread pool.
#ifndef SG_COORDINATOR_HTTP_GATEWAY_H_
#define SG_COORDINATOR_HTTP_GATEWAY_H_

#include <memory>
#include <string>
#include <thread>

#include <grpcpp/channel.h>

#include "absl/status/status.h"
#include "coordinator/http_rpc.h"
#include "coordinator/http_static.h"
#include "coordinator/server_security.h"

namespace httplib {
class Server;
}

namespace sg {

struct HttpGatewayOptions {
  std::string listen;         // HOST:PORT; port 0: any free port
  ServerTls tls;              // enabled: HTTPS (the gRPC port's settings)
  std::string dashboard_dir;  // "": no dashboard (a page saying so); see FindDashboardDir
};

class HttpGateway {
 public:
  HttpGateway(std::shared_ptr<grpc::Channel> channel, HttpGatewayOptions options);
  ~HttpGateway();

  // Binds and serves from a thread. kInvalidArgument for a malformed address or TLS material
  // that does not load, kUnavailable when the address cannot be bound; each names the flag.
  absl::Status Start();
  int port() const { return port_; }
  // The dashboard directory served ("" when none).
  const std::string& dashboard_dir() const { return files_.dir(); }
  void Stop();

 private:
  void AddRoutes();

  const HttpGatewayOptions options_;
  SweepRpc rpc_;
  DashboardFiles files_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace sg

#endif  // SG_COORDINATOR_HTTP_GATEWAY_H_
