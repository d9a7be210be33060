// plot: the paper's figures drawn by gnuplot through analysis/plot.h. Each figure kind is a row
// of kPlotKinds: its name, the kind-specific flags it takes and the function that fetches its
// data and draws it. A new kind is a new row and a Draw... function.
#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "analysis/plot.h"
#include "analysis/smooth.h"
#include "common/status_macros.h"
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

// What a kind drew, for the command's output.
struct Drawn {
  size_t groups = 0;
  std::string what;                                      // for the text line
  nlohmann::json extra = nlohmann::json::object();       // more JSON fields
};

using DrawFn = std::function<absl::StatusOr<Drawn>(const CommandContext&, const Invocation&,
                                                   const v1::Sweep&, analysis::PlotOptions&)>;

struct PlotKind {
  std::string name;
  std::string summary;
  std::vector<std::string> flags;  // kind-specific flags this kind takes
  DrawFn draw;
};

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

std::string Seeds(bool include_unfinished) {
  return include_unfinished ? "all seeds, running ones at their latest point" : "finished seeds";
}

// --run R[,R...]: ids of runs of `sweep`, in the given order, with their Run records.
absl::StatusOr<std::vector<v1::Run>> ChosenRuns(const CommandContext& ctx, const Invocation& inv,
                                                const v1::Sweep& sweep) {
  SG_ASSIGN_OR_RETURN(std::vector<v1::Run> all,
                      ListRuns(ctx, sweep.sweep_id(), v1::RUN_STATE_UNSPECIFIED));
  std::vector<v1::Run> chosen;
  for (const std::string& text : SplitList(inv.Get("run"))) {
    SG_ASSIGN_OR_RETURN(int64_t id, ParseId(text, "--run"));
    auto it = std::find_if(all.begin(), all.end(),
                           [id](const v1::Run& r) { return r.run_id() == id; });
    if (it == all.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--run: run ", id, " is not in sweep ", sweep.name(), " (list them with 'sgctl runs ",
          sweep.name(), "')"));
    }
    chosen.push_back(*it);
  }
  if (chosen.empty()) {
    return absl::InvalidArgumentError("--run: give run ids separated by commas, e.g. 3,4");
  }
  return chosen;
}

absl::StatusOr<Drawn> DrawCurves(const CommandContext& ctx, const Invocation& inv,
                                 const v1::Sweep& sweep, analysis::PlotOptions& options) {
  std::vector<std::string> metrics = SplitList(inv.Get("metric"));
  if (inv.Has("metric") && metrics.empty()) {
    return absl::InvalidArgumentError("--metric: give a metric name, e.g. gen_acc");
  }
  if (metrics.empty()) metrics = {"val_acc", "gen_acc"};
  SG_ASSIGN_OR_RETURN(std::vector<std::string> axes, ParseGroupBy(inv.Get("group-by")));
  SG_ASSIGN_OR_RETURN(int32_t max_points, ParseMaxPoints(inv, kPlotMaxPoints));
  options.log_steps = !inv.Has("linear-steps");
  if (inv.Has("smooth")) {
    double alpha = 0;
    if (!absl::SimpleAtod(inv.Get("smooth"), &alpha)) alpha = -1;
    SG_RETURN_IF_ERROR(analysis::ValidateSmoothingAlpha(alpha));
    options.smooth_alpha = alpha;
  }
  std::vector<v1::Run> runs;
  if (inv.Has("run")) {
    for (const char* flag : {"group-by", "carry-forward"}) {
      if (inv.Has(flag)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", flag, ": applies to the group medians; with --run each run is its own line"));
      }
    }
    SG_ASSIGN_OR_RETURN(runs, ChosenRuns(ctx, inv, sweep));
  }

  std::vector<analysis::CurvePanel> panels;
  size_t groups = 0;
  for (const std::string& metric : metrics) {
    analysis::CurvePanel panel;
    panel.metric = metric;
    bool any_point = false;
    if (runs.empty()) {
      v1::GetCurvesRequest request;
      request.set_sweep_id(sweep.sweep_id());
      request.set_metric(metric);
      request.set_aggregate(true);
      for (const std::string& axis : axes) request.add_group_by(axis);
      request.set_max_points(max_points);
      request.set_log_steps(options.log_steps);
      request.set_carry_forward(inv.Has("carry-forward"));
      SG_ASSIGN_OR_RETURN(v1::GetCurvesResponse response, GetCurves(ctx, request));
      for (const v1::AggregateCurve& curve : response.aggregates()) {
        panel.groups.push_back(AggregateFromWire(curve));
        any_point |= curve.points_size() > 0;
      }
    } else {
      for (const v1::Run& run : runs) {
        v1::GetCurvesRequest request;
        request.set_run_id(run.run_id());
        request.set_metric(metric);
        request.set_max_points(max_points);
        request.set_log_steps(options.log_steps);
        SG_ASSIGN_OR_RETURN(v1::GetCurvesResponse response, GetCurves(ctx, request));
        analysis::LabeledCurve line;
        line.label = RunLabel(run);
        for (const v1::Curve& curve : response.curves()) line.points = CurveFromWire(curve);
        any_point |= !line.points.empty();
        panel.runs.push_back(std::move(line));
      }
    }
    if (!any_point) {
      return absl::FailedPreconditionError(absl::StrCat(
          "plot: ", runs.empty() ? "sweep " + sweep.name() : "the chosen runs of " + sweep.name(),
          " ha", runs.empty() ? "s" : "ve", " no ", metric,
          " points yet (check the name with 'sgctl curves --sweep ", sweep.name(), " --metric ",
          metric, "')"));
    }
    groups = std::max(groups, panel.groups.size() + panel.runs.size());
    panels.push_back(std::move(panel));
  }
  if (options.title.empty()) {
    options.title =
        runs.empty()
            ? absl::StrCat("sweep ", sweep.name(), ": median and p25-p75 over seeds")
            : absl::StrCat("sweep ", sweep.name(), ": ", runs.size() == 1 ? "run " : "runs ",
                           inv.Get("run"));
  }
  SG_RETURN_IF_ERROR(analysis::PlotCurves(panels, options));
  Drawn drawn;
  drawn.groups = groups;
  drawn.what = absl::StrJoin(metrics, ", ");
  drawn.extra["metrics"] = metrics;
  if (!runs.empty()) {
    std::vector<int64_t> ids;
    for (const v1::Run& r : runs) ids.push_back(r.run_id());
    drawn.extra["runs"] = ids;
  }
  return drawn;
}

