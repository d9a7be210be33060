// Who may call what: the four roles, the identity of a caller, and the table that assigns every
// RPC of sg.v1 the roles allowed to call it. The table is the one place to change when an RPC is
// added; an RPC missing from it is refused to everyone (and security_test fails).
//
//   admin       everything
//   researcher  submit, cancel, record offline analyses and read (SweepService except
//               ListAuditEvents)
//   worker      the WorkerService only
//   reader      the read-only SweepService queries
//
// Thread-safety: the table is immutable; every function may be called from any thread.
#ifndef SG_COORDINATOR_ACCESS_POLICY_H_
#define SG_COORDINATOR_ACCESS_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sg {

enum class Role { kAdmin, kResearcher, kWorker, kReader };

const char* RoleName(Role role);  // "admin", "researcher", "worker", "reader"
// kInvalidArgument naming the four roles.
absl::StatusOr<Role> ParseRole(absl::string_view name);

// The identity behind a call. Without a token file every caller is anonymous: name "" and
// role "" (the coordinator then serves loopback only, or was started with --insecure).
struct Caller {
  std::string name;  // the token's name in the token file
  std::string role;  // RoleName of its role
  bool anonymous() const { return name.empty(); }
};

// The roles allowed to call `method`, a full gRPC method name ("/sg.v1.SweepService/GetSweep").
// nullptr when the method has no entry (nobody may call it).
const std::vector<Role>* AllowedRoles(absl::string_view method);

// Every method the table assigns, for tests that hold it against the proto's services.
std::vector<std::string> PolicyMethods();

// "admin or researcher": the roles as a person reads them in an error message.
std::string DescribeRoles(const std::vector<Role>& roles);

}  // namespace sg

#endif  // SG_COORDINATOR_ACCESS_POLICY_H_
