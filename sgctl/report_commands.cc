// report and plot: the paper's table per grid cell, and its figures (median curves per depth,
// seeds grokked per depth) drawn by gnuplot through analysis/plot.h.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "analysis/plot.h"
#include "common/status_macros.h"
#include "sgctl/analysis_views.h"
#include "sgctl/commands.h"
#include "sgctl/curve_request.h"
#include "sgctl/plot_input.h"
#include "sgctl/rpc.h"
#include "sgctl/views.h"

namespace sg {
namespace ctl {
namespace {

// The figure's default size and resolution: eval points per seed are few (100 at the paper's
// cadence), but a train_loss curve has one point per step.
constexpr int32_t kPlotMaxPoints = 400;

// --early-stop: "first_best" or "within_X" with X >= 0; checked here so the error names the
// flag rather than the wire field. "" without the flag: the coordinator then uses the sweep's
// own train.early_stop.
absl::StatusOr<std::string> ParseEarlyStopFlag(const Invocation& inv) {
  if (!inv.Has("early-stop")) return std::string();
  const std::string text = inv.Get("early-stop");
  absl::string_view number = text;
  double tolerance = 0;
  if (text == "first_best" ||
      (absl::ConsumePrefix(&number, "within_") && absl::SimpleAtod(number, &tolerance) &&
       tolerance >= 0 && tolerance < 1)) {
    return text;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--early-stop: must be first_best (the first step of the best val_acc) or within_X "
      "(the first step within X of it, e.g. within_0.01), got '", text, "'"));
}

absl::StatusOr<v1::GetReportRequest> ReportRequest(const Invocation& inv, int64_t sweep_id,
                                                   ReportSettings* settings) {
  v1::GetReportRequest request;
  request.set_sweep_id(sweep_id);
  SG_ASSIGN_OR_RETURN(std::vector<std::string> axes, ParseGroupBy(inv.Get("group-by")));
  for (const std::string& axis : axes) request.add_group_by(axis);
  request.set_include_unfinished(inv.Has("include-unfinished"));
  request.set_grok_threshold(settings->grok_threshold);
  request.set_early_stop(settings->early_stop);
  settings->include_unfinished = request.include_unfinished();
  return request;
}

absl::Status Report(const CommandContext& ctx, const Invocation& inv) {
  ReportSettings settings;
  SG_ASSIGN_OR_RETURN(settings.grok_threshold, ParseThreshold(inv));
  SG_ASSIGN_OR_RETURN(settings.early_stop, ParseEarlyStopFlag(inv));
  SG_RETURN_IF_ERROR(ParseGroupBy(inv.Get("group-by")).status());
  SG_ASSIGN_OR_RETURN(v1::Sweep sweep, ResolveSweep(ctx, inv.args[0]));
  SG_ASSIGN_OR_RETURN(v1::GetReportRequest request,
                      ReportRequest(inv, sweep.sweep_id(), &settings));
  SG_ASSIGN_OR_RETURN(v1::GetReportResponse response, GetReport(ctx, request));
  if (!response.early_stop().empty()) settings.early_stop = response.early_stop();
  Emit(inv.Has("runs") ? RunAnalysesView(response) : ReportView(response, settings), ctx.format,
       *ctx.out);
  return absl::OkStatus();
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

absl::Status Plot(const CommandContext& ctx, const Invocation& inv) {
  const std::string out = inv.Get("out");
  if (out.empty()) {
    return absl::InvalidArgumentError("plot: --out FILE is required (FILE.png or FILE.svg)");
  }
  if (!absl::EndsWithIgnoreCase(out, ".png") && !absl::EndsWithIgnoreCase(out, ".svg")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--out: '", out, "' must end in .png or .svg (the image format)"));
  }
  const std::string kind = inv.Has("kind") ? inv.Get("kind") : "curves";
  if (kind != "curves" && kind != "depth") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--kind: must be curves (median curves per group) or depth (seeds grokked per group), "
        "got '", kind, "'"));
  }
  std::vector<std::string> metrics = SplitList(inv.Get("metric"));
  if (kind == "depth") {
    for (const char* flag : {"metric", "max-points", "carry-forward"}) {
      if (inv.Has(flag)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", flag, ": applies to --kind curves; --kind depth plots final gen_acc"));
      }
    }
  } else {
    for (const char* flag : {"threshold", "include-unfinished"}) {
      if (inv.Has(flag)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", flag, ": applies to --kind depth (seeds grokked per group)"));
      }
    }
    if (inv.Has("metric") && metrics.empty()) {
      return absl::InvalidArgumentError("--metric: give a metric name, e.g. gen_acc");
    }
    if (metrics.empty()) metrics = {"val_acc", "gen_acc"};
  }
  SG_ASSIGN_OR_RETURN(std::vector<std::string> axes, ParseGroupBy(inv.Get("group-by")));
  SG_ASSIGN_OR_RETURN(int32_t max_points, ParseMaxPoints(inv, kPlotMaxPoints));
  ReportSettings settings;
  SG_ASSIGN_OR_RETURN(settings.grok_threshold, ParseThreshold(inv));
  SG_ASSIGN_OR_RETURN(v1::Sweep sweep, ResolveSweep(ctx, inv.args[0]));

