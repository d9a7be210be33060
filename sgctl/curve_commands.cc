// curves: metric curves of one run or of every run of a sweep.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "sgctl/commands.h"
#include "sgctl/rpc.h"
#include "sgctl/views.h"

namespace sg {
namespace ctl {
namespace {

absl::Status Curves(const CommandContext& ctx, const Invocation& inv) {
  if (inv.Has("run") == inv.Has("sweep")) {
    return absl::InvalidArgumentError("curves: give either --run ID or --sweep SWEEP");
  }
  if (inv.Get("metric").empty()) {
    return absl::InvalidArgumentError(
        "curves: --metric is required, e.g. val_acc, gen_acc, train_loss, val_loss");
  }
  v1::GetCurvesRequest request;
  request.set_metric(inv.Get("metric"));
  if (inv.Has("max-points")) {
    int32_t max_points = 0;
    if (!absl::SimpleAtoi(inv.Get("max-points"), &max_points) || max_points < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--max-points: must be an integer >= 0 (0: every point), got '", inv.Get("max-points"),
          "'"));
    }
    request.set_max_points(max_points);
  }
  request.set_log_steps(inv.Has("log-steps"));
  if (inv.Has("run")) {
    SG_ASSIGN_OR_RETURN(int64_t run_id, ParseId(inv.Get("run"), "--run"));
    request.set_run_id(run_id);
  } else {
    SG_ASSIGN_OR_RETURN(v1::Sweep sweep, ResolveSweep(ctx, inv.Get("sweep")));
    request.set_sweep_id(sweep.sweep_id());
  }
  v1::GetCurvesResponse response;
  grpc::ClientContext call;
  SetDeadline(&call, kGetCurvesDeadlineS);
  SG_RETURN_IF_ERROR(CallStatus(ctx.stub->GetCurves(&call, request, &response), "GetCurves",
                                ctx.coordinator));
  Emit(CurvesView(response), ctx.format, *ctx.out);
  return absl::OkStatus();
}

}  // namespace

void AddCurveCommands(std::vector<Command>& commands) {
  commands.push_back({"curves", "",
                      "metric curves (step, value) of one run or of every run of a sweep",
                      {{"run", "ID", "the run"},
                       {"sweep", "SWEEP", "every run of this sweep (name or id)"},
                       {"metric", "M", "train_loss, val_loss, test_loss, val_acc, gen_acc, ..."},
                       {"max-points", "N", "downsample each curve to at most N points (0: all)"},
                       {"log-steps", "", "downsample in log-spaced step buckets"}},
                      0, 0, true, Curves});
}

}  // namespace ctl
}  // namespace sg
