#include "coordinator/block_downsample.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "analysis/stats.h"
#include "common/status_macros.h"

namespace sg {

namespace {

constexpr int64_t kMinStep = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxStep = std::numeric_limits<int64_t>::max();

// Adds `b` (later in step order) to `acc`, keeping the rules of a downsampling bucket: the
// earliest of equal minima and maxima.
void Merge(std::optional<PointBlock>& acc, const PointBlock& b) {
  if (!acc) {
    acc = b;
    return;
  }
  acc->points += b.points;
  acc->last = b.last;
  if (!acc->first_nan_step && b.first_nan_step) acc->first_nan_step = b.first_nan_step;
  if (b.min && (!acc->min || b.min->value < acc->min->value)) acc->min = b.min;
  if (b.max && (!acc->max || b.max->value > acc->max->value)) acc->max = b.max;
}

PointBlock OnePoint(const Point& p) {
  std::vector<PointBlock> one = SummarizeBlocks({p});
  return one[0];
}

// The bucket's first, minimum, maximum and last points in step order, each once: the picks of
// analysis::Downsample (the minimum over non-NaN values, else the first point; the maximum is
// the first NaN when the bucket holds one, else the earliest greatest value).
void EmitBucket(const PointBlock& b, analysis::Curve* out) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Point mn = b.min ? *b.min : b.first;
  Point mx = b.first;
  if (!std::isnan(b.first.value)) {
    if (b.first_nan_step) {
      mx = Point{*b.first_nan_step, nan};
    } else if (b.max) {
      mx = *b.max;
    }
  }
  Point picks[4] = {b.first, mn, mx, b.last};
  std::sort(picks, picks + 4, [](const Point& x, const Point& y) { return x.step < y.step; });
  for (int k = 0; k < 4; ++k) {
    if (k > 0 && picks[k].step == picks[k - 1].step) continue;
    out->push_back(analysis::Point{picks[k].step, picks[k].value});
  }
}

int64_t TotalPoints(const std::vector<PointBlock>& blocks) {
  int64_t n = 0;
  for (const PointBlock& b : blocks) n += b.points;
  return n;
}

// The statistics of the finite `values` at `step` (as analysis::AggregateSeeds computes them).
analysis::AggregatePoint Summarise(int64_t step, std::vector<double> values, int64_t non_finite) {
  std::sort(values.begin(), values.end());
  analysis::AggregatePoint p;
  p.step = step;
  p.n = static_cast<int64_t>(values.size());
  p.non_finite = non_finite;
  if (values.empty()) {
    p.mean = p.median = p.p10 = p.p25 = p.p75 = p.p90 = p.min = p.max =
        std::numeric_limits<double>::quiet_NaN();
    return p;
  }
  p.mean = analysis::Mean(values);
  p.median = analysis::SortedQuantile(values, 0.5);
  p.p10 = analysis::SortedQuantile(values, 0.10);
  p.p25 = analysis::SortedQuantile(values, 0.25);
  p.p75 = analysis::SortedQuantile(values, 0.75);
  p.p90 = analysis::SortedQuantile(values, 0.90);
  p.min = values.front();
  p.max = values.back();
  return p;
}

int64_t MedianStep(std::vector<int64_t> steps) {
  std::sort(steps.begin(), steps.end());
  return steps[(steps.size() - 1) / 2];
}

}  // namespace

