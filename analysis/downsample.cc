#include "analysis/downsample.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace sg {
namespace analysis {
namespace {

// Maps a step to a coordinate in which the buckets have equal width.
double Coordinate(int64_t step, bool log_steps) {
  if (!log_steps) return static_cast<double>(step);
  return std::log(static_cast<double>(std::max<int64_t>(step, 1)));
}

// Whether `v` replaces `best` as a bucket's maximum. NaN ranks above every number, +Inf
// included, so a bucket that holds a NaN keeps one; strict comparisons keep the earliest of
// equal values, so a plateau adds no points.
bool AboveForMax(double v, double best) {
  if (std::isnan(best)) return false;
  return std::isnan(v) || v > best;
}

// Appends the bucket [begin, end)'s first, min, max and last points in step order, each once.
// The minimum is over the non-NaN values (-Inf is an ordinary minimum), the maximum as above:
// a bucket holding a NaN, +Inf or -Inf always keeps one of them.
void EmitBucket(const Curve& curve, size_t begin, size_t end, std::vector<size_t>* out) {
  size_t min_i = begin, max_i = begin;
  bool have_min = false;
  for (size_t i = begin; i < end; ++i) {
    const double v = curve[i].value;
    if (AboveForMax(v, curve[max_i].value)) max_i = i;
    if (std::isnan(v)) continue;
    if (!have_min || v < curve[min_i].value) {
      min_i = i;
      have_min = true;
    }
  }
  size_t picks[4] = {begin, min_i, max_i, end - 1};
  std::sort(picks, picks + 4);
  for (int k = 0; k < 4; ++k) {
    if (k > 0 && picks[k] == picks[k - 1]) continue;
    out->push_back(picks[k]);
  }
}

}  // namespace

absl::Status ValidateDownsampleOptions(const DownsampleOptions& options) {
  if (options.max_points < 0 || (options.max_points > 0 && options.max_points < 4)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_points: must be 0 (full resolution) or at least 4 (a bucket keeps its first, "
        "minimum, maximum and last point), got ",
        options.max_points));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<size_t>> DownsampleIndices(const Curve& curve,
                                                      const DownsampleOptions& options) {
  SG_RETURN_IF_ERROR(ValidateDownsampleOptions(options));
  SG_RETURN_IF_ERROR(ValidateCurve(curve, "downsample"));
  std::vector<size_t> out;
  if (options.max_points == 0 || static_cast<int64_t>(curve.size()) <= options.max_points) {
    out.resize(curve.size());
    for (size_t i = 0; i < curve.size(); ++i) out[i] = i;
    return out;
  }
  const int64_t buckets = options.max_points / 4;
  // Steps all <= 1 have no log spread; linear buckets are then the only meaningful ones.
  const bool log_steps = options.log_steps && curve.back().step > 1;
  const double lo = Coordinate(curve.front().step, log_steps);
  const double hi = Coordinate(curve.back().step, log_steps);
  // More than max_points points with strictly increasing steps means hi > lo.
  const double width = (hi - lo) / static_cast<double>(buckets);
  // Bucket b starts at the first step whose coordinate reaches lo + b * width; comparing steps
  // with that boundary mapped back to step space avoids a log() per point.
  auto boundary = [&](int64_t b) {
    const double c = lo + static_cast<double>(b) * width;
    return log_steps ? std::exp(c) : c;
  };

  out.reserve(static_cast<size_t>(options.max_points));
  size_t begin = 0;
  int64_t next_bucket = 1;
  double next_start = boundary(1);
  for (size_t i = 0; i < curve.size(); ++i) {
    const double step = static_cast<double>(curve[i].step);
    if (next_bucket >= buckets || step < next_start) continue;
    if (i > begin) EmitBucket(curve, begin, i, &out);
    begin = i;
    // Skip the empty buckets between the previous point and this one.
    while (next_bucket < buckets && step >= next_start) next_start = boundary(++next_bucket);
  }
  EmitBucket(curve, begin, curve.size(), &out);
  return out;
}

absl::StatusOr<Curve> Downsample(const Curve& curve, const DownsampleOptions& options) {
  if (options.max_points == 0) {
    SG_RETURN_IF_ERROR(ValidateCurve(curve, "downsample"));
    return curve;
  }
  SG_ASSIGN_OR_RETURN(std::vector<size_t> keep, DownsampleIndices(curve, options));
  Curve out;
  out.reserve(keep.size());
  for (size_t i : keep) out.push_back(curve[i]);
  return out;
}

}  // namespace analysis
}  // namespace sg