absl::StatusOr<Drawn> DrawDepth(const CommandContext& ctx, const Invocation& inv,
                                const v1::Sweep& sweep, analysis::PlotOptions& options) {
  SG_ASSIGN_OR_RETURN(ReportFlags flags, ParseReportFlags(inv));
  SG_ASSIGN_OR_RETURN(v1::GetReportResponse response,
                      GetReport(ctx, ReportRequest(flags, sweep.sweep_id())));
  std::vector<analysis::ReportRow> rows;
  for (const v1::ReportRow& row : response.rows()) rows.push_back(ReportRowFromWire(row));
  options.grok_threshold = flags.grok_threshold;
  if (options.title.empty()) {
    options.title = absl::StrCat("sweep ", sweep.name(), ": final gen_acc per group (",
                                 Seeds(flags.include_unfinished), "; grokked: final gen_acc > ",
                                 FormatCellValue(flags.grok_threshold), ")");
  }
  SG_RETURN_IF_ERROR(analysis::PlotGrokBars(rows, options));
  Drawn drawn;
  drawn.groups = rows.size();
  drawn.what = "seeds grokked and mean final gen_acc with 95% CI";
  return drawn;
}

absl::StatusOr<Drawn> DrawEarlyStop(const CommandContext& ctx, const Invocation& inv,
                                    const v1::Sweep& sweep, analysis::PlotOptions& options) {
  SG_ASSIGN_OR_RETURN(ReportFlags flags, ParseReportFlags(inv));
  SG_ASSIGN_OR_RETURN(v1::GetReportResponse response,
                      GetReport(ctx, ReportRequest(flags, sweep.sweep_id())));
  SG_ASSIGN_OR_RETURN(std::vector<analysis::EarlyStopGroup> groups,
                      EarlyStopGroupsFromWire(response, flags.group_by,
                                              flags.include_unfinished));
  options.grok_threshold = flags.grok_threshold;
  if (options.title.empty()) {
    // Two lines: one line overflowed the figure's width for ordinary sweep names.
    options.title = absl::StrCat(
        "sweep ", sweep.name(), ": gen_acc at early stopping",
        flags.early_stop.empty() ? "" : absl::StrCat(" (", flags.early_stop, ")"),
        " and at the end\n", "a line per seed (", Seeds(flags.include_unfinished), ")");
  }
  if (std::all_of(groups.begin(), groups.end(),
                  [](const analysis::EarlyStopGroup& g) { return g.seeds.empty(); })) {
    return absl::FailedPreconditionError(absl::StrCat(
        "plot: sweep ", sweep.name(), " has no ", Seeds(flags.include_unfinished),
        " with gen_acc at early stopping and a final gen_acc yet"));
  }
  SG_RETURN_IF_ERROR(analysis::PlotEarlyStop(groups, options));
  Drawn drawn;
  drawn.groups = groups.size();
  drawn.what = "gen_acc at early stopping and at the end, per seed";
  return drawn;
}

