// Coordinator: the queue's plain logic between the gRPC services and the Store. It parses and
// expands sweep specs, applies the scheduling policy and reads time from the injected Clock.
// The gRPC handlers (sweep_service.cc, worker_service.cc) only validate, convert and call this.
//
// Thread-safety: every method may be called from any thread (the Store serialises writes).
#ifndef SG_COORDINATOR_COORDINATOR_H_
#define SG_COORDINATOR_COORDINATOR_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "common/sweep_spec.h"
#include "common/clock.h"
#include "coordinator/metric_committer.h"
#include "coordinator/progress_rate.h"
#include "coordinator/run_analysis_cache.h"
#include "coordinator/store.h"

namespace sg {

struct CoordinatorOptions {
  QueuePolicy policy;                  // lease length, backoff, attempts (defaults in store.h)
  int64_t max_runs_per_sweep = 10000;  // larger grids are refused at submit
  int32_t max_pack_size = 64;          // ClaimJobs hands out at most this many runs at once
};

struct SubmitResult {
  SweepRecord sweep;
  bool created = false;  // false: a sweep of that name existed and was returned unchanged
};

class Coordinator {
 public:
  // `store` and `clock` must outlive the Coordinator.
  Coordinator(Store* store, Clock* clock, CoordinatorOptions options);

  const CoordinatorOptions& options() const { return options_; }
  Store* store() const { return store_; }
  int64_t NowMillis() const { return clock_->NowMillis(); }

  // Parses, validates and expands the spec (kInvalidArgument naming file, line and field), then
  // creates the sweep with one queued run per (cell, seed); idempotent by name.
  absl::StatusOr<SubmitResult> SubmitSweep(const std::string& spec_yaml,
                                           const std::string& source_name);
  // By id when sweep_id > 0, else by name. kNotFound names what was looked for.
  absl::StatusOr<SweepRecord> FindSweep(int64_t sweep_id, const std::string& name);

  absl::StatusOr<ClaimResult> ClaimJobs(const std::string& worker_id, int32_t max_runs);
  // Renews leases and records progress; each run's steps_per_second is measured from a window
  // of its reported steps (progress_rate.h), not taken from the worker.
  absl::StatusOr<HeartbeatResult> Heartbeat(const std::string& worker_id,
                                            const std::vector<Lease>& leases,
                                            const std::vector<ProgressUpdate>& progress);
  absl::Status FailJob(const Lease& lease, const std::string& reason, bool retryable);
  // Refuses (kFailedPrecondition naming the missing steps) while an evaluation step of the run
  // up to final_step lacks an evaluation metric (evaluation_check.h).
  absl::Status CompleteJob(const Lease& lease, int64_t final_step);
  absl::Status ReleaseJob(const Lease& lease);
  // Commits the points (fenced by the leases), then feeds the grokking analysis.
  absl::Status RecordMetrics(const std::vector<Lease>& leases,
                             const std::vector<MetricPointRecord>& points);
  RunAnalysisCache& analysis_cache() { return analysis_cache_; }
  absl::StatusOr<int64_t> CancelSweep(int64_t sweep_id);
  absl::StatusOr<bool> CancelRun(int64_t run_id);
  // Re-queues runs whose lease expired; called periodically by the server.
  absl::StatusOr<int64_t> RequeueExpired();

 private:
  // The resolved training config of a run (its sweep's train block with its cell applied). The
  // sweep's base config is parsed once and cached: specs never change after submit.
  absl::StatusOr<TrainConfig> RunConfig(const RunRecord& run);

  Store* const store_;
  Clock* const clock_;
  const CoordinatorOptions options_;
  MetricCommitter committer_;
  RunAnalysisCache analysis_cache_;
  ProgressRate rates_;
  std::mutex config_mu_;
  std::map<int64_t, TrainConfig> base_configs_ ABSL_GUARDED_BY(config_mu_);
};

}  // namespace sg

#endif  // SG_COORDINATOR_COORDINATOR_H_
