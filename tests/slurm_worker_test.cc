// sg workers under a real SLURM: a single-node cluster from Debian's packages
// (deploy/slurm/local-cluster.sh), a real sg-coordinator, two worker jobs submitted with sbatch
// (deploy/slurm/sg-worker.sbatch, the real sg-train on CPU), one scancelled mid-run. The sweep
// must complete with every curve complete, the cancelled job's runs resumed by the other job
// from their checkpoints in the shared folder, and the surviving job must end by itself once the
// queue is empty (--exit-when-idle), freeing its allocation. Both /metrics expositions are
// scraped on the way. Skipped, with the reason, only where SLURM cannot start.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics_http.h"
#include "common/prometheus_parse.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/process_util.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kSteps = 300;
constexpr int kEvalEvery = 20;

// Runs a shell command; its stdout (stderr merged), and its exit status in *status.
std::string Shell(const std::string& command, int* status = nullptr) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe != nullptr) {
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  }
  const int raw = pipe != nullptr ? pclose(pipe) : -1;
  if (status != nullptr) *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

// Two different TCP ports nothing listens on now (the kernel's choices for port 0, both held
// until both are chosen), for the cluster's daemons: fixed ports made a second cluster on the
// machine (another run of this test) fail to start, which skipped the test instead of running
// it. Empty if the kernel gives none.
std::vector<int> TwoFreePorts() {
  std::vector<int> fds, ports;
  for (int i = 0; i < 2; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      break;
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) ::close(fd);
  if (ports.size() != 2) ports.clear();
  return ports;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool WaitFor(const std::function<bool()>& pred, int seconds) {
  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return pred();
}

class SlurmWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = sg_test::EnvOr("SG_BINARY_DIR", "");
    src_ = sg_test::EnvOr("SG_SOURCE_DIR", "");
    ASSERT_FALSE(bin_.empty() || src_.empty()) << "run through ctest (SG_BINARY_DIR, SG_SOURCE_DIR)";
    for (const fs::path& p : {bin_ / "coordinator/sg-coordinator", bin_ / "sgctl/sgctl",
                              bin_ / "worker/sg-worker", bin_ / "trainer/sg-train"}) {
      ASSERT_TRUE(fs::exists(p)) << p << " is missing";
    }
    dir_ = fs::temp_directory_path() / ("sg_slurm_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "work");
    const std::vector<int> ports = TwoFreePorts();
    ASSERT_EQ(ports.size(), 2u) << "no free ports for slurmctld and slurmd";
    ::setenv("SG_SLURMCTLD_PORT", std::to_string(ports[0]).c_str(), 1);
    ::setenv("SG_SLURMD_PORT", std::to_string(ports[1]).c_str(), 1);
    int status = 0;
    const std::string out =
        Shell("bash '" + (src_ / "deploy/slurm/local-cluster.sh").string() + "' start '" +
                  (dir_ / "slurm").string() + "'",
              &status);
    if (status == 77) GTEST_SKIP() << Trim(out);
    ASSERT_EQ(status, 0) << "local-cluster.sh start failed:\n" << out;
    cluster_started_ = true;
    ::setenv("SLURM_CONF", (dir_ / "slurm/slurm.conf").c_str(), 1);
  }

  void TearDown() override {
    for (const std::string& job : jobs_) Shell("scancel " + job);
    if (cluster_started_) {
      // Give cancelled jobs their graceful stop before the daemons go.
      WaitFor([&] {
        for (const std::string& job : jobs_) {
          if (JobState(job) == "RUNNING" || JobState(job).find("COMPLETING") != std::string::npos) return false;
        }
        return true;
      }, 90);
      Shell("bash '" + (src_ / "deploy/slurm/local-cluster.sh").string() + "' stop '" +
            (dir_ / "slurm").string() + "'");
    }
    if (coordinator_ > 0) {
      ::kill(coordinator_, SIGTERM);
      sg_test::WaitExit(coordinator_, std::chrono::seconds(10));
    }
    if (!HasFailure()) fs::remove_all(dir_);
    else std::fprintf(stderr, "slurm test: logs kept in %s\n", dir_.c_str());
  }

  std::string Address() const { return "127.0.0.1:" + std::to_string(port_); }

  void StartCoordinator() {
    coordinator_ = sg_test::Spawn(
        {(bin_ / "coordinator/sg-coordinator").string(), "--listen", "127.0.0.1:0", "--db",
         (dir_ / "coordinator.db").string(), "--lease-seconds", "10", "--port-file",
         (dir_ / "port").string(), "--metrics-listen", "127.0.0.1:0", "--metrics-port-file",
         (dir_ / "metrics_port").string()},
        (dir_ / "coordinator.log").string(), (dir_ / "coordinator.log").string());
    ASSERT_TRUE(WaitFor([&] { return fs::exists(dir_ / "metrics_port"); }, 30))
        << sg_test::ReadFile((dir_ / "coordinator.log").string());
    port_ = std::stoi(sg_test::ReadFile((dir_ / "port").string()));
    metrics_port_ = std::stoi(sg_test::ReadFile((dir_ / "metrics_port").string()));
  }

  std::string Ctl(const std::vector<std::string>& args, int* status = nullptr) {
    std::string command = (bin_ / "sgctl/sgctl").string() + " --coordinator " + Address() +
                          " --output json";
    for (const std::string& a : args) command += " '" + a + "'";
    int code = 0;
    std::string out = Shell(command + " 2>/dev/null", &code);
    if (status != nullptr) *status = code;
    return code == 0 ? out : "";
  }

  nlohmann::json Runs() {
    nlohmann::json j = nlohmann::json::parse(Ctl({"runs", "slurm"}), nullptr, false);
    return j.is_array() ? j : nlohmann::json::array();
  }

  // sbatch's job id for one worker job.
  std::string SubmitWorkerJob() {
    const std::string command =
        "SG_COORDINATOR=" + Address() + " SG_CHECKPOINT_DIR='" + (dir_ / "checkpoints").string() +
        "' SG_WORK_DIR='" + (dir_ / "work").string() + "' SG_BIN_DIR='" +
        (bin_ / "worker").string() + "' SG_SLURM_DIR='" + (src_ / "deploy/slurm").string() +
        "' SG_EXIT_WHEN_IDLE=5 SG_METRICS_LISTEN=127.0.0.1:0 sbatch --parsable --cpus-per-task=1 "
        "--output='" + (dir_ / "job-%j.log").string() + "' --chdir='" + dir_.string() + "' '" +
        (src_ / "deploy/slurm/sg-worker.sbatch").string() + "'";
    int status = 0;
    std::string out = Trim(Shell(command, &status));
    EXPECT_EQ(status, 0) << out;
    jobs_.push_back(out);
    return out;
  }

  std::string JobState(const std::string& job) {
    const std::string out = Shell("scontrol show job -o " + job);
    const size_t at = out.find("JobState=");
    if (at == std::string::npos) return "";
    return out.substr(at + 9, out.find(' ', at) - at - 9);
  }

  fs::path JobWorkDir(const std::string& job) {
    return dir_ / "work" / ("sg-worker-" + job + "-" + Trim(Shell("hostname -s")));
  }
  std::string WorkerId(const std::string& job) {
    return Trim(sg_test::ReadFile((JobWorkDir(job) / "worker_id").string()));
  }
  std::string JobLog(const std::string& job) {
    return sg_test::ReadFile((dir_ / ("job-" + job + ".log")).string());
  }

  sg::ParsedExposition Scrape(int port) {
    absl::StatusOr<std::string> body = sg::ScrapeMetrics("127.0.0.1", port);
    EXPECT_TRUE(body.ok()) << body.status();
    absl::StatusOr<sg::ParsedExposition> parsed = sg::ParseExposition(body.ok() ? *body : "");
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return parsed.ok() ? *parsed : sg::ParsedExposition{};
  }

  fs::path bin_, src_, dir_;
  bool cluster_started_ = false;
  pid_t coordinator_ = 0;
  int port_ = 0;
  int metrics_port_ = 0;
  std::vector<std::string> jobs_;
};

