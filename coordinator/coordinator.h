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
#include "absl/synchronization/mutex.h"
#include "absl/status/statusor.h"
#include "common/sweep_spec.h"
#include "common/clock.h"
#include "common/secrets.h"
#include "coordinator/access_policy.h"
#include "coordinator/lease_grace.h"
#include "coordinator/metric_committer.h"
#include "coordinator/progress_rate.h"
#include "coordinator/run_analysis_cache.h"
#include "coordinator/store.h"
#include "coordinator/sweep_answer_cache.h"

namespace sg {

struct CoordinatorOptions {
  QueuePolicy policy;                  // lease length, backoff, attempts (defaults in store.h)
  int64_t max_runs_per_sweep = 10000;  // larger grids are refused at submit
  int32_t max_pack_size = 64;          // ClaimJobs hands out at most this many runs at once
  RandomSource* random = nullptr;      // lease tokens; null: SystemRandom() (must outlive)
};

// Lease tokens are this many random bytes (256 bits), as hex.
inline constexpr size_t kLeaseTokenBytes = 32;

// A sweep's labels for people: its spec's `tags:` and `notes:`.
struct SweepLabels {
  std::vector<std::string> tags;
  std::string notes;
};

// What ExtendSweep and RetryRuns did: the runs the selection held and the changes made.
struct RunChangesResult {
  int64_t matched_runs = 0;
  std::vector<RunChange> changes;
};

struct SubmitResult {
  SweepRecord sweep;
  bool created = false;  // false: a sweep of that name existed and was returned unchanged
};

// The metrics RecordAnalysisMetrics accepts: those computed from a model's weights alone
// (t_score, t_parseval, attn_entropy, weight_norm, weight_norm_ref). Losses and accuracies
// feed the grokking analysis and come only from the run's own lease holder.
const std::vector<std::string>& AnalysisMetricNames();

class Coordinator {
 public:
  // `store` and `clock` must outlive the Coordinator.
  Coordinator(Store* store, Clock* clock, CoordinatorOptions options);

  const CoordinatorOptions& options() const { return options_; }
  Store* store() const { return store_; }
  int64_t NowMillis() const { return clock_->NowMillis(); }

  // Parses, validates and expands the spec (kInvalidArgument naming file, line and field), then
  // creates the sweep with one queued run per (cell, seed), each storing its cell's resolved
  // config (ResolveRunConfig, common/run_config.h); idempotent by name. Audited.
  absl::StatusOr<SubmitResult> SubmitSweep(const std::string& spec_yaml,
                                           const std::string& source_name, const Caller& caller);
  // By id when sweep_id > 0, else by name. kNotFound names what was looked for.
  absl::StatusOr<SweepRecord> FindSweep(int64_t sweep_id, const std::string& name);
  // The tags and notes of the sweep's stored spec. They are read from the spec text, which was
  // validated at submit and never changes (so they are cached by sweep id), rather than stored
  // apart: they are the spec's own words, with nothing to resolve. A spec stored by an older
  // binary that no longer parses has none.
  SweepLabels LabelsOf(const SweepRecord& sweep);
  // Every sweep, oldest first; with `tags`, only those whose spec lists every one of them.
  absl::StatusOr<std::vector<SweepRecord>> ListSweeps(const std::vector<std::string>& tags);

