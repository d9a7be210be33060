// The job queue and curve store, in the queue's own terms. Two implementations: MemoryStore
// (tests, the conformance suite's reference) and SqliteStore (production; only the coordinator
// opens the database). One conformance suite (store_conformance_test.cc) runs against both.
//
// Thread-safety: every method may be called from any thread; implementations serialise writes.
// Each mutating method is one atomic transaction. Time is passed in (`now_ms`) by the caller,
// which takes it from an injected Clock; the store never reads the wall clock.
#ifndef SG_COORDINATOR_STORE_H_
#define SG_COORDINATOR_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sg {

enum class RunState { kQueued = 1, kRunning = 2, kSucceeded = 3, kFailed = 4, kCancelled = 5 };
const char* RunStateName(RunState state);  // "queued", "running", ...
absl::StatusOr<RunState> ParseRunState(const std::string& name);

// What SubmitSweep stores: the sweep and one entry per run, already expanded and validated.
struct NewRun {
  std::string cell_key;     // "depth=6": pack key; equal keys of one sweep differ only by seed
  std::string config_json;  // the grid axes: {"depth":6}
  int64_t seed = 0;
  // The run's fully resolved config, RunConfigJson (common/run_config.h); the same for every
  // seed of a cell. "" only for stores fed by hand (tests).
  std::string resolved_config_json;
};
struct NewSweep {
  std::string name;
  std::string task;
  std::string spec_yaml;
  std::vector<NewRun> runs;
};

struct SweepRecord {
  int64_t sweep_id = 0;
  std::string name;
  std::string task;
  std::string spec_yaml;
  int64_t created_ms = 0;
  bool cancelled = false;
  int64_t total_runs = 0;
  int64_t queued = 0, running = 0, succeeded = 0, failed = 0, cancelled_runs = 0;
};

struct RunRecord {
  int64_t run_id = 0;
  int64_t sweep_id = 0;
  std::string cell_key;
  std::string config_json;
  int64_t seed = 0;
  RunState state = RunState::kQueued;
  int64_t step = 0;                 // highest step reported (metrics or progress)
  int32_t attempts = 0;             // claims so far
  std::string worker_id;            // holder while running, else the last holder
  // The current lease's fencing token is never stored: only its SHA-256 (64 hex digits; empty:
  // no lease). A token is at least 128 random bits (see Coordinator::ClaimJobs).
  std::string lease_token_hash;
  // The identity (auth token name; "" when the coordinator runs without tokens) that claimed
  // the current lease: writes under the lease from any other identity are refused.
  std::string lease_holder;
  // The plaintext token, set only in the runs a ClaimRuns result hands out (so the caller can
  // pass it to the worker once); never stored, never read back, never logged.
  std::string lease_token;
  int64_t lease_expires_ms = 0;
  int64_t last_heartbeat_ms = 0;
  int64_t not_before_ms = 0;        // backoff: not claimable before this time
  std::string last_error;
  int64_t checkpoint_step = 0;
  std::string checkpoint_path;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  double steps_per_second = 0;
  int64_t progress_at_last_claim = 0;  // step when last claimed (to see "no progress")
  // Failed attempts in a row that made no progress (see ApplyFailedAttempt); 0 after progress.
  int32_t failures_without_progress = 0;
  // RunConfigJson of the run's resolved config, as submitted ("" for a run of an older database
  // whose spec no longer resolves: no stored config).
  std::string resolved_config_json;
  // The first step at which train_loss or val_loss was NaN or infinite (RecordMetrics keeps it);
  // 0: never. Steps start at 1.
  int64_t non_finite_step = 0;
};

struct WorkerDevice {
  std::string name;  // "cpu", "cuda:0"
  int64_t memory_bytes = 0;
  int32_t slots = 1;
};
struct WorkerRecord {
  std::string worker_id;
  std::string hostname;
  std::vector<WorkerDevice> devices;
  int64_t registered_ms = 0;
  int64_t last_heartbeat_ms = 0;
  int32_t running_runs = 0;
  // The identity (auth token name) that registered the id; "" for a worker registered without
  // tokens, which the first identity to re-register it adopts.
  std::string owner;
};

