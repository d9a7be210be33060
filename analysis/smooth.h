// Exponential moving average of a curve, for figures that draw a smoothed line over the raw
// points (sgctl plot --smooth ALPHA).
#ifndef SG_ANALYSIS_SMOOTH_H_
#define SG_ANALYSIS_SMOOTH_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sg {
namespace analysis {

// kInvalidArgument naming the flag unless 0 < alpha <= 1.
absl::Status ValidateSmoothingAlpha(double alpha);

// s[0] = v[0], s[i] = alpha * v[i] + (1 - alpha) * s[i-1], in the order given (by step). alpha
// is the weight of the newest point: 1 leaves the curve as it is, 0.1 smooths strongly. A NaN
// value carries the previous average forward (and is NaN only before the first number).
absl::StatusOr<std::vector<double>> ExponentialMovingAverage(const std::vector<double>& values,
                                                             double alpha);

}  // namespace analysis
}  // namespace sg

#endif  // SG_ANALYSIS_SMOOTH_H_
