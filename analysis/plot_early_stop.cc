// PlotEarlyStop (sgctl plot --kind early-stop): per group, each seed's gen_acc at the
// early-stopping point and at the end, joined by a line; the group mean drawn over them.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "analysis/plot.h"
#include "analysis/plot_script.h"
#include "analysis/stats.h"
#include "common/status_macros.h"

namespace sg {
namespace analysis {
namespace {

// Horizontal offsets from the group's position: early stop on the left, final on the right;
// seeds spread a little so equal values do not hide each other.
constexpr double kHalfGap = 0.22;
constexpr double kSeedSpread = 0.012;

}  // namespace

using plot_internal::LineColor;
using plot_internal::Number;
using plot_internal::Quote;

absl::StatusOr<std::string> EarlyStopScript(const std::vector<EarlyStopGroup>& groups,
                                            const PlotOptions& options) {
  size_t seeds = 0;
  for (const EarlyStopGroup& g : groups) seeds += g.seeds.size();
  if (groups.empty() || seeds == 0) {
    return absl::InvalidArgumentError(
        "early-stop: nothing to plot (no seed has both gen_acc at early stopping and a final "
        "gen_acc)");
  }
  SG_ASSIGN_OR_RETURN(std::string script,
                      plot_internal::Preamble(options, std::max<int>(600, 160 * groups.size())));
  // One datablock per group: a two-point segment per seed, segments separated by blank lines.
  std::string means = "$means << EOD\n";
  for (size_t g = 0; g < groups.size(); ++g) {
    const EarlyStopGroup& group = groups[g];
    if (group.seeds.empty()) continue;
    absl::StrAppend(&script, "$e", g, " << EOD\n");
    std::vector<double> early, final_values;
    const double n = static_cast<double>(group.seeds.size());
    for (size_t i = 0; i < group.seeds.size(); ++i) {
      const EarlyStopSeed& s = group.seeds[i];
      const double offset = (static_cast<double>(i) - (n - 1) / 2) * kSeedSpread;
      absl::StrAppend(&script, Number(g - kHalfGap + offset), " ", Number(s.at_early_stop), " ",
                      s.seed, "\n", Number(g + kHalfGap + offset), " ", Number(s.final_value),
                      " ", s.seed, "\n\n");
      early.push_back(s.at_early_stop);
      final_values.push_back(s.final_value);
    }
    absl::StrAppend(&script, "EOD\n");
    absl::StrAppend(&means, Number(g - kHalfGap), " ", Number(Mean(early)), "\n",
                    Number(g + kHalfGap), " ", Number(Mean(final_values)), "\n\n");
  }
  absl::StrAppend(&script, means, "EOD\n");

  std::string tics;
  for (size_t g = 0; g < groups.size(); ++g) {
    absl::StrAppend(&tics, g == 0 ? "" : ", ", "\"early\" ", Number(g - kHalfGap), ", \"final\" ",
                    Number(g + kHalfGap), ", ", Quote("\n" + groups[g].label), " ", g);
  }
  const std::string threshold = Number(options.grok_threshold);
  const std::string title =
      options.title.empty()
          ? std::string("gen_acc at the early-stopping point and at the end (a thin line per seed)")
          : options.title;
  absl::StrAppend(&script, "set title ", Quote(title), "\n", "set grid ytics\n",
                  "set ylabel \"gen_acc\"\n", "set yrange [0:1.05]\n", "set xrange [-0.6:",
                  Number(groups.size() - 0.4), "]\n", "set xtics scale 0 (", tics, ")\n",
                  "set bmargin 5\n", "set key outside below center horizontal\n", "plot ");
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].seeds.empty()) continue;
    // The axis names the groups, so the lines need no key entry.
    absl::StrAppend(&script, "$e", g, " using 1:2 with linespoints pt 7 ps 0.6 lw 1 lc rgb ",
                    Quote(LineColor(g, groups.size())), " notitle, \\\n     ");
  }
  absl::StrAppend(&script,
                  "$means using 1:2 with linespoints pt 13 ps 1.3 lw 2.5 lc rgb \"black\" "
                  "title \"mean\", \\\n     ",
                  threshold, " with lines dt 2 lw 1.5 lc rgb \"#d55e00\" title ",
                  Quote(absl::StrCat("threshold ", threshold)), "\n", "set output\n");
  return script;
}

absl::Status PlotEarlyStop(const std::vector<EarlyStopGroup>& groups,
                           const PlotOptions& options) {
  SG_ASSIGN_OR_RETURN(std::string script, EarlyStopScript(groups, options));
  return plot_internal::WriteAndRun(script, options);
}

}  // namespace analysis
}  // namespace sg
