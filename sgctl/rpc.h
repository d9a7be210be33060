// Calling the coordinator: per-RPC deadlines (as sg.proto states them), the mapping of gRPC
// failures to messages a person can act on, and resolving a SWEEP argument (name or id).
#ifndef SG_SGCTL_RPC_H_
#define SG_SGCTL_RPC_H_

#include <cstdint>
#include <string>
#include <vector>

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sg/v1/sg.grpc.pb.h"
#include "sgctl/command.h"

namespace sg {
namespace ctl {

// Deadlines from the RPC comments in proto/sg/v1/sg.proto, in seconds.
inline constexpr int kSubmitSweepDeadlineS = 30;
inline constexpr int kGetSweepDeadlineS = 5;
inline constexpr int kListSweepsDeadlineS = 5;
inline constexpr int kListRunsDeadlineS = 10;
inline constexpr int kCancelSweepDeadlineS = 10;
inline constexpr int kCancelRunDeadlineS = 5;
inline constexpr int kGetCurvesDeadlineS = 30;
inline constexpr int kListWorkersDeadlineS = 5;
inline constexpr int kGetReportDeadlineS = 10;
inline constexpr int kListAuditEventsDeadlineS = 10;
inline constexpr int kListSweepMetricsDeadlineS = 10;

// Sets the call's deadline to now + seconds.
void SetDeadline(grpc::ClientContext* context, int seconds);

// OK for OK. UNAVAILABLE becomes "cannot reach coordinator at HOST:PORT (is sg-coordinator
// running? ...)"; DEADLINE_EXCEEDED says which call timed out; other codes keep the server's
// message, prefixed by the call name.
absl::Status CallStatus(const grpc::Status& status, absl::string_view call,
                        const std::string& coordinator);

// A positive integer id from the command line; kInvalidArgument naming `what` otherwise.
absl::StatusOr<int64_t> ParseId(absl::string_view text, absl::string_view what);

// ListRuns of one sweep (state UNSPECIFIED: every run).
absl::StatusOr<std::vector<v1::Run>> ListRuns(const CommandContext& context, int64_t sweep_id,
                                              v1::RunState state);

// SWEEP is a numeric id when it is all digits (spec names must start with a letter), else a
// name. kNotFound says which and how to list sweeps.
absl::StatusOr<v1::Sweep> ResolveSweep(const CommandContext& context, absl::string_view sweep);

}  // namespace ctl
}  // namespace sg

#endif  // SG_SGCTL_RPC_H_
