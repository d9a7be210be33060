// The worker-facing gRPC service. Thin: validate, convert, call the Coordinator, map Status.
// Every write after a claim carries a lease token; the Store refuses stale ones
// (FAILED_PRECONDITION) and changes nothing. Thread-safe.
#ifndef SG_COORDINATOR_WORKER_SERVICE_H_
#define SG_COORDINATOR_WORKER_SERVICE_H_

#include "coordinator/authorizer.h"
#include "coordinator/coordinator.h"
#include "sg/v1/sg.grpc.pb.h"

namespace sg {

class WorkerServiceImpl final : public v1::WorkerService::Service {
 public:
  // Both must outlive the service. Every handler first asks `authorizer` (access_policy.h).
  WorkerServiceImpl(Coordinator* coordinator, const Authorizer* authorizer)
      : coordinator_(coordinator), authorizer_(authorizer) {}

  grpc::Status RegisterWorker(grpc::ServerContext*, const v1::RegisterWorkerRequest* request,
                              v1::RegisterWorkerResponse* response) override;
  grpc::Status ClaimJobs(grpc::ServerContext*, const v1::ClaimJobsRequest* request,
                         v1::ClaimJobsResponse* response) override;
  grpc::Status Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest* request,
                         v1::HeartbeatResponse* response) override;
  grpc::Status ReportMetrics(grpc::ServerContext*, const v1::ReportMetricsRequest* request,
                             v1::ReportMetricsResponse* response) override;
  grpc::Status ReportCheckpoint(grpc::ServerContext*, const v1::ReportCheckpointRequest* request,
                                v1::ReportCheckpointResponse* response) override;
  grpc::Status CompleteJob(grpc::ServerContext*, const v1::CompleteJobRequest* request,
                           v1::CompleteJobResponse* response) override;
  grpc::Status FailJob(grpc::ServerContext*, const v1::FailJobRequest* request,
                       v1::FailJobResponse* response) override;
  grpc::Status ReleaseJob(grpc::ServerContext*, const v1::ReleaseJobRequest* request,
                          v1::ReleaseJobResponse* response) override;

 private:
  Coordinator* const coordinator_;
  const Authorizer* const authorizer_;
};

}  // namespace sg

#endif  // SG_COORDINATOR_WORKER_SERVICE_H_
