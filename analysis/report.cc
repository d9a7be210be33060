#include "analysis/report.h"

#include <utility>

#include "analysis/grouping.h"
#include "analysis/stats.h"
#include "common/status_macros.h"

namespace sg {
namespace analysis {
namespace {

std::optional<double> MeanOrNone(const std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  return Mean(v);
}
std::optional<double> MedianOrNone(const std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  return Median(v);
}

}  // namespace

absl::StatusOr<std::vector<ReportRow>> BuildReport(const std::vector<ReportRun>& runs,
                                                   const ReportOptions& options) {
  SG_ASSIGN_OR_RETURN(std::vector<RunGroup<ReportRun>> groups, GroupRuns(runs, options.group_by));
  std::vector<ReportRow> rows;
  rows.reserve(groups.size());
  for (RunGroup<ReportRun>& group : groups) {
    ReportRow row;
    row.cell = std::move(group.key);
    row.cell_key = std::move(group.label);
    std::vector<double> final_gen, at_early_stop, grok_steps;
    for (const ReportRun* run : group.runs) {
      const RunAnalysis& a = run->analysis;
      ++row.seeds_total;
      if (a.finished) ++row.seeds_finished;
      if (!a.finished && !options.include_unfinished) continue;
      ++row.seeds_counted;
      if (a.grokked) ++row.seeds_grokked;
      if (a.final_gen_acc) final_gen.push_back(*a.final_gen_acc);
      if (a.gen_acc_at_early_stop) at_early_stop.push_back(*a.gen_acc_at_early_stop);
      if (a.grok_step) grok_steps.push_back(static_cast<double>(*a.grok_step));
    }
    row.mean_final_gen_acc = MeanOrNone(final_gen);
    row.median_final_gen_acc = MedianOrNone(final_gen);
    row.mean_gen_acc_at_early_stop = MeanOrNone(at_early_stop);
    row.median_gen_acc_at_early_stop = MedianOrNone(at_early_stop);
    row.median_grok_step = MedianOrNone(grok_steps);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace analysis
}  // namespace sg
