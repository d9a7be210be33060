#include "coordinator/sweep_service.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "common/message_limits.h"
#include "coordinator/curve_query.h"
#include "coordinator/proto_convert.h"

namespace sg {

namespace {

constexpr char kMethodPrefix[] = "/sg.v1.SweepService/";

std::string Method(const char* name) { return absl::StrCat(kMethodPrefix, name); }

// The stored sweep with its spec's labels.
void SweepToProto(Coordinator& coordinator, const SweepRecord& sweep, v1::Sweep* out) {
  ToProto(sweep, out);
  SweepLabels labels = coordinator.LabelsOf(sweep);
  for (std::string& tag : labels.tags) out->add_tags(std::move(tag));
  out->set_notes(std::move(labels.notes));
}

}  // namespace

grpc::Status SweepServiceImpl::SubmitSweep(grpc::ServerContext* context,
                                           const v1::SubmitSweepRequest* request,
                                           v1::SubmitSweepResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("SubmitSweep"));
  absl::StatusOr<SubmitResult> result =
      coordinator_->SubmitSweep(request->spec_yaml(), request->source_name(), caller);
  if (!result.ok()) return ToGrpcStatus(result.status());
  SweepToProto(*coordinator_, result->sweep, response->mutable_sweep());
  response->set_created(result->created);
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::GetSweep(grpc::ServerContext* context,
                                        const v1::GetSweepRequest* request,
                                        v1::GetSweepResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("GetSweep"));
  absl::StatusOr<SweepRecord> sweep = coordinator_->FindSweep(request->sweep_id(), request->name());
  if (!sweep.ok()) return ToGrpcStatus(sweep.status());
  SweepToProto(*coordinator_, *sweep, response->mutable_sweep());
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::ListSweeps(grpc::ServerContext* context,
                                          const v1::ListSweepsRequest* request,
                                          v1::ListSweepsResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("ListSweeps"));
  const std::vector<std::string> tags(request->tags().begin(), request->tags().end());
  absl::StatusOr<std::vector<SweepRecord>> sweeps = coordinator_->ListSweeps(tags);
  if (!sweeps.ok()) return ToGrpcStatus(sweeps.status());
  for (const SweepRecord& sweep : *sweeps) {
    v1::Sweep* out = response->add_sweeps();
    SweepToProto(*coordinator_, sweep, out);
    out->clear_spec_yaml();  // unbounded in size; GetSweep returns it for one sweep
  }
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::ListRuns(grpc::ServerContext* context,
                                        const v1::ListRunsRequest* request,
                                        v1::ListRunsResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("ListRuns"));
  std::optional<RunState> state;
  if (request->state() != v1::RUN_STATE_UNSPECIFIED) {
    absl::StatusOr<RunState> parsed = FromProto(request->state());
    if (!parsed.ok()) return ToGrpcStatus(parsed.status());
    state = *parsed;
  }
  absl::StatusOr<std::vector<RunRecord>> runs =
      coordinator_->store()->ListRuns(request->sweep_id(), state);
  if (!runs.ok()) return ToGrpcStatus(runs.status());
  absl::StatusOr<std::vector<RunChange>> history =
      coordinator_->store()->ListRunChanges(request->sweep_id(), 0);
  if (!history.ok()) return ToGrpcStatus(history.status());
  std::map<int64_t, v1::Run*> by_id;
  for (const RunRecord& run : *runs) {
    v1::Run* out = response->add_runs();
    ToProto(run, out);
    by_id[run.run_id] = out;
  }
  for (const RunChange& change : *history) {  // oldest first
    auto it = by_id.find(change.run_id);
    if (it != by_id.end()) ToProto(change, it->second->add_history());
  }
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::CancelSweep(grpc::ServerContext* context,
                                           const v1::CancelSweepRequest* request,
                                           v1::CancelSweepResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("CancelSweep"));
  absl::StatusOr<int64_t> cancelled = coordinator_->CancelSweep(request->sweep_id(), caller);
  if (!cancelled.ok()) return ToGrpcStatus(cancelled.status());
  response->set_cancelled_runs(*cancelled);
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::CancelRun(grpc::ServerContext* context,
                                         const v1::CancelRunRequest* request,
                                         v1::CancelRunResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("CancelRun"));
  absl::StatusOr<bool> cancelled = coordinator_->CancelRun(request->run_id(), caller);
  if (!cancelled.ok()) return ToGrpcStatus(cancelled.status());
  response->set_cancelled(*cancelled);
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::ExtendSweep(grpc::ServerContext* context,
                                           const v1::ExtendSweepRequest* request,
                                           v1::ExtendSweepResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("ExtendSweep"));
  if (request->cell().size() > 4096) {
    return ToGrpcStatus(absl::InvalidArgumentError("cell: longer than 4096 bytes"));
  }
  absl::StatusOr<RunChangesResult> result = coordinator_->ExtendSweep(
      request->sweep_id(), request->steps(), request->cell(), caller);
  if (!result.ok()) return ToGrpcStatus(result.status());
  response->set_matched_runs(result->matched_runs);
  for (const RunChange& change : result->changes) ToProto(change, response->add_changes());
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::RetryRuns(grpc::ServerContext* context,
                                         const v1::RetryRunsRequest* request,
                                         v1::RetryRunsResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("RetryRuns"));
  absl::StatusOr<RunChangesResult> result =
      coordinator_->RetryRuns(request->sweep_id(), request->failed(), request->cancelled(),
                              request->run_id(), caller);
  if (!result.ok()) return ToGrpcStatus(result.status());
  response->set_matched_runs(result->matched_runs);
  for (const RunChange& change : result->changes) ToProto(change, response->add_changes());
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::GetCurves(grpc::ServerContext* context,
                                         const v1::GetCurvesRequest* request,
                                         v1::GetCurvesResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("GetCurves"));
  return ToGrpcStatus(QueryCurves(*coordinator_, *request, kCurvePageBytes, response));
}

