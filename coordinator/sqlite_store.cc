#include "coordinator/sqlite_store.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/pack_cost.h"
#include "common/status_macros.h"
#include "coordinator/sqlite_backfill.h"
#include "coordinator/sqlite_point_blocks.h"
#include "coordinator/sqlite_migrations.h"

namespace sg {
namespace {

// --- SQL. Named constants, `?` bindings only, explicit column lists.

#define SG_RUN_COLUMNS                                                                      \
  "run_id, sweep_id, cell_key, config_json, seed, state, step, attempts, "                 \
  "failures_without_progress, worker_id, lease_token_hash, lease_expires_ms, "             \
  "last_heartbeat_ms, not_before_ms, last_error, checkpoint_step, checkpoint_path, "        \
  "started_ms, finished_ms, steps_per_second, progress_at_last_claim, resolved_config_json, " \
  "non_finite_step, lease_holder"
#define SG_SWEEP_COLUMNS "sweep_id, name, task, spec_yaml, created_ms, cancelled"

constexpr char kSelectRun[] = "SELECT " SG_RUN_COLUMNS " FROM runs WHERE run_id = ?";
constexpr char kSelectRunsOfSweep[] =
    "SELECT " SG_RUN_COLUMNS " FROM runs WHERE sweep_id = ? ORDER BY run_id";
constexpr char kSelectRunsOfSweepInState[] =
    "SELECT " SG_RUN_COLUMNS " FROM runs WHERE sweep_id = ? AND state = ? ORDER BY run_id";
constexpr char kSelectRunExists[] = "SELECT COUNT(*) FROM runs WHERE run_id = ?";
constexpr char kSelectLeaseOfRun[] =
    "SELECT state, lease_token_hash, lease_holder FROM runs WHERE run_id = ?";
constexpr char kUpdateRun[] =
    "UPDATE runs SET state = ?, step = ?, attempts = ?, failures_without_progress = ?, "
    "worker_id = ?, lease_token_hash = ?, lease_expires_ms = ?, last_heartbeat_ms = ?, "
    "not_before_ms = ?, last_error = ?, checkpoint_step = ?, checkpoint_path = ?, "
    "started_ms = ?, finished_ms = ?, steps_per_second = ?, progress_at_last_claim = ?, "
    "lease_holder = ? WHERE run_id = ?";
constexpr char kInsertRun[] =
    "INSERT INTO runs (sweep_id, cell_key, config_json, seed, state, resolved_config_json) "
    "VALUES (?, ?, ?, ?, ?, ?)";
constexpr char kRaiseRunStep[] = "UPDATE runs SET step = MAX(step, ?) WHERE run_id = ?";
// NonFiniteStepAfter in SQL: the mark only moves to an earlier step (0 is "never").
constexpr char kLowerNonFiniteStep[] =
    "UPDATE runs SET non_finite_step = ? "
    "WHERE run_id = ? AND (non_finite_step = 0 OR non_finite_step > ?)";
constexpr char kRecordProgress[] =
    "UPDATE runs SET step = MAX(step, ?), steps_per_second = ? WHERE run_id = ?";
constexpr char kRenewLease[] =
    "UPDATE runs SET lease_expires_ms = ?, last_heartbeat_ms = ? WHERE run_id = ?";
constexpr char kSelectExpired[] = "SELECT " SG_RUN_COLUMNS
                                  " FROM runs WHERE state = ? AND lease_expires_ms < ? "
                                  "ORDER BY run_id";
// The claim order (store.h ChooseCellToClaim): the sweep of the oldest claimable run, then the
// cost inputs of that sweep's claimable runs, read from their stored configs by SQLite's JSON
// functions (one row per run, no document sent back; a config that is not JSON gives NULLs,
// read as 0: no cost).
constexpr char kSelectOldestClaimableSweep[] =
    "SELECT sweep_id FROM runs WHERE state = ? AND not_before_ms <= ? ORDER BY run_id LIMIT 1";
#define SG_CONFIG_FIELD(path) \
  "CASE WHEN json_valid(resolved_config_json) THEN json_extract(resolved_config_json, '" path \
  "') END"
constexpr char kSelectClaimCostInputs[] =
    "SELECT cell_key, checkpoint_step, " SG_CONFIG_FIELD("$.task") ", " SG_CONFIG_FIELD(
        "$.train.depth") ", " SG_CONFIG_FIELD("$.train.batch_size") ", " SG_CONFIG_FIELD("$.train.d_model") ", " SG_CONFIG_FIELD("$.train.ff") ", " SG_CONFIG_FIELD("$.train.steps") " "
    "FROM runs WHERE sweep_id = ? AND state = ? AND not_before_ms <= ? ORDER BY run_id";
#undef SG_CONFIG_FIELD
constexpr char kSelectPack[] = "SELECT " SG_RUN_COLUMNS
                               " FROM runs WHERE sweep_id = ? AND cell_key = ? AND state = ? "
                               "AND not_before_ms <= ? ORDER BY run_id LIMIT ?";
constexpr char kSelectLiveRunsOfSweep[] =
    "SELECT " SG_RUN_COLUMNS " FROM runs WHERE sweep_id = ? AND state IN (?, ?) ORDER BY run_id";
constexpr char kCountRunsByState[] =
    "SELECT state, COUNT(*) FROM runs WHERE sweep_id = ? GROUP BY state";

constexpr char kSelectSweepById[] = "SELECT " SG_SWEEP_COLUMNS " FROM sweeps WHERE sweep_id = ?";
constexpr char kSelectSweepByName[] = "SELECT " SG_SWEEP_COLUMNS " FROM sweeps WHERE name = ?";
constexpr char kSelectSweeps[] = "SELECT " SG_SWEEP_COLUMNS " FROM sweeps ORDER BY sweep_id";
constexpr char kSelectSpecOfSweep[] = "SELECT spec_yaml FROM sweeps WHERE sweep_id = ?";
constexpr char kInsertSweep[] =
    "INSERT INTO sweeps (name, task, spec_yaml, created_ms, cancelled) VALUES (?, ?, ?, ?, 0)";
constexpr char kCancelSweep[] = "UPDATE sweeps SET cancelled = 1 WHERE sweep_id = ?";
// A sweep whose runs are queued again (extend, retry) is no longer cancelled.
constexpr char kUncancelSweep[] = "UPDATE sweeps SET cancelled = 0 WHERE sweep_id = ?";
constexpr char kUpdateRunConfig[] = "UPDATE runs SET resolved_config_json = ? WHERE run_id = ?";

#define SG_CHANGE_COLUMNS                                                                \
  "change_id, run_id, at_ms, actor, role, action, from_step, steps_before, steps_after, " \
  "state_before, state_after, detail"
constexpr char kInsertChange[] =
    "INSERT INTO run_changes (run_id, at_ms, actor, role, action, from_step, steps_before, "
    "steps_after, state_before, state_after, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kSelectChangesOfRun[] =
    "SELECT " SG_CHANGE_COLUMNS " FROM run_changes WHERE run_id = ? ORDER BY change_id";
constexpr char kSelectChangesOfSweep[] =
    "SELECT " SG_CHANGE_COLUMNS " FROM run_changes WHERE run_id IN "
    "(SELECT run_id FROM runs WHERE sweep_id = ?) ORDER BY change_id";

#define SG_ATTEMPT_COLUMNS                                                               \
  "run_id, attempt, worker_id, hostname, device, claimed_ms, ended_ms, outcome, error, " \
  "start_step, step"
constexpr char kInsertAttempt[] =
    "INSERT INTO run_attempts (" SG_ATTEMPT_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr char kSelectLastAttempt[] = "SELECT " SG_ATTEMPT_COLUMNS
                                      " FROM run_attempts WHERE run_id = ? "
                                      "ORDER BY attempt DESC LIMIT 1";
constexpr char kSelectAttemptsOfRun[] =
    "SELECT " SG_ATTEMPT_COLUMNS " FROM run_attempts WHERE run_id = ? ORDER BY attempt";
constexpr char kEndAttempt[] =
    "UPDATE run_attempts SET ended_ms = ?, outcome = ?, error = ?, step = ? "
    "WHERE run_id = ? AND attempt = ?";
constexpr char kInsertCheckpoint[] =
    "INSERT INTO run_checkpoints (run_id, attempt, step, path) VALUES (?, ?, ?, ?)";
// Keeps the newest kMaxCheckpointsPerRun of the run: drops those at or below the first one past
// that many, counting from the newest.
constexpr char kTrimCheckpoints[] =
    "DELETE FROM run_checkpoints WHERE run_id = ? AND checkpoint_id <= ("
    "SELECT checkpoint_id FROM run_checkpoints WHERE run_id = ? "
    "ORDER BY checkpoint_id DESC LIMIT 1 OFFSET ?)";
constexpr char kSelectCheckpointsOfRun[] =
    "SELECT run_id, attempt, step, path FROM run_checkpoints WHERE run_id = ? "
    "ORDER BY checkpoint_id";

constexpr char kBumpCounter[] =
    "UPDATE counters SET value = value + ? WHERE name = ? RETURNING value";

constexpr char kSelectMetricId[] = "SELECT metric_id FROM metrics WHERE name = ?";
constexpr char kInsertMetric[] = "INSERT INTO metrics (name) VALUES (?)";
// The upsert that makes a repeated point one row: the later value wins. A NaN is stored as
// value 0 with is_nan 1 (SQLite would bind NaN as NULL); +-Inf are plain REALs.
constexpr char kUpsertPoint[] =
    "INSERT INTO points (run_id, metric_id, step, value, is_nan) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (run_id, metric_id, step) DO UPDATE SET value = excluded.value, "
    "is_nan = excluded.is_nan";
// A range scan of the primary key: (run_id, metric_id) fixed, step ascending.
constexpr char kSelectCurve[] =
    "SELECT step, value, is_nan FROM points WHERE run_id = ? AND metric_id = ? ORDER BY step";
// The same range scan from a step on, stopping after LIMIT rows (-1: none): a page's window.
constexpr char kSelectCurveWindow[] =
    "SELECT step, value, is_nan FROM points WHERE run_id = ? AND metric_id = ? AND step >= ? "
    "ORDER BY step LIMIT ?";
// One step back down the primary key: the curve's last point before a step.
constexpr char kSelectPointBefore[] =
    "SELECT step, value, is_nan FROM points WHERE run_id = ? AND metric_id = ? AND step < ? "
    "ORDER BY step DESC LIMIT 1";
// One index probe per known metric name, instead of scanning every point of the run.
constexpr char kSelectMetricsOfRun[] =
    "SELECT name FROM metrics WHERE EXISTS (SELECT 1 FROM points WHERE points.run_id = ? AND "
    "points.metric_id = metrics.metric_id) ORDER BY name";
// A sweep's metrics with counts: its runs through runs_by_sweep_cell, then each run's
// curve_counts rows (migrations/0006_point_blocks.sql), one per metric it has points of.
constexpr char kSelectSweepMetricCounts[] =
    "SELECT metrics.name, SUM(c.points), COUNT(*), MAX(c.last_step) "
    "FROM runs JOIN curve_counts AS c ON c.run_id = runs.run_id "
    "JOIN metrics ON metrics.metric_id = c.metric_id "
    "WHERE runs.sweep_id = ? AND c.points > 0 GROUP BY c.metric_id ORDER BY metrics.name";

constexpr char kSelectWorker[] =
    "SELECT worker_id, hostname, registered_ms, last_heartbeat_ms, owner FROM workers "
    "WHERE worker_id = ?";
constexpr char kSelectWorkers[] =
    "SELECT worker_id, hostname, registered_ms, last_heartbeat_ms, owner FROM workers "
    "ORDER BY worker_id";
constexpr char kInsertWorker[] =
    "INSERT INTO workers (worker_id, hostname, registered_ms, last_heartbeat_ms, owner) "
    "VALUES (?, ?, ?, ?, ?)";
constexpr char kUpdateWorker[] =
    "UPDATE workers SET hostname = ?, last_heartbeat_ms = ?, owner = ? WHERE worker_id = ?";
constexpr char kTouchWorker[] = "UPDATE workers SET last_heartbeat_ms = ? WHERE worker_id = ?";
constexpr char kDeleteDevices[] = "DELETE FROM worker_devices WHERE worker_id = ?";
constexpr char kInsertDevice[] =
    "INSERT INTO worker_devices (worker_id, ordinal, name, memory_bytes, slots) "
    "VALUES (?, ?, ?, ?, ?)";
constexpr char kSelectDevicesOfWorker[] =
    "SELECT name, memory_bytes, slots FROM worker_devices WHERE worker_id = ? ORDER BY ordinal";
constexpr char kSelectAllDevices[] =
    "SELECT worker_id, name, memory_bytes, slots FROM worker_devices "
    "ORDER BY worker_id, ordinal";
constexpr char kCountRunningOfWorker[] =
    "SELECT COUNT(*) FROM runs WHERE state = ? AND worker_id = ?";
constexpr char kCountRunningByWorker[] =
    "SELECT worker_id, COUNT(*) FROM runs WHERE state = ? GROUP BY worker_id";

constexpr char kInsertAudit[] =
    "INSERT INTO audit_events (at_ms, actor, role, action, target, detail) "
    "VALUES (?, ?, ?, ?, ?, ?)";
// The newest N, returned oldest first.
constexpr char kSelectAudit[] =
    "SELECT event_id, at_ms, actor, role, action, target, detail FROM ("
    "SELECT event_id, at_ms, actor, role, action, target, detail FROM audit_events "
    "ORDER BY event_id DESC LIMIT ?) ORDER BY event_id";

constexpr char kWorkerCounter[] = "worker";

int64_t StateValue(RunState state) { return static_cast<int64_t>(state); }

RunRecord ReadRun(const StatementHandle& s) {
  RunRecord r;
  r.run_id = s->ColumnInt64(0);
  r.sweep_id = s->ColumnInt64(1);
  r.cell_key = s->ColumnText(2);
  r.config_json = s->ColumnText(3);
  r.seed = s->ColumnInt64(4);
  r.state = static_cast<RunState>(s->ColumnInt64(5));
  r.step = s->ColumnInt64(6);
  r.attempts = static_cast<int32_t>(s->ColumnInt64(7));
  r.failures_without_progress = static_cast<int32_t>(s->ColumnInt64(8));
  r.worker_id = s->ColumnText(9);
  r.lease_token_hash = s->ColumnText(10);
  r.lease_expires_ms = s->ColumnInt64(11);
  r.last_heartbeat_ms = s->ColumnInt64(12);
  r.not_before_ms = s->ColumnInt64(13);
  r.last_error = s->ColumnText(14);
  r.checkpoint_step = s->ColumnInt64(15);
  r.checkpoint_path = s->ColumnText(16);
  r.started_ms = s->ColumnInt64(17);
  r.finished_ms = s->ColumnInt64(18);
  r.steps_per_second = s->ColumnDouble(19);
  r.progress_at_last_claim = s->ColumnInt64(20);
  r.resolved_config_json = s->ColumnText(21);
  r.non_finite_step = s->ColumnInt64(22);
  r.lease_holder = s->ColumnText(23);
  return r;
}

RunAttempt ReadAttempt(const StatementHandle& s) {
  RunAttempt a;
  a.run_id = s->ColumnInt64(0);
  a.attempt = static_cast<int32_t>(s->ColumnInt64(1));
  a.worker_id = s->ColumnText(2);
  a.hostname = s->ColumnText(3);
  a.device = s->ColumnText(4);
  a.claimed_ms = s->ColumnInt64(5);
  a.ended_ms = s->ColumnInt64(6);
  a.outcome = s->ColumnText(7);
  a.error = s->ColumnText(8);
  a.start_step = s->ColumnInt64(9);
  a.step = s->ColumnInt64(10);
  return a;
}

SweepRecord ReadSweep(const StatementHandle& s) {
  SweepRecord r;
  r.sweep_id = s->ColumnInt64(0);
  r.name = s->ColumnText(1);
  r.task = s->ColumnText(2);
  r.spec_yaml = s->ColumnText(3);
  r.created_ms = s->ColumnInt64(4);
  r.cancelled = s->ColumnInt64(5) != 0;
  return r;
}

// Steps a bound statement to the end, collecting every row as a RunRecord.
absl::StatusOr<std::vector<RunRecord>> ReadRuns(const StatementHandle& s) {
  std::vector<RunRecord> out;
  while (true) {
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ReadRun(s));
  }
  return out;
}

void AddCount(RunState state, int64_t n, SweepRecord* sweep) {
  sweep->total_runs += n;
  switch (state) {
    case RunState::kQueued: sweep->queued += n; break;
    case RunState::kRunning: sweep->running += n; break;
    case RunState::kSucceeded: sweep->succeeded += n; break;
    case RunState::kFailed: sweep->failed += n; break;
    case RunState::kCancelled: sweep->cancelled_runs += n; break;
  }
}

absl::Status SweepNotFound(int64_t sweep_id) {
  return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, " not found"));
}
absl::Status RunNotFound(int64_t run_id) {
  return absl::NotFoundError(absl::StrCat("run ", run_id, " not found"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const std::string& path, const SqliteStoreOptions& options) {
  // The lock first: a second coordinator must not touch the file at all.
  std::unique_ptr<DbLock> lock;
  if (options.exclusive) {
    SG_ASSIGN_OR_RETURN(lock, DbLock::Acquire(path));
  }
  SG_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  db->SetBusyTimeout(options.busy_timeout_ms);
  // A file that is not sg's is refused before anything (page size, WAL mode) changes it.
  SG_RETURN_IF_ERROR(ReadSchemaVersion(db.get()).status());
  // Ignored by SQLite unless the file is still empty (the page size is fixed at creation).
  SG_RETURN_IF_ERROR(
      db->Exec(absl::StrCat("PRAGMA page_size = ", options.page_size).c_str()));
  // WAL lets readers run beside the writer. synchronous=NORMAL in WAL mode fsyncs only at
  // checkpoints: every COMMIT is in the WAL file before it returns, so committed data survives
  // the process being killed (kill -9) or crashing; an OS crash or power cut may lose the last
  // few transactions, never corrupt the file.
  {
    SG_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStatement> mode,
                        db->Prepare("PRAGMA journal_mode = WAL"));
    SG_ASSIGN_OR_RETURN(bool row, mode->Step());
    if (!row || mode->ColumnText(0) != "wal") {
      return absl::FailedPreconditionError(absl::StrCat(
          path, ": cannot switch the database to WAL mode (got '", row ? mode->ColumnText(0) : "",
          "'); put it on a local file system"));
    }
  }
  SG_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = NORMAL"));
  SG_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys = ON"));
  SG_RETURN_IF_ERROR(db->Exec(
      absl::StrCat("PRAGMA wal_autocheckpoint = ", options.wal_autocheckpoint_pages).c_str()));
  SG_RETURN_IF_ERROR(
      db->Exec(absl::StrCat("PRAGMA cache_size = -", options.cache_kib).c_str()));
  SG_RETURN_IF_ERROR(ApplyMigrations(db.get(), EmbeddedMigrations(), StoreMigrationCodeSteps()));
  if (options.max_page_count > 0) {
    SG_RETURN_IF_ERROR(db->Exec(
        absl::StrCat("PRAGMA max_page_count = ", options.max_page_count).c_str()));
  }
  SG_ASSIGN_OR_RETURN(int version, ReadSchemaVersion(db.get()));
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(std::move(lock), std::move(db), version));
}

