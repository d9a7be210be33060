// Pieces shared by the figure kinds of plot.h: gnuplot literals, the terminal for the output's
// extension, the line palette, log-step tics, and writing and running a script. Internal to
// sg::analysis (the kinds' .cc files); not part of its interface.
#ifndef SG_ANALYSIS_PLOT_SCRIPT_H_
#define SG_ANALYSIS_PLOT_SCRIPT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "analysis/plot.h"

namespace sg {
namespace analysis {
namespace plot_internal {

// A gnuplot double-quoted string literal.
std::string Quote(const std::string& text);

// A number for a datablock: up to 10 significant digits; NaN (gnuplot's missing value) as "NaN".
std::string Number(double v);

// The terminal and output lines for options.output_path (.png, .svg or .pdf).
// kInvalidArgument for another extension or a non-positive size.
absl::StatusOr<std::string> Preamble(const PlotOptions& options, int default_width);

// Line `index` of `count`: "lc rgb \"#rrggbb\" dt N". Colours run from dark violet through
// blue and teal to green (the viridis map up to 0.75, so never pale yellow) in the order of the
// lines, so a grey print keeps them ordered by lightness; dash patterns cycle through five.
std::string LineStyle(size_t index, size_t count);
// Only the colour, "#rrggbb" (bands and bars).
std::string LineColor(size_t index, size_t count);

// "set xtics (...)" for a log-step axis over [lo, hi]: labelled tics at 1, 2 and 5 times each
// power of ten (e.g. "1k", "2k", "5k", "10k") and unlabelled minor tics at the other digits.
// Empty when lo <= 0 or hi < lo.
std::string LogStepTics(int64_t lo, int64_t hi);

// A step for a tic label: 500, 1k, 2.5k, 10k, 1M.
std::string StepLabel(int64_t step);

// Writes the script next to the output (output_path + ".gp"), runs it and checks that it left
// an image.
absl::Status WriteAndRun(const std::string& script, const PlotOptions& options);

}  // namespace plot_internal
}  // namespace analysis
}  // namespace sg

#endif  // SG_ANALYSIS_PLOT_SCRIPT_H_
