// The daemon's scheduling, streaming and lease handling, with a fake coordinator, fake trainer
// children (the test writes their metrics.jsonl) and a fake clock. Real files: the spool and
// the trainer's output live in a temporary folder.
#include "worker/worker_daemon.h"

#include <unistd.h>

#include <filesystem>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "common/run_config.h"
#include "trainer/api/checkpoint_file.h"
#include "trainer/api/pack_memory.h"
#include "trainer/api/train_options.h"
#include "worker/device_info.h"
#include "worker/fake_coordinator.h"
#include "worker/worker_metrics.h"

namespace sg {
namespace {

namespace fs = std::filesystem;

std::string Arg(const LaunchOptions& o, const std::string& flag) {
  for (size_t i = 0; i + 1 < o.argv.size(); ++i) {
    if (o.argv[i] == flag) return o.argv[i + 1];
  }
  return "";
}

void AppendText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::app);
  out << text;
}

std::string PointLine(int64_t seed, int64_t step, const std::string& metric, double value) {
  return "{\"seed\":" + std::to_string(seed) + ",\"step\":" + std::to_string(step) +
         ",\"metric\":\"" + metric + "\",\"value\":" + std::to_string(value) + "}\n";
}

// The stored config of the fake's runs: a Dyck sweep's depth=1 cell, resolved as at submit.
std::string DyckConfigJson() {
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec("name: t\ntask: dyck\nseeds: 5\n", "t.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<RunConfig> config = ResolveRunConfig(*spec, GridCell{{"depth", 1}});
  EXPECT_TRUE(config.ok()) << config.status();
  return RunConfigJson(*config);
}

// A checkpoint as sg-train writes it for run `run_id` (seed `seed`) of the fake's sweep 7.
std::string WriteCkpt(const std::string& dir, int64_t step, const std::string& payload,
                      int64_t run_id, int64_t seed, int64_t sweep_id = 7) {
  fs::create_directories(dir);
  CheckpointIdentity id;
  id.known = true;
  id.sweep_id = sweep_id;
  id.run_id = run_id;
  id.seed = seed;
  absl::StatusOr<std::string> path = WriteCheckpointFile(dir, step, payload, 2, id);
  EXPECT_TRUE(path.ok()) << path.status();
  return path.ok() ? *path : "";
}

std::string Payload(const std::string& path) {
  absl::StatusOr<CheckpointContents> c = ReadCheckpointFile(path);
  return c.ok() ? c->payload : std::string(c.status().message());
}

class WorkerDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sg_worker_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    options_.hostname = "node1";
    options_.devices = {DeviceSlotSpec{"cpu", 1 << 30, 1, 2}};
    options_.work_dir = (dir_ / "work").string();
    options_.checkpoint_dir = (dir_ / "ckpt").string();
    options_.sg_train = "/opt/sg-train";
    options_.flush_interval_ms = 0;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<WorkerDaemon> NewDaemon() {
    auto d = std::make_unique<WorkerDaemon>(options_, &coord_, &launcher_, &clock_);
    EXPECT_TRUE(d->Init().ok());
    return d;
  }
  // Ticks n times, advancing the clock by step_ms before each.
  void Run(WorkerDaemon* d, int n, int64_t step_ms = 100) {
    for (int i = 0; i < n; ++i) {
      clock_.AdvanceMillis(step_ms);
      d->Tick();
    }
  }
  std::string Out(size_t child) { return Arg(launcher_.children[child]->options, "--out"); }

  fs::path dir_;
  WorkerDaemonOptions options_;
  FakeCoordinator coord_;
  FakeLauncher launcher_;
  FakeClock clock_;
};

