// MemoryStore: the Store kept in process memory. It is the reference the conformance suite holds
// SqliteStore to, and a fast fake for scheduler and service tests. Nothing survives the object.
//
// Thread-safety: thread-safe; one mutex serialises every call, so each call is atomic.
#ifndef SG_COORDINATOR_MEMORY_STORE_H_
#define SG_COORDINATOR_MEMORY_STORE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "coordinator/store.h"

namespace sg {

class MemoryStore final : public Store {
 public:
  MemoryStore() = default;

  absl::StatusOr<SweepRecord> CreateSweep(const NewSweep& sweep, int64_t now_ms,
                                          bool* created) override;
  absl::StatusOr<SweepRecord> GetSweep(int64_t sweep_id) override;
  absl::StatusOr<SweepRecord> GetSweepByName(const std::string& name) override;
  absl::StatusOr<std::vector<SweepRecord>> ListSweeps() override;
  absl::StatusOr<std::vector<RunRecord>> ListRuns(int64_t sweep_id,
                                                  std::optional<RunState> state) override;
  absl::StatusOr<RunRecord> GetRun(int64_t run_id) override;
  absl::StatusOr<int64_t> CancelSweep(int64_t sweep_id, int64_t now_ms) override;
  absl::StatusOr<bool> CancelRun(int64_t run_id, int64_t now_ms) override;
  absl::StatusOr<std::vector<RunChange>> CancelSweepAs(int64_t sweep_id, const ChangeActor& who,
                                                       int64_t now_ms) override;
  absl::StatusOr<std::vector<RunChange>> CancelRunAs(int64_t run_id, const ChangeActor& who,
                                                     int64_t now_ms) override;
  absl::StatusOr<std::vector<RunChange>> ExtendRuns(const std::vector<int64_t>& run_ids,
                                                    int64_t steps, const ChangeActor& who,
                                                    int64_t now_ms) override;
  absl::StatusOr<std::vector<RunChange>> RetryRuns(const std::vector<int64_t>& run_ids,
                                                   const ChangeActor& who,
                                                   int64_t now_ms) override;
  absl::StatusOr<std::vector<RunChange>> ListRunChanges(int64_t sweep_id,
                                                        int64_t run_id) override;

  absl::StatusOr<WorkerRecord> RegisterWorker(const WorkerRecord& worker,
                                              int64_t now_ms) override;
  absl::StatusOr<WorkerRecord> GetWorker(const std::string& worker_id) override;
  absl::StatusOr<std::vector<WorkerRecord>> ListWorkers() override;

  absl::StatusOr<int64_t> AppendAudit(const AuditEvent& event) override;
  absl::StatusOr<std::vector<AuditEvent>> ListAudit(int64_t limit) override;

  absl::StatusOr<ClaimResult> ClaimRunsOn(const std::string& worker_id,
                                          const std::string& holder, const std::string& device,
                                          const std::vector<std::string>& fresh_tokens,
                                          int64_t now_ms, const QueuePolicy& policy) override;
  absl::StatusOr<HeartbeatResult> Heartbeat(const std::string& worker_id,
                                            const std::vector<Lease>& leases,
                                            const std::vector<ProgressUpdate>& progress,
                                            int64_t now_ms, const QueuePolicy& policy) override;
  absl::Status RecordRunPoints(int64_t run_id,
                               const std::vector<MetricPointRecord>& points) override;
  absl::Status RecordMetrics(const std::vector<Lease>& leases,
                             const std::vector<MetricPointRecord>& points) override;
  absl::Status RecordCheckpoint(const Lease& lease, int64_t step,
                                const std::string& path) override;
  absl::Status CompleteRun(const Lease& lease, int64_t final_step, int64_t now_ms) override;
  absl::StatusOr<bool> FinishRun(const Lease& lease, int64_t final_step, int64_t trained_steps,
                                 int64_t now_ms) override;
  absl::Status FailRun(const Lease& lease, const std::string& reason, bool retryable,
                       int64_t now_ms, const QueuePolicy& policy) override;
  absl::Status ReleaseRun(const Lease& lease, int64_t now_ms) override;
  absl::StatusOr<int64_t> RequeueExpired(int64_t now_ms, const QueuePolicy& policy) override;
  absl::StatusOr<std::vector<RunAttempt>> ListRunAttempts(int64_t run_id) override;
  absl::StatusOr<std::vector<RunCheckpoint>> ListRunCheckpoints(int64_t run_id) override;

  absl::StatusOr<std::vector<Point>> GetCurve(int64_t run_id, const std::string& metric) override;
  absl::StatusOr<std::vector<Point>> GetCurveWindow(int64_t run_id, const std::string& metric,
                                                    int64_t from_step, int64_t limit) override;
  absl::StatusOr<std::optional<Point>> GetPointBefore(int64_t run_id, const std::string& metric,
                                                      int64_t before_step) override;
  absl::StatusOr<std::vector<std::string>> ListMetrics(int64_t run_id) override;
  absl::StatusOr<std::vector<SweepMetricCount>> ListSweepMetrics(int64_t sweep_id) override;
  absl::StatusOr<std::vector<PointBlock>> GetPointBlocks(int64_t run_id,
                                                         const std::string& metric) override;

 private:
  // The run under `lease` if the lease is current, else the fencing error.
  absl::StatusOr<RunRecord*> CurrentRun(const Lease& lease) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  SweepRecord WithCounts(const SweepRecord& sweep) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int32_t RunningRuns(const std::string& worker_id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t RequeueExpiredLocked(int64_t now_ms, const QueuePolicy& policy)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Closes the run's running attempt record, if it has one (EndAttempt).
  void EndOpenAttempt(const RunRecord& run, const std::string& outcome, const std::string& error,
                      int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends to the run history, assigning the next change_id.
  void AppendChange(RunChange change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  int64_t last_sweep_id_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_run_id_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_worker_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int64_t, SweepRecord> sweeps_ ABSL_GUARDED_BY(mu_);  // counts not kept here
  std::map<int64_t, RunRecord> runs_ ABSL_GUARDED_BY(mu_);      // ordered: oldest first
  std::map<std::string, WorkerRecord> workers_ ABSL_GUARDED_BY(mu_);
  std::vector<AuditEvent> audit_ ABSL_GUARDED_BY(mu_);
  std::vector<RunChange> changes_ ABSL_GUARDED_BY(mu_);  // change_id i+1 at index i
  std::map<int64_t, std::vector<RunAttempt>> attempts_ ABSL_GUARDED_BY(mu_);  // by run, in order
  std::map<int64_t, std::vector<RunCheckpoint>> checkpoints_ ABSL_GUARDED_BY(mu_);
  // run -> metric -> step -> value
  std::map<int64_t, std::map<std::string, std::map<int64_t, double>>> points_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace sg

#endif  // SG_COORDINATOR_MEMORY_STORE_H_