BlockBuckets MakeBlockBuckets(int64_t lo, int64_t hi,
                              const analysis::DownsampleOptions& options) {
  BlockBuckets out;
  out.raw_end = kMaxStep;
  out.starts.push_back(kMinStep);
  const int64_t buckets = options.max_points / 4;
  if (buckets <= 1 || hi <= lo) return out;
  // As analysis::DownsampleIndices: log buckets only when the steps spread above 1.
  const bool log_steps = options.log_steps && hi > 1;
  auto coordinate = [&](int64_t step) {
    return log_steps ? std::log(static_cast<double>(std::max<int64_t>(step, 1)))
                     : static_cast<double>(step);
  };
  const double c_lo = coordinate(lo);
  const double width = (coordinate(hi) - c_lo) / static_cast<double>(buckets);
  auto boundary = [&](int64_t b) {
    const double c = c_lo + static_cast<double>(b) * width;
    return log_steps ? std::exp(c) : c;
  };
  bool snapping = false;
  for (int64_t b = 1; b < buckets; ++b) {
    const double x = boundary(b);
    // Bucket b holds the steps >= x: the first integer step is ceil(x).
    int64_t start = static_cast<int64_t>(std::ceil(x));
    if (!snapping && x - boundary(b - 1) >= static_cast<double>(kPointBlockSteps / 2)) {
      snapping = true;
    }
    if (snapping) {
      start = (PointBlockOf(start - 1) + 1) * kPointBlockSteps;  // rounded up to a block
      if (out.raw_end == kMaxStep) out.raw_end = start;
    }
    if (out.starts.size() > 1) start = std::max(start, out.starts.back());
    out.starts.push_back(start);
  }
  return out;
}

absl::StatusOr<std::vector<std::optional<PointBlock>>> BucketSummaries(
    Store& store, int64_t run_id, const std::string& metric, const std::vector<PointBlock>& blocks,
    const BlockBuckets& buckets) {
  std::vector<std::optional<PointBlock>> out(buckets.starts.size());
  if (blocks.empty()) return out;
  size_t bucket = 0;
  auto add = [&](const PointBlock& b) {
    while (bucket + 1 < buckets.starts.size() && b.first.step >= buckets.starts[bucket + 1]) {
      ++bucket;
    }
    Merge(out[bucket], b);
  };
  // The points below raw_end, read in one window (the blocks say how many there are).
  int64_t raw_points = 0;
  for (const PointBlock& b : blocks) {
    if (b.first.step < buckets.raw_end) raw_points += b.points;
  }
  if (raw_points > 0) {
    SG_ASSIGN_OR_RETURN(std::vector<Point> raw,
                        store.GetCurveWindow(run_id, metric, blocks.front().first.step,
                                             raw_points));
    for (const Point& p : raw) {
      if (p.step < buckets.raw_end) add(OnePoint(p));
    }
  }
  for (const PointBlock& b : blocks) {
    if (b.first.step >= buckets.raw_end) add(b);
  }
  return out;
}

absl::StatusOr<analysis::Curve> DownsampleFromBlocks(Store& store, int64_t run_id,
                                                     const std::string& metric,
                                                     const std::vector<PointBlock>& blocks,
                                                     const analysis::DownsampleOptions& options) {
  SG_RETURN_IF_ERROR(analysis::ValidateDownsampleOptions(options));
  const int64_t total = TotalPoints(blocks);
  if (total <= kExactDownsamplePoints || total <= options.max_points) {
    SG_ASSIGN_OR_RETURN(std::vector<Point> points, store.GetCurve(run_id, metric));
    analysis::Curve curve;
    curve.reserve(points.size());
    for (const Point& p : points) curve.push_back(analysis::Point{p.step, p.value});
    return analysis::Downsample(curve, options);
  }
  const BlockBuckets buckets =
      MakeBlockBuckets(blocks.front().first.step, blocks.back().last.step, options);
  SG_ASSIGN_OR_RETURN(std::vector<std::optional<PointBlock>> summaries,
                      BucketSummaries(store, run_id, metric, blocks, buckets));
  analysis::Curve out;
  for (const std::optional<PointBlock>& b : summaries) {
    if (b) EmitBucket(*b, &out);
  }
  return out;
}

