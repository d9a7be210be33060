// Downsampled curves built from block summaries (PointBlock, store.h) instead of every point,
// so that a downsampled answer over 50 runs of 300k-point curves reads a few thousand rows
// per curve (issue 21: the sweep page's first load in under a second).
//
// The bucket rule (GetCurvesRequest.max_points in proto/sg/v1/sg.proto, docs/performance.md):
// buckets are those of analysis::Downsample (equal width in step or log(step)) except that,
// from the first bucket at least kPointBlockSteps / 2 steps wide on, each bucket's start is
// rounded up to a multiple of kPointBlockSteps, so that every such bucket is made of whole
// blocks. The narrower buckets before it (the first steps, on a log axis) are computed from
// the points themselves. Each bucket keeps the same first, minimum, maximum and last points as
// analysis::Downsample's buckets do, so a jump or a one-step spike is never averaged away.
//
// Curves with at most kExactDownsamplePoints points are read whole and downsampled exactly as
// before (analysis::Downsample and analysis::AggregateSeeds).
#ifndef SG_COORDINATOR_BLOCK_DOWNSAMPLE_H_
#define SG_COORDINATOR_BLOCK_DOWNSAMPLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/aggregate.h"
#include "analysis/downsample.h"
#include "coordinator/store.h"

namespace sg {

inline constexpr int64_t kExactDownsamplePoints = 20000;

// The bucket starts for a curve (or a group of seeds' curves) spanning steps [lo, hi].
struct BlockBuckets {
  std::vector<int64_t> starts;  // starts[0] is INT64_MIN; non-decreasing (equal: empty bucket)
  int64_t raw_end = 0;          // steps below this are read as points; a block multiple or max
};
BlockBuckets MakeBlockBuckets(int64_t lo, int64_t hi, const analysis::DownsampleOptions& options);

// One curve's summary in each bucket (nullopt: no point there), from its blocks and, below
// buckets.raw_end, its points.
absl::StatusOr<std::vector<std::optional<PointBlock>>> BucketSummaries(
    Store& store, int64_t run_id, const std::string& metric, const std::vector<PointBlock>& blocks,
    const BlockBuckets& buckets);

// A run's downsampled curve (options.max_points > 0): exact (analysis::Downsample) when it has
// at most kExactDownsamplePoints points, else under the rule above. `blocks` are its blocks.
absl::StatusOr<analysis::Curve> DownsampleFromBlocks(Store& store, int64_t run_id,
                                                     const std::string& metric,
                                                     const std::vector<PointBlock>& blocks,
                                                     const analysis::DownsampleOptions& options);

// One group's downsampled aggregate from its seeds' blocks (`blocks[i]` of `seeds[i]`; the
// seeds' points are left empty). The group's steps [lo, hi] are cut into buckets as above;
// each bucket gives up to four rows: the statistics across seeds of each seed's first point in
// the bucket (at the earliest of those steps), of each seed's minimum and of each seed's maximum
// there (at the median of those steps), and of each seed's last point (at the latest step).
// Rows are in step order with distinct steps; a minimum or maximum row that cannot be given a
// step of its own between the first and last rows is left out. A seed's NaN, +Inf or -Inf
// counts in non_finite, as in AggregateSeeds.
absl::StatusOr<analysis::AggregateCurve> AggregateFromBlocks(
    Store& store, const std::string& metric, const std::vector<const analysis::SeedCurve*>& seeds,
    const std::vector<const std::vector<PointBlock>*>& blocks,
    const analysis::DownsampleOptions& options);

}  // namespace sg

#endif  // SG_COORDINATOR_BLOCK_DOWNSAMPLE_H_
