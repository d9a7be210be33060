// The JSON API under /api/v1/: which SweepService method each route calls and how its request
// is built, and the login/logout exchange. Every answer comes from a gRPC call through SweepRpc
// (no query is implemented here); this file only translates. Routes (GET unless noted):
//
//   /api/v1/sweeps                      ListSweeps
//   /api/v1/sweeps/{sweep_id}           GetSweep
//   /api/v1/sweeps/{sweep_id}/runs      ListRuns
//   /api/v1/sweeps/{sweep_id}/metrics   ListSweepMetrics
//   /api/v1/sweeps/{sweep_id}/curves    GetCurves
//   /api/v1/sweeps/{sweep_id}/report    GetReport
//   /api/v1/runs/{run_id}               GetRun
//   /api/v1/runs/{run_id}/curves        GetCurves
//   /api/v1/workers                     ListWorkers
//   /api/v1/audit                       ListAuditEvents
//   POST /api/v1/rpc/{Method}           any SweepService method, the request as JSON
//   POST /api/v1/login                  {"token":"..."}: checked, then stored in a cookie
//   POST /api/v1/logout                 clears the cookie
//
// A GET route's {placeholders} and query parameters set the request's fields of those names
// (http_query.h). Replies are the response message in protobuf's JSON mapping (http_rpc.h);
// errors {"code":"...","message":"..."} with the HTTP status of the gRPC code.
//
// Thread-safety: plain functions over a thread-safe SweepRpc.
#ifndef SG_COORDINATOR_HTTP_ROUTES_H_
#define SG_COORDINATOR_HTTP_ROUTES_H_

#include <string>
#include <vector>

#include "coordinator/http_query.h"
#include "coordinator/http_rpc.h"

namespace sg {

struct ApiReply {
  int status = 200;
  std::string body;        // JSON
  std::string set_cookie;  // a Set-Cookie value to send; "": none
};

struct ApiRoute {
  std::string pattern;  // "/api/v1/sweeps/{sweep_id}/runs"
  std::string method;   // "ListRuns"
};

// Every GET route, in the order above.
const std::vector<ApiRoute>& ApiRoutes();

// GET `path` (under /api/v1/) with these query parameters as the holder of `token`.
ApiReply ApiGet(const SweepRpc& rpc, const std::string& path, const UrlParams& query,
                const std::string& token);

// POST /api/v1/rpc/`method` with `json_body` (empty: the default request).
ApiReply ApiPostRpc(const SweepRpc& rpc, const std::string& method, const std::string& json_body,
                    const std::string& token);

// POST /api/v1/login: the token in `json_body` must pass a reader's call (ListWorkers) as it
// would over gRPC; then the reply sets the sg_token cookie (Secure when `secure`). A missing,
// malformed or refused token sets no cookie (401, or 403 for a role that may not read).
ApiReply ApiLogin(const SweepRpc& rpc, const std::string& json_body, bool secure);

// POST /api/v1/logout: clears the cookie.
ApiReply ApiLogout(bool secure);

// An error reply: the HTTP status of `code` and the JSON error body.
ApiReply ApiError(grpc::StatusCode code, const std::string& message);

}  // namespace sg

#endif  // SG_COORDINATOR_HTTP_ROUTES_H_
