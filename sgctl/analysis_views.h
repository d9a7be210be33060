// Views of the coordinator's analyses: seed aggregates of a metric (`curves --group-by`), the
// paper's table (`report`) and per-run grokking analyses (`report --runs`). Pure functions of
// wire messages, unit-tested in analysis_views_test.cc.
#ifndef SG_SGCTL_ANALYSIS_VIEWS_H_
#define SG_SGCTL_ANALYSIS_VIEWS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sg/v1/sg.pb.h"
#include "sgctl/views.h"

namespace sg {
namespace ctl {

// The statistics of an AggregatePoint, in display order: mean, median, p10, p25, p75, p90,
// min, max.
const std::vector<std::string>& AggregateFieldNames();

// --agg: a comma-separated subset of AggregateFieldNames() ("median,p25,p75"), kept in the
// given order without repeats; "" or "all" selects every field. kInvalidArgument naming --agg
// and listing the allowed names otherwise.
absl::StatusOr<std::vector<std::string>> ParseAggregateFields(absl::string_view text);

// One JSON object per aggregate curve: label, group ({"depth": 6}), metric, seeds (run_id,
// seed, finished, last_step), unfinished_seeds and points ({step, n, non_finite, <fields>}).
// The table has one row per (curve, step): group, metric, step, n, non_finite, <fields>.
// Statistics are over the finite values (n of them); a NaN statistic (no finite value) is
// "nan" in the table and "NaN" in JSON, as in CurvesView.
View AggregateCurvesView(const v1::GetCurvesResponse& response,
                         const std::vector<std::string>& fields);

// How the report was asked for, so the table can say what its numbers mean.
struct ReportSettings {
  double grok_threshold = 0.8;
  std::string early_stop = "first_best";  // the rule the report used (its response says)
  bool include_unfinished = false;
};

// The paper's table, one row per group. JSON: an array of objects with group ({"depth": 6}),
// label, seeds_total, seeds_finished, seeds_counted, seeds_grokked, mean_final_gen_acc,
// median_final_gen_acc, mean_gen_acc_at_early_stop, median_gen_acc_at_early_stop,
// median_grok_step, then the intervals (mean_final_gen_acc_ci_low/_ci_high,
// mean_gen_acc_at_early_stop_ci_low/_ci_high), the paired column (seeds_paired,
// mean_final_minus_early_stop_gen_acc with _ci_low/_ci_high,
// median_final_minus_early_stop_gen_acc) and the censored grokking times (seeds_crossed,
// median_first_cross_step, median_first_cross_step_censored, median_stay_above_step,
// median_stay_above_step_censored); null when absent. Table text: one column per group axis,
// "mean [low, high]", censored medians as ">24k", "-" for absent values, and notes on the
// settings and the bootstrap. CSV: the JSON fields in that order, empty when absent.
View ReportView(const v1::GetReportResponse& response, const ReportSettings& settings);

// Each run's grokking analysis (run_id, seed, config, finished, last_step, best_val_acc,
// val_saturation_step, early_stop_step, gen_acc_at_early_stop, final_gen_acc, grok_step,
// grokked, first_cross_step, last_gen_step; null when absent). Table text shows a run that
// never crossed as ">" its last gen_acc step. Table text says "not yet grokked" for a running run without a
// grok step and "not grokked" for a finished one.
View RunAnalysesView(const v1::GetReportResponse& response);

}  // namespace ctl
}  // namespace sg

#endif  // SG_SGCTL_ANALYSIS_VIEWS_H_
