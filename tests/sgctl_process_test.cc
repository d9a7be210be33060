// sgctl as a process against a real sg-coordinator process (SQLite file, loopback port 0):
// submit, status, runs, resubmission, a bad spec, cancel, an unreachable coordinator.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/process_util.h"
#include "nlohmann/json.hpp"

namespace {

using sg_test::EnvOr;
using sg_test::ReadFile;
using sg_test::Spawn;
using sg_test::WaitExit;

using ::testing::HasSubstr;
using ::testing::Not;

struct ProcessResult {
  int exit_code = -1;  // -1: killed or did not exit
  std::string out;
  std::string err;
};

class SgctlProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_dir_ = EnvOr("SG_BINARY_DIR", ".");
    source_dir_ = EnvOr("SG_SOURCE_DIR", ".");
    std::string tmpl = EnvOr("TMPDIR", "/tmp") + "/sgctl_process_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;

    ASSERT_EQ(sg_test::StartCoordinatorProcess(binary_dir_, dir_, {}, &coordinator_, &address_),
              "");
  }

  void TearDown() override {
    if (coordinator_ > 0) {
      kill(coordinator_, SIGTERM);
      EXPECT_EQ(WaitExit(coordinator_, std::chrono::seconds(20)), 0)
          << ReadFile(dir_ + "/coordinator.err");
    }
    std::remove((dir_ + "/port").c_str());
    for (const char* f : {"coordinator.db", "coordinator.db-wal", "coordinator.db-shm",
                          "coordinator.out", "coordinator.err", "sgctl.out", "sgctl.err",
                          "bad.yaml"}) {
      std::remove((dir_ + "/" + f).c_str());
    }
    rmdir(dir_.c_str());
  }

  // Runs sgctl against this test's coordinator (unless args name another one).
  ProcessResult Sgctl(std::vector<std::string> args, const std::vector<std::string>& env = {},
                      bool add_coordinator = true) {
    std::vector<std::string> argv = {binary_dir_ + "/sgctl/sgctl"};
    if (add_coordinator) {
      argv.push_back("--coordinator");
      argv.push_back(address_);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    pid_t pid = Spawn(argv, dir_ + "/sgctl.out", dir_ + "/sgctl.err", env);
    ProcessResult r;
    r.exit_code = WaitExit(pid, std::chrono::seconds(30));
    r.out = ReadFile(dir_ + "/sgctl.out");
    r.err = ReadFile(dir_ + "/sgctl.err");
    return r;
  }

  // Runs sgctl with --output json and parses stdout.
  nlohmann::json SgctlJson(std::vector<std::string> args) {
    args.insert(args.begin(), {"--output", "json"});
    ProcessResult r = Sgctl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out;
    return j;
  }

  std::string QfExample() const { return source_dir_ + "/examples/question_formation.yaml"; }

  std::string binary_dir_, source_dir_, dir_, address_;
  pid_t coordinator_ = -1;
};

