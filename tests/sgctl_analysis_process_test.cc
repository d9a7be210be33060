// sgctl's analysis commands as processes against a real sg-coordinator process (SQLite file,
// loopback port 0). The test plays the worker itself through the WorkerService stub: it claims
// packs, reports hand-made val_acc/gen_acc curves with a known grokking pattern and completes
// the runs; then it checks the numbers of `report`, `curves --group-by`, the files of `plot`,
// `workers`, the timing columns of `runs`/`status`, and the exit status of `watch`.
//
// The figures are written under $SG_BINARY_DIR/tests/sgctl_plots/ and kept, so a person can
// look at them after the test.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/run_config.h"
#include "coordinator/sqlite_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sg/v1/sg.grpc.pb.h"
#include "tests/process_util.h"
#include "worker/device_info.h"

namespace {

using sg_test::EnvOr;
using sg_test::ReadFile;
using sg_test::Spawn;
using sg_test::WaitExit;

using ::testing::HasSubstr;
using ::testing::Not;

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// The hand-made curves, evaluated every 10 steps up to 100. val_acc saturates at step 30 (the
// first-best early-stopping point) for every run. gen_acc, by depth:
//   depth=2: never grokks: 0.20 + 0.01 * seed.
//   depth=4: seeds 0, 1, 2 jump from 0.3 to 0.95 at steps 40, 60, 80; seed 3 stays at 0.3.
//   depth=6: seed 0 jumps from 0.4 to 0.95 at step 50; seeds 1..3 stay at 0.40 + 0.01 * seed.
constexpr int64_t kSteps = 100;
constexpr int64_t kEvery = 10;

double ValAcc(int64_t step) { return step <= 10 ? 0.5 : step == 20 ? 0.9 : 1.0; }

double GenAcc(const std::string& cell, int64_t seed, int64_t step) {
  if (cell == "depth=2") return 0.20 + 0.01 * seed;
  if (cell == "depth=4") {
    const int64_t grok[] = {40, 60, 80, -1};
    return grok[seed] > 0 && step >= grok[seed] ? 0.95 : 0.3;
  }
  if (seed == 0) return step >= 50 ? 0.95 : 0.4;
  return 0.40 + 0.01 * seed;
}

constexpr char kSpec[] =
    "name: grok\n"
    "task: question_formation\n"
    "grid:\n"
    "  depth: [2, 4, 6]\n"
    "seeds: 4\n"
    "train:\n"
    "  steps: 100\n"
    "  eval_every: 10\n"
    "  checkpoint_every: 10\n";

class SgctlAnalysisProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_dir_ = EnvOr("SG_BINARY_DIR", ".");
    std::string tmpl = EnvOr("TMPDIR", "/tmp") + "/sgctl_analysis_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    plots_ = binary_dir_ + "/tests/sgctl_plots";
    mkdir((binary_dir_ + "/tests").c_str(), 0755);
    mkdir(plots_.c_str(), 0755);

