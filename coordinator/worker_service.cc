#include "coordinator/worker_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/message_limits.h"
#include "coordinator/proto_convert.h"

namespace sg {

namespace {

constexpr char kMethodPrefix[] = "/sg.v1.WorkerService/";

std::string Method(const char* name) { return absl::StrCat(kMethodPrefix, name); }

absl::StatusOr<std::vector<Lease>> LeasesFromProto(
    const google::protobuf::RepeatedPtrField<v1::LeaseRef>& refs, const Caller& caller) {
  std::vector<Lease> leases;
  leases.reserve(refs.size());
  for (const v1::LeaseRef& ref : refs) {
    absl::StatusOr<Lease> lease = FromProto(ref, caller.name);
    if (!lease.ok()) return lease.status();
    leases.push_back(*lease);
  }
  return leases;
}

}  // namespace

grpc::Status WorkerServiceImpl::RegisterWorker(grpc::ServerContext* context,
                                               const v1::RegisterWorkerRequest* request,
                                               v1::RegisterWorkerResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("RegisterWorker"));
  // Bounded here, once: these are stored and echoed in every ListWorkers reply.
  if (request->hostname().size() > kMaxHostnameBytes) {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
        "hostname: ", request->hostname().size(), " bytes, more than the limit of ",
        kMaxHostnameBytes, " (a DNS name); pass a shorter --hostname")));
  }
  if (request->worker_id().size() > kMaxWorkerIdBytes) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("worker_id: ", request->worker_id().size(), " bytes, more than the limit of ",
                     kMaxWorkerIdBytes, "; ids come from RegisterWorker")));
  }
  if (request->devices_size() > kMaxDevices) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("devices: ", request->devices_size(), " devices, more than the limit of ",
                     kMaxDevices)));
  }
  for (const v1::Device& d : request->devices()) {
    if (d.name().empty() || d.name().size() > kMaxDeviceNameBytes) {
      return ToGrpcStatus(absl::InvalidArgumentError(
          absl::StrCat("devices.name: must be 1..", kMaxDeviceNameBytes,
                       " bytes (e.g. cpu or cuda:0), got ", d.name().size(), " bytes")));
    }
  }
  WorkerRecord worker;
  worker.worker_id = request->worker_id();
  worker.hostname = request->hostname();
  for (const v1::Device& d : request->devices()) {
    worker.devices.push_back(WorkerDevice{d.name(), d.memory_bytes(), d.slots()});
  }
  absl::StatusOr<WorkerRecord> stored = coordinator_->RegisterWorker(worker, caller);
  if (!stored.ok()) return ToGrpcStatus(stored.status());
  const QueuePolicy& policy = coordinator_->options().policy;
  response->set_worker_id(stored->worker_id);
  response->set_lease_ms(policy.lease_ms);
  // Three heartbeats fit in a lease, so one lost heartbeat never loses the lease.
  response->set_heartbeat_ms(policy.lease_ms / 4);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::ClaimJobs(grpc::ServerContext* context,
                                          const v1::ClaimJobsRequest* request,
                                          v1::ClaimJobsResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("ClaimJobs"));
  absl::StatusOr<ClaimResult> claim =
      coordinator_->ClaimJobs(request->worker_id(), request->max_runs(), caller,
                              request->device());
  if (!claim.ok()) return ToGrpcStatus(claim.status());
  if (claim->runs.empty()) return grpc::Status::OK;
  response->set_spec_yaml(claim->spec_yaml);
  response->set_cell_key(claim->cell_key);
  response->set_sweep_id(claim->sweep_id);
  for (const RunRecord& run : claim->runs) {
    v1::ClaimedRun* claimed = response->add_runs();
    ToProto(run, claimed->mutable_run());
    // The only place a lease token leaves the coordinator: to its holder, once.
    claimed->set_lease_token(run.lease_token);
  }
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::Heartbeat(grpc::ServerContext* context,
                                          const v1::HeartbeatRequest* request,
                                          v1::HeartbeatResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("Heartbeat"));
  absl::StatusOr<std::vector<Lease>> leases = LeasesFromProto(request->leases(), caller);
  if (!leases.ok()) return ToGrpcStatus(leases.status());
  std::vector<ProgressUpdate> progress;
  for (const v1::RunProgress& p : request->progress()) {
    absl::StatusOr<Lease> lease = FromProto(p.lease(), caller.name);
    if (!lease.ok()) return ToGrpcStatus(lease.status());
    progress.push_back(ProgressUpdate{*lease, p.step(), p.steps_per_second()});
  }
  absl::StatusOr<HeartbeatResult> result =
      coordinator_->Heartbeat(request->worker_id(), *leases, progress, caller);
  if (!result.ok()) return ToGrpcStatus(result.status());
  for (int64_t id : result->renewed) response->add_renewed_run_ids(id);
  for (int64_t id : result->cancelled) response->add_cancelled_run_ids(id);
  for (int64_t id : result->lost) response->add_lost_run_ids(id);
  response->set_lease_expires_ms(coordinator_->NowMillis() +
                                 coordinator_->options().policy.lease_ms);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::ReportMetrics(grpc::ServerContext* context,
                                              const v1::ReportMetricsRequest* request,
                                              v1::ReportMetricsResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("ReportMetrics"));
  absl::StatusOr<std::vector<Lease>> leases = LeasesFromProto(request->leases(), caller);
  if (!leases.ok()) return ToGrpcStatus(leases.status());
  std::vector<MetricPointRecord> points;
  points.reserve(request->points_size());
  for (const v1::MetricPoint& p : request->points()) {
    if (p.metric().empty() || p.metric().size() > kMaxMetricNameBytes) {
      return ToGrpcStatus(absl::InvalidArgumentError(
          absl::StrCat("points.metric: metric names must be 1..", kMaxMetricNameBytes,
                       " bytes, got ", p.metric().size(), " bytes in a point of run ",
                       p.run_id(), "; this batch is refused for good")));
    }
    points.push_back(MetricPointRecord{p.run_id(), p.metric(), p.step(), p.value()});
  }
  // The reply goes out only after RecordMetrics has committed: an acknowledged point is durable.
  absl::Status status = coordinator_->RecordMetrics(*leases, points);
  if (!status.ok()) return ToGrpcStatus(status);
  response->set_accepted_points(static_cast<int64_t>(points.size()));
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::ReportCheckpoint(grpc::ServerContext* context,
                                                 const v1::ReportCheckpointRequest* request,
                                                 v1::ReportCheckpointResponse*) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("ReportCheckpoint"));
  absl::StatusOr<Lease> lease = FromProto(request->lease(), caller.name);
  if (!lease.ok()) return ToGrpcStatus(lease.status());
  if (request->path().size() > kMaxPathBytes) {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
        "path: ", request->path().size(), " bytes, more than the limit of ", kMaxPathBytes)));
  }
  return ToGrpcStatus(coordinator_->RecordCheckpoint(*lease, request->step(), request->path()));
}

