// A percentile bootstrap interval for the mean of a small sample (the seeds of one grid cell),
// reproducible from a seed: the same values, resample count and seed give the same interval on
// every machine, because the resampling draws come from std::mt19937_64 (whose output sequence
// the C++ standard fixes) mapped to indices without any library distribution (whose algorithm
// the standard leaves to each implementation).
#ifndef SG_ANALYSIS_BOOTSTRAP_H_
#define SG_ANALYSIS_BOOTSTRAP_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sg {
namespace analysis {

struct BootstrapOptions {
  int64_t resamples = 10000;  // resampled means; >= 100
  uint64_t seed = 20230101;   // the generator's seed
  double confidence = 0.95;   // the interval's nominal coverage, in (0, 1)
};

// kInvalidArgument naming the field for resamples < 100 or confidence outside (0, 1).
absl::Status ValidateBootstrapOptions(const BootstrapOptions& options);

struct Interval {
  double low = 0;
  double high = 0;
};

// The percentile bootstrap interval of the mean: draw `resamples` samples of values.size()
// values with replacement, take each one's mean, and return the (1 - confidence) / 2 and
// (1 + confidence) / 2 quantiles of those means (stats.h's linear interpolation). One value,
// or values that are all equal, give the degenerate interval [v, v]. kInvalidArgument for an
// empty sample, a non-finite value or bad options.
absl::StatusOr<Interval> BootstrapMeanInterval(const std::vector<double>& values,
                                               const BootstrapOptions& options);

}  // namespace analysis
}  // namespace sg

#endif  // SG_ANALYSIS_BOOTSTRAP_H_
