// PlotCurves: median lines with interquartile bands per group and/or one line per chosen run,
// one panel per metric.
#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "analysis/plot.h"
#include "analysis/plot_script.h"
#include "analysis/smooth.h"
#include "common/status_macros.h"

namespace sg {
namespace analysis {
namespace {

using plot_internal::LineColor;
using plot_internal::LineStyle;
using plot_internal::Number;
using plot_internal::Quote;

// One drawn line's points: the value (a median or a run's value), the band (p25, p75; absent
// for runs) and, with smoothing, the moving average of the value.
struct Series {
  std::string label;
  bool band = false;
  std::vector<int64_t> steps;
  std::vector<double> value, low, high, smoothed;
};

std::vector<Series> PanelSeries(const CurvePanel& panel, bool log_steps) {
  std::vector<Series> out;
  for (const AggregateCurve& group : panel.groups) {
    Series s;
    s.label = group.label;
    s.band = true;
    for (const AggregatePoint& p : group.points) {
      if (log_steps && p.step <= 0) continue;
      s.steps.push_back(p.step);
      s.value.push_back(p.median);
      s.low.push_back(p.p25);
      s.high.push_back(p.p75);
    }
    out.push_back(std::move(s));
  }
  for (const LabeledCurve& run : panel.runs) {
    Series s;
    s.label = run.label;
    for (const Point& p : run.points) {
      if (log_steps && p.step <= 0) continue;
      s.steps.push_back(p.step);
      s.value.push_back(p.value);
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string Datablock(const std::string& name, const Series& s) {
  std::string block = absl::StrCat(name, " << EOD\n");
  for (size_t i = 0; i < s.steps.size(); ++i) {
    absl::StrAppend(&block, s.steps[i], " ", Number(s.value[i]));
    if (s.band) absl::StrAppend(&block, " ", Number(s.low[i]), " ", Number(s.high[i]));
    if (!s.smoothed.empty()) absl::StrAppend(&block, " ", Number(s.smoothed[i]));
    block += "\n";
  }
  return block + "EOD\n";
}

// The plot clauses of one series: band, then raw points under the moving average when
// smoothing, else the raw line.
std::string PlotClauses(const std::string& data, const Series& s, size_t index, size_t count,
                        double alpha) {
  const std::string style = LineStyle(index, count);
  std::string out;
  if (s.band) {
    absl::StrAppend(&out, data, " using 1:3:4 with filledcurves fc rgb ",
                    Quote(LineColor(index, count)), " notitle, ");
  }
  const char* width = s.band ? "2" : "1.5";
  if (alpha > 0) {
    const int column = s.band ? 5 : 3;
    absl::StrAppend(&out, data, " using 1:2 with points pt 7 ps 0.35 ", style, " notitle, ",
                    data, " using 1:", column, " with lines lw ", width, " ", style, " title ",
                    Quote(s.label));
  } else {
    absl::StrAppend(&out, data, " using 1:2 with lines lw ", width, " ", style, " title ",
                    Quote(s.label));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> CurvesScript(const std::vector<CurvePanel>& panels,
                                         const PlotOptions& options) {
  size_t lines = 0;
  for (const CurvePanel& panel : panels) lines += panel.groups.size() + panel.runs.size();
  if (panels.empty() || lines == 0) {
    return absl::InvalidArgumentError("curves: nothing to plot (no metric with a group or run)");
  }
  if (options.smooth_alpha != 0) SG_RETURN_IF_ERROR(ValidateSmoothingAlpha(options.smooth_alpha));
  SG_ASSIGN_OR_RETURN(std::string script,
                      plot_internal::Preamble(options, 600 * static_cast<int>(panels.size())));

  // Data first: one datablock per (panel, line). A line with no plottable point gets no
  // datablock (gnuplot would stop on an empty one).
  std::vector<std::vector<Series>> series(panels.size());
  size_t most_lines = 0;
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
  for (size_t m = 0; m < panels.size(); ++m) {
    series[m] = PanelSeries(panels[m], options.log_steps);
    most_lines = std::max(most_lines, series[m].size());
    bool any = false;
    for (size_t g = 0; g < series[m].size(); ++g) {
      Series& s = series[m][g];
      if (s.steps.empty()) continue;
      any = true;
      lo = std::min(lo, s.steps.front());
      hi = std::max(hi, s.steps.back());
      if (options.smooth_alpha > 0) {
        SG_ASSIGN_OR_RETURN(s.smoothed, ExponentialMovingAverage(s.value, options.smooth_alpha));
      }
      absl::StrAppend(&script, Datablock(absl::StrCat("$d", m, "_", g), s));
    }
    if (!any) {
      return absl::InvalidArgumentError(
          absl::StrCat("curves: metric '", panels[m].metric, "' has no point to plot",
                       options.log_steps ? " (a log-step axis leaves out steps <= 0)" : ""));
    }
  }

  absl::StrAppend(&script, "set multiplot layout 1,", panels.size());
  if (!options.title.empty()) absl::StrAppend(&script, " title ", Quote(options.title));
  // The key goes right of each panel, outside the plotting area, so it never covers a curve.
  absl::StrAppend(&script, "\n",
                  "set grid\n"
                  "set key outside right top vertical Left reverse samplen 3\n"
                  "set xlabel \"step\"\n"
                  "set style fill transparent solid 0.18 noborder\n");
  if (options.log_steps) {
    absl::StrAppend(&script, "set logscale x\n", plot_internal::LogStepTics(lo, hi));
  }
  // Fit the step axis to the data instead of widening it to whole decades.
  absl::StrAppend(&script, "set autoscale xfix\n");
  for (size_t m = 0; m < panels.size(); ++m) {
    const CurvePanel& panel = panels[m];
    std::string what = panel.groups.empty() ? "" : "median, p25-p75";
    if (options.smooth_alpha > 0) {
      absl::StrAppend(&what, what.empty() ? "" : "; ", "EMA alpha ",
                      Number(options.smooth_alpha), " over the points");
    }
    absl::StrAppend(&script, "set title ",
                    Quote(what.empty() ? panel.metric : absl::StrCat(panel.metric, " (", what,
                                                                     ")")),
                    "\n", "set ylabel ", Quote(panel.metric), "\n", "plot ");
    bool first = true;
    for (size_t g = 0; g < series[m].size(); ++g) {
      if (series[m][g].steps.empty()) continue;
      if (!first) absl::StrAppend(&script, ", \\\n     ");
      first = false;
      // The same line keeps its colour in every panel.
      absl::StrAppend(&script, PlotClauses(absl::StrCat("$d", m, "_", g), series[m][g], g,
                                           most_lines, options.smooth_alpha));
    }
    absl::StrAppend(&script, "\n");
  }
  absl::StrAppend(&script, "unset multiplot\nset output\n");
  return script;
}

absl::Status PlotCurves(const std::vector<CurvePanel>& panels, const PlotOptions& options) {
  SG_ASSIGN_OR_RETURN(std::string script, CurvesScript(panels, options));
  return plot_internal::WriteAndRun(script, options);
}

}  // namespace analysis
}  // namespace sg
