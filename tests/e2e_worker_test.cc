// End-to-end tests of the worker daemon with real processes: sg-coordinator (SQLite file,
// loopback port), sg-worker daemons, the real sg-train on CPU with a tiny model, and sgctl as the
// client. They check the promises: every run of a sweep succeeds; kill -9 of a worker
// mid-pack resumes its runs from a checkpoint with every evaluation step stored exactly once;
// kill -9 of the coordinator loses no acknowledged point; a worker whose lease expired while it
// was paused (SIGSTOP) cannot write after it resumes; a worker added mid-sweep gets work.
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cctype>
#include <cstring>
#include <cmath>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/process_util.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string Env(const char* name) { return sg_test::EnvOr(name, ""); }

std::string ReadFile(const fs::path& path) { return sg_test::ReadFile(path.string()); }

// Starts argv in its own process group (so SIGSTOP/SIGKILL reach its sg-train children too),
// stdout and stderr appended to `log`.
pid_t Spawn(const std::vector<std::string>& argv, const fs::path& log) {
  sg_test::SpawnOptions o;
  o.out_path = log.string();
  o.append = true;
  o.new_process_group = true;
  return sg_test::SpawnProcess(argv, o);
}

// A timeline of the processes of one test; everything it started is killed in TearDown.
class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = Env("SG_BINARY_DIR");
    ASSERT_FALSE(bin_.empty()) << "SG_BINARY_DIR is not set (run through ctest)";
    for (const fs::path& p : {Coordinator(), Sgctl(), Worker(), Trainer()}) {
      ASSERT_TRUE(fs::exists(p)) << p << " is missing; build sg-coordinator sgctl sg-worker sg-train";
    }
    dir_ = fs::temp_directory_path() /
           ("sg_e2e_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (pid_t pid : pids_) {
      ::kill(-pid, SIGCONT);
      ::kill(-pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
    if (!mount_.empty()) ::umount2(mount_.c_str(), MNT_DETACH);
    if (!HasFailure() && Env("SG_E2E_KEEP").empty()) fs::remove_all(dir_);
    else std::fprintf(stderr, "e2e: logs kept in %s\n", dir_.c_str());
  }

  fs::path Coordinator() const { return bin_ / "coordinator" / "sg-coordinator"; }
  fs::path Sgctl() const { return bin_ / "sgctl" / "sgctl"; }
  fs::path Worker() const { return bin_ / "worker" / "sg-worker"; }
  fs::path Trainer() const { return bin_ / "trainer" / "sg-train"; }
  fs::path Analyzer() const { return bin_ / "trainer" / "sg-analyze"; }

  // Starts the coordinator (port 0: any free port; the bound port is remembered).
  void StartCoordinator(int lease_seconds, int port = 0) {
    fs::remove(dir_ / "port");
    coordinator_ = Spawn({Coordinator().string(), "--listen", "127.0.0.1:" + std::to_string(port),
                          "--db", DbPath().string(), "--lease_seconds",
                          std::to_string(lease_seconds), "--port_file", (dir_ / "port").string()},
                         dir_ / "coordinator.log");
    pids_.push_back(coordinator_);
    ASSERT_TRUE(WaitFor([&] { return fs::exists(dir_ / "port"); }, 20)) << ReadFile(dir_ / "coordinator.log");
    port_ = std::stoi(ReadFile(dir_ / "port"));
  }
  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }
  fs::path DbPath() const { return db_path_.empty() ? dir_ / "coordinator.db" : db_path_; }

  pid_t StartWorker(const std::string& name,
                    const std::string& train_args = "--threads 1 --attn-sentences 0 --quiet") {
    fs::create_directories(dir_ / name);
    pid_t pid = Spawn({Worker().string(), "--coordinator", Address(), "--devices", "cpu",
                       "--pack-size", "2", "--work-dir", (dir_ / name).string(), "--checkpoint-dir",
                       (dir_ / "checkpoints").string(), "--sg-train", Trainer().string(),
                       "--train-args=" + train_args,
                       "--claim-interval-ms", "300", "--stop-grace-seconds", "10"},
                      dir_ / (name + ".log"));
    pids_.push_back(pid);
    return pid;
  }
  std::string WorkerId(const std::string& name) { 
    std::string id = ReadFile(dir_ / name / "worker_id");
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    return id;
  }
  std::string Log(const std::string& name) { return ReadFile(dir_ / (name + ".log")); }

  // Runs sgctl with the coordinator address and JSON output; returns its stdout ("" on failure).
  std::string Ctl(std::vector<std::string> args, int* exit_code = nullptr) {
    std::vector<std::string> argv = {Sgctl().string(), "--coordinator", Address(), "--output", "json"};
    argv.insert(argv.end(), args.begin(), args.end());
    const fs::path out = dir_ / "sgctl.out";
    fs::remove(out);
    sg_test::SpawnOptions o;
    o.out_path = out.string();
    o.err_path = (dir_ / "sgctl.err").string();  // the last call's errors
    const pid_t pid = sg_test::SpawnProcess(argv, o);
    int status = 0;
    ::waitpid(pid, &status, 0);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (exit_code != nullptr) *exit_code = code;
    return code == 0 ? ReadFile(out) : "";
  }

  // Writes and submits a tiny sweep (Dyck unless `task` says otherwise): depth x seeds, d_model
  // 16, one head pair, tiny data; `train_extra` and `data_extra` are more YAML lines of those
  // sections (each "  key: value\n").
  void Submit(const std::string& name, const std::string& depths, int seeds, int steps,
              int eval_every, const std::string& train_extra = "",
              const std::string& data_extra = "", const std::string& task = "dyck") {
    std::ofstream(dir_ / (name + ".yaml"))
        << "name: " << name << "\n"
        << "task: " << task << "\n"
        << "grid:\n  depth: [" << depths << "]\n"
        << "seeds: " << seeds << "\n"
        << "train:\n  steps: " << steps << "\n  eval_every: " << eval_every
        << "\n  checkpoint_every: " << eval_every << "\n  warmup_steps: 5\n  batch_size: 4\n"
        << "  d_model: 16\n  heads: 2\n  ff: 32\n"
        // A few sentences keep the tree metrics on (and cheap) at these tiny evaluation
        // intervals; the task defaults (500, Dyck 50) are sized for the paper's intervals.
        << (train_extra.find("tree_sentences") == std::string::npos ? "  tree_sentences: 5\n" : "")
        << train_extra
        << "data:\n  train_size: 200\n  val_size: 20\n  test_size: 20\n" << data_extra;
    int code = 0;
    Ctl({"submit", (dir_ / (name + ".yaml")).string()}, &code);
    ASSERT_EQ(code, 0) << ReadFile(dir_ / "sgctl.err");
  }

  nlohmann::json Runs(const std::string& sweep) {
    std::string out = Ctl({"runs", sweep});
    if (out.empty()) return nlohmann::json::array();
    nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    return j.is_array() ? j : nlohmann::json::array();
  }
  bool AllIn(const nlohmann::json& runs, const std::string& state) {
    if (runs.empty()) return false;
    for (const auto& r : runs) {
      if (r["state"] != state) return false;
    }
    return true;
  }
  bool WaitFor(const std::function<bool()>& pred, int seconds) {
    auto deadline = Clock::now() + std::chrono::seconds(seconds);
    while (Clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return pred();
  }
  bool WaitAllSucceeded(const std::string& sweep, int seconds) {
    return WaitFor([&] { return AllIn(Runs(sweep), "succeeded"); }, seconds);
  }
  // Waits until every run of `sweep` succeeded, giving up once the runs' steps have not
  // advanced for `stall_seconds`: on a loaded 2-core machine CPU packs train slowly but
  // steadily, so a fixed deadline fails healthy sweeps, where a hang shows as a stall.
  bool WaitAllSucceededWhileProgressing(const std::string& sweep, int stall_seconds) {
    int64_t last_steps = -1;
    auto last_change = Clock::now();
    while (true) {
      const nlohmann::json runs = Runs(sweep);
      if (AllIn(runs, "succeeded")) return true;
      int64_t steps = 0;
      for (const auto& r : runs) {
        if (r["step"].is_number_integer()) steps += r["step"].get<int64_t>();
      }
      if (steps != last_steps) {
        last_steps = steps;
        last_change = Clock::now();
      } else if (Clock::now() - last_change > std::chrono::seconds(stall_seconds)) {
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }

  // run_id -> (step -> value) of one metric, from sgctl curves; also checks that no step
  // appears twice in a curve.
  std::map<int64_t, std::map<int64_t, double>> Curves(const std::string& sweep,
                                                      const std::string& metric) {
    std::map<int64_t, std::map<int64_t, double>> out;
    std::string text = Ctl({"curves", "--sweep", sweep, "--metric", metric});
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_array()) return out;
    for (const auto& c : j) {
      auto& curve = out[c["run_id"].get<int64_t>()];
      for (const auto& p : c["points"]) {
        int64_t step = p["step"].get<int64_t>();
        EXPECT_EQ(curve.count(step), 0u) << "step " << step << " twice in run " << c["run_id"];
        curve[step] = p["value"].get<double>();
      }
    }
    return out;
  }

  // Every run has exactly the evaluation steps eval_every, 2*eval_every, ..., steps.
  void ExpectCompleteCurves(const std::string& sweep, const nlohmann::json& runs, int steps,
                            int eval_every) {
    std::set<int64_t> expected;
    for (int s = eval_every; s <= steps; s += eval_every) expected.insert(s);
    for (const std::string metric : {"val_acc", "val_loss"}) {
      auto curves = Curves(sweep, metric);
      for (const auto& r : runs) {
        int64_t id = r["run_id"].get<int64_t>();
        std::set<int64_t> got;
        for (const auto& [step, v] : curves[id]) got.insert(step);
        EXPECT_EQ(got, expected) << metric << " of run " << id;
      }
    }
  }

  fs::path bin_, dir_;
  fs::path db_path_;  // empty: dir_/coordinator.db
  std::vector<pid_t> pids_;
  pid_t coordinator_ = 0;
  int port_ = 0;
  std::string mount_;  // a file system this test mounted (unmounted in TearDown)
};

TEST_F(E2eTest, AllRunsSucceedAndASecondWorkerAddedMidSweepGetsWork) {
  ASSERT_NO_FATAL_FAILURE(StartCoordinator(/*lease_seconds=*/5));
  StartWorker("a");
  Submit("all", "1, 2", 2, 40, 10);  // two packs of two seeds
  // Worker a has one slot: the second pack waits for a worker that joins later.
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& r : Runs("all")) {
      if (r["state"] == "running") return true;
    }
    return false;
  }, 60)) << Log("a");
  StartWorker("b");
  ASSERT_TRUE(WaitAllSucceeded("all", 240)) << Log("a") << Log("b");
  nlohmann::json runs = Runs("all");
  ASSERT_EQ(runs.size(), 4u);
  std::set<std::string> workers;
  for (const auto& r : runs) {
    EXPECT_EQ(r["step"], 40);
    EXPECT_EQ(r["attempts"], 1);
    EXPECT_GE(r["checkpoint_step"].get<int64_t>(), 30);
    workers.insert(r["worker_id"].get<std::string>());
  }
  EXPECT_EQ(workers, (std::set<std::string>{WorkerId("a"), WorkerId("b")}));
  ExpectCompleteCurves("all", runs, 40, 10);
  // Dyck streams t_score (every evaluation by default) and, having no gold trees, no t_parseval:
  // `sgctl metrics` does not list it and asking for its curves is refused (exit 2).
  auto t_score = Curves("all", "t_score");
  for (const auto& r : runs) EXPECT_EQ(t_score[r["run_id"].get<int64_t>()].size(), 4u);
  int code = 0;
  Ctl({"curves", "--sweep", "all", "--metric", "t_parseval"}, &code);
  EXPECT_EQ(code, 2) << ReadFile(dir_ / "sgctl.err");
  EXPECT_THAT(ReadFile(dir_ / "sgctl.err"), ::testing::HasSubstr("metric 't_parseval': not "
                                                                 "recorded by sweep"));
  nlohmann::json metrics = nlohmann::json::parse(Ctl({"metrics", "all"}), nullptr, false);
  ASSERT_TRUE(metrics.is_array()) << metrics.dump();
  std::map<std::string, int64_t> points;
  for (const auto& m : metrics) points[m["metric"].get<std::string>()] = m["points"];
  EXPECT_EQ(points.count("t_parseval"), 0u);
  EXPECT_EQ(points["val_acc"], 4 * 4);  // 4 runs x evaluations at 10, 20, 30, 40
  EXPECT_EQ(points["gen_acc"], 4 * 4);
  // The real trainer's curves in CSV, two metrics at once, with the grid axis and the seed.
  const std::string csv =
      Ctl({"-o", "csv", "curves", "--sweep", "all", "--metric", "val_acc,gen_acc"});
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "run_id,sweep,depth,seed,metric,step,value");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 4 * 2 * 4) << csv;
  EXPECT_THAT(csv, ::testing::HasSubstr(",all,2,1,gen_acc,40,"));
}