SqliteStore::SqliteStore(std::unique_ptr<DbLock> lock, std::unique_ptr<SqliteDb> db,
                         int schema_version)
    : schema_version_(schema_version),
      lock_(std::move(lock)),
      db_(std::move(db)),
      statements_(db_.get()) {}

// --- private helpers (mu_ held)

absl::StatusOr<std::optional<RunRecord>> SqliteStore::LoadRun(int64_t run_id) {
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectRun));
  s->BindInt64(1, run_id);
  SG_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<RunRecord>();
  return std::optional<RunRecord>(ReadRun(s));
}

absl::StatusOr<RunRecord> SqliteStore::LoadCurrentRun(const Lease& lease) {
  SG_ASSIGN_OR_RETURN(std::optional<RunRecord> run, LoadRun(lease.run_id));
  if (!run) return StaleLeaseError(lease, nullptr);
  if (CheckLease(*run, lease) != LeaseStatus::kCurrent) {
    return StaleLeaseError(lease, &*run);
  }
  return *std::move(run);
}

absl::Status SqliteStore::WriteRun(const RunRecord& r) {
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kUpdateRun));
  s->BindInt64(1, StateValue(r.state));
  s->BindInt64(2, r.step);
  s->BindInt64(3, r.attempts);
  s->BindInt64(4, r.failures_without_progress);
  s->BindText(5, r.worker_id);
  s->BindText(6, r.lease_token_hash);
  s->BindInt64(7, r.lease_expires_ms);
  s->BindInt64(8, r.last_heartbeat_ms);
  s->BindInt64(9, r.not_before_ms);
  s->BindText(10, r.last_error);
  s->BindInt64(11, r.checkpoint_step);
  s->BindText(12, r.checkpoint_path);
  s->BindInt64(13, r.started_ms);
  s->BindInt64(14, r.finished_ms);
  s->BindDouble(15, r.steps_per_second);
  s->BindInt64(16, r.progress_at_last_claim);
  s->BindText(17, r.lease_holder);
  s->BindInt64(18, r.run_id);
  return s->Run();
}

