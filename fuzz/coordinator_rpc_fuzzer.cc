// libFuzzer target: every coordinator RPC's request handling (the SweepService and
// WorkerService handlers, their Coordinator and the MemoryStore) on arbitrary request bytes.
// The input is a script of calls: [rpc selector byte][length byte][that many bytes, parsed as
// the RPC's request message]... Each run starts from a coordinator with one sweep, one worker
// and one claimed pack, so handlers that need existing state are reached; time advances
// between calls so leases can expire. Handlers must answer with a status, never crash.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "common/clock.h"
#include "coordinator/authorizer.h"
#include "coordinator/coordinator.h"
#include "coordinator/memory_store.h"
#include "coordinator/sweep_service.h"
#include "coordinator/worker_service.h"
#include "sg/v1/sg.pb.h"

namespace {

constexpr char kSpec[] =
    "name: fuzz\ntask: dyck\ngrid: {depth: [1, 2]}\nseeds: 3\n"
    "train: {steps: 100, eval_every: 10, d_model: 16, heads: 2, ff: 32}\n";

struct World {
  sg::FakeClock clock;
  sg::MemoryStore store;
  // No token file: every caller is admin, so every handler is reached past its role check.
  sg::Authorizer authorizer;
  std::unique_ptr<sg::Coordinator> coordinator;
  std::unique_ptr<sg::SweepServiceImpl> sweeps;
  std::unique_ptr<sg::WorkerServiceImpl> workers;

  World() {
    sg::CoordinatorOptions options;
    options.policy.lease_ms = 10'000;
    coordinator = std::make_unique<sg::Coordinator>(&store, &clock, options);
    sweeps = std::make_unique<sg::SweepServiceImpl>(coordinator.get(), &authorizer);
    workers = std::make_unique<sg::WorkerServiceImpl>(coordinator.get(), &authorizer);
    grpc::ServerContext context;
    sg::v1::SubmitSweepRequest submit;
    submit.set_spec_yaml(kSpec);
    sg::v1::SubmitSweepResponse submitted;
    sweeps->SubmitSweep(&context, &submit, &submitted);
    sg::v1::RegisterWorkerRequest reg;
    reg.set_hostname("h");
    reg.add_devices()->set_name("cpu");
    sg::v1::RegisterWorkerResponse registered;
    workers->RegisterWorker(&context, &reg, &registered);
    sg::v1::ClaimJobsRequest claim;
    claim.set_worker_id(registered.worker_id());
    claim.set_max_runs(3);
    sg::v1::ClaimJobsResponse claimed;
    workers->ClaimJobs(&context, &claim, &claimed);
  }
};

// Parses `bytes` as Request and calls the handler; a message that does not parse is skipped.
template <typename Request, typename Response, typename Service, typename Method>
void Call(Service* service, Method method, const std::string& bytes) {
  Request request;
  if (!request.ParseFromString(bytes)) return;
  Response response;
  grpc::ServerContext context;
  (service->*method)(&context, &request, &response);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World w;
  size_t i = 0;
  while (i + 2 <= size) {
    const uint8_t rpc = data[i];
    const size_t len = std::min<size_t>(data[i + 1], size - i - 2);
    const std::string bytes(reinterpret_cast<const char*>(data + i + 2), len);
    i += 2 + len;
    w.clock.AdvanceMillis((rpc >> 5) * 1000);  // the top bits move time on by 0..7 s
    auto* s = w.sweeps.get();
    auto* k = w.workers.get();
    using namespace sg::v1;  // NOLINT: the request/response names read as the proto does
    switch (rpc % 23) {
      case 0: Call<SubmitSweepRequest, SubmitSweepResponse>(s, &sg::SweepServiceImpl::SubmitSweep, bytes); break;
      case 1: Call<GetSweepRequest, GetSweepResponse>(s, &sg::SweepServiceImpl::GetSweep, bytes); break;
      case 2: Call<ListSweepsRequest, ListSweepsResponse>(s, &sg::SweepServiceImpl::ListSweeps, bytes); break;
      case 3: Call<ListRunsRequest, ListRunsResponse>(s, &sg::SweepServiceImpl::ListRuns, bytes); break;
      case 4: Call<CancelSweepRequest, CancelSweepResponse>(s, &sg::SweepServiceImpl::CancelSweep, bytes); break;
      case 5: Call<CancelRunRequest, CancelRunResponse>(s, &sg::SweepServiceImpl::CancelRun, bytes); break;
      case 6: Call<GetCurvesRequest, GetCurvesResponse>(s, &sg::SweepServiceImpl::GetCurves, bytes); break;
      case 7: Call<ListWorkersRequest, ListWorkersResponse>(s, &sg::SweepServiceImpl::ListWorkers, bytes); break;
      case 8: Call<GetReportRequest, GetReportResponse>(s, &sg::SweepServiceImpl::GetReport, bytes); break;
      case 9: Call<RegisterWorkerRequest, RegisterWorkerResponse>(k, &sg::WorkerServiceImpl::RegisterWorker, bytes); break;
      case 10: Call<ClaimJobsRequest, ClaimJobsResponse>(k, &sg::WorkerServiceImpl::ClaimJobs, bytes); break;
      case 11: Call<HeartbeatRequest, HeartbeatResponse>(k, &sg::WorkerServiceImpl::Heartbeat, bytes); break;
      case 12: Call<ReportMetricsRequest, ReportMetricsResponse>(k, &sg::WorkerServiceImpl::ReportMetrics, bytes); break;
      case 13: Call<ReportCheckpointRequest, ReportCheckpointResponse>(k, &sg::WorkerServiceImpl::ReportCheckpoint, bytes); break;
      case 14: Call<CompleteJobRequest, CompleteJobResponse>(k, &sg::WorkerServiceImpl::CompleteJob, bytes); break;
      case 15: Call<FailJobRequest, FailJobResponse>(k, &sg::WorkerServiceImpl::FailJob, bytes); break;
      case 16: Call<ReleaseJobRequest, ReleaseJobResponse>(k, &sg::WorkerServiceImpl::ReleaseJob, bytes); break;
      case 17: Call<ListAuditEventsRequest, ListAuditEventsResponse>(s, &sg::SweepServiceImpl::ListAuditEvents, bytes); break;
      case 18: Call<ExtendSweepRequest, ExtendSweepResponse>(s, &sg::SweepServiceImpl::ExtendSweep, bytes); break;
      case 19: Call<RetryRunsRequest, RetryRunsResponse>(s, &sg::SweepServiceImpl::RetryRuns, bytes); break;
      case 20: Call<ListSweepMetricsRequest, ListSweepMetricsResponse>(s, &sg::SweepServiceImpl::ListSweepMetrics, bytes); break;
      case 21: Call<RecordAnalysisMetricsRequest, RecordAnalysisMetricsResponse>(s, &sg::SweepServiceImpl::RecordAnalysisMetrics, bytes); break;
      case 22: Call<GetRunRequest, GetRunResponse>(s, &sg::SweepServiceImpl::GetRun, bytes); break;
    }
  }
  w.coordinator->RequeueExpired().IgnoreError();
  return 0;
}
