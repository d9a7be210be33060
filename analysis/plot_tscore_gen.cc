// PlotTScoreGen (sgctl plot --kind tscore-gen): each run's final t_score against its final
// gen_acc, one colour per group (depth): the paper's claim that tree-structuredness picks the
// depth that generalises (experiment.md §5.3).
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "analysis/plot.h"
#include "analysis/plot_script.h"
#include "common/status_macros.h"

namespace sg {
namespace analysis {

using plot_internal::LineColor;
using plot_internal::Number;
using plot_internal::Quote;

absl::StatusOr<std::string> TScoreGenScript(const std::vector<TScoreGenGroup>& groups,
                                            const PlotOptions& options) {
  size_t runs = 0;
  double lo = INFINITY, hi = -INFINITY;
  for (const TScoreGenGroup& g : groups) {
    for (const TScoreGenRun& r : g.runs) {
      if (!std::isfinite(r.t_score) || !std::isfinite(r.gen_acc)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "tscore-gen: run ", r.run_id, " of ", g.label,
            " has a non-finite final t_score or gen_acc; leave it out"));
      }
      lo = std::min(lo, r.t_score);
      hi = std::max(hi, r.t_score);
      ++runs;
    }
  }
  if (runs == 0) {
    return absl::InvalidArgumentError(
        "tscore-gen: nothing to plot (no run has both a final t_score and a final gen_acc)");
  }
  SG_ASSIGN_OR_RETURN(std::string script, plot_internal::Preamble(options, 700));
  // One datablock per group: t_score, gen_acc, run id (a point per run).
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].runs.empty()) continue;
    absl::StrAppend(&script, "$g", g, " << EOD\n");
    for (const TScoreGenRun& r : groups[g].runs) {
      absl::StrAppend(&script, Number(r.t_score), " ", Number(r.gen_acc), " ", r.run_id, "\n");
    }
    absl::StrAppend(&script, "EOD\n");
  }
  // t_score is a mean of cosine similarities: pad its range so points off the edges show.
  const double pad = std::max(0.05, (hi - lo) * 0.08);
  const std::string threshold = Number(options.grok_threshold);
  const std::string title =
      options.title.empty() ? std::string("final t_score against final gen_acc, a point per run")
                            : options.title;
  absl::StrAppend(&script, "set title ", Quote(title), "\n", "set grid\n",
                  "set xlabel \"final t_score (tree-structuredness)\"\n",
                  "set ylabel \"final gen_acc\"\n", "set xrange [", Number(lo - pad), ":",
                  Number(hi + pad), "]\n", "set yrange [0:1.05]\n",
                  "set key outside right top vertical noenhanced\n", "plot ");
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].runs.empty()) continue;
    absl::StrAppend(&script, "$g", g, " using 1:2 with points pt 7 ps 1.2 lc rgb ",
                    Quote(LineColor(g, groups.size())), " title ", Quote(groups[g].label),
                    ", \\\n     ");
  }
  absl::StrAppend(&script, threshold, " with lines dt 2 lw 1.5 lc rgb \"#d55e00\" title ",
                  Quote(absl::StrCat("grok threshold ", threshold)), "\n", "set output\n");
  return script;
}

absl::Status PlotTScoreGen(const std::vector<TScoreGenGroup>& groups,
                           const PlotOptions& options) {
  SG_ASSIGN_OR_RETURN(std::string script, TScoreGenScript(groups, options));
  return plot_internal::WriteAndRun(script, options);
}

}  // namespace analysis
}  // namespace sg
