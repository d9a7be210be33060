#include "sgctl/watch_view.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sg {
namespace ctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

v1::Run MakeRun(int64_t id, double depth, int64_t seed, v1::RunState state, int64_t step) {
  v1::Run run;
  run.set_run_id(id);
  run.set_sweep_id(3);
  run.set_seed(seed);
  run.set_state(state);
  run.set_step(step);
  v1::AxisValue* axis = run.add_config();
  axis->set_axis("depth");
  axis->set_value(depth);
  return run;
}

v1::Sweep MakeSweep() {
  v1::Sweep sweep;
  sweep.set_sweep_id(3);
  sweep.set_name("qf");
  return sweep;
}

const std::map<std::string, int64_t> kSteps = {{"depth=2", 1000}, {"depth=4", 1000}};

// depth=2: one succeeded (counts as complete although it reported 990), one running at 500.
// depth=4: one queued, one running at 250.
std::vector<v1::Run> HalfDone() {
  return {MakeRun(1, 2, 0, v1::RUN_STATE_SUCCEEDED, 990),
          MakeRun(2, 2, 1, v1::RUN_STATE_RUNNING, 500),
          MakeRun(3, 4, 0, v1::RUN_STATE_QUEUED, 0),
          MakeRun(4, 4, 1, v1::RUN_STATE_RUNNING, 250)};
}

TEST(WatchViewTest, BuildProgress) {
  SweepProgress p = BuildProgress(MakeSweep(), HalfDone(), kSteps);
  ASSERT_EQ(p.cells.size(), 2u);
  EXPECT_EQ(p.cells[0].label, "depth=2");
  EXPECT_EQ(p.cells[0].total, 2);
  EXPECT_EQ(p.cells[0].done(), 1);
  EXPECT_EQ(p.cells[0].running, 1);
  EXPECT_DOUBLE_EQ(p.cells[0].fraction, 0.75);  // (1 + 0.5) / 2
  EXPECT_DOUBLE_EQ(p.cells[0].mean_step, 745);
  EXPECT_EQ(p.cells[0].steps, 1000);
  EXPECT_DOUBLE_EQ(p.cells[1].fraction, 0.125);  // (0 + 0.25) / 2
  EXPECT_EQ(p.overall.total, 4);
  EXPECT_EQ(p.overall.queued, 1);
  EXPECT_EQ(p.overall.running, 2);
  EXPECT_DOUBLE_EQ(p.overall.fraction, 0.4375);
  EXPECT_EQ(p.overall.steps, 1000);  // every cell agrees
  EXPECT_FALSE(p.ended());

  // Unknown steps: the bar shows the fraction of runs that ended.
  SweepProgress unknown = BuildProgress(MakeSweep(), HalfDone(), {});
  EXPECT_DOUBLE_EQ(unknown.cells[0].fraction, 0.5);
  EXPECT_FALSE(unknown.cells[0].steps.has_value());

  // Cells with different steps: no overall steps.
  SweepProgress mixed = BuildProgress(MakeSweep(), HalfDone(), {{"depth=2", 1000},
                                                                {"depth=4", 2000}});
  EXPECT_FALSE(mixed.overall.steps.has_value());
  EXPECT_DOUBLE_EQ(mixed.cells[1].fraction, 0.0625);

  EXPECT_TRUE(BuildProgress(MakeSweep(), {}, kSteps).ended());
}

TEST(WatchViewTest, Renderings) {
  SweepProgress p = BuildProgress(MakeSweep(), HalfDone(), kSteps);
  EXPECT_EQ(ProgressBlock(p, 8),
            "sweep qf (id 3): 1/4 runs done, 2 running, 1 queued\n"
            "depth=2  [######..]   75%  done 1/2  running 1  mean step 745/1k\n"
            "depth=4  [#.......]   12%  done 0/2  running 1  mean step 125/1k\n"
            "overall  [###.....]   43%  done 1/4  running 2  mean step 435/1k\n");
  EXPECT_EQ(ProgressLine(p),
            "sweep qf (id 3): 43% of steps, 1/4 runs done (succeeded 1, failed 0, cancelled 0), "
            "running 2, queued 1\n");
  nlohmann::json j = ProgressJson(p);
  EXPECT_EQ(j["ended"], false);
  EXPECT_EQ(j["overall"]["done"], 1);
  EXPECT_EQ(j["cells"][1]["label"], "depth=4");
  EXPECT_EQ(j["cells"][1]["steps"], 1000);
  EXPECT_DOUBLE_EQ(j["cells"][0]["fraction"].get<double>(), 0.75);
  EXPECT_TRUE(j["eta_seconds"].is_null());

  // With the sweep's ETA (SweepTimingOf): in the title, the line and the JSON.
  p.eta_seconds = 100;
  EXPECT_THAT(ProgressBlock(p, 8),
              HasSubstr("sweep qf (id 3): 1/4 runs done, 2 running, 1 queued, about 1m40s left\n"));
  EXPECT_THAT(ProgressLine(p), HasSubstr("running 2, queued 1, about 1m40s left\n"));
  EXPECT_DOUBLE_EQ(ProgressJson(p)["eta_seconds"].get<double>(), 100);

  std::vector<v1::Run> done = HalfDone();
  for (v1::Run& run : done) run.set_state(v1::RUN_STATE_SUCCEEDED);
  done[3].set_state(v1::RUN_STATE_FAILED);
  SweepProgress ended = BuildProgress(MakeSweep(), done, kSteps);
  EXPECT_TRUE(ended.ended());
  ended.eta_seconds = 100;  // an ended sweep has nothing left, whatever was estimated
  EXPECT_THAT(ProgressLine(ended), Not(HasSubstr("left")));
  EXPECT_TRUE(ProgressJson(ended)["eta_seconds"].is_null());
  EXPECT_THAT(ProgressBlock(ended, 8), HasSubstr(" - ended\n"));
  EXPECT_THAT(ProgressBlock(ended, 8),
              HasSubstr("depth=4  [#####...]   62%  done 2/2  failed 1  mean step 125/1k\n"));
  EXPECT_THAT(ProgressBlock(ended, 8), HasSubstr("overall  [######..]   81%  done 4/4  failed 1"));
}

TEST(WatchViewTest, RedrawReplacesThePreviousBlock) {
  EXPECT_EQ(Redraw("a\nb\n", 0), "\x1b[2Ka\n\x1b[2Kb\n\x1b[J");
  EXPECT_EQ(Redraw("a\nb\n", 2), "\x1b[2A\x1b[2Ka\n\x1b[2Kb\n\x1b[J");
}

TEST(WatchViewTest, OutcomeNamesFailedAndCancelledRuns) {
  std::vector<v1::Run> runs = HalfDone();
  for (v1::Run& run : runs) run.set_state(v1::RUN_STATE_SUCCEEDED);
  EXPECT_TRUE(WatchOutcome(BuildProgress(MakeSweep(), runs, kSteps), runs).ok());

  runs[1].set_state(v1::RUN_STATE_FAILED);
  runs[1].set_last_error("CUDA out of memory");
  runs[2].set_state(v1::RUN_STATE_CANCELLED);
  absl::Status s = WatchOutcome(BuildProgress(MakeSweep(), runs, kSteps), runs);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(s.message(),
            "sweep qf ended with 1 failed and 1 cancelled of 4 runs: run 2 (depth=2, seed 1) "
            "failed: CUDA out of memory; run 3 (depth=4, seed 0) cancelled ('sgctl runs qf "
            "--state failed' lists them)");
}

}  // namespace
}  // namespace ctl
}  // namespace sg
