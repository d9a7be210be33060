#include "common/metrics_http.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sg {

absl::Status BindHttpServer(httplib::Server& server, const std::string& host, int port,
                            const std::string& flag, const std::string& listen, int* bound_port) {
  *bound_port = 0;
  if (port == 0) {
    const int any = server.bind_to_any_port(host);
    if (any > 0) *bound_port = any;
  } else if (server.bind_to_port(host, port)) {
    *bound_port = port;
  }
  if (*bound_port > 0) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat(flag, ": cannot listen on ", listen, " (address in use or not local?)"));
}

absl::Status SplitHostPort(const std::string& address, const std::string& flag, std::string* host,
                           int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": '", address, "' is not HOST:PORT (e.g. 0.0.0.0:9464, 127.0.0.1:0)"));
  }
  *host = address.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  if (!absl::SimpleAtoi(address.substr(colon + 1), port) || *port < 0 || *port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": port in '", address, "' must be a number from 0 to 65535"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ScrapeMetrics(const std::string& host, int port) {
  httplib::Client client(host, port);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(30, 0);
  httplib::Result res = client.Get("/metrics");
  if (!res) {
    return absl::UnavailableError(absl::StrCat("GET http://", host, ":", port,
                                               "/metrics: ", httplib::to_string(res.error())));
  }
  if (res->status != 200) {
    return absl::UnavailableError(absl::StrCat("GET http://", host, ":", port,
                                               "/metrics: HTTP ", res->status));
  }
  return res->body;
}

MetricsHttpServer::MetricsHttpServer(std::function<std::string()> render)
    : render_(std::move(render)) {}

MetricsHttpServer::~MetricsHttpServer() { Stop(); }

absl::Status MetricsHttpServer::Start(const std::string& listen) {
  std::string host;
  int port = 0;
  absl::Status split = SplitHostPort(listen, "--metrics-listen", &host, &port);
  if (!split.ok()) return split;
  server_ = std::make_unique<httplib::Server>();
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(render_(), "text/plain; version=0.0.4; charset=utf-8");
  });
  absl::Status bound = BindHttpServer(*server_, host, port, "--metrics-listen", listen, &port_);
  if (!bound.ok()) {
    server_.reset();
    return bound;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return absl::OkStatus();
}

void MetricsHttpServer::Stop() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace sg