// Issue 17 end to end: a tiny QF sweep streams t_score and t_parseval, keeps every checkpoint
// (the older ones weights-only), and sgctl report and plot show them; sgctl analyze then
// recomputes the analysis metrics from the kept checkpoints with sg-analyze and records them on
// the runs' curves, equal to the streamed values where the trainer computed them.
TEST_F(E2eTest, QuestionFormationSweepStreamsTreeMetrics) {
  ASSERT_TRUE(fs::exists(Analyzer())) << "build sg-analyze";
  ASSERT_NO_FATAL_FAILURE(StartCoordinator(/*lease_seconds=*/10));
  StartWorker("a", "--threads 1 --attn-sentences 6 --quiet");
  // Tree metrics at every 2nd evaluation plus the first and the final one: steps 10, 20, 40.
  Submit("trees", "1", 2, 40, 10,
         "  tree_sentences: 20\n  tree_every_evals: 2\n  keep_checkpoints: all\n", "",
         "question_formation");
  ASSERT_TRUE(WaitAllSucceeded("trees", 240)) << Log("a");
  nlohmann::json runs = Runs("trees");
  ASSERT_EQ(runs.size(), 2u);
  auto t_score = Curves("trees", "t_score");
  auto t_parseval = Curves("trees", "t_parseval");
  for (const auto& r : runs) {
    const int64_t id = r["run_id"].get<int64_t>();
    std::set<int64_t> score_steps, parseval_steps;
    for (const auto& [step, v] : t_score[id]) {
      score_steps.insert(step);
      EXPECT_TRUE(std::isfinite(v)) << "t_score at " << step;
    }
    for (const auto& [step, v] : t_parseval[id]) {
      parseval_steps.insert(step);
      EXPECT_GE(v, 0.0);
      EXPECT_LE(v, 1.0);
    }
    EXPECT_EQ(score_steps, (std::set<int64_t>{10, 20, 40})) << "run " << id;
    EXPECT_EQ(parseval_steps, (std::set<int64_t>{10, 20, 40})) << "run " << id;
  }

  // sgctl report: the final t_score and t_parseval of the group, mean and spread over seeds.
  std::string text = Ctl({"report", "trees"});
  nlohmann::json report = nlohmann::json::parse(text, nullptr, false);
  ASSERT_TRUE(report.is_array() && report.size() == 1u) << text << ReadFile(dir_ / "sgctl.err");
  double mean = 0;
  for (const auto& r : runs) mean += t_score[r["run_id"].get<int64_t>()][40] / 2;
  EXPECT_EQ(report[0]["t_score_seeds"], 2);
  EXPECT_NEAR(report[0]["t_score_mean"].get<double>(), mean, 1e-12);
  EXPECT_TRUE(report[0]["t_score_sd"].is_number());
  EXPECT_EQ(report[0]["t_parseval_seeds"], 2);
  EXPECT_TRUE(report[0]["t_parseval_mean"].is_number());
  std::vector<std::string> table_args = {Sgctl().string(), "--coordinator", Address(), "report",
                                         "trees"};
  sg_test::SpawnOptions table_out;
  table_out.out_path = (dir_ / "report.txt").string();
  ASSERT_EQ(sg_test::WaitExit(sg_test::SpawnProcess(table_args, table_out),
                              std::chrono::seconds(30)), 0);
  const std::string table = ReadFile(dir_ / "report.txt");
  EXPECT_NE(table.find("t_score (sd)"), std::string::npos) << table;
  EXPECT_NE(table.find("t_parseval (sd)"), std::string::npos) << table;
  std::cout << "sgctl report trees:\n" << table;
  table_args.insert(table_args.begin() + 3, {"--output", "csv"});
  ASSERT_EQ(sg_test::WaitExit(sg_test::SpawnProcess(table_args, table_out),
                              std::chrono::seconds(30)), 0);
  EXPECT_NE(ReadFile(dir_ / "report.txt").find(",t_score_seeds,t_score_mean,t_score_sd,"),
            std::string::npos);

  // Figures: the t_score curves, and t_score against gen_acc, in every format.
  for (const std::string ext : {"png", "svg", "pdf"}) {
    for (const std::vector<std::string>& kind :
         {std::vector<std::string>{"--metric", "t_score"},
          std::vector<std::string>{"--kind", "tscore-gen"}}) {
      const fs::path out = dir_ / ("trees_" + kind[1] + "." + ext);
      std::vector<std::string> args = {"plot", "trees", "--out", out.string()};
      args.insert(args.end(), kind.begin(), kind.end());
      int code = 0;
      Ctl(args, &code);
      ASSERT_EQ(code, 0) << kind[1] << " " << ext << ": " << ReadFile(dir_ / "sgctl.err");
      EXPECT_GT(fs::file_size(out), 1000u) << out;
    }
  }
  EXPECT_NE(ReadFile(dir_ / "trees_tscore-gen.png.gp").find("depth=1"), std::string::npos);

  // keep_checkpoints: all. The newest two of each run are full-state (resume reads them), the
  // older ones weights-only (header version 3).
  std::map<int64_t, fs::path> folders;
  for (const auto& r : runs) {
    // The worker's per-run checkpoint folder, run-R somewhere under its --checkpoint-dir.
    const std::string name = "run-" + std::to_string(r["run_id"].get<int64_t>());
    fs::path folder;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "checkpoints")) {
      if (e.is_directory() && e.path().filename() == name) folder = e.path();
    }
    ASSERT_FALSE(folder.empty()) << name << " not under " << dir_ / "checkpoints";
    folders[r["run_id"].get<int64_t>()] = folder;
    for (int step = 10; step <= 40; step += 10) {
      char name[32];
      std::snprintf(name, sizeof(name), "ckpt-%012d.pt", step);
      const std::string bytes = ReadFile(folder / name);
      ASSERT_GT(bytes.size(), 12u) << folder / name;
      EXPECT_EQ(static_cast<int>(bytes[8]), step <= 20 ? 3 : 2) << folder / name;
    }
  }

  // sgctl analyze: every kept checkpoint's metrics, recorded through the coordinator.
  auto before_score = t_score;
  auto before_parseval = t_parseval;
  auto before_norm = Curves("trees", "weight_norm");
  auto before_entropy = Curves("trees", "attn_entropy");
  for (const auto& [id, folder] : folders) {
    int code = 0;
    std::string out = Ctl({"analyze", "trees", "--run", std::to_string(id), "--checkpoints",
                           folder.string(), "--sg-analyze", Analyzer().string(),
                           "--attn-sentences", "6", "--threads", "1", "--quiet"},
                          &code);
    ASSERT_EQ(code, 0) << ReadFile(dir_ / "sgctl.err");
    nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_EQ(j["checkpoints"], 4) << out;
    EXPECT_EQ(j["recorded"], true);
  }
  const std::set<int64_t> all_steps = {10, 20, 30, 40};
  auto steps_of = [](const std::map<int64_t, double>& curve) {
    std::set<int64_t> out;
    for (const auto& [step, v] : curve) out.insert(step);
    return out;
  };
  for (const auto& [metric, before] :
       std::vector<std::pair<std::string, std::map<int64_t, std::map<int64_t, double>>>>{
           {"t_score", before_score}, {"t_parseval", before_parseval},
           {"weight_norm", before_norm}, {"attn_entropy", before_entropy}}) {
    auto after = Curves("trees", metric);
    for (const auto& [id, folder] : folders) {
      // Step 30 had no tree evaluation (tree_every_evals: 2); now every kept step has a point.
      EXPECT_EQ(steps_of(after[id]), all_steps) << metric << " of run " << id;
      ASSERT_FALSE(before.at(id).empty()) << metric;
      for (const auto& [step, streamed] : before.at(id)) {
        EXPECT_NEAR(after[id][step], streamed, 1e-9 * std::max(1.0, std::fabs(streamed)))
            << metric << " of run " << id << " at step " << step;
      }
    }
  }
  // Recorded in the audit trail.
  EXPECT_NE(Ctl({"audit"}).find("record_analysis_metrics"), std::string::npos);
}