TEST_F(SlurmWorkerTest, ScancelledJobsRunsResumeInTheOtherJobAndTheSweepCompletes) {
  ASSERT_NO_FATAL_FAILURE(StartCoordinator());
  std::ofstream(dir_ / "slurm.yaml")
      << "name: slurm\ntask: dyck\ngrid:\n  depth: [1, 2]\nseeds: 2\n"
      << "train:\n  steps: " << kSteps << "\n  eval_every: " << kEvalEvery
      << "\n  checkpoint_every: " << kEvalEvery << "\n  warmup_steps: 5\n  batch_size: 4\n"
      << "  d_model: 16\n  heads: 2\n  ff: 32\n  tree_sentences: 0\n"
      << "data:\n  train_size: 200\n  val_size: 20\n  test_size: 20\n";
  int code = 0;
  Ctl({"submit", (dir_ / "slurm.yaml").string()}, &code);
  ASSERT_EQ(code, 0);

  const std::string a = SubmitWorkerJob();
  const std::string b = SubmitWorkerJob();
  ASSERT_FALSE(a.empty() || b.empty());

  // Both jobs train a pack each; wait until job a's pack has committed a checkpoint.
  std::set<int64_t> a_runs;
  int64_t a_checkpoint = 0;
  ASSERT_TRUE(WaitFor([&] {
    const std::string a_id = WorkerId(a);
    if (a_id.empty() || WorkerId(b).empty()) return false;
    a_runs.clear();
    int64_t lowest = -1;
    std::set<std::string> holders;
    for (const auto& r : Runs()) {
      if (r["state"] != "running") continue;
      holders.insert(r["worker_id"].get<std::string>());
      if (r["worker_id"] != a_id) continue;
      a_runs.insert(r["run_id"].get<int64_t>());
      const int64_t ckpt = r["checkpoint_step"].get<int64_t>();
      lowest = lowest < 0 ? ckpt : std::min(lowest, ckpt);
    }
    a_checkpoint = lowest;
    return holders.size() == 2 && !a_runs.empty() && lowest >= 2 * kEvalEvery;
  }, 300)) << "job " << a << ":\n" << JobLog(a) << "\njob " << b << ":\n" << JobLog(b);
  ASSERT_LT(a_checkpoint, kSteps) << "job a finished before it could be cancelled";
  const std::string a_id = WorkerId(a);
  const std::string b_id = WorkerId(b);

  // The worker's exposition while it trains.
  const int a_metrics = std::stoi(sg_test::ReadFile((JobWorkDir(a) / "metrics_port").string()));
  sg::ParsedExposition worker = Scrape(a_metrics);
  EXPECT_EQ(worker.Sum("sg_worker_packs", {"device=\"cpu\""}), 1);
  EXPECT_EQ(worker.Sum("sg_worker_runs", {"device=\"cpu\""}), static_cast<double>(a_runs.size()));
  EXPECT_EQ(worker.Sum("sg_worker_registered"), 1);

  Shell("scancel " + a);
  ASSERT_TRUE(WaitFor([&] {
    const std::string s = JobState(a);
    return s == "CANCELLED" || s == "COMPLETED" || s == "FAILED";
  }, 120)) << JobState(a);

  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json runs = Runs();
    if (runs.size() != 4) return false;
    for (const auto& r : runs) {
      if (r["state"] != "succeeded") return false;
    }
    return true;
  }, 420)) << Runs().dump() << "\njob " << b << ":\n" << JobLog(b);

  // The cancelled job stopped gracefully (released, not expired) and job b resumed its runs
  // from their checkpoints in the shared folder.
  EXPECT_NE(JobLog(a).find("shutting down"), std::string::npos) << JobLog(a);
  for (const auto& r : Runs()) {
    if (!a_runs.count(r["run_id"].get<int64_t>())) continue;
    EXPECT_EQ(r["worker_id"], b_id) << r.dump();
    EXPECT_EQ(r["attempts"], 2) << r.dump();
    EXPECT_EQ(r["step"], kSteps);
  }
  EXPECT_NE(JobLog(b).find("resuming from checkpoint step"), std::string::npos) << JobLog(b);
  std::string b_tag;
  for (char c : b_id) b_tag.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  int64_t resumed_at = -1;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "checkpoints")) {
    if (e.path().filename() != "events.jsonl") continue;
    const std::string attempt = e.path().parent_path().filename().string();
    if (attempt.find("-" + b_tag + "-") == std::string::npos) continue;
    std::ifstream in(e.path());
    std::string first;
    std::getline(in, first);
    nlohmann::json start = nlohmann::json::parse(first, nullptr, false);
    if (start.is_object() && start["event"] == "start") {
      resumed_at = std::max<int64_t>(resumed_at, start["step"].get<int64_t>());
    }
  }
  EXPECT_GE(resumed_at, a_checkpoint) << "no attempt of job b started from job a's checkpoint";

  // Every curve complete: each evaluation step exactly once.
  std::set<int64_t> expected;
  for (int s = kEvalEvery; s <= kSteps; s += kEvalEvery) expected.insert(s);
  for (const std::string metric : {"val_acc", "val_loss"}) {
    nlohmann::json curves =
        nlohmann::json::parse(Ctl({"curves", "--sweep", "slurm", "--metric", metric}), nullptr, false);
    ASSERT_TRUE(curves.is_array());
    EXPECT_EQ(curves.size(), 4u) << metric;
    for (const auto& c : curves) {
      std::multiset<int64_t> steps;
      for (const auto& p : c["points"]) steps.insert(p["step"].get<int64_t>());
      EXPECT_EQ(std::set<int64_t>(steps.begin(), steps.end()), expected) << metric << " run " << c["run_id"];
      EXPECT_EQ(steps.size(), expected.size()) << metric << " run " << c["run_id"] << ": a step twice";
    }
  }

  // Nothing left to claim: job b ends by itself and frees its allocation.
  EXPECT_TRUE(WaitFor([&] { return JobState(b) == "COMPLETED"; }, 120))
      << JobState(b) << "\n" << JobLog(b);
  EXPECT_NE(JobLog(b).find("--exit-when-idle"), std::string::npos) << JobLog(b);

  // The coordinator's exposition after the sweep.
  sg::ParsedExposition coordinator = Scrape(metrics_port_);
  EXPECT_EQ(coordinator.Sum("sg_coordinator_runs", {"state=\"succeeded\""}), 4);
  EXPECT_GE(coordinator.Sum("sg_coordinator_points_acknowledged_total"),
            4.0 * 2 * expected.size());
  EXPECT_GE(coordinator.Sum("sg_coordinator_rpcs_total", {"method=\"ReleaseJob\"", "code=\"OK\""}),
            static_cast<double>(a_runs.size()));
  EXPECT_EQ(coordinator.Sum("sg_coordinator_leases_held"), 0);
}

}  // namespace
