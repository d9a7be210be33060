// The coordinator's gRPC services end to end in one process: a real server on 127.0.0.1:0 over
// a real SQLite file, real gRPC stubs as clients, a fake clock so lease expiry needs no sleep.
// A test worker claims a pack, reports, "dies" (stops heartbeating), and is replaced.
#include <filesystem>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "coordinator/coordinator.h"
#include "coordinator/server.h"
#include "coordinator/sqlite_store.h"
#include "gtest/gtest.h"
#include "sg/v1/sg.grpc.pb.h"

namespace sg {
namespace {

constexpr char kSpec[] = R"(name: tiny-qf
task: question_formation
grid:
  depth: [2, 4]
seeds: 3
train:
  steps: 100
  eval_every: 10
)";

class CoordinatorServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("sg_service_test_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = SqliteStore::Open((dir_ / "coordinator.db").string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    CoordinatorOptions options;
    options.policy.lease_ms = 10'000;
    options.policy.backoff_base_ms = 1'000;
    coordinator_ = std::make_unique<Coordinator>(store_.get(), &clock_, options);
    ServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    server_ = std::make_unique<CoordinatorServer>(coordinator_.get(), server_options);
    ASSERT_TRUE(server_->Start().ok());
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                       grpc::InsecureChannelCredentials());
    sweeps_ = v1::SweepService::NewStub(channel);
    workers_ = v1::WorkerService::NewStub(channel);
  }

  void TearDown() override {
    server_->Shutdown(0);
    server_.reset();
    coordinator_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Every call carries a deadline, as clients must.
  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }

  int64_t Submit() {
    v1::SubmitSweepRequest request;
    request.set_spec_yaml(kSpec);
    request.set_source_name("tiny.yaml");
    v1::SubmitSweepResponse response;
    grpc::Status status = sweeps_->SubmitSweep(Ctx().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.sweep().sweep_id();
  }

  std::string Register(const std::string& host) {
    v1::RegisterWorkerRequest request;
    request.set_hostname(host);
    v1::Device* device = request.add_devices();
    device->set_name("cpu");
    device->set_slots(1);
    v1::RegisterWorkerResponse response;
    EXPECT_TRUE(workers_->RegisterWorker(Ctx().get(), request, &response).ok());
    EXPECT_EQ(response.lease_ms(), 10'000);
    return response.worker_id();
  }

  v1::ClaimJobsResponse Claim(const std::string& worker, int max_runs) {
    v1::ClaimJobsRequest request;
    request.set_worker_id(worker);
    request.set_max_runs(max_runs);
    v1::ClaimJobsResponse response;
    grpc::Status status = workers_->ClaimJobs(Ctx().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status Report(const v1::ClaimedRun& run, const std::string& metric, int64_t step,
                      double value) {
    v1::ReportMetricsRequest request;
    v1::LeaseRef* lease = request.add_leases();
    lease->set_run_id(run.run().run_id());
    lease->set_lease_token(run.lease_token());
    v1::MetricPoint* point = request.add_points();
    point->set_run_id(run.run().run_id());
    point->set_metric(metric);
    point->set_step(step);
    point->set_value(value);
    v1::ReportMetricsResponse response;
    return workers_->ReportMetrics(Ctx().get(), request, &response);
  }

  std::vector<v1::CurvePoint> Curve(int64_t run_id, const std::string& metric) {
    v1::GetCurvesRequest request;
    request.set_run_id(run_id);
    request.set_metric(metric);
    v1::GetCurvesResponse response;
    EXPECT_TRUE(sweeps_->GetCurves(Ctx().get(), request, &response).ok());
    if (response.curves_size() != 1) return {};
    return {response.curves(0).points().begin(), response.curves(0).points().end()};
  }

  FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Coordinator> coordinator_;
  std::unique_ptr<CoordinatorServer> server_;
  std::unique_ptr<v1::SweepService::Stub> sweeps_;
  std::unique_ptr<v1::WorkerService::Stub> workers_;
};

TEST_F(CoordinatorServiceTest, SubmitIsIdempotentByName) {
  int64_t first = Submit();
  int64_t second = Submit();
  EXPECT_GT(first, 0);
  EXPECT_EQ(first, second);
  v1::ListRunsRequest request;
  request.set_sweep_id(first);
  v1::ListRunsResponse response;
  ASSERT_TRUE(sweeps_->ListRuns(Ctx().get(), request, &response).ok());
  ASSERT_EQ(response.runs_size(), 6);
  for (const v1::Run& run : response.runs()) {
    EXPECT_EQ(run.state(), v1::RUN_STATE_QUEUED);
    ASSERT_EQ(run.config_size(), 1);
    EXPECT_EQ(run.config(0).axis(), "depth");
  }
}

TEST_F(CoordinatorServiceTest, BadSpecNamesTheField) {
  v1::SubmitSweepRequest request;
  request.set_spec_yaml("name: x\ntask: question_formation\ntrain:\n  lr: fast\n");
  request.set_source_name("bad.yaml");
  v1::SubmitSweepResponse response;
  grpc::Status status = sweeps_->SubmitSweep(Ctx().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("train.lr"), std::string::npos) << status.error_message();
  EXPECT_NE(status.error_message().find("bad.yaml"), std::string::npos) << status.error_message();
}

TEST_F(CoordinatorServiceTest, WorkerClaimsReportsDiesAndIsReplaced) {
  int64_t sweep_id = Submit();
  std::string worker_a = Register("host-a");

  // A claims a pack: runs of one grid cell that differ only by seed.
  v1::ClaimJobsResponse pack = Claim(worker_a, 8);
  ASSERT_EQ(pack.runs_size(), 3);
  EXPECT_EQ(pack.sweep_id(), sweep_id);
  EXPECT_FALSE(pack.spec_yaml().empty());
  for (const v1::ClaimedRun& run : pack.runs()) {
    EXPECT_EQ(run.run().cell_key(), pack.cell_key());
    EXPECT_EQ(run.run().state(), v1::RUN_STATE_RUNNING);
    EXPECT_EQ(run.run().attempts(), 1);
    ASSERT_TRUE(Report(run, "val_acc", 10, 0.5).ok());
  }
  const v1::ClaimedRun stale = pack.runs(0);

  // A stops heartbeating; its leases expire.
  clock_.AdvanceMillis(10'001);
  std::string worker_b = Register("host-b");
  v1::ClaimJobsResponse other_cell = Claim(worker_b, 8);
  ASSERT_EQ(other_cell.runs_size(), 3);
  EXPECT_NE(other_cell.cell_key(), pack.cell_key()) << "re-queued runs wait out their backoff";

  // After the backoff, B gets A's runs, each re-queued exactly once.
  clock_.AdvanceMillis(60'000);
  v1::ClaimJobsResponse resumed = Claim(worker_b, 8);
  ASSERT_EQ(resumed.runs_size(), 3);
  EXPECT_EQ(resumed.cell_key(), pack.cell_key());
  for (const v1::ClaimedRun& run : resumed.runs()) EXPECT_EQ(run.run().attempts(), 2);

  // A wakes up and writes with its old token: refused, nothing stored.
  grpc::Status late = Report(stale, "val_acc", 20, 0.9);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << late.error_message();
  EXPECT_EQ(Curve(stale.run().run_id(), "val_acc").size(), 1u);

  // B re-sends step 10 (a retry) and adds step 20: one point per step, the later value wins.
  for (const v1::ClaimedRun& run : resumed.runs()) {
    ASSERT_TRUE(Report(run, "val_acc", 10, 0.6).ok());
    ASSERT_TRUE(Report(run, "val_acc", 20, 0.7).ok());
    v1::CompleteJobRequest complete;
    complete.mutable_lease()->set_run_id(run.run().run_id());
    complete.mutable_lease()->set_lease_token(run.lease_token());
    complete.set_final_step(20);
    v1::CompleteJobResponse done;
    ASSERT_TRUE(workers_->CompleteJob(Ctx().get(), complete, &done).ok());
  }
  std::vector<v1::CurvePoint> curve = Curve(stale.run().run_id(), "val_acc");
  ASSERT_EQ(curve.size(), 2u);
  EXPECT_EQ(curve[0].step(), 10);
  EXPECT_DOUBLE_EQ(curve[0].value(), 0.6);
  EXPECT_EQ(curve[1].step(), 20);

  v1::GetSweepRequest get;
  get.set_sweep_id(sweep_id);
  v1::GetSweepResponse sweep;
  ASSERT_TRUE(sweeps_->GetSweep(Ctx().get(), get, &sweep).ok());
  EXPECT_EQ(sweep.sweep().succeeded(), 3);
  EXPECT_EQ(sweep.sweep().total_runs(), 6);
}

TEST_F(CoordinatorServiceTest, CancelReachesHolderAtHeartbeat) {
  int64_t sweep_id = Submit();
  std::string worker = Register("host");
  v1::ClaimJobsResponse pack = Claim(worker, 8);
  ASSERT_EQ(pack.runs_size(), 3);

  v1::CancelSweepRequest cancel;
  cancel.set_sweep_id(sweep_id);
  v1::CancelSweepResponse cancelled;
  ASSERT_TRUE(sweeps_->CancelSweep(Ctx().get(), cancel, &cancelled).ok());
  EXPECT_EQ(cancelled.cancelled_runs(), 6);

  v1::HeartbeatRequest heartbeat;
  heartbeat.set_worker_id(worker);
  for (const v1::ClaimedRun& run : pack.runs()) {
    v1::LeaseRef* lease = heartbeat.add_leases();
    lease->set_run_id(run.run().run_id());
    lease->set_lease_token(run.lease_token());
  }
  v1::HeartbeatResponse reply;
  ASSERT_TRUE(workers_->Heartbeat(Ctx().get(), heartbeat, &reply).ok());
  EXPECT_EQ(reply.cancelled_run_ids_size(), 3);
  EXPECT_EQ(Claim(worker, 8).runs_size(), 0) << "a cancelled sweep hands out no work";
}

// Hand-made curves through the whole path (ReportMetrics -> SQLite -> analysis): per-depth
// aggregates, the report table, and downsampling that keeps a one-step jump.
TEST_F(CoordinatorServiceTest, AggregatesReportsAndDownsamples) {
  int64_t sweep_id = Submit();
  std::string worker = Register("host");
  // depth=2: gen_acc stays low for every seed. depth=4: seeds 0 and 1 jump to 0.9 at step
  // 30 (seed 2 stays at 0.1). val_acc saturates at step 10 for all.
  for (int cell = 0; cell < 2; ++cell) {
    v1::ClaimJobsResponse pack = Claim(worker, 8);
    ASSERT_EQ(pack.runs_size(), 3);
    const bool deep = pack.cell_key() == "depth=4";
    for (const v1::ClaimedRun& run : pack.runs()) {
      const int64_t seed = run.run().seed();
      for (int64_t step = 10; step <= 50; step += 10) {
        ASSERT_TRUE(Report(run, "val_acc", step, 1.0).ok());
        double gen = (deep && seed < 2 && step >= 30) ? 0.9 : 0.1 + 0.01 * seed;
        ASSERT_TRUE(Report(run, "gen_acc", step, gen).ok());
      }
      v1::CompleteJobRequest complete;
      complete.mutable_lease()->set_run_id(run.run().run_id());
      complete.mutable_lease()->set_lease_token(run.lease_token());
      complete.set_final_step(50);
      v1::CompleteJobResponse done;
      ASSERT_TRUE(workers_->CompleteJob(Ctx().get(), complete, &done).ok());
    }
  }

  v1::GetCurvesRequest request;
  request.set_sweep_id(sweep_id);
  request.set_metric("gen_acc");
  request.add_group_by("depth");
  v1::GetCurvesResponse response;
  ASSERT_TRUE(sweeps_->GetCurves(Ctx().get(), request, &response).ok());
  ASSERT_EQ(response.aggregates_size(), 2);
  const v1::AggregateCurve& deep = response.aggregates(1);
  EXPECT_EQ(deep.label(), "depth=4");
  ASSERT_EQ(deep.points_size(), 5);
  EXPECT_EQ(deep.points(2).step(), 30);
  EXPECT_EQ(deep.points(2).n(), 3);
  EXPECT_DOUBLE_EQ(deep.points(2).median(), 0.9);
  EXPECT_DOUBLE_EQ(deep.points(2).min(), 0.12);
  EXPECT_DOUBLE_EQ(deep.points(1).max(), 0.12);
  EXPECT_EQ(deep.unfinished_seeds(), 0);

  v1::GetReportRequest report_request;
  report_request.set_sweep_id(sweep_id);
  v1::GetReportResponse report;
  ASSERT_TRUE(sweeps_->GetReport(Ctx().get(), report_request, &report).ok());
  ASSERT_EQ(report.rows_size(), 2);
  EXPECT_EQ(report.rows(0).label(), "depth=2");
  EXPECT_EQ(report.rows(0).seeds_finished(), 3);
  EXPECT_EQ(report.rows(0).seeds_grokked(), 0);
  EXPECT_FALSE(report.rows(0).has_median_grok_step());
  EXPECT_EQ(report.rows(1).seeds_grokked(), 2);
  EXPECT_DOUBLE_EQ(report.rows(1).median_grok_step(), 30);
  EXPECT_NEAR(report.rows(1).mean_final_gen_acc(), (0.9 + 0.9 + 0.12) / 3, 1e-12);
  // Early stopping at the first best val_acc (step 10) sees no generalisation at all.
  EXPECT_NEAR(report.rows(1).mean_gen_acc_at_early_stop(), (0.10 + 0.11 + 0.12) / 3, 1e-12);
  ASSERT_EQ(report.runs_size(), 6);

  // A 1,000-point curve with a one-step spike, downsampled to 40 points: the spike survives.
  v1::ClaimJobsResponse none = Claim(worker, 1);
  EXPECT_EQ(none.runs_size(), 0);
  v1::SubmitSweepRequest long_sweep;
  long_sweep.set_spec_yaml("name: long\ntask: dyck\nseeds: 1\n");
  v1::SubmitSweepResponse submitted;
  ASSERT_TRUE(sweeps_->SubmitSweep(Ctx().get(), long_sweep, &submitted).ok());
  v1::ClaimJobsResponse one = Claim(worker, 1);
  ASSERT_EQ(one.runs_size(), 1);
  v1::ReportMetricsRequest batch;
  batch.add_leases()->set_run_id(one.runs(0).run().run_id());
  batch.mutable_leases(0)->set_lease_token(one.runs(0).lease_token());
  for (int64_t step = 1; step <= 1000; ++step) {
    v1::MetricPoint* p = batch.add_points();
    p->set_run_id(one.runs(0).run().run_id());
    p->set_metric("train_loss");
    p->set_step(step);
    p->set_value(step == 617 ? 9.0 : 1.0);
  }
  v1::ReportMetricsResponse ack;
  ASSERT_TRUE(workers_->ReportMetrics(Ctx().get(), batch, &ack).ok());
  EXPECT_EQ(ack.accepted_points(), 1000);
  v1::GetCurvesRequest curve_request;
  curve_request.set_run_id(one.runs(0).run().run_id());
  curve_request.set_metric("train_loss");
  curve_request.set_max_points(40);
  v1::GetCurvesResponse curve;
  ASSERT_TRUE(sweeps_->GetCurves(Ctx().get(), curve_request, &curve).ok());
  ASSERT_EQ(curve.curves_size(), 1);
  EXPECT_LE(curve.curves(0).points_size(), 40);
  bool spike = false;
  for (const v1::CurvePoint& p : curve.curves(0).points()) spike |= (p.step() == 617);
  EXPECT_TRUE(spike) << "the bucket maximum must be kept";
  EXPECT_EQ(curve.curves(0).points(0).step(), 1);
  EXPECT_EQ(curve.curves(0).points(curve.curves(0).points_size() - 1).step(), 1000);
}

TEST_F(CoordinatorServiceTest, MalformedLeaseTokenIsInvalidArgument) {
  v1::CompleteJobRequest request;
  request.mutable_lease()->set_run_id(1);
  v1::CompleteJobResponse response;
  grpc::Status status = workers_->CompleteJob(Ctx().get(), request, &response);  // no token
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("lease_token"), std::string::npos);
  const std::string too_long(300, 'a');
  request.mutable_lease()->set_lease_token(too_long);
  status = workers_->CompleteJob(Ctx().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().find(too_long), std::string::npos) << "the token is echoed";
  // A well-formed token that is not the run's is stale, and the refusal does not repeat it.
  request.mutable_lease()->set_lease_token("not-this-runs-token");
  status = workers_->CompleteJob(Ctx().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message().find("not-this-runs-token"), std::string::npos);
}

}  // namespace
}  // namespace sg
