#include "coordinator/http_gateway.h"

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "common/message_limits.h"
#include "common/metrics_http.h"
#include "coordinator/http_auth.h"
#include "coordinator/http_routes.h"
#include "coordinator/http_tls.h"

namespace sg {

namespace {

constexpr char kJson[] = "application/json";

std::string Token(const httplib::Request& req) {
  return RequestToken(req.get_header_value("Authorization"), req.get_header_value("Cookie"));
}

void Send(const ApiReply& reply, httplib::Response& res) {
  res.status = reply.status;
  res.set_header("Cache-Control", "no-store");
  if (!reply.set_cookie.empty()) res.set_header("Set-Cookie", reply.set_cookie);
  res.set_content(reply.body, kJson);
}

}  // namespace

HttpGateway::HttpGateway(std::shared_ptr<grpc::Channel> channel, HttpGatewayOptions options)
    : options_(std::move(options)), rpc_(std::move(channel)), files_(options_.dashboard_dir) {}

HttpGateway::~HttpGateway() { Stop(); }

void HttpGateway::AddRoutes() {
  const bool secure = options_.tls.enabled();
  httplib::Server& s = *server_;
  s.Post("/api/v1/login", [this, secure](const httplib::Request& req, httplib::Response& res) {
    Send(ApiLogin(rpc_, req.body, secure), res);
  });
  s.Post("/api/v1/logout", [secure](const httplib::Request&, httplib::Response& res) {
    Send(ApiLogout(secure), res);
  });
  s.Post(R"(/api/v1/rpc/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    Send(ApiPostRpc(rpc_, req.matches[1], req.body, Token(req)), res);
  });
  s.Post(R"(/api/.*)", [](const httplib::Request& req, httplib::Response& res) {
    Send(ApiError(grpc::StatusCode::NOT_FOUND,
                  absl::StrCat("no route POST ", req.path,
                               "; POST serves /api/v1/rpc/METHOD, /api/v1/login, /api/v1/logout")),
         res);
  });
  s.Get(R"(/api/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    // httplib keeps the parameters in a multimap: repeated ones in the URL's order.
    UrlParams query(req.params.begin(), req.params.end());
    Send(ApiGet(rpc_, req.path, query, Token(req)), res);
  });
  s.Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
    StaticReply reply = files_.Serve(req.path);
    res.status = reply.status;
    // index.html is revalidated (it names the current build's assets).
    if (reply.content_type.rfind("text/html", 0) == 0) res.set_header("Cache-Control", "no-cache");
    res.set_content(std::move(reply.body), reply.content_type);
  });
  s.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "no-referrer");
  });
  s.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
        Send(ApiError(grpc::StatusCode::INTERNAL, "internal error"), res);
      });
}

absl::Status HttpGateway::Start() {
  std::string host;
  int port = 0;
  absl::Status split = SplitHostPort(options_.listen, "--http-listen", &host, &port);
  if (!split.ok()) return split;
  if (options_.tls.enabled()) {
    std::string error;
    auto server = std::make_unique<httplib::SSLServer>(
        [this, &error](SSL_CTX& ctx) { return ConfigureHttpTls(options_.tls, &ctx, &error); });
    if (!server->is_valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--http-listen: cannot serve HTTPS: ", error));
    }
    server_ = std::move(server);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  server_->set_payload_max_length(kMaxRequestBytes);
  AddRoutes();
  absl::Status bound =
      BindHttpServer(*server_, host, port, "--http-listen", options_.listen, &port_);
  if (!bound.ok()) {
    server_.reset();
    return bound;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return absl::OkStatus();
}

void HttpGateway::Stop() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace sg
