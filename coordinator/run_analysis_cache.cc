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

absl::StatusOr<analysis::RunAnalysis> RunAnalysisCache::Analyze(
    const RunRecord& run, const analysis::GrokOptions& options) {
  if (options.val_metric != options_.val_metric || options.gen_metric != options_.gen_metric) {
    return absl::InvalidArgumentError("analysis metrics: only val_acc and gen_acc are followed");
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
