// MetricsHttpServer: serves GET /metrics (Prometheus text exposition) on --metrics-listen.
// HTTP comes from cpp-httplib (Debian: libcpp-httplib-dev), the one small HTTP server Debian 12
// packages for C++; the dashboard serves HTTP through it as well.
//
// Thread-safety: Start and Stop from one owning thread; `render` is called from the server's
// thread, one scrape at a time, and must be thread-safe against the rest of the process.
#ifndef SG_COMMON_METRICS_HTTP_H_
#define SG_COMMON_METRICS_HTTP_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace sg {

class MetricsHttpServer {
 public:
  explicit MetricsHttpServer(std::function<std::string()> render);
  ~MetricsHttpServer();

  // Binds HOST:PORT (port 0: any free port) and serves from a thread. kInvalidArgument for a
  // malformed address, kUnavailable when it cannot be bound; both name --metrics-listen.
  absl::Status Start(const std::string& listen);
  int port() const { return port_; }
  void Stop();

 private:
  std::function<std::string()> render_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// GET http://HOST:PORT/metrics; the body, or kUnavailable naming the address and HTTP error.
absl::StatusOr<std::string> ScrapeMetrics(const std::string& host, int port);

// Splits "HOST:PORT" ("[::1]:9090" for IPv6). kInvalidArgument naming `flag`.
absl::Status SplitHostPort(const std::string& address, const std::string& flag, std::string* host,
                           int* port);

// Binds `server` to host:port (port 0: any free port) and sets *bound_port. kUnavailable naming
// `flag` and `listen` when it cannot be bound. Shared by every sg HTTP listener.
absl::Status BindHttpServer(httplib::Server& server, const std::string& host, int port,
                            const std::string& flag, const std::string& listen, int* bound_port);

}  // namespace sg

#endif  // SG_COMMON_METRICS_HTTP_H_
