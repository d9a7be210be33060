// sg-coordinator and sg-worker as processes (no trainer needed): both serve /metrics on
// ephemeral loopback ports, both expositions parse, the worker shows up in the coordinator's
// gauges and RPC counters, and `sg-worker --exit-when-idle` ends the worker by itself (exit 0,
// graceful) when there is nothing to claim.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "common/metrics_http.h"
#include "common/prometheus_parse.h"
#include "gtest/gtest.h"
#include "tests/process_util.h"

namespace {

namespace fs = std::filesystem;

int ReadPort(const fs::path& file, int seconds) {
  for (int i = 0; i < seconds * 20; ++i) {
    const std::string text = sg_test::ReadFile(file.string());
    if (!text.empty() && text.back() == '\n') return std::stoi(text);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return 0;
}

sg::ParsedExposition Scrape(int port) {
  absl::StatusOr<std::string> body = sg::ScrapeMetrics("127.0.0.1", port);
  EXPECT_TRUE(body.ok()) << body.status();
  absl::StatusOr<sg::ParsedExposition> parsed = sg::ParseExposition(body.ok() ? *body : "");
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : sg::ParsedExposition{};
}

TEST(OperabilityProcess, BothExpositionsParseAndAnIdleWorkerExitsByItself) {
  const fs::path bin = sg_test::EnvOr("SG_BINARY_DIR", "");
  ASSERT_FALSE(bin.empty()) << "run through ctest";
  const fs::path dir = fs::temp_directory_path() / ("sg_ops_process_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);

  const pid_t coordinator = sg_test::Spawn(
      {(bin / "coordinator/sg-coordinator").string(), "--listen", "127.0.0.1:0", "--db",
       (dir / "c.db").string(), "--port-file", (dir / "port").string(), "--metrics-listen",
       "127.0.0.1:0", "--metrics-port-file", (dir / "metrics_port").string()},
      (dir / "coordinator.log").string(), "");
  const int port = ReadPort(dir / "port", 30);
  const int coordinator_metrics = ReadPort(dir / "metrics_port", 30);
  ASSERT_GT(port, 0) << sg_test::ReadFile((dir / "coordinator.log").string());
  ASSERT_GT(coordinator_metrics, 0) << sg_test::ReadFile((dir / "coordinator.log").string());
  EXPECT_EQ(Scrape(coordinator_metrics).Sum("sg_coordinator_workers_registered"), 0);

  const pid_t worker = sg_test::Spawn(
      {(bin / "worker/sg-worker").string(), "--coordinator", "127.0.0.1:" + std::to_string(port),
       "--devices", "cpu", "--device-memory-gb", "2", "--work-dir", (dir / "work").string(),
       "--sg-train", "/bin/false", "--metrics-listen", "127.0.0.1:0", "--metrics-port-file",
       (dir / "worker_metrics_port").string(), "--exit-when-idle", "3"},
      (dir / "worker.log").string(), "");
  const int worker_metrics = ReadPort(dir / "worker_metrics_port", 30);
  ASSERT_GT(worker_metrics, 0) << sg_test::ReadFile((dir / "worker.log").string());
  sg::ParsedExposition w = Scrape(worker_metrics);
  EXPECT_EQ(w.Sum("sg_worker_device_memory_bytes", {"device=\"cpu\""}), 2.0 * (1 << 30));
  EXPECT_EQ(w.Sum("sg_worker_packs", {"device=\"cpu\""}), 0);
  EXPECT_TRUE(w.Has("sg_worker_spool_points"));

  // Nothing to claim: the worker stops by itself, gracefully.
  EXPECT_EQ(sg_test::WaitExit(worker, std::chrono::seconds(60)), 0)
      << sg_test::ReadFile((dir / "worker.log").string());
  const std::string log = sg_test::ReadFile((dir / "worker.log").string());
  EXPECT_NE(log.find("--exit-when-idle"), std::string::npos) << log;

  sg::ParsedExposition c = Scrape(coordinator_metrics);
  EXPECT_EQ(c.Sum("sg_coordinator_workers_registered"), 1);
  EXPECT_EQ(c.Sum("sg_coordinator_rpcs_total", {"method=\"RegisterWorker\"", "code=\"OK\""}), 1);
  EXPECT_GE(c.Sum("sg_coordinator_rpcs_total", {"method=\"ClaimJobs\"", "code=\"OK\""}), 1);

  ::kill(coordinator, SIGTERM);
  EXPECT_EQ(sg_test::WaitExit(coordinator, std::chrono::seconds(30)), 0);
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