absl::StatusOr<std::optional<SweepRecord>> SqliteStore::LoadSweep(const char* sql, int64_t id,
                                                                  const std::string& name) {
  std::optional<SweepRecord> sweep;
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(sql));
    if (sql == kSelectSweepByName) {
      s->BindText(1, name);
    } else {
      s->BindInt64(1, id);
    }
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return sweep;
    sweep = ReadSweep(s);
  }
  SG_RETURN_IF_ERROR(FillCounts(&*sweep));
  return sweep;
}

absl::Status SqliteStore::FillCounts(SweepRecord* sweep) {
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kCountRunsByState));
  s->BindInt64(1, sweep->sweep_id);
  while (true) {
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    AddCount(static_cast<RunState>(s->ColumnInt64(0)), s->ColumnInt64(1), sweep);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SqliteStore::BumpCounter(const char* name, int64_t n) {
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kBumpCounter));
  s->BindInt64(1, n);
  s->BindText(2, name);
  SG_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return absl::InternalError(absl::StrCat("counters row '", name, "' is missing"));
  int64_t value = s->ColumnInt64(0);
  SG_RETURN_IF_ERROR(s->Run());  // finish the statement so the UPDATE completes
  return value;
}

absl::StatusOr<int64_t> SqliteStore::InternMetric(
    const std::string& name, absl::flat_hash_map<std::string, int64_t>* pending) {
  if (auto it = metric_ids_.find(name); it != metric_ids_.end()) return it->second;
  if (auto it = pending->find(name); it != pending->end()) return it->second;
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectMetricId));
    s->BindText(1, name);
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) {
      int64_t id = s->ColumnInt64(0);
      (*pending)[name] = id;
      return id;
    }
  }
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kInsertMetric));
  s->BindText(1, name);
  SG_RETURN_IF_ERROR(s->Run());
  int64_t id = db_->LastInsertRowId();
  (*pending)[name] = id;
  return id;
}

absl::StatusOr<bool> SqliteStore::RunExists(int64_t run_id) {
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectRunExists));
  s->BindInt64(1, run_id);
  SG_ASSIGN_OR_RETURN(bool row, s->Step());
  return row && s->ColumnInt64(0) > 0;
}