TEST_F(E2eTest, KilledWorkerRunsResumeFromCheckpointWithEveryStepOnce) {
  ASSERT_NO_FATAL_FAILURE(StartCoordinator(/*lease_seconds=*/3));
  pid_t a = StartWorker("a");
  Submit("kill", "1", 2, 400, 20);
  // Kill worker a in the middle of its pack, after a checkpoint was committed.
  int64_t killed_at = 0;
  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json runs = Runs("kill");
    for (const auto& r : runs) {
      if (r["state"] != "running" || r["checkpoint_step"].get<int64_t>() < 30) return false;
      killed_at = r["checkpoint_step"].get<int64_t>();
    }
    return !runs.empty();
  }, 120)) << Log("a");
  ASSERT_LT(killed_at, 400);
  ::kill(-a, SIGKILL);  // the daemon and its sg-train child
  StartWorker("b");
  ASSERT_TRUE(WaitAllSucceeded("kill", 240)) << Log("b");
  nlohmann::json runs = Runs("kill");
  for (const auto& r : runs) {
    EXPECT_EQ(r["attempts"], 2);
    EXPECT_EQ(r["worker_id"], WorkerId("b"));
  }
  ExpectCompleteCurves("kill", runs, 400, 20);
  // Worker b's trainer started from a checkpoint, not from step 0: its attempt folder's first
  // event is the trainer's own "start" at the resumed step.
  std::string b_log = Log("b");
  EXPECT_NE(b_log.find("resuming from checkpoint step"), std::string::npos) << b_log;
  std::string b_tag;  // the daemon names attempt folders attempt-<ms>-<worker id, sanitised>-<n>
  for (char c : WorkerId("b")) b_tag.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  int64_t b_start = -1;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "checkpoints")) {
    if (e.path().filename() != "events.jsonl") continue;
    if (e.path().parent_path().filename().string().find("-" + b_tag + "-") == std::string::npos) {
      continue;
    }
    std::ifstream in(e.path());
    std::string first;
    std::getline(in, first);
    nlohmann::json start = nlohmann::json::parse(first, nullptr, false);
    ASSERT_TRUE(start.is_object() && start["event"] == "start") << first;
    b_start = start["step"].get<int64_t>();
  }
  EXPECT_GE(b_start, killed_at) << "no attempt resumed from a checkpoint";
}

