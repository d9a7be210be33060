#include "coordinator/coordinator.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/run_config.h"
#include "common/status_macros.h"
#include "common/sweep_spec.h"

namespace sg {

Coordinator::Coordinator(Store* store, Clock* clock, CoordinatorOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      committer_(store),
      analysis_cache_(store, analysis::GrokOptions()) {}

absl::StatusOr<SubmitResult> Coordinator::SubmitSweep(const std::string& spec_yaml,
                                                      const std::string& source_name) {
  SG_ASSIGN_OR_RETURN(SweepSpec spec,
                      ParseSweepSpec(spec_yaml, source_name.empty() ? "spec" : source_name));
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
  return store_->ClaimRuns(worker_id, max_runs, NowMillis(), options_.policy);
}

absl::StatusOr<HeartbeatResult> Coordinator::Heartbeat(
    const std::string& worker_id, const std::vector<Lease>& leases,
    const std::vector<ProgressUpdate>& progress) {
  if (worker_id.empty()) {
    return absl::InvalidArgumentError("worker_id: empty; call RegisterWorker first");
  }
  return store_->Heartbeat(worker_id, leases, progress, NowMillis(), options_.policy);
}

absl::Status Coordinator::FailJob(const Lease& lease, const std::string& reason,
                                  bool retryable) {
  return store_->FailRun(lease, reason, retryable, NowMillis(), options_.policy);
}

absl::Status Coordinator::CompleteJob(const Lease& lease, int64_t final_step) {
  absl::Status status = store_->CompleteRun(lease, final_step, NowMillis());
  if (absl::IsFailedPrecondition(status)) {
    // A retried CompleteJob whose first reply was lost: the run already succeeded under this
    // very token, so the retry is answered as the first call was.
    absl::StatusOr<RunRecord> run = store_->GetRun(lease.run_id);
    if (run.ok() && run->state == RunState::kSucceeded && run->lease_token == lease.token) {
      return absl::OkStatus();
    }
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