absl::StatusOr<WorkerRecord> SqliteStore::LoadWorker(const std::string& worker_id) {
  WorkerRecord w;
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectWorker));
    s->BindText(1, worker_id);
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) {
      return absl::NotFoundError(absl::StrCat(
          "worker ", worker_id, " is not registered; call RegisterWorker first"));
    }
    w.worker_id = s->ColumnText(0);
    w.hostname = s->ColumnText(1);
    w.registered_ms = s->ColumnInt64(2);
    w.last_heartbeat_ms = s->ColumnInt64(3);
    w.owner = s->ColumnText(4);
  }
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectDevicesOfWorker));
    s->BindText(1, worker_id);
    while (true) {
      SG_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      w.devices.push_back(WorkerDevice{s->ColumnText(0), s->ColumnInt64(1),
                                       static_cast<int32_t>(s->ColumnInt64(2))});
    }
  }
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kCountRunningOfWorker));
  s->BindInt64(1, StateValue(RunState::kRunning));
  s->BindText(2, worker_id);
  SG_ASSIGN_OR_RETURN(bool row, s->Step());
  w.running_runs = row ? static_cast<int32_t>(s->ColumnInt64(0)) : 0;
  return w;
}

absl::StatusOr<int64_t> SqliteStore::RequeueExpiredLocked(int64_t now_ms,
                                                          const QueuePolicy& policy) {
  if (now_ms < policy.no_expiry_before_ms) return 0;
  std::vector<RunRecord> expired;
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectExpired));
    s->BindInt64(1, StateValue(RunState::kRunning));
    s->BindInt64(2, now_ms);
    SG_ASSIGN_OR_RETURN(expired, ReadRuns(s));
  }
  for (RunRecord& run : expired) {
    const std::string reason = LeaseExpiredReason(run);
    ApplyFailedAttempt(reason, now_ms, policy, &run);
    SG_RETURN_IF_ERROR(WriteRun(run));
    SG_RETURN_IF_ERROR(EndOpenAttempt(run, kAttemptLeaseExpired, reason, now_ms));
  }
  return static_cast<int64_t>(expired.size());
}

// --- sweeps

absl::StatusOr<SweepRecord> SqliteStore::CreateSweep(const NewSweep& sweep, int64_t now_ms,
                                                     bool* created) {
  SG_RETURN_IF_ERROR(ValidateNewSweep(sweep));
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  SG_ASSIGN_OR_RETURN(std::optional<SweepRecord> existing,
                      LoadSweep(kSelectSweepByName, 0, sweep.name));
  if (existing) {
    if (created != nullptr) *created = false;
    return *existing;
  }
  int64_t sweep_id = 0;
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kInsertSweep));
    s->BindText(1, sweep.name);
    s->BindText(2, sweep.task);
    s->BindText(3, sweep.spec_yaml);
    s->BindInt64(4, now_ms);
    SG_RETURN_IF_ERROR(s->Run());
    sweep_id = db_->LastInsertRowId();
  }
  for (const NewRun& run : sweep.runs) {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kInsertRun));
    s->BindInt64(1, sweep_id);
    s->BindText(2, run.cell_key);
    s->BindText(3, run.config_json);
    s->BindInt64(4, run.seed);
    s->BindInt64(5, StateValue(RunState::kQueued));
    s->BindText(6, run.resolved_config_json);
    SG_RETURN_IF_ERROR(s->Run());
  }
  SG_ASSIGN_OR_RETURN(std::optional<SweepRecord> record,
                      LoadSweep(kSelectSweepById, sweep_id, ""));
  SG_RETURN_IF_ERROR(txn.Commit());
  if (created != nullptr) *created = true;
  return *record;
}

absl::StatusOr<SweepRecord> SqliteStore::GetSweep(int64_t sweep_id) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(std::optional<SweepRecord> sweep, LoadSweep(kSelectSweepById, sweep_id, ""));
  if (!sweep) return SweepNotFound(sweep_id);
  return *sweep;
}

absl::StatusOr<SweepRecord> SqliteStore::GetSweepByName(const std::string& name) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(std::optional<SweepRecord> sweep, LoadSweep(kSelectSweepByName, 0, name));
  if (!sweep) return absl::NotFoundError(absl::StrCat("sweep named '", name, "' not found"));
  return *sweep;
}

absl::StatusOr<std::vector<SweepRecord>> SqliteStore::ListSweeps() {
  absl::MutexLock lock(&mu_);
  std::vector<SweepRecord> out;
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectSweeps));
    while (true) {
      SG_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      out.push_back(ReadSweep(s));
    }
  }
  for (SweepRecord& sweep : out) SG_RETURN_IF_ERROR(FillCounts(&sweep));
  return out;
}

absl::StatusOr<std::vector<RunRecord>> SqliteStore::ListRuns(int64_t sweep_id,
                                                             std::optional<RunState> state) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(std::optional<SweepRecord> sweep, LoadSweep(kSelectSweepById, sweep_id, ""));
  if (!sweep) return SweepNotFound(sweep_id);
  SG_ASSIGN_OR_RETURN(StatementHandle s,
                      statements_.Get(state ? kSelectRunsOfSweepInState : kSelectRunsOfSweep));
  s->BindInt64(1, sweep_id);
  if (state) s->BindInt64(2, StateValue(*state));
  return ReadRuns(s);
}

absl::StatusOr<RunRecord> SqliteStore::GetRun(int64_t run_id) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(std::optional<RunRecord> run, LoadRun(run_id));
  if (!run) return RunNotFound(run_id);
  return *std::move(run);
}

absl::StatusOr<int64_t> SqliteStore::CancelSweep(int64_t sweep_id, int64_t now_ms) {
  SG_ASSIGN_OR_RETURN(std::vector<RunChange> changes, CancelSweepAs(sweep_id, {}, now_ms));
  return static_cast<int64_t>(changes.size());
}

absl::StatusOr<bool> SqliteStore::CancelRun(int64_t run_id, int64_t now_ms) {
  SG_ASSIGN_OR_RETURN(std::vector<RunChange> changes, CancelRunAs(run_id, {}, now_ms));
  return !changes.empty();
}

absl::StatusOr<std::vector<RunChange>> SqliteStore::CancelSweepAs(int64_t sweep_id,
                                                                  const ChangeActor& who,
                                                                  int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  SG_ASSIGN_OR_RETURN(std::optional<SweepRecord> sweep, LoadSweep(kSelectSweepById, sweep_id, ""));
  if (!sweep) return SweepNotFound(sweep_id);
  std::vector<RunRecord> live;
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectLiveRunsOfSweep));
    s->BindInt64(1, sweep_id);
    s->BindInt64(2, StateValue(RunState::kQueued));
    s->BindInt64(3, StateValue(RunState::kRunning));
    SG_ASSIGN_OR_RETURN(live, ReadRuns(s));
  }
  std::vector<RunChange> out;
  for (RunRecord& run : live) {
    std::optional<RunChange> change = ApplyCancelAs(who, now_ms, &run);
    if (!change) continue;
    SG_RETURN_IF_ERROR(WriteRun(run));
    SG_RETURN_IF_ERROR(EndOpenAttempt(run, kAttemptCancelled, "", now_ms));
    SG_ASSIGN_OR_RETURN(change->change_id, InsertChange(*change));
    out.push_back(std::move(*change));
  }
  // A finished sweep stays as it is: nothing was cancelled.
  if (!out.empty()) {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kCancelSweep));
    s->BindInt64(1, sweep_id);
    SG_RETURN_IF_ERROR(s->Run());
  }
  SG_RETURN_IF_ERROR(txn.Commit());
  return out;
}

