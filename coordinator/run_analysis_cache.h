// Keeps each run's val_acc and gen_acc curves in memory, updated as points are committed, so
// the grokking analysis of a whole sweep is answered without reading curves from SQLite.
// A run is loaded from the Store on first use; points committed while it loads are merged.
// A run whose two curves hold more than kCachedPointsPerRun points (e.g. 300k points each, one
// per step) is neither loaded nor kept: it is analysed from the curves' block summaries
// (Store::GetPointBlocks) plus the few blocks, read whole, in which a definition of
// analysis/grokking.h finds its answer (the first block reaching the saturation or tolerance
// level in use; the first block above the grok threshold and the last one with a point at
// or below it; the block of the early-stopping step; every block holding a NaN). The other
// blocks contribute their first, minimum, maximum and last points, which change none of those
// answers, so the analysis equals AnalyzeRun over every point.
//
// Thread-safe. Observe() must be called after the points are committed, so the cache never
// holds a point the Store lacks. Two concurrent reports of one (run, metric, step) with
// different values may be applied here in the other order than in the Store; re-sent points
// carry equal values, so this does not arise in practice.
#ifndef SG_COORDINATOR_RUN_ANALYSIS_CACHE_H_
#define SG_COORDINATOR_RUN_ANALYSIS_CACHE_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "analysis/grokking.h"
#include "coordinator/store.h"

namespace sg {

class RunAnalysisCache {
 public:
  // `store` must outlive the cache. `options` name the two metrics followed.
  RunAnalysisCache(Store* store, analysis::GrokOptions options);

  // Records committed points (points of other metrics are ignored).
  void Observe(const std::vector<MetricPointRecord>& points);

  // The run's analysis under `options` (whose metric names must equal the cache's).
  absl::StatusOr<analysis::RunAnalysis> Analyze(const RunRecord& run,
                                                const analysis::GrokOptions& options);

  const analysis::GrokOptions& default_options() const { return options_; }

  static constexpr int64_t kCachedPointsPerRun = 20000;

 private:
  absl::StatusOr<analysis::RunAnalysis> AnalyzeFromBlocks(
      const RunRecord& run, const analysis::GrokOptions& options,
      const std::vector<PointBlock>& val_blocks, const std::vector<PointBlock>& gen_blocks);
  // The curve made of the blocks marked `whole` (every point) and the others' first, minimum,
  // maximum and last points; blocks not whole must hold no NaN.
  absl::StatusOr<analysis::Curve> ReducedCurve(int64_t run_id, const std::string& metric,
                                               const std::vector<PointBlock>& blocks,
                                               const std::vector<bool>& whole);

  struct Entry {
    std::mutex mu;
    bool loaded ABSL_GUARDED_BY(mu) = false;
    // Sorted by step, steps unique. Vectors, not maps: 16 bytes a point instead of a tree node
    // (about 64), which for 50 runs of 300k-point curves is the difference between 0.5 and 2 GB;
    // points arrive in step order, so keeping them sorted is an append.
    analysis::Curve val ABSL_GUARDED_BY(mu);
    analysis::Curve gen ABSL_GUARDED_BY(mu);
  };

  std::shared_ptr<Entry> GetOrCreate(int64_t run_id, bool create);
  absl::Status Load(int64_t run_id, Entry& entry);

  Store* const store_;
  const analysis::GrokOptions options_;
  std::mutex mu_;
  absl::flat_hash_map<int64_t, std::shared_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sg

#endif  // SG_COORDINATOR_RUN_ANALYSIS_CACHE_H_
