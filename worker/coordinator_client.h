// The worker's view of the coordinator's WorkerService: one method per RPC, returning
// absl::Status (codes as the coordinator chose them: kUnavailable / kDeadlineExceeded mean
// "retry later", kFailedPrecondition means "this lease is no longer yours"). An interface so
// that the daemon's unit tests inject faults; GrpcCoordinatorClient is the real one.
//
// Thread-safety: GrpcCoordinatorClient may be called from any thread.
#ifndef SG_WORKER_COORDINATOR_CLIENT_H_
#define SG_WORKER_COORDINATOR_CLIENT_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "common/client_security.h"
#include "sg/v1/sg.grpc.pb.h"

namespace sg {

class CoordinatorClient {
 public:
  virtual ~CoordinatorClient() = default;
  virtual absl::StatusOr<v1::RegisterWorkerResponse> RegisterWorker(
      const v1::RegisterWorkerRequest& request) = 0;
  virtual absl::StatusOr<v1::ClaimJobsResponse> ClaimJobs(const v1::ClaimJobsRequest& request) = 0;
  virtual absl::StatusOr<v1::HeartbeatResponse> Heartbeat(const v1::HeartbeatRequest& request) = 0;
  virtual absl::StatusOr<v1::ReportMetricsResponse> ReportMetrics(
      const v1::ReportMetricsRequest& request) = 0;
  virtual absl::Status ReportCheckpoint(const v1::ReportCheckpointRequest& request) = 0;
  virtual absl::Status CompleteJob(const v1::CompleteJobRequest& request) = 0;
  virtual absl::Status FailJob(const v1::FailJobRequest& request) = 0;
  virtual absl::Status ReleaseJob(const v1::ReleaseJobRequest& request) = 0;
};

// Deadlines, in milliseconds. The defaults follow the proto's comments; the daemon lowers the
// heartbeat deadline to a third of the lease once it knows the lease.
struct CoordinatorClientOptions {
  int64_t register_deadline_ms = 10'000;
  int64_t claim_deadline_ms = 10'000;
  int64_t heartbeat_deadline_ms = 5'000;
  int64_t metrics_deadline_ms = 30'000;
  int64_t job_deadline_ms = 10'000;  // ReportCheckpoint, CompleteJob, FailJob, ReleaseJob
};

class GrpcCoordinatorClient final : public CoordinatorClient {
 public:
  // `stub` is owned. Build one with NewWorkerServiceStub.
  GrpcCoordinatorClient(std::unique_ptr<v1::WorkerService::StubInterface> stub,
                        CoordinatorClientOptions options)
      : stub_(std::move(stub)), options_(options) {}

  absl::StatusOr<v1::RegisterWorkerResponse> RegisterWorker(
      const v1::RegisterWorkerRequest& request) override;
  absl::StatusOr<v1::ClaimJobsResponse> ClaimJobs(const v1::ClaimJobsRequest& request) override;
  absl::StatusOr<v1::HeartbeatResponse> Heartbeat(const v1::HeartbeatRequest& request) override;
  absl::StatusOr<v1::ReportMetricsResponse> ReportMetrics(
      const v1::ReportMetricsRequest& request) override;
  absl::Status ReportCheckpoint(const v1::ReportCheckpointRequest& request) override;
  absl::Status CompleteJob(const v1::CompleteJobRequest& request) override;
  absl::Status FailJob(const v1::FailJobRequest& request) override;
  absl::Status ReleaseJob(const v1::ReleaseJobRequest& request) override;

  void set_heartbeat_deadline_ms(int64_t ms) { options_.heartbeat_deadline_ms = ms; }

 private:
  const std::unique_ptr<v1::WorkerService::StubInterface> stub_;
  CoordinatorClientOptions options_;
};

// A channel to HOST:PORT: TLS when security.tls() (with a client certificate for mutual TLS when
// given), and the worker's token on every call when set.
std::unique_ptr<v1::WorkerService::StubInterface> NewWorkerServiceStub(
    const std::string& target, const ClientSecurity& security);

}  // namespace sg

#endif  // SG_WORKER_COORDINATOR_CLIENT_H_
