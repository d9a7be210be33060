// Issue 23 end to end with real processes: sg-coordinator (SQLite file, loopback port), CPU
// sg-worker daemons running the real sg-train with a tiny model, and sgctl as the client.
//   - a run trained to 200 steps and extended to 400 has the same train_loss at every step and
//     the same final checkpoint as a run trained to 400 from the start (exact on the CPU);
//   - a sweep extended while its worker trains it: every curve continuous, each step once;
//   - a run failed by a worker with a bad device flag, and a cancelled run, are retried and
//     resume from their checkpoints, with a fresh attempt count and the history recorded.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/process_util.h"
#include "trainer/api/checkpoint_file.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string ReadFile(const fs::path& path) { return sg_test::ReadFile(path.string()); }

// Starts argv in its own process group (so SIGKILL reaches its sg-train children too), output
// appended to `log`.
pid_t Spawn(const std::vector<std::string>& argv, const fs::path& log) {
  sg_test::SpawnOptions o;
  o.out_path = log.string();
  o.append = true;
  o.new_process_group = true;
  return sg_test::SpawnProcess(argv, o);
}

class ExtendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = sg_test::EnvOr("SG_BINARY_DIR", "");
    ASSERT_FALSE(bin_.empty()) << "SG_BINARY_DIR is not set (run through ctest)";
    for (const fs::path& p : {Coordinator(), Sgctl(), Worker(), Trainer()}) {
      ASSERT_TRUE(fs::exists(p)) << p << " is missing; build sg-coordinator sgctl sg-worker sg-train";
    }
    dir_ = fs::temp_directory_path() /
           ("sg_extend_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (pid_t pid : pids_) {
      ::kill(-pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
    if (!HasFailure() && sg_test::EnvOr("SG_E2E_KEEP", "").empty()) fs::remove_all(dir_);
    else std::fprintf(stderr, "extend test: logs kept in %s\n", dir_.c_str());
  }

  fs::path Coordinator() const { return bin_ / "coordinator" / "sg-coordinator"; }
  fs::path Sgctl() const { return bin_ / "sgctl" / "sgctl"; }
  fs::path Worker() const { return bin_ / "worker" / "sg-worker"; }
  fs::path Trainer() const { return bin_ / "trainer" / "sg-train"; }
  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }

  void StartCoordinator(int lease_seconds) {
    pids_.push_back(Spawn({Coordinator().string(), "--listen", "127.0.0.1:0", "--db",
                           (dir_ / "coordinator.db").string(), "--lease_seconds",
                           std::to_string(lease_seconds), "--port_file", (dir_ / "port").string()},
                          dir_ / "coordinator.log"));
    ASSERT_TRUE(WaitFor([&] { return fs::exists(dir_ / "port"); }, 20))
        << ReadFile(dir_ / "coordinator.log");
    port_ = std::stoi(ReadFile(dir_ / "port"));
  }

  // A CPU worker (one pack at a time); `device` is its --devices value. train_loss is logged at
  // every step, so the curves compare step by step.
  pid_t StartWorker(const std::string& name, const std::string& device = "cpu") {
    fs::create_directories(dir_ / name);
    pid_t pid = Spawn({Worker().string(), "--coordinator", Address(), "--devices", device,
                       "--pack-size", "2", "--work-dir", (dir_ / name).string(), "--checkpoint-dir",
                       (dir_ / "checkpoints").string(), "--sg-train", Trainer().string(),
                       "--train-args=--threads 1 --attn-sentences 0 --quiet --train-loss-every 1",
                       "--claim-interval-ms", "300", "--stop-grace-seconds", "10"},
                      dir_ / (name + ".log"));
    pids_.push_back(pid);
    return pid;
  }
  void Kill(pid_t pid) {
    ::kill(-pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  std::string Log(const std::string& name) { return ReadFile(dir_ / (name + ".log")); }

  // sgctl with JSON output; its stdout ("" on failure; the error is in sgctl.err).
  std::string Ctl(std::vector<std::string> args, int* exit_code = nullptr,
                  const std::string& format = "json") {
    std::vector<std::string> argv = {Sgctl().string(), "--coordinator", Address(), "--output",
                                     format};
    argv.insert(argv.end(), args.begin(), args.end());
    const fs::path out = dir_ / "sgctl.out";
    sg_test::SpawnOptions o;
    o.out_path = out.string();
    o.err_path = (dir_ / "sgctl.err").string();
    const pid_t pid = sg_test::SpawnProcess(argv, o);
    int status = 0;
    ::waitpid(pid, &status, 0);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (exit_code != nullptr) *exit_code = code;
    return code == 0 ? ReadFile(out) : "";
  }
  std::string CtlErr() { return ReadFile(dir_ / "sgctl.err"); }

  // A tiny Dyck sweep of depth 1: `seeds` seeds, `steps` steps, evaluation and checkpoint every
  // `every` steps, no tree metrics.
  void Submit(const std::string& name, int seeds, int steps, int every,
              const std::string& train_extra = "") {
    std::ofstream(dir_ / (name + ".yaml"))
        << "name: " << name << "\ntask: dyck\ngrid:\n  depth: [1]\nseeds: " << seeds << "\n"
        << "train:\n  steps: " << steps << "\n  eval_every: " << every
        << "\n  checkpoint_every: " << every << "\n  warmup_steps: 5\n  batch_size: 4\n"
        << "  d_model: 16\n  heads: 2\n  ff: 32\n  tree_sentences: 0\n" << train_extra
        << "data:\n  train_size: 200\n  val_size: 20\n  test_size: 20\n";
    int code = 0;
    Ctl({"submit", (dir_ / (name + ".yaml")).string()}, &code);
    ASSERT_EQ(code, 0) << CtlErr();
  }

  nlohmann::json Runs(const std::string& sweep) {
    nlohmann::json j = nlohmann::json::parse(Ctl({"runs", sweep}), nullptr, false);
    return j.is_array() ? j : nlohmann::json::array();
  }
  bool WaitFor(const std::function<bool()>& pred, int seconds) {
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (Clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return pred();
  }
  bool WaitAll(const std::string& sweep, const std::string& state, int seconds) {
    return WaitFor([&] {
      nlohmann::json runs = Runs(sweep);
      if (runs.empty()) return false;
      for (const auto& r : runs) {
        if (r["state"] != state) return false;
      }
      return true;
    }, seconds);
  }
  // Waits until every run of the sweep is running with a committed checkpoint at >= step.
  bool WaitRunningWithCheckpoint(const std::string& sweep, int64_t step, int seconds) {
    return WaitFor([&] {
      nlohmann::json runs = Runs(sweep);
      if (runs.empty()) return false;
      for (const auto& r : runs) {
        if (r["state"] != "running" || r["checkpoint_step"].get<int64_t>() < step) return false;
      }
      return true;
    }, seconds);
  }

  // run_id -> (step -> value); a step seen twice in one curve is a failure.
  std::map<int64_t, std::map<int64_t, double>> Curves(const std::string& sweep,
                                                      const std::string& metric) {
    std::map<int64_t, std::map<int64_t, double>> out;
    nlohmann::json j = nlohmann::json::parse(
        Ctl({"curves", "--sweep", sweep, "--metric", metric}), nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& c : j) {
      auto& curve = out[c["run_id"].get<int64_t>()];
      for (const auto& p : c["points"]) {
        const int64_t step = p["step"].get<int64_t>();
        EXPECT_EQ(curve.count(step), 0u) << "step " << step << " twice in run " << c["run_id"];
        curve[step] = p["value"].get<double>();
      }
    }
    return out;
  }
  // Every run's evaluation metrics at exactly every, 2*every, ..., steps, and train_loss at
  // exactly 1..steps: continuous curves, each step once.
  void ExpectContinuousCurves(const std::string& sweep, int64_t steps, int64_t every) {
    std::set<int64_t> evals, all;
    for (int64_t s = every; s <= steps; s += every) evals.insert(s);
    for (int64_t s = 1; s <= steps; ++s) all.insert(s);
    nlohmann::json runs = Runs(sweep);
    ASSERT_FALSE(runs.empty());
    for (const std::string metric : {"val_acc", "val_loss", "train_loss"}) {
      auto curves = Curves(sweep, metric);
      for (const auto& r : runs) {
        std::set<int64_t> got;
        for (const auto& [step, v] : curves[r["run_id"].get<int64_t>()]) got.insert(step);
        EXPECT_EQ(got, metric == "train_loss" ? all : evals) << metric << " of run " << r["run_id"];
      }
    }
  }

  // The payload of the run's checkpoint at `step` (the trainer's state for its seed), found under
  // the shared checkpoint folder by its header.
  std::string CheckpointPayload(int64_t run_id, int64_t step) {
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "checkpoints")) {
      if (!e.is_regular_file() || sg::CheckpointStepFromName(e.path().filename()) != step) continue;
      absl::StatusOr<sg::CheckpointContents> file = sg::ReadCheckpointFile(e.path().string());
      if (file.ok() && file->identity.run_id == run_id) return file->payload;
    }
    ADD_FAILURE() << "no checkpoint of run " << run_id << " at step " << step;
    return "";
  }

  // How many checkpoint files of the run are under the shared checkpoint folder.
  int CheckpointFiles(int64_t run_id) {
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "checkpoints")) {
      if (!e.is_regular_file() || sg::CheckpointStepFromName(e.path().filename()) < 0) continue;
      absl::StatusOr<sg::CheckpointHeader> header = sg::ReadCheckpointHeader(e.path().string());
      if (header.ok() && header->identity.run_id == run_id) ++n;
    }
    return n;
  }

  fs::path bin_, dir_;
  std::vector<pid_t> pids_;
  int port_ = 0;
};

