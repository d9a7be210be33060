// curves: metric curves of one run or of every run of one or several sweeps, or their
// statistics across seeds per group of grid cells (--group-by, --agg; "sweep" is a key).
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "common/status_macros.h"
#include "sgctl/analysis_views.h"
#include "sgctl/commands.h"
#include "sgctl/curve_request.h"
#include "sgctl/rpc.h"
#include "sgctl/views.h"

namespace sg {
namespace ctl {
namespace {

// --metric a,b (or repeated): each name once, in order.
absl::StatusOr<std::vector<std::string>> ParseMetrics(const std::string& text) {
  std::vector<std::string> metrics;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::string metric(absl::StripAsciiWhitespace(part));
    if (std::find(metrics.begin(), metrics.end(), metric) == metrics.end()) {
      metrics.push_back(metric);
    }
  }
  if (metrics.empty()) {
    return absl::InvalidArgumentError(
        "curves: --metric is required, e.g. val_acc, gen_acc, train_loss, val_loss (several: "
        "--metric val_acc,gen_acc; 'sgctl metrics SWEEP' lists a sweep's)");
  }
  return metrics;
}

absl::Status Curves(const CommandContext& ctx, const Invocation& inv) {
  if (inv.Has("run") == inv.Has("sweep")) {
    return absl::InvalidArgumentError("curves: give either --run ID or --sweep SWEEP[,SWEEP]");
  }
  SG_ASSIGN_OR_RETURN(std::vector<std::string> metrics, ParseMetrics(inv.Get("metric")));
  const bool aggregate = inv.Has("group-by") || inv.Has("agg");
  if (aggregate && inv.Has("run")) {
    return absl::InvalidArgumentError(
        "curves: --group-by and --agg aggregate across seeds; give --sweep SWEEP, not --run");
  }
  if (inv.Has("carry-forward") && !aggregate) {
    return absl::InvalidArgumentError(
        "curves: --carry-forward applies to aggregates; add --group-by AXIS or --agg FIELDS");
  }
  std::vector<std::string> fields;
  if (aggregate) {
    SG_ASSIGN_OR_RETURN(fields, ParseAggregateFields(inv.Get("agg")));
  }

  v1::GetCurvesRequest request;
  for (const std::string& metric : metrics) request.add_metrics(metric);
  SG_ASSIGN_OR_RETURN(int32_t max_points, ParseMaxPoints(inv, 0));
  request.set_max_points(max_points);
  request.set_log_steps(inv.Has("log-steps"));
  if (aggregate) {
    request.set_aggregate(true);
    SG_ASSIGN_OR_RETURN(std::vector<std::string> axes, ParseGroupBy(inv.Get("group-by")));
    for (const std::string& axis : axes) request.add_group_by(axis);
    request.set_carry_forward(inv.Has("carry-forward"));
  }
  if (inv.Has("run")) {
    SG_ASSIGN_OR_RETURN(int64_t run_id, ParseId(inv.Get("run"), "--run"));
    request.set_run_id(run_id);
  } else {
    SG_ASSIGN_OR_RETURN(std::vector<v1::Sweep> sweeps, ResolveSweeps(ctx, {inv.Get("sweep")}));
    if (sweeps.size() == 1) {
      request.set_sweep_id(sweeps[0].sweep_id());
    } else {
      for (const v1::Sweep& sweep : sweeps) request.add_sweep_ids(sweep.sweep_id());
    }
  }
  SG_ASSIGN_OR_RETURN(v1::GetCurvesResponse response, GetCurves(ctx, request));
  if (aggregate) {
    Emit(AggregateCurvesView(response, fields), ctx.format, *ctx.out);
    return absl::OkStatus();
  }
  // Each point's row names its run's sweep, grid axes and seed (one ListRuns per sweep).
  SG_ASSIGN_OR_RETURN(CurveLabels labels, LabelsForCurves(ctx, response));
  Emit(CurvesView(response, labels), ctx.format, *ctx.out);
  return absl::OkStatus();
}

}  // namespace

void AddCurveCommands(std::vector<Command>& commands) {
  commands.push_back(
      {"curves", "",
       "metric curves of a run or of a sweep's runs, or statistics across seeds per group",
       {{"run", "ID", "the run"},
        {"sweep", "SWEEP[,SWEEP]",
         "every run of these sweeps (names or ids; several are compared)", /*repeatable=*/true},
        {"metric", "M[,M]",
         "train_loss, val_loss, test_loss, val_acc, gen_acc, ... ('sgctl metrics SWEEP' lists "
         "them); several are returned together",
         /*repeatable=*/true},
        {"group-by", "AXIS[,AXIS]",
         "aggregate across seeds per value of these grid axes, e.g. depth; 'sweep' keeps sweeps "
         "apart, e.g. sweep,depth (needs --sweep)",
         /*repeatable=*/true},
        {"agg", "FIELDS",
         "aggregate statistics to show: mean, median, p10, p25, p75, p90, min, max (default all);"
         " without --group-by, one group per grid cell",
         /*repeatable=*/true},
        {"carry-forward", "",
         "aggregates: use each seed's last value at or before a step (seeds on different step "
         "grids)"},
        {"max-points", "N", "downsample each curve to at most N points (0: all; else >= 4)"},
        {"log-steps", "", "downsample in log-spaced step buckets"}},
       0, 0, true, Curves});
}

}  // namespace ctl
}  // namespace sg