TEST_F(E2eTest, CoordinatorKill9LosesNoAcknowledgedPoint) {
  ASSERT_NO_FATAL_FAILURE(StartCoordinator(/*lease_seconds=*/15));
  StartWorker("a");
  Submit("coord", "1", 2, 400, 10);
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& r : Runs("coord")) {
      if (r["step"].get<int64_t>() < 30) return false;
    }
    return true;
  }, 120)) << Log("a");
  // What the coordinator has acknowledged so far (stored, committed).
  auto before = Curves("coord", "val_loss");
  auto before_train = Curves("coord", "train_loss");
  ASSERT_FALSE(before.empty());
  ::kill(-coordinator_, SIGKILL);
  int status = 0;
  ::waitpid(coordinator_, &status, 0);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the worker keeps training and spooling
  ASSERT_NO_FATAL_FAILURE(StartCoordinator(/*lease_seconds=*/15, port_));
  ASSERT_TRUE(WaitAllSucceeded("coord", 240)) << Log("a");
  auto after = Curves("coord", "val_loss");
  auto after_train = Curves("coord", "train_loss");
  for (const auto& [run, curve] : before) {
    for (const auto& [step, value] : curve) {
      ASSERT_EQ(after[run].count(step), 1u) << "run " << run << " lost val_loss at step " << step;
      EXPECT_EQ(after[run][step], value);
    }
  }
  for (const auto& [run, curve] : before_train) {
    for (const auto& [step, value] : curve) {
      EXPECT_EQ(after_train[run].count(step), 1u) << "run " << run << " lost train_loss at " << step;
    }
  }
  ExpectCompleteCurves("coord", Runs("coord"), 400, 10);
  EXPECT_NE(Log("a").find("UNAVAILABLE"), std::string::npos);  // it did see the outage
}

