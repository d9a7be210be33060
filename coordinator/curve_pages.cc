#include "coordinator/curve_pages.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace sg {
namespace {

// Points of a step-sorted repeated field, as the first index with step >= s.
template <typename Points>
int64_t FirstAtOrAfter(const Points& points, int64_t s) {
  auto it = std::lower_bound(points.begin(), points.end(), s,
                             [](const auto& p, int64_t step) { return p.step() < step; });
  return it - points.begin();
}

template <typename Points>
void KeepWindow(int64_t start, int64_t end, Points* points) {
  const int64_t lo = FirstAtOrAfter(*points, start);
  const int64_t hi = end == std::numeric_limits<int64_t>::max()
                         ? points->size()
                         : FirstAtOrAfter(*points, end);
  // Delete the tail first so the head's indices stay valid.
  if (hi < points->size()) points->DeleteSubrange(static_cast<int>(hi), points->size() - hi);
  if (lo > 0) points->DeleteSubrange(0, static_cast<int>(lo));
}

}  // namespace

void CutCurvePage(int64_t start_step, int64_t page_bytes, v1::GetCurvesResponse* response) {
  // Bytes of the points in [start_step, end).
  auto bytes_before = [&](int64_t end) {
    int64_t total = 0;
    for (const v1::Curve& c : response->curves()) {
      total += (FirstAtOrAfter(c.points(), end) - FirstAtOrAfter(c.points(), start_step)) *
               kCurvePointBytes;
    }
    for (const v1::AggregateCurve& a : response->aggregates()) {
      total += (FirstAtOrAfter(a.points(), end) - FirstAtOrAfter(a.points(), start_step)) *
               kAggregatePointBytes;
    }
    return total;
  };
  int64_t first = std::numeric_limits<int64_t>::max();  // the first step present
  int64_t last = std::numeric_limits<int64_t>::min();
  auto scan = [&](const auto& points) {
    const int64_t i = FirstAtOrAfter(points, start_step);
    if (i < points.size()) {
      first = std::min<int64_t>(first, points[static_cast<int>(i)].step());
      last = std::max<int64_t>(last, points[points.size() - 1].step());
    }
  };
  for (const v1::Curve& c : response->curves()) scan(c.points());
  for (const v1::AggregateCurve& a : response->aggregates()) scan(a.points());

  int64_t end = std::numeric_limits<int64_t>::max();
  if (first == std::numeric_limits<int64_t>::max() || bytes_before(last + 1) <= page_bytes) {
    response->set_next_start_step(0);  // everything left fits (or nothing is left)
  } else {
    // The largest end whose window fits, by binary search over step values; at least first+1.
    int64_t lo = first + 1, hi = last + 1;  // bytes_before(hi) > page_bytes
    while (lo + 1 < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (bytes_before(mid) <= page_bytes) lo = mid; else hi = mid;
    }
    end = lo;
    response->set_next_start_step(end);
  }
  KeepCurveWindow(start_step, end, response);
}

void KeepCurveWindow(int64_t start_step, int64_t end_step, v1::GetCurvesResponse* response) {
  for (v1::Curve& c : *response->mutable_curves()) {
    KeepWindow(start_step, end_step, c.mutable_points());
  }
  for (v1::AggregateCurve& a : *response->mutable_aggregates()) {
    KeepWindow(start_step, end_step, a.mutable_points());
  }
}

}  // namespace sg