absl::StatusOr<analysis::AggregateCurve> AggregateFromBlocks(
    Store& store, const std::string& metric, const std::vector<const analysis::SeedCurve*>& seeds,
    const std::vector<const std::vector<PointBlock>*>& blocks,
    const analysis::DownsampleOptions& options) {
  SG_RETURN_IF_ERROR(analysis::ValidateDownsampleOptions(options));
  analysis::AggregateCurve out;
  int64_t lo = kMaxStep, hi = kMinStep;
  for (size_t i = 0; i < seeds.size(); ++i) {
    const std::vector<PointBlock>& b = *blocks[i];
    analysis::SeedInfo info;
    info.run_id = seeds[i]->run_id;
    info.seed = seeds[i]->seed;
    info.finished = seeds[i]->finished;
    info.last_step = b.empty() ? 0 : b.back().last.step;
    info.num_points = TotalPoints(b);
    out.seeds.push_back(info);
    if (!seeds[i]->finished) ++out.unfinished_seeds;
    if (b.empty()) continue;
    lo = std::min(lo, b.front().first.step);
    hi = std::max(hi, b.back().last.step);
  }
  if (lo > hi) return out;
  const BlockBuckets buckets = MakeBlockBuckets(lo, hi, options);
  std::vector<std::vector<std::optional<PointBlock>>> per_seed;
  for (size_t i = 0; i < seeds.size(); ++i) {
    SG_ASSIGN_OR_RETURN(std::vector<std::optional<PointBlock>> s,
                        BucketSummaries(store, seeds[i]->run_id, metric, *blocks[i], buckets));
    per_seed.push_back(std::move(s));
  }
  auto finite_or_count = [](double v, std::vector<double>* values, int64_t* non_finite) {
    if (std::isfinite(v)) {
      values->push_back(v);
    } else {
      ++*non_finite;
    }
  };
  for (size_t k = 0; k < buckets.starts.size(); ++k) {
    std::vector<double> first, low, high, last;
    int64_t first_bad = 0, low_bad = 0, high_bad = 0, last_bad = 0;
    std::vector<int64_t> low_steps, high_steps;
    int64_t first_step = kMaxStep, last_step = kMinStep;
    for (const auto& seed : per_seed) {
      const std::optional<PointBlock>& b = seed[k];
      if (!b) continue;
      first_step = std::min(first_step, b->first.step);
      last_step = std::max(last_step, b->last.step);
      finite_or_count(b->first.value, &first, &first_bad);
      finite_or_count(b->last.value, &last, &last_bad);
      const bool has_nan = b->first_nan_step.has_value();
      if (b->min) {
        finite_or_count(b->min->value, &low, &low_bad);
        low_steps.push_back(b->min->step);
      } else {
        ++low_bad;
      }
      if (b->max) {
        finite_or_count(b->max->value, &high, &high_bad);
        high_steps.push_back(b->max->step);
      } else {
        ++high_bad;
      }
      // A NaN in the bucket is never dropped silently: it counts where the extremes are.
      if (has_nan && b->min) ++low_bad;
      if (has_nan && b->max) ++high_bad;
    }
    if (first_step == kMaxStep) continue;  // no seed has a point in this bucket
    out.points.push_back(Summarise(first_step, first, first_bad));
    if (last_step == first_step) continue;
    // The minimum and maximum rows, in the order of their steps, each on a step of its own
    // strictly between the first and last rows' steps.
    struct Middle {
      int64_t step;
      std::vector<double>* values;
      int64_t bad;
    };
    std::vector<Middle> middles;
    if (!low_steps.empty() || low_bad > 0) {
      middles.push_back({low_steps.empty() ? first_step : MedianStep(low_steps), &low, low_bad});
    }
    if (!high_steps.empty() || high_bad > 0) {
      middles.push_back(
          {high_steps.empty() ? first_step : MedianStep(high_steps), &high, high_bad});
    }
    std::stable_sort(middles.begin(), middles.end(),
                     [](const Middle& a, const Middle& b) { return a.step < b.step; });
    int64_t previous = first_step;
    for (Middle& m : middles) {
      const int64_t step = std::max(m.step, previous + 1);
      if (step >= last_step) break;
      out.points.push_back(Summarise(step, *m.values, m.bad));
      previous = step;
    }
    out.points.push_back(Summarise(last_step, last, last_bad));
  }
  return out;
}

}  // namespace sg