TEST_F(E2eTest, PausedWorkerWhoseLeaseExpiredCannotWrite) {
  ASSERT_NO_FATAL_FAILURE(StartCoordinator(/*lease_seconds=*/3));
  pid_t a = StartWorker("a");
  Submit("pause", "1", 2, 400, 20);
  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json runs = Runs("pause");
    for (const auto& r : runs) {
      if (r["state"] != "running" || r["checkpoint_step"].get<int64_t>() < 20) return false;
    }
    return !runs.empty();
  }, 120)) << Log("a");
  const std::string id_a = WorkerId("a");
  ::kill(-a, SIGSTOP);  // the whole node pauses: daemon and trainer
  StartWorker("b");
  // The lease expires; worker b claims the runs.
  ASSERT_TRUE(WaitFor([&] {
    if (WorkerId("b").empty()) return false;
    nlohmann::json runs = Runs("pause");
    for (const auto& r : runs) {
      if (r["state"] != "running" || r["worker_id"] != WorkerId("b")) return false;
    }
    return !runs.empty();
  }, 60)) << Log("b");
  ::kill(-a, SIGCONT);
  // a learns that its leases are gone, stops its trainer, and writes nothing more.
  ASSERT_TRUE(WaitFor([&] { return Log("a").find("stopping its trainer") != std::string::npos; }, 30))
      << Log("a");
  std::string a_log = Log("a");
  EXPECT_TRUE(a_log.find("lease lost") != std::string::npos ||
              a_log.find("refused") != std::string::npos)
      << a_log;
  ASSERT_TRUE(WaitAllSucceeded("pause", 240)) << Log("b");
  nlohmann::json runs = Runs("pause");
  for (const auto& r : runs) {
    EXPECT_EQ(r["worker_id"], WorkerId("b"));
    EXPECT_NE(r["worker_id"], id_a);
  }
  ExpectCompleteCurves("pause", runs, 400, 20);
}

}  // namespace

