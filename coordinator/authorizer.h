// Authorizer: checks the bearer token of every RPC against the token file and the access policy.
// Each gRPC handler calls Authorize first (SG_AUTHORIZE_OR_RETURN) and hands the Caller on to
// the Coordinator, which binds leases, worker ids and audit entries to it.
//
// Without a token file (token_file ""), every call is allowed as the anonymous caller: the
// coordinator then serves a loopback address only, unless started with --insecure.
//
// Refusals: no `authorization: Bearer TOKEN` metadata, or a token not in the file, is
// kUnauthenticated; a known token whose role the policy does not allow is kPermissionDenied
// naming the roles needed. Messages and log lines name the token's name at most, never a token
// or its hash.
//
// Thread-safety: thread-safe. Reload (from the signal-handling thread) swaps the table under a
// mutex; Authorize may run concurrently from gRPC threads.
#ifndef SG_COORDINATOR_AUTHORIZER_H_
#define SG_COORDINATOR_AUTHORIZER_H_

#include <memory>
#include <optional>
#include <string>

#include <grpcpp/server_context.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_status.h"
#include "coordinator/access_policy.h"
#include "coordinator/token_table.h"

namespace sg {

class Authorizer {
 public:
  // Anonymous access: every call allowed.
  Authorizer() = default;
  // Reads `token_file`; kInvalidArgument / kNotFound as TokenTable::Load.
  static absl::StatusOr<std::unique_ptr<Authorizer>> FromFile(const std::string& token_file);

  bool enabled() const { return !token_file_.empty(); }
  const std::string& token_file() const { return token_file_; }

  // Re-reads the token file (SIGHUP). On error the previous tokens stay in force and the error
  // is returned. Returns the number of tokens now loaded.
  absl::StatusOr<size_t> Reload();

  // The caller of `method` (full gRPC name) as its metadata says, or the refusal.
  absl::StatusOr<Caller> Authorize(const grpc::ServerContext& context,
                                   absl::string_view method) const;
  // The same from the value of the `authorization` header (nullopt: no header).
  absl::StatusOr<Caller> AuthorizeHeader(std::optional<absl::string_view> authorization,
                                         absl::string_view method) const;

 private:
  explicit Authorizer(std::string token_file, TokenTable table);

  const std::string token_file_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const TokenTable> table_ ABSL_GUARDED_BY(mu_);
};

// Authorizes the call and declares `caller` (a const Caller&), or returns the refusal from the
// enclosing gRPC handler.
#define SG_AUTHORIZE_OR_RETURN(caller, authorizer, context, method)                   \
  absl::StatusOr<::sg::Caller> caller##_or_refusal = (authorizer)->Authorize(*(context), method); \
  if (!caller##_or_refusal.ok()) return ::sg::ToGrpcStatus(caller##_or_refusal.status());      \
  const ::sg::Caller& caller = *caller##_or_refusal;                                         \
  static_cast<void>(caller)

}  // namespace sg

#endif  // SG_COORDINATOR_AUTHORIZER_H_