TEST_F(ExtendTest, ExtendedRunEqualsARunTrainedLongerFromTheStart) {
  ASSERT_NO_FATAL_FAILURE(StartCoordinator(/*lease_seconds=*/10));
  StartWorker("a");
  Submit("grow", 1, 200, 50);
  ASSERT_TRUE(WaitAll("grow", "succeeded", 300)) << Log("a");
  nlohmann::json before = Runs("grow");
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(before[0]["step"], 200);
  EXPECT_EQ(before[0]["resolved_config"]["train"]["steps"], 200);

  int code = 0;
  const std::string text = Ctl({"extend", "grow", "--steps", "400"}, &code, "table");
  ASSERT_EQ(code, 0) << CtlErr();
  EXPECT_NE(text.find("1 succeeded run(s) queued again"), std::string::npos) << text;
  // Everything that reads the run's config sees the new horizon at once.
  nlohmann::json queued = Runs("grow");
  EXPECT_EQ(queued[0]["resolved_config"]["train"]["steps"], 400);
  Submit("full", 1, 400, 50);  // the same cell and seed, 400 steps from the start
  ASSERT_TRUE(WaitAll("grow", "succeeded", 300)) << Log("a");
  ASSERT_TRUE(WaitAll("full", "succeeded", 300)) << Log("a");
  EXPECT_NE(Log("a").find("resuming from checkpoint step 200"), std::string::npos) << Log("a");

  nlohmann::json grow = Runs("grow"), full = Runs("full");
  ASSERT_EQ(grow.size(), 1u);
  ASSERT_EQ(full.size(), 1u);
  EXPECT_EQ(grow[0]["step"], 400);
  EXPECT_EQ(grow[0]["checkpoint_step"], 400);
  // The history: one extend, by the anonymous loopback caller, from step 200, 200 -> 400.
  ASSERT_EQ(grow[0]["history"].size(), 1u) << grow.dump();
  const nlohmann::json& change = grow[0]["history"][0];
  EXPECT_EQ(change["action"], "extend");
  EXPECT_EQ(change["from_step"], 200);
  EXPECT_EQ(change["steps_before"], 200);
  EXPECT_EQ(change["steps_after"], 400);
  EXPECT_EQ(change["state_before"], "succeeded");
  EXPECT_EQ(change["state_after"], "queued");
  EXPECT_GT(change["at_ms"].get<int64_t>(), 0);

  const int64_t grow_id = grow[0]["run_id"].get<int64_t>();
  const int64_t full_id = full[0]["run_id"].get<int64_t>();
  // train_loss at every step 1..400 and every evaluation metric: exactly equal.
  for (const std::string metric : {"train_loss", "val_loss", "val_acc", "weight_norm"}) {
    auto a = Curves("grow", metric)[grow_id];
    auto b = Curves("full", metric)[full_id];
    EXPECT_EQ(a.size(), metric == "train_loss" ? 400u : 8u) << metric;
    EXPECT_EQ(a, b) << metric << " of the extended run differs from the run trained to 400";
  }
  // The final weights (and optimizer state): the two step-400 checkpoints hold the same bytes.
  const std::string grown = CheckpointPayload(grow_id, 400);
  const std::string straight = CheckpointPayload(full_id, 400);
  EXPECT_FALSE(grown.empty());
  EXPECT_TRUE(grown == straight) << "the final checkpoints differ (" << grown.size() << " vs "
                                 << straight.size() << " bytes)";

  // Lowering below the step a run reached is refused, naming it; nothing changes.
  Ctl({"extend", "grow", "--steps", "300"}, &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(CtlErr().find("below the step run"), std::string::npos) << CtlErr();
  EXPECT_EQ(Runs("grow")[0]["resolved_config"]["train"]["steps"], 400);
  EXPECT_EQ(Runs("grow")[0]["state"], "succeeded");
}

// train.keep_final_checkpoint: false: a finished run leaves no checkpoint file; extended, it
// trains again from step 0 and its curves are still complete, each step once.
TEST_F(ExtendTest, WithoutTheFinalCheckpointAnExtendedRunTrainsAgainFromZero) {
  ASSERT_NO_FATAL_FAILURE(StartCoordinator(/*lease_seconds=*/10));
  StartWorker("a");
  Submit("lean", 1, 40, 20, "  keep_final_checkpoint: false\n");
  ASSERT_TRUE(WaitAll("lean", "succeeded", 240)) << Log("a");
  const int64_t run_id = Runs("lean")[0]["run_id"].get<int64_t>();
  EXPECT_EQ(CheckpointFiles(run_id), 0);
  int code = 0;
  Ctl({"extend", "lean", "--steps", "60"}, &code);
  ASSERT_EQ(code, 0) << CtlErr();
  ASSERT_TRUE(WaitAll("lean", "succeeded", 240)) << Log("a");
  EXPECT_EQ(Runs("lean")[0]["step"], 60);
  EXPECT_NE(Log("a").find("is gone"), std::string::npos) << Log("a");
  ExpectContinuousCurves("lean", 60, 20);
}

TEST_F(ExtendTest, SweepExtendedWhileItsWorkerTrainsKeepsEveryCurveContinuous) {
  ASSERT_NO_FATAL_FAILURE(StartCoordinator(/*lease_seconds=*/10));
  StartWorker("a");
  Submit("live", 2, 200, 20);
  ASSERT_TRUE(WaitRunningWithCheckpoint("live", 40, 240)) << Log("a");
  int code = 0;
  Ctl({"extend", "live", "--steps", "300", "--cell", "depth=1"}, &code);
  ASSERT_EQ(code, 0) << CtlErr();
  ASSERT_TRUE(WaitAll("live", "succeeded", 300)) << Log("a");
  nlohmann::json runs = Runs("live");
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& r : runs) {
    EXPECT_EQ(r["step"], 300);
    EXPECT_EQ(r["resolved_config"]["train"]["steps"], 300);
    ASSERT_EQ(r["history"].size(), 1u) << r.dump();
    EXPECT_EQ(r["history"][0]["action"], "extend");
    EXPECT_EQ(r["history"][0]["steps_after"], 300);
    EXPECT_GE(r["history"][0]["from_step"].get<int64_t>(), 40);
    EXPECT_EQ(r["history"][0]["state_before"], "running");
    EXPECT_EQ(r["history"][0]["state_after"], "running");
  }
  // The trainer stopped at its old horizon and the coordinator queued the runs again.
  EXPECT_NE(ReadFile(dir_ / "coordinator.log").find("its horizon was raised meanwhile"),
            std::string::npos);
  ExpectContinuousCurves("live", 300, 20);
  // sgctl runs --history lists both changes.
  nlohmann::json history = nlohmann::json::parse(Ctl({"runs", "live", "--history"}), nullptr, false);
  ASSERT_TRUE(history.is_array()) << CtlErr();
  EXPECT_EQ(history.size(), 2u);
}