namespace {

TEST_F(E2eTest, SigtermCheckpointsReleasesAndAnotherWorkerResumes) {
  ASSERT_NO_FATAL_FAILURE(StartCoordinator(/*lease_seconds=*/5));
  pid_t a = StartWorker("a");
  Submit("term", "1", 2, 400, 20);
  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json runs = Runs("term");
    for (const auto& r : runs) {
      if (r["state"] != "running" || r["step"].get<int64_t>() < 30) return false;
    }
    return !runs.empty();
  }, 120)) << Log("a");
  ::kill(a, SIGTERM);  // the daemon only; it forwards SIGTERM to its trainer
  int status = 0;
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (::waitpid(a, &status, WNOHANG) == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(WIFEXITED(status)) << Log("a");
  EXPECT_EQ(WEXITSTATUS(status), 0) << Log("a");
  // Released: queued again at once, keeping the checkpoint the trainer wrote on SIGTERM.
  nlohmann::json released = Runs("term");
  for (const auto& r : released) {
    EXPECT_EQ(r["state"], "queued");
    EXPECT_GT(r["checkpoint_step"].get<int64_t>(), 0);
    EXPECT_EQ(r["checkpoint_step"], r["step"]);
  }
  StartWorker("b");
  ASSERT_TRUE(WaitAllSucceeded("term", 240)) << Log("b");
  EXPECT_NE(Log("b").find("resuming from checkpoint step"), std::string::npos) << Log("b");
  ExpectCompleteCurves("term", Runs("term"), 400, 20);
}