  analysis::PlotOptions options;
  options.output_path = out;
  if (inv.Has("gnuplot")) options.gnuplot = inv.Get("gnuplot");
  size_t groups = 0;
  absl::Status drawn;
  if (kind == "curves") {
    std::vector<analysis::CurvePanel> panels;
    for (const std::string& metric : metrics) {
      v1::GetCurvesRequest request;
      request.set_sweep_id(sweep.sweep_id());
      request.set_metric(metric);
      request.set_aggregate(true);
      for (const std::string& axis : axes) request.add_group_by(axis);
      request.set_max_points(max_points);
      request.set_log_steps(true);
      request.set_carry_forward(inv.Has("carry-forward"));
      SG_ASSIGN_OR_RETURN(v1::GetCurvesResponse response, GetCurves(ctx, request));
      analysis::CurvePanel panel;
      panel.metric = metric;
      bool any_point = false;
      for (const v1::AggregateCurve& curve : response.aggregates()) {
        panel.groups.push_back(AggregateFromWire(curve));
        any_point |= curve.points_size() > 0;
      }
      if (!any_point) {
        return absl::FailedPreconditionError(absl::StrCat(
            "plot: sweep ", sweep.name(), " has no ", metric,
            " points yet (check the name with 'sgctl curves --sweep ", sweep.name(),
            " --metric ", metric, "')"));
      }
      groups = std::max(groups, panel.groups.size());
      panels.push_back(std::move(panel));
    }
    options.title = absl::StrCat("sweep ", sweep.name(), ": median and p25-p75 over seeds");
    drawn = analysis::PlotCurves(panels, options);
  } else {
    SG_ASSIGN_OR_RETURN(v1::GetReportRequest request,
                        ReportRequest(inv, sweep.sweep_id(), &settings));
    SG_ASSIGN_OR_RETURN(v1::GetReportResponse response, GetReport(ctx, request));
    std::vector<analysis::ReportRow> rows;
    for (const v1::ReportRow& row : response.rows()) rows.push_back(ReportRowFromWire(row));
    groups = rows.size();
    options.grok_threshold = settings.grok_threshold;
    options.title = absl::StrCat(
        "sweep ", sweep.name(), ": seeds with final gen_acc > ",
        FormatCellValue(settings.grok_threshold),
        settings.include_unfinished ? " (all seeds, running ones at their latest point)"
                                    : " (of finished seeds)");
    drawn = analysis::PlotGrokBars(rows, options);
  }
  if (!drawn.ok()) return absl::Status(drawn.code(), absl::StrCat("plot: ", drawn.message()));

  View view;
  view.json = {{"output", out},
               {"script", out + ".gp"},
               {"kind", kind},
               {"sweep_id", sweep.sweep_id()},
               {"groups", groups}};
  if (kind == "curves") view.json["metrics"] = metrics;
  view.table.columns = {"output", "script", "kind", "groups"};
  view.table.rows.push_back({out, out + ".gp", kind, absl::StrCat(groups)});
  view.text = absl::StrCat("wrote ", out, " (", kind == "curves" ? absl::StrJoin(metrics, ", ")
                                                                : std::string("seeds grokked"),
                           ", ", groups, " groups; gnuplot script ", out, ".gp)\n");
  Emit(view, ctx.format, *ctx.out);
  return absl::OkStatus();
}

}  // namespace

void AddReportCommands(std::vector<Command>& commands) {
  commands.push_back(
      {"report", "SWEEP",
       "the paper's table per grid cell: seeds grokked, final and early-stop gen_acc, grok step",
       {{"group-by", "AXIS[,AXIS]", "one row per value of these axes (default: per grid cell)",
         /*repeatable=*/true},
        {"include-unfinished", "", "count running seeds at their latest point (default: finished "
                                   "seeds only)"},
        {"threshold", "X", "grokked means final gen_acc > X (default 0.8)"},
        {"early-stop", "RULE",
         "first_best or within_0.01 (default: the sweep's train.early_stop, else first_best)"},
        {"runs", "", "one row per run instead: grok_step, final_gen_acc, early_stop_step, ..."}},
       1, 1, true, Report});
  commands.push_back(
      {"plot", "SWEEP",
       "draw median curves per group (--kind curves) or seeds grokked per depth (--kind depth)",
       {{"out", "FILE", "FILE.png or FILE.svg (the script is kept as FILE.gp)"},
        {"kind", "K", "curves (default: val_acc and gen_acc on a log-step axis) or depth"},
        {"metric", "M", "curves: the metrics, one panel each (repeat or comma-separate)",
         /*repeatable=*/true},
        {"group-by", "AXIS[,AXIS]", "one line or bar per value of these axes (default: per grid "
                                    "cell)", /*repeatable=*/true},
        {"max-points", "N", "curves: at most N points per line (default 400; 0: all)"},
        {"carry-forward", "", "curves: align seeds on different step grids"},
        {"threshold", "X", "depth: grokked means final gen_acc > X (default 0.8)"},
        {"include-unfinished", "", "depth: count running seeds at their latest point"},
        {"gnuplot", "PATH", "the gnuplot program (default: gnuplot on PATH)"}},
       1, 1, true, Plot});
}

}  // namespace ctl
}  // namespace sg