  // Registers (or updates) the worker as owned by the caller; kPermissionDenied when the id
  // belongs to another identity. Audited.
  absl::StatusOr<WorkerRecord> RegisterWorker(WorkerRecord worker, const Caller& caller);
  // Leases up to max_runs runs under fresh random tokens, bound to the caller. kNotFound when
  // worker_id is not registered, kPermissionDenied when another identity registered it.
  absl::StatusOr<ClaimResult> ClaimJobs(const std::string& worker_id, int32_t max_runs,
                                        const Caller& caller,
                                        const std::string& device = "");  // kept in attempts
  // The leases' holder must be the caller (the service sets Lease::holder from it).
  // Renews leases and records progress; each run's steps_per_second is measured from a window
  // of its reported steps (progress_rate.h), not taken from the worker.
  absl::StatusOr<HeartbeatResult> Heartbeat(const std::string& worker_id,
                                            const std::vector<Lease>& leases,
                                            const std::vector<ProgressUpdate>& progress,
                                            const Caller& caller);
  absl::Status FailJob(const Lease& lease, const std::string& reason, bool retryable);
  // Refuses (kFailedPrecondition naming the missing steps) while an evaluation step of the run
  // up to final_step lacks an evaluation metric (evaluation_check.h).
  absl::Status CompleteJob(const Lease& lease, int64_t final_step);
  // CompleteJob for a trainer launched with the horizon `trained_steps` (0: unknown): when the
  // run's horizon was raised above it meanwhile, the run is queued again instead (true).
  absl::StatusOr<bool> FinishJob(const Lease& lease, int64_t final_step, int64_t trained_steps);
  absl::Status ReleaseJob(const Lease& lease);
  // Only the lease's holder may record a checkpoint (the store's fencing and holder check).
  absl::Status RecordCheckpoint(const Lease& lease, int64_t step, const std::string& path);
  // Commits the points (fenced by the leases), then feeds the grokking analysis.
  absl::Status RecordMetrics(const std::vector<Lease>& leases,
                             const std::vector<MetricPointRecord>& points);
  // Records what an offline analysis (sg-analyze) recomputed from a run's kept checkpoints on
  // that run's curves: no lease, so the run may have ended. Only AnalysisMetricNames() are
  // accepted, at steps >= 0 (kInvalidArgument naming the point otherwise; nothing is stored);
  // kNotFound for an unknown run. A point at a step the curve already has replaces it (the
  // recomputation is the newer value; the same points again change nothing). Audited.
  absl::Status RecordAnalysisMetrics(int64_t run_id, const std::vector<MetricPointRecord>& points,
                                     const Caller& caller);
  RunAnalysisCache& analysis_cache() { return analysis_cache_; }
  // Recent answers of the queries that read a whole sweep's curves (curve_query.cc), dropped by
  // every write above that can change them: points recorded, runs completed, failed, released,
  // cancelled, extended or retried. (Claims, heartbeats and expired leases change no such
  // answer: they move runs between queued and running, or to failed, and add no points.)
  SweepAnswerCache& answers() { return answers_; }
  // Audited.
  absl::StatusOr<int64_t> CancelSweep(int64_t sweep_id, const Caller& caller);
  absl::StatusOr<bool> CancelRun(int64_t run_id, const Caller& caller);
  // Sets the horizon of the sweep's runs (or those of the grid cells matching `cell`, "AXIS=V,...")
  // to `steps` (Store::ExtendRuns). kInvalidArgument for a bad cell or steps, kNotFound when no
  // run matches the cell. Audited.
  absl::StatusOr<RunChangesResult> ExtendSweep(int64_t sweep_id, int64_t steps,
                                               const std::string& cell, const Caller& caller);
  // Queues the sweep's failed and/or cancelled runs again (both when neither is asked for), or
  // only run_id (> 0), which must be one of them (else kFailedPrecondition saying its state).
  // Audited.
  absl::StatusOr<RunChangesResult> RetryRuns(int64_t sweep_id, bool failed, bool cancelled,
                                             int64_t run_id, const Caller& caller);
  // The newest `limit` audit events (0: all), oldest first.
  absl::StatusOr<std::vector<AuditEvent>> ListAudit(int64_t limit);
  // Re-queues runs whose lease expired; called periodically by the server.
  absl::StatusOr<int64_t> RequeueExpired();

 private:
  // Appends the event to the store and logs it; a failed append is logged, not returned (the
  // action itself has happened).
  void Audit(const Caller& caller, const std::string& action, const std::string& target,
             const std::string& detail);
  // OK when worker_id is registered and owned by the caller (or ownerless).
  absl::Status CheckWorker(const std::string& worker_id, const Caller& caller);
  // The queue policy for calls that may expire leases: no expiry during the grace.
  QueuePolicy ExpiryPolicy() const;

  Store* const store_;
  Clock* const clock_;
  const CoordinatorOptions options_;
  MetricCommitter committer_;
  RunAnalysisCache analysis_cache_;
  SweepAnswerCache answers_;
  ProgressRate rates_;
  LeaseGrace grace_;  // after the start and after a storage failure (lease_grace.h)
  absl::Mutex labels_mu_;
  std::map<int64_t, SweepLabels> labels_ ABSL_GUARDED_BY(labels_mu_);
};

}  // namespace sg

#endif  // SG_COORDINATOR_COORDINATOR_H_