// A cell whose input sg-train refuses (here: its data folder does not exist) fails at once,
// after one attempt, with sg-train's own message; it is not retried until the no-progress cap.
TEST_F(E2eTest, BadInputFailsTheRunAtOnceWithSgTrainsMessage) {
  StartCoordinator(10);
  StartWorker("a");
  Submit("bad", "1", 1, 40, 20, "", "  dir: " + (dir_ / "no-such-data").string() + "\n");
  nlohmann::json runs;
  ASSERT_TRUE(WaitFor([&] {
    runs = Runs("bad");
    return AllIn(runs, "failed");
  }, 120)) << Log("a");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["attempts"], 1) << runs.dump();
  const std::string error = runs[0]["last_error"].get<std::string>();
  EXPECT_EQ(error.rfind("sg-train: ", 0), 0u) << error;
  EXPECT_NE(error.find("data.dir"), std::string::npos) << error;
  EXPECT_NE(error.find("no-such-data"), std::string::npos) << error;
}

// A cell that diverges (a learning rate of 1e30) keeps its non-finite points: they reach
// `sgctl curves`, and `sgctl runs` marks the run.
TEST_F(E2eTest, DivergedRunKeepsItsNonFinitePointsAndIsMarked) {
  StartCoordinator(10);
  StartWorker("a");
  Submit("diverge", "1", 1, 40, 20, "  lr: 1.0e30\n");
  ASSERT_TRUE(WaitAllSucceeded("diverge", 180)) << Log("a");
  const std::string text = Ctl({"curves", "--sweep", "diverge", "--metric", "train_loss"});
  nlohmann::json curves = nlohmann::json::parse(text, nullptr, false);
  ASSERT_TRUE(curves.is_array() && curves.size() == 1u) << text;
  int non_finite = 0, points = 0;
  for (const auto& p : curves[0]["points"]) {
    ++points;
    if (p["value"].is_string()) {
      const std::string v = p["value"].get<std::string>();
      EXPECT_TRUE(v == "NaN" || v == "Infinity" || v == "-Infinity") << v;
      ++non_finite;
    }
  }
  // train_loss at the evaluation steps 20 and 40: none dropped.
  EXPECT_EQ(points, 2) << text;
  EXPECT_GT(non_finite, 0) << text;
  nlohmann::json runs = Runs("diverge");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_GT(runs[0]["non_finite_step"].get<int64_t>(), 0) << runs.dump();
}

}  // namespace

namespace {

// Writes zeros to `path` until the file system refuses with ENOSPC. Returns the errno that
// ended it (ENOSPC expected) and the bytes written.
int FillUntilFull(const fs::path& path, int64_t* bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return errno;
  static char block[4096] = {};
  *bytes = 0;
  int err = 0;
  while (true) {
    if (std::fwrite(block, 1, sizeof(block), f) != sizeof(block) || std::fflush(f) != 0) {
      err = errno;
      break;
    }
    *bytes += sizeof(block);
  }
  std::fclose(f);
  return err;
}

}  // namespace