absl::StatusOr<std::vector<RunChange>> SqliteStore::CancelRunAs(int64_t run_id,
                                                                const ChangeActor& who,
                                                                int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  SG_ASSIGN_OR_RETURN(std::optional<RunRecord> run, LoadRun(run_id));
  if (!run) return RunNotFound(run_id);
  std::vector<RunChange> out;
  std::optional<RunChange> change = ApplyCancelAs(who, now_ms, &*run);
  if (!change) return out;
  SG_RETURN_IF_ERROR(WriteRun(*run));
  SG_RETURN_IF_ERROR(EndOpenAttempt(*run, kAttemptCancelled, "", now_ms));
  SG_ASSIGN_OR_RETURN(change->change_id, InsertChange(*change));
  out.push_back(std::move(*change));
  SG_RETURN_IF_ERROR(txn.Commit());
  return out;
}

absl::StatusOr<std::vector<RunChange>> SqliteStore::ExtendRuns(
    const std::vector<int64_t>& run_ids, int64_t steps, const ChangeActor& who, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  std::vector<RunChange> out;
  // A refusal returns before the commit: the transaction rolls back and nothing changes.
  for (int64_t id : run_ids) {
    SG_ASSIGN_OR_RETURN(std::optional<RunRecord> run, LoadRun(id));
    if (!run) return RunNotFound(id);
    SG_ASSIGN_OR_RETURN(std::optional<RunChange> change, ApplyExtend(steps, who, now_ms, &*run));
    if (!change) continue;
    SG_RETURN_IF_ERROR(WriteRun(*run));
    {
      SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kUpdateRunConfig));
      s->BindText(1, run->resolved_config_json);
      s->BindInt64(2, id);
      SG_RETURN_IF_ERROR(s->Run());
    }
    if (run->state == RunState::kQueued) SG_RETURN_IF_ERROR(Uncancel(run->sweep_id));
    SG_ASSIGN_OR_RETURN(change->change_id, InsertChange(*change));
    out.push_back(std::move(*change));
  }
  SG_RETURN_IF_ERROR(txn.Commit());
  return out;
}

absl::StatusOr<std::vector<RunChange>> SqliteStore::RetryRuns(const std::vector<int64_t>& run_ids,
                                                              const ChangeActor& who,
                                                              int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  std::vector<RunChange> out;
  for (int64_t id : run_ids) {
    SG_ASSIGN_OR_RETURN(std::optional<RunRecord> run, LoadRun(id));
    if (!run) return RunNotFound(id);
    std::optional<RunChange> change = ApplyRetry(who, now_ms, &*run);
    if (!change) continue;
    SG_RETURN_IF_ERROR(WriteRun(*run));
    SG_RETURN_IF_ERROR(Uncancel(run->sweep_id));
    SG_ASSIGN_OR_RETURN(change->change_id, InsertChange(*change));
    out.push_back(std::move(*change));
  }
  SG_RETURN_IF_ERROR(txn.Commit());
  return out;
}

absl::StatusOr<std::vector<RunChange>> SqliteStore::ListRunChanges(int64_t sweep_id,
                                                                   int64_t run_id) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(StatementHandle s,
                      statements_.Get(run_id > 0 ? kSelectChangesOfRun : kSelectChangesOfSweep));
  s->BindInt64(1, run_id > 0 ? run_id : sweep_id);
  std::vector<RunChange> out;
  while (true) {
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    RunChange c;
    c.change_id = s->ColumnInt64(0);
    c.run_id = s->ColumnInt64(1);
    c.at_ms = s->ColumnInt64(2);
    c.actor = s->ColumnText(3);
    c.role = s->ColumnText(4);
    c.action = s->ColumnText(5);
    c.from_step = s->ColumnInt64(6);
    c.steps_before = s->ColumnInt64(7);
    c.steps_after = s->ColumnInt64(8);
    c.state_before = static_cast<RunState>(s->ColumnInt64(9));
    c.state_after = static_cast<RunState>(s->ColumnInt64(10));
    c.detail = s->ColumnText(11);
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<int64_t> SqliteStore::InsertChange(const RunChange& change) {
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kInsertChange));
  s->BindInt64(1, change.run_id);
  s->BindInt64(2, change.at_ms);
  s->BindText(3, change.actor);
  s->BindText(4, change.role);
  s->BindText(5, change.action);
  s->BindInt64(6, change.from_step);
  s->BindInt64(7, change.steps_before);
  s->BindInt64(8, change.steps_after);
  s->BindInt64(9, StateValue(change.state_before));
  s->BindInt64(10, StateValue(change.state_after));
  s->BindText(11, change.detail);
  SG_RETURN_IF_ERROR(s->Run());
  return db_->LastInsertRowId();
}

absl::StatusOr<std::optional<RunAttempt>> SqliteStore::LoadLastAttempt(int64_t run_id) {
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectLastAttempt));
  s->BindInt64(1, run_id);
  SG_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<RunAttempt>();
  return std::optional<RunAttempt>(ReadAttempt(s));
}

absl::Status SqliteStore::InsertAttempt(const RunAttempt& a) {
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kInsertAttempt));
  s->BindInt64(1, a.run_id);
  s->BindInt64(2, a.attempt);
  s->BindText(3, a.worker_id);
  s->BindText(4, a.hostname);
  s->BindText(5, a.device);
  s->BindInt64(6, a.claimed_ms);
  s->BindInt64(7, a.ended_ms);
  s->BindText(8, a.outcome);
  s->BindText(9, a.error);
  s->BindInt64(10, a.start_step);
  s->BindInt64(11, a.step);
  return s->Run();
}

absl::Status SqliteStore::EndOpenAttempt(const RunRecord& run, const std::string& outcome,
                                         const std::string& error, int64_t now_ms) {
  SG_ASSIGN_OR_RETURN(std::optional<RunAttempt> last, LoadLastAttempt(run.run_id));
  if (!last || last->outcome != kAttemptRunning) return absl::OkStatus();
  EndAttempt(run, outcome, error, now_ms, &*last);
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kEndAttempt));
  s->BindInt64(1, last->ended_ms);
  s->BindText(2, last->outcome);
  s->BindText(3, last->error);
  s->BindInt64(4, last->step);
  s->BindInt64(5, last->run_id);
  s->BindInt64(6, last->attempt);
  return s->Run();
}

absl::StatusOr<std::vector<RunAttempt>> SqliteStore::ListRunAttempts(int64_t run_id) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(std::optional<RunRecord> run, LoadRun(run_id));
  if (!run) return RunNotFound(run_id);
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectAttemptsOfRun));
  s->BindInt64(1, run_id);
  std::vector<RunAttempt> out;
  while (true) {
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(ReadAttempt(s));
  }
  if (!out.empty() && out.back().outcome == kAttemptRunning) out.back().step = run->step;
  return out;
}

absl::StatusOr<std::vector<RunCheckpoint>> SqliteStore::ListRunCheckpoints(int64_t run_id) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(bool exists, RunExists(run_id));
  if (!exists) return RunNotFound(run_id);
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectCheckpointsOfRun));
  s->BindInt64(1, run_id);
  std::vector<RunCheckpoint> out;
  while (true) {
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    RunCheckpoint c;
    c.run_id = s->ColumnInt64(0);
    c.attempt = static_cast<int32_t>(s->ColumnInt64(1));
    c.step = s->ColumnInt64(2);
    c.path = s->ColumnText(3);
    out.push_back(std::move(c));
  }
  return out;
}

absl::Status SqliteStore::Uncancel(int64_t sweep_id) {
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kUncancelSweep));
  s->BindInt64(1, sweep_id);
  return s->Run();
}

// --- workers

