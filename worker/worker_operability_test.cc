// sg-worker's /metrics exposition and --exit-when-idle, over the real daemon with a fake
// coordinator, fake trainer children (the test writes their metrics.jsonl) and a fake clock.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/prometheus_parse.h"
#include "worker/fake_coordinator.h"
#include "worker/idle_exit.h"
#include "worker/worker_daemon.h"
#include "worker/worker_metrics.h"

namespace sg {
namespace {

namespace fs = std::filesystem;

std::string OutDir(const LaunchOptions& o) {
  for (size_t i = 0; i + 1 < o.argv.size(); ++i) {
    if (o.argv[i] == "--out") return o.argv[i + 1];
  }
  return "";
}

class WorkerOperabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sg_worker_ops_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    options_.hostname = "node1";
    options_.devices = {DeviceSlotSpec{"cpu", int64_t{3} << 30, 1, 2}};
    options_.work_dir = (dir_ / "work").string();
    options_.checkpoint_dir = (dir_ / "ckpt").string();
    options_.sg_train = "/opt/sg-train";
    options_.flush_interval_ms = 0;
    daemon_ = std::make_unique<WorkerDaemon>(options_, &coord_, &launcher_, &clock_);
    ASSERT_TRUE(daemon_->Init().ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Ticks n times, `step_ms` apart, observing idleness and updating the metrics as main() does.
  bool Run(int n, int64_t step_ms = 100) {
    for (int i = 0; i < n; ++i) {
      clock_.AdvanceMillis(step_ms);
      daemon_->Tick();
      const bool exit = idle_.Observe(*daemon_);
      metrics_.Update(*daemon_, idle_.idle_ms());
      if (exit) return true;
    }
    return false;
  }
  ParsedExposition Scrape() {
    absl::StatusOr<ParsedExposition> parsed = ParseExposition(metrics_.Render());
    EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << metrics_.Render();
    return parsed.ok() ? *parsed : ParsedExposition{};
  }

  fs::path dir_;
  WorkerDaemonOptions options_;
  FakeCoordinator coord_;
  FakeLauncher launcher_;
  FakeClock clock_;
  std::unique_ptr<WorkerDaemon> daemon_;
  IdleExit idle_{5'000, &clock_};
  WorkerMetrics metrics_;
};

TEST_F(WorkerOperabilityTest, MetricsFollowAPackThroughItsLife) {
  Run(1);
  ParsedExposition empty = Scrape();
  EXPECT_EQ(empty.types["sg_worker_packs"], "gauge");
  EXPECT_EQ(empty.Sum("sg_worker_packs", {"device=\"cpu\""}), 0);
  EXPECT_EQ(empty.Sum("sg_worker_device_memory_bytes", {"device=\"cpu\""}), 3.0 * (1 << 30));
  EXPECT_EQ(empty.Sum("sg_worker_registered"), 1);

  coord_.AddRun(1, 0);
  coord_.AddRun(2, 1);
  Run(1, 1000);  // after an empty claim the daemon asks again one claim interval later
  ASSERT_EQ(launcher_.children.size(), 1u);
  ParsedExposition running = Scrape();
  EXPECT_EQ(running.Sum("sg_worker_packs", {"device=\"cpu\""}), 1);
  EXPECT_EQ(running.Sum("sg_worker_runs", {"device=\"cpu\""}), 2);
  EXPECT_EQ(running.Sum("sg_worker_packs_started_total", {"device=\"cpu\""}), 1);

  // The trainer reports steps; the coordinator is away, so the points wait in the spool.
  coord_.down = true;
  const std::string metrics = OutDir(launcher_.children[0]->options) + "/metrics.jsonl";
  std::ofstream(metrics, std::ios::app)
      << "{\"seed\":0,\"step\":10,\"metric\":\"val_acc\",\"value\":0.5}\n"
      << "{\"seed\":1,\"step\":10,\"metric\":\"val_acc\",\"value\":0.5}\n";
  Run(3);
  EXPECT_EQ(Scrape().Sum("sg_worker_spool_points"), 2);
  coord_.down = false;
  // Heartbeats carry the speed estimate; let a few pass while the trainer advances.
  for (int step = 20; step <= 200; step += 10) {
    std::ofstream(metrics, std::ios::app)
        << "{\"seed\":0,\"step\":" << step << ",\"metric\":\"train_loss\",\"value\":1}\n"
        << "{\"seed\":1,\"step\":" << step << ",\"metric\":\"train_loss\",\"value\":1}\n";
    Run(10, 1000);
  }
  ParsedExposition training = Scrape();
  EXPECT_EQ(training.Sum("sg_worker_spool_points"), 0);
  EXPECT_GT(training.Sum("sg_worker_model_steps_per_second", {"device=\"cpu\""}), 0);

  launcher_.children[0]->exit = ExitInfo{false, 0, 0};
  Run(10, 1000);
  ParsedExposition done = Scrape();
  EXPECT_EQ(done.Sum("sg_worker_packs", {"device=\"cpu\""}), 0);
  EXPECT_EQ(done.Sum("sg_worker_packs_started_total", {"device=\"cpu\""}), 1);
  EXPECT_EQ(coord_.runs[1].state, "succeeded");
}

TEST_F(WorkerOperabilityTest, ExitsWhenIdleForTheLimitAndWorkResetsTheCount) {
  coord_.AddRun(1, 0);
  EXPECT_FALSE(Run(1));
  ASSERT_EQ(daemon_->active_packs(), 1);
  // Busy for far longer than the limit: never idle.
  EXPECT_FALSE(Run(20, 1000));
  EXPECT_EQ(idle_.idle_ms(), 0);
  launcher_.children[0]->exit = ExitInfo{false, 0, 0};
  EXPECT_FALSE(Run(2, 1000));  // the pack ends; the queue is empty
  EXPECT_EQ(daemon_->active_packs(), 0);
  EXPECT_FALSE(Run(2, 1000));
  EXPECT_GT(idle_.idle_ms(), 0);
  EXPECT_GT(Scrape().Sum("sg_worker_idle_seconds"), 0);

  // New work before the limit resets the count.
  coord_.AddRun(2, 1);
  EXPECT_FALSE(Run(1, 1000));
  EXPECT_EQ(daemon_->active_packs(), 1);
  EXPECT_EQ(idle_.idle_ms(), 0);
  launcher_.children[1]->exit = ExitInfo{false, 0, 0};
  EXPECT_FALSE(Run(2, 1000));
  ASSERT_EQ(daemon_->active_packs(), 0);

  // Idle for the whole limit: exit. Not a moment earlier.
  int ticks = 0;
  while (!Run(1, 500)) {
    ASSERT_LT(++ticks, 100) << "never asked to exit";
  }
  EXPECT_GE(idle_.idle_ms(), 5'000);
  EXPECT_LE(idle_.idle_ms(), 5'500);
  EXPECT_EQ(coord_.runs[2].state, "succeeded");
}

TEST(IdleExitTest, AZeroLimitNeverExits) {
  FakeClock clock;
  FakeCoordinator coord;
  FakeLauncher launcher;
  WorkerDaemonOptions options;
  options.hostname = "n";
  options.devices = {DeviceSlotSpec{"cpu", 1 << 30, 1, 2}};
  options.work_dir = (fs::temp_directory_path() / ("sg_idle_zero_" + std::to_string(::getpid()))).string();
  options.checkpoint_dir = options.work_dir + "/ckpt";
  WorkerDaemon daemon(options, &coord, &launcher, &clock);
  ASSERT_TRUE(daemon.Init().ok());
  IdleExit idle(0, &clock);
  for (int i = 0; i < 100; ++i) {
    clock.AdvanceMillis(60'000);
    daemon.Tick();
    EXPECT_FALSE(idle.Observe(daemon));
  }
  fs::remove_all(options.work_dir);
}

}  // namespace
}  // namespace sg