// Colour by depth, the paper's axis, when the grid has it; --group-by chooses other axes.
absl::StatusOr<Drawn> DrawTScoreGen(const CommandContext& ctx, const Invocation& inv,
                                    const v1::Sweep& sweep, analysis::PlotOptions& options) {
  SG_ASSIGN_OR_RETURN(ReportFlags flags, ParseReportFlags(inv));
  SG_ASSIGN_OR_RETURN(v1::GetReportResponse response,
                      GetReport(ctx, ReportRequest(flags, sweep.sweep_id())));
  std::vector<std::string> group_by = flags.group_by;
  if (group_by.empty() && !response.runs().empty()) {
    for (const v1::AxisValue& axis : response.runs(0).config()) {
      if (axis.axis() == "depth") group_by = {"depth"};
    }
  }
  SG_ASSIGN_OR_RETURN(std::vector<analysis::TScoreGenGroup> groups,
                      TScoreGenGroupsFromWire(response, group_by, flags.include_unfinished));
  options.grok_threshold = flags.grok_threshold;
  if (options.title.empty()) {
    // Two lines, as the early-stop figure's: one overflowed the plot's width.
    options.title = absl::StrCat("sweep ", sweep.name(), ": final t_score against final gen_acc\n",
                                 "a point per run (", Seeds(flags.include_unfinished), ")");
  }
  if (std::all_of(groups.begin(), groups.end(),
                  [](const analysis::TScoreGenGroup& g) { return g.runs.empty(); })) {
    return absl::FailedPreconditionError(absl::StrCat(
        "plot: sweep ", sweep.name(), " has no ", Seeds(flags.include_unfinished),
        " with a final t_score and a final gen_acc (is train.tree_sentences 0?)"));
  }
  SG_RETURN_IF_ERROR(analysis::PlotTScoreGen(groups, options));
  Drawn drawn;
  drawn.groups = groups.size();
  drawn.what = "final t_score against final gen_acc, a point per run";
  return drawn;
}

const std::vector<PlotKind>& PlotKinds() {
  static const std::vector<PlotKind>* kinds = new std::vector<PlotKind>{
      {"curves", "median curves per group, or chosen runs",
       {"metric", "max-points", "carry-forward", "linear-steps", "smooth", "run"}, DrawCurves},
      {"depth", "seeds grokked and mean final gen_acc per group",
       {"threshold", "include-unfinished", "early-stop", "bootstrap", "bootstrap-seed"},
       DrawDepth},
      {"early-stop", "each seed's gen_acc at early stopping and at the end, per group",
       {"threshold", "include-unfinished", "early-stop"}, DrawEarlyStop},
      {"tscore-gen", "each run's final t_score against its final gen_acc, coloured by depth",
       {"threshold", "include-unfinished"}, DrawTScoreGen},
  };
  return *kinds;
}

// A kind-specific flag given to a kind that does not take it.
absl::Status CheckKindFlags(const PlotKind& kind, const Invocation& inv) {
  std::map<std::string, std::vector<std::string>> takers;  // flag -> kinds that take it
  for (const PlotKind& k : PlotKinds()) {
    for (const std::string& f : k.flags) takers[f].push_back(k.name);
  }
  for (const auto& [flag, names] : takers) {
    if (!inv.Has(flag)) continue;
    if (std::find(names.begin(), names.end(), kind.name) != names.end()) continue;
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": applies to --kind ",
                                                   absl::StrJoin(names, " or "), ", not ",
                                                   kind.name));
  }
  return absl::OkStatus();
}