absl::StatusOr<WorkerRecord> SqliteStore::RegisterWorker(const WorkerRecord& worker,
                                                         int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  std::string id = worker.worker_id;
  bool exists = false;
  while (true) {
    if (worker.worker_id.empty()) {
      SG_ASSIGN_OR_RETURN(int64_t n, BumpCounter(kWorkerCounter, 1));
      id = absl::StrCat("w-", n);
    }
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectWorker));
    s->BindText(1, id);
    SG_ASSIGN_OR_RETURN(exists, s->Step());
    // An assigned id never collides with a worker that chose "w-<n>" itself.
    if (!worker.worker_id.empty() || !exists) break;
  }
  if (exists) {
    SG_ASSIGN_OR_RETURN(WorkerRecord existing, LoadWorker(id));
    SG_RETURN_IF_ERROR(CheckWorkerOwner(existing, worker.owner));
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kUpdateWorker));
    s->BindText(1, worker.hostname);
    s->BindInt64(2, now_ms);
    s->BindText(3, worker.owner.empty() ? existing.owner : worker.owner);
    s->BindText(4, id);
    SG_RETURN_IF_ERROR(s->Run());
  } else {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kInsertWorker));
    s->BindText(1, id);
    s->BindText(2, worker.hostname);
    s->BindInt64(3, now_ms);
    s->BindInt64(4, now_ms);
    s->BindText(5, worker.owner);
    SG_RETURN_IF_ERROR(s->Run());
  }
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kDeleteDevices));
    s->BindText(1, id);
    SG_RETURN_IF_ERROR(s->Run());
  }
  for (size_t i = 0; i < worker.devices.size(); ++i) {
    const WorkerDevice& d = worker.devices[i];
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kInsertDevice));
    s->BindText(1, id);
    s->BindInt64(2, static_cast<int64_t>(i));
    s->BindText(3, d.name);
    s->BindInt64(4, d.memory_bytes);
    s->BindInt64(5, d.slots);
    SG_RETURN_IF_ERROR(s->Run());
  }
  SG_ASSIGN_OR_RETURN(WorkerRecord record, LoadWorker(id));
  SG_RETURN_IF_ERROR(txn.Commit());
  return record;
}

absl::StatusOr<WorkerRecord> SqliteStore::GetWorker(const std::string& worker_id) {
  absl::MutexLock lock(&mu_);
  return LoadWorker(worker_id);
}

absl::StatusOr<int64_t> SqliteStore::AppendAudit(const AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kInsertAudit));
  s->BindInt64(1, event.at_ms);
  s->BindText(2, event.actor);
  s->BindText(3, event.role);
  s->BindText(4, event.action);
  s->BindText(5, event.target);
  s->BindText(6, event.detail);
  SG_RETURN_IF_ERROR(s->Run());
  const int64_t id = db_->LastInsertRowId();
  SG_RETURN_IF_ERROR(txn.Commit());
  return id;
}

absl::StatusOr<std::vector<AuditEvent>> SqliteStore::ListAudit(int64_t limit) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectAudit));
  s->BindInt64(1, limit > 0 ? limit : -1);  // LIMIT -1: no limit
  std::vector<AuditEvent> out;
  while (true) {
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    AuditEvent e;
    e.event_id = s->ColumnInt64(0);
    e.at_ms = s->ColumnInt64(1);
    e.actor = s->ColumnText(2);
    e.role = s->ColumnText(3);
    e.action = s->ColumnText(4);
    e.target = s->ColumnText(5);
    e.detail = s->ColumnText(6);
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<std::vector<WorkerRecord>> SqliteStore::ListWorkers() {
  absl::MutexLock lock(&mu_);
  std::vector<WorkerRecord> out;
  std::map<std::string, size_t> index;
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectWorkers));
    while (true) {
      SG_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      WorkerRecord w;
      w.worker_id = s->ColumnText(0);
      w.hostname = s->ColumnText(1);
      w.registered_ms = s->ColumnInt64(2);
      w.last_heartbeat_ms = s->ColumnInt64(3);
      w.owner = s->ColumnText(4);
      index[w.worker_id] = out.size();
      out.push_back(std::move(w));
    }
  }
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectAllDevices));
    while (true) {
      SG_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      auto it = index.find(s->ColumnText(0));
      if (it == index.end()) continue;
      out[it->second].devices.push_back(WorkerDevice{
          s->ColumnText(1), s->ColumnInt64(2), static_cast<int32_t>(s->ColumnInt64(3))});
    }
  }
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kCountRunningByWorker));
  s->BindInt64(1, StateValue(RunState::kRunning));
  while (true) {
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    auto it = index.find(s->ColumnText(0));
    if (it != index.end()) out[it->second].running_runs = static_cast<int32_t>(s->ColumnInt64(1));
  }
  return out;
}

// --- the queue

absl::StatusOr<ClaimResult> SqliteStore::ClaimRunsOn(const std::string& worker_id,
                                                     const std::string& holder,
                                                     const std::string& device,
                                                     const std::vector<std::string>& fresh_tokens,
                                                     int64_t now_ms, const QueuePolicy& policy) {
  SG_RETURN_IF_ERROR(ValidateClaim(worker_id, fresh_tokens));
  const int64_t max_runs = static_cast<int64_t>(fresh_tokens.size());
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  SG_RETURN_IF_ERROR(RequeueExpiredLocked(now_ms, policy).status());
  ClaimResult result;
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectOldestClaimableSweep));
    s->BindInt64(1, StateValue(RunState::kQueued));
    s->BindInt64(2, now_ms);
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) {
      // Keep the re-queueing done above.
      SG_RETURN_IF_ERROR(txn.Commit());
      return result;
    }
    result.sweep_id = s->ColumnInt64(0);
  }
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectClaimCostInputs));
    s->BindInt64(1, result.sweep_id);
    s->BindInt64(2, StateValue(RunState::kQueued));
    s->BindInt64(3, now_ms);
    std::vector<ClaimCandidate> candidates;
    while (true) {
      SG_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      RunCostInputs in;
      absl::StatusOr<TaskKind> task = ParseTaskName(s->ColumnText(2));
      if (task.ok()) {  // else every field stays 0: no cost
        in.task = *task;
        in.depth = s->ColumnInt64(3);
        in.batch_size = s->ColumnInt64(4);
        in.d_model = s->ColumnInt64(5);
        in.ff = s->ColumnInt64(6);
        in.steps_left = StepsLeft(s->ColumnInt64(7), s->ColumnInt64(1));
      }
      candidates.push_back(ClaimCandidate{s->ColumnText(0), ExpectedRunCost(in)});
    }
    result.cell_key = ChooseCellToClaim(candidates, static_cast<size_t>(max_runs));
  }
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectSpecOfSweep));
    s->BindInt64(1, result.sweep_id);
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return absl::InternalError(absl::StrCat("sweep ", result.sweep_id, " vanished"));
    result.spec_yaml = s->ColumnText(0);
  }
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectPack));
    s->BindInt64(1, result.sweep_id);
    s->BindText(2, result.cell_key);
    s->BindInt64(3, StateValue(RunState::kQueued));
    s->BindInt64(4, now_ms);
    s->BindInt64(5, max_runs);
    SG_ASSIGN_OR_RETURN(result.runs, ReadRuns(s));
  }
  std::string hostname;
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectWorker));
    s->BindText(1, worker_id);
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (row) hostname = s->ColumnText(1);
  }
  for (size_t i = 0; i < result.runs.size(); ++i) {
    RunRecord& run = result.runs[i];
    ApplyClaim(worker_id, holder, fresh_tokens[i], now_ms, policy, &run);
    SG_RETURN_IF_ERROR(WriteRun(run));  // writes the hash, never the token
    SG_ASSIGN_OR_RETURN(std::optional<RunAttempt> last, LoadLastAttempt(run.run_id));
    const int32_t number = last ? last->attempt + 1 : 1;
    SG_RETURN_IF_ERROR(InsertAttempt(BeginAttempt(run, number, hostname, device, now_ms)));
  }
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kTouchWorker));
    s->BindInt64(1, now_ms);
    s->BindText(2, worker_id);
    SG_RETURN_IF_ERROR(s->Run());
  }
  SG_RETURN_IF_ERROR(txn.Commit());
  return result;
}

