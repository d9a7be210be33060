#include "analysis/censored.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "analysis/stats.h"

namespace sg {
namespace analysis {
namespace {

// The type-7 median of sorted values that may include +infinity, without forming inf - inf or
// 0 * inf: only the order statistics the median uses are read.
double MedianOfSorted(const std::vector<double>& sorted) {
  const size_t n = sorted.size();
  const size_t lo = (n - 1) / 2;
  if (n % 2 == 1) return sorted[lo];
  const double a = sorted[lo];
  const double b = sorted[lo + 1];
  if (std::isinf(b)) return b;
  return a + 0.5 * (b - a);
}

}  // namespace

std::optional<CensoredMedian> MedianWithCensoring(const std::vector<EventTime>& times) {
  if (times.empty()) return std::nullopt;
  std::vector<double> at_horizon, at_infinity;
  at_horizon.reserve(times.size());
  at_infinity.reserve(times.size());
  for (const EventTime& t : times) {
    at_horizon.push_back(t.step);
    at_infinity.push_back(t.censored ? std::numeric_limits<double>::infinity() : t.step);
  }
  std::sort(at_horizon.begin(), at_horizon.end());
  std::sort(at_infinity.begin(), at_infinity.end());
  const double lower = MedianOfSorted(at_horizon);
  const double upper = MedianOfSorted(at_infinity);
  return CensoredMedian{lower, !(upper == lower)};
}

}  // namespace analysis
}  // namespace sg
