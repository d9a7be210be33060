// The paper's table, one row per grid cell (or per group of cells): how many seeds finished,
// how many generalise, and what early stopping would have kept. Built from per-run analyses
// (grokking.h), so the coordinator can answer it without reading any curve.
#ifndef SG_ANALYSIS_REPORT_H_
#define SG_ANALYSIS_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/bootstrap.h"
#include "analysis/censored.h"
#include "analysis/grokking.h"
#include "common/sweep_spec.h"

namespace sg {
namespace analysis {

struct ReportRun {
  int64_t run_id = 0;
  int64_t seed = 0;
  GridCell cell;
  RunAnalysis analysis;  // analysis.finished says whether the run has ended
  // The tree-projection metrics at their curves' last finite point (the run's final
  // evaluation computes them, tasks/tree_sentences.h); empty without such a point.
  std::optional<double> final_t_score;
  std::optional<double> final_t_parseval;
};

// Mean and spread over a group's counted seeds of one per-seed value; mean and sd are empty
// when no counted seed has the value (sd is 0 for one seed).
struct SeedSpread {
  int64_t n = 0;
  std::optional<double> mean;
  std::optional<double> sd;  // sample standard deviation (n - 1)
};

struct ReportRow {
  GridCell cell;         // the group-by axes' values
  std::string cell_key;  // CellKey(cell), e.g. "depth=6"; "all" for a grid without axes
  int64_t seeds_total = 0;
  int64_t seeds_finished = 0;
  // The statistics below are over the counted seeds: the finished ones, or every seed with
  // include_unfinished. Each is empty when no counted seed has the value.
  int64_t seeds_counted = 0;
  int64_t seeds_grokked = 0;  // counted seeds with final gen_acc > grok threshold (grokked)
  std::optional<double> mean_final_gen_acc;
  std::optional<double> median_final_gen_acc;
  std::optional<double> mean_gen_acc_at_early_stop;
  std::optional<double> median_gen_acc_at_early_stop;
  std::optional<double> median_grok_step;  // over the counted seeds that grokked

  // 95% (ReportOptions::bootstrap) bootstrap intervals of the two means above.
  std::optional<Interval> mean_final_gen_acc_ci;
  std::optional<Interval> mean_gen_acc_at_early_stop_ci;
  // Paired over the counted seeds with both values: final gen_acc minus gen_acc at the
  // early-stopping point, per seed (positive: training on past early stopping helped).
  int64_t seeds_paired = 0;
  std::optional<double> mean_final_minus_early_stop;
  std::optional<Interval> mean_final_minus_early_stop_ci;
  std::optional<double> median_final_minus_early_stop;
  // Grokking time over every counted seed with a gen_acc point, seeds that never crossed (or
  // did not stay above) counted as censored at their last gen_acc evaluation (censored.h).
  int64_t seeds_crossed = 0;  // counted seeds whose gen_acc went above the threshold at least once
  std::optional<CensoredMedian> median_first_cross_step;
  std::optional<CensoredMedian> median_stay_above_step;  // grok_step, censored when not grokked
  // Final t_score and t_parseval (tree-structuredness, experiment.md §5.3) over the counted
  // seeds that have them.
  SeedSpread final_t_score;
  SeedSpread final_t_parseval;
};

// The statistics of one per-seed value over a group's counted seeds; each empty without values.
struct SeedSummary {
  int64_t n = 0;
  std::optional<double> mean;
  std::optional<Interval> mean_ci;
  std::optional<double> median;
};

// Mean, bootstrap interval of the mean and median of `values`. kInvalidArgument for bad
// bootstrap options or a non-finite value.
absl::StatusOr<SeedSummary> SummarizeSeeds(const std::vector<double>& values,
                                           const BootstrapOptions& bootstrap);

struct ReportOptions {
  // Axes to group by; empty (default): one row per grid cell.
  std::vector<std::string> group_by;
  // false (default): statistics over finished seeds only, so a half-run sweep does not report
  // a seed as "not grokked" that may grok later. true: every seed, at its latest point.
  bool include_unfinished = false;
  // The intervals' resample count, seed and confidence. Every interval of the report uses the
  // same seed, so a row's interval does not depend on which other rows are in the report.
  BootstrapOptions bootstrap;
};

// One row per group, ordered by the group's axis values (numerically, first axis first).
// Medians use linear interpolation (stats.h). kInvalidArgument if a run lacks a group-by axis,
// or for bad bootstrap options.
absl::StatusOr<std::vector<ReportRow>> BuildReport(const std::vector<ReportRun>& runs,
                                                   const ReportOptions& options);

}  // namespace analysis
}  // namespace sg

#endif  // SG_ANALYSIS_REPORT_H_
