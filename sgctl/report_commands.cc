// report: the paper's table per grid cell, of one sweep or several compared (the figures are in
// plot_commands.cc).
#include <string>
#include <vector>

#include "common/status_macros.h"
#include "sgctl/analysis_views.h"
#include "sgctl/commands.h"
#include "sgctl/curve_request.h"
#include "sgctl/rpc.h"
#include "sgctl/views.h"

namespace sg {
namespace ctl {
namespace {

// How many sweeps one report compares.
constexpr int kMaxComparedSweeps = 16;

absl::Status Report(const CommandContext& ctx, const Invocation& inv) {
  SG_ASSIGN_OR_RETURN(ReportFlags flags, ParseReportFlags(inv));
  ReportSettings settings;
  settings.grok_threshold = flags.grok_threshold;
  settings.early_stop = flags.early_stop;
  settings.include_unfinished = flags.include_unfinished;
  SG_ASSIGN_OR_RETURN(std::vector<v1::Sweep> sweeps, ResolveSweeps(ctx, inv.args));
  std::vector<int64_t> ids;
  for (const v1::Sweep& sweep : sweeps) ids.push_back(sweep.sweep_id());
  SG_ASSIGN_OR_RETURN(v1::GetReportResponse response, GetReport(ctx, ReportRequest(flags, ids)));
  // The rule the coordinator used: the flag's, or the sweep's own train.early_stop.
  if (!response.early_stop().empty()) settings.early_stop = response.early_stop();
  Emit(inv.Has("runs") ? RunAnalysesView(response) : ReportView(response, settings), ctx.format,
       *ctx.out);
  return absl::OkStatus();
}

}  // namespace

void AddReportCommands(std::vector<Command>& commands) {
  commands.push_back(
      {"report", "SWEEP [SWEEP...]",
       "the paper's table per grid cell: seeds grokked, final and early-stop gen_acc, grok "
       "step; several sweeps are compared (one row per sweep and cell)",
       {{"group-by", "AXIS[,AXIS]",
         "one row per value of these axes (default: per grid cell, and per sweep when several); "
         "'sweep' is a key, e.g. sweep,depth",
         /*repeatable=*/true},
        {"include-unfinished", "", "count running seeds at their latest point (default: finished "
                                   "seeds only)"},
        {"threshold", "X", "grokked means final gen_acc > X (default 0.8)"},
        {"early-stop", "RULE",
         "first_best or within_0.01 (default: the sweep's train.early_stop, else first_best)"},
        {"bootstrap", "N", "resamples of the 95% bootstrap intervals (default 10000)"},
        {"bootstrap-seed", "S", "the bootstrap's seed (default: the coordinator's, fixed)"},
        {"runs", "", "one row per run instead: grok_step, first_cross_step, final_gen_acc, "
                     "early_stop_step, ..."}},
       1, kMaxComparedSweeps, true, Report});
}

}  // namespace ctl
}  // namespace sg
