#include "coordinator/coordinator.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/run_config.h"
#include "common/status_macros.h"
#include "common/sweep_spec.h"
#include "coordinator/evaluation_check.h"

namespace sg {

Coordinator::Coordinator(Store* store, Clock* clock, CoordinatorOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      committer_(store),
      analysis_cache_(store, analysis::GrokOptions()),
      answers_(store),
      grace_(clock->NowMillis()) {}

QueuePolicy Coordinator::ExpiryPolicy() const {
  QueuePolicy policy = options_.policy;
  policy.no_expiry_before_ms = grace_.NoExpiryBeforeMs(policy.lease_ms);
  return policy;
}

namespace {

// The file name shown in messages: a client's label, bounded and printable (it is echoed).
std::string SourceLabel(const std::string& source_name) {
  if (source_name.empty()) return "spec";
  std::string label;
  for (char c : source_name.substr(0, 256)) {
    label.push_back(static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f
                        ? '?'
                        : c);
  }
  return label;
}

// Who changed a run, as the audit trail records the caller.
ChangeActor ActorOf(const Caller& caller) { return ChangeActor{caller.name, caller.role}; }

// A retried CompleteJob whose first reply was lost: the run already succeeded under this very
// token and holder, so the retry is answered as the first call was.
bool SucceededUnder(const RunRecord& run, const Lease& lease) {
  return run.state == RunState::kSucceeded && !lease.token.empty() &&
         ConstantTimeEquals(Sha256Hex(lease.token), run.lease_token_hash) &&
         run.lease_holder == lease.holder;
}

}  // namespace

const std::vector<std::string>& AnalysisMetricNames() {
  static const std::vector<std::string>* const names = new std::vector<std::string>{
      "t_score", "t_parseval", "attn_entropy", "weight_norm", "weight_norm_ref"};
  return *names;
}

void Coordinator::Audit(const Caller& caller, const std::string& action,
                        const std::string& target, const std::string& detail) {
  AuditEvent event;
  event.at_ms = NowMillis();
  event.actor = caller.name;
  event.role = caller.role;
  event.action = action;
  event.target = target;
  event.detail = detail;
  const std::string who = caller.anonymous()
                              ? std::string("anonymous")
                              : absl::StrCat(caller.name, " (", caller.role, ")");
  std::fprintf(stderr, "sg-coordinator: audit: %s %s %s: %s\n", who.c_str(), action.c_str(),
               target.c_str(), detail.c_str());
  absl::StatusOr<int64_t> appended = store_->AppendAudit(event);
  if (!appended.ok()) {
    std::fprintf(stderr, "sg-coordinator: audit: could not store the event above: %s\n",
                 appended.status().ToString().c_str());
  }
}

absl::StatusOr<SubmitResult> Coordinator::SubmitSweep(const std::string& spec_yaml,
                                                      const std::string& source_name,
                                                      const Caller& caller) {
  // The limits are checked before the work they bound (sweep_spec.h), so a refused spec costs
  // little whatever it holds.
  SpecLimits limits;
  limits.max_runs = options_.max_runs_per_sweep;
  SG_ASSIGN_OR_RETURN(SweepSpec spec, ParseSweepSpec(spec_yaml, SourceLabel(source_name), limits));
  SG_ASSIGN_OR_RETURN(std::vector<RunSpec> runs,
                      ExpandSweep(spec, options_.max_runs_per_sweep));
  NewSweep sweep;
  sweep.name = spec.name;
  sweep.task = TaskName(spec.task);
  sweep.spec_yaml = spec_yaml;
  sweep.runs.reserve(runs.size());
  // Each cell's config is resolved here, once, and stored with its runs: nothing downstream
  // parses the spec again. ExpandSweep lists a cell's seeds next to each other.
  std::string cell_key, resolved_json;
  for (const RunSpec& run : runs) {
    std::string key = CellKey(run.cell);
    if (resolved_json.empty() || key != cell_key) {
      SG_ASSIGN_OR_RETURN(RunConfig config, ResolveRunConfig(spec, run.cell));
      resolved_json = RunConfigJson(config);
      cell_key = key;
    }
    sweep.runs.push_back(NewRun{std::move(key), CellJson(run.cell), run.seed, resolved_json});
  }
  SubmitResult result;
  SG_ASSIGN_OR_RETURN(result.sweep, store_->CreateSweep(sweep, NowMillis(), &result.created));
  Audit(caller, "submit_sweep",
        absl::StrCat("sweep ", result.sweep.sweep_id, " (", result.sweep.name, ")"),
        result.created ? absl::StrCat("created, ", result.sweep.total_runs, " runs")
                       : "existed: returned unchanged");
  return result;
}

absl::StatusOr<SweepRecord> Coordinator::FindSweep(int64_t sweep_id, const std::string& name) {
  if (sweep_id > 0) return store_->GetSweep(sweep_id);
  if (!name.empty()) return store_->GetSweepByName(name);
  return absl::InvalidArgumentError("sweep: give a sweep id or a sweep name");
}

SweepLabels Coordinator::LabelsOf(const SweepRecord& sweep) {
  {
    absl::MutexLock lock(&labels_mu_);
    auto it = labels_.find(sweep.sweep_id);
    if (it != labels_.end()) return it->second;
  }
  // Parsed outside the lock: two callers may both parse a new sweep's spec, to the same result.
  SweepLabels labels;
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec(sweep.spec_yaml, "stored spec");
  if (spec.ok()) {
    labels.tags = spec->tags;
    labels.notes = spec->notes;
  } else {
    std::fprintf(stderr,
                 "sg-coordinator: sweep %lld: stored spec no longer parses, so it shows no "
                 "tags or notes: %s\n",
                 static_cast<long long>(sweep.sweep_id), spec.status().ToString().c_str());
  }
  absl::MutexLock lock(&labels_mu_);
  return labels_.emplace(sweep.sweep_id, std::move(labels)).first->second;
}

absl::StatusOr<std::vector<SweepRecord>> Coordinator::ListSweeps(
    const std::vector<std::string>& tags) {
  SG_ASSIGN_OR_RETURN(std::vector<SweepRecord> sweeps, store_->ListSweeps());
  if (tags.empty()) return sweeps;
  std::vector<SweepRecord> out;
  for (SweepRecord& sweep : sweeps) {
    const SweepLabels labels = LabelsOf(sweep);
    bool all = true;
    for (const std::string& tag : tags) {
      if (std::find(labels.tags.begin(), labels.tags.end(), tag) == labels.tags.end()) all = false;
    }
    if (all) out.push_back(std::move(sweep));
  }
  return out;
}

absl::StatusOr<WorkerRecord> Coordinator::RegisterWorker(WorkerRecord worker,
                                                         const Caller& caller) {
  if (worker.devices.empty()) {
    return absl::InvalidArgumentError(
        "devices: a worker must register at least one device (e.g. cpu or cuda:0)");
  }
  worker.owner = caller.name;
  SG_ASSIGN_OR_RETURN(WorkerRecord stored, store_->RegisterWorker(worker, NowMillis()));
  Audit(caller, "register_worker", absl::StrCat("worker ", stored.worker_id),
        absl::StrCat(worker.worker_id.empty() ? "new id" : "re-registered", ", hostname ",
                     stored.hostname, ", ", stored.devices.size(), " device(s)"));
  return stored;
}

absl::Status Coordinator::CheckWorker(const std::string& worker_id, const Caller& caller) {
  if (worker_id.empty()) {
    return absl::InvalidArgumentError("worker_id: empty; call RegisterWorker first");
  }
  SG_ASSIGN_OR_RETURN(WorkerRecord worker, store_->GetWorker(worker_id));
  return CheckWorkerOwner(worker, caller.name);
}

absl::StatusOr<ClaimResult> Coordinator::ClaimJobs(const std::string& worker_id,
                                                   int32_t max_runs, const Caller& caller,
                                                   const std::string& device) {
  SG_RETURN_IF_ERROR(CheckWorker(worker_id, caller));
  if (max_runs < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_runs: must be at least 1, got ", max_runs));
  }
  if (max_runs > options_.max_pack_size) max_runs = options_.max_pack_size;
  RandomSource* random = options_.random != nullptr ? options_.random : SystemRandom();
  std::vector<std::string> tokens;
  tokens.reserve(static_cast<size_t>(max_runs));
  for (int32_t i = 0; i < max_runs; ++i) {
    SG_ASSIGN_OR_RETURN(std::string token, random->RandomHex(kLeaseTokenBytes));
    tokens.push_back(std::move(token));
  }
  const int64_t now = NowMillis();
  absl::StatusOr<ClaimResult> claim =
      store_->ClaimRunsOn(worker_id, caller.name, device, tokens, now, ExpiryPolicy());
  grace_.Note(claim.status(), now);
  if (claim.ok()) {
    for (const RunRecord& run : claim->runs) {
      rates_.Claimed(run.run_id, run.lease_token, run.step, now);
    }
  }
  return claim;
}

absl::StatusOr<HeartbeatResult> Coordinator::Heartbeat(
    const std::string& worker_id, const std::vector<Lease>& leases,
    const std::vector<ProgressUpdate>& progress, const Caller& caller) {
  SG_RETURN_IF_ERROR(CheckWorker(worker_id, caller));
  // The rate stored (and shown by sgctl) is measured here over a window of reports; the
  // worker's own figure is only a cap until the window is long enough (progress_rate.h).
  const int64_t now = NowMillis();
  std::vector<ProgressUpdate> measured = progress;
  for (ProgressUpdate& p : measured) {
    p.steps_per_second =
        rates_.Observe(p.lease.run_id, p.lease.token, p.step, p.steps_per_second, now);
  }
  absl::StatusOr<HeartbeatResult> result =
      store_->Heartbeat(worker_id, leases, measured, now, options_.policy);
  grace_.Note(result.status(), now);
  return result;
}

absl::Status Coordinator::RecordCheckpoint(const Lease& lease, int64_t step,
                                           const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("path: empty; give the checkpoint file's path");
  }
  return store_->RecordCheckpoint(lease, step, path);
}

absl::Status Coordinator::FailJob(const Lease& lease, const std::string& reason,
                                  bool retryable) {
  absl::Status status = store_->FailRun(lease, reason, retryable, NowMillis(), options_.policy);
  answers_.InvalidateRuns({lease.run_id});
  return status;
}

absl::Status Coordinator::CompleteJob(const Lease& lease, int64_t final_step) {
  return FinishJob(lease, final_step, /*trained_steps=*/0).status();
}

absl::StatusOr<bool> Coordinator::FinishJob(const Lease& lease, int64_t final_step,
                                            int64_t trained_steps) {
  SG_ASSIGN_OR_RETURN(RunRecord run, store_->GetRun(lease.run_id));
  if (SucceededUnder(run, lease)) return false;
  if (CheckLease(run, lease) == LeaseStatus::kCurrent) {
    // The run's stored config says which steps are evaluation steps. A run stored before
    // configs were (its spec no longer parses) has none and is not checked.
    absl::StatusOr<RunConfig> config = ParseRunConfigJson(run.resolved_config_json);
    if (config.ok()) {
      SG_RETURN_IF_ERROR(CheckEvaluationsComplete(store_, run, config->train, final_step));
    }
  }
  // The store checks the lease again inside its transaction (and refuses a stale one).
  absl::StatusOr<bool> requeued =
      store_->FinishRun(lease, final_step, trained_steps, NowMillis());
  answers_.InvalidateRuns({lease.run_id});  // succeeded now: `finished` in its answers
  if (absl::IsFailedPrecondition(requeued.status())) {
    absl::StatusOr<RunRecord> now = store_->GetRun(lease.run_id);
    if (now.ok() && SucceededUnder(*now, lease)) return false;
  }
  if (requeued.ok() && *requeued) {
    std::fprintf(stderr,
                 "sg-coordinator: run %lld reached step %lld, the horizon its trainer was given; "
                 "its horizon was raised meanwhile, so it is queued again\n",
                 static_cast<long long>(lease.run_id), static_cast<long long>(final_step));
  }
  return requeued;
}

absl::Status Coordinator::ReleaseJob(const Lease& lease) {
  absl::Status status = store_->ReleaseRun(lease, NowMillis());
  answers_.InvalidateRuns({lease.run_id});
  return status;
}

absl::Status Coordinator::RecordMetrics(const std::vector<Lease>& leases,
                                        const std::vector<MetricPointRecord>& points) {
  absl::Status status = committer_.Record(leases, points);
  grace_.Note(status, NowMillis());
  if (status.ok()) analysis_cache_.Observe(points);
  // After the analysis cache has the points too (a report reads them there), so an answer
  // stamped after this bump has seen them. Bumped even on an error: a failed commit changes
  // nothing, but a bump costs nothing either.
  std::vector<int64_t> runs;
  for (const Lease& lease : leases) runs.push_back(lease.run_id);
  answers_.InvalidateRuns(runs);
  SG_RETURN_IF_ERROR(status);
  return absl::OkStatus();
}

absl::Status Coordinator::RecordAnalysisMetrics(int64_t run_id,
                                                const std::vector<MetricPointRecord>& points,
                                                const Caller& caller) {
  if (run_id <= 0) return absl::InvalidArgumentError("run_id: required (a run's id)");
  if (points.empty()) return absl::InvalidArgumentError("points: nothing to record");
  const std::vector<std::string>& allowed = AnalysisMetricNames();
  std::set<std::string> metrics;
  int64_t first = points[0].step, last = points[0].step;
  for (const MetricPointRecord& p : points) {
    if (std::find(allowed.begin(), allowed.end(), p.metric) == allowed.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "point of run ", p.run_id, " at step ", p.step, ": metric '", p.metric,
          "' is not an analysis metric; an offline analysis records only ",
          absl::StrJoin(allowed, ", ")));
    }
    if (p.step < 0) {
      return absl::InvalidArgumentError(absl::StrCat("point of run ", p.run_id, " (metric ",
                                                     p.metric, "): step must be >= 0, got ",
                                                     p.step));
    }
    metrics.insert(p.metric);
    first = std::min(first, p.step);
    last = std::max(last, p.step);
  }
  absl::Status stored = store_->RecordRunPoints(run_id, points);
  answers_.InvalidateRuns({run_id});
  SG_RETURN_IF_ERROR(stored);
  Audit(caller, "record_analysis_metrics", absl::StrCat("run ", run_id),
        absl::StrCat(points.size(), " point(s) of ", absl::StrJoin(metrics, ", "), " at steps ",
                     first, "..", last));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Coordinator::CancelSweep(int64_t sweep_id, const Caller& caller) {
  SG_ASSIGN_OR_RETURN(std::vector<RunChange> changes,
                      store_->CancelSweepAs(sweep_id, ActorOf(caller), NowMillis()));
  answers_.InvalidateSweep(sweep_id);
  Audit(caller, "cancel_sweep", absl::StrCat("sweep ", sweep_id),
        changes.empty() ? "nothing queued or running: nothing changed"
                        : absl::StrCat(changes.size(), " run(s) cancelled"));
  return static_cast<int64_t>(changes.size());
}

