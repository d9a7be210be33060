// Figures drawn by gnuplot, a maintained plotting program (Debian: gnuplot-nox, whose cairo
// terminals write PNG and PDF): sg writes a self-contained script (its data inline as
// datablocks, so it can be edited and re-run) and runs it. Nothing here talks to a server: the
// inputs are aggregates (aggregate.h), curves (curve.h) and report rows (report.h).
//   PlotCurves:    one panel per metric (e.g. val_acc, gen_acc), one median line per group
//                  (e.g. depth) with its interquartile band (p25..p75), and/or one line per
//                  chosen run, on a log-step axis (or a linear one).
//   PlotGrokBars:  per group, the seeds whose final gen_acc is above the grok threshold
//                  ("grokked/counted") next to the mean final gen_acc with its bootstrap
//                  interval and the median (the paper's inverted U over depth).
//   PlotEarlyStop: per group, each seed's gen_acc at the early-stopping point joined by a line
//                  to its final gen_acc (what early stopping throws away).
//   PlotTScoreGen: each run's final t_score against its final gen_acc, one colour per group
//                  (e.g. depth): does tree-structuredness pick the depth that generalises?
// The format follows the output's extension: .png (pngcairo), .svg or .pdf (pdfcairo).
// Every line has its own colour from a dark-to-mid sequential palette (readable on white and
// ordered in grey print) and its own dash pattern. The script of each kind is pinned by golden
// tests (plot_golden_test.cc); a new kind is a new *Script function with its own file.
#ifndef SG_ANALYSIS_PLOT_H_
#define SG_ANALYSIS_PLOT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "analysis/aggregate.h"
#include "analysis/curve.h"
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
  std::string output_path;  // required; ends in .png, .svg or .pdf
  std::string title;        // optional figure title
  int width = 0;            // pixels (PDF: 1/100 inch); 0: 600 per panel, 900 for the bars
  int height = 450;
  bool log_steps = true;        // curves: log-scaled step axis (points at step <= 0 are left out)
  double grok_threshold = 0.8;  // bars, early-stop: named in the titles, drawn as a line
  // curves: > 0 draws the exponential moving average (smooth.h) with this alpha as the line,
  // over the raw points; 0 (default) draws the raw values as the line.
  double smooth_alpha = 0;
  std::string gnuplot = "gnuplot";  // program name (looked up on PATH) or path
  // The script is kept at output_path + ".gp" (true, default) or removed after the run.
  bool keep_script = true;
  ScriptRunner runner = RunGnuplot;
};

// One run's curve of a metric, drawn as its own line (no band).
struct LabeledCurve {
  std::string label;  // e.g. "run 12 (depth=6, seed 3)"
  Curve points;
};

struct CurvePanel {
  std::string metric;                  // panel title and y label, e.g. "gen_acc"
  std::vector<AggregateCurve> groups;  // one median line and band per group, in this order
  std::vector<LabeledCurve> runs;      // then one line per run, in this order
};

// One seed's two values for the early-stop figure.
struct EarlyStopSeed {
  int64_t seed = 0;
  double at_early_stop = 0;
  double final_value = 0;
};

struct EarlyStopGroup {
  std::string label;  // e.g. "depth=6"
  std::vector<EarlyStopSeed> seeds;
};

// One run's point for the t_score-vs-gen_acc figure.
struct TScoreGenRun {
  int64_t run_id = 0;
  double t_score = 0;  // final t_score
  double gen_acc = 0;  // final gen_acc
};

struct TScoreGenGroup {
  std::string label;  // e.g. "depth=6"
  std::vector<TScoreGenRun> runs;
};

// The gnuplot scripts, without running anything. kInvalidArgument for an output path that is
// not .png/.svg/.pdf, nothing to plot, a non-positive size or a bad smoothing alpha.
absl::StatusOr<std::string> CurvesScript(const std::vector<CurvePanel>& panels,
                                         const PlotOptions& options);
absl::StatusOr<std::string> GrokBarsScript(const std::vector<ReportRow>& rows,
                                           const PlotOptions& options);
absl::StatusOr<std::string> EarlyStopScript(const std::vector<EarlyStopGroup>& groups,
                                            const PlotOptions& options);
// Also kInvalidArgument for a non-finite value (the caller leaves such runs out).
absl::StatusOr<std::string> TScoreGenScript(const std::vector<TScoreGenGroup>& groups,
                                            const PlotOptions& options);

// Write the script and run it. kInvalidArgument as above or if the script cannot be written
// (e.g. the output's folder does not exist); the runner's error; kInternal if the program
// succeeded but left no output file.
absl::Status PlotCurves(const std::vector<CurvePanel>& panels, const PlotOptions& options);
absl::Status PlotGrokBars(const std::vector<ReportRow>& rows, const PlotOptions& options);
absl::Status PlotEarlyStop(const std::vector<EarlyStopGroup>& groups, const PlotOptions& options);
absl::Status PlotTScoreGen(const std::vector<TScoreGenGroup>& groups, const PlotOptions& options);

}  // namespace analysis
}  // namespace sg

#endif  // SG_ANALYSIS_PLOT_H_
