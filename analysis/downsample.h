// Query-time downsampling of one long curve that never averages a jump away.
//
// The step range is cut into buckets (equal width in step, or in log(step)), and each bucket
// keeps only real points: its first, its minimum, its maximum and its last, in step order and
// without repeats (the "M4" rule: a line drawn through the kept points has the same envelope as
// the full curve at that resolution). The curve's first and last points are therefore always
// kept, and a one-step spike or jump always survives as some bucket's minimum or maximum.
#ifndef SG_ANALYSIS_DOWNSAMPLE_H_
#define SG_ANALYSIS_DOWNSAMPLE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/curve.h"

namespace sg {
namespace analysis {

struct DownsampleOptions {
  // At most this many points come back. 0 (default): full resolution, the curve unchanged.
  // Otherwise at least 4 (one bucket's first, min, max and last); the curve is cut into
  // max_points / 4 buckets, so a smooth monotone curve comes back with about max_points / 2.
  int64_t max_points = 0;
  // false (default): buckets of equal step width. true: buckets of equal width in log(step),
  // for a log-step axis (steps <= 1 fall into the first bucket).
  bool log_steps = false;
};

// kInvalidArgument naming max_points if it is negative or 1..3.
absl::Status ValidateDownsampleOptions(const DownsampleOptions& options);

// kInvalidArgument for max_points in 1..3 or a negative one, or a curve whose steps do not
// strictly increase. A curve with at most max_points points comes back unchanged.
// Non-finite values are never dropped from a bucket that holds one: -Inf is an ordinary minimum,
// +Inf an ordinary maximum, and NaN ranks above every number when the maximum is chosen (it is
// never the minimum), so a bucket holding a NaN keeps its first NaN; that bucket's largest
// finite value is then kept only if it is also its first, minimum or last point.
absl::StatusOr<Curve> Downsample(const Curve& curve, const DownsampleOptions& options);

// The same selection as indices into `curve` (ascending), so that a caller can keep whole rows
// of a table whose column `curve` is (e.g. the aggregate's other statistics at the steps the
// median keeps).
absl::StatusOr<std::vector<size_t>> DownsampleIndices(const Curve& curve,
                                                      const DownsampleOptions& options);

}  // namespace analysis
}  // namespace sg

#endif  // SG_ANALYSIS_DOWNSAMPLE_H_