grpc::Status SweepServiceImpl::ListWorkers(grpc::ServerContext* context,
                                           const v1::ListWorkersRequest*,
                                           v1::ListWorkersResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("ListWorkers"));
  absl::StatusOr<std::vector<WorkerRecord>> workers = coordinator_->store()->ListWorkers();
  if (!workers.ok()) return ToGrpcStatus(workers.status());
  for (const WorkerRecord& worker : *workers) ToProto(worker, response->add_workers());
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::GetReport(grpc::ServerContext* context,
                                         const v1::GetReportRequest* request,
                                         v1::GetReportResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("GetReport"));
  return ToGrpcStatus(QueryReport(*coordinator_, *request, response));
}

grpc::Status SweepServiceImpl::ListSweepMetrics(grpc::ServerContext* context,
                                                const v1::ListSweepMetricsRequest* request,
                                                v1::ListSweepMetricsResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("ListSweepMetrics"));
  absl::StatusOr<SweepRecord> sweep = coordinator_->FindSweep(request->sweep_id(), request->name());
  if (!sweep.ok()) return ToGrpcStatus(sweep.status());
  return ToGrpcStatus(QuerySweepMetrics(*coordinator_, *sweep, response));
}

grpc::Status SweepServiceImpl::ListAuditEvents(grpc::ServerContext* context,
                                               const v1::ListAuditEventsRequest* request,
                                               v1::ListAuditEventsResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("ListAuditEvents"));
  if (request->limit() < 0) {
    return ToGrpcStatus(absl::InvalidArgumentError("limit: must be >= 0 (0: every event)"));
  }
  absl::StatusOr<std::vector<AuditEvent>> events = coordinator_->ListAudit(request->limit());
  if (!events.ok()) return ToGrpcStatus(events.status());
  for (const AuditEvent& event : *events) ToProto(event, response->add_events());
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::RecordAnalysisMetrics(
    grpc::ServerContext* context, const v1::RecordAnalysisMetricsRequest* request,
    v1::RecordAnalysisMetricsResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("RecordAnalysisMetrics"));
  std::vector<MetricPointRecord> points;
  points.reserve(request->points_size());
  for (const v1::MetricPoint& p : request->points()) {
    points.push_back({p.run_id(), p.metric(), p.step(), p.value()});
  }
  absl::Status status = coordinator_->RecordAnalysisMetrics(request->run_id(), points, caller);
  if (!status.ok()) return ToGrpcStatus(status);
  response->set_recorded_points(request->points_size());
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::GetRun(grpc::ServerContext* context,
                                      const v1::GetRunRequest* request,
                                      v1::GetRunResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("GetRun"));
  Store* store = coordinator_->store();
  absl::StatusOr<RunRecord> run = store->GetRun(request->run_id());
  if (!run.ok()) return ToGrpcStatus(run.status());
  absl::StatusOr<std::vector<RunChange>> history =
      store->ListRunChanges(run->sweep_id, run->run_id);
  if (!history.ok()) return ToGrpcStatus(history.status());
  absl::StatusOr<SweepRecord> sweep = store->GetSweep(run->sweep_id);
  if (!sweep.ok()) return ToGrpcStatus(sweep.status());
  absl::StatusOr<std::vector<std::string>> metrics = store->ListMetrics(run->run_id);
  if (!metrics.ok()) return ToGrpcStatus(metrics.status());
  absl::StatusOr<std::vector<RunAttempt>> attempts = store->ListRunAttempts(run->run_id);
  if (!attempts.ok()) return ToGrpcStatus(attempts.status());
  absl::StatusOr<std::vector<RunCheckpoint>> checkpoints =
      store->ListRunCheckpoints(run->run_id);
  if (!checkpoints.ok()) return ToGrpcStatus(checkpoints.status());
  ToProto(*run, response->mutable_run());
  for (const RunChange& change : *history) ToProto(change, response->mutable_run()->add_history());
  SweepToProto(*coordinator_, *sweep, response->mutable_sweep());
  response->mutable_sweep()->clear_spec_yaml();
  for (const std::string& metric : *metrics) response->add_metrics(metric);
  for (const RunAttempt& attempt : *attempts) ToProto(attempt, response->add_attempts());
  for (const RunCheckpoint& c : *checkpoints) ToProto(c, response->add_checkpoints());
  if (!run->worker_id.empty()) {
    // A worker whose record is gone is left out, not an error: the run's row still names it.
    absl::StatusOr<WorkerRecord> worker = store->GetWorker(run->worker_id);
    if (worker.ok()) ToProto(*worker, response->mutable_worker());
  }
  return grpc::Status::OK;
}

}  // namespace sg