absl::StatusOr<bool> Coordinator::CancelRun(int64_t run_id, const Caller& caller) {
  SG_ASSIGN_OR_RETURN(std::vector<RunChange> changes,
                      store_->CancelRunAs(run_id, ActorOf(caller), NowMillis()));
  answers_.InvalidateRuns({run_id});
  Audit(caller, "cancel_run", absl::StrCat("run ", run_id),
        !changes.empty() ? "cancelled" : "had already ended");
  return !changes.empty();
}

absl::StatusOr<RunChangesResult> Coordinator::ExtendSweep(int64_t sweep_id, int64_t steps,
                                                          const std::string& cell,
                                                          const Caller& caller) {
  if (steps < 1 || steps > 100'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("steps: must be an integer in 1..100000000, got ", steps));
  }
  SG_ASSIGN_OR_RETURN(SweepRecord sweep, store_->GetSweep(sweep_id));
  GridCell wanted;
  if (!cell.empty()) {
    absl::StatusOr<GridCell> parsed = ParseCell(cell);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("cell: ", parsed.status().message()));
    }
    wanted = *parsed;
  }
  SG_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, store_->ListRuns(sweep_id, std::nullopt));
  std::vector<int64_t> ids;
  for (const RunRecord& run : runs) {
    if (!wanted.empty()) {
      absl::StatusOr<GridCell> has = ParseCell(run.cell_key);
      if (!has.ok()) continue;  // a cell key without axes: no axis value can match
      bool match = true;
      for (const auto& [axis, value] : wanted) {
        bool found = false;
        for (const auto& [a, v] : *has) found = found || (a == axis && v == value);
        match = match && found;
      }
      if (!match) continue;
    }
    ids.push_back(run.run_id);
  }
  if (ids.empty()) {
    return absl::NotFoundError(absl::StrCat("cell: no run of sweep ", sweep_id, " (", sweep.name,
                                            ") has the grid cell '", cell,
                                            "'; sgctl runs lists the cells"));
  }
  RunChangesResult result;
  result.matched_runs = static_cast<int64_t>(ids.size());
  absl::StatusOr<std::vector<RunChange>> changes =
      store_->ExtendRuns(ids, steps, ActorOf(caller), NowMillis());
  answers_.InvalidateSweep(sweep_id);
  SG_ASSIGN_OR_RETURN(result.changes, std::move(changes));
  int64_t requeued = 0;
  for (const RunChange& c : result.changes) requeued += c.state_after == RunState::kQueued &&
                                                        c.state_before == RunState::kSucceeded;
  Audit(caller, "extend_sweep", absl::StrCat("sweep ", sweep_id, " (", sweep.name, ")"),
        absl::StrCat("steps ", steps, cell.empty() ? "" : absl::StrCat(", cell ", cell), ": ",
                     result.changes.size(), " of ", ids.size(), " run(s) changed, ", requeued,
                     " queued again"));
  return result;
}