TEST_F(SgctlProcessTest, SubmitStatusRunsResubmitCancel) {
  // Submit the paper's QF sweep: 5 depths x 10 seeds.
  nlohmann::json submitted = SgctlJson({"submit", QfExample()});
  ASSERT_TRUE(submitted.is_object());
  int64_t sweep_id = submitted["sweep_id"];
  EXPECT_GT(sweep_id, 0);
  EXPECT_EQ(submitted["runs"], 50);
  EXPECT_EQ(submitted["created"], true);

  // status: a depth x seed matrix, every run queued.
  ProcessResult status = Sgctl({"status", "qf-depth"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("counts: queued 50, running 0, succeeded 0, failed 0, "
                                    "cancelled 0"));
  EXPECT_THAT(status.out, HasSubstr("cell \\ seed  0  1  2  3  4  5  6  7  8  9\n"));
  for (int depth : {2, 4, 6, 8, 10}) {
    EXPECT_THAT(status.out, HasSubstr("depth=" + std::to_string(depth)));
  }
  nlohmann::json status_json = SgctlJson({"status", std::to_string(sweep_id)});
  EXPECT_EQ(status_json["counts"]["queued"], 50);
  EXPECT_EQ(status_json["cells"].size(), 5u);

  // runs: 50 objects, each (depth, seed) exactly once, all queued.
  nlohmann::json runs = SgctlJson({"runs", "qf-depth"});
  ASSERT_TRUE(runs.is_array());
  ASSERT_EQ(runs.size(), 50u);
  std::set<std::pair<int64_t, int64_t>> cells;
  for (const nlohmann::json& run : runs) {
    EXPECT_EQ(run["sweep_id"], sweep_id);
    EXPECT_EQ(run["state"], "queued");
    EXPECT_EQ(run["step"], 0);
    EXPECT_EQ(run["attempts"], 0);
    EXPECT_GT(run["run_id"].get<int64_t>(), 0);
    ASSERT_TRUE(run["config"].is_object());
    EXPECT_EQ(run["config"].size(), 1u);
    cells.emplace(run["config"]["depth"].get<int64_t>(), run["seed"].get<int64_t>());
  }
  EXPECT_EQ(cells.size(), 50u);
  EXPECT_EQ(cells.begin()->first, 2);
  EXPECT_EQ(cells.rbegin()->first, 10);
  EXPECT_EQ(cells.rbegin()->second, 9);
  EXPECT_EQ(SgctlJson({"runs", "qf-depth", "--state", "running"}).size(), 0u);

  // CSV: a header and one line per run.
  ProcessResult csv = Sgctl({"--output", "csv", "runs", "qf-depth"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 51);

  // Resubmitting the same name returns the same sweep and queues nothing.
  ProcessResult again = Sgctl({"--output", "json", "submit", QfExample()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  nlohmann::json again_json = nlohmann::json::parse(again.out);
  EXPECT_EQ(again_json["sweep_id"], sweep_id);
  EXPECT_EQ(again_json["runs"], 50);
  EXPECT_EQ(again_json["created"], false);
  EXPECT_THAT(again.err, HasSubstr("already exists"));
  ProcessResult again_text = Sgctl({"submit", QfExample()});
  EXPECT_THAT(again_text.out, HasSubstr("sweep qf-depth already exists (id " +
                                        std::to_string(sweep_id) + ", 50 runs)"));
  EXPECT_EQ(SgctlJson({"runs", "qf-depth"}).size(), 50u);
  nlohmann::json sweeps = SgctlJson({"sweeps"});
  ASSERT_EQ(sweeps.size(), 1u);
  EXPECT_EQ(sweeps[0]["name"], "qf-depth");
  EXPECT_EQ(sweeps[0]["queued"], 50);

  // Cancel one run, then the whole sweep.
  int64_t first_run = runs[0]["run_id"];
  nlohmann::json cancel_run = SgctlJson({"cancel", "--run", std::to_string(first_run)});
  EXPECT_EQ(cancel_run["run_id"], first_run);
  EXPECT_EQ(cancel_run["cancelled"], true);
  EXPECT_EQ(SgctlJson({"runs", "qf-depth", "--state", "cancelled"}).size(), 1u);

  ProcessResult cancel = Sgctl({"cancel", "qf-depth"});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_THAT(cancel.out, HasSubstr("49 runs cancelled now"));
  nlohmann::json after = SgctlJson({"status", "qf-depth"});
  EXPECT_EQ(after["counts"]["cancelled"], 50);
  EXPECT_EQ(after["counts"]["queued"], 0);
  // Cancelling again changes nothing and is not an error.
  EXPECT_EQ(SgctlJson({"cancel", std::to_string(sweep_id)})["cancelled_runs"], 0);
  EXPECT_EQ(SgctlJson({"cancel", "--run", std::to_string(first_run)})["cancelled"], false);
}

TEST_F(SgctlProcessTest, BadSpecFailsAndCreatesNothing) {
  std::string bad = dir_ + "/bad.yaml";
  std::ofstream(bad) << "name: qf\ntask: question_formation\nseeds: 10\ngrid:\n"
                        "  depth: [2, 4]\ntrain:\n  lr: fast\n";
  ProcessResult r = Sgctl({"submit", bad});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr(bad + ":7: train.lr: must be a number > 0, got 'fast'"));
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(SgctlJson({"sweeps"}).size(), 0u);
}

TEST_F(SgctlProcessTest, UnknownSweepAndRun) {
  ProcessResult r = Sgctl({"status", "no-such-sweep"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no sweep named no-such-sweep"));
  r = Sgctl({"runs", "12345"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no sweep with id 12345"));
}

// A run without points has no metric to show: asking for one is an error saying so (exit 2),
// not an empty table that reads like a misspelt name's.
TEST_F(SgctlProcessTest, CurvesOfARunWithoutPoints) {
  ASSERT_EQ(SgctlJson({"submit", QfExample()})["runs"], 50);
  nlohmann::json runs = SgctlJson({"runs", "qf-depth"});
  ASSERT_FALSE(runs.empty());
  std::string run_id = std::to_string(runs[0]["run_id"].get<int64_t>());
  ProcessResult r = Sgctl({"curves", "--run", run_id, "--metric", "val_acc"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("metric 'val_acc': not recorded by run " + run_id +
                               "; it has recorded no metrics yet"));
  r = Sgctl({"metrics", "qf-depth"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "no metrics recorded yet\n");
}

TEST_F(SgctlProcessTest, RunFiguresOfASweepWithoutPointsSayWhatIsMissing) {
  ASSERT_EQ(SgctlJson({"submit", QfExample()})["runs"], 50);
  ProcessResult r =
      Sgctl({"plot", "qf-depth", "--kind", "early-stop", "--out", dir_ + "/early.png"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("plot: sweep qf-depth has no finished seeds with gen_acc at "
                               "early stopping and a final gen_acc yet"));
  r = Sgctl({"plot", "qf-depth", "--kind", "tscore-gen", "--out", dir_ + "/tscore.png"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("plot: sweep qf-depth has no finished seeds with a final t_score "
                               "and a final gen_acc"));
  EXPECT_NE(access((dir_ + "/early.png").c_str(), F_OK), 0);
}

TEST_F(SgctlProcessTest, UnreachableCoordinator) {
  // Nothing listens on port 1; SG_COORDINATOR is used when --coordinator is absent.
  ProcessResult r = Sgctl({"sweeps"}, {"SG_COORDINATOR=127.0.0.1:1"}, /*add_coordinator=*/false);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot reach coordinator at 127.0.0.1:1 (is sg-coordinator "
                               "running? set --coordinator or SG_COORDINATOR)"));
  EXPECT_THAT(r.err, Not(HasSubstr(address_)));
}

// `sgctl plan` reads the spec and answers without a coordinator (none listens on port 1): the
// paper's sweep as packs, memory and work; a bad spec or flag exits 2 naming it.
TEST_F(SgctlProcessTest, PlanNeedsNoCoordinator) {
  const std::vector<std::string> nowhere = {"--coordinator", "127.0.0.1:1"};
  auto plan = [&](std::vector<std::string> args) {
    args.insert(args.begin(), nowhere.begin(), nowhere.end());
    return Sgctl(args, {}, /*add_coordinator=*/false);
  };
  ProcessResult r = plan({"plan", QfExample(), "--devices", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("sweep qf-depth (question_formation): 50 runs in 5 packs"));
  EXPECT_THAT(r.out, HasSubstr("\ndepth=10  10     10          31634560         300k"));
  EXPECT_THAT(r.out, HasSubstr("2 devices, one pack each at a time, the longest first"));

  r = plan({"plan", QfExample(), "--output", "json", "--pack-size", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["runs"], 50);
  EXPECT_EQ(j["packs"], 15);
  EXPECT_EQ(j["cells"][0]["pack_seeds"], nlohmann::json::array({4, 4, 2}));
  EXPECT_GT(j["wall_seconds"].get<double>(), 0);

  std::string bad = dir_ + "/bad.yaml";
  std::ofstream(bad) << "name: qf\ntask: question_formation\nseeds: 10\ntrain:\n  depth: 0\n";
  r = plan({"plan", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(bad + ":5: train.depth: must be an integer in 1..64"));
  r = plan({"plan", QfExample(), "--rate", "fast"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--rate: must be a number of multiply-adds per second"));
  // As a default coordinator would: 50 runs pass a limit of 50, not one of 49.
  EXPECT_EQ(plan({"plan", QfExample(), "--max-runs", "50"}).exit_code, 0);
  r = plan({"plan", QfExample(), "--max-runs", "49"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("5 x 10 runs is more than the limit of 49 runs per sweep"));
  r = plan({"plan", QfExample(), "--device-memory-gib", "4"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cell depth=2: one seed needs"));
}

TEST_F(SgctlProcessTest, HelpListsCommands) {
  ProcessResult r = Sgctl({"--help"}, {}, /*add_coordinator=*/false);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* command : {"plan", "submit", "sweeps", "status", "runs", "cancel", "curves"}) {
    EXPECT_THAT(r.out, HasSubstr(std::string("\n  ") + command));
  }
}

}  // namespace
