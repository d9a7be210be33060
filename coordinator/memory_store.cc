#include "coordinator/memory_store.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace sg {
namespace {

absl::Status SweepNotFound(int64_t sweep_id) {
  return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, " not found"));
}
absl::Status RunNotFound(int64_t run_id) {
  return absl::NotFoundError(absl::StrCat("run ", run_id, " not found"));
}
absl::Status WorkerNotFound(const std::string& worker_id) {
  return absl::NotFoundError(absl::StrCat(
      "worker ", worker_id, " is not registered; call RegisterWorker first"));
}

}  // namespace

SweepRecord MemoryStore::WithCounts(const SweepRecord& sweep) const {
  SweepRecord out = sweep;
  out.total_runs = out.queued = out.running = out.succeeded = out.failed = out.cancelled_runs = 0;
  for (const auto& [id, run] : runs_) {
    if (run.sweep_id != sweep.sweep_id) continue;
    ++out.total_runs;
    switch (run.state) {
      case RunState::kQueued: ++out.queued; break;
      case RunState::kRunning: ++out.running; break;
      case RunState::kSucceeded: ++out.succeeded; break;
      case RunState::kFailed: ++out.failed; break;
      case RunState::kCancelled: ++out.cancelled_runs; break;
    }
  }
  return out;
}

absl::StatusOr<SweepRecord> MemoryStore::CreateSweep(const NewSweep& sweep, int64_t now_ms,
                                                     bool* created) {
  SG_RETURN_IF_ERROR(ValidateNewSweep(sweep));
  absl::MutexLock lock(&mu_);
  for (const auto& [id, existing] : sweeps_) {
    if (existing.name == sweep.name) {
      if (created != nullptr) *created = false;
      return WithCounts(existing);
    }
  }
  SweepRecord record;
  record.sweep_id = ++last_sweep_id_;
  record.name = sweep.name;
  record.task = sweep.task;
  record.spec_yaml = sweep.spec_yaml;
  record.created_ms = now_ms;
  sweeps_[record.sweep_id] = record;
  for (const NewRun& run : sweep.runs) {
    RunRecord r;
    r.run_id = ++last_run_id_;
    r.sweep_id = record.sweep_id;
    r.cell_key = run.cell_key;
    r.config_json = run.config_json;
    r.resolved_config_json = run.resolved_config_json;
    r.seed = run.seed;
    r.state = RunState::kQueued;
    runs_[r.run_id] = r;
  }
  if (created != nullptr) *created = true;
  return WithCounts(record);
}

absl::StatusOr<SweepRecord> MemoryStore::GetSweep(int64_t sweep_id) {
  absl::MutexLock lock(&mu_);
  auto it = sweeps_.find(sweep_id);
  if (it == sweeps_.end()) return SweepNotFound(sweep_id);
  return WithCounts(it->second);
}

absl::StatusOr<SweepRecord> MemoryStore::GetSweepByName(const std::string& name) {
  absl::MutexLock lock(&mu_);
  for (const auto& [id, sweep] : sweeps_) {
    if (sweep.name == name) return WithCounts(sweep);
  }
  return absl::NotFoundError(absl::StrCat("sweep named '", name, "' not found"));
}

absl::StatusOr<std::vector<SweepRecord>> MemoryStore::ListSweeps() {
  absl::MutexLock lock(&mu_);
  std::vector<SweepRecord> out;
  for (const auto& [id, sweep] : sweeps_) out.push_back(WithCounts(sweep));
  return out;
}

absl::StatusOr<std::vector<RunRecord>> MemoryStore::ListRuns(int64_t sweep_id,
                                                             std::optional<RunState> state) {
  absl::MutexLock lock(&mu_);
  if (sweeps_.count(sweep_id) == 0) return SweepNotFound(sweep_id);
  std::vector<RunRecord> out;
  for (const auto& [id, run] : runs_) {
    if (run.sweep_id == sweep_id && (!state || run.state == *state)) out.push_back(run);
  }
  return out;
}

absl::StatusOr<RunRecord> MemoryStore::GetRun(int64_t run_id) {
  absl::MutexLock lock(&mu_);
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return RunNotFound(run_id);
  return it->second;
}

