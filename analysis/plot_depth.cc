// PlotGrokBars (sgctl plot --kind depth): per group, the seeds above the grok threshold and
// the mean final gen_acc with its bootstrap interval, side by side.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "analysis/plot.h"
#include "analysis/plot_script.h"
#include "common/status_macros.h"

namespace sg {
namespace analysis {

using plot_internal::LineColor;
using plot_internal::Number;
using plot_internal::Quote;

absl::StatusOr<std::string> GrokBarsScript(const std::vector<ReportRow>& rows,
                                           const PlotOptions& options) {
  if (rows.empty()) return absl::InvalidArgumentError("report: nothing to plot (no rows)");
  SG_ASSIGN_OR_RETURN(std::string script, plot_internal::Preamble(options, 1000));
  const std::string threshold = Number(options.grok_threshold);
  int64_t most = 1;
  // Columns: label, grokked, counted, mean, ci low, ci high, median, colour (0xRRGGBB).
  absl::StrAppend(&script, "$bars << EOD\n");
  for (size_t i = 0; i < rows.size(); ++i) {
    const ReportRow& row = rows[i];
    most = std::max(most, row.seeds_counted);
    const double nan = std::nan("");
    const double mean = row.mean_final_gen_acc.value_or(nan);
    const double low = row.mean_final_gen_acc_ci ? row.mean_final_gen_acc_ci->low : mean;
    const double high = row.mean_final_gen_acc_ci ? row.mean_final_gen_acc_ci->high : mean;
    const std::string color = LineColor(i, rows.size());
    absl::StrAppend(&script, Quote(row.cell_key), " ", row.seeds_grokked, " ", row.seeds_counted,
                    " ", Number(mean), " ", Number(low), " ", Number(high), " ",
                    Number(row.median_final_gen_acc.value_or(nan)), " 0x", color.substr(1),
                    "\n");
  }
  absl::StrAppend(&script, "EOD\n");
  const std::string title =
      options.title.empty()
          ? absl::StrCat("final gen_acc per group (grokked: final gen_acc > ", threshold, ")")
          : options.title;
  absl::StrAppend(
      &script, "set multiplot layout 1,2 title ", Quote(title), "\n",
      "set grid ytics\n", "set boxwidth 0.6\n", "set style fill solid 0.8 border -1\n",
      "set xtics noenhanced\n", "set xrange [-0.6:", Number(rows.size() - 0.4), "]\n",
      // Left: how many seeds generalise.
      "unset key\n",
      "set title ", Quote(absl::StrCat("seeds with final gen_acc > ", threshold)), "\n",
      "set ylabel \"seeds\"\n", "set yrange [0:", most + 1, "]\n",
      "plot $bars using 0:2:8:xtic(1) with boxes lc rgb variable, \\\n"
      "     $bars using 0:2:(sprintf(\"%d/%d\", $2, $3)) with labels offset 0,1\n",
      // Right: how well, with the interval over seeds.
      "set key outside below center horizontal\n",
      "set title \"mean final gen_acc, 95% bootstrap CI\"\n", "set ylabel \"gen_acc\"\n",
      "set yrange [0:1.05]\n",
      "plot $bars using 0:4:8:xtic(1) with boxes lc rgb variable notitle, \\\n"
      "     $bars using 0:4:5:6 with yerrorbars lc rgb \"black\" ps 0 lw 1.5 title \"95% CI\", "
      "\\\n"
      "     $bars using 0:7 with points pt 13 ps 1.2 lc rgb \"black\" title \"median\", \\\n"
      "     ",
      threshold, " with lines dt 2 lw 1.5 lc rgb \"#d55e00\" title ",
      Quote(absl::StrCat("threshold ", threshold)), "\n", "unset multiplot\nset output\n");
  return script;
}

absl::Status PlotGrokBars(const std::vector<ReportRow>& rows, const PlotOptions& options) {
  SG_ASSIGN_OR_RETURN(std::string script, GrokBarsScript(rows, options));
  return plot_internal::WriteAndRun(script, options);
}

}  // namespace analysis
}  // namespace sg