absl::StatusOr<HeartbeatResult> SqliteStore::Heartbeat(
    const std::string& worker_id, const std::vector<Lease>& leases,
    const std::vector<ProgressUpdate>& progress, int64_t now_ms, const QueuePolicy& policy) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kTouchWorker));
    s->BindInt64(1, now_ms);
    s->BindText(2, worker_id);
    SG_RETURN_IF_ERROR(s->Run());
  }
  for (const ProgressUpdate& update : progress) {
    SG_ASSIGN_OR_RETURN(std::optional<RunRecord> run, LoadRun(update.lease.run_id));
    if (!run || CheckLease(*run, update.lease) != LeaseStatus::kCurrent) {
      continue;  // reported below through its lease
    }
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kRecordProgress));
    s->BindInt64(1, update.step);
    s->BindDouble(2, update.steps_per_second);
    s->BindInt64(3, update.lease.run_id);
    SG_RETURN_IF_ERROR(s->Run());
  }
  HeartbeatResult result;
  for (const Lease& lease : leases) {
    SG_ASSIGN_OR_RETURN(std::optional<RunRecord> run, LoadRun(lease.run_id));
    LeaseStatus status = run ? CheckLease(*run, lease) : LeaseStatus::kLost;
    switch (status) {
      case LeaseStatus::kCurrent: {
        SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kRenewLease));
        s->BindInt64(1, now_ms + policy.lease_ms);
        s->BindInt64(2, now_ms);
        s->BindInt64(3, lease.run_id);
        SG_RETURN_IF_ERROR(s->Run());
        result.renewed.push_back(lease.run_id);
        break;
      }
      case LeaseStatus::kCancelled:
        result.cancelled.push_back(lease.run_id);
        break;
      case LeaseStatus::kNotHolder:
      case LeaseStatus::kLost:
        result.lost.push_back(lease.run_id);
        break;
    }
  }
  SG_RETURN_IF_ERROR(txn.Commit());
  return result;
}

absl::Status SqliteStore::RecordMetrics(const std::vector<Lease>& leases,
                                        const std::vector<MetricPointRecord>& points) {
  SG_RETURN_IF_ERROR(ValidateMetricBatch(leases, points));
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  // Check every lease before writing anything: the batch is all or nothing.
  for (const Lease& lease : leases) {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectLeaseOfRun));
    s->BindInt64(1, lease.run_id);
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    RunRecord run;
    if (row) {
      run.state = static_cast<RunState>(s->ColumnInt64(0));
      run.lease_token_hash = s->ColumnText(1);
      run.lease_holder = s->ColumnText(2);
    }
    if (!row || CheckLease(run, lease) != LeaseStatus::kCurrent) {
      // Reload in full for the message; this path is rare.
      SG_ASSIGN_OR_RETURN(std::optional<RunRecord> full, LoadRun(lease.run_id));
      return StaleLeaseError(lease, full ? &*full : nullptr);
    }
  }
  absl::flat_hash_map<std::string, int64_t> new_metrics;
  absl::flat_hash_map<int64_t, int64_t> max_step;  // run -> highest step in this batch
  // run -> its first non-finite loss step in this batch (NonFiniteStepAfter from 0).
  absl::flat_hash_map<int64_t, int64_t> non_finite;
  struct Row {
    int64_t run_id, metric_id, step;
    double value;
  };
  std::vector<Row> rows;
  rows.reserve(points.size());
  {
    // Consecutive points often share a metric name: skip the lookup when it repeats.
    const std::string* last_name = nullptr;
    int64_t metric_id = 0;
    for (const MetricPointRecord& p : points) {
      if (last_name == nullptr || *last_name != p.metric) {
        SG_ASSIGN_OR_RETURN(metric_id, InternMetric(p.metric, &new_metrics));
        last_name = &p.metric;
      }
      rows.push_back(Row{p.run_id, metric_id, p.step, p.value});
      auto [it, inserted] = max_step.try_emplace(p.run_id, p.step);
      if (!inserted) it->second = std::max(it->second, p.step);
      if (!std::isfinite(p.value) && IsLossMetric(p.metric)) {
        int64_t& mark = non_finite[p.run_id];  // 0 when new
        mark = NonFiniteStepAfter(mark, p);
      }
    }
  }
  // Key order makes consecutive inserts land on the same leaf page. Stable, so of two points with
  // one key the later is still written last and wins.
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.run_id != b.run_id) return a.run_id < b.run_id;
    if (a.metric_id != b.metric_id) return a.metric_id < b.metric_id;
    return a.step < b.step;
  });
  // One cached single-row UPSERT per point. (A 64-row INSERT ... VALUES was tried and measured
  // slower per point in sg-store-bench.)
  {
    SG_ASSIGN_OR_RETURN(StatementHandle upsert, statements_.Get(kUpsertPoint));
    for (const Row& row : rows) {
      upsert->BindInt64(1, row.run_id);
      upsert->BindInt64(2, row.metric_id);
      upsert->BindInt64(3, row.step);
      const bool nan = std::isnan(row.value);
      upsert->BindDouble(4, nan ? 0.0 : row.value);
      upsert->BindInt64(5, nan ? 1 : 0);
      SG_RETURN_IF_ERROR(upsert->Run());
      upsert->Reset();
    }
  }
  // The rows are sorted by curve and step: each block written to is rebuilt once.
  for (size_t i = 0; i < rows.size();) {
    const int64_t block = PointBlockOf(rows[i].step);
    size_t j = i + 1;
    while (j < rows.size() && rows[j].run_id == rows[i].run_id &&
           rows[j].metric_id == rows[i].metric_id && PointBlockOf(rows[j].step) == block) {
      ++j;
    }
    SG_RETURN_IF_ERROR(RebuildPointBlocks(&statements_, rows[i].run_id, rows[i].metric_id,
                                          block, block));
    i = j;
  }
  for (const auto& [run_id, step] : max_step) {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kRaiseRunStep));
    s->BindInt64(1, step);
    s->BindInt64(2, run_id);
    SG_RETURN_IF_ERROR(s->Run());
  }
  for (const auto& [run_id, step] : non_finite) {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kLowerNonFiniteStep));
    s->BindInt64(1, step);
    s->BindInt64(2, run_id);
    s->BindInt64(3, step);
    SG_RETURN_IF_ERROR(s->Run());
  }
  SG_RETURN_IF_ERROR(txn.Commit());
  metric_ids_.insert(new_metrics.begin(), new_metrics.end());
  return absl::OkStatus();
}

absl::Status SqliteStore::RecordRunPoints(int64_t run_id,
                                         const std::vector<MetricPointRecord>& points) {
  SG_RETURN_IF_ERROR(ValidateRunPoints(run_id, points));
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  SG_ASSIGN_OR_RETURN(std::optional<RunRecord> run, LoadRun(run_id));
  if (!run) return RunNotFound(run_id);
  absl::flat_hash_map<std::string, int64_t> new_metrics;
  // (metric, block) written to: each is rebuilt once, after the points.
  std::set<std::pair<int64_t, int64_t>> touched;
  {
    SG_ASSIGN_OR_RETURN(StatementHandle upsert, statements_.Get(kUpsertPoint));
    for (const MetricPointRecord& p : points) {
      SG_ASSIGN_OR_RETURN(int64_t metric_id, InternMetric(p.metric, &new_metrics));
      upsert->BindInt64(1, run_id);
      upsert->BindInt64(2, metric_id);
      upsert->BindInt64(3, p.step);
      const bool nan = std::isnan(p.value);
      upsert->BindDouble(4, nan ? 0.0 : p.value);
      upsert->BindInt64(5, nan ? 1 : 0);
      SG_RETURN_IF_ERROR(upsert->Run());
      upsert->Reset();
      touched.emplace(metric_id, PointBlockOf(p.step));
    }
  }
  for (const auto& [metric_id, block] : touched) {
    SG_RETURN_IF_ERROR(RebuildPointBlocks(&statements_, run_id, metric_id, block, block));
  }
  SG_RETURN_IF_ERROR(txn.Commit());
  metric_ids_.insert(new_metrics.begin(), new_metrics.end());
  return absl::OkStatus();
}