absl::StatusOr<int64_t> MemoryStore::CancelSweep(int64_t sweep_id, int64_t now_ms) {
  SG_ASSIGN_OR_RETURN(std::vector<RunChange> changes, CancelSweepAs(sweep_id, {}, now_ms));
  return static_cast<int64_t>(changes.size());
}

absl::StatusOr<bool> MemoryStore::CancelRun(int64_t run_id, int64_t now_ms) {
  SG_ASSIGN_OR_RETURN(std::vector<RunChange> changes, CancelRunAs(run_id, {}, now_ms));
  return !changes.empty();
}

void MemoryStore::EndOpenAttempt(const RunRecord& run, const std::string& outcome,
                                 const std::string& error, int64_t now_ms) {
  auto it = attempts_.find(run.run_id);
  if (it == attempts_.end() || it->second.empty()) return;
  RunAttempt& last = it->second.back();
  if (last.outcome != kAttemptRunning) return;
  EndAttempt(run, outcome, error, now_ms, &last);
}

void MemoryStore::AppendChange(RunChange change) {
  change.change_id = static_cast<int64_t>(changes_.size()) + 1;
  changes_.push_back(std::move(change));
}

absl::StatusOr<std::vector<RunChange>> MemoryStore::CancelSweepAs(int64_t sweep_id,
                                                                  const ChangeActor& who,
                                                                  int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  auto it = sweeps_.find(sweep_id);
  if (it == sweeps_.end()) return SweepNotFound(sweep_id);
  std::vector<RunChange> out;
  for (auto& [id, run] : runs_) {
    if (run.sweep_id != sweep_id) continue;
    if (std::optional<RunChange> change = ApplyCancelAs(who, now_ms, &run)) {
      EndOpenAttempt(run, kAttemptCancelled, "", now_ms);
      AppendChange(*change);
      out.push_back(changes_.back());
    }
  }
  if (!out.empty()) it->second.cancelled = true;
  return out;
}

absl::StatusOr<std::vector<RunChange>> MemoryStore::CancelRunAs(int64_t run_id,
                                                                const ChangeActor& who,
                                                                int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return RunNotFound(run_id);
  std::vector<RunChange> out;
  if (std::optional<RunChange> change = ApplyCancelAs(who, now_ms, &it->second)) {
    EndOpenAttempt(it->second, kAttemptCancelled, "", now_ms);
    AppendChange(*change);
    out.push_back(changes_.back());
  }
  return out;
}

absl::StatusOr<std::vector<RunChange>> MemoryStore::ExtendRuns(
    const std::vector<int64_t>& run_ids, int64_t steps, const ChangeActor& who, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  // All or nothing: every run is changed on a copy first.
  std::vector<RunRecord> updated;
  std::vector<RunChange> out;
  for (int64_t id : run_ids) {
    auto it = runs_.find(id);
    if (it == runs_.end()) return RunNotFound(id);
    RunRecord run = it->second;
    SG_ASSIGN_OR_RETURN(std::optional<RunChange> change, ApplyExtend(steps, who, now_ms, &run));
    if (!change) continue;
    updated.push_back(std::move(run));
    out.push_back(std::move(*change));
  }
  for (size_t i = 0; i < updated.size(); ++i) {
    RunRecord& run = runs_[updated[i].run_id];
    run = std::move(updated[i]);
    if (run.state == RunState::kQueued) sweeps_[run.sweep_id].cancelled = false;
    AppendChange(out[i]);
    out[i] = changes_.back();
  }
  return out;
}

absl::StatusOr<std::vector<RunChange>> MemoryStore::RetryRuns(const std::vector<int64_t>& run_ids,
                                                              const ChangeActor& who,
                                                              int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  for (int64_t id : run_ids) {
    if (runs_.count(id) == 0) return RunNotFound(id);
  }
  std::vector<RunChange> out;
  for (int64_t id : run_ids) {
    RunRecord& run = runs_[id];
    if (std::optional<RunChange> change = ApplyRetry(who, now_ms, &run)) {
      sweeps_[run.sweep_id].cancelled = false;
      AppendChange(*change);
      out.push_back(changes_.back());
    }
  }
  return out;
}

