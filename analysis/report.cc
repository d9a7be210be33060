#include "analysis/report.h"

#include <utility>

#include "analysis/grouping.h"
#include "analysis/stats.h"
#include "common/status_macros.h"

namespace sg {
namespace analysis {

absl::StatusOr<SeedSummary> SummarizeSeeds(const std::vector<double>& values,
                                           const BootstrapOptions& bootstrap) {
  SG_RETURN_IF_ERROR(ValidateBootstrapOptions(bootstrap));
  SeedSummary out;
  out.n = static_cast<int64_t>(values.size());
  if (values.empty()) return out;
  SG_ASSIGN_OR_RETURN(out.mean_ci, BootstrapMeanInterval(values, bootstrap));
  out.mean = Mean(values);
  out.median = Median(values);
  return out;
}

namespace {

SeedSpread Spread(const std::vector<double>& values) {
  SeedSpread out;
  out.n = static_cast<int64_t>(values.size());
  if (values.empty()) return out;
  out.mean = Mean(values);
  out.sd = SampleStdDev(values);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<ReportRow>> BuildReport(const std::vector<ReportRun>& runs,
                                                   const ReportOptions& options) {
  SG_RETURN_IF_ERROR(ValidateBootstrapOptions(options.bootstrap));
  SG_ASSIGN_OR_RETURN(std::vector<RunGroup<ReportRun>> groups, GroupRuns(runs, options.group_by));
  std::vector<ReportRow> rows;
  rows.reserve(groups.size());
  for (RunGroup<ReportRun>& group : groups) {
    ReportRow row;
    row.cell = std::move(group.key);
    row.cell_key = std::move(group.label);
    std::vector<double> final_gen, at_early_stop, paired, grok_steps, t_score, t_parseval;
    std::vector<EventTime> first_cross, stay_above;
    for (const ReportRun* run : group.runs) {
      const RunAnalysis& a = run->analysis;
      ++row.seeds_total;
      if (a.finished) ++row.seeds_finished;
      if (!a.finished && !options.include_unfinished) continue;
      ++row.seeds_counted;
      if (a.grokked) ++row.seeds_grokked;
      if (a.final_gen_acc) final_gen.push_back(*a.final_gen_acc);
      if (a.gen_acc_at_early_stop) at_early_stop.push_back(*a.gen_acc_at_early_stop);
      if (a.final_gen_acc && a.gen_acc_at_early_stop) {
        paired.push_back(*a.final_gen_acc - *a.gen_acc_at_early_stop);
      }
      if (a.grok_step) grok_steps.push_back(static_cast<double>(*a.grok_step));
      if (run->final_t_score) t_score.push_back(*run->final_t_score);
      if (run->final_t_parseval) t_parseval.push_back(*run->final_t_parseval);
      if (a.first_cross_step) ++row.seeds_crossed;
      if (a.last_gen_step) {
        const double horizon = static_cast<double>(*a.last_gen_step);
        first_cross.push_back(a.first_cross_step
                                  ? EventTime{static_cast<double>(*a.first_cross_step), false}
                                  : EventTime{horizon, true});
        stay_above.push_back(a.grok_step ? EventTime{static_cast<double>(*a.grok_step), false}
                                         : EventTime{horizon, true});
      }
    }
    SG_ASSIGN_OR_RETURN(SeedSummary final_summary, SummarizeSeeds(final_gen, options.bootstrap));
    SG_ASSIGN_OR_RETURN(SeedSummary early_summary,
                        SummarizeSeeds(at_early_stop, options.bootstrap));
    SG_ASSIGN_OR_RETURN(SeedSummary paired_summary, SummarizeSeeds(paired, options.bootstrap));
    row.mean_final_gen_acc = final_summary.mean;
    row.median_final_gen_acc = final_summary.median;
    row.mean_final_gen_acc_ci = final_summary.mean_ci;
    row.mean_gen_acc_at_early_stop = early_summary.mean;
    row.median_gen_acc_at_early_stop = early_summary.median;
    row.mean_gen_acc_at_early_stop_ci = early_summary.mean_ci;
    row.seeds_paired = paired_summary.n;
    row.mean_final_minus_early_stop = paired_summary.mean;
    row.mean_final_minus_early_stop_ci = paired_summary.mean_ci;
    row.median_final_minus_early_stop = paired_summary.median;
    if (!grok_steps.empty()) row.median_grok_step = Median(grok_steps);
    row.median_first_cross_step = MedianWithCensoring(first_cross);
    row.median_stay_above_step = MedianWithCensoring(stay_above);
    row.final_t_score = Spread(t_score);
    row.final_t_parseval = Spread(t_parseval);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace analysis
}  // namespace sg
