// SqliteStore: the Store in one SQLite file, the coordinator's production storage. Only the
// coordinator process opens the file; workers and clients reach it through gRPC.
//
// Open() applies the embedded schema migrations (see sqlite_migrations.h) and refuses a database
// newer than the binary. The connection runs in WAL mode with synchronous=NORMAL: a committed
// transaction survives the coordinator being killed (kill -9, a crash) because the WAL is
// written before COMMIT returns; only an OS crash or power loss can lose the last transactions,
// which is the trade the ingest rate needs. Writes use BEGIN IMMEDIATE and a busy timeout.
//
// Thread-safety: thread-safe. One mutex serialises every call over the one connection, so each
// call is atomic with respect to the others; that is simple and fast enough for the
// coordinator's targets (see bench/store_bench.cc for the measured rates).
#ifndef SG_COORDINATOR_SQLITE_STORE_H_
#define SG_COORDINATOR_SQLITE_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "coordinator/db_lock.h"
#include "coordinator/sqlite_db.h"
#include "coordinator/store.h"

namespace sg {

struct SqliteStoreOptions {
  int busy_timeout_ms = 5'000;   // wait this long for a lock held by another connection
  int64_t cache_kib = 65'536;    // page cache size (64 MiB): curves of many runs stay hot
  int page_size = 4096;           // bytes; takes effect only when the file is created
  int wal_autocheckpoint_pages = 1000;  // checkpoint the WAL into the file every N pages
  // Hold an exclusive lock on PATH.lock for the store's life (db_lock.h): a second store on the
  // same file, in this process or another, is refused naming the holder. Only tools that
  // read a database beside its coordinator (none yet) would turn this off.
  bool exclusive = true;
  // 0: no cap. N > 0: the database may not grow past N pages, and a write that would fails as
  // on a full disk (SQLITE_FULL, answered kUnavailable). Tests use it to fill the "disk".
  int64_t max_page_count = 0;
};

class SqliteStore final : public Store {
 public:
  // Opens or creates the database at `path` and brings its schema up to date.
  // kFailedPrecondition if another coordinator holds it (naming the holder), if it is newer than
  // this binary or not an sg database (refused before anything in the file changes);
  // kUnavailable if it cannot be opened.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      const std::string& path, const SqliteStoreOptions& options = SqliteStoreOptions());

  // The database's schema version after Open (the binary's latest).
  int schema_version() const { return schema_version_; }

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
  SqliteStore(std::unique_ptr<DbLock> lock, std::unique_ptr<SqliteDb> db, int schema_version);

  absl::StatusOr<std::optional<RunRecord>> LoadRun(int64_t run_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The run under `lease` if the lease is current, else the fencing error.
  absl::StatusOr<RunRecord> LoadCurrentRun(const Lease& lease) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteRun(const RunRecord& run) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::optional<SweepRecord>> LoadSweep(const char* sql, int64_t id,
                                                       const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status FillCounts(SweepRecord* sweep) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> RequeueExpiredLocked(int64_t now_ms, const QueuePolicy& policy)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds `n` to a row of the counters table and returns the new value.
  absl::StatusOr<int64_t> BumpCounter(const char* name, int64_t n)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The id of metric `name`, interned if new (new ids go to *pending until the commit).
  absl::StatusOr<int64_t> InternMetric(const std::string& name,
                                       absl::flat_hash_map<std::string, int64_t>* pending)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<bool> RunExists(int64_t run_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The metric's id for a curve read: kNotFound for an unknown run, nullopt when no run has
  // recorded the metric.
  absl::StatusOr<std::optional<int64_t>> CurveMetricId(int64_t run_id, const std::string& metric)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends one entry to the run history (run_changes) and returns its change_id.
  absl::StatusOr<int64_t> InsertChange(const RunChange& change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The run's newest attempt record (nullopt: none).
  absl::StatusOr<std::optional<RunAttempt>> LoadLastAttempt(int64_t run_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status InsertAttempt(const RunAttempt& attempt) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Closes the run's running attempt record, if it has one (EndAttempt).
  absl::Status EndOpenAttempt(const RunRecord& run, const std::string& outcome,
                              const std::string& error, int64_t now_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Clears the sweep's cancelled mark (its runs are queued again).
  absl::Status Uncancel(int64_t sweep_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<WorkerRecord> LoadWorker(const std::string& worker_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  const int schema_version_;
  std::unique_ptr<DbLock> lock_;  // declared before db_: released after the connection closes
  std::unique_ptr<SqliteDb> db_ ABSL_GUARDED_BY(mu_);
  StatementCache statements_ ABSL_GUARDED_BY(mu_);  // declared after db_: destroyed first
  // Interned metric names of committed transactions only, so a rollback cannot leave an id
  // here that the database does not have.
  absl::flat_hash_map<std::string, int64_t> metric_ids_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sg

#endif  // SG_COORDINATOR_SQLITE_STORE_H_