absl::StatusOr<std::vector<RunChange>> MemoryStore::ListRunChanges(int64_t sweep_id,
                                                                   int64_t run_id) {
  absl::MutexLock lock(&mu_);
  std::vector<RunChange> out;
  for (const RunChange& change : changes_) {
    if (run_id > 0 ? change.run_id != run_id
                   : runs_.count(change.run_id) == 0 ||
                         runs_.at(change.run_id).sweep_id != sweep_id) {
      continue;
    }
    out.push_back(change);
  }
  return out;
}

int32_t MemoryStore::RunningRuns(const std::string& worker_id) const {
  int32_t n = 0;
  for (const auto& [run_id, run] : runs_) {
    if (run.state == RunState::kRunning && run.worker_id == worker_id) ++n;
  }
  return n;
}

absl::StatusOr<WorkerRecord> MemoryStore::RegisterWorker(const WorkerRecord& worker,
                                                         int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  std::string id = worker.worker_id;
  if (id.empty()) {
    do {
      id = absl::StrCat("w-", ++last_worker_);
    } while (workers_.count(id) != 0);
  } else if (auto it = workers_.find(id); it != workers_.end()) {
    SG_RETURN_IF_ERROR(CheckWorkerOwner(it->second, worker.owner));
  }
  WorkerRecord& record = workers_[id];
  if (record.worker_id.empty()) {
    record.worker_id = id;
    record.registered_ms = now_ms;
  }
  record.hostname = worker.hostname;
  record.devices = worker.devices;
  if (!worker.owner.empty()) record.owner = worker.owner;
  record.last_heartbeat_ms = now_ms;
  WorkerRecord out = record;
  out.running_runs = RunningRuns(id);
  return out;
}

absl::StatusOr<WorkerRecord> MemoryStore::GetWorker(const std::string& worker_id) {
  absl::MutexLock lock(&mu_);
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return WorkerNotFound(worker_id);
  WorkerRecord out = it->second;
  out.running_runs = RunningRuns(worker_id);
  return out;
}

absl::StatusOr<std::vector<WorkerRecord>> MemoryStore::ListWorkers() {
  absl::MutexLock lock(&mu_);
  std::vector<WorkerRecord> out;
  for (const auto& [id, worker] : workers_) {
    WorkerRecord record = worker;
    record.running_runs = RunningRuns(id);
    out.push_back(std::move(record));
  }
  return out;
}

absl::StatusOr<int64_t> MemoryStore::AppendAudit(const AuditEvent& event) {
  absl::MutexLock lock(&mu_);
  AuditEvent stored = event;
  stored.event_id = static_cast<int64_t>(audit_.size()) + 1;
  audit_.push_back(stored);
  return stored.event_id;
}

absl::StatusOr<std::vector<AuditEvent>> MemoryStore::ListAudit(int64_t limit) {
  absl::MutexLock lock(&mu_);
  size_t first = 0;
  if (limit > 0 && static_cast<size_t>(limit) < audit_.size()) {
    first = audit_.size() - static_cast<size_t>(limit);
  }
  return std::vector<AuditEvent>(audit_.begin() + static_cast<std::ptrdiff_t>(first),
                                 audit_.end());
}

int64_t MemoryStore::RequeueExpiredLocked(int64_t now_ms, const QueuePolicy& policy) {
  if (now_ms < policy.no_expiry_before_ms) return 0;
  int64_t changed = 0;
  for (auto& [id, run] : runs_) {
    if (run.state != RunState::kRunning || run.lease_expires_ms >= now_ms) continue;
    const std::string reason = LeaseExpiredReason(run);
    ApplyFailedAttempt(reason, now_ms, policy, &run);
    EndOpenAttempt(run, kAttemptLeaseExpired, reason, now_ms);
    ++changed;
  }
  return changed;
}

absl::StatusOr<int64_t> MemoryStore::RequeueExpired(int64_t now_ms, const QueuePolicy& policy) {
  absl::MutexLock lock(&mu_);
  return RequeueExpiredLocked(now_ms, policy);
}