absl::Status Plot(const CommandContext& ctx, const Invocation& inv) {
  const std::string out = inv.Get("out");
  if (out.empty()) {
    return absl::InvalidArgumentError(
        "plot: --out FILE is required (FILE.png, FILE.svg or FILE.pdf)");
  }
  if (!absl::EndsWithIgnoreCase(out, ".png") && !absl::EndsWithIgnoreCase(out, ".svg") &&
      !absl::EndsWithIgnoreCase(out, ".pdf")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--out: '", out, "' must end in .png, .svg or .pdf (the image format)"));
  }
  const std::string kind_name = inv.Has("kind") ? inv.Get("kind") : "curves";
  const PlotKind* kind = nullptr;
  std::vector<std::string> names;
  for (const PlotKind& k : PlotKinds()) {
    names.push_back(absl::StrCat(k.name, " (", k.summary, ")"));
    if (k.name == kind_name) kind = &k;
  }
  if (kind == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("--kind: must be one of ",
                                                   absl::StrJoin(names, ", "), "; got '",
                                                   kind_name, "'"));
  }
  SG_RETURN_IF_ERROR(CheckKindFlags(*kind, inv));
  if (inv.Has("title") && inv.Get("title").empty()) {
    return absl::InvalidArgumentError("--title: give the figure's title text");
  }
  SG_RETURN_IF_ERROR(ParseGroupBy(inv.Get("group-by")).status());
  SG_ASSIGN_OR_RETURN(v1::Sweep sweep, ResolveSweep(ctx, inv.args[0]));

  analysis::PlotOptions options;
  options.output_path = out;
  options.title = inv.Get("title");
  if (inv.Has("gnuplot")) options.gnuplot = inv.Get("gnuplot");
  absl::StatusOr<Drawn> drawn = kind->draw(ctx, inv, sweep, options);
  if (!drawn.ok()) {
    const absl::Status& s = drawn.status();
    // Flag errors and "no points yet" are already worded for the command line.
    if (absl::StartsWith(s.message(), "--") || absl::StartsWith(s.message(), "plot:")) return s;
    return absl::Status(s.code(), absl::StrCat("plot: ", s.message()));
  }

  View view;
  view.json = {{"output", out},
               {"script", out + ".gp"},
               {"kind", kind->name},
               {"sweep_id", sweep.sweep_id()},
               {"groups", drawn->groups}};
  view.json.update(drawn->extra);
  view.table.columns = {"output", "script", "kind", "groups"};
  view.table.rows.push_back({out, out + ".gp", kind->name, absl::StrCat(drawn->groups)});
  view.text = absl::StrCat("wrote ", out, " (", drawn->what, ", ", drawn->groups,
                           " groups; gnuplot script ", out, ".gp)\n");
  Emit(view, ctx.format, *ctx.out);
  return absl::OkStatus();
}

}  // namespace

void AddPlotCommands(std::vector<Command>& commands) {
  commands.push_back(
      {"plot", "SWEEP",
       "draw a figure: median curves per group (--kind curves), seeds grokked and final gen_acc "
       "per group (depth), early-stop vs final gen_acc per seed (early-stop) or final t_score "
       "vs final gen_acc per run (tscore-gen)",
       {{"out", "FILE", "FILE.png, FILE.svg or FILE.pdf (the script is kept as FILE.gp)"},
        {"kind", "K", "curves (default: val_acc and gen_acc on a log-step axis), depth, "
                      "early-stop or tscore-gen"},
        {"title", "TEXT", "the figure's title (default: names the sweep and what is drawn)"},
        {"metric", "M", "curves: the metrics, one panel each (repeat or comma-separate)",
         /*repeatable=*/true},
        {"group-by", "AXIS[,AXIS]", "one line or bar per value of these axes (default: per grid "
                                    "cell)", /*repeatable=*/true},
        {"run", "R[,R...]", "curves: draw these runs of the sweep, one line each, instead of "
                            "group medians", /*repeatable=*/true},
        {"smooth", "ALPHA", "curves: draw an exponential moving average (weight ALPHA in (0, 1] "
                            "on each new point) over the raw points"},
        {"linear-steps", "", "curves: a linear step axis (default: log steps)"},
        {"max-points", "N", "curves: at most N points per line (default 400; 0: all)"},
        {"carry-forward", "", "curves: align seeds on different step grids"},
        {"threshold", "X", "depth, early-stop, tscore-gen: grokked means final gen_acc > X "
                           "(default 0.8)"},
        {"include-unfinished", "", "depth, early-stop, tscore-gen: count running seeds at their "
                                   "latest point"},
        {"early-stop", "RULE", "depth, early-stop: first_best (default) or within_0.01"},
        {"bootstrap", "N", "depth: bootstrap resamples for the interval (default 10000)"},
        {"bootstrap-seed", "S", "depth: the bootstrap's seed (default: the coordinator's)"},
        {"gnuplot", "PATH", "the gnuplot program (default: gnuplot on PATH)"}},
       1, 1, true, Plot});
}

}  // namespace ctl
}  // namespace sg
