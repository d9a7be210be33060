// Aggregation of one metric across seeds, grouped by grid axes (e.g. every depth's 10 seeds).
//
// Alignment (how seeds whose steps differ are put on one step grid): the grid is the union of
// the seeds' steps. At each grid step a statistic is taken over the seeds that have a value
// there; `n` says how many. Two rules for "have a value":
//   kExactStep (default): the seed logged this exact step. Seeds evaluated on the same cadence
//     (every 3k steps) line up exactly, and nothing is invented.
//   kCarryForward: the seed's last value at or before this step, from its first step to its
//     last; a seed contributes nothing before it starts or after it stops (an unfinished seed
//     is never extended past its last point).
// Non-finite values: the statistics are over the seeds' finite values (n counts them); seeds
// whose value at a step is NaN, +Inf or -Inf are counted in non_finite instead, never dropped
// silently. A step where no seed has a finite value is kept with n = 0 and every statistic NaN.
// Percentiles use linear interpolation between order statistics (numpy's default; stats.h).
#ifndef SG_ANALYSIS_AGGREGATE_H_
#define SG_ANALYSIS_AGGREGATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/curve.h"
#include "common/sweep_spec.h"

namespace sg {
namespace analysis {

// One run's curve of the metric being aggregated, with what grouping needs.
struct SeedCurve {
  int64_t run_id = 0;
  int64_t seed = 0;
  GridCell cell;          // the run's grid axis values, e.g. {{"depth", 6}}
  bool finished = false;  // the run has ended successfully; false flags it as unfinished
  Curve points;           // strictly increasing steps
};

// The statistics over seeds at one step.
struct AggregatePoint {
  int64_t step = 0;
  int64_t n = 0;  // seeds with a finite value at this step
  double mean = 0;
  double median = 0;
  double p10 = 0, p25 = 0, p75 = 0, p90 = 0;
  double min = 0, max = 0;
  int64_t non_finite = 0;  // seeds with a NaN or infinite value at this step
};

// What went into a group, so a reader can tell a short curve from a finished one.
struct SeedInfo {
  int64_t run_id = 0;
  int64_t seed = 0;
  bool finished = false;
  int64_t last_step = 0;  // highest step of the seed's curve (0 if it has none)
  int64_t num_points = 0;
};

struct AggregateCurve {
  GridCell group;               // the group-by axes' values, in group_by order
  std::string label;            // CellKey(group), e.g. "depth=6"; "all" for a grid without axes
  std::vector<SeedInfo> seeds;  // in input order
  int64_t unfinished_seeds = 0;
  std::vector<AggregatePoint> points;  // strictly increasing steps
};

enum class Alignment { kExactStep, kCarryForward };

struct AggregateOptions {
  // Axes to group by, e.g. {"depth"}. Empty (default): every axis of the runs' cells, i.e. one
  // group per grid cell.
  std::vector<std::string> group_by;
  Alignment alignment = Alignment::kExactStep;
  // 0 (default): every grid step. Otherwise at most this many steps per group: those that
  // Downsample (downsample.h) keeps from the median curve, so a jump of the median survives
  // and every kept row still holds all statistics of its step.
  int64_t max_points = 0;
  bool log_steps = false;  // log-width buckets for max_points
};

// Aggregates one group's seeds (group/label left empty). kInvalidArgument for a curve whose
// steps do not strictly increase or bad max_points.
absl::StatusOr<AggregateCurve> AggregateSeeds(const std::vector<const SeedCurve*>& seeds,
                                              const AggregateOptions& options);

// Groups `runs` by options.group_by and aggregates each group; groups come back ordered by
// their axis values (numerically, first axis first). kInvalidArgument if a run lacks a
// group-by axis (the message names the run and its axes); see GroupRuns (grouping.h).
absl::StatusOr<std::vector<AggregateCurve>> AggregateByGroup(const std::vector<SeedCurve>& runs,
                                                             const AggregateOptions& options);

}  // namespace analysis
}  // namespace sg

#endif  // SG_ANALYSIS_AGGREGATE_H_
