#include "sgctl/rpc.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"

namespace sg {
namespace ctl {

void SetDeadline(grpc::ClientContext* context, int seconds) {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

absl::Status CallStatus(const grpc::Status& status, absl::string_view call,
                        const std::string& coordinator) {
  if (status.ok()) return absl::OkStatus();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(absl::StrCat(
          "cannot reach coordinator at ", coordinator,
          " (is sg-coordinator running? set --coordinator or SG_COORDINATOR): ",
          status.error_message()));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(absl::StrCat(
          call, ": coordinator at ", coordinator,
          " did not answer in time (is it overloaded or unreachable?)"));
    default: {
      absl::Status s = FromGrpcStatus(status);
      return absl::Status(s.code(), absl::StrCat(call, ": ", s.message()));
    }
  }
}

absl::StatusOr<int64_t> ParseId(absl::string_view text, absl::string_view what) {
  int64_t id = 0;
  bool digits = !text.empty();
  for (char c : text) digits &= absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (!digits || !absl::SimpleAtoi(text, &id) || id < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": must be a positive integer id, got '", text, "'"));
  }
  return id;
}

absl::StatusOr<std::vector<v1::Run>> ListRuns(const CommandContext& context, int64_t sweep_id,
                                              v1::RunState state) {
  v1::ListRunsRequest request;
  request.set_sweep_id(sweep_id);
  request.set_state(state);
  v1::ListRunsResponse response;
  grpc::ClientContext call;
  SetDeadline(&call, kListRunsDeadlineS);
  absl::Status s = CallStatus(context.stub->ListRuns(&call, request, &response), "ListRuns",
                              context.coordinator);
  if (!s.ok()) return s;
  return std::vector<v1::Run>(response.runs().begin(), response.runs().end());
}

absl::StatusOr<v1::Sweep> ResolveSweep(const CommandContext& context, absl::string_view sweep) {
  v1::GetSweepRequest request;
  bool numeric = !sweep.empty();
  for (char c : sweep) numeric &= absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (numeric) {
    absl::StatusOr<int64_t> id = ParseId(sweep, "SWEEP");
    if (!id.ok()) return id.status();
    request.set_sweep_id(*id);
  } else if (!sweep.empty()) {
    request.set_name(std::string(sweep));
  } else {
    return absl::InvalidArgumentError("SWEEP: give a sweep name or id");
  }
  v1::GetSweepResponse response;
  grpc::ClientContext call;
  SetDeadline(&call, kGetSweepDeadlineS);
  grpc::Status status = context.stub->GetSweep(&call, request, &response);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    return absl::NotFoundError(absl::StrCat(
        numeric ? "no sweep with id " : "no sweep named ", sweep,
        " on coordinator ", context.coordinator, " ('sgctl sweeps' lists them)"));
  }
  absl::Status s = CallStatus(status, "GetSweep", context.coordinator);
  if (!s.ok()) return s;
  return response.sweep();
}

}  // namespace ctl
}  // namespace sg