    StartCoordinator();
    spec_path_ = dir_ + "/grok.yaml";
    std::ofstream(spec_path_) << kSpec;
  }

  // Starts sg-coordinator on dir_/coordinator.db (port 0) and connects the worker stub.
  void StartCoordinator() {
    ASSERT_EQ(sg_test::StartCoordinatorProcess(binary_dir_, dir_, {}, &coordinator_, &address_),
              "");
    workers_ = sg::v1::WorkerService::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }

  void StopCoordinator() {
    if (coordinator_ <= 0) return;
    kill(coordinator_, SIGTERM);
    EXPECT_EQ(WaitExit(coordinator_, std::chrono::seconds(20)), 0)
        << ReadFile(dir_ + "/coordinator.err");
    coordinator_ = -1;
  }

  void TearDown() override {
    StopCoordinator();
    for (const char* f : {"port", "coordinator.db", "coordinator.db-wal", "coordinator.db-shm",
                          "coordinator.out", "coordinator.err", "sgctl.out", "sgctl.err",
                          "watch.out", "watch.err", "grok.yaml"}) {
      std::remove((dir_ + "/" + f).c_str());
    }
    rmdir(dir_.c_str());
  }

  ProcessResult Sgctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {binary_dir_ + "/sgctl/sgctl", "--coordinator", address_};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_t pid = Spawn(argv, dir_ + "/sgctl.out", dir_ + "/sgctl.err");
    ProcessResult r;
    r.exit_code = WaitExit(pid, std::chrono::seconds(30));
    r.out = ReadFile(dir_ + "/sgctl.out");
    r.err = ReadFile(dir_ + "/sgctl.err");
    return r;
  }

  nlohmann::json SgctlJson(std::vector<std::string> args) {
    args.insert(args.begin(), {"--output", "json"});
    ProcessResult r = Sgctl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out;
    return j;
  }

  // --- The worker's side, through the WorkerService stub.

  std::string Register() {
    sg::v1::RegisterWorkerRequest request;
    request.set_hostname("test-host");
    sg::v1::Device* device = request.add_devices();
    device->set_name("cuda:0");
    device->set_memory_bytes(int64_t{80} << 30);
    device->set_slots(4);
    sg::v1::RegisterWorkerResponse response;
    grpc::ClientContext context;
    grpc::Status s = workers_->RegisterWorker(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.worker_id();
  }

  sg::v1::ClaimJobsResponse Claim(const std::string& worker) {
    sg::v1::ClaimJobsRequest request;
    request.set_worker_id(worker);
    request.set_max_runs(4);
    request.set_device("cuda:0");
    sg::v1::ClaimJobsResponse response;
    grpc::ClientContext context;
    grpc::Status s = workers_->ClaimJobs(&context, request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  static void SetLease(const sg::v1::ClaimedRun& run, sg::v1::LeaseRef* lease) {
    lease->set_run_id(run.run().run_id());
    lease->set_lease_token(run.lease_token());
  }

  // Reports val_acc and gen_acc of every run of `pack` at the eval steps in [first, last], and
  // the other metrics every evaluation writes (constant here), without which the coordinator
  // refuses CompleteJob.
  void ReportCurves(const std::string& worker, const sg::v1::ClaimJobsResponse& pack,
                    int64_t first, int64_t last) {
    sg::v1::ReportMetricsRequest request;
    request.set_worker_id(worker);
    for (const sg::v1::ClaimedRun& run : pack.runs()) {
      SetLease(run, request.add_leases());
      for (int64_t step = first; step <= last; step += kEvery) {
        for (const char* metric : {"val_acc", "gen_acc"}) {
          sg::v1::MetricPoint* p = request.add_points();
          p->set_run_id(run.run().run_id());
          p->set_metric(metric);
          p->set_step(step);
          p->set_value(std::string(metric) == "val_acc"
                           ? ValAcc(step)
                           : GenAcc(pack.cell_key(), run.run().seed(), step));
        }
        for (const char* metric : {"val_loss", "test_loss", "weight_norm", "weight_norm_ref"}) {
          sg::v1::MetricPoint* p = request.add_points();
          p->set_run_id(run.run().run_id());
          p->set_metric(metric);
          p->set_step(step);
          p->set_value(1.0);
        }
      }
    }
    sg::v1::ReportMetricsResponse response;
    grpc::ClientContext context;
    grpc::Status s = workers_->ReportMetrics(&context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  void Heartbeat(const std::string& worker, const sg::v1::ClaimJobsResponse& pack, int64_t step,
                 double steps_per_second) {
    sg::v1::HeartbeatRequest request;
    request.set_worker_id(worker);
    for (const sg::v1::ClaimedRun& run : pack.runs()) {
      SetLease(run, request.add_leases());
      sg::v1::RunProgress* progress = request.add_progress();
      SetLease(run, progress->mutable_lease());
      progress->set_step(step);
      progress->set_steps_per_second(steps_per_second);
    }
    sg::v1::HeartbeatResponse response;
    grpc::ClientContext context;
    grpc::Status s = workers_->Heartbeat(&context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  void Checkpoint(const sg::v1::ClaimedRun& run, int64_t step) {
    sg::v1::ReportCheckpointRequest request;
    SetLease(run, request.mutable_lease());
    request.set_step(step);
    request.set_path("/ckpt/" + std::to_string(run.run().run_id()));
    sg::v1::ReportCheckpointResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(workers_->ReportCheckpoint(&context, request, &response).ok());
  }

  // Reports one point per (run, step) of `metric`: value(run index in the pack, step).
  void ReportMetric(const std::string& worker, const sg::v1::ClaimJobsResponse& pack,
                    const std::string& metric, const std::vector<int64_t>& steps,
                    const std::function<double(int, int64_t)>& value) {
    sg::v1::ReportMetricsRequest request;
    request.set_worker_id(worker);
    for (int i = 0; i < pack.runs_size(); ++i) {
      SetLease(pack.runs(i), request.add_leases());
      for (int64_t step : steps) {
        sg::v1::MetricPoint* p = request.add_points();
        p->set_run_id(pack.runs(i).run().run_id());
        p->set_metric(metric);
        p->set_step(step);
        p->set_value(value(i, step));
      }
    }
    sg::v1::ReportMetricsResponse response;
    grpc::ClientContext context;
    grpc::Status s = workers_->ReportMetrics(&context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  void Complete(const sg::v1::ClaimJobsResponse& pack) {
    for (const sg::v1::ClaimedRun& run : pack.runs()) {
      sg::v1::CompleteJobRequest request;
      SetLease(run, request.mutable_lease());
      request.set_final_step(kSteps);
      sg::v1::CompleteJobResponse response;
      grpc::ClientContext context;
      grpc::Status s = workers_->CompleteJob(&context, request, &response);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  void Fail(const sg::v1::ClaimedRun& run, const std::string& reason) {
    sg::v1::FailJobRequest request;
    SetLease(run, request.mutable_lease());
    request.set_reason(reason);
    request.set_retryable(false);
    sg::v1::FailJobResponse response;
    grpc::ClientContext context;
    grpc::Status s = workers_->FailJob(&context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Starts `sgctl watch` in the background (stdout is a file: one line per poll).
  pid_t StartWatch() {
    return Spawn({binary_dir_ + "/sgctl/sgctl", "--coordinator", address_, "watch", "grok",
                  "--interval", "0.1"},
                 dir_ + "/watch.out", dir_ + "/watch.err");
  }

  // Waits until the watcher has printed at least one progress line.
  void AwaitWatchLine() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (ReadFile(dir_ + "/watch.out").find('\n') == std::string::npos) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline)
          << "watch printed nothing: " << ReadFile(dir_ + "/watch.err");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::string binary_dir_, dir_, plots_, address_, spec_path_;
  pid_t coordinator_ = -1;
  std::unique_ptr<sg::v1::WorkerService::Stub> workers_;
};

const nlohmann::json* FindByLabel(const nlohmann::json& array, const std::string& label) {
  for (const nlohmann::json& item : array) {
    if (item["label"] == label) return &item;
  }
  return nullptr;
}

const nlohmann::json* FindStep(const nlohmann::json& points, int64_t step) {
  for (const nlohmann::json& p : points) {
    if (p["step"] == step) return &p;
  }
  return nullptr;
}

bool IsPng(const std::string& bytes) {
  return bytes.size() > 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
}

TEST_F(SgctlAnalysisProcessTest, ReportCurvesPlotWorkersWatch) {
  ASSERT_EQ(SgctlJson({"submit", spec_path_})["runs"], 12);
  const std::string worker = Register();
  ASSERT_FALSE(worker.empty());

  // workers: the registered device, nothing running yet.
  nlohmann::json workers = SgctlJson({"workers"});
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_EQ(workers[0]["worker_id"], worker);
  EXPECT_EQ(workers[0]["hostname"], "test-host");
  EXPECT_EQ(workers[0]["devices"][0]["name"], "cuda:0");
  EXPECT_EQ(workers[0]["devices"][0]["memory_bytes"], int64_t{80} << 30);
  EXPECT_EQ(workers[0]["devices"][0]["slots"], 4);
  EXPECT_EQ(workers[0]["running_runs"], 0);
  ProcessResult workers_text = Sgctl({"workers"});
  ASSERT_EQ(workers_text.exit_code, 0) << workers_text.err;
  EXPECT_THAT(workers_text.out, HasSubstr("test-host  cuda:0 (80 GiB, 4 slots)"));

  // Three packs, one per depth. The first two train to the end; the third stops at step 50.
  std::vector<sg::v1::ClaimJobsResponse> packs;
  for (int i = 0; i < 3; ++i) {
    packs.push_back(Claim(worker));
    ASSERT_EQ(packs.back().runs_size(), 4) << "pack " << i;
  }
  for (int i = 0; i < 2; ++i) {
    ReportCurves(worker, packs[i], kEvery, kSteps);
    Complete(packs[i]);
  }
  const sg::v1::ClaimJobsResponse& last = packs[2];
  ReportCurves(worker, last, kEvery, 50);
  Heartbeat(worker, last, 50, 25.0);
  Checkpoint(last.runs(0), 50);

  // runs/status: the running runs' speed, ETA ((100 - 50) / 25 = 2 s), worker, heartbeat age
  // and checkpoint.
  nlohmann::json running = SgctlJson({"runs", "grok", "--state", "running"});
  ASSERT_EQ(running.size(), 4u);
  for (const nlohmann::json& run : running) {
    EXPECT_EQ(run["step"], 50);
    EXPECT_EQ(run["steps_per_second"], 25.0);
    EXPECT_EQ(run["eta_seconds"], 2.0);
    EXPECT_EQ(run["worker_id"], worker);
    ASSERT_TRUE(run["heartbeat_age_seconds"].is_number()) << run.dump();
    EXPECT_GE(run["heartbeat_age_seconds"].get<double>(), 0);
    EXPECT_LT(run["heartbeat_age_seconds"].get<double>(), 60);
    for (const char* field : {"run_id", "sweep_id", "state", "seed", "config", "attempts"}) {
      EXPECT_TRUE(run.contains(field)) << field;
    }
  }
  EXPECT_EQ(running[0]["checkpoint_step"], 50);
  ProcessResult status = Sgctl({"status", "grok"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("counts: queued 0, running 4, succeeded 8"));
  EXPECT_THAT(status.out, HasSubstr("\nrunning:\ncell "));
  // step, of, steps/s, eta, worker (the heartbeat age depends on how long the calls took).
  EXPECT_THAT(status.out, HasSubstr("50    100  25.0     2s   " + worker + "     "));
  EXPECT_EQ(SgctlJson({"workers"})[0]["running_runs"], 4);

  // watch: prints progress while the last pack runs and exits 0 once it has succeeded.
  pid_t watch = StartWatch();
  ASSERT_GT(watch, 0);
  AwaitWatchLine();
  ReportCurves(worker, last, 60, kSteps);
  Complete(last);
  ASSERT_EQ(WaitExit(watch, std::chrono::seconds(20)), 0) << ReadFile(dir_ + "/watch.err");
  const std::string watched = ReadFile(dir_ + "/watch.out");
  EXPECT_THAT(watched, HasSubstr("8/12 runs done (succeeded 8, failed 0, cancelled 0), running 4"));
  EXPECT_THAT(watched, HasSubstr("100% of steps, 12/12 runs done"));
  EXPECT_THAT(watched, HasSubstr("sweep grok: all 12 runs succeeded\n"));
  EXPECT_THAT(watched, Not(HasSubstr("\x1b[")));  // not a terminal: no cursor movement

  // report: the paper's table.
  nlohmann::json report = SgctlJson({"report", "grok"});
  ASSERT_TRUE(report.is_array());
  ASSERT_EQ(report.size(), 3u);
  const nlohmann::json& d2 = report[0];
  const nlohmann::json& d4 = report[1];
  const nlohmann::json& d6 = report[2];
  EXPECT_EQ(d2["group"].dump(), R"({"depth":2})");
  EXPECT_EQ(d4["group"].dump(), R"({"depth":4})");
  EXPECT_EQ(d6["group"].dump(), R"({"depth":6})");
  for (const nlohmann::json* row : {&d2, &d4, &d6}) {
    EXPECT_EQ((*row)["seeds_total"], 4);
    EXPECT_EQ((*row)["seeds_finished"], 4);
    EXPECT_EQ((*row)["seeds_counted"], 4);
  }
  EXPECT_EQ(d2["seeds_grokked"], 0);
  EXPECT_EQ(d4["seeds_grokked"], 3);
  EXPECT_EQ(d6["seeds_grokked"], 1);
  EXPECT_NEAR(d2["mean_final_gen_acc"].get<double>(), 0.215, 1e-12);
  EXPECT_NEAR(d2["median_final_gen_acc"].get<double>(), 0.215, 1e-12);
  EXPECT_NEAR(d4["mean_final_gen_acc"].get<double>(), (3 * 0.95 + 0.3) / 4, 1e-12);
  EXPECT_NEAR(d4["median_final_gen_acc"].get<double>(), 0.95, 1e-12);
  EXPECT_NEAR(d6["mean_final_gen_acc"].get<double>(), (0.95 + 0.41 + 0.42 + 0.43) / 4, 1e-12);
  EXPECT_NEAR(d6["median_final_gen_acc"].get<double>(), 0.425, 1e-12);
  // Early stopping at the first best val_acc (step 30) precedes every jump.
  EXPECT_NEAR(d2["mean_gen_acc_at_early_stop"].get<double>(), 0.215, 1e-12);
  EXPECT_NEAR(d4["mean_gen_acc_at_early_stop"].get<double>(), 0.3, 1e-12);
  EXPECT_NEAR(d6["mean_gen_acc_at_early_stop"].get<double>(), 0.415, 1e-12);
  EXPECT_TRUE(d2["median_grok_step"].is_null());
  EXPECT_EQ(d4["median_grok_step"], 60);
  EXPECT_EQ(d6["median_grok_step"], 50);

  ProcessResult table = Sgctl({"report", "grok"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("depth  finished  grokked  mean_final (95% CI)  "));
  EXPECT_THAT(table.out, HasSubstr("\n2      4/4       0/4      0.215 [0.205, 0.225]  0.215 "));
  EXPECT_THAT(table.out, HasSubstr("\n4      4/4       3/4      0.787 ["));
  std::cout << "sgctl report grok:\n" << table.out;

  // A stricter threshold, and per-run analyses.
  nlohmann::json strict = SgctlJson({"report", "grok", "--threshold", "0.96"});
  EXPECT_EQ(strict[1]["seeds_grokked"], 0);
  nlohmann::json runs = SgctlJson({"report", "grok", "--runs"});
  ASSERT_EQ(runs.size(), 12u);
  std::map<std::pair<int, int>, nlohmann::json> by_cell;
  for (const nlohmann::json& run : runs) {
    by_cell[{run["config"]["depth"].get<int>(), run["seed"].get<int>()}] = run;
  }
  EXPECT_EQ(by_cell[std::make_pair(4, 1)]["grok_step"], 60);
  EXPECT_EQ(by_cell[std::make_pair(4, 1)]["early_stop_step"], 30);
  EXPECT_EQ(by_cell[std::make_pair(4, 1)]["grokked"], true);
  EXPECT_TRUE(by_cell[std::make_pair(4, 3)]["grok_step"].is_null());
  EXPECT_NEAR(by_cell[std::make_pair(6, 2)]["final_gen_acc"].get<double>(), 0.42, 1e-12);
  EXPECT_THAT(Sgctl({"report", "grok", "--runs"}).out, HasSubstr("not grokked"));
  ProcessResult bad = Sgctl({"report", "grok", "--early-stop", "last"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--early-stop: must be first_best"));

  // curves --group-by depth: statistics across the four seeds at each eval step.
  nlohmann::json curves =
      SgctlJson({"curves", "--sweep", "grok", "--metric", "gen_acc", "--group-by", "depth"});
  ASSERT_EQ(curves.size(), 3u);
  const nlohmann::json* deep = FindByLabel(curves, "depth=4");
  ASSERT_NE(deep, nullptr);
  EXPECT_EQ((*deep)["group"].dump(), R"({"depth":4})");
  EXPECT_EQ((*deep)["metric"], "gen_acc");
  EXPECT_EQ((*deep)["seeds"].size(), 4u);
  EXPECT_EQ((*deep)["unfinished_seeds"], 0);
  EXPECT_EQ((*deep)["points"].size(), 10u);
  const nlohmann::json* at70 = FindStep((*deep)["points"], 70);
  ASSERT_NE(at70, nullptr);  // seeds 0 and 1 have jumped: {0.3, 0.3, 0.95, 0.95}
  EXPECT_EQ((*at70)["n"], 4);
  EXPECT_NEAR((*at70)["median"].get<double>(), 0.625, 1e-12);
  EXPECT_NEAR((*at70)["mean"].get<double>(), 0.625, 1e-12);
  EXPECT_NEAR((*at70)["p25"].get<double>(), 0.3, 1e-12);
  EXPECT_NEAR((*at70)["p75"].get<double>(), 0.95, 1e-12);
  EXPECT_NEAR((*at70)["p10"].get<double>(), 0.3, 1e-12);
  EXPECT_NEAR((*at70)["min"].get<double>(), 0.3, 1e-12);
  EXPECT_NEAR((*at70)["max"].get<double>(), 0.95, 1e-12);
  const nlohmann::json* at50 = FindStep((*deep)["points"], 50);  // only seed 0: {0.3 x3, 0.95}
  ASSERT_NE(at50, nullptr);
  EXPECT_NEAR((*at50)["median"].get<double>(), 0.3, 1e-12);
  EXPECT_NEAR((*at50)["p90"].get<double>(), 0.3 + 0.7 * 0.65, 1e-12);
  // --agg picks the statistics; --max-points thins each group.
  nlohmann::json some = SgctlJson({"curves", "--sweep", "grok", "--metric", "gen_acc",
                                   "--group-by", "depth", "--agg", "median,p25,p75"});
  EXPECT_EQ((*FindStep((*FindByLabel(some, "depth=4"))["points"], 70)).dump(),
            R"({"median":0.625,"n":4,"non_finite":0,"p25":0.3,"p75":0.95,"step":70})");
  nlohmann::json thin = SgctlJson({"curves", "--sweep", "grok", "--metric", "gen_acc",
                                   "--group-by", "depth", "--max-points", "4", "--log-steps"});
  for (const nlohmann::json& c : thin) EXPECT_LE(c["points"].size(), 4u);
  ProcessResult csv = Sgctl({"--output", "csv", "curves", "--sweep", "grok", "--metric",
                             "gen_acc", "--agg", "median"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_THAT(csv.out,
              HasSubstr("group,depth,metric,step,n,non_finite,median\n"
                        "depth=2,2,gen_acc,10,4,0,0.215"));
  EXPECT_THAT(csv.out, HasSubstr("\ndepth=4,4,gen_acc,70,4,0,0.625\n"));
  // Per-run curves still work as before.
  const std::string first_run = std::to_string(runs[0]["run_id"].get<int64_t>());
  nlohmann::json one = SgctlJson({"curves", "--run", first_run, "--metric", "val_acc"});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0]["points"].size(), 10u);
  EXPECT_EQ(one[0]["points"][2].dump(), R"({"step":30,"value":1.0})");

  // plot: PNG and SVG of the median curves, and the bars of seeds grokked per depth.
  const std::string png = plots_ + "/grok_curves.png";
  ProcessResult plotted = Sgctl({"plot", "grok", "--out", png});
  ASSERT_EQ(plotted.exit_code, 0) << plotted.err;
  EXPECT_THAT(plotted.out, HasSubstr("wrote " + png));
  std::string bytes = ReadFile(png);
  EXPECT_TRUE(IsPng(bytes));
  EXPECT_GT(bytes.size(), 5000u);
  EXPECT_THAT(ReadFile(png + ".gp"), HasSubstr("depth=6"));
  const std::string svg = plots_ + "/grok_curves.svg";
  ASSERT_EQ(Sgctl({"plot", "grok", "--out", svg, "--metric", "gen_acc"}).exit_code, 0);
  std::string svg_text = ReadFile(svg);
  EXPECT_THAT(svg_text, HasSubstr("<svg"));
  EXPECT_THAT(svg_text, HasSubstr("depth=4"));
  const std::string bars = plots_ + "/grok_depth.png";
  nlohmann::json bars_json = SgctlJson({"plot", "grok", "--kind", "depth", "--out", bars});
  EXPECT_EQ(bars_json["output"], bars);
  EXPECT_EQ(bars_json["groups"], 3);
  bytes = ReadFile(bars);
  EXPECT_TRUE(IsPng(bytes));
  EXPECT_GT(bytes.size(), 5000u);
  const std::string bars_svg = plots_ + "/grok_depth.svg";
  ASSERT_EQ(Sgctl({"plot", "grok", "--kind", "depth", "--out", bars_svg}).exit_code, 0);
  EXPECT_THAT(ReadFile(bars_svg), HasSubstr("3/4"));  // depth=4's bar label

  // Plot errors: a missing gnuplot, a metric without points, a bad file name.
  ProcessResult no_gnuplot = Sgctl({"plot", "grok", "--out", plots_ + "/x.png", "--gnuplot",
                                    "/nonexistent/gnuplot"});
  EXPECT_EQ(no_gnuplot.exit_code, 1);
  EXPECT_THAT(no_gnuplot.err, HasSubstr("install gnuplot"));
  std::remove((plots_ + "/x.png.gp").c_str());  // the script of the figure that was not drawn
  ProcessResult no_metric = Sgctl({"plot", "grok", "--out", plots_ + "/x.png", "--metric",
                                   "train_loss"});
  // The coordinator refuses a metric the sweep has not recorded, listing those it has.
  EXPECT_EQ(no_metric.exit_code, 2);
  EXPECT_THAT(no_metric.err, HasSubstr("metric 'train_loss': not recorded by sweep"));
  EXPECT_THAT(no_metric.err, HasSubstr("its metrics: gen_acc, test_loss, val_acc"));
  ProcessResult bad_out = Sgctl({"plot", "grok", "--out", plots_ + "/x.jpg"});
  EXPECT_EQ(bad_out.exit_code, 2);
  EXPECT_THAT(bad_out.err, HasSubstr("must end in .png, .svg or .pdf"));

  // Once everything has ended, the worker runs nothing.
  EXPECT_EQ(SgctlJson({"workers"})[0]["running_runs"], 0);
}

bool IsPdf(const std::string& bytes) { return bytes.compare(0, 5, "%PDF-") == 0; }

// The report's intervals, paired column and censored grokking times, and every figure kind as
// PNG, SVG and PDF.
TEST_F(SgctlAnalysisProcessTest, StatisticsAndEveryFigureKindInEveryFormat) {
  ASSERT_EQ(SgctlJson({"submit", spec_path_})["runs"], 12);
  const std::string worker = Register();
  for (int i = 0; i < 3; ++i) {
    sg::v1::ClaimJobsResponse pack = Claim(worker);
    ASSERT_EQ(pack.runs_size(), 4);
    ReportCurves(worker, pack, kEvery, kSteps);
    Complete(pack);
  }

  nlohmann::json report = SgctlJson({"report", "grok"});
  ASSERT_EQ(report.size(), 3u);
  const nlohmann::json& d2 = report[0];
  const nlohmann::json& d4 = report[1];
  const nlohmann::json& d6 = report[2];
  // Intervals around the means, inside the seeds' range.
  for (const nlohmann::json* row : {&d2, &d4, &d6}) {
    const double mean = (*row)["mean_final_gen_acc"].get<double>();
    EXPECT_LE((*row)["mean_final_gen_acc_ci_low"].get<double>(), mean) << row->dump();
    EXPECT_GE((*row)["mean_final_gen_acc_ci_high"].get<double>(), mean) << row->dump();
    EXPECT_TRUE((*row)["mean_gen_acc_at_early_stop_ci_low"].is_number());
    EXPECT_TRUE((*row)["mean_gen_acc_at_early_stop_ci_high"].is_number());
    EXPECT_EQ((*row)["seeds_paired"], 4);
  }
  EXPECT_GE(d2["mean_final_gen_acc_ci_low"].get<double>(), 0.20);
  EXPECT_LE(d2["mean_final_gen_acc_ci_high"].get<double>(), 0.23);
  EXPECT_LT(d2["mean_final_gen_acc_ci_low"].get<double>(), 0.215);
  EXPECT_GT(d2["mean_final_gen_acc_ci_high"].get<double>(), 0.215);
  // Paired final - early stop: depth=4 gained 0.65 in three seeds and nothing in the fourth.
  EXPECT_NEAR(d4["mean_final_minus_early_stop_gen_acc"].get<double>(), 0.4875, 1e-12);
  EXPECT_NEAR(d4["median_final_minus_early_stop_gen_acc"].get<double>(), 0.65, 1e-12);
  EXPECT_LE(d4["mean_final_minus_early_stop_gen_acc_ci_low"].get<double>(), 0.4875);
  EXPECT_NEAR(d2["mean_final_minus_early_stop_gen_acc"].get<double>(), 0, 1e-12);
  // Grokking times with censoring: depth=4 crossed at 40, 60, 80 and never (>100): the median
  // (60 + 80) / 2 = 70 is known. depth=6: one seed of four crossed: censored at 100.
  EXPECT_EQ(d4["seeds_crossed"], 3);
  EXPECT_EQ(d4["median_first_cross_step"], 70);
  EXPECT_EQ(d4["median_first_cross_step_censored"], false);
  EXPECT_EQ(d4["median_stay_above_step"], 70);
  EXPECT_EQ(d6["median_first_cross_step"], 100);
  EXPECT_EQ(d6["median_first_cross_step_censored"], true);
  EXPECT_EQ(d2["seeds_crossed"], 0);
  EXPECT_EQ(d2["median_stay_above_step_censored"], true);
  EXPECT_EQ(d6["median_grok_step"], 50);  // the old field, over grokked seeds only, is kept
  // Reproducible: the same seed gives the same numbers; --bootstrap-seed changes the draw.
  EXPECT_EQ(SgctlJson({"report", "grok"}).dump(), report.dump());
  nlohmann::json reseeded =
      SgctlJson({"report", "grok", "--bootstrap-seed", "5", "--bootstrap", "2000"});
  EXPECT_EQ(reseeded[1]["mean_final_gen_acc"], d4["mean_final_gen_acc"]);

  ProcessResult table = Sgctl({"report", "grok"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("median_first_cross  median_stays_above\n"));
  EXPECT_THAT(table.out, HasSubstr("+0.487 ["));
  EXPECT_THAT(table.out, HasSubstr("  70                  70\n"));        // depth=4
  EXPECT_THAT(table.out, HasSubstr("  >100                >100\n"));      // depth=2 and 6
  EXPECT_THAT(table.out, HasSubstr("10000 resamples, seed "));
  std::cout << "sgctl report grok:\n" << table.out;
  ProcessResult csv = Sgctl({"--output", "csv", "report", "grok"});
  EXPECT_THAT(csv.out, HasSubstr(",median_grok_step,mean_final_gen_acc_ci_low,"));
  EXPECT_THAT(csv.out, HasSubstr(",median_stay_above_step,median_stay_above_step_censored,"
                                 "t_score_seeds,t_score_mean,t_score_sd,t_parseval_seeds,"
                                 "t_parseval_mean,t_parseval_sd\n"));
  nlohmann::json runs = SgctlJson({"report", "grok", "--runs"});
  ASSERT_EQ(runs.size(), 12u);
  for (const nlohmann::json& run : runs) {
    EXPECT_EQ(run["last_gen_step"], 100);
    if (run["config"]["depth"] == 4 && run["seed"] == 1) {
      EXPECT_EQ(run["first_cross_step"], 60);
    }
    if (run["config"]["depth"] == 2) {
      EXPECT_TRUE(run["first_cross_step"].is_null());
    }
  }
  EXPECT_THAT(Sgctl({"report", "grok", "--runs"}).out, HasSubstr(">100"));

  // Every kind in every format.
  for (const std::string kind : {"curves", "depth", "early-stop"}) {
    for (const std::string ext : {"png", "svg", "pdf"}) {
      const std::string out = plots_ + "/kinds_" + kind + "." + ext;
      ProcessResult r = Sgctl({"plot", "grok", "--kind", kind, "--out", out});
      ASSERT_EQ(r.exit_code, 0) << kind << " " << ext << ": " << r.err;
      const std::string bytes = ReadFile(out);
      EXPECT_GT(bytes.size(), 3000u) << out;
      if (ext == "png") {
        EXPECT_TRUE(IsPng(bytes)) << out;
      } else if (ext == "svg") {
        EXPECT_THAT(bytes, HasSubstr("</svg>")) << out;
      } else {
        EXPECT_TRUE(IsPdf(bytes)) << out;
      }
    }
  }
  const std::string depth_script = ReadFile(plots_ + "/kinds_depth.png.gp");
  EXPECT_THAT(depth_script, HasSubstr("final gen_acc > 0.8"));
  EXPECT_THAT(depth_script, HasSubstr("yerrorbars"));
  EXPECT_THAT(ReadFile(plots_ + "/kinds_early-stop.svg"), HasSubstr("depth=4"));

  // --title, --run, --smooth, --linear-steps.
  const std::string chosen = plots_ + "/chosen_runs.png";
  const std::string run_a = std::to_string(runs[4]["run_id"].get<int64_t>());
  const std::string run_b = std::to_string(runs[5]["run_id"].get<int64_t>());
  nlohmann::json drawn =
      SgctlJson({"plot", "grok", "--out", chosen, "--run", run_a + "," + run_b, "--smooth", "0.5",
                 "--linear-steps", "--title", "two runs", "--metric", "gen_acc"});
  EXPECT_EQ(drawn["runs"].size(), 2u);
  EXPECT_EQ(drawn["groups"], 2);
  EXPECT_TRUE(IsPng(ReadFile(chosen)));
  const std::string script = ReadFile(chosen + ".gp");
  EXPECT_THAT(script, HasSubstr("title \"two runs\""));
  EXPECT_THAT(script, HasSubstr("run " + run_a + " (depth="));
  EXPECT_THAT(script, HasSubstr("EMA alpha 0.5"));
  EXPECT_THAT(script, Not(HasSubstr("set logscale")));
  EXPECT_THAT(ReadFile(plots_ + "/kinds_curves.png.gp"), HasSubstr("set logscale x"));

  // Flag errors name the flag.
  ProcessResult bad = Sgctl({"plot", "grok", "--out", chosen, "--smooth", "2"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--smooth: ALPHA must be in (0, 1]"));
  bad = Sgctl({"plot", "grok", "--out", chosen, "--run", "9999"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--run: run 9999 is not in sweep grok"));
  bad = Sgctl({"plot", "grok", "--out", chosen, "--kind", "depth", "--metric", "gen_acc"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--metric: applies to --kind curves, not depth"));
  bad = Sgctl({"plot", "grok", "--out", chosen, "--kind", "violin"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--kind: must be one of curves"));
  bad = Sgctl({"report", "grok", "--bootstrap", "10"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--bootstrap: "));
}

TEST_F(SgctlAnalysisProcessTest, WatchFailsNamingTheFailedRun) {
  ASSERT_EQ(SgctlJson({"submit", spec_path_})["runs"], 12);
  const std::string worker = Register();
  for (int i = 0; i < 3; ++i) {
    sg::v1::ClaimJobsResponse pack = Claim(worker);
    ASSERT_EQ(pack.runs_size(), 4);
    ReportCurves(worker, pack, kEvery, kSteps);
    if (i < 2) {
      Complete(pack);
      continue;
    }
    // The last pack: one run fails for good, the others succeed.
    sg::v1::ClaimJobsResponse rest = pack;
    rest.mutable_runs()->DeleteSubrange(0, 1);
    Complete(rest);
    Fail(pack.runs(0), "CUDA out of memory");
  }
  pid_t watch = StartWatch();
  ASSERT_GT(watch, 0);
  EXPECT_EQ(WaitExit(watch, std::chrono::seconds(20)), 1);
  const std::string err = ReadFile(dir_ + "/watch.err");
  EXPECT_THAT(err, HasSubstr("sweep grok ended with 1 failed and 0 cancelled of 12 runs"));
  EXPECT_THAT(err, HasSubstr("failed: CUDA out of memory"));
  EXPECT_THAT(ReadFile(dir_ + "/watch.out"),
              HasSubstr("12/12 runs done (succeeded 11, failed 1, cancelled 0)"));
}

// A diverged run's NaN and infinite points reach every sgctl output, and the run is marked.
TEST_F(SgctlAnalysisProcessTest, NonFinitePointsReachSgctlAndMarkTheRun) {
  ASSERT_EQ(SgctlJson({"submit", spec_path_})["runs"], 12);
  const std::string worker = Register();
  const sg::v1::ClaimJobsResponse pack = Claim(worker);
  ASSERT_EQ(pack.runs_size(), 4);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  // Run 0 diverges at step 30 (NaN, then +Inf, then -Inf); run 1's val_loss is NaN at 20.
  ReportMetric(worker, pack, "train_loss", {10, 20, 30, 40, 50}, [&](int run, int64_t step) {
    if (run != 0 || step < 30) return 2.0 / static_cast<double>(step);
    return step == 30 ? nan : step == 40 ? inf : -inf;
  });
  ReportMetric(worker, pack, "val_loss", {20},
               [&](int run, int64_t) { return run == 1 ? nan : 0.5; });
  const std::string run0 = std::to_string(pack.runs(0).run().run_id());
  const std::string run1 = std::to_string(pack.runs(1).run().run_id());

  // Table and CSV: nan, inf, -inf.
  ProcessResult table = Sgctl({"curves", "--run", run0, "--metric", "train_loss"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("train_loss  30    nan\n"));
  EXPECT_THAT(table.out, HasSubstr("train_loss  40    inf\n"));
  EXPECT_THAT(table.out, HasSubstr("train_loss  50    -inf\n"));
  ProcessResult csv = Sgctl({"-o", "csv", "curves", "--run", run0, "--metric", "train_loss"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  // Each row also names the run's sweep, grid axes and seed (the first pack: the deepest cell,
  // claimed first, seed 0).
  ASSERT_EQ(pack.cell_key().rfind("depth=", 0), 0u) << pack.cell_key();
  const std::string depth = pack.cell_key().substr(6);
  EXPECT_THAT(csv.out, HasSubstr(run0 + ",grok," + depth + ",0,train_loss,30,nan\n" + run0 +
                                 ",grok," + depth + ",0,train_loss,40,inf\n" + run0 + ",grok," +
                                 depth + ",0,train_loss,50,-inf\n"));
  // JSON: the strings of protobuf's JSON mapping.
  nlohmann::json curves = SgctlJson({"curves", "--run", run0, "--metric", "train_loss"});
  ASSERT_EQ(curves[0]["points"].size(), 5u);
  EXPECT_EQ(curves[0]["points"][1]["value"], 0.1);
  EXPECT_EQ(curves[0]["points"][2]["value"], "NaN");
  EXPECT_EQ(curves[0]["points"][3]["value"], "Infinity");
  EXPECT_EQ(curves[0]["points"][4]["value"], "-Infinity");
  // Downsampled to one bucket: the NaN is kept.
  nlohmann::json thin =
      SgctlJson({"curves", "--run", run0, "--metric", "train_loss", "--max-points", "4"});
  bool kept_nan = false;
  for (const nlohmann::json& p : thin[0]["points"]) kept_nan |= p["value"] == "NaN";
  EXPECT_TRUE(kept_nan) << thin.dump();
  // Aggregated: statistics over the finite seeds, the diverged one counted.
  nlohmann::json agg = SgctlJson(
      {"curves", "--sweep", "grok", "--metric", "train_loss", "--group-by", "depth"});
  const nlohmann::json* claimed = FindByLabel(agg, pack.cell_key());
  ASSERT_NE(claimed, nullptr) << agg.dump();
  const nlohmann::json* at30 = FindStep((*claimed)["points"], 30);
  ASSERT_NE(at30, nullptr);
  EXPECT_EQ((*at30)["n"], 3);
  EXPECT_EQ((*at30)["non_finite"], 1);
  EXPECT_DOUBLE_EQ((*at30)["median"].get<double>(), 2.0 / 30);

  // runs: the mark, in JSON and as a column.
  nlohmann::json runs = SgctlJson({"runs", "grok", "--state", "running"});
  std::map<int64_t, int64_t> marks;
  for (const nlohmann::json& run : runs) {
    marks[run["run_id"].get<int64_t>()] = run["non_finite_step"].get<int64_t>();
  }
  EXPECT_EQ(marks[pack.runs(0).run().run_id()], 30);
  EXPECT_EQ(marks[pack.runs(1).run().run_id()], 20);
  EXPECT_EQ(marks[pack.runs(2).run().run_id()], 0);
  ProcessResult text = Sgctl({"runs", "grok", "--state", "running"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("non_finite"));
  EXPECT_THAT(text.out, HasSubstr("at 30"));
  EXPECT_THAT(text.out, HasSubstr("at 20"));
  ProcessResult runs_csv = Sgctl({"--output", "csv", "runs", "grok", "--state", "running"});
  EXPECT_THAT(runs_csv.out, HasSubstr(",non_finite_step,"));
}

// sgctl's ETA and the worker's memory fit read the config stored with each run, not the sweep's
// YAML: here the stored YAML does not even parse (a database written by some other version).
TEST_F(SgctlAnalysisProcessTest, EtaAndMemoryFitUseTheStoredConfig) {
  StopCoordinator();
  {
    auto store = sg::SqliteStore::Open(dir_ + "/coordinator.db");
    ASSERT_TRUE(store.ok()) << store.status();
    sg::RunConfig config{sg::TaskKind::kDyck, sg::TrainConfig(), sg::DataConfig()};
    config.train.depth = 3;
    config.train.steps = 1000;
    config.train.eval_every = 100;
    config.train.checkpoint_every = 100;
    sg::NewSweep sweep;
    sweep.name = "legacy";
    sweep.task = "dyck";
    sweep.spec_yaml = "name: legacy\ntask: [not, a, task\n";
    for (int64_t seed : {0, 1}) {
      sweep.runs.push_back(
          sg::NewRun{"depth=3", "{\"depth\":3}", seed, sg::RunConfigJson(config)});
    }
    ASSERT_TRUE((*store)->CreateSweep(sweep, 1'700'000'000'000, nullptr).ok());
  }
  StartCoordinator();

  const std::string worker = Register();
  const sg::v1::ClaimJobsResponse pack = Claim(worker);
  ASSERT_EQ(pack.runs_size(), 2);
  // What the worker sizes the pack from: the claimed run's stored config.
  EXPECT_FALSE(sg::ParseSweepSpec(pack.spec_yaml(), "legacy").ok());
  absl::StatusOr<sg::PackFit> fit = sg::FitPackToMemory(
      pack.runs(0).run().resolved_config_json(), int64_t{80} << 30, int64_t{1} << 30, 0.9);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_EQ(fit->config.depth, 3);
  EXPECT_EQ(fit->bounds.max_tokens, sg::TaskSizeBoundsFor(sg::TaskKind::kDyck).max_tokens);
  EXPECT_GE(fit->seeds, 1);

  Heartbeat(worker, pack, 400, 20.0);
  ProcessResult json = Sgctl({"-o", "json", "runs", "legacy"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.err, "");  // no "no ETAs" note: nothing needed the YAML
  nlohmann::json runs = nlohmann::json::parse(json.out);
  ASSERT_EQ(runs.size(), 2u);
  for (const nlohmann::json& run : runs) {
    EXPECT_EQ(run["total_steps"], 1000);
    EXPECT_EQ(run["eta_seconds"], 30.0);  // (1000 - 400) / 20
    ASSERT_TRUE(run["resolved_config"].is_object()) << run.dump();
    EXPECT_EQ(run["resolved_config"]["task"], "dyck");
    EXPECT_EQ(run["resolved_config"]["train"]["steps"], 1000);
  }
  ProcessResult status = Sgctl({"status", "legacy"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("400   1k  20.0     30s"));
}

}  // namespace
