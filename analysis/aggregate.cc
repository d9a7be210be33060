#include "analysis/aggregate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "analysis/downsample.h"
#include "analysis/grouping.h"
#include "analysis/stats.h"
#include "common/status_macros.h"

namespace sg {
namespace analysis {
namespace {

// The statistics of the finite `values` at `step` (every one NaN when there are none).
AggregatePoint Summarise(int64_t step, std::vector<double>* values, int64_t non_finite) {
  std::sort(values->begin(), values->end());
  AggregatePoint p;
  p.step = step;
  p.n = static_cast<int64_t>(values->size());
  p.non_finite = non_finite;
  if (values->empty()) {
    p.mean = p.median = p.p10 = p.p25 = p.p75 = p.p90 = p.min = p.max =
        std::numeric_limits<double>::quiet_NaN();
    return p;
  }
  p.mean = Mean(*values);
  p.median = SortedQuantile(*values, 0.5);
  p.p10 = SortedQuantile(*values, 0.10);
  p.p25 = SortedQuantile(*values, 0.25);
  p.p75 = SortedQuantile(*values, 0.75);
  p.p90 = SortedQuantile(*values, 0.90);
  p.min = values->front();
  p.max = values->back();
  return p;
}

// A k-way walk over sorted curves: each grid step is the smallest step not yet consumed.
class StepWalker {
 public:
  StepWalker(const std::vector<const SeedCurve*>& seeds, Alignment alignment)
      : seeds_(seeds), carry_(alignment == Alignment::kCarryForward), cursor_(seeds.size(), 0) {}

  // Sets the next grid step (a step some seed logged), the seeds' finite values there and how
  // many seeds have a NaN or infinite value there; false once every curve is consumed.
  bool Next(int64_t* step_out, std::vector<double>* values, int64_t* non_finite) {
    constexpr int64_t kDone = std::numeric_limits<int64_t>::max();
    int64_t step = kDone;
    for (size_t k = 0; k < seeds_.size(); ++k) {
      if (cursor_[k] < seeds_[k]->points.size()) {
        step = std::min(step, seeds_[k]->points[cursor_[k]].step);
      }
    }
    if (step == kDone) return false;
    values->clear();
    *non_finite = 0;
    for (size_t k = 0; k < seeds_.size(); ++k) {
      const Curve& c = seeds_[k]->points;
      size_t& i = cursor_[k];
      double v;
      if (i < c.size() && c[i].step == step) {
        v = c[i].value;
        ++i;
      } else if (carry_ && i > 0 && i < c.size()) {
        v = c[i - 1].value;  // started, not yet ended: the last value so far
      } else {
        continue;  // no value at this step
      }
      if (std::isfinite(v)) {
        values->push_back(v);
      } else {
        ++*non_finite;
      }
    }
    *step_out = step;
    return true;
  }

 private:
  const std::vector<const SeedCurve*>& seeds_;
  const bool carry_;
  std::vector<size_t> cursor_;
};

}  // namespace

absl::StatusOr<AggregateCurve> AggregateSeeds(const std::vector<const SeedCurve*>& seeds,
                                              const AggregateOptions& options) {
  AggregateCurve out;
  for (const SeedCurve* s : seeds) {
    SG_RETURN_IF_ERROR(ValidateCurve(s->points, absl::StrCat("run ", s->run_id)));
    SeedInfo info;
    info.run_id = s->run_id;
    info.seed = s->seed;
    info.finished = s->finished;
    info.last_step = s->points.empty() ? 0 : s->points.back().step;
    info.num_points = static_cast<int64_t>(s->points.size());
    out.seeds.push_back(info);
    if (!s->finished) ++out.unfinished_seeds;
  }

  if (options.max_points == 0) {
    StepWalker walk(seeds, options.alignment);
    int64_t step, non_finite;
    std::vector<double> values;
    while (walk.Next(&step, &values, &non_finite)) {
      out.points.push_back(Summarise(step, &values, non_finite));
    }
    return out;
  }

  // Thinned: the first walk finds the median curve and the steps Downsample keeps from it; the
  // second computes every statistic at those steps only, so the cost of the full statistics
  // does not grow with the length of the curves.
  DownsampleOptions ds;
  ds.max_points = options.max_points;
  ds.log_steps = options.log_steps;
  SG_RETURN_IF_ERROR(ValidateDownsampleOptions(ds));
  Curve median;
  {
    StepWalker walk(seeds, options.alignment);
    int64_t step, non_finite;
    std::vector<double> values;
    while (walk.Next(&step, &values, &non_finite)) {
      std::sort(values.begin(), values.end());
      median.push_back({step, SortedQuantile(values, 0.5)});  // NaN where no value is finite
    }
  }
  SG_ASSIGN_OR_RETURN(std::vector<size_t> keep, DownsampleIndices(median, ds));
  out.points.reserve(keep.size());
  StepWalker walk(seeds, options.alignment);
  int64_t step, non_finite;
  std::vector<double> values;
  size_t index = 0, next = 0;
  while (next < keep.size() && walk.Next(&step, &values, &non_finite)) {
    if (index++ != keep[next]) continue;
    out.points.push_back(Summarise(step, &values, non_finite));
    ++next;
  }
  return out;
}

absl::StatusOr<std::vector<AggregateCurve>> AggregateByGroup(const std::vector<SeedCurve>& runs,
                                                             const AggregateOptions& options) {
  SG_ASSIGN_OR_RETURN(std::vector<RunGroup<SeedCurve>> groups, GroupRuns(runs, options.group_by));
  std::vector<AggregateCurve> out;
  out.reserve(groups.size());
  for (RunGroup<SeedCurve>& group : groups) {
    SG_ASSIGN_OR_RETURN(AggregateCurve curve, AggregateSeeds(group.runs, options));
    curve.group = std::move(group.key);
    curve.label = std::move(group.label);
    out.push_back(std::move(curve));
  }
  return out;
}

}  // namespace analysis
}  // namespace sg
