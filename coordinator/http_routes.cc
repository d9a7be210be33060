#include "coordinator/http_routes.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "coordinator/http_auth.h"
#include "nlohmann/json.hpp"

namespace sg {

namespace {

// Matches `path` against `pattern` segment by segment; a {name} segment captures into params.
bool Match(const std::string& pattern, const std::string& path, UrlParams* params) {
  std::vector<std::string> want = absl::StrSplit(pattern, '/');
  std::vector<std::string> got = absl::StrSplit(path, '/');
  if (!got.empty() && got.back().empty() && got.size() > 1) got.pop_back();  // trailing slash
  if (want.size() != got.size()) return false;
  UrlParams captured;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].size() > 2 && want[i].front() == '{' && want[i].back() == '}') {
      if (got[i].empty()) return false;
      captured.emplace_back(want[i].substr(1, want[i].size() - 2), got[i]);
    } else if (want[i] != got[i]) {
      return false;
    }
  }
  *params = std::move(captured);
  return true;
}

ApiReply Invoke(const SweepRpc& rpc, const google::protobuf::MethodDescriptor& method,
                const google::protobuf::Message& request, const std::string& token) {
  std::unique_ptr<google::protobuf::Message> response = SweepRpc::NewResponse(method);
  grpc::Status status = rpc.Call(method, token, request, response.get());
  if (!status.ok()) return ApiError(status.error_code(), status.error_message());
  absl::StatusOr<std::string> json = MessageJson(*response);
  if (!json.ok()) return ApiError(grpc::StatusCode::INTERNAL, std::string(json.status().message()));
  return {200, *std::move(json), ""};
}

}  // namespace

ApiReply ApiError(grpc::StatusCode code, const std::string& message) {
  return {HttpStatusFor(code), ErrorJson(code, message), ""};
}

const std::vector<ApiRoute>& ApiRoutes() {
  static const auto* const routes = new std::vector<ApiRoute>{
      {"/api/v1/sweeps", "ListSweeps"},
      {"/api/v1/sweeps/{sweep_id}", "GetSweep"},
      {"/api/v1/sweeps/{sweep_id}/runs", "ListRuns"},
      {"/api/v1/sweeps/{sweep_id}/metrics", "ListSweepMetrics"},
      {"/api/v1/sweeps/{sweep_id}/curves", "GetCurves"},
      {"/api/v1/sweeps/{sweep_id}/report", "GetReport"},
      {"/api/v1/runs/{run_id}", "GetRun"},
      {"/api/v1/runs/{run_id}/curves", "GetCurves"},
      {"/api/v1/workers", "ListWorkers"},
      {"/api/v1/audit", "ListAuditEvents"},
  };
  return *routes;
}

ApiReply ApiGet(const SweepRpc& rpc, const std::string& path, const UrlParams& query,
                const std::string& token) {
  for (const ApiRoute& route : ApiRoutes()) {
    UrlParams params;
    if (!Match(route.pattern, path, &params)) continue;
    const google::protobuf::MethodDescriptor* method = SweepRpc::FindMethod(route.method);
    if (method == nullptr) {
      return ApiError(grpc::StatusCode::INTERNAL, absl::StrCat("no method ", route.method));
    }
    params.insert(params.end(), query.begin(), query.end());
    std::unique_ptr<google::protobuf::Message> request = SweepRpc::NewRequest(*method);
    absl::Status set = SetRequestFields(params, request.get());
    if (!set.ok()) return ApiError(grpc::StatusCode::INVALID_ARGUMENT, std::string(set.message()));
    return Invoke(rpc, *method, *request, token);
  }
  std::vector<std::string> patterns;
  for (const ApiRoute& route : ApiRoutes()) patterns.push_back(route.pattern);
  return ApiError(grpc::StatusCode::NOT_FOUND,
                  absl::StrCat("no route GET ", path, "; routes: ", absl::StrJoin(patterns, ", "),
                               "; POST /api/v1/rpc/METHOD, /api/v1/login, /api/v1/logout"));
}

ApiReply ApiPostRpc(const SweepRpc& rpc, const std::string& method_name,
                    const std::string& json_body, const std::string& token) {
  const google::protobuf::MethodDescriptor* method = SweepRpc::FindMethod(method_name);
  if (method == nullptr) {
    return ApiError(grpc::StatusCode::NOT_FOUND,
                    absl::StrCat("no SweepService method '", method_name,
                                 "'; methods: ", SweepRpc::MethodNames()));
  }
  std::unique_ptr<google::protobuf::Message> request = SweepRpc::NewRequest(*method);
  if (!json_body.empty()) {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;  // a misspelt field is an error, not a default
    google::protobuf::util::Status parsed =
        google::protobuf::util::JsonStringToMessage(json_body, request.get(), options);
    if (!parsed.ok()) {
      return ApiError(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat("the body is not a JSON ", method->input_type()->name(), ": ",
                                   std::string(parsed.message())));
    }
  }
  return Invoke(rpc, *method, *request, token);
}

ApiReply ApiLogin(const SweepRpc& rpc, const std::string& json_body, bool secure) {
  nlohmann::json body = nlohmann::json::parse(json_body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object() || !body.contains("token") ||
      !body["token"].is_string()) {
    return ApiError(
        grpc::StatusCode::INVALID_ARGUMENT,
        "the body must be JSON {\"token\":\"...\"} (the token sgctl's --token-file holds)");
  }
  const std::string token = body["token"].get<std::string>();
  if (!IsCookieSafeToken(token)) {
    return ApiError(grpc::StatusCode::UNAUTHENTICATED, "not a valid token");
  }
  // The check is a reader's call, answered by the gRPC service's own authorization.
  const google::protobuf::MethodDescriptor* check = SweepRpc::FindMethod("ListWorkers");
  std::unique_ptr<google::protobuf::Message> request = SweepRpc::NewRequest(*check);
  std::unique_ptr<google::protobuf::Message> response = SweepRpc::NewResponse(*check);
  grpc::Status status = rpc.Call(*check, token, *request, response.get());
  if (!status.ok()) return ApiError(status.error_code(), status.error_message());
  return {200, "{\"logged_in\":true}", LoginCookie(token, secure)};
}

ApiReply ApiLogout(bool secure) { return {200, "{\"logged_in\":false}", LogoutCookie(secure)}; }

}  // namespace sg