absl::StatusOr<ClaimResult> MemoryStore::ClaimRunsOn(const std::string& worker_id,
                                                     const std::string& holder,
                                                     const std::string& device,
                                                     const std::vector<std::string>& fresh_tokens,
                                                     int64_t now_ms, const QueuePolicy& policy) {
  SG_RETURN_IF_ERROR(ValidateClaim(worker_id, fresh_tokens));
  const size_t max_runs = fresh_tokens.size();
  absl::MutexLock lock(&mu_);
  RequeueExpiredLocked(now_ms, policy);
  auto claimable = [now_ms](const RunRecord& run) {
    return run.state == RunState::kQueued && run.not_before_ms <= now_ms;
  };
  ClaimResult result;
  const RunRecord* first = nullptr;
  for (const auto& [id, run] : runs_) {
    if (claimable(run)) {
      first = &run;
      break;
    }
  }
  if (first == nullptr) return result;
  auto worker = workers_.find(worker_id);
  const std::string hostname = worker != workers_.end() ? worker->second.hostname : "";
  result.sweep_id = first->sweep_id;
  std::vector<ClaimCandidate> candidates;
  for (const auto& [id, run] : runs_) {
    if (!claimable(run) || run.sweep_id != result.sweep_id) continue;
    candidates.push_back(ClaimCandidate{
        run.cell_key, ExpectedCostOfStoredRun(run.resolved_config_json, run.checkpoint_step)});
  }
  result.cell_key = ChooseCellToClaim(candidates, max_runs);
  result.spec_yaml = sweeps_.at(first->sweep_id).spec_yaml;
  for (auto& [id, run] : runs_) {
    if (result.runs.size() == max_runs) break;
    if (!claimable(run) || run.sweep_id != result.sweep_id || run.cell_key != result.cell_key) {
      continue;
    }
    ApplyClaim(worker_id, holder, fresh_tokens[result.runs.size()], now_ms, policy, &run);
    std::vector<RunAttempt>& attempts = attempts_[run.run_id];
    const int32_t number = attempts.empty() ? 1 : attempts.back().attempt + 1;
    attempts.push_back(BeginAttempt(run, number, hostname, device, now_ms));
    result.runs.push_back(run);
    run.lease_token.clear();  // only the hash is kept
  }
  if (worker != workers_.end()) worker->second.last_heartbeat_ms = now_ms;
  return result;
}

absl::StatusOr<HeartbeatResult> MemoryStore::Heartbeat(
    const std::string& worker_id, const std::vector<Lease>& leases,
    const std::vector<ProgressUpdate>& progress, int64_t now_ms, const QueuePolicy& policy) {
  absl::MutexLock lock(&mu_);
  auto worker = workers_.find(worker_id);
  if (worker != workers_.end()) worker->second.last_heartbeat_ms = now_ms;
  for (const ProgressUpdate& update : progress) {
    auto it = runs_.find(update.lease.run_id);
    if (it == runs_.end() || CheckLease(it->second, update.lease) != LeaseStatus::kCurrent) {
      continue;  // reported below through its lease
    }
    it->second.step = std::max(it->second.step, update.step);
    it->second.steps_per_second = update.steps_per_second;
  }
  HeartbeatResult result;
  for (const Lease& lease : leases) {
    auto it = runs_.find(lease.run_id);
    LeaseStatus status =
        it == runs_.end() ? LeaseStatus::kLost : CheckLease(it->second, lease);
    switch (status) {
      case LeaseStatus::kCurrent:
        it->second.lease_expires_ms = now_ms + policy.lease_ms;
        it->second.last_heartbeat_ms = now_ms;
        result.renewed.push_back(lease.run_id);
        break;
      case LeaseStatus::kCancelled:
        result.cancelled.push_back(lease.run_id);
        break;
      case LeaseStatus::kNotHolder:
      case LeaseStatus::kLost:
        result.lost.push_back(lease.run_id);
        break;
    }
  }
  return result;
}

absl::StatusOr<RunRecord*> MemoryStore::CurrentRun(const Lease& lease) {
  auto it = runs_.find(lease.run_id);
  if (it == runs_.end()) return StaleLeaseError(lease, nullptr);
  if (CheckLease(it->second, lease) != LeaseStatus::kCurrent) {
    return StaleLeaseError(lease, &it->second);
  }
  return &it->second;
}