TEST_F(ExtendTest, FailedAndCancelledRunsAreRetriedAndResumeFromTheirCheckpoints) {
  ASSERT_NO_FATAL_FAILURE(StartCoordinator(/*lease_seconds=*/3));
  // A failed run: trained to a checkpoint by a good worker, which dies; a worker with a bad
  // device flag (no CUDA here) takes it over and sg-train fails it.
  pid_t good = StartWorker("good");
  Submit("fail", 1, 300, 20);
  ASSERT_TRUE(WaitRunningWithCheckpoint("fail", 40, 240)) << Log("good");
  Kill(good);
  const int64_t checkpoint = Runs("fail")[0]["checkpoint_step"].get<int64_t>();
  pid_t bad = StartWorker("bad", "cuda:0");
  ASSERT_TRUE(WaitAll("fail", "failed", 240)) << Log("bad");
  Kill(bad);
  nlohmann::json failed = Runs("fail");
  EXPECT_GE(failed[0]["attempts"].get<int64_t>(), 2);
  EXPECT_FALSE(failed[0]["last_error"].get<std::string>().empty());

  // A cancelled run.
  pid_t fixed = StartWorker("fixed");
  Submit("stop", 1, 300, 20);
  ASSERT_TRUE(WaitRunningWithCheckpoint("stop", 40, 240)) << Log("fixed");
  int code = 0;
  Ctl({"cancel", "stop"}, &code);
  ASSERT_EQ(code, 0) << CtlErr();
  ASSERT_TRUE(WaitAll("stop", "cancelled", 30));
  // Cancelling it again changes nothing and says so.
  const std::string again = Ctl({"cancel", "stop"}, &code, "table");
  EXPECT_EQ(code, 0) << CtlErr();
  EXPECT_NE(again.find("nothing to cancel, nothing changed"), std::string::npos) << again;
  // Resubmitting the name explains what exists and points to retry and extend.
  const std::string resubmit =
      Ctl({"submit", (dir_ / "stop.yaml").string()}, &code, "table");
  EXPECT_NE(resubmit.find("sgctl retry stop"), std::string::npos) << resubmit;
  EXPECT_NE(resubmit.find("sgctl extend stop"), std::string::npos) << resubmit;
  EXPECT_NE(resubmit.find("1 cancelled"), std::string::npos) << resubmit;

  // Retry both with the fixed worker: each resumes from its checkpoint, attempts start over.
  Ctl({"retry", "fail", "--failed"}, &code);
  ASSERT_EQ(code, 0) << CtlErr();
  Ctl({"retry", "stop", "--cancelled"}, &code);
  ASSERT_EQ(code, 0) << CtlErr();
  ASSERT_TRUE(WaitAll("fail", "succeeded", 300)) << Log("fixed");
  ASSERT_TRUE(WaitAll("stop", "succeeded", 300)) << Log("fixed");
  // Both resumed from a checkpoint (the newest file at or after the committed one), not step 0.
  const std::string log = Log("fixed");
  size_t resumed = 0;
  for (size_t at = log.find("resuming from checkpoint step"); at != std::string::npos;
       at = log.find("resuming from checkpoint step", at + 1)) {
    ++resumed;
  }
  EXPECT_GE(resumed, 2u) << log;
  for (const std::string sweep : {"fail", "stop"}) {
    nlohmann::json runs = Runs(sweep);
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0]["attempts"], 1) << sweep << ": the attempt count did not start over";
    EXPECT_EQ(runs[0]["last_error"], "");
    const nlohmann::json& history = runs[0]["history"];
    ASSERT_FALSE(history.empty()) << sweep;
    const nlohmann::json& retry = history[history.size() - 1];
    EXPECT_EQ(retry["action"], "retry");
    EXPECT_EQ(retry["state_before"], sweep == "fail" ? "failed" : "cancelled");
    EXPECT_GE(retry["from_step"].get<int64_t>(), sweep == "fail" ? checkpoint : 40);
    if (sweep == "stop") {
      ASSERT_EQ(history.size(), 2u);
      EXPECT_EQ(history[0]["action"], "cancel");
      EXPECT_EQ(history[0]["state_before"], "running");
    }
    ExpectContinuousCurves(sweep, 300, 20);
  }
  // The sweep cancelled earlier is not marked cancelled any more: its run trained again.
  nlohmann::json sweeps = nlohmann::json::parse(Ctl({"sweeps"}), nullptr, false);
  ASSERT_TRUE(sweeps.is_array());
  for (const auto& s : sweeps) {
    if (s["name"] == "stop") EXPECT_EQ(s["cancelled"], false);
  }
}

}  // namespace