TEST_F(WorkerDaemonTest, ClaimsPackAndLaunchesTrainerWithItsSeeds) {
  coord_.AddRun(1, 0);
  coord_.AddRun(2, 1);
  coord_.AddRun(3, 2);
  auto d = NewDaemon();
  Run(d.get(), 1);
  ASSERT_TRUE(d->registered());
  ASSERT_EQ(launcher_.children.size(), 1u);  // one slot: one pack of pack_size 2
  const LaunchOptions& o = launcher_.children[0]->options;
  EXPECT_EQ(o.argv[0], "/opt/sg-train");
  EXPECT_EQ(Arg(o, "--cell"), "depth=1");
  EXPECT_EQ(Arg(o, "--seeds"), "0,1");
  // The command line is sg-train's own (trainer/api): parsed back, it says what the pack is.
  absl::StatusOr<TrainPackOptions> parsed =
      ParseTrainArgs(std::vector<std::string>(o.argv.begin() + 1, o.argv.end()));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(ValidateTrainOptions(*parsed).ok());
  EXPECT_EQ(parsed->device, "cpu");
  EXPECT_EQ(parsed->seeds, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(parsed->run_ids, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(parsed->sweep_id, 7);
  EXPECT_EQ(fs::path(Out(0)).parent_path(), dir_ / "ckpt" / "sweep-7" / "depth=1" / "seeds-0_1");
  EXPECT_EQ(fs::path(Out(0)).filename().string().rfind("attempt-", 0), 0u);
  std::ifstream spec(Arg(o, "--spec"));
  std::string first;
  std::getline(spec, first);
  EXPECT_EQ(first, "name: t");
  EXPECT_EQ(coord_.claim_log.at(0).max_runs(), 2);
  EXPECT_EQ(coord_.runs[3].state, "queued");
}

TEST_F(WorkerDaemonTest, TrainerReadsTheStoredConfigNotTheSpec) {
  coord_.resolved_config_json = DyckConfigJson();
  coord_.spec_yaml = "this: is not a spec";  // nothing may read it
  coord_.AddRun(1, 0);
  auto d = NewDaemon();
  Run(d.get(), 1);
  ASSERT_EQ(launcher_.children.size(), 1u);
  const LaunchOptions& o = launcher_.children[0]->options;
  EXPECT_EQ(Arg(o, "--spec"), "");
  EXPECT_EQ(Arg(o, "--cell"), "");
  std::ifstream config(Arg(o, "--config"));
  std::string text((std::istreambuf_iterator<char>(config)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, DyckConfigJson());
  EXPECT_EQ(Arg(o, "--sweep-id"), "7");
  EXPECT_EQ(Arg(o, "--run-ids"), "1");
}

TEST_F(WorkerDaemonTest, StreamsPointsMappedBySeedAndWaitsForPartialLines) {
  coord_.AddRun(1, 0);
  coord_.AddRun(2, 5);
  auto d = NewDaemon();
  Run(d.get(), 1);
  const std::string metrics = Out(0) + "/metrics.jsonl";
  AppendText(metrics, PointLine(0, 10, "train_loss", 2.5) + PointLine(5, 10, "train_loss", 2.25) +
                          "{\"seed\":5,\"step\":20,\"met");
  Run(d.get(), 2);
  EXPECT_EQ(coord_.points.size(), 2u);
  EXPECT_EQ((coord_.points[{1, "train_loss", 10}]), 2.5);
  EXPECT_EQ((coord_.points[{2, "train_loss", 10}]), 2.25);
  AppendText(metrics, "ric\":\"val_acc\",\"value\":0.5}\n");
  Run(d.get(), 2);
  EXPECT_EQ(coord_.points.size(), 3u);
  EXPECT_EQ((coord_.points[{2, "val_acc", 20}]), 0.5);
  EXPECT_EQ(d->pending_points(), 0);
}

TEST_F(WorkerDaemonTest, KeepsPointsWhileCoordinatorIsDownAndReportsCheckpointAfterAck) {
  coord_.AddRun(1, 0);
  auto d = NewDaemon();
  Run(d.get(), 1);
  coord_.down = true;
  AppendText(Out(0) + "/metrics.jsonl", PointLine(0, 100, "val_loss", 1.0));
  AppendText(Out(0) + "/events.jsonl", "{\"event\":\"checkpoint\",\"step\":100,\"path\":\"/x/ckpt\"}\n");
  Run(d.get(), 20, 500);
  EXPECT_EQ(coord_.points.size(), 0u);
  EXPECT_EQ(d->pending_points(), 1);
  // The point is on disk, in the spool, before it was ever acknowledged.
  int64_t spooled_lines = 0;
  for (const auto& e : fs::directory_iterator(fs::path(options_.work_dir) / "spool")) {
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) ++spooled_lines;
  }
  EXPECT_EQ(spooled_lines, 1);
  EXPECT_EQ(coord_.runs[1].checkpoint_step, 0);
  coord_.down = false;
  Run(d.get(), 20, 500);
  EXPECT_EQ((coord_.points[{1, "val_loss", 100}]), 1.0);
  EXPECT_EQ(d->pending_points(), 0);
  EXPECT_EQ(coord_.runs[1].checkpoint_step, 100);
  EXPECT_EQ(coord_.runs[1].checkpoint_path, "/x/ckpt");
}

TEST_F(WorkerDaemonTest, PerRunCheckpointsResumeARunInAnotherPack) {
  coord_.AddRun(1, 0);
  coord_.AddRun(2, 1);
  auto d = NewDaemon();
  Run(d.get(), 1);
  const std::string first = Out(0);
  EXPECT_EQ(Arg(launcher_.children[0]->options, "--seed-checkpoint-dirs"),
            "0=" + first + "/run-1,1=" + first + "/run-2");
  // What sg-train --seed-checkpoint-dirs writes: one file per run folder, one event.
  AppendText(first + "/metrics.jsonl", PointLine(0, 20, "val_acc", 0.25) + PointLine(1, 20, "val_acc", 0.5));
  WriteCkpt(first + "/run-1", 20, "seed0", 1, 0);
  WriteCkpt(first + "/run-2", 20, "seed1", 2, 1);
  AppendText(first + "/events.jsonl",
             "{\"event\":\"checkpoint\",\"step\":20,\"path\":\"" + first + "/run-1\",\"seed_paths\":[\"" +
                 first + "/run-1/ckpt-000000000020.pt\",\"" + first + "/run-2/ckpt-000000000020.pt\"]}\n");
  Run(d.get(), 3);
  ASSERT_EQ(coord_.runs[1].checkpoint_step, 20);
  EXPECT_EQ(coord_.runs[1].checkpoint_path, first + "/run-1/ckpt-000000000020.pt");
  EXPECT_EQ(coord_.runs[2].checkpoint_path, first + "/run-2/ckpt-000000000020.pt");
  d.reset();  // killed
  coord_.ExpireLease(1);
  coord_.ExpireLease(2);
  fs::remove_all(options_.work_dir);
  // Packs of one now: run 2 (seed 1) resumes alone from its own file.
  options_.devices = {DeviceSlotSpec{"cpu", 1 << 30, 1, 1}};
  coord_.runs.erase(1);
  auto d2 = NewDaemon();
  Run(d2.get(), 1);
  ASSERT_EQ(launcher_.children.size(), 2u);
  EXPECT_EQ(Arg(launcher_.children[1]->options, "--seeds"), "1");
  EXPECT_EQ(Arg(launcher_.children[1]->options, "--run-ids"), "2");
  EXPECT_EQ(Payload(Out(1) + "/run-2/ckpt-000000000020.pt"), "seed1");
  Run(d2.get(), 3);
  EXPECT_EQ((coord_.points[{2, "val_acc", 20}]), 0.5);
}

TEST_F(WorkerDaemonTest, ClaimWithDifferentResumeStepsGetsOneTrainerPerStep) {
  coord_.AddRun(1, 0);
  coord_.AddRun(2, 1);
  const fs::path old_run = dir_ / "ckpt/sweep-7/depth=1/seeds-0_5/attempt-1/run-1";
  WriteCkpt(old_run.string(), 20, "seed0", 1, 0);
  coord_.runs[1].checkpoint_step = 20;
  coord_.runs[1].checkpoint_path = (old_run / "ckpt-000000000020.pt").string();
  auto d = NewDaemon();
  Run(d.get(), 1);
  ASSERT_EQ(launcher_.children.size(), 2u);  // run 2 has no checkpoint: its own trainer
  std::map<std::string, std::string> out_by_seeds;
  for (const auto& child : launcher_.children) {
    out_by_seeds[Arg(child->options, "--seeds")] = Arg(child->options, "--out");
  }
  ASSERT_EQ(out_by_seeds.count("0"), 1u);
  ASSERT_EQ(out_by_seeds.count("1"), 1u);
  EXPECT_EQ(Payload(out_by_seeds["0"] + "/run-1/ckpt-000000000020.pt"), "seed0");
  EXPECT_TRUE(fs::is_empty(out_by_seeds["1"]));
  Run(d.get(), 1);
  EXPECT_EQ(launcher_.children.size(), 2u);  // the slot is busy while either runs
}

// A whole-pack checkpoint of an older sg-train (no run in its header) is not resumed from.
TEST_F(WorkerDaemonTest, CheckpointWithoutItsRunInTheHeaderStartsFromZero) {
  coord_.AddRun(1, 0);
  coord_.runs[1].checkpoint_step = 20;
  coord_.runs[1].checkpoint_path = (dir_ / "ckpt/sweep-7/depth=1/seeds-0_5/attempt-1/ckpt-000000000020.pt").string();
  fs::create_directories(fs::path(coord_.runs[1].checkpoint_path).parent_path());
  AppendText(coord_.runs[1].checkpoint_path, "x");
  auto d = NewDaemon();
  Run(d.get(), 1);
  ASSERT_EQ(launcher_.children.size(), 1u);
  EXPECT_TRUE(fs::is_empty(Out(0)));
}

TEST_F(WorkerDaemonTest, APackThatReleasedItsDeviceMakesWayForTheNextWhileItFinishes) {
  // One slot, packs of two, four runs: the second pack waits for the first's slot.
  for (int i = 1; i <= 4; ++i) coord_.AddRun(i, i - 1);
  auto d = NewDaemon();
  Run(d.get(), 3);
  ASSERT_EQ(launcher_.children.size(), 1u);
  // sg-train's end: the last step's points, then "released" (its device memory given back)
  // while the last checkpoint is written; no exit yet.
  AppendText(Out(0) + "/metrics.jsonl",
             PointLine(0, 50, "val_acc", 1) + PointLine(1, 50, "val_acc", 1));
  AppendText(Out(0) + "/events.jsonl", "{\"event\":\"released\",\"step\":50}\n");
  Run(d.get(), 3);
  ASSERT_EQ(launcher_.children.size(), 2u) << "the slot is free once the device is released";
  EXPECT_EQ(Arg(launcher_.children[1]->options, "--seeds"), "2,3");
  EXPECT_EQ(coord_.runs[1].state, "running");  // the first pack keeps its runs until it ends
  EXPECT_EQ(d->active_packs(), 2);
  // Its checkpoint and "done", then its exit: its runs complete as usual.
  AppendText(Out(0) + "/events.jsonl",
             "{\"event\":\"checkpoint\",\"step\":50,\"path\":\"/x/ckpt\"}\n"
             "{\"event\":\"done\",\"step\":50}\n");
  launcher_.children[0]->exit = ExitInfo{false, 0, 0};
  Run(d.get(), 10, 1000);
  EXPECT_EQ(coord_.runs[1].state, "succeeded");
  EXPECT_EQ(coord_.runs[2].state, "succeeded");
  EXPECT_EQ(coord_.runs[1].checkpoint_step, 50);
  EXPECT_EQ(coord_.runs[3].state, "running");
  EXPECT_EQ(launcher_.children.size(), 2u);
  EXPECT_EQ(d->active_packs(), 1);
}

TEST_F(WorkerDaemonTest, CompletesRunsAfterTheirPointsOnCleanExit) {
  coord_.AddRun(1, 0);
  coord_.AddRun(2, 1);
  auto d = NewDaemon();
  Run(d.get(), 1);
  coord_.down = true;
  AppendText(Out(0) + "/metrics.jsonl", PointLine(0, 50, "val_acc", 1) + PointLine(1, 50, "val_acc", 1));
  launcher_.children[0]->exit = ExitInfo{false, 0, 0};
  Run(d.get(), 5);
  EXPECT_EQ(coord_.runs[1].state, "running");  // points not yet acked: not completed
  coord_.down = false;
  Run(d.get(), 10, 1000);
  EXPECT_EQ(coord_.runs[1].state, "succeeded");
  EXPECT_EQ(coord_.runs[2].state, "succeeded");
  EXPECT_EQ(coord_.points.size(), 2u);
  EXPECT_EQ(d->active_packs(), 0);
}

TEST_F(WorkerDaemonTest, FailsRunsRetryablyWithTheTrainersStderr) {
  coord_.AddRun(1, 0);
  auto d = NewDaemon();
  Run(d.get(), 1);
  AppendText(launcher_.children[0]->options.stderr_path, "loading data\nboom: out of cheese\n");
  launcher_.children[0]->exit = ExitInfo{false, 1, 0};
  Run(d.get(), 1);
  EXPECT_NE(coord_.runs[1].last_error.find("exit code 1"), std::string::npos);
  EXPECT_NE(coord_.runs[1].last_error.find("boom: out of cheese"), std::string::npos);
  // The fake re-queues at once (no backoff): the freed slot claims the run again.
  EXPECT_EQ(launcher_.children.size(), 2u);
  EXPECT_EQ(coord_.runs[1].state, "running");
}

TEST_F(WorkerDaemonTest, BadInputFailsTheRunAtOnceWithSgTrainsMessage) {
  coord_.AddRun(1, 0);
  auto d = NewDaemon();
  Run(d.get(), 1);
  AppendText(launcher_.children[0]->options.stderr_path,
             "loading\nsg-train: INVALID_ARGUMENT: spec.yaml:4: train.lr: must be a number > 0\n");
  launcher_.children[0]->exit = ExitInfo{false, 2, 0};
  Run(d.get(), 5);
  EXPECT_EQ(coord_.runs[1].state, "failed");  // not re-queued: the same input fails again
  EXPECT_EQ(coord_.runs[1].last_error,
            "sg-train: INVALID_ARGUMENT: spec.yaml:4: train.lr: must be a number > 0");
  EXPECT_EQ(launcher_.children.size(), 1u);
}

TEST_F(WorkerDaemonTest, OutOfMemoryRetriesTheCellWithHalfThePack) {
  options_.devices = {DeviceSlotSpec{"cpu", 1 << 30, 1, 4}};
  for (int i = 1; i <= 4; ++i) coord_.AddRun(i, i - 1);
  auto d = NewDaemon();
  Run(d.get(), 1);
  ASSERT_EQ(launcher_.children.size(), 1u);
  EXPECT_EQ(Arg(launcher_.children[0]->options, "--seeds"), "0,1,2,3");
  launcher_.children[0]->exit = ExitInfo{false, 3, 0};
  Run(d.get(), 2);
  // Released, not failed: no run lost an attempt; the next pack of the cell has two seeds.
  for (int id = 1; id <= 4; ++id) EXPECT_TRUE(coord_.runs[id].last_error.empty()) << id;
  ASSERT_EQ(launcher_.children.size(), 2u);
  EXPECT_EQ(Arg(launcher_.children[1]->options, "--seeds"), "0,1");
  launcher_.children[1]->exit = ExitInfo{false, 3, 0};
  Run(d.get(), 2);
  ASSERT_EQ(launcher_.children.size(), 3u);
  EXPECT_EQ(Arg(launcher_.children[2]->options, "--seeds"), "0");
  // One seed alone does not fit: that is a failure, counted (the fake re-queues it).
  launcher_.children[2]->exit = ExitInfo{false, 3, 0};
  Run(d.get(), 1);
  EXPECT_NE(coord_.runs[1].last_error.find("exit code 3"), std::string::npos);
}

TEST_F(WorkerDaemonTest, NonFinitePointsReachTheCoordinator) {
  coord_.AddRun(1, 0);
  auto d = NewDaemon();
  Run(d.get(), 1);
  AppendText(Out(0) + "/metrics.jsonl",
             "{\"metric\":\"train_loss\",\"seed\":0,\"step\":10,\"value\":\"NaN\"}\n"
             "{\"metric\":\"train_loss\",\"seed\":0,\"step\":20,\"value\":\"Infinity\"}\n"
             "{\"metric\":\"grad_norm\",\"seed\":0,\"step\":20,\"value\":\"-Infinity\"}\n");
  Run(d.get(), 3);
  ASSERT_EQ(coord_.points.size(), 3u);
  EXPECT_TRUE(std::isnan(coord_.points[{1, "train_loss", 10}]));
  EXPECT_EQ((coord_.points[{1, "train_loss", 20}]), std::numeric_limits<double>::infinity());
  EXPECT_EQ((coord_.points[{1, "grad_norm", 20}]), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(d->pending_points(), 0);
}

TEST_F(WorkerDaemonTest, WeightsOnlyCheckpointsAreNeverResumedFrom) {
  coord_.AddRun(1, 0);
  options_.devices = {DeviceSlotSpec{"cpu", 1 << 30, 1, 3}};
  // The run's committed checkpoint is an analysis file (train.keep_checkpoints: all, thinned):
  // its own run and seed, but no optimizer state, so the run starts afresh.
  const std::string own = (dir_ / "ckpt/sweep-7/depth=1/seeds-0/attempt-1/run-1").string();
  fs::create_directories(own);
  CheckpointIdentity id;
  id.known = true;
  id.sweep_id = 7;
  id.run_id = 1;
  id.seed = 0;
  absl::StatusOr<std::string> path =
      WriteCheckpointFile(own, 20, "weights", 2, id, CheckpointContent::kWeightsOnly);
  ASSERT_TRUE(path.ok()) << path.status();
  coord_.runs[1].checkpoint_step = 20;
  coord_.runs[1].checkpoint_path = *path;
  auto d = NewDaemon();
  Run(d.get(), 1);
  ASSERT_EQ(launcher_.children.size(), 1u);
  EXPECT_TRUE(fs::is_empty(Out(0)));  // nothing to resume from was placed in the new folder
}

TEST_F(WorkerDaemonTest, PlantedCheckpointsAreRefusedAndTheRunsOwnIsUsed) {
  coord_.AddRun(1, 0);
  coord_.AddRun(2, 1);
  coord_.AddRun(3, 2);
  options_.devices = {DeviceSlotSpec{"cpu", 1 << 30, 1, 3}};
  const std::string root = (dir_ / "ckpt").string();
  // Run 1: its folder holds an honest file at 20 and, newer, one that names run 9.
  const std::string own = root + "/sweep-7/depth=1/seeds-0/attempt-1/run-1";
  WriteCkpt(own, 20, "mine", 1, 0);
  const std::string planted = WriteCkpt(own, 40, "theirs", 9, 0);
  coord_.runs[1].checkpoint_step = 40;
  coord_.runs[1].checkpoint_path = planted;
  // Run 2: a path outside the checkpoint root.
  const std::string outside = WriteCkpt((dir_ / "elsewhere/run-2").string(), 30, "x", 2, 1);
  coord_.runs[2].checkpoint_step = 30;
  coord_.runs[2].checkpoint_path = outside;
  // Run 3: right folder and run, another sweep.
  const std::string other_sweep = WriteCkpt(root + "/sweep-7/depth=1/seeds-2/attempt-1/run-3",
                                            30, "x", 3, 2, /*sweep_id=*/8);
  coord_.runs[3].checkpoint_step = 30;
  coord_.runs[3].checkpoint_path = other_sweep;
  auto d = NewDaemon();
  Run(d.get(), 1);
  ASSERT_EQ(launcher_.children.size(), 1u);  // every run refused its checkpoint: one pack
  EXPECT_EQ(Arg(launcher_.children[0]->options, "--run-ids"), "1,2,3");
  // The committed step (40) is the planted one: nothing at or after it is run 1's own.
  EXPECT_TRUE(fs::is_empty(Out(0)));
  coord_.runs[1].checkpoint_step = 20;  // as committed before the plant
  launcher_.children[0]->exit = ExitInfo{false, 143, 0};
  Run(d.get(), 3);
  // Released (stopped by a signal we did not send); run 1 resumes from its own file in a pack
  // of its own, runs 2 and 3 start afresh in another.
  ASSERT_EQ(launcher_.children.size(), 3u);
  bool resumed = false;
  for (const auto& child : launcher_.children) {
    if (Arg(child->options, "--run-ids") != "1") continue;
    const std::string f = Arg(child->options, "--out") + "/run-1/ckpt-000000000020.pt";
    if (fs::exists(f)) resumed = Payload(f) == "mine";
  }
  EXPECT_TRUE(resumed);
  for (const auto& child : launcher_.children) {
    const std::string out = Arg(child->options, "--out");
    EXPECT_FALSE(fs::exists(out + "/run-2")) << "run 2 resumed from outside the root";
    EXPECT_FALSE(fs::exists(out + "/run-3")) << "run 3 resumed from another sweep's file";
  }
}

TEST_F(WorkerDaemonTest, ExtraTrainArgsAreCheckedAndPassedOn) {
  options_.extra_train_args = {"--eval-memory-mb", "64", "--threads", "2"};
  coord_.AddRun(1, 0);
  auto d = NewDaemon();
  Run(d.get(), 1);
  ASSERT_EQ(launcher_.children.size(), 1u);
  EXPECT_EQ(Arg(launcher_.children[0]->options, "--eval-memory-mb"), "64");
  EXPECT_EQ(Arg(launcher_.children[0]->options, "--threads"), "2");
  for (std::vector<std::string> bad : {std::vector<std::string>{"--seeds", "1"},
                                       std::vector<std::string>{"--bogus"},
                                       std::vector<std::string>{"--out=/x"}}) {
    options_.extra_train_args = bad;
    WorkerDaemon other(options_, &coord_, &launcher_, &clock_);
    absl::Status s = other.Init();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad[0];
    EXPECT_NE(s.message().find("--train-args"), absl::string_view::npos) << s;
  }
}

// The worker's own disk is full: the spool cannot take the trainer's points, so the daemon stops
// the trainer (it checkpoints) and releases its runs instead of training on and losing them;
// the points stay in the attempt's metrics.jsonl for the resumed attempt to re-send.
TEST_F(WorkerDaemonTest, FullLocalDiskStopsThePackAndReleasesItsRuns) {
  const fs::path work = options_.work_dir;
  fs::create_directories(work);
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs as the work dir";
  if (std::system(("mount -t tmpfs -o size=128k tmpfs " + work.string()).c_str()) != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (no CAP_SYS_ADMIN)";
  }
  struct Unmount {
    std::string path;
    ~Unmount() { (void)std::system(("umount -l " + path).c_str()); }
  } unmount{work.string()};
  coord_.AddRun(1, 0);
  auto d = NewDaemon();
  Run(d.get(), 1);
  ASSERT_EQ(launcher_.children.size(), 1u);
  {
    std::ofstream filler(work / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), block.size())) {
    }
  }
  AppendText(Out(0) + "/metrics.jsonl", PointLine(0, 10, "train_loss", 2.5) +
                                            PointLine(0, 20, "train_loss", 2.0));
  Run(d.get(), 3);
  EXPECT_EQ(launcher_.children[0]->signals, std::vector<int>{SIGTERM});
  EXPECT_EQ(coord_.runs[1].state, "queued");  // released: no attempt counted, nothing failed
  EXPECT_TRUE(coord_.runs[1].last_error.empty());
  EXPECT_EQ(coord_.points.size(), 0u);  // never sent unspooled
  EXPECT_EQ(d->active_packs(), 0);
  EXPECT_EQ(launcher_.children.size(), 1u);  // and no new pack onto the full disk for a while
}

TEST_F(WorkerDaemonTest, LaunchFailureFailsTheAttempt) {
  coord_.AddRun(1, 0);
  launcher_.fail_start = true;
  auto d = NewDaemon();
  Run(d.get(), 2);
  EXPECT_NE(coord_.runs[1].last_error.find("not found"), std::string::npos);
}

TEST_F(WorkerDaemonTest, HeartbeatsCarryStepAndSpeed) {
  coord_.AddRun(1, 0);
  auto d = NewDaemon();
  Run(d.get(), 1);
  AppendText(Out(0) + "/metrics.jsonl", PointLine(0, 100, "train_loss", 1.0));
  Run(d.get(), 10, 100);  // one heartbeat period (1000 ms) passes
  AppendText(Out(0) + "/metrics.jsonl", PointLine(0, 300, "train_loss", 1.0));
  Run(d.get(), 10, 100);
  ASSERT_GE(coord_.heartbeats, 2);
  EXPECT_EQ(coord_.runs[1].step, 300);
  EXPECT_GT(coord_.runs[1].steps_per_second, 0);
  const v1::HeartbeatRequest& last = coord_.heartbeat_log.back();
  ASSERT_EQ(last.progress_size(), 1);
  EXPECT_EQ(last.progress(0).step(), 300);
}

// Points that cannot be stored (the coordinator's disk is full) keep the shared backoff busy;
// the heartbeats still go out once a period, so the leases are kept through the outage. CI once
// saw every lease of a sweep expire this way: the flush always went first and failed again.
TEST_F(WorkerDaemonTest, HeartbeatsKeepTheLeasesWhilePointsCannotBeStored) {
  coord_.AddRun(1, 0);
  auto d = NewDaemon();
  Run(d.get(), 1);
  coord_.metrics_down = true;
  const int64_t before = coord_.heartbeats;
  for (int second = 1; second <= 20; ++second) {
    AppendText(Out(0) + "/metrics.jsonl", PointLine(0, second, "train_loss", 1.0));
    Run(d.get(), 10, 100);
  }
  // One heartbeat a second (the fake's period) over 20 s, give or take the first.
  EXPECT_GE(coord_.heartbeats - before, 18);
  EXPECT_EQ(coord_.PointsOf(1), 0u);
  coord_.metrics_down = false;
  Run(d.get(), 60, 100);
  EXPECT_EQ(coord_.PointsOf(1), 20u);  // all kept, all delivered
}

TEST_F(WorkerDaemonTest, LostRunStopsReportingAndAllLostStopsTheTrainer) {
  coord_.AddRun(1, 0);
  coord_.AddRun(2, 1);
  auto d = NewDaemon();
  Run(d.get(), 1);
  coord_.ExpireLease(1);
  coord_.runs[1].state = "running";
  coord_.runs[1].token = "someone-else";
  Run(d.get(), 12, 100);  // a heartbeat reports run 1 lost
  AppendText(Out(0) + "/metrics.jsonl", PointLine(0, 10, "val_acc", 1) + PointLine(1, 10, "val_acc", 1));
  Run(d.get(), 2);
  EXPECT_EQ(coord_.PointsOf(1), 0u);
  EXPECT_EQ(coord_.PointsOf(2), 1u);
  EXPECT_TRUE(launcher_.children[0]->signals.empty());  // run 2 is still ours: keep training
  coord_.Cancel(2);
  launcher_.children[0]->exit_on_sigterm.reset();  // a trainer that ignores SIGTERM
  Run(d.get(), 12, 100);
  ASSERT_EQ(launcher_.children[0]->signals.size(), 1u);
  EXPECT_EQ(launcher_.children[0]->signals[0], 15);
  Run(d.get(), 40, 1000);  // the 30 s grace period passes
  EXPECT_EQ(launcher_.children[0]->signals.back(), 9);
  EXPECT_EQ(d->active_packs(), 0);
  EXPECT_EQ(coord_.runs[1].token, "someone-else");  // nothing was written with the stale lease
}

TEST_F(WorkerDaemonTest, StalePointsInAMixedBatchAreDroppedAndTheRestStored) {
  coord_.AddRun(1, 0);
  coord_.AddRun(2, 1);
  auto d = NewDaemon();
  Run(d.get(), 1);
  coord_.runs[1].token = "someone-else";  // lost, and the daemon has not heard yet
  AppendText(Out(0) + "/metrics.jsonl", PointLine(0, 10, "val_acc", 1) + PointLine(1, 10, "val_acc", 1));
  Run(d.get(), 2);
  EXPECT_EQ(coord_.PointsOf(1), 0u);
  EXPECT_EQ(coord_.PointsOf(2), 1u);
  EXPECT_EQ(d->pending_points(), 0);
}

TEST_F(WorkerDaemonTest, ShutdownStopsTrainersReportsCheckpointAndReleases) {
  coord_.AddRun(1, 0);
  auto d = NewDaemon();
  Run(d.get(), 1);
  AppendText(Out(0) + "/metrics.jsonl", PointLine(0, 40, "val_acc", 0.5));
  // What the trainer does on SIGTERM: checkpoint, say so, exit 0.
  AppendText(Out(0) + "/events.jsonl", "{\"event\":\"checkpoint\",\"step\":40,\"path\":\"p\"}\n");
  d->RequestShutdown();
  EXPECT_EQ(launcher_.children[0]->signals.at(0), 15);
  Run(d.get(), 3);
  EXPECT_TRUE(d->finished());
  EXPECT_EQ(coord_.runs[1].state, "queued");
  EXPECT_EQ(coord_.runs[1].checkpoint_step, 40);
  EXPECT_EQ(coord_.PointsOf(1), 1u);
}

TEST_F(WorkerDaemonTest, RestartedDaemonResendsItsSpoolOnceAndKeepsItsId) {
  coord_.AddRun(1, 0);
  {
    auto d = NewDaemon();
    Run(d.get(), 1);
    coord_.down = true;
    AppendText(Out(0) + "/metrics.jsonl", PointLine(0, 10, "val_acc", 0.25) + PointLine(0, 20, "val_acc", 0.5));
    Run(d.get(), 3);
    EXPECT_EQ(d->pending_points(), 2);
  }  // the daemon dies with two points unacknowledged
  coord_.down = false;
  auto d2 = NewDaemon();
  EXPECT_EQ(d2->pending_points(), 2);
  Run(d2.get(), 3);
  EXPECT_EQ(d2->worker_id(), "w-1");
  EXPECT_EQ(coord_.PointsOf(1), 2u);
  EXPECT_EQ(coord_.points_received, 2);
  EXPECT_EQ(d2->pending_points(), 0);
  EXPECT_TRUE(fs::is_empty(fs::path(options_.work_dir) / "spool"));
}

TEST_F(WorkerDaemonTest, EverySlotOfEveryDeviceGetsAPack) {
  options_.devices = {DeviceSlotSpec{"cuda:0", 1 << 30, 2, 1}, DeviceSlotSpec{"cuda:1", 1 << 30, 1, 1}};
  for (int i = 1; i <= 5; ++i) coord_.AddRun(i, i);
  auto d = NewDaemon();
  Run(d.get(), 1);
  ASSERT_EQ(launcher_.children.size(), 3u);
  EXPECT_EQ(Arg(launcher_.children[0]->options, "--device"), "cuda:0");
  EXPECT_EQ(Arg(launcher_.children[1]->options, "--device"), "cuda:0");
  EXPECT_EQ(Arg(launcher_.children[2]->options, "--device"), "cuda:1");
  launcher_.children[2]->exit = ExitInfo{false, 0, 0};
  Run(d.get(), 15, 100);
  ASSERT_EQ(launcher_.children.size(), 4u);
  EXPECT_EQ(Arg(launcher_.children[3]->options, "--device"), "cuda:1");
}

TEST_F(WorkerDaemonTest, RetriesRegistrationUntilTheCoordinatorAnswers) {
  coord_.down = true;
  auto d = NewDaemon();
  Run(d.get(), 10);
  EXPECT_FALSE(d->registered());
  coord_.down = false;
  Run(d.get(), 60, 100);
  EXPECT_TRUE(d->registered());
}

// --- Automatic pack size on CUDA (--pack-size 0): claim up to the cap, keep what fits. ---


// Device bytes in which exactly `seeds` seeds of a dyck depth=1 pack fit (with the default
// evaluation budget and usable fraction), estimated independently of the daemon.
int64_t MemoryForSeeds(int seeds) {
  TrainConfig c;
  c.depth = 1;
  const TaskSizeBounds b = TaskSizeBoundsFor(TaskKind::kDyck);
  const PackMemoryEstimate e = EstimatePackMemory(c, b.num_ids, b.max_tokens, b.graph_buckets,
                                                  pack_memory::kDefaultEvalBytes,
                                                  b.eager_line_tokens);
  const int64_t bytes =
      static_cast<int64_t>(static_cast<double>(e.Bytes(seeds)) / pack_memory::kDefaultUsableFraction) + 4096;
  EXPECT_EQ(SeedsThatFit(e, bytes, pack_memory::kDefaultUsableFraction), seeds);
  return bytes;
}

DeviceSlotSpec AutoCuda(int64_t memory_bytes, int32_t slots) {
  DeviceSlotSpec d{"cuda:0", memory_bytes, slots, DefaultPackSize("cuda:0")};
  d.fit_to_memory = FitsPackToMemory("cuda:0", /*pack_size_flag=*/0);
  return d;
}

TEST_F(WorkerDaemonTest, AutomaticPackSizeReleasesTheRunsThatDoNotFit) {
  options_.devices = {AutoCuda(MemoryForSeeds(3), 1)};
  coord_.resolved_config_json = DyckConfigJson();
  for (int i = 1; i <= 5; ++i) coord_.AddRun(i, i - 1);
  auto d = NewDaemon();
  Run(d.get(), 1);
  ASSERT_EQ(coord_.claim_log.size(), 1u);
  EXPECT_EQ(coord_.claim_log[0].max_runs(), kMaxAutoPackSize);  // claimed all 5
  ASSERT_EQ(launcher_.children.size(), 1u);
  EXPECT_EQ(Arg(launcher_.children[0]->options, "--seeds"), "0,1,2");
  EXPECT_EQ(Arg(launcher_.children[0]->options, "--device"), "cuda:0");
  for (int id : {1, 2, 3}) EXPECT_EQ(coord_.runs[id].state, "running") << id;
  // The surplus is back in the queue, claimable by anyone.
  EXPECT_EQ(coord_.releases, 2);
  for (int id : {4, 5}) {
    EXPECT_EQ(coord_.runs[id].state, "queued") << id;
    EXPECT_TRUE(coord_.runs[id].token.empty()) << id;
  }
  // The busy slot claims nothing more; the kept runs are heartbeated, the released ones not.
  Run(d.get(), 20, 100);
  EXPECT_EQ(coord_.claim_log.size(), 1u);
  ASSERT_FALSE(coord_.heartbeat_log.empty());
  EXPECT_EQ(coord_.heartbeat_log.back().leases_size(), 3);
}

TEST_F(WorkerDaemonTest, AutomaticPackSizeSplitsTheDeviceBetweenSlots) {
  // Two slots share the device: each may plan with half of it, three seeds each.
  options_.devices = {AutoCuda(2 * MemoryForSeeds(3), 2)};
  coord_.resolved_config_json = DyckConfigJson();
  for (int i = 1; i <= 5; ++i) coord_.AddRun(i, i - 1);
  auto d = NewDaemon();
  Run(d.get(), 1);
  // Slot 0 kept three and released two; slot 1 claimed those two.
  ASSERT_EQ(launcher_.children.size(), 2u);
  EXPECT_EQ(Arg(launcher_.children[0]->options, "--seeds"), "0,1,2");
  EXPECT_EQ(Arg(launcher_.children[1]->options, "--seeds"), "3,4");
  for (int id = 1; id <= 5; ++id) EXPECT_EQ(coord_.runs[id].state, "running") << id;
}

TEST_F(WorkerDaemonTest, AutomaticPackSizeTrainsOneSeedWhenNoneFits) {
  options_.devices = {AutoCuda(int64_t{2} << 30, 1)};  // less than the fixed part alone
  coord_.resolved_config_json = DyckConfigJson();
  for (int i = 1; i <= 3; ++i) coord_.AddRun(i, i - 1);
  auto d = NewDaemon();
  Run(d.get(), 1);
  ASSERT_EQ(launcher_.children.size(), 1u);
  EXPECT_EQ(Arg(launcher_.children[0]->options, "--seeds"), "0");
  EXPECT_EQ(coord_.runs[2].state, "queued");
  EXPECT_EQ(coord_.runs[3].state, "queued");
}

TEST_F(WorkerDaemonTest, AutomaticPackSizeRetriesAReleaseThatFailed) {
  options_.devices = {AutoCuda(MemoryForSeeds(2), 1)};
  coord_.resolved_config_json = DyckConfigJson();
  for (int i = 1; i <= 4; ++i) coord_.AddRun(i, i - 1);
  coord_.release_failures = 1;
  auto d = NewDaemon();
  Run(d.get(), 1);
  ASSERT_EQ(launcher_.children.size(), 1u);
  EXPECT_EQ(Arg(launcher_.children[0]->options, "--seeds"), "0,1");
  EXPECT_EQ(coord_.releases, 0);  // the first release failed and the rest waits for backoff
  EXPECT_EQ(coord_.runs[3].state, "running");
  EXPECT_EQ(coord_.runs[4].state, "running");
  Run(d.get(), 5, 100);
  EXPECT_EQ(coord_.releases, 2);
  EXPECT_EQ(coord_.runs[3].state, "queued");
  EXPECT_EQ(coord_.runs[4].state, "queued");
}

TEST_F(WorkerDaemonTest, AutomaticPackSizeKeepsTheClaimWhenTheConfigCannotBeRead) {
  options_.devices = {AutoCuda(MemoryForSeeds(1), 1)};
  coord_.resolved_config_json = "{\"task\":\"dyck\"}";  // incomplete: ParseRunConfigJson refuses it
  for (int i = 1; i <= 3; ++i) coord_.AddRun(i, i - 1);
  auto d = NewDaemon();
  Run(d.get(), 1);
  ASSERT_EQ(launcher_.children.size(), 1u);
  // sg-train gets the whole claim and reports the config's error itself.
  EXPECT_EQ(Arg(launcher_.children[0]->options, "--seeds"), "0,1,2");
  EXPECT_EQ(coord_.releases, 0);
}

TEST_F(WorkerDaemonTest, AutomaticPackSizeNeedsTheDeviceMemory) {
  options_.devices = {AutoCuda(0, 1)};
  WorkerDaemon d(options_, &coord_, &launcher_, &clock_);
  absl::Status s = d.Init();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("--device-memory-gb"), absl::string_view::npos) << s;
}