absl::Status MemoryStore::RecordMetrics(const std::vector<Lease>& leases,
                                        const std::vector<MetricPointRecord>& points) {
  SG_RETURN_IF_ERROR(ValidateMetricBatch(leases, points));
  absl::MutexLock lock(&mu_);
  // Check every lease before writing anything: the batch is all or nothing.
  std::map<int64_t, RunRecord*> runs;
  for (const Lease& lease : leases) {
    SG_ASSIGN_OR_RETURN(runs[lease.run_id], CurrentRun(lease));
  }
  for (const MetricPointRecord& point : points) {
    points_[point.run_id][point.metric][point.step] = point.value;
    RunRecord* run = runs.at(point.run_id);
    run->step = std::max(run->step, point.step);
    run->non_finite_step = NonFiniteStepAfter(run->non_finite_step, point);
  }
  return absl::OkStatus();
}

absl::Status MemoryStore::RecordRunPoints(int64_t run_id,
                                         const std::vector<MetricPointRecord>& points) {
  SG_RETURN_IF_ERROR(ValidateRunPoints(run_id, points));
  absl::MutexLock lock(&mu_);
  if (runs_.count(run_id) == 0) return RunNotFound(run_id);
  for (const MetricPointRecord& point : points) {
    points_[point.run_id][point.metric][point.step] = point.value;
  }
  return absl::OkStatus();
}

absl::Status MemoryStore::RecordCheckpoint(const Lease& lease, int64_t step,
                                           const std::string& path) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(RunRecord * run, CurrentRun(lease));
  run->checkpoint_step = step;
  run->checkpoint_path = path;
  run->step = std::max(run->step, step);
  RunCheckpoint checkpoint;
  checkpoint.run_id = run->run_id;
  const std::vector<RunAttempt>& attempts = attempts_[run->run_id];
  checkpoint.attempt = attempts.empty() ? 0 : attempts.back().attempt;
  checkpoint.step = step;
  checkpoint.path = path;
  std::vector<RunCheckpoint>& kept = checkpoints_[run->run_id];
  kept.push_back(std::move(checkpoint));
  if (kept.size() > static_cast<size_t>(kMaxCheckpointsPerRun)) {
    kept.erase(kept.begin(), kept.end() - kMaxCheckpointsPerRun);
  }
  return absl::OkStatus();
}

absl::Status MemoryStore::CompleteRun(const Lease& lease, int64_t final_step, int64_t now_ms) {
  return FinishRun(lease, final_step, /*trained_steps=*/0, now_ms).status();
}

absl::StatusOr<bool> MemoryStore::FinishRun(const Lease& lease, int64_t final_step,
                                            int64_t trained_steps, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(RunRecord * run, CurrentRun(lease));
  const bool requeued = ApplyFinish(final_step, trained_steps, now_ms, run);
  EndOpenAttempt(*run, requeued ? kAttemptExtended : kAttemptCompleted, "", now_ms);
  return requeued;
}

absl::Status MemoryStore::FailRun(const Lease& lease, const std::string& reason, bool retryable,
                                  int64_t now_ms, const QueuePolicy& policy) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(RunRecord * run, CurrentRun(lease));
  if (retryable) {
    ApplyFailedAttempt(reason, now_ms, policy, run);
  } else {
    ApplyFailForGood(reason, now_ms, run);
  }
  EndOpenAttempt(*run, kAttemptFailed, reason, now_ms);
  return absl::OkStatus();
}

