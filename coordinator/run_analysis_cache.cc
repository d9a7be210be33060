#include "coordinator/run_analysis_cache.h"

#include <algorithm>
#include <utility>

#include "common/status_macros.h"

namespace sg {

namespace {

// Sets the value at `step` (replacing one there, if `replace`), keeping the curve sorted.
void Put(analysis::Curve& curve, int64_t step, double value, bool replace) {
  if (curve.empty() || curve.back().step < step) {
    curve.push_back(analysis::Point{step, value});
    return;
  }
  auto it = std::lower_bound(curve.begin(), curve.end(), step,
                             [](const analysis::Point& p, int64_t s) { return p.step < s; });
  if (it != curve.end() && it->step == step) {
    if (replace) it->value = value;
    return;
  }
  curve.insert(it, analysis::Point{step, value});
}

}  // namespace

RunAnalysisCache::RunAnalysisCache(Store* store, analysis::GrokOptions options)
    : store_(store), options_(std::move(options)) {}

std::shared_ptr<RunAnalysisCache::Entry> RunAnalysisCache::GetOrCreate(int64_t run_id,
                                                                      bool create) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(run_id);
  if (it != entries_.end()) return it->second;
  if (!create) return nullptr;
  auto entry = std::make_shared<Entry>();
  entries_.emplace(run_id, entry);
  return entry;
}

void RunAnalysisCache::Observe(const std::vector<MetricPointRecord>& points) {
  for (const MetricPointRecord& p : points) {
    const bool is_val = p.metric == options_.val_metric;
    if (!is_val && p.metric != options_.gen_metric) continue;
    // Runs nobody asked about yet are not cached: their first Analyze loads them whole.
    std::shared_ptr<Entry> entry = GetOrCreate(p.run_id, /*create=*/false);
    if (entry == nullptr) continue;
    std::lock_guard<std::mutex> lock(entry->mu);
    Put(is_val ? entry->val : entry->gen, p.step, p.value, /*replace=*/true);
  }
}

absl::Status RunAnalysisCache::Load(int64_t run_id, Entry& entry) {
  SG_ASSIGN_OR_RETURN(std::vector<Point> val, store_->GetCurve(run_id, options_.val_metric));
  SG_ASSIGN_OR_RETURN(std::vector<Point> gen, store_->GetCurve(run_id, options_.gen_metric));
  std::lock_guard<std::mutex> lock(entry.mu);
  // Points observed while loading were committed after the read began: they win (an existing
  // step is kept).
  auto merge = [](const std::vector<Point>& read, analysis::Curve& curve) {
    if (curve.empty()) {
      curve.reserve(read.size());
      for (const Point& p : read) curve.push_back(analysis::Point{p.step, p.value});
      return;
    }
    for (const Point& p : read) Put(curve, p.step, p.value, /*replace=*/false);
  };
  merge(val, entry.val);
  merge(gen, entry.gen);
  entry.loaded = true;
  return absl::OkStatus();
}

absl::StatusOr<analysis::Curve> RunAnalysisCache::ReducedCurve(
    int64_t run_id, const std::string& metric, const std::vector<PointBlock>& blocks,
    const std::vector<bool>& whole) {
  analysis::Curve out;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const PointBlock& b = blocks[i];
    if (whole[i]) {
      const int64_t end = (b.block + 1) * kPointBlockSteps;
      SG_ASSIGN_OR_RETURN(std::vector<Point> points,
                          store_->GetCurveWindow(run_id, metric, b.block * kPointBlockSteps,
                                                 b.points));
      for (const Point& p : points) {
        if (p.step < end) out.push_back(analysis::Point{p.step, p.value});
      }
      continue;
    }
    // A block without NaN: its first, minimum, maximum and last points.
    for (const Point& p : {b.first, *b.min, *b.max, b.last}) {
      out.push_back(analysis::Point{p.step, p.value});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const analysis::Point& a, const analysis::Point& b) { return a.step < b.step; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const analysis::Point& a, const analysis::Point& b) {
                          return a.step == b.step;
                        }),
            out.end());
  return out;
}

