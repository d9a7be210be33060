#include "analysis/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "analysis/stats.h"

namespace sg {
namespace analysis {
namespace {

// A uniform index in [0, n) from 64 random bits by Lemire's multiply-shift: exact enough for
// n up to thousands (the bias is below n / 2^64) and the same on every platform.
size_t Index(std::mt19937_64& rng, size_t n) {
  const unsigned __int128 product = static_cast<unsigned __int128>(rng()) * n;
  return static_cast<size_t>(product >> 64);
}

}  // namespace

absl::Status ValidateBootstrapOptions(const BootstrapOptions& options) {
  if (options.resamples < 100) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bootstrap resamples: must be at least 100 (10000 by default), got ", options.resamples));
  }
  if (!(options.confidence > 0 && options.confidence < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bootstrap confidence: must be in (0, 1), e.g. 0.95, got ", options.confidence));
  }
  return absl::OkStatus();
}

absl::StatusOr<Interval> BootstrapMeanInterval(const std::vector<double>& values,
                                               const BootstrapOptions& options) {
  if (absl::Status s = ValidateBootstrapOptions(options); !s.ok()) return s;
  if (values.empty()) {
    return absl::InvalidArgumentError("bootstrap: needs at least one value");
  }
  for (double v : values) {
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(absl::StrCat("bootstrap: value ", v, " is not finite"));
    }
  }
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  if (*lo == *hi) return Interval{*lo, *hi};

  std::mt19937_64 rng(options.seed);
  const size_t n = values.size();
  std::vector<double> means(static_cast<size_t>(options.resamples));
  for (double& mean : means) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += values[Index(rng, n)];
    mean = sum / static_cast<double>(n);
  }
  std::sort(means.begin(), means.end());
  const double tail = (1 - options.confidence) / 2;
  return Interval{SortedQuantile(means, tail), SortedQuantile(means, 1 - tail)};
}

}  // namespace analysis
}  // namespace sg
