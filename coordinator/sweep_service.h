// The client-facing gRPC service (sgctl, and later the Python client and the dashboard).
// Thin: each handler validates, converts proto to domain types, calls Coordinator/Store, and
// maps the Status back. Thread-safe (gRPC calls handlers from its thread pool).
#ifndef SG_COORDINATOR_SWEEP_SERVICE_H_
#define SG_COORDINATOR_SWEEP_SERVICE_H_

#include "coordinator/authorizer.h"
#include "coordinator/coordinator.h"
#include "sg/v1/sg.grpc.pb.h"

namespace sg {

class SweepServiceImpl final : public v1::SweepService::Service {
 public:
  // Both must outlive the service. Every handler first asks `authorizer` (access_policy.h).
  SweepServiceImpl(Coordinator* coordinator, const Authorizer* authorizer)
      : coordinator_(coordinator), authorizer_(authorizer) {}

  grpc::Status SubmitSweep(grpc::ServerContext*, const v1::SubmitSweepRequest* request,
                           v1::SubmitSweepResponse* response) override;
  grpc::Status GetSweep(grpc::ServerContext*, const v1::GetSweepRequest* request,
                        v1::GetSweepResponse* response) override;
  grpc::Status ListSweeps(grpc::ServerContext*, const v1::ListSweepsRequest* request,
                          v1::ListSweepsResponse* response) override;
  grpc::Status ListRuns(grpc::ServerContext*, const v1::ListRunsRequest* request,
                        v1::ListRunsResponse* response) override;
  grpc::Status CancelSweep(grpc::ServerContext*, const v1::CancelSweepRequest* request,
                           v1::CancelSweepResponse* response) override;
  grpc::Status CancelRun(grpc::ServerContext*, const v1::CancelRunRequest* request,
                         v1::CancelRunResponse* response) override;
  grpc::Status ExtendSweep(grpc::ServerContext*, const v1::ExtendSweepRequest* request,
                           v1::ExtendSweepResponse* response) override;
  grpc::Status RetryRuns(grpc::ServerContext*, const v1::RetryRunsRequest* request,
                         v1::RetryRunsResponse* response) override;
  grpc::Status GetCurves(grpc::ServerContext*, const v1::GetCurvesRequest* request,
                         v1::GetCurvesResponse* response) override;
  grpc::Status ListWorkers(grpc::ServerContext*, const v1::ListWorkersRequest* request,
                           v1::ListWorkersResponse* response) override;
  grpc::Status GetReport(grpc::ServerContext*, const v1::GetReportRequest* request,
                         v1::GetReportResponse* response) override;
  grpc::Status ListSweepMetrics(grpc::ServerContext*, const v1::ListSweepMetricsRequest* request,
                                v1::ListSweepMetricsResponse* response) override;
  grpc::Status ListAuditEvents(grpc::ServerContext*, const v1::ListAuditEventsRequest* request,
                               v1::ListAuditEventsResponse* response) override;
  grpc::Status RecordAnalysisMetrics(grpc::ServerContext*,
                                     const v1::RecordAnalysisMetricsRequest* request,
                                     v1::RecordAnalysisMetricsResponse* response) override;
  grpc::Status GetRun(grpc::ServerContext*, const v1::GetRunRequest* request,
                      v1::GetRunResponse* response) override;

 private:
  Coordinator* const coordinator_;
  const Authorizer* const authorizer_;
};

}  // namespace sg

#endif  // SG_COORDINATOR_SWEEP_SERVICE_H_