// One line of the audit trail: who did what to which object.
struct AuditEvent {
  int64_t event_id = 0;  // assigned by the store, increasing
  int64_t at_ms = 0;
  std::string actor;     // auth token name ("" without tokens: anonymous on loopback)
  std::string role;      // the actor's role then ("admin", ...; "" without tokens)
  std::string action;    // "submit_sweep", "cancel_sweep", "cancel_run", "register_worker"
  std::string target;    // "sweep 3 (qf-depth)", "run 17", "worker w-2"
  std::string detail;    // free text: "created, 48 runs", "hostname gpu-7"
};

// Who changed a run by hand: the caller as the audit trail records it (auth token name and
// role; both "" for the anonymous caller of a coordinator without a token file).
struct ChangeActor {
  std::string actor;
  std::string role;
};

// One entry of a run's history: a change a user made to it (issue 23). Every change of its
// horizon (`extend`), every `retry` and every `cancel` that changed the run is recorded.
struct RunChange {
  int64_t change_id = 0;  // assigned by the store, increasing
  int64_t run_id = 0;
  int64_t at_ms = 0;
  std::string actor;      // ChangeActor
  std::string role;
  std::string action;     // "extend", "retry", "cancel"
  int64_t from_step = 0;  // the run's step (RunRecord::step) when the change was made
  // train.steps of the run's stored config before and after (equal unless extend; 0 for a run
  // without a stored config).
  int64_t steps_before = 0;
  int64_t steps_after = 0;
  RunState state_before = RunState::kQueued;
  RunState state_after = RunState::kQueued;
  std::string detail;     // e.g. the last error a retry cleared
};

// One attempt of a run: one claim, from the claim to what ended it (issue 21's run page).
// Attempts are numbered 1, 2, ... per run over its whole life; unlike RunRecord::attempts,
// a retry by hand does not restart the count. Runs of databases older than schema version 7
// have no rows for the attempts they made before it.
struct RunAttempt {
  int64_t run_id = 0;
  int32_t attempt = 0;
  std::string worker_id;
  std::string hostname;     // the worker's hostname when it claimed ("" if unregistered)
  std::string device;       // the device the worker named in its claim ("" when none)
  int64_t claimed_ms = 0;
  int64_t ended_ms = 0;     // 0 while running
  std::string outcome;      // one of the kAttempt* names below
  std::string error;        // the failure's reason (failed, lease_expired); else ""
  int64_t start_step = 0;   // the run's step when claimed (where it resumed)
  int64_t step = 0;         // the run's step when the attempt ended (while running: now)
};
inline constexpr char kAttemptRunning[] = "running";
inline constexpr char kAttemptCompleted[] = "completed";
inline constexpr char kAttemptFailed[] = "failed";            // FailRun, retryable or not
inline constexpr char kAttemptReleased[] = "released";        // ReleaseRun (graceful stop)
inline constexpr char kAttemptLeaseExpired[] = "lease_expired";
inline constexpr char kAttemptCancelled[] = "cancelled";      // cancelled by a user meanwhile
// FinishRun when the horizon was raised while it ran: it trained to its old horizon and was
// queued again at once to train on.
inline constexpr char kAttemptExtended[] = "extended";

// One checkpoint a run reported (RecordCheckpoint), with the attempt that wrote it. A store
// keeps the newest kMaxCheckpointsPerRun of a run; the files themselves may since be gone
// (the trainer keeps only its newest ones).
struct RunCheckpoint {
  int64_t run_id = 0;
  int32_t attempt = 0;  // 0 when the run has no attempt record (an older database)
  int64_t step = 0;
  std::string path;
};
inline constexpr int kMaxCheckpointsPerRun = 100;

