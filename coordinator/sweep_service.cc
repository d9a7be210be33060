#include "coordinator/sweep_service.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "common/message_limits.h"
#include "coordinator/curve_pages.h"
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
  for (const RunRecord& run : *runs) ToProto(run, response->add_runs());
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

grpc::Status SweepServiceImpl::GetCurves(grpc::ServerContext* context,
                                         const v1::GetCurvesRequest* request,
                                         v1::GetCurvesResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("GetCurves"));
  if (request->start_step() < 0) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("start_step: must be >= 0 (a next_start_step), got ", request->start_step())));
  }
  absl::Status status = QueryCurves(*coordinator_, *request, response);
  if (!status.ok()) return ToGrpcStatus(status);
  CutCurvePage(request->start_step(), kCurvePageBytes, response);
  return grpc::Status::OK;
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
  absl::StatusOr<std::vector<SweepMetricCount>> metrics =
      coordinator_->store()->ListSweepMetrics(sweep->sweep_id);
  if (!metrics.ok()) return ToGrpcStatus(metrics.status());
  response->set_sweep_id(sweep->sweep_id);
  for (const SweepMetricCount& count : *metrics) {
    v1::SweepMetric* out = response->add_metrics();
    out->set_metric(count.metric);
    out->set_points(count.points);
    out->set_runs(count.runs);
    out->set_last_step(count.last_step);
  }
  return grpc::Status::OK;
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

}  // namespace sg