grpc::Status WorkerServiceImpl::CompleteJob(grpc::ServerContext* context,
                                            const v1::CompleteJobRequest* request,
                                            v1::CompleteJobResponse* response) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("CompleteJob"));
  absl::StatusOr<Lease> lease = FromProto(request->lease(), caller.name);
  if (!lease.ok()) return ToGrpcStatus(lease.status());
  absl::StatusOr<bool> requeued =
      coordinator_->FinishJob(*lease, request->final_step(), request->trained_steps());
  if (!requeued.ok()) return ToGrpcStatus(requeued.status());
  response->set_requeued(*requeued);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::FailJob(grpc::ServerContext* context,
                                        const v1::FailJobRequest* request, v1::FailJobResponse*) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("FailJob"));
  absl::StatusOr<Lease> lease = FromProto(request->lease(), caller.name);
  if (!lease.ok()) return ToGrpcStatus(lease.status());
  // A reason is kept and listed with the run: cut, not refused, so the failure is still recorded.
  std::string reason = request->reason().substr(0, kMaxErrorBytes);
  return ToGrpcStatus(coordinator_->FailJob(*lease, reason, request->retryable()));
}

grpc::Status WorkerServiceImpl::ReleaseJob(grpc::ServerContext* context,
                                           const v1::ReleaseJobRequest* request,
                                           v1::ReleaseJobResponse*) {
  SG_AUTHORIZE_OR_RETURN(caller, authorizer_, context, Method("ReleaseJob"));
  absl::StatusOr<Lease> lease = FromProto(request->lease(), caller.name);
  if (!lease.ok()) return ToGrpcStatus(lease.status());
  return ToGrpcStatus(coordinator_->ReleaseJob(*lease));
}

}  // namespace sg