// --packs-per-device auto on a CUDA device with a fixed pack size of 2: the fake trainers
// advance at a speed per pack that depends on how many packs share the device.
class AutoPacksTest : public WorkerDaemonTest {
 protected:
  void SetUpAuto(int64_t memory_bytes) {
    DeviceSlotSpec d{"cuda:0", memory_bytes, kMaxAutoPacksPerDevice, 2};
    d.auto_packs = true;
    options_.devices = {d};
    options_.concurrency_sample_ms = 1000;
    coord_.resolved_config_json = DyckConfigJson();
    for (int i = 1; i <= 12; ++i) coord_.AddRun(i, i - 1);
  }
  // Ticks for `seconds` of fake time (100 ms a tick); each running trainer writes a point for
  // each of its seeds at its new step, `speed(packs running)` steps per second.
  template <typename Speed>
  void Train(WorkerDaemon* d, int seconds, Speed speed) {
    for (int tick = 0; tick < seconds * 10; ++tick) {
      int running = 0;
      for (const auto& c : launcher_.children) running += c->exit.has_value() ? 0 : 1;
      for (size_t i = 0; i < launcher_.children.size(); ++i) {
        if (launcher_.children[i]->exit.has_value()) continue;
        steps_.resize(launcher_.children.size(), 0);
        steps_[i] += speed(running) / 10;
        const std::vector<std::string> seeds =
            absl::StrSplit(Arg(launcher_.children[i]->options, "--seeds"), ',');
        for (const std::string& seed : seeds) {
          AppendText(Out(i) + "/metrics.jsonl",
                     PointLine(std::stoll(seed), steps_[i], "train_loss", 1.0));
        }
      }
      Run(d, 1);
    }
  }
  int Target(const WorkerDaemon& d) {
    std::vector<WorkerDaemon::ConcurrencyView> v = d.concurrency_views();
    return v.empty() ? 0 : v[0].target;
  }
  std::vector<int64_t> steps_;
};

