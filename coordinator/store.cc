#include "coordinator/store.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "common/pack_cost.h"
#include "common/run_config.h"
#include "common/secrets.h"

namespace sg {

const char* RunStateName(RunState state) {
  switch (state) {
    case RunState::kQueued:
      return "queued";
    case RunState::kRunning:
      return "running";
    case RunState::kSucceeded:
      return "succeeded";
    case RunState::kFailed:
      return "failed";
    case RunState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::string ChooseCellToClaim(const std::vector<ClaimCandidate>& runs, size_t max_runs) {
  // Per cell, in order of its oldest claimable run: the cost of the pack a claim would take.
  std::vector<std::pair<std::string, double>> packs;
  std::map<std::string, std::pair<size_t, size_t>> index;  // cell -> (packs index, runs counted)
  for (const ClaimCandidate& run : runs) {
    auto [it, inserted] = index.emplace(run.cell_key, std::make_pair(packs.size(), size_t{0}));
    if (inserted) packs.emplace_back(run.cell_key, 0.0);
    if (it->second.second == max_runs) continue;  // beyond this claim's pack
    ++it->second.second;
    packs[it->second.first].second += run.cost;
  }
  const std::pair<std::string, double>* best = nullptr;
  for (const auto& pack : packs) {
    if (best == nullptr || pack.second > best->second) best = &pack;  // ties: the older cell
  }
  return best == nullptr ? std::string() : best->first;
}

double ExpectedCostOfStoredRun(const std::string& resolved_config_json, int64_t checkpoint_step) {
  // The same six fields SqliteStore reads with json_extract, each 0 when absent or not an
  // integer (no validation of the rest: the order needs only these, and both stores agree).
  const nlohmann::json doc = nlohmann::json::parse(resolved_config_json, nullptr,
                                                   /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("task") || !doc["task"].is_string()) return 0;
  absl::StatusOr<TaskKind> task = ParseTaskName(doc["task"].get<std::string>());
  if (!task.ok()) return 0;
  const nlohmann::json* train = doc.contains("train") ? &doc["train"] : nullptr;
  auto field = [train](const char* key) -> int64_t {
    if (train == nullptr || !train->is_object() || !train->contains(key)) return 0;
    const nlohmann::json& v = (*train)[key];
    return v.is_number_integer() ? v.get<int64_t>() : 0;
  };
  RunCostInputs in;
  in.task = *task;
  in.depth = field("depth");
  in.batch_size = field("batch_size");
  in.d_model = field("d_model");
  in.ff = field("ff");
  in.steps_left = StepsLeft(field("steps"), checkpoint_step);
  return ExpectedRunCost(in);
}

bool IsLossMetric(const std::string& metric) {
  return metric == "train_loss" || metric == "val_loss";
}

int64_t NonFiniteStepAfter(int64_t current, const MetricPointRecord& point) {
  if (std::isfinite(point.value) || !IsLossMetric(point.metric)) return current;
  // 0 means "never", so a point at step 0 (sg-train's steps start at 1) marks step 1.
  const int64_t step = std::max<int64_t>(point.step, 1);
  return current == 0 ? step : std::min(current, step);
}

absl::StatusOr<RunState> ParseRunState(const std::string& name) {
  for (RunState state : {RunState::kQueued, RunState::kRunning, RunState::kSucceeded,
                         RunState::kFailed, RunState::kCancelled}) {
    if (name == RunStateName(state)) return state;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "run state '", name, "' is not one of queued, running, succeeded, failed, cancelled"));
}

int64_t BackoffMs(const QueuePolicy& policy, int32_t failures_without_progress) {
  int32_t n = std::max<int32_t>(1, failures_without_progress);
  int64_t delay = std::max<int64_t>(0, policy.backoff_base_ms);
  // Doubling stops at the cap, so a large n cannot overflow.
  for (int32_t i = 1; i < n && delay < policy.backoff_max_ms; ++i) delay *= 2;
  return std::min(delay, policy.backoff_max_ms);
}

void ApplyClaim(const std::string& worker_id, const std::string& holder, const std::string& token,
                int64_t now_ms, const QueuePolicy& policy, RunRecord* run) {
  run->state = RunState::kRunning;
  run->worker_id = worker_id;
  run->lease_token = token;
  run->lease_token_hash = Sha256Hex(token);
  run->lease_holder = holder;
  run->lease_expires_ms = now_ms + policy.lease_ms;
  run->last_heartbeat_ms = now_ms;
  run->attempts += 1;
  run->progress_at_last_claim = run->step;
  if (run->started_ms == 0) run->started_ms = now_ms;
  run->finished_ms = 0;
}

void ApplyFailedAttempt(const std::string& reason, int64_t now_ms, const QueuePolicy& policy,
                        RunRecord* run) {
  const bool progressed = run->step > run->progress_at_last_claim;
  run->failures_without_progress = progressed ? 0 : run->failures_without_progress + 1;
  if (run->failures_without_progress >= policy.max_attempts_without_progress) {
    run->state = RunState::kFailed;
    run->finished_ms = now_ms;
    run->last_error = absl::StrCat(run->failures_without_progress,
                                   " attempts in a row failed without progress past step ",
                                   run->step, "; giving up. Last failure: ", reason);
    return;
  }
  run->state = RunState::kQueued;
  run->lease_token.clear();
  run->lease_token_hash.clear();
  run->lease_expires_ms = 0;
  run->not_before_ms = now_ms + BackoffMs(policy, run->failures_without_progress);
  run->last_error = reason;
}

void ApplyRelease(int64_t now_ms, RunRecord* run) {
  run->state = RunState::kQueued;
  run->lease_token.clear();
  run->lease_token_hash.clear();
  run->lease_expires_ms = 0;
  run->not_before_ms = now_ms;
}

void ApplyComplete(int64_t final_step, int64_t now_ms, RunRecord* run) {
  run->state = RunState::kSucceeded;
  run->step = std::max(run->step, final_step);
  run->finished_ms = now_ms;
}

bool ApplyFinish(int64_t final_step, int64_t trained_steps, int64_t now_ms, RunRecord* run) {
  if (trained_steps > 0 && RunHorizon(*run) > trained_steps) {
    // Extended while its trainer ran toward the old horizon: it resumes from its final
    // checkpoint under a new claim, whose config carries the new horizon.
    run->step = std::max(run->step, final_step);
    ApplyRelease(now_ms, run);
    return true;
  }
  ApplyComplete(final_step, now_ms, run);
  return false;
}

int64_t RunHorizon(const RunRecord& run) {
  if (run.resolved_config_json.empty()) return 0;
  absl::StatusOr<RunConfig> config = ParseRunConfigJson(run.resolved_config_json);
  return config.ok() ? config->train.steps : 0;
}

RunChange BeginChange(const RunRecord& run, const std::string& action, const ChangeActor& who,
                      int64_t now_ms) {
  RunChange change;
  change.run_id = run.run_id;
  change.at_ms = now_ms;
  change.actor = who.actor;
  change.role = who.role;
  change.action = action;
  change.from_step = run.step;
  change.steps_before = RunHorizon(run);
  change.steps_after = change.steps_before;
  change.state_before = run.state;
  change.state_after = run.state;
  return change;
}

namespace {

// Queued again and claimable now, with no lease (extend of a succeeded run, retry).
void Requeue(int64_t now_ms, RunRecord* run) {
  run->state = RunState::kQueued;
  run->lease_token.clear();
  run->lease_token_hash.clear();
  run->lease_expires_ms = 0;
  run->not_before_ms = now_ms;
  run->finished_ms = 0;
  run->failures_without_progress = 0;
}

}  // namespace

absl::StatusOr<std::optional<RunChange>> ApplyExtend(int64_t steps, const ChangeActor& who,
                                                     int64_t now_ms, RunRecord* run) {
  if (steps < 1 || steps > 100'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("steps: must be an integer in 1..100000000, got ", steps));
  }
  if (run->resolved_config_json.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", run->run_id, " has no stored config (it was submitted to an older coordinator "
        "and its spec no longer resolves), so its horizon cannot be changed"));
  }
  absl::StatusOr<RunConfig> config = ParseRunConfigJson(run->resolved_config_json);
  if (!config.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", run->run_id, ": its stored config does not parse: ", config.status().message()));
  }
  const int64_t horizon = config->train.steps;
  if (steps == horizon) return std::optional<RunChange>();
  if (steps < run->step) {
    return absl::FailedPreconditionError(absl::StrCat(
        "steps: ", steps, " is below the step run ", run->run_id, " has already reached (",
        run->step, "); a horizon can be lowered only to a step no run of the selection has "
        "passed"));
  }
  if (run->state == RunState::kRunning && steps < horizon) {
    return absl::FailedPreconditionError(absl::StrCat(
        "steps: run ", run->run_id, " is running toward step ", horizon,
        "; a running run's horizon can only be raised (cancel it, lower the horizon, then "
        "sgctl retry it)"));
  }
  if (steps < config->train.eval_every) {
    return absl::InvalidArgumentError(absl::StrCat(
        "steps: ", steps, " is below train.eval_every (", config->train.eval_every, ") of run ",
        run->run_id, "; give at least ", config->train.eval_every));
  }
  RunChange change = BeginChange(*run, "extend", who, now_ms);
  config->train.steps = steps;
  run->resolved_config_json = RunConfigJson(*config);
  if (run->state == RunState::kSucceeded && run->step < steps) {
    Requeue(now_ms, run);
    change.detail = absl::StrCat("queued again; resumes from its checkpoint at step ",
                                 run->checkpoint_step);
  }
  change.steps_after = steps;
  change.state_after = run->state;
  return std::optional<RunChange>(std::move(change));
}

std::optional<RunChange> ApplyRetry(const ChangeActor& who, int64_t now_ms, RunRecord* run) {
  if (run->state != RunState::kFailed && run->state != RunState::kCancelled) return std::nullopt;
  RunChange change = BeginChange(*run, "retry", who, now_ms);
  change.detail = run->last_error.empty()
                      ? absl::StrCat("after ", run->attempts, " attempt(s)")
                      : absl::StrCat("after ", run->attempts, " attempt(s); last error: ",
                                     run->last_error.substr(0, 500));
  Requeue(now_ms, run);
  run->attempts = 0;
  run->last_error.clear();
  change.state_after = run->state;
  return change;
}

std::optional<RunChange> ApplyCancelAs(const ChangeActor& who, int64_t now_ms, RunRecord* run) {
  if (IsEnded(run->state)) return std::nullopt;
  RunChange change = BeginChange(*run, "cancel", who, now_ms);
  ApplyCancel(now_ms, run);
  change.state_after = run->state;
  return change;
}

void ApplyFailForGood(const std::string& reason, int64_t now_ms, RunRecord* run) {
  run->state = RunState::kFailed;
  run->last_error = reason;
  run->finished_ms = now_ms;
}

void ApplyCancel(int64_t now_ms, RunRecord* run) {
  run->state = RunState::kCancelled;
  run->finished_ms = now_ms;
}

bool IsEnded(RunState state) {
  return state == RunState::kSucceeded || state == RunState::kFailed ||
         state == RunState::kCancelled;
}

RunAttempt BeginAttempt(const RunRecord& run, int32_t attempt, const std::string& hostname,
                        const std::string& device, int64_t now_ms) {
  RunAttempt a;
  a.run_id = run.run_id;
  a.attempt = attempt;
  a.worker_id = run.worker_id;
  a.hostname = hostname;
  a.device = device;
  a.claimed_ms = now_ms;
  a.outcome = kAttemptRunning;
  a.start_step = run.step;
  a.step = run.step;
  return a;
}

void EndAttempt(const RunRecord& run, const std::string& outcome, const std::string& error,
                int64_t now_ms, RunAttempt* attempt) {
  attempt->ended_ms = now_ms;
  attempt->outcome = outcome;
  attempt->error = error;
  attempt->step = run.step;
}

std::string LeaseExpiredReason(const RunRecord& run) {
  return absl::StrCat("lease expired: worker ", run.worker_id,
                      " sent no heartbeat since ", run.last_heartbeat_ms,
                      " ms (lease ended at ", run.lease_expires_ms, " ms)");
}

absl::Status ValidateNewSweep(const NewSweep& sweep) {
  if (sweep.name.empty()) {
    return absl::InvalidArgumentError("sweep.name: must not be empty; give the sweep a name");
  }
  if (sweep.task.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("sweep '", sweep.name, "': task must not be empty"));
  }
  std::set<std::pair<std::string, int64_t>> seen;
  for (const NewRun& run : sweep.runs) {
    if (!seen.emplace(run.cell_key, run.seed).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sweep '", sweep.name, "': run cell '", run.cell_key, "' seed ", run.seed,
          " appears twice; each (cell, seed) must be one run"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateClaim(const std::string& worker_id,
                           const std::vector<std::string>& fresh_tokens) {
  if (worker_id.empty()) {
    return absl::InvalidArgumentError(
        "worker_id: must not be empty; register the worker first to get an id");
  }
  if (fresh_tokens.empty()) {
    return absl::InvalidArgumentError("max_runs: must be >= 1, got 0");
  }
  std::set<std::string> seen;
  for (const std::string& token : fresh_tokens) {
    // The tokens themselves are never put in a message.
    if (token.empty() || !seen.insert(token).second) {
      return absl::InvalidArgumentError(
          "fresh lease tokens: each must be non-empty and distinct (draw them at random)");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMetricBatch(const std::vector<Lease>& leases,
                                 const std::vector<MetricPointRecord>& points) {
  std::set<int64_t> runs;
  for (const Lease& lease : leases) runs.insert(lease.run_id);
  for (const MetricPointRecord& point : points) {
    if (point.metric.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "point of run ", point.run_id, " at step ", point.step, ": metric name is empty"));
    }
    if (runs.count(point.run_id) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "point of run ", point.run_id, " (metric ", point.metric,
          "): the run has no lease in this request; send its lease with the points"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRunPoints(int64_t run_id, const std::vector<MetricPointRecord>& points) {
  for (const MetricPointRecord& point : points) {
    if (point.metric.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "point of run ", point.run_id, " at step ", point.step, ": metric name is empty"));
    }
    if (point.run_id != run_id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "point of run ", point.run_id, " (metric ", point.metric,
          ") in a request for run ", run_id, ": one request records one run's points"));
    }
  }
  return absl::OkStatus();
}

LeaseStatus CheckLease(const RunRecord& run, const Lease& lease) {
  if (lease.token.empty() || run.lease_token_hash.empty() ||
      !ConstantTimeEquals(Sha256Hex(lease.token), run.lease_token_hash)) {
    return LeaseStatus::kLost;
  }
  if (run.state != RunState::kRunning && run.state != RunState::kCancelled) {
    return LeaseStatus::kLost;
  }
  if (lease.holder != run.lease_holder) return LeaseStatus::kNotHolder;
  return run.state == RunState::kRunning ? LeaseStatus::kCurrent : LeaseStatus::kCancelled;
}

absl::Status CheckWorkerOwner(const WorkerRecord& existing, const std::string& owner) {
  if (existing.owner.empty() || owner.empty() || existing.owner == owner) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "worker id ", existing.worker_id,
      " is registered under another identity; register without worker_id to get a new id"));
}

absl::Status StaleLeaseError(const Lease& lease, const RunRecord* run) {
  if (run == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "run ", lease.run_id, " does not exist, so this lease is not current; stop this run"));
  }
  if (CheckLease(*run, lease) == LeaseStatus::kNotHolder) {
    return absl::PermissionDeniedError(absl::StrCat(
        "run ", lease.run_id,
        ": the lease was claimed by another worker identity; only the identity that claimed a "
        "lease may write under it; nothing was written"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "run ", lease.run_id, ": this lease is not current (run is ", RunStateName(run->state),
      "); the lease was lost or the run ended, nothing was written; stop this run"));
}

std::vector<PointBlock> SummarizeBlocks(const std::vector<Point>& curve) {
  std::vector<PointBlock> out;
  for (const Point& p : curve) {
    const int64_t block = PointBlockOf(p.step);
    if (out.empty() || out.back().block != block) {
      PointBlock b;
      b.block = block;
      b.first = p;
      out.push_back(b);
    }
    PointBlock& b = out.back();
    ++b.points;
    b.last = p;
    if (std::isnan(p.value)) {
      if (!b.first_nan_step) b.first_nan_step = p.step;
      continue;
    }
    // Strict comparisons: the earliest of equal values, as a downsampling bucket keeps.
    if (!b.min || p.value < b.min->value) b.min = p;
    if (!b.max || p.value > b.max->value) b.max = p;
  }
  return out;
}

}  // namespace sg
