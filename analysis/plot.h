// Figures drawn by gnuplot, a maintained plotting program (Debian: gnuplot-nox): sg writes a
// self-contained script (its data inline as datablocks, so it can be edited and re-run) and
// runs it. Nothing here talks to a server: the inputs are aggregates (aggregate.h) and report
// rows (report.h).
//   PlotCurves:   one panel per metric (e.g. val_acc, gen_acc), one median line per group
//                 (e.g. depth) with its interquartile band (p25..p75), on a log-step axis.
//   PlotGrokBars: per group, a bar of the seeds whose final gen_acc is above the grok threshold,
//                 labelled "grokked/counted" (the paper's inverted-U figure over depth).
// The format follows the output's extension: .png (pngcairo) or .svg.
#ifndef SG_ANALYSIS_PLOT_H_
#define SG_ANALYSIS_PLOT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "analysis/aggregate.h"
#include "analysis/report.h"

namespace sg {
namespace analysis {

// Runs `program` on the script file `script_path`; returns an error naming the program and
// its output on failure. The default (RunGnuplot) spawns the program and waits for it; tests
// may inject another.
using ScriptRunner =
    std::function<absl::Status(const std::string& program, const std::string& script_path)>;

// kFailedPrecondition if `program` cannot be started (not installed: the message says to
// install gnuplot-nox), kInternal with gnuplot's output if it exits with an error.
absl::Status RunGnuplot(const std::string& program, const std::string& script_path);

struct PlotOptions {
  std::string output_path;  // required; ends in .png or .svg
  std::string title;        // optional figure title
  int width = 0;            // pixels; 0: 600 per panel (curves) or 800 (bars)
  int height = 450;
  bool log_steps = true;        // curves: log-scaled step axis (points at step <= 0 are left out)
  double grok_threshold = 0.8;  // bars: named in the default title only
  std::string gnuplot = "gnuplot";  // program name (looked up on PATH) or path
  // The script is kept at output_path + ".gp" (true, default) or removed after the run.
  bool keep_script = true;
  ScriptRunner runner = RunGnuplot;
};

struct CurvePanel {
  std::string metric;                  // panel title and y label, e.g. "gen_acc"
  std::vector<AggregateCurve> groups;  // one line and band per group, in this order
};

// The gnuplot scripts, without running anything. kInvalidArgument for an output path that is
// not .png/.svg, nothing to plot, or a non-positive size.
absl::StatusOr<std::string> CurvesScript(const std::vector<CurvePanel>& panels,
                                         const PlotOptions& options);
absl::StatusOr<std::string> GrokBarsScript(const std::vector<ReportRow>& rows,
                                           const PlotOptions& options);

// Writes the script and runs it. kInvalidArgument as above or if the script cannot be
// written (e.g. the output's folder does not exist); the runner's error; kInternal if the
// program succeeded but left no output file.
absl::Status PlotCurves(const std::vector<CurvePanel>& panels, const PlotOptions& options);
absl::Status PlotGrokBars(const std::vector<ReportRow>& rows, const PlotOptions& options);

}  // namespace analysis
}  // namespace sg

#endif  // SG_ANALYSIS_PLOT_H_