absl::Status MemoryStore::ReleaseRun(const Lease& lease, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  SG_ASSIGN_OR_RETURN(RunRecord * run, CurrentRun(lease));
  ApplyRelease(now_ms, run);
  EndOpenAttempt(*run, kAttemptReleased, "", now_ms);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RunAttempt>> MemoryStore::ListRunAttempts(int64_t run_id) {
  absl::MutexLock lock(&mu_);
  auto run = runs_.find(run_id);
  if (run == runs_.end()) return RunNotFound(run_id);
  auto it = attempts_.find(run_id);
  std::vector<RunAttempt> out;
  if (it != attempts_.end()) out = it->second;
  if (!out.empty() && out.back().outcome == kAttemptRunning) out.back().step = run->second.step;
  return out;
}

absl::StatusOr<std::vector<RunCheckpoint>> MemoryStore::ListRunCheckpoints(int64_t run_id) {
  absl::MutexLock lock(&mu_);
  if (runs_.count(run_id) == 0) return RunNotFound(run_id);
  auto it = checkpoints_.find(run_id);
  if (it == checkpoints_.end()) return std::vector<RunCheckpoint>();
  return it->second;
}

absl::StatusOr<std::vector<Point>> MemoryStore::GetCurve(int64_t run_id,
                                                         const std::string& metric) {
  // The whole curve is the window from the smallest step, without a limit.
  return GetCurveWindow(run_id, metric, std::numeric_limits<int64_t>::min(), /*limit=*/0);
}

absl::StatusOr<std::vector<Point>> MemoryStore::GetCurveWindow(int64_t run_id,
                                                               const std::string& metric,
                                                               int64_t from_step,
                                                               int64_t limit) {
  absl::MutexLock lock(&mu_);
  if (runs_.count(run_id) == 0) return RunNotFound(run_id);
  std::vector<Point> out;
  auto run = points_.find(run_id);
  if (run == points_.end()) return out;
  auto curve = run->second.find(metric);
  if (curve == run->second.end()) return out;
  for (auto it = curve->second.lower_bound(from_step); it != curve->second.end(); ++it) {
    if (limit > 0 && static_cast<int64_t>(out.size()) >= limit) break;
    out.push_back(Point{it->first, it->second});
  }
  return out;
}

absl::StatusOr<std::optional<Point>> MemoryStore::GetPointBefore(int64_t run_id,
                                                                 const std::string& metric,
                                                                 int64_t before_step) {
  absl::MutexLock lock(&mu_);
  if (runs_.count(run_id) == 0) return RunNotFound(run_id);
  auto run = points_.find(run_id);
  if (run == points_.end()) return std::optional<Point>();
  auto curve = run->second.find(metric);
  if (curve == run->second.end()) return std::optional<Point>();
  auto it = curve->second.lower_bound(before_step);
  if (it == curve->second.begin()) return std::optional<Point>();
  --it;
  return std::optional<Point>(Point{it->first, it->second});
}

absl::StatusOr<std::vector<std::string>> MemoryStore::ListMetrics(int64_t run_id) {
  absl::MutexLock lock(&mu_);
  if (runs_.count(run_id) == 0) return RunNotFound(run_id);
  std::vector<std::string> out;
  auto run = points_.find(run_id);
  if (run == points_.end()) return out;
  for (const auto& [name, curve] : run->second) out.push_back(name);
  return out;
}

absl::StatusOr<std::vector<SweepMetricCount>> MemoryStore::ListSweepMetrics(int64_t sweep_id) {
  absl::MutexLock lock(&mu_);
  if (sweeps_.count(sweep_id) == 0) return SweepNotFound(sweep_id);
  std::map<std::string, SweepMetricCount> counts;
  for (const auto& [run_id, run] : runs_) {
    if (run.sweep_id != sweep_id) continue;
    auto points = points_.find(run_id);
    if (points == points_.end()) continue;
    for (const auto& [name, curve] : points->second) {
      if (curve.empty()) continue;
      SweepMetricCount& count = counts[name];
      count.metric = name;
      count.points += static_cast<int64_t>(curve.size());
      count.runs += 1;
      count.last_step = std::max(count.last_step, curve.rbegin()->first);
    }
  }
  std::vector<SweepMetricCount> out;
  out.reserve(counts.size());
  for (auto& [name, count] : counts) out.push_back(std::move(count));
  return out;
}

// Computed from the points on each call: a memory store holds small test sweeps.
absl::StatusOr<std::vector<PointBlock>> MemoryStore::GetPointBlocks(int64_t run_id,
                                                                    const std::string& metric) {
  SG_ASSIGN_OR_RETURN(std::vector<Point> curve, GetCurve(run_id, metric));
  return SummarizeBlocks(curve);
}

}  // namespace sg
