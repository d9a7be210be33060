#include "analysis/smooth.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace sg {
namespace analysis {

absl::Status ValidateSmoothingAlpha(double alpha) {
  if (alpha > 0 && alpha <= 1) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "--smooth: ALPHA must be in (0, 1] (the weight of each new point; e.g. 0.3), got ", alpha));
}

absl::StatusOr<std::vector<double>> ExponentialMovingAverage(const std::vector<double>& values,
                                                             double alpha) {
  if (absl::Status s = ValidateSmoothingAlpha(alpha); !s.ok()) return s;
  std::vector<double> out;
  out.reserve(values.size());
  double average = std::nan("");
  for (double v : values) {
    if (!std::isnan(v)) average = std::isnan(average) ? v : alpha * v + (1 - alpha) * average;
    out.push_back(average);
  }
  return out;
}

}  // namespace analysis
}  // namespace sg