TEST_F(AutoPacksTest, AddsPacksWhileTheDevicesThroughputGrowsAndKeepsTheBest) {
  SetUpAuto(int64_t{64} << 30);
  auto d = NewDaemon();
  // Per pack: 100 steps/s alone, 90 with two (180 in all: +80%), 50 with three (150: less).
  auto speed = [](int packs) { return packs <= 1 ? 100 : packs == 2 ? 90 : 50; };
  Train(d.get(), 3, speed);
  EXPECT_EQ(launcher_.children.size(), 1u) << "one pack until the first is measured";
  EXPECT_EQ(Target(*d), 1);
  Train(d.get(), 60, speed);
  // Two packs paid, three did not: the third started, and the target went back to two.
  EXPECT_EQ(launcher_.children.size(), 3u);
  EXPECT_EQ(Target(*d), 2);
  std::vector<WorkerDaemon::ConcurrencyView> v = d->concurrency_views();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NEAR(v[0].model_steps_per_second, 3 * 50 * 2, 1);  // three packs of two seeds at 50
  EXPECT_GT(v[0].work_rate, 0);
  // The exporter shows the target and the measured figures.
  WorkerMetrics metrics;
  metrics.Update(*d, 0);
  const std::string text = metrics.Render();
  EXPECT_NE(text.find("sg_worker_packs_target{device=\"cuda:0\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("sg_worker_measured_model_steps_per_second{device=\"cuda:0\"} 300"),
            std::string::npos) << text;
  EXPECT_NE(text.find("sg_worker_measured_work_rate{device=\"cuda:0\"}"), std::string::npos);
  // When a pack ends, its slot is not refilled while two are still running.
  launcher_.children[0]->exit = ExitInfo{false, 0, 0};
  Train(d.get(), 5, speed);
  EXPECT_EQ(launcher_.children.size(), 3u);
  launcher_.children[1]->exit = ExitInfo{false, 0, 0};
  Train(d.get(), 2, speed);
  EXPECT_EQ(launcher_.children.size(), 4u) << "one running of a target of two: a pack more";
}

TEST_F(AutoPacksTest, AReleasedPackNeitherCountsNorHoldsMemory) {
  // Memory for one pack only, and a second never pays: one pack at a time, except that a
  // pack which gave its device back (sg-train's "released") lets the next one start at once.
  SetUpAuto(MemoryForSeeds(3));
  auto d = NewDaemon();
  auto speed = [](int packs) { return 100 / packs; };
  Train(d.get(), 10, speed);
  ASSERT_EQ(launcher_.children.size(), 1u);
  AppendText(Out(0) + "/events.jsonl", "{\"event\":\"released\",\"step\":1000}\n");
  Run(d.get(), 3);
  ASSERT_EQ(launcher_.children.size(), 2u);
  EXPECT_EQ(Arg(launcher_.children[1]->options, "--seeds"), "2,3") << "a whole pack of two";
  EXPECT_EQ(Target(*d), 1);
  // The released pack still runs, but it is not one of the device's packs any more: a third
  // waits for the second.
  Train(d.get(), 10, speed);
  EXPECT_EQ(launcher_.children.size(), 2u);
}

TEST_F(AutoPacksTest, APackMoreOnlyWhenItsMemoryIsLeft) {
  // Room for one pack of two seeds (by the estimate), not for a second.
  SetUpAuto(MemoryForSeeds(3));
  auto d = NewDaemon();
  Train(d.get(), 30, [](int packs) { return 100 * packs; });
  EXPECT_EQ(launcher_.children.size(), 1u);
  EXPECT_EQ(Target(*d), 1);
}

}  // namespace
}  // namespace sg