absl::Status SqliteStore::RecordCheckpoint(const Lease& lease, int64_t step,
                                           const std::string& path) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  SG_ASSIGN_OR_RETURN(RunRecord run, LoadCurrentRun(lease));
  run.checkpoint_step = step;
  run.checkpoint_path = path;
  run.step = std::max(run.step, step);
  SG_RETURN_IF_ERROR(WriteRun(run));
  SG_ASSIGN_OR_RETURN(std::optional<RunAttempt> attempt, LoadLastAttempt(run.run_id));
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kInsertCheckpoint));
    s->BindInt64(1, run.run_id);
    s->BindInt64(2, attempt ? attempt->attempt : 0);
    s->BindInt64(3, step);
    s->BindText(4, path);
    SG_RETURN_IF_ERROR(s->Run());
  }
  {
    SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kTrimCheckpoints));
    s->BindInt64(1, run.run_id);
    s->BindInt64(2, run.run_id);
    s->BindInt64(3, kMaxCheckpointsPerRun);
    SG_RETURN_IF_ERROR(s->Run());
  }
  return txn.Commit();
}

absl::Status SqliteStore::CompleteRun(const Lease& lease, int64_t final_step, int64_t now_ms) {
  return FinishRun(lease, final_step, /*trained_steps=*/0, now_ms).status();
}

absl::StatusOr<bool> SqliteStore::FinishRun(const Lease& lease, int64_t final_step,
                                            int64_t trained_steps, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  SG_ASSIGN_OR_RETURN(RunRecord run, LoadCurrentRun(lease));
  const bool requeued = ApplyFinish(final_step, trained_steps, now_ms, &run);
  SG_RETURN_IF_ERROR(WriteRun(run));
  SG_RETURN_IF_ERROR(
      EndOpenAttempt(run, requeued ? kAttemptExtended : kAttemptCompleted, "", now_ms));
  SG_RETURN_IF_ERROR(txn.Commit());
  return requeued;
}

absl::Status SqliteStore::FailRun(const Lease& lease, const std::string& reason, bool retryable,
                                  int64_t now_ms, const QueuePolicy& policy) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  SG_ASSIGN_OR_RETURN(RunRecord run, LoadCurrentRun(lease));
  if (retryable) {
    ApplyFailedAttempt(reason, now_ms, policy, &run);
  } else {
    ApplyFailForGood(reason, now_ms, &run);
  }
  SG_RETURN_IF_ERROR(WriteRun(run));
  SG_RETURN_IF_ERROR(EndOpenAttempt(run, kAttemptFailed, reason, now_ms));
  return txn.Commit();
}

absl::Status SqliteStore::ReleaseRun(const Lease& lease, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  SG_ASSIGN_OR_RETURN(RunRecord run, LoadCurrentRun(lease));
  ApplyRelease(now_ms, &run);
  SG_RETURN_IF_ERROR(WriteRun(run));
  SG_RETURN_IF_ERROR(EndOpenAttempt(run, kAttemptReleased, "", now_ms));
  return txn.Commit();
}

absl::StatusOr<int64_t> SqliteStore::RequeueExpired(int64_t now_ms, const QueuePolicy& policy) {
  absl::MutexLock lock(&mu_);
  SqliteTransaction txn(db_.get());
  SG_RETURN_IF_ERROR(txn.Begin());
  SG_ASSIGN_OR_RETURN(int64_t changed, RequeueExpiredLocked(now_ms, policy));
  SG_RETURN_IF_ERROR(txn.Commit());
  return changed;
}

// --- curves

absl::StatusOr<std::optional<int64_t>> SqliteStore::CurveMetricId(int64_t run_id,
                                                                  const std::string& metric) {
  SG_ASSIGN_OR_RETURN(bool exists, RunExists(run_id));
  if (!exists) return RunNotFound(run_id);
  if (auto it = metric_ids_.find(metric); it != metric_ids_.end()) return it->second;
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectMetricId));
  s->BindText(1, metric);
  SG_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<int64_t>();  // no run has this metric
  const int64_t metric_id = s->ColumnInt64(0);
  metric_ids_[metric] = metric_id;  // committed: it was read from the database
  return std::optional<int64_t>(metric_id);
}

namespace {

// The point of a (step, value, is_nan) row.
Point PointOfRow(const StatementHandle& s) {
  const bool nan = s->ColumnInt64(2) != 0;
  return Point{s->ColumnInt64(0),
               nan ? std::numeric_limits<double>::quiet_NaN() : s->ColumnDouble(1)};
}

}  // namespace

absl::StatusOr<std::vector<Point>> SqliteStore::GetCurve(int64_t run_id,
                                                         const std::string& metric) {
  absl::MutexLock lock(&mu_);
  std::vector<Point> out;
  SG_ASSIGN_OR_RETURN(std::optional<int64_t> metric_id, CurveMetricId(run_id, metric));
  if (!metric_id) return out;
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectCurve));
  s->BindInt64(1, run_id);
  s->BindInt64(2, *metric_id);
  while (true) {
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(PointOfRow(s));
  }
  return out;
}

absl::StatusOr<std::vector<Point>> SqliteStore::GetCurveWindow(int64_t run_id,
                                                               const std::string& metric,
                                                               int64_t from_step,
                                                               int64_t limit) {
  absl::MutexLock lock(&mu_);
  std::vector<Point> out;
  SG_ASSIGN_OR_RETURN(std::optional<int64_t> metric_id, CurveMetricId(run_id, metric));
  if (!metric_id) return out;
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectCurveWindow));
  s->BindInt64(1, run_id);
  s->BindInt64(2, *metric_id);
  s->BindInt64(3, from_step);
  s->BindInt64(4, limit > 0 ? limit : -1);
  if (limit > 0) out.reserve(static_cast<size_t>(std::min<int64_t>(limit, 1 << 20)));
  while (true) {
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(PointOfRow(s));
  }
  return out;
}

absl::StatusOr<std::optional<Point>> SqliteStore::GetPointBefore(int64_t run_id,
                                                                 const std::string& metric,
                                                                 int64_t before_step) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(std::optional<int64_t> metric_id, CurveMetricId(run_id, metric));
  if (!metric_id) return std::optional<Point>();
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectPointBefore));
  s->BindInt64(1, run_id);
  s->BindInt64(2, *metric_id);
  s->BindInt64(3, before_step);
  SG_ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return std::optional<Point>();
  return std::optional<Point>(PointOfRow(s));
}

absl::StatusOr<std::vector<std::string>> SqliteStore::ListMetrics(int64_t run_id) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(bool exists, RunExists(run_id));
  if (!exists) return RunNotFound(run_id);
  std::vector<std::string> out;
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectMetricsOfRun));
  s->BindInt64(1, run_id);
  while (true) {
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back(s->ColumnText(0));
  }
  return out;
}

absl::StatusOr<std::vector<SweepMetricCount>> SqliteStore::ListSweepMetrics(int64_t sweep_id) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(std::optional<SweepRecord> sweep, LoadSweep(kSelectSweepById, sweep_id, ""));
  if (!sweep) return SweepNotFound(sweep_id);
  std::vector<SweepMetricCount> out;
  SG_ASSIGN_OR_RETURN(StatementHandle s, statements_.Get(kSelectSweepMetricCounts));
  s->BindInt64(1, sweep_id);
  while (true) {
    SG_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    SweepMetricCount count;
    count.metric = s->ColumnText(0);
    count.points = s->ColumnInt64(1);
    count.runs = s->ColumnInt64(2);
    count.last_step = s->ColumnInt64(3);
    out.push_back(std::move(count));
  }
  return out;
}

absl::StatusOr<std::vector<PointBlock>> SqliteStore::GetPointBlocks(int64_t run_id,
                                                                    const std::string& metric) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(std::optional<int64_t> metric_id, CurveMetricId(run_id, metric));
  if (!metric_id) return std::vector<PointBlock>();
  return ReadPointBlocks(&statements_, run_id, *metric_id);
}

}  // namespace sg
