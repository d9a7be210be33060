#include "worker/coordinator_client.h"

#include <chrono>

#include <grpcpp/grpcpp.h>

#include "common/grpc_status.h"
#include "common/message_limits.h"

namespace sg {

namespace {

void SetDeadline(grpc::ClientContext* context, int64_t ms) {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(ms));
}

template <typename Response, typename Request, typename Method>
absl::StatusOr<Response> Call(v1::WorkerService::StubInterface* stub, Method method,
                              const Request& request, int64_t deadline_ms) {
  grpc::ClientContext context;
  SetDeadline(&context, deadline_ms);
  Response response;
  grpc::Status status = (stub->*method)(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace

absl::StatusOr<v1::RegisterWorkerResponse> GrpcCoordinatorClient::RegisterWorker(
    const v1::RegisterWorkerRequest& request) {
  return Call<v1::RegisterWorkerResponse>(stub_.get(),
                                          &v1::WorkerService::StubInterface::RegisterWorker,
                                          request, options_.register_deadline_ms);
}

absl::StatusOr<v1::ClaimJobsResponse> GrpcCoordinatorClient::ClaimJobs(
    const v1::ClaimJobsRequest& request) {
  return Call<v1::ClaimJobsResponse>(stub_.get(), &v1::WorkerService::StubInterface::ClaimJobs,
                                     request, options_.claim_deadline_ms);
}

absl::StatusOr<v1::HeartbeatResponse> GrpcCoordinatorClient::Heartbeat(
    const v1::HeartbeatRequest& request) {
  return Call<v1::HeartbeatResponse>(stub_.get(), &v1::WorkerService::StubInterface::Heartbeat,
                                     request, options_.heartbeat_deadline_ms);
}

absl::StatusOr<v1::ReportMetricsResponse> GrpcCoordinatorClient::ReportMetrics(
    const v1::ReportMetricsRequest& request) {
  return Call<v1::ReportMetricsResponse>(stub_.get(),
                                         &v1::WorkerService::StubInterface::ReportMetrics,
                                         request, options_.metrics_deadline_ms);
}

absl::Status GrpcCoordinatorClient::ReportCheckpoint(const v1::ReportCheckpointRequest& request) {
  return Call<v1::ReportCheckpointResponse>(stub_.get(),
                                            &v1::WorkerService::StubInterface::ReportCheckpoint,
                                            request, options_.job_deadline_ms)
      .status();
}

absl::Status GrpcCoordinatorClient::CompleteJob(const v1::CompleteJobRequest& request) {
  return Call<v1::CompleteJobResponse>(stub_.get(), &v1::WorkerService::StubInterface::CompleteJob,
                                       request, options_.job_deadline_ms)
      .status();
}

absl::Status GrpcCoordinatorClient::FailJob(const v1::FailJobRequest& request) {
  return Call<v1::FailJobResponse>(stub_.get(), &v1::WorkerService::StubInterface::FailJob,
                                   request, options_.job_deadline_ms)
      .status();
}

absl::Status GrpcCoordinatorClient::ReleaseJob(const v1::ReleaseJobRequest& request) {
  return Call<v1::ReleaseJobResponse>(stub_.get(), &v1::WorkerService::StubInterface::ReleaseJob,
                                      request, options_.job_deadline_ms)
      .status();
}

std::unique_ptr<v1::WorkerService::StubInterface> NewWorkerServiceStub(
    const std::string& target, const ClientSecurity& security) {
  grpc::ChannelArguments args;
  // Reconnect quickly after a coordinator restart instead of the default exponential wait of
  // up to two minutes, so spooled points flow again within seconds.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
  // Accept whatever the coordinator may send (a claim carries the sweep's spec).
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxRequestBytes);
  return v1::WorkerService::NewStub(NewCoordinatorChannel(target, security, args));
}

}  // namespace sg
