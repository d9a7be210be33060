// The coordinator's gRPC services end to end in one process: a real server on 127.0.0.1:0 over
// a real SQLite file, real gRPC stubs as clients, a fake clock so lease expiry needs no sleep.
// A test worker claims a pack, reports, "dies" (stops heartbeating), and is replaced.
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/run_config.h"
#include "coordinator/coordinator.h"
#include "coordinator/evaluation_check.h"
#include "coordinator/server.h"
#include "coordinator/sqlite_store.h"
#include "gmock/gmock.h"
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

  int64_t Submit(const std::string& spec = kSpec) {
    v1::SubmitSweepRequest request;
    request.set_spec_yaml(spec);
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

  // Fills in every evaluation metric a run lacks at eval_every (10) .. last_step with 0.5, as
  // sg-train would have written them; points already sent keep their values.
  void FillEvaluations(const v1::ClaimedRun& run, int64_t last_step) {
    for (const std::string& metric : EvaluationMetrics()) {
      std::set<int64_t> have;
      for (const v1::CurvePoint& p : Curve(run.run().run_id(), metric)) have.insert(p.step());
      for (int64_t step = 10; step <= last_step; step += 10) {
        if (have.count(step) == 0) ASSERT_TRUE(Report(run, metric, step, 0.5).ok());
      }
    }
  }

  grpc::Status Complete(const v1::ClaimedRun& run, int64_t final_step) {
    v1::CompleteJobRequest complete;
    complete.mutable_lease()->set_run_id(run.run().run_id());
    complete.mutable_lease()->set_lease_token(run.lease_token());
    complete.set_final_step(final_step);
    v1::CompleteJobResponse done;
    return workers_->CompleteJob(Ctx().get(), complete, &done);
  }

  std::vector<v1::CurvePoint> Curve(int64_t run_id, const std::string& metric) {
    v1::GetCurvesRequest request;
    request.set_run_id(run_id);
    request.set_metric(metric);
    v1::GetCurvesResponse response;
    grpc::Status status = sweeps_->GetCurves(Ctx().get(), request, &response);
    // A metric the run has not recorded is refused (INVALID_ARGUMENT): no points yet.
    if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
        status.error_message().find("not recorded") != std::string::npos) {
      return {};
    }
    EXPECT_TRUE(status.ok()) << status.error_message();
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
    FillEvaluations(run, 20);
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

// A run whose evaluation points did not all arrive cannot be marked succeeded: CompleteJob
// names the missing steps, and succeeds once the worker has resent them.
TEST_F(CoordinatorServiceTest, CompleteJobRefusesRunsWithMissingEvaluations) {
  Submit();
  std::string worker = Register("host");
  v1::ClaimJobsResponse pack = Claim(worker, 1);
  ASSERT_EQ(pack.runs_size(), 1);
  const v1::ClaimedRun& run = pack.runs(0);
  // Steps 10..100 evaluated, but 30 and 40 lost entirely and 70 lost its gen_acc.
  for (int64_t step = 10; step <= 100; step += 10) {
    if (step == 30 || step == 40) continue;
    for (const std::string& metric : EvaluationMetrics()) {
      if (step == 70 && metric == "gen_acc") continue;
      ASSERT_TRUE(Report(run, metric, step, 0.5).ok());
    }
  }
  grpc::Status refused = Complete(run, 100);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(),
              ::testing::HasSubstr("3 of 10 evaluation steps lack evaluation metrics: missing "
                                   "steps 30, 40, 70 (gen_acc)"));
  v1::GetSweepRequest get;
  get.set_name("tiny-qf");
  v1::GetSweepResponse sweep;
  ASSERT_TRUE(sweeps_->GetSweep(Ctx().get(), get, &sweep).ok());
  EXPECT_EQ(sweep.sweep().succeeded(), 0) << "the run must not show as succeeded";
  EXPECT_EQ(sweep.sweep().running(), 1) << "the lease stays with the worker, to resend";

  FillEvaluations(run, 100);
  EXPECT_TRUE(Complete(run, 100).ok());
  EXPECT_TRUE(Complete(run, 100).ok()) << "a retried CompleteJob is answered as the first";
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
      FillEvaluations(run, 50);
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

// The config resolved at submit travels with every run, on ListRuns and on ClaimJobs, in the
// one codec's form: every key, the task's defaults and the cell's axis applied.
TEST_F(CoordinatorServiceTest, ResolvedConfigTravelsOnListRunsAndClaims) {
  const int64_t sweep_id = Submit();
  v1::ListRunsRequest request;
  request.set_sweep_id(sweep_id);
  v1::ListRunsResponse listed;
  ASSERT_TRUE(sweeps_->ListRuns(Ctx().get(), request, &listed).ok());
  ASSERT_EQ(listed.runs_size(), 6);
  for (const v1::Run& run : listed.runs()) {
    absl::StatusOr<RunConfig> config = ParseRunConfigJson(run.resolved_config_json());
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(config->task, TaskKind::kQuestionFormation);
    EXPECT_EQ(config->train.depth, run.config(0).value());
    EXPECT_EQ(config->train.steps, 100);
    EXPECT_EQ(config->train.eval_every, 10);
    EXPECT_EQ(config->train.checkpoint_every, 10);  // follows eval_every
    EXPECT_EQ(config->data.train_size, 100000);     // the task's default
    EXPECT_EQ(run.non_finite_step(), 0);
  }
  v1::ClaimJobsResponse pack = Claim(Register("host"), 8);
  ASSERT_EQ(pack.runs_size(), 3);
  EXPECT_EQ(pack.cell_key(), "depth=4");  // the deeper cell's pack is claimed first
  for (const v1::ClaimedRun& run : pack.runs()) {
    EXPECT_EQ(run.run().resolved_config_json(), listed.runs(3).resolved_config_json());
  }
}

// NaN, +Inf and -Inf points through the whole path: stored, returned raw and downsampled,
// counted (not averaged) by aggregates, and the run whose loss went non-finite is marked.
TEST_F(CoordinatorServiceTest, NonFiniteValuesSurviveEndToEnd) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const int64_t sweep_id = Submit();
  v1::ClaimJobsResponse pack = Claim(Register("host"), 8);
  ASSERT_EQ(pack.runs_size(), 3);
  const v1::ClaimedRun& diverged = pack.runs(0);
  for (int64_t step = 1; step <= 10; ++step) {
    for (const v1::ClaimedRun& run : pack.runs()) {
      double value = 1.0 / static_cast<double>(step);
      if (&run == &diverged && step >= 7) value = step == 8 ? inf : nan;
      ASSERT_TRUE(Report(run, "train_loss", step, value).ok());
    }
  }
  ASSERT_TRUE(Report(pack.runs(1), "val_loss", 10, -inf).ok());
  ASSERT_TRUE(Report(pack.runs(2), "gen_acc", 10, nan).ok());  // not a loss: no mark

  std::vector<v1::CurvePoint> raw = Curve(diverged.run().run_id(), "train_loss");
  ASSERT_EQ(raw.size(), 10u);
  EXPECT_TRUE(std::isnan(raw[6].value()));
  EXPECT_EQ(raw[7].value(), inf);
  EXPECT_EQ(Curve(pack.runs(1).run().run_id(), "val_loss")[0].value(), -inf);

  // Downsampled to one bucket (4 points): the NaN stretch is still there.
  v1::GetCurvesRequest thin;
  thin.set_run_id(diverged.run().run_id());
  thin.set_metric("train_loss");
  thin.set_max_points(4);
  v1::GetCurvesResponse thinned;
  ASSERT_TRUE(sweeps_->GetCurves(Ctx().get(), thin, &thinned).ok());
  ASSERT_EQ(thinned.curves_size(), 1);
  EXPECT_LE(thinned.curves(0).points_size(), 4);
  bool kept_nan = false;
  for (const v1::CurvePoint& p : thinned.curves(0).points()) kept_nan |= std::isnan(p.value());
  EXPECT_TRUE(kept_nan);

  // Aggregated across the cell's seeds: statistics over the finite values, the rest counted.
  v1::GetCurvesRequest agg;
  agg.set_sweep_id(sweep_id);
  agg.set_metric("train_loss");
  agg.set_aggregate(true);
  agg.add_group_by("depth");
  v1::GetCurvesResponse aggregated;
  ASSERT_TRUE(sweeps_->GetCurves(Ctx().get(), agg, &aggregated).ok());
  ASSERT_GE(aggregated.aggregates_size(), 1);
  const v1::AggregateCurve* claimed_cell = nullptr;  // the claimed pack's cell (depth=4, the deeper)
  for (const v1::AggregateCurve& a : aggregated.aggregates()) {
    if (a.label() == pack.cell_key()) claimed_cell = &a;
  }
  ASSERT_NE(claimed_cell, nullptr);
  const v1::AggregateCurve& cell = *claimed_cell;
  ASSERT_EQ(cell.points_size(), 10);
  EXPECT_EQ(cell.points(5).n(), 3);
  EXPECT_EQ(cell.points(5).non_finite(), 0);
  EXPECT_EQ(cell.points(7).n(), 2);
  EXPECT_EQ(cell.points(7).non_finite(), 1);
  EXPECT_DOUBLE_EQ(cell.points(7).mean(), 1.0 / 8);

  v1::ListRunsRequest list;
  list.set_sweep_id(sweep_id);
  v1::ListRunsResponse runs;
  ASSERT_TRUE(sweeps_->ListRuns(Ctx().get(), list, &runs).ok());
  std::map<int64_t, int64_t> marks;
  for (const v1::Run& run : runs.runs()) marks[run.run_id()] = run.non_finite_step();
  EXPECT_EQ(marks[diverged.run().run_id()], 7);
  EXPECT_EQ(marks[pack.runs(1).run().run_id()], 10);
  EXPECT_EQ(marks[pack.runs(2).run().run_id()], 0);
}