// Issue 16: the coordinator's database on a small tmpfs, filled for 15 s during a sweep with two
// CPU workers. The coordinator answers UNAVAILABLE (not INTERNAL) and stays up; the workers keep
// their spooled points and resend them; afterwards every curve is complete, each evaluation
// step exactly once, and every run succeeds. Needs root (mount -t tmpfs); skipped, saying so,
// where the test may not mount.
TEST_F(E2eTest, DatabaseDiskFullForFifteenSecondsLosesNoPoint) {
  const fs::path mnt = dir_ / "dbfs";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=8m") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs at " << mnt << " (" << std::strerror(errno)
                 << "); this test needs root";
  }
  mount_ = mnt.string();
  db_path_ = mnt / "coordinator.db";
  ASSERT_NO_FATAL_FAILURE(StartCoordinator(/*lease_seconds=*/60));
  StartWorker("a");
  StartWorker("b");
  Submit("full", "1, 2", 2, 600, 10);  // two packs of two seeds, one per worker
  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json runs = Runs("full");
    if (runs.size() != 4u) return false;
    for (const auto& r : runs) {
      if (r["state"] != "running" || r["step"].get<int64_t>() < 30) return false;
    }
    return true;
  }, 420)) << "not all four runs running past step 30 in 420 s: " << Log("a") << Log("b");

  int64_t filled = 0;
  const int err = FillUntilFull(mnt / "filler", &filled);
  ASSERT_EQ(err, ENOSPC) << std::strerror(err);
  std::this_thread::sleep_for(std::chrono::seconds(15));
  // SQLite's WAL reuses the blocks it already holds, so on a loaded machine, where the trainers
  // send few points, 15 s of writes can fit in them and no write fails. Keep the disk full until
  // a worker's points have been refused (logged once per outage), then free it.
  EXPECT_TRUE(WaitFor([&] {
    return (Log("a") + Log("b")).find("metrics: UNAVAILABLE") != std::string::npos;
  }, 240)) << "no point was refused in 255 s on a full disk: " << Log("coordinator") << Log("a")
           << Log("b");
  // The coordinator is still up, and its clients heard UNAVAILABLE, never INTERNAL.
  EXPECT_EQ(::kill(coordinator_, 0), 0) << "the coordinator died: " << Log("coordinator");
  int code = 0;
  Ctl({"sweeps"}, &code);
  EXPECT_EQ(code, 0) << "reads still work on a full disk: " << ReadFile(dir_ / "sgctl.err");
  fs::remove(mnt / "filler");

  ASSERT_TRUE(WaitAllSucceededWhileProgressing("full", 120))
      << "no step in 120 s: " << Runs("full").dump() << Log("a") << Log("b");
  const std::string logs = Log("a") + Log("b");
  EXPECT_NE(logs.find("UNAVAILABLE"), std::string::npos) << "the workers never saw the fault";
  EXPECT_EQ(logs.find("INTERNAL"), std::string::npos) << logs;
  EXPECT_EQ(logs.find("dropping"), std::string::npos) << logs;
  // The heartbeats kept going while the points could not be stored, and the coordinator gave
  // the leases a grace after its storage came back: no run lost its lease to the outage.
  EXPECT_EQ(logs.find("no longer ours"), std::string::npos) << logs;
  EXPECT_NE(logs.find("metrics: delivered again"), std::string::npos) << logs;
  nlohmann::json runs = Runs("full");
  ASSERT_EQ(runs.size(), 4u);
  for (const auto& r : runs) EXPECT_EQ(r["step"], 600);
  ExpectCompleteCurves("full", runs, 600, 10);
  for (const std::string metric : {"gen_acc", "test_loss", "weight_norm"}) {
    auto curves = Curves("full", metric);
    for (const auto& r : runs) {
      EXPECT_EQ(curves[r["run_id"].get<int64_t>()].size(), 60u) << metric << " of " << r["run_id"];
    }
  }
  std::fprintf(stderr, "disk-full test: %lld bytes of filler; worker logs:\n%s\n",
               static_cast<long long>(filled), logs.c_str());
}

// sg-train, as every sg binary: --help lists its flags and --version prints the version.
TEST_F(E2eTest, TrainerHelpListsItsFlagsAndVersionPrintsIt) {
  for (const char* flag : {"--help", "--version"}) {
    sg_test::SpawnOptions o;
    o.out_path = (dir_ / "train.out").string();
    o.err_path = (dir_ / "train.err").string();
    const pid_t pid = sg_test::SpawnProcess({Trainer().string(), flag}, o);
    EXPECT_EQ(sg_test::WaitExit(pid, std::chrono::seconds(30)), 0) << flag;
    const std::string out = ReadFile(dir_ / "train.out");
    if (std::string(flag) == "--help") {
      EXPECT_THAT(out, ::testing::HasSubstr("--seeds S[,S...]"));
      EXPECT_THAT(out, ::testing::HasSubstr("--device"));
    } else {
      EXPECT_THAT(out, ::testing::MatchesRegex("sg-train [0-9]+\\.[0-9]+\\.[0-9]+\n"));
    }
  }
}
