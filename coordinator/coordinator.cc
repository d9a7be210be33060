#include "coordinator/coordinator.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
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
      analysis_cache_(store, analysis::GrokOptions()) {}

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

// A retried CompleteJob whose first reply was lost: the run already succeeded under this very
// token and holder, so the retry is answered as the first call was.
bool SucceededUnder(const RunRecord& run, const Lease& lease) {
  return run.state == RunState::kSucceeded && !lease.token.empty() &&
         ConstantTimeEquals(Sha256Hex(lease.token), run.lease_token_hash) &&
         run.lease_holder == lease.holder;
}

}  // namespace

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
                                                   int32_t max_runs, const Caller& caller) {
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
      store_->ClaimRuns(worker_id, caller.name, tokens, now, options_.policy);
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
  return store_->Heartbeat(worker_id, leases, measured, now, options_.policy);
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
  return store_->FailRun(lease, reason, retryable, NowMillis(), options_.policy);
}

absl::Status Coordinator::CompleteJob(const Lease& lease, int64_t final_step) {
  SG_ASSIGN_OR_RETURN(RunRecord run, store_->GetRun(lease.run_id));
  if (SucceededUnder(run, lease)) return absl::OkStatus();
  if (CheckLease(run, lease) == LeaseStatus::kCurrent) {
    // The run's stored config says which steps are evaluation steps. A run stored before
    // configs were (its spec no longer parses) has none and is not checked.
    absl::StatusOr<RunConfig> config = ParseRunConfigJson(run.resolved_config_json);
    if (config.ok()) {
      SG_RETURN_IF_ERROR(CheckEvaluationsComplete(store_, run, config->train, final_step));
    }
  }
  // The store checks the lease again inside its transaction (and refuses a stale one).
  absl::Status status = store_->CompleteRun(lease, final_step, NowMillis());
  if (absl::IsFailedPrecondition(status)) {
    absl::StatusOr<RunRecord> now = store_->GetRun(lease.run_id);
    if (now.ok() && SucceededUnder(*now, lease)) return absl::OkStatus();
  }
  return status;
}

absl::Status Coordinator::ReleaseJob(const Lease& lease) {
  return store_->ReleaseRun(lease, NowMillis());
}

absl::Status Coordinator::RecordMetrics(const std::vector<Lease>& leases,
                                        const std::vector<MetricPointRecord>& points) {
  SG_RETURN_IF_ERROR(committer_.Record(leases, points));
  analysis_cache_.Observe(points);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Coordinator::CancelSweep(int64_t sweep_id, const Caller& caller) {
  SG_ASSIGN_OR_RETURN(int64_t cancelled, store_->CancelSweep(sweep_id, NowMillis()));
  Audit(caller, "cancel_sweep", absl::StrCat("sweep ", sweep_id),
        absl::StrCat(cancelled, " run(s) cancelled"));
  return cancelled;
}

absl::StatusOr<bool> Coordinator::CancelRun(int64_t run_id, const Caller& caller) {
  SG_ASSIGN_OR_RETURN(bool cancelled, store_->CancelRun(run_id, NowMillis()));
  Audit(caller, "cancel_run", absl::StrCat("run ", run_id),
        cancelled ? "cancelled" : "had already ended");
  return cancelled;
}

absl::StatusOr<std::vector<AuditEvent>> Coordinator::ListAudit(int64_t limit) {
  return store_->ListAudit(limit);
}

absl::StatusOr<int64_t> Coordinator::RequeueExpired() {
  return store_->RequeueExpired(NowMillis(), options_.policy);
}

}  // namespace sg