// train.early_stop sets the report's default rule: a report that names no rule uses the
// sweep's, and says which it used.
TEST_F(CoordinatorServiceTest, ReportDefaultsToTheSweepsEarlyStopRule) {
  v1::SubmitSweepRequest submit;
  submit.set_spec_yaml(
      "name: tolerant\ntask: question_formation\nseeds: 1\n"
      "train: {steps: 20, eval_every: 10, early_stop: within_0.01}\n");
  v1::SubmitSweepResponse submitted;
  ASSERT_TRUE(sweeps_->SubmitSweep(Ctx().get(), submit, &submitted).ok());
  v1::ClaimJobsResponse pack = Claim(Register("host"), 1);
  ASSERT_EQ(pack.runs_size(), 1);
  const v1::ClaimedRun& run = pack.runs(0);
  // val_acc 0.955 then its best 0.96: first_best stops at 20, within_0.01 already at 10.
  ASSERT_TRUE(Report(run, "val_acc", 10, 0.955).ok());
  ASSERT_TRUE(Report(run, "val_acc", 20, 0.96).ok());
  ASSERT_TRUE(Report(run, "gen_acc", 10, 0.1).ok());
  ASSERT_TRUE(Report(run, "gen_acc", 20, 0.5).ok());
  // The rest of an evaluation's metrics: CompleteJob refuses a run that lacks them.
  for (const char* metric : {"val_loss", "test_loss", "weight_norm", "weight_norm_ref"}) {
    for (int64_t step : {10, 20}) ASSERT_TRUE(Report(run, metric, step, 1.0).ok());
  }
  v1::CompleteJobRequest complete;
  complete.mutable_lease()->set_run_id(run.run().run_id());
  complete.mutable_lease()->set_lease_token(run.lease_token());
  complete.set_final_step(20);
  v1::CompleteJobResponse done;
  ASSERT_TRUE(workers_->CompleteJob(Ctx().get(), complete, &done).ok());

  auto report = [&](const std::string& rule) {
    v1::GetReportRequest request;
    request.set_sweep_id(submitted.sweep().sweep_id());
    request.set_early_stop(rule);
    v1::GetReportResponse response;
    grpc::Status status = sweeps_->GetReport(Ctx().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  };
  v1::GetReportResponse by_spec = report("");
  EXPECT_EQ(by_spec.early_stop(), "within_0.01");
  ASSERT_EQ(by_spec.runs_size(), 1);
  EXPECT_EQ(by_spec.runs(0).early_stop_step(), 10);
  ASSERT_EQ(by_spec.rows_size(), 1);
  EXPECT_DOUBLE_EQ(by_spec.rows(0).mean_gen_acc_at_early_stop(), 0.1);
  v1::GetReportResponse asked = report("first_best");
  EXPECT_EQ(asked.early_stop(), "first_best");
  EXPECT_EQ(asked.runs(0).early_stop_step(), 20);
  EXPECT_DOUBLE_EQ(asked.rows(0).mean_gen_acc_at_early_stop(), 0.5);
  // A sweep that did not choose gets first_best.
  const int64_t plain = Submit();
  v1::GetReportRequest request;
  request.set_sweep_id(plain);
  v1::GetReportResponse response;
  ASSERT_TRUE(sweeps_->GetReport(Ctx().get(), request, &response).ok());
  EXPECT_EQ(response.early_stop(), "first_best");
}

TEST_F(CoordinatorServiceTest, AnalysisMetricsNeedNoLeaseReplaceAndAreAudited) {
  Submit();
  v1::ClaimJobsResponse claim = Claim(Register("host-a"), 1);
  ASSERT_EQ(claim.runs_size(), 1);
  const v1::ClaimedRun& run = claim.runs(0);
  const int64_t id = run.run().run_id();
  ASSERT_TRUE(Report(run, "t_score", 10, 0.25).ok());
  auto record = [&](const std::string& metric, int64_t step, double value, int64_t run_id) {
    v1::RecordAnalysisMetricsRequest request;
    request.set_run_id(id);
    v1::MetricPoint* p = request.add_points();
    p->set_run_id(run_id);
    p->set_metric(metric);
    p->set_step(step);
    p->set_value(value);
    v1::RecordAnalysisMetricsResponse response;
    grpc::Status status = sweeps_->RecordAnalysisMetrics(Ctx().get(), request, &response);
    if (status.ok()) EXPECT_EQ(response.recorded_points(), 1);
    return status;
  };
  // The worker still holds the lease; the analysis writes without one and replaces step 10.
  ASSERT_TRUE(record("t_score", 10, 0.5, id).ok());
  ASSERT_TRUE(record("t_score", 5, 0.125, id).ok());
  std::vector<v1::CurvePoint> curve = Curve(id, "t_score");
  ASSERT_EQ(curve.size(), 2u);
  EXPECT_EQ(curve[0].step(), 5);
  EXPECT_EQ(curve[1].value(), 0.5);
  // Losses and accuracies are the lease holder's alone; other runs' points, unknown runs and
  // negative steps are refused, and nothing is stored.
  grpc::Status refused = record("gen_acc", 10, 1.0, id);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error_message().find("not an analysis metric"), std::string::npos);
  EXPECT_EQ(record("t_score", 10, 1.0, id + 100).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(record("t_score", -1, 1.0, id).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Curve(id, "gen_acc").empty());
  v1::RecordAnalysisMetricsRequest unknown;
  unknown.set_run_id(id + 100);
  v1::MetricPoint* p = unknown.add_points();
  p->set_run_id(id + 100);
  p->set_metric("t_score");
  v1::RecordAnalysisMetricsResponse response;
  EXPECT_EQ(sweeps_->RecordAnalysisMetrics(Ctx().get(), unknown, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListAuditEventsResponse audit;
  ASSERT_TRUE(
      sweeps_->ListAuditEvents(Ctx().get(), v1::ListAuditEventsRequest(), &audit).ok());
  int recorded = 0;
  for (const v1::AuditEvent& e : audit.events()) {
    if (e.action() != "record_analysis_metrics") continue;
    ++recorded;
    EXPECT_EQ(e.target(), "run " + std::to_string(id));
    EXPECT_NE(e.detail().find("1 point(s) of t_score at steps"), std::string::npos) << e.detail();
  }
  EXPECT_EQ(recorded, 2);
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
  // A well-formed token is looked up (here there is no run 1), and the refusal does not repeat it.
  request.mutable_lease()->set_lease_token("not-this-runs-token");
  status = workers_->CompleteJob(Ctx().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message().find("not-this-runs-token"), std::string::npos);
}

TEST_F(CoordinatorServiceTest, UnknownMetricsAreRefusedAndSeveralComeBackTogether) {
  const int64_t sweep_id = Submit();
  v1::GetCurvesRequest request;
  request.set_sweep_id(sweep_id);
  request.set_metric("val_acc");
  v1::GetCurvesResponse response;
  grpc::Status status = sweeps_->GetCurves(Ctx().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("has recorded no metrics yet"));

  v1::ClaimJobsResponse pack = Claim(Register("host"), 8);
  ASSERT_EQ(pack.runs_size(), 3);
  for (const v1::ClaimedRun& run : pack.runs()) {
    ASSERT_TRUE(Report(run, "val_acc", 10, 0.5).ok());
    ASSERT_TRUE(Report(run, "val_acc", 20, 0.75).ok());
    ASSERT_TRUE(Report(run, "train_loss", 1, 3.0).ok());
  }
  request.set_metric("val_accuracy");
  response.Clear();
  status = sweeps_->GetCurves(Ctx().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              ::testing::HasSubstr("metric 'val_accuracy': not recorded by sweep"));
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("its metrics: train_loss, val_acc"));
  // One run's query is checked against that run.
  v1::GetCurvesRequest one_run;
  one_run.set_run_id(pack.runs(0).run().run_id());
  one_run.add_metrics("val_acc");
  one_run.add_metrics("gen_acc");
  status = sweeps_->GetCurves(Ctx().get(), one_run, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("metric 'gen_acc': not recorded by run"));

  // val_acc and train_loss together: every run's curve of each.
  request.set_metric("val_acc");
  request.add_metrics("train_loss");
  request.add_metrics("val_acc");  // a repeat is asked once
  response.Clear();
  status = sweeps_->GetCurves(Ctx().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.curves_size(), 12);  // 6 runs x 2 metrics; the unclaimed runs' are empty
  std::map<std::string, int> per_metric;
  for (const v1::Curve& curve : response.curves()) {
    EXPECT_EQ(curve.sweep_id(), sweep_id);
    if (curve.points_size() == 0) continue;
    ++per_metric[curve.metric()];
    EXPECT_EQ(curve.points_size(), curve.metric() == "val_acc" ? 2 : 1);
  }
  EXPECT_EQ(per_metric["val_acc"], 3);
  EXPECT_EQ(per_metric["train_loss"], 3);
  // Aggregated, one AggregateCurve per group and metric.
  request.add_group_by("depth");
  response.Clear();
  ASSERT_TRUE(sweeps_->GetCurves(Ctx().get(), request, &response).ok());
  ASSERT_EQ(response.aggregates_size(), 4);  // two depths, for each metric in turn
  EXPECT_EQ(response.aggregates(0).metric(), "val_acc");
  EXPECT_EQ(response.aggregates(1).metric(), "val_acc");
  EXPECT_EQ(response.aggregates(1).label(), "depth=4");
  EXPECT_EQ(response.aggregates(2).metric(), "train_loss");
  EXPECT_EQ(response.aggregates(2).label(), "depth=2");
  EXPECT_EQ(response.aggregates(0).label(), "depth=2");
  EXPECT_EQ(response.aggregates(0).sweep_id(), 0);  // not grouped by sweep
  // The claimed pack is the deeper cell's (claims take the longest pack first).
  EXPECT_EQ(response.aggregates(0).points_size(), 0);
  ASSERT_EQ(response.aggregates(1).points_size(), 2);
  EXPECT_EQ(response.aggregates(1).points(1).n(), 3);
}

TEST_F(CoordinatorServiceTest, ListSweepMetricsCountsPointsByName) {
  const int64_t sweep_id = Submit();
  v1::ClaimJobsResponse pack = Claim(Register("host"), 8);
  ASSERT_EQ(pack.runs_size(), 3);
  ASSERT_TRUE(Report(pack.runs(0), "val_acc", 10, 0.5).ok());
  ASSERT_TRUE(Report(pack.runs(0), "val_acc", 20, 0.5).ok());
  ASSERT_TRUE(Report(pack.runs(1), "val_acc", 10, 0.5).ok());
  ASSERT_TRUE(Report(pack.runs(2), "train_loss", 7, 2.0).ok());
  v1::ListSweepMetricsRequest request;
  request.set_name("tiny-qf");
  v1::ListSweepMetricsResponse response;
  grpc::Status status = sweeps_->ListSweepMetrics(Ctx().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.sweep_id(), sweep_id);
  ASSERT_EQ(response.metrics_size(), 2);
  EXPECT_EQ(response.metrics(0).metric(), "train_loss");
  EXPECT_EQ(response.metrics(0).points(), 1);
  EXPECT_EQ(response.metrics(0).runs(), 1);
  EXPECT_EQ(response.metrics(0).last_step(), 7);
  EXPECT_EQ(response.metrics(1).metric(), "val_acc");
  EXPECT_EQ(response.metrics(1).points(), 3);
  EXPECT_EQ(response.metrics(1).runs(), 2);
  EXPECT_EQ(response.metrics(1).last_step(), 20);
  request.set_name("no-such-sweep");
  EXPECT_EQ(sweeps_->ListSweepMetrics(Ctx().get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(CoordinatorServiceTest, TagsAndNotesTravelAndFilterListSweeps) {
  const std::string tagged = std::string(kSpec) +
                             "tags: [paper, tied]\n"
                             "notes: |\n  tied embeddings against the default\n";
  std::string variant = tagged;
  variant.replace(variant.find("tiny-qf"), 7, "tiny-qf-b");
  variant.replace(variant.find("tied]"), 5, "untied]");
  Submit(tagged);
  Submit(variant);
  std::string plain = kSpec;
  plain.replace(plain.find("tiny-qf"), 7, "plain");
  Submit(plain);

  v1::GetSweepRequest get;
  get.set_name("tiny-qf");
  v1::GetSweepResponse got;
  ASSERT_TRUE(sweeps_->GetSweep(Ctx().get(), get, &got).ok());
  EXPECT_THAT(got.sweep().tags(), ::testing::ElementsAre("paper", "tied"));
  EXPECT_EQ(got.sweep().notes(), "tied embeddings against the default\n");

  auto names = [&](std::vector<std::string> tags) {
    v1::ListSweepsRequest request;
    for (const std::string& tag : tags) request.add_tags(tag);
    v1::ListSweepsResponse response;
    EXPECT_TRUE(sweeps_->ListSweeps(Ctx().get(), request, &response).ok());
    std::vector<std::string> out;
    for (const v1::Sweep& sweep : response.sweeps()) out.push_back(sweep.name());
    return out;
  };
  EXPECT_THAT(names({}), ::testing::ElementsAre("tiny-qf", "tiny-qf-b", "plain"));
  EXPECT_THAT(names({"paper"}), ::testing::ElementsAre("tiny-qf", "tiny-qf-b"));
  EXPECT_THAT(names({"paper", "tied"}), ::testing::ElementsAre("tiny-qf"));
  EXPECT_THAT(names({"tie"}), ::testing::IsEmpty());  // exact tags, not substrings
  v1::ListSweepsRequest request;
  request.add_tags("untied");
  v1::ListSweepsResponse response;
  ASSERT_TRUE(sweeps_->ListSweeps(Ctx().get(), request, &response).ok());
  ASSERT_EQ(response.sweeps_size(), 1);
  EXPECT_THAT(response.sweeps(0).tags(), ::testing::ElementsAre("paper", "untied"));
  EXPECT_TRUE(response.sweeps(0).spec_yaml().empty());

  // A malformed tag names the field and the rule.
  v1::SubmitSweepRequest bad;
  bad.set_spec_yaml("name: bad\ntask: dyck\nseeds: 1\ntags: paper\n");
  v1::SubmitSweepResponse refused;
  grpc::Status status = sweeps_->SubmitSweep(Ctx().get(), bad, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("tags: must be a list"));
}

TEST_F(CoordinatorServiceTest, CurvesAndReportsCompareSweepsGroupedBySweep) {
  std::string second = kSpec;
  second.replace(second.find("tiny-qf"), 7, "tiny-qf-tied");
  const int64_t a = Submit();
  const int64_t b = Submit(second);
  const std::string worker = Register("host");
  // Four packs (two sweeps x two depths). gen_acc: 0.9 in sweep b at depth 4, else 0.1.
  for (int pack_index = 0; pack_index < 4; ++pack_index) {
    v1::ClaimJobsResponse pack = Claim(worker, 8);
    ASSERT_EQ(pack.runs_size(), 3);
    const bool high = pack.sweep_id() == b && pack.cell_key() == "depth=4";
    for (const v1::ClaimedRun& run : pack.runs()) {
      for (int64_t step = 10; step <= 20; step += 10) {
        ASSERT_TRUE(Report(run, "val_acc", step, 1.0).ok());
        ASSERT_TRUE(Report(run, "gen_acc", step, high ? 0.9 : 0.1).ok());
      }
      FillEvaluations(run, 20);
      ASSERT_TRUE(Complete(run, 20).ok());
    }
  }
  v1::GetCurvesRequest request;
  request.add_sweep_ids(a);
  request.add_sweep_ids(b);
  request.set_metric("gen_acc");
  request.add_group_by("sweep");
  request.add_group_by("depth");
  v1::GetCurvesResponse response;
  grpc::Status status = sweeps_->GetCurves(Ctx().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.aggregates_size(), 4);
  std::vector<std::string> labels;
  for (const v1::AggregateCurve& curve : response.aggregates()) labels.push_back(curve.label());
  EXPECT_THAT(labels, ::testing::ElementsAre("sweep=tiny-qf,depth=2", "sweep=tiny-qf,depth=4",
                                             "sweep=tiny-qf-tied,depth=2",
                                             "sweep=tiny-qf-tied,depth=4"));
  const v1::AggregateCurve& tied_deep = response.aggregates(3);
  EXPECT_EQ(tied_deep.sweep_id(), b);
  EXPECT_EQ(tied_deep.sweep(), "tiny-qf-tied");
  ASSERT_EQ(tied_deep.group_size(), 2);
  EXPECT_EQ(tied_deep.group(0).axis(), "sweep");
  EXPECT_EQ(tied_deep.group(0).value(), b);
  EXPECT_DOUBLE_EQ(tied_deep.points(0).mean(), 0.9);
  EXPECT_EQ(tied_deep.seeds_size(), 3);
  // By depth alone, the sweeps' seeds are pooled: 6 per depth.
  request.clear_group_by();
  request.add_group_by("depth");
  response.Clear();
  ASSERT_TRUE(sweeps_->GetCurves(Ctx().get(), request, &response).ok());
  ASSERT_EQ(response.aggregates_size(), 2);
  EXPECT_EQ(response.aggregates(1).seeds_size(), 6);
  EXPECT_DOUBLE_EQ(response.aggregates(1).points(0).mean(), 0.5);
  EXPECT_EQ(response.aggregates(1).sweep_id(), 0);
  // Raw curves of two sweeps name each curve's sweep.
  request.clear_group_by();
  response.Clear();
  ASSERT_TRUE(sweeps_->GetCurves(Ctx().get(), request, &response).ok());
  ASSERT_EQ(response.curves_size(), 12);
  EXPECT_EQ(response.curves(0).sweep_id(), a);
  EXPECT_EQ(response.curves(11).sweep_id(), b);

  // The report over both: one row per sweep and cell (several sweeps, empty group_by).
  v1::GetReportRequest report_request;
  report_request.set_sweep_id(a);
  report_request.add_sweep_ids(b);
  v1::GetReportResponse report;
  status = sweeps_->GetReport(Ctx().get(), report_request, &report);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(report.rows_size(), 4);
  EXPECT_EQ(report.rows(3).label(), "sweep=tiny-qf-tied,depth=4");
  EXPECT_EQ(report.rows(3).sweep(), "tiny-qf-tied");
  EXPECT_EQ(report.rows(3).seeds_grokked(), 3);
  EXPECT_EQ(report.rows(1).seeds_grokked(), 0);
  ASSERT_EQ(report.runs_size(), 12);
  EXPECT_EQ(report.runs(0).sweep_id(), a);
  EXPECT_EQ(report.runs(11).sweep_id(), b);
  ASSERT_EQ(report.runs(11).config_size(), 1);  // the grid axes only, no sweep pseudo-axis
  // An unknown sweep among them is NOT_FOUND.
  report_request.add_sweep_ids(424242);
  EXPECT_EQ(sweeps_->GetReport(Ctx().get(), report_request, &report).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(CoordinatorServiceTest, AReportOfSweepsWithDifferentEarlyStopRulesNeedsOneNamed) {
  std::string tolerant = kSpec;
  tolerant.replace(tolerant.find("tiny-qf"), 7, "tolerant");
  tolerant += "  early_stop: within_0.01\n";
  const int64_t a = Submit();
  const int64_t b = Submit(tolerant);
  v1::GetReportRequest request;
  request.add_sweep_ids(a);
  request.add_sweep_ids(b);
  v1::GetReportResponse response;
  grpc::Status status = sweeps_->GetReport(Ctx().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("name the rule"));
  request.set_early_stop("first_best");
  status = sweeps_->GetReport(Ctx().get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace
}  // namespace sg

namespace sg {
namespace {

using ::testing::HasSubstr;

// ExtendSweep and RetryRuns over the wire (issue 23): the cell selection, refusals that name the
// problem, the history in ListRuns, the audit entries, CompleteJob's requeue under a raised
// horizon.
TEST_F(CoordinatorServiceTest, ExtendSelectsCellsRetryRefusesOtherStatesAndBothAreAudited) {
  const int64_t sweep = Submit();
  auto extend = [&](int64_t steps, const std::string& cell, v1::ExtendSweepResponse* response) {
    v1::ExtendSweepRequest request;
    request.set_sweep_id(sweep);
    request.set_steps(steps);
    request.set_cell(cell);
    return sweeps_->ExtendSweep(Ctx().get(), request, response);
  };
  v1::ExtendSweepResponse response;
  grpc::Status status = extend(300, "depth=4", &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.matched_runs(), 3);  // depth 4 x 3 seeds
  ASSERT_EQ(response.changes_size(), 3);
  EXPECT_EQ(response.changes(0).steps_before(), 100);
  EXPECT_EQ(response.changes(0).steps_after(), 300);
  EXPECT_EQ(response.changes(0).action(), "extend");

  status = extend(300, "depth=5", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("depth=5"));
  status = extend(300, "depth", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("cell"));
  status = extend(0, "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("steps"));

  // ListRuns carries the history: depth-4 runs have one extend, depth-2 runs none.
  v1::ListRunsRequest list;
  list.set_sweep_id(sweep);
  v1::ListRunsResponse runs;
  ASSERT_TRUE(sweeps_->ListRuns(Ctx().get(), list, &runs).ok());
  for (const v1::Run& run : runs.runs()) {
    EXPECT_EQ(run.history_size(), run.cell_key() == "depth=4" ? 1 : 0) << run.cell_key();
    if (run.cell_key() == "depth=4") {
      EXPECT_THAT(run.resolved_config_json(), HasSubstr("\"steps\":300"));
    }
  }

  // Retry of one run that is queued is refused, saying its state; of the sweep, nothing to do.
  v1::RetryRunsRequest retry;
  retry.set_sweep_id(sweep);
  retry.set_run_id(runs.runs(0).run_id());
  v1::RetryRunsResponse retried;
  status = sweeps_->RetryRuns(Ctx().get(), retry, &retried);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("is queued"));
  retry.set_run_id(0);
  ASSERT_TRUE(sweeps_->RetryRuns(Ctx().get(), retry, &retried).ok());
  EXPECT_EQ(retried.changes_size(), 0);

  std::set<std::string> actions;
  for (const AuditEvent& e : *coordinator_->ListAudit(0)) actions.insert(e.action);
  EXPECT_EQ(actions.count("extend_sweep"), 1u);
  EXPECT_EQ(actions.count("retry_runs"), 1u);
}

TEST_F(CoordinatorServiceTest, CompleteJobUnderARaisedHorizonQueuesTheRunAgain) {
  const int64_t sweep = Submit();
  const std::string worker = Register("host-a");
  v1::ClaimJobsResponse claim = Claim(worker, 3);
  ASSERT_EQ(claim.runs_size(), 3);
  v1::ExtendSweepRequest request;
  request.set_sweep_id(sweep);
  request.set_steps(200);
  v1::ExtendSweepResponse extended;
  ASSERT_TRUE(sweeps_->ExtendSweep(Ctx().get(), request, &extended).ok());
  const v1::ClaimedRun& run = claim.runs(0);
  FillEvaluations(run, 100);
  v1::CompleteJobRequest complete;
  complete.mutable_lease()->set_run_id(run.run().run_id());
  complete.mutable_lease()->set_lease_token(run.lease_token());
  complete.set_final_step(100);
  complete.set_trained_steps(100);
  v1::CompleteJobResponse done;
  grpc::Status status = workers_->CompleteJob(Ctx().get(), complete, &done);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(done.requeued());
  absl::StatusOr<RunRecord> stored = store_->GetRun(run.run().run_id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, RunState::kQueued);
  EXPECT_EQ(stored->step, 100);
}

}  // namespace
}  // namespace sg