// A lease on one run, as presented by a worker with a write.
struct Lease {
  int64_t run_id = 0;
  std::string token;   // the plaintext fencing token ClaimRuns handed out
  std::string holder;  // the caller's identity (auth token name; "" without tokens)
};

// Values may be NaN, +Inf or -Inf: a store keeps them as they came (a diverged run's points
// are what show that it diverged).
struct Point {
  int64_t step = 0;
  double value = 0;
};
// One metric of a sweep (ListSweepMetrics): what it has recorded.
struct SweepMetricCount {
  std::string metric;
  int64_t points = 0;     // over every run of the sweep
  int64_t runs = 0;       // runs with at least one point of it
  int64_t last_step = 0;  // its highest step
};
// A summary of one block of a curve: its points with step in [block * kPointBlockSteps,
// (block + 1) * kPointBlockSteps). Kept at write time (SqliteStore: the point_blocks table,
// migrations/0006_point_blocks.sql), so that a downsampled curve, a sweep's metric counts and
// the report are built from about steps / kPointBlockSteps rows per curve instead of every
// point (curve_query.cc). The four points are those a downsampling bucket keeps
// (analysis/downsample.h), so the buckets made of whole blocks come out as if every point had
// been read.
inline constexpr int64_t kPointBlockSteps = 256;
struct PointBlock {
  int64_t block = 0;   // PointBlockOf(step)
  int64_t points = 0;  // >= 1
  Point first, last;   // values may be NaN
  // The minimum and maximum over the block's non-NaN values (-Inf and +Inf are ordinary
  // values), each the earliest of equal values; nullopt when every value is NaN.
  std::optional<Point> min, max;
  std::optional<int64_t> first_nan_step;  // the block's first NaN point, if any
};
// The block of a step: step / kPointBlockSteps rounded down (steps may be negative).
inline int64_t PointBlockOf(int64_t step) {
  return step >= 0 ? step / kPointBlockSteps : -((-step + kPointBlockSteps - 1) / kPointBlockSteps);
}
// The blocks of a curve given with strictly increasing steps, in block order.
std::vector<PointBlock> SummarizeBlocks(const std::vector<Point>& curve);

struct MetricPointRecord {
  int64_t run_id = 0;
  std::string metric;
  int64_t step = 0;
  double value = 0;
};

// The metrics whose non-finite value marks a run as diverged (RunRecord::non_finite_step).
bool IsLossMetric(const std::string& metric);  // train_loss, val_loss
// The step `point` sets as its run's non_finite_step, given the run's current one: the point's
// step (at least 1, as 0 means never) when it is a non-finite loss below the current mark (or
// there is none), else `current`.
int64_t NonFiniteStepAfter(int64_t current, const MetricPointRecord& point);

// Scheduling policy. Comments give defaults.
struct QueuePolicy {
  int64_t lease_ms = 60'000;           // a lease lives this long without renewal
  int64_t backoff_base_ms = 5'000;     // re-queue delay after a failed attempt: base * 2^(n-1)
  int64_t backoff_max_ms = 300'000;
  int32_t max_attempts_without_progress = 3;  // then the run ends failed with the reason
  // No lease is expired at a time before this: the coordinator sets it one lease after its
  // start and after its storage last failed, so holders can renew first (lease_grace.h).
  int64_t no_expiry_before_ms = 0;
};

struct ClaimResult {
  int64_t sweep_id = 0;
  std::string cell_key;
  std::string spec_yaml;
  std::vector<RunRecord> runs;  // state running; lease_token holds the fresh plaintext token
};

struct HeartbeatResult {
  std::vector<int64_t> renewed;    // leases extended to now + lease_ms
  std::vector<int64_t> cancelled;  // runs cancelled by a user: stop them
  std::vector<int64_t> lost;       // token no longer current (expired, re-claimed): stop them
};