absl::StatusOr<analysis::RunAnalysis> RunAnalysisCache::AnalyzeFromBlocks(
    const RunRecord& run, const analysis::GrokOptions& options,
    const std::vector<PointBlock>& val_blocks, const std::vector<PointBlock>& gen_blocks) {
  // Blocks read whole: those holding a NaN (a NaN is a missing point, so the block's extremes
  // alone could misplace the points around it) and those where a definition's answer lies.
  auto with_nan = [](const std::vector<PointBlock>& blocks) {
    std::vector<bool> whole(blocks.size());
    for (size_t i = 0; i < blocks.size(); ++i) whole[i] = blocks[i].first_nan_step.has_value();
    return whole;
  };
  // The first block whose maximum reaches `level` (>= or, strictly, >).
  auto first_reaching = [](const std::vector<PointBlock>& blocks, double level, bool strict,
                           std::vector<bool>* whole) {
    for (size_t i = 0; i < blocks.size(); ++i) {
      const std::optional<Point>& m = blocks[i].max;
      if (m && (strict ? m->value > level : m->value >= level)) {
        (*whole)[i] = true;
        return;
      }
    }
  };
  std::vector<bool> val_whole = with_nan(val_blocks);
  std::optional<double> best;
  for (const PointBlock& b : val_blocks) {
    if (b.max && (!best || b.max->value > *best)) best = b.max->value;
  }
  if (best) {
    // The levels AnalyzeRun looks for under these options. The best itself needs no whole
    // block: the first block reaching it holds it as its maximum, the earliest of equals.
    if (options.saturation == analysis::SaturationRule::kAbsolute) {
      first_reaching(val_blocks, options.saturation_threshold, false, &val_whole);
    } else if (*best > 0) {
      first_reaching(val_blocks, options.saturation_fraction * *best, false, &val_whole);
    }
    if (options.early_stop == analysis::EarlyStopRule::kWithinTolerance) {
      first_reaching(val_blocks, *best - options.early_stop_tolerance, false, &val_whole);
    }
  }
  SG_ASSIGN_OR_RETURN(analysis::Curve val,
                      ReducedCurve(run.run_id, options.val_metric, val_blocks, val_whole));
  SG_ASSIGN_OR_RETURN(analysis::RunAnalysis from_val,
                      analysis::AnalyzeRun(val, {}, false, options));

  std::vector<bool> gen_whole = with_nan(gen_blocks);
  first_reaching(gen_blocks, options.grok_threshold, true, &gen_whole);
  // The last block with a point at or below the threshold: grok_step follows its last one.
  for (size_t i = gen_blocks.size(); i-- > 0;) {
    const std::optional<Point>& m = gen_blocks[i].min;
    if (m && !(m->value > options.grok_threshold)) {
      gen_whole[i] = true;
      break;
    }
  }
  if (from_val.early_stop_step) {
    const int64_t block = PointBlockOf(*from_val.early_stop_step);
    for (size_t i = 0; i < gen_blocks.size(); ++i) {
      if (gen_blocks[i].block == block) gen_whole[i] = true;
    }
  }
  SG_ASSIGN_OR_RETURN(analysis::Curve gen,
                      ReducedCurve(run.run_id, options.gen_metric, gen_blocks, gen_whole));
  return analysis::AnalyzeRun(val, gen, run.state == RunState::kSucceeded, options);
}

absl::StatusOr<analysis::RunAnalysis> RunAnalysisCache::Analyze(
    const RunRecord& run, const analysis::GrokOptions& options) {
  if (options.val_metric != options_.val_metric || options.gen_metric != options_.gen_metric) {
    return absl::InvalidArgumentError("analysis metrics: only val_acc and gen_acc are followed");
  }
  if (GetOrCreate(run.run_id, /*create=*/false) == nullptr) {
    // Not cached yet: a long run is analysed from its block summaries and never cached.
    SG_ASSIGN_OR_RETURN(std::vector<PointBlock> val_blocks,
                        store_->GetPointBlocks(run.run_id, options_.val_metric));
    SG_ASSIGN_OR_RETURN(std::vector<PointBlock> gen_blocks,
                        store_->GetPointBlocks(run.run_id, options_.gen_metric));
    int64_t points = 0;
    for (const PointBlock& b : val_blocks) points += b.points;
    for (const PointBlock& b : gen_blocks) points += b.points;
    if (points > kCachedPointsPerRun) {
      return AnalyzeFromBlocks(run, options, val_blocks, gen_blocks);
    }
  }
  std::shared_ptr<Entry> entry = GetOrCreate(run.run_id, /*create=*/true);
  bool loaded;
  {
    std::lock_guard<std::mutex> lock(entry->mu);
    loaded = entry->loaded;
  }
  if (!loaded) SG_RETURN_IF_ERROR(Load(run.run_id, *entry));
  analysis::Curve val, gen;
  {
    std::lock_guard<std::mutex> lock(entry->mu);
    val = entry->val;
    gen = entry->gen;
  }
  return analysis::AnalyzeRun(val, gen, run.state == RunState::kSucceeded, options);
}

}  // namespace sg