absl::StatusOr<RunChangesResult> Coordinator::RetryRuns(int64_t sweep_id, bool failed,
                                                        bool cancelled, int64_t run_id,
                                                        const Caller& caller) {
  if (!failed && !cancelled) failed = cancelled = true;
  SG_ASSIGN_OR_RETURN(SweepRecord sweep, store_->GetSweep(sweep_id));
  std::vector<int64_t> ids;
  if (run_id > 0) {
    SG_ASSIGN_OR_RETURN(RunRecord run, store_->GetRun(run_id));
    if (run.sweep_id != sweep_id) {
      return absl::NotFoundError(
          absl::StrCat("run ", run_id, " is not a run of sweep ", sweep_id, " (", sweep.name, ")"));
    }
    const bool wanted = (failed && run.state == RunState::kFailed) ||
                        (cancelled && run.state == RunState::kCancelled);
    if (!wanted) {
      return absl::FailedPreconditionError(absl::StrCat(
          "run ", run_id, " is ", RunStateName(run.state), "; retry queues ",
          failed && cancelled ? "failed or cancelled" : failed ? "failed" : "cancelled",
          " runs only",
          run.state == RunState::kSucceeded ? " (sgctl extend raises a succeeded run's horizon)"
                                            : ""));
    }
    ids.push_back(run_id);
  } else {
    for (RunState state : {RunState::kFailed, RunState::kCancelled}) {
      if ((state == RunState::kFailed && !failed) || (state == RunState::kCancelled && !cancelled)) {
        continue;
      }
      SG_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, store_->ListRuns(sweep_id, state));
      for (const RunRecord& run : runs) ids.push_back(run.run_id);
    }
  }
  RunChangesResult result;
  result.matched_runs = static_cast<int64_t>(ids.size());
  absl::StatusOr<std::vector<RunChange>> changes =
      store_->RetryRuns(ids, ActorOf(caller), NowMillis());
  answers_.InvalidateSweep(sweep_id);
  SG_ASSIGN_OR_RETURN(result.changes, std::move(changes));
  Audit(caller, "retry_runs",
        run_id > 0 ? absl::StrCat("run ", run_id)
                   : absl::StrCat("sweep ", sweep_id, " (", sweep.name, ")"),
        absl::StrCat(result.changes.size(), " run(s) queued again (",
                     failed && cancelled ? "failed and cancelled" : failed ? "failed" : "cancelled",
                     ")"));
  return result;
}

absl::StatusOr<std::vector<AuditEvent>> Coordinator::ListAudit(int64_t limit) {
  return store_->ListAudit(limit);
}

absl::StatusOr<int64_t> Coordinator::RequeueExpired() {
  const int64_t now = NowMillis();
  absl::StatusOr<int64_t> requeued = store_->RequeueExpired(now, ExpiryPolicy());
  grace_.Note(requeued.status(), now);
  return requeued;
}

}  // namespace sg
