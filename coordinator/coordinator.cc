#include "coordinator/coordinator.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
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

}  // namespace

absl::StatusOr<SubmitResult> Coordinator::SubmitSweep(const std::string& spec_yaml,
                                                      const std::string& source_name) {
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
  for (const RunSpec& run : runs) {
    sweep.runs.push_back(NewRun{CellKey(run.cell), CellJson(run.cell), run.seed});
  }
  SubmitResult result;
  SG_ASSIGN_OR_RETURN(result.sweep, store_->CreateSweep(sweep, NowMillis(), &result.created));
  return result;
}

absl::StatusOr<SweepRecord> Coordinator::FindSweep(int64_t sweep_id, const std::string& name) {
  if (sweep_id > 0) return store_->GetSweep(sweep_id);
  if (!name.empty()) return store_->GetSweepByName(name);
  return absl::InvalidArgumentError("sweep: give a sweep id or a sweep name");
}

absl::StatusOr<ClaimResult> Coordinator::ClaimJobs(const std::string& worker_id,
                                                   int32_t max_runs) {
  if (worker_id.empty()) {
    return absl::InvalidArgumentError("worker_id: empty; call RegisterWorker first");
  }
  if (max_runs < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_runs: must be at least 1, got ", max_runs));
  }
  if (max_runs > options_.max_pack_size) max_runs = options_.max_pack_size;
  const int64_t now = NowMillis();
  absl::StatusOr<ClaimResult> claim = store_->ClaimRuns(worker_id, max_runs, now, options_.policy);
  if (claim.ok()) {
    for (const RunRecord& run : claim->runs) rates_.Claimed(run.run_id, run.lease_token, run.step, now);
  }
  return claim;
}

absl::StatusOr<HeartbeatResult> Coordinator::Heartbeat(
    const std::string& worker_id, const std::vector<Lease>& leases,
    const std::vector<ProgressUpdate>& progress) {
  if (worker_id.empty()) {
    return absl::InvalidArgumentError("worker_id: empty; call RegisterWorker first");
  }
  // The rate stored (and shown by sgctl) is measured here over a window of reports; the
  // worker's own figure is ignored (progress_rate.h says why).
  const int64_t now = NowMillis();
  std::vector<ProgressUpdate> measured = progress;
  for (ProgressUpdate& p : measured) {
    p.steps_per_second =
        rates_.Observe(p.lease.run_id, p.lease.token, p.step, p.steps_per_second, now);
  }
  return store_->Heartbeat(worker_id, leases, measured, now, options_.policy);
}

absl::Status Coordinator::FailJob(const Lease& lease, const std::string& reason,
                                  bool retryable) {
  return store_->FailRun(lease, reason, retryable, NowMillis(), options_.policy);
}

absl::Status Coordinator::CompleteJob(const Lease& lease, int64_t final_step) {
  SG_ASSIGN_OR_RETURN(RunRecord run, store_->GetRun(lease.run_id));
  // A retried CompleteJob whose first reply was lost: the run already succeeded under this
  // very token, so the retry is answered as the first call was.
  if (run.state == RunState::kSucceeded && run.lease_token == lease.token && lease.token != 0) {
    return absl::OkStatus();
  }
  if (CheckLease(run, lease.token) == LeaseStatus::kCurrent) {
    SG_ASSIGN_OR_RETURN(TrainConfig config, RunConfig(run));
    SG_RETURN_IF_ERROR(CheckEvaluationsComplete(store_, run, config, final_step));
  }
  // The store checks the lease again inside its transaction (and refuses a stale one).
  absl::Status status = store_->CompleteRun(lease, final_step, NowMillis());
  if (absl::IsFailedPrecondition(status)) {
    absl::StatusOr<RunRecord> now = store_->GetRun(lease.run_id);
    if (now.ok() && now->state == RunState::kSucceeded && now->lease_token == lease.token) {
      return absl::OkStatus();
    }
  }
  return status;
}

absl::StatusOr<TrainConfig> Coordinator::RunConfig(const RunRecord& run) {
  TrainConfig base;
  bool cached = false;
  {
    std::lock_guard<std::mutex> lock(config_mu_);
    auto it = base_configs_.find(run.sweep_id);
    if (it != base_configs_.end()) {
      base = it->second;
      cached = true;
    }
  }
  if (!cached) {
    SG_ASSIGN_OR_RETURN(SweepRecord sweep, store_->GetSweep(run.sweep_id));
    // A stored spec was accepted at submit; limits may have been tightened since, so it is
    // read back without them.
    SpecLimits unbounded;
    unbounded.max_runs = std::numeric_limits<int64_t>::max();
    absl::StatusOr<SweepSpec> spec = ParseSweepSpec(sweep.spec_yaml, sweep.name, unbounded);
    if (!spec.ok()) {
      return absl::InternalError(absl::StrCat("sweep ", run.sweep_id,
                                              ": its stored spec no longer parses: ",
                                              spec.status().message()));
    }
    base = spec->train;
    std::lock_guard<std::mutex> lock(config_mu_);
    base_configs_[run.sweep_id] = base;
  }
  SG_ASSIGN_OR_RETURN(GridCell cell, ParseCell(run.cell_key));
  return ApplyCell(base, cell);
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

absl::StatusOr<int64_t> Coordinator::CancelSweep(int64_t sweep_id) {
  return store_->CancelSweep(sweep_id, NowMillis());
}

absl::StatusOr<bool> Coordinator::CancelRun(int64_t run_id) {
  return store_->CancelRun(run_id, NowMillis());
}

absl::StatusOr<int64_t> Coordinator::RequeueExpired() {
  return store_->RequeueExpired(NowMillis(), options_.policy);
}

}  // namespace sg