struct ProgressUpdate {
  Lease lease;
  int64_t step = 0;
  double steps_per_second = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- sweeps (client side)
  // Creates the sweep and its runs (state queued). If a sweep named `sweep.name` exists, returns
  // it unchanged with *created = false and creates nothing.
  virtual absl::StatusOr<SweepRecord> CreateSweep(const NewSweep& sweep, int64_t now_ms,
                                                  bool* created) = 0;
  virtual absl::StatusOr<SweepRecord> GetSweep(int64_t sweep_id) = 0;         // kNotFound
  virtual absl::StatusOr<SweepRecord> GetSweepByName(const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<SweepRecord>> ListSweeps() = 0;
  // Runs of a sweep ordered by run_id; state filter optional.
  virtual absl::StatusOr<std::vector<RunRecord>> ListRuns(int64_t sweep_id,
                                                          std::optional<RunState> state) = 0;
  virtual absl::StatusOr<RunRecord> GetRun(int64_t run_id) = 0;  // kNotFound
  // Cancels every queued or running run of the sweep and stops handing out its work.
  // Returns how many runs changed state. Idempotent.
  virtual absl::StatusOr<int64_t> CancelSweep(int64_t sweep_id, int64_t now_ms) = 0;
  // Returns false if the run had already ended. Idempotent.
  virtual absl::StatusOr<bool> CancelRun(int64_t run_id, int64_t now_ms) = 0;
  // CancelSweep and CancelRun, recording each run they change in its history (action "cancel",
  // by `who`) in the same transaction. CancelSweepAs marks the sweep cancelled only when it
  // changed a run: cancelling a finished sweep changes nothing. Returns the changes (empty:
  // nothing was queued or running).
  virtual absl::StatusOr<std::vector<RunChange>> CancelSweepAs(int64_t sweep_id,
                                                               const ChangeActor& who,
                                                               int64_t now_ms) = 0;
  virtual absl::StatusOr<std::vector<RunChange>> CancelRunAs(int64_t run_id,
                                                             const ChangeActor& who,
                                                             int64_t now_ms) = 0;
  // Sets the horizon (train.steps of the stored resolved config) of each run in `run_ids` to
  // `steps`, in one transaction (ApplyExtend): all of them or, on the first refusal, none
  // (the error names the run). Succeeded runs below `steps` are queued again. Runs already at
  // `steps` are left alone. Returns the changes made, each recorded in its run's history.
  // kNotFound for an unknown run.
  virtual absl::StatusOr<std::vector<RunChange>> ExtendRuns(const std::vector<int64_t>& run_ids,
                                                            int64_t steps,
                                                            const ChangeActor& who,
                                                            int64_t now_ms) = 0;
  // Queues again each failed or cancelled run in `run_ids` (ApplyRetry), in one transaction;
  // other states are left alone. Returns the changes made, each recorded in its run's history.
  // kNotFound for an unknown run.
  virtual absl::StatusOr<std::vector<RunChange>> RetryRuns(const std::vector<int64_t>& run_ids,
                                                           const ChangeActor& who,
                                                           int64_t now_ms) = 0;
  // The history of one run (run_id > 0) or of every run of a sweep (run_id 0), oldest first.
  virtual absl::StatusOr<std::vector<RunChange>> ListRunChanges(int64_t sweep_id,
                                                                int64_t run_id) = 0;

  // --- workers
  // Registers a new worker (empty worker_id: one is assigned) or updates an existing one.
  // worker.owner is the caller's identity: an existing id whose owner is another non-empty
  // identity is refused with kPermissionDenied and nothing changes; an owner "" is adopted.
  virtual absl::StatusOr<WorkerRecord> RegisterWorker(const WorkerRecord& worker,
                                                      int64_t now_ms) = 0;
  virtual absl::StatusOr<WorkerRecord> GetWorker(const std::string& worker_id) = 0;  // kNotFound
  virtual absl::StatusOr<std::vector<WorkerRecord>> ListWorkers() = 0;

  // --- audit trail
  // Appends the event (event_id is assigned; the given one is ignored) and returns its id.
  virtual absl::StatusOr<int64_t> AppendAudit(const AuditEvent& event) = 0;
  // The newest `limit` events (limit <= 0: all), oldest first.
  virtual absl::StatusOr<std::vector<AuditEvent>> ListAudit(int64_t limit) = 0;

  // --- the queue (worker side). Fencing: every call below that takes a Lease fails with
  // kFailedPrecondition and changes nothing when lease.token is not the run's current token
  // or the run is not running, and with kPermissionDenied when the token is current but
  // lease.holder is not the identity that claimed it. Neither message names a token.
  // One atomic transaction: re-queues expired leases first, then picks a pack of claimable
  // queued runs (not cancelled, not_before_ms <= now) of one sweep and cell, at most
  // fresh_tokens.size() runs, oldest first: the sweep is the oldest claimable run's, the cell the
  // one whose pack has the largest expected cost (ChooseCellToClaim), and marks them running under `holder` with lease
  // expiry now+lease_ms, raises their attempts. The i-th run gets fresh_tokens[i] (the caller
  // draws them at random; the store keeps only their hashes). An empty result means no work.
  // Each run claimed starts an attempt record (RunAttempt) naming the worker, its hostname and
  // `device`; every call below that ends an attempt (FinishRun, FailRun, ReleaseRun, an expired
  // lease, a cancel) closes that record in the same transaction.
  virtual absl::StatusOr<ClaimResult> ClaimRunsOn(const std::string& worker_id,
                                                  const std::string& holder,
                                                  const std::string& device,
                                                  const std::vector<std::string>& fresh_tokens,
                                                  int64_t now_ms, const QueuePolicy& policy) = 0;
  // ClaimRunsOn without naming a device.
  absl::StatusOr<ClaimResult> ClaimRuns(const std::string& worker_id, const std::string& holder,
                                        const std::vector<std::string>& fresh_tokens,
                                        int64_t now_ms, const QueuePolicy& policy) {
    return ClaimRunsOn(worker_id, holder, "", fresh_tokens, now_ms, policy);
  }
  // Renews each lease whose token is current and held by lease.holder; reports cancelled and
  // lost ones (a lease held by another identity is reported lost and not renewed).
  virtual absl::StatusOr<HeartbeatResult> Heartbeat(const std::string& worker_id,
                                                    const std::vector<Lease>& leases,
                                                    const std::vector<ProgressUpdate>& progress,
                                                    int64_t now_ms,
                                                    const QueuePolicy& policy) = 0;
  // Stores points keyed (run, metric, step); a repeat overwrites (the later value wins). All
  // points must belong to runs in `leases` with current tokens, else nothing is stored.
  // Raises each run's step to its highest point. NaN and infinite values are stored as they
  // are; a non-finite loss point lowers its run's non_finite_step to its step (NonFiniteStepAfter).
  virtual absl::Status RecordMetrics(const std::vector<Lease>& leases,
                                     const std::vector<MetricPointRecord>& points) = 0;
  // Stores points of one run without a lease: what an offline analysis recomputed from the
  // run's kept checkpoints (sg-analyze). Every point must be of run_id (kInvalidArgument
  // otherwise) and the run must exist (kNotFound); a point at an existing (metric, step)
  // replaces it. Leaves the run itself (state, step, non-finite step) unchanged. All or nothing.
  virtual absl::Status RecordRunPoints(int64_t run_id,
                                       const std::vector<MetricPointRecord>& points) = 0;
  // Also appends the checkpoint to the run's list (RunCheckpoint), dropping the oldest beyond
  // kMaxCheckpointsPerRun.
  virtual absl::Status RecordCheckpoint(const Lease& lease, int64_t step,
                                        const std::string& path) = 0;
  // A run's attempts, oldest first (the running one, if any, last, with the run's current step),
  // and its kept checkpoints in the order reported. kNotFound for an unknown run.
  virtual absl::StatusOr<std::vector<RunAttempt>> ListRunAttempts(int64_t run_id) = 0;
  virtual absl::StatusOr<std::vector<RunCheckpoint>> ListRunCheckpoints(int64_t run_id) = 0;
  virtual absl::Status CompleteRun(const Lease& lease, int64_t final_step, int64_t now_ms) = 0;
  // CompleteRun for a trainer that trained to the horizon `trained_steps` (0: unknown, then as
  // CompleteRun): when the run's horizon was raised above it while it ran (ExtendRuns), the
  // run is queued again at once instead (ApplyFinish) and the result is true.
  virtual absl::StatusOr<bool> FinishRun(const Lease& lease, int64_t final_step,
                                         int64_t trained_steps, int64_t now_ms) = 0;
  // retryable: queued again after backoff (or failed for good once max attempts pass without
  // progress); not retryable: failed now. The reason is kept in last_error.
  virtual absl::Status FailRun(const Lease& lease, const std::string& reason, bool retryable,
                               int64_t now_ms, const QueuePolicy& policy) = 0;
  // Queued again at once, no attempt penalty (graceful worker shutdown).
  virtual absl::Status ReleaseRun(const Lease& lease, int64_t now_ms) = 0;
  // Re-queues every running run whose lease expired before now (with backoff, or failed for
  // good as FailRun). Returns how many were re-queued or failed. Safe to call any time.
  virtual absl::StatusOr<int64_t> RequeueExpired(int64_t now_ms, const QueuePolicy& policy) = 0;

  // --- curves
  // Points of one run's metric ordered by step, non-finite values included.
  virtual absl::StatusOr<std::vector<Point>> GetCurve(int64_t run_id,
                                                      const std::string& metric) = 0;
  // A window of that curve: its points with step >= from_step, ordered by step, at most `limit`
  // of them (limit <= 0: no limit). A page of a long curve reads its window, not the curve.
  virtual absl::StatusOr<std::vector<Point>> GetCurveWindow(int64_t run_id,
                                                            const std::string& metric,
                                                            int64_t from_step,
                                                            int64_t limit) = 0;
  // The curve's last point with step < before_step; nullopt when it has none (with before_step
  // INT64_MAX: the curve's last point).
  virtual absl::StatusOr<std::optional<Point>> GetPointBefore(int64_t run_id,
                                                              const std::string& metric,
                                                              int64_t before_step) = 0;
  // Names of the metrics a run has points for, sorted.
  virtual absl::StatusOr<std::vector<std::string>> ListMetrics(int64_t run_id) = 0;
  // Every metric the sweep's runs have points for, sorted by name, with counts. kNotFound for
  // an unknown sweep. Reads the sweep's point blocks, not its points.
  virtual absl::StatusOr<std::vector<SweepMetricCount>> ListSweepMetrics(int64_t sweep_id) = 0;
  // The block summaries of one run's metric (PointBlock), in block order; empty when the run
  // has no such points. Equal to SummarizeBlocks(GetCurve(run_id, metric)).
  virtual absl::StatusOr<std::vector<PointBlock>> GetPointBlocks(int64_t run_id,
                                                                 const std::string& metric) = 0;
};

// --- The queue's state transitions, shared by the implementations so that both apply one policy.
// Each takes the run as stored and changes it in place; the caller has checked the lease.
//
// "Progress": an attempt made progress when the run's step (its highest reported step, raised
// by RecordMetrics, Heartbeat progress, RecordCheckpoint and CompleteRun) rose above
// progress_at_last_claim, the step when that attempt was claimed. A run fails for good after
// policy.max_attempts_without_progress failed attempts in a row (retryable FailRun or an
// expired lease) none of which made progress; a failed attempt that did make progress resets
// the count, so a long run that is preempted now and then keeps going.

// Delay before a failed run may be claimed again: backoff_base_ms * 2^(n-1) with
// n = max(1, failures_without_progress), capped at backoff_max_ms.
int64_t BackoffMs(const QueuePolicy& policy, int32_t failures_without_progress);

// A queued run handed to `worker_id` (identity `holder`) under the fresh `token`: running,
// lease_token = token, lease_token_hash = Sha256Hex(token), lease until now + lease_ms,
// attempts + 1, progress_at_last_claim = step, started_ms set on the first claim.
void ApplyClaim(const std::string& worker_id, const std::string& holder, const std::string& token,
                int64_t now_ms, const QueuePolicy& policy, RunRecord* run);

// The claim order (docs/performance.md, "Claim order"). Sweeps are served in submission order:
// a claim takes work from the sweep of the oldest claimable run. Within that sweep it takes the
// pack (the oldest up to max_runs claimable runs of one cell) with the largest expected cost,
// the sum of ExpectedRunCost (common/pack_cost.h) over its runs, so the deepest, longest packs
// of a grid start first and its tail is short ones; equal costs go to the cell whose oldest
// claimable run is oldest (runs whose config does not give a cost count 0, so they keep the
// oldest-first order among themselves).
struct ClaimCandidate {
  std::string cell_key;
  double cost = 0;  // ExpectedRunCost of the run
};
// `runs`: the sweep's claimable runs in run_id order. Returns the cell to claim ("" when none).
std::string ChooseCellToClaim(const std::vector<ClaimCandidate>& runs, size_t max_runs);
// ExpectedRunCost of a run from its stored resolved config (RunRecord::resolved_config_json),
// resuming from its committed checkpoint: 0 when the config does not parse.
double ExpectedCostOfStoredRun(const std::string& resolved_config_json, int64_t checkpoint_step);

// A running run's attempt failed (retryable) or its lease expired. Either queued again with
// not_before_ms = now + BackoffMs, no lease token and last_error = reason, or, when this makes
// max_attempts_without_progress failures in a row without progress, failed for good with
// last_error saying so and naming `reason`.
void ApplyFailedAttempt(const std::string& reason, int64_t now_ms, const QueuePolicy& policy,
                        RunRecord* run);

// Graceful release (ReleaseRun): queued again and claimable at once; attempts (claims so far)
// and failures_without_progress stay as they are, last_error is untouched.
void ApplyRelease(int64_t now_ms, RunRecord* run);
// CompleteRun: succeeded, step raised to final_step.
void ApplyComplete(int64_t final_step, int64_t now_ms, RunRecord* run);
// FinishRun: ApplyComplete, or, when trained_steps > 0 and the run's stored horizon
// (RunHorizon) is above it, ApplyRelease with step raised to final_step. Returns true when
// the run was queued again.
bool ApplyFinish(int64_t final_step, int64_t trained_steps, int64_t now_ms, RunRecord* run);

// train.steps of the run's stored resolved config; 0 when it has none (or it does not parse).
int64_t RunHorizon(const RunRecord& run);
// A history entry for `run` as it is now (state_before, steps_before, from_step); the caller
// sets state_after/steps_after after changing the run.
RunChange BeginChange(const RunRecord& run, const std::string& action, const ChangeActor& who,
                      int64_t now_ms);
// ExtendRuns on one run: sets its horizon to `steps`. Refused (nothing changes) with
// kInvalidArgument when steps is outside 1..100000000 or below the run's train.eval_every,
// kFailedPrecondition when the run has no stored config, when steps is below the step it has
// reached (its step), or when it is running and steps is below its current horizon (a running
// trainer cannot stop earlier). A succeeded run whose step is below `steps` is queued again
// (claimable now, no lease, failures_without_progress 0, finished_ms 0); other states keep
// theirs. Returns the change, or nullopt when the horizon is already `steps`.
absl::StatusOr<std::optional<RunChange>> ApplyExtend(int64_t steps, const ChangeActor& who,
                                                     int64_t now_ms, RunRecord* run);
// RetryRuns on one run: a failed or cancelled run is queued again, claimable now, with a fresh
// attempt count (attempts and failures_without_progress 0), no lease, finished_ms 0 and
// last_error cleared (the change's detail keeps it); it resumes from its newest checkpoint.
// Returns nullopt (and changes nothing) for other states.
std::optional<RunChange> ApplyRetry(const ChangeActor& who, int64_t now_ms, RunRecord* run);
// A non-retryable FailRun: failed now with last_error = reason.
void ApplyFailForGood(const std::string& reason, int64_t now_ms, RunRecord* run);
// CancelRun / CancelSweep on a queued or running run. The lease token is kept so that its holder
// hears "cancelled" (not "lost") at its next heartbeat; its writes are refused from now on.
void ApplyCancel(int64_t now_ms, RunRecord* run);
// ApplyCancel for a queued or running run, returning its history entry; nullopt (nothing
// changes) for an ended run.
std::optional<RunChange> ApplyCancelAs(const ChangeActor& who, int64_t now_ms, RunRecord* run);
// True for succeeded, failed and cancelled.
bool IsEnded(RunState state);

// A new attempt record for `run` just claimed (after ApplyClaim) as attempt number `attempt`.
RunAttempt BeginAttempt(const RunRecord& run, int32_t attempt, const std::string& hostname,
                        const std::string& device, int64_t now_ms);
// Closes `attempt` with `outcome` (a kAttempt* name) and `error`, at the run's step now.
void EndAttempt(const RunRecord& run, const std::string& outcome, const std::string& error,
                int64_t now_ms, RunAttempt* attempt);
// The reason recorded for an expired lease ("lease expired: ...", naming the worker).
std::string LeaseExpiredReason(const RunRecord& run);

// Argument checks shared by the implementations (kInvalidArgument naming the field):
// a sweep needs a name and a task, and no two runs with the same cell_key and seed;
absl::Status ValidateNewSweep(const NewSweep& sweep);
// a claim needs a worker id and at least one fresh token, each non-empty and distinct;
absl::Status ValidateClaim(const std::string& worker_id,
                           const std::vector<std::string>& fresh_tokens);
// every point needs a metric name and a run among `leases`.
absl::Status ValidateMetricBatch(const std::vector<Lease>& leases,
                                 const std::vector<MetricPointRecord>& points);

// every point of an offline analysis needs a metric name and the request's run.
absl::Status ValidateRunPoints(int64_t run_id, const std::vector<MetricPointRecord>& points);

// What a lease holder's token means for it now.
enum class LeaseStatus {
  kCurrent,    // the run is running under this token, claimed by lease.holder
  kCancelled,  // this token's holder was running it when a user cancelled it
  kNotHolder,  // the token is the run's current one, but another identity claimed it
  kLost,       // anything else: re-queued, re-claimed, ended, or never this run's token
};
// Compares the token's hash with the stored one in constant time.
LeaseStatus CheckLease(const RunRecord& run, const Lease& lease);

// RegisterWorker's ownership rule, shared by the implementations: re-registering `existing`
// as `owner` is allowed when either is "" (no tokens then) or they are equal; otherwise
// kPermissionDenied (naming the worker id, never a token).
absl::Status CheckWorkerOwner(const WorkerRecord& existing, const std::string& owner);

// The error for a write whose lease is not kCurrent (`run` may be null when the run does not
// exist): kPermissionDenied for kNotHolder, else kFailedPrecondition. The message names the
// run and its state, never a token or a token's hash.
absl::Status StaleLeaseError(const Lease& lease, const RunRecord* run);

}  // namespace sg

#endif  // SG_COORDINATOR_STORE_H_
