#include "sgctl/run_timing.h"

#include <sstream>

#include "gmock/gmock.h"
#include "common/pack_cost.h"
#include "common/run_config.h"
#include "gtest/gtest.h"
#include "sgctl/output.h"

namespace sg {
namespace ctl {
namespace {

using ::testing::HasSubstr;

v1::Run Running(double steps_axis, int64_t step, double speed) {
  v1::Run run;
  run.set_run_id(1);
  run.set_state(v1::RUN_STATE_RUNNING);
  run.set_step(step);
  run.set_steps_per_second(speed);
  v1::AxisValue* axis = run.add_config();
  axis->set_axis("steps");
  axis->set_value(steps_axis);
  return run;
}

// A run of cell steps=<steps_axis> whose stored config trains `stored_steps` steps.
v1::Run Stored(double steps_axis, int64_t stored_steps) {
  v1::Run run = Running(steps_axis, 0, 0);
  RunConfig config{TaskKind::kDyck, TrainConfig(), DataConfig()};
  config.train.steps = stored_steps;
  config.train.eval_every = 100;
  config.train.checkpoint_every = 100;
  run.set_resolved_config_json(RunConfigJson(config));
  return run;
}

// The cells' steps as the progress context reads them.
std::map<std::string, int64_t> StepsByCell(const std::vector<v1::Run>& runs,
                                           std::ostream* notes) {
  return ProgressContextFor(runs, /*now_ms=*/0, notes).steps_by_cell;
}

TEST(RunTimingTest, StepsByCellReadsEachCellsStoredConfig) {
  // The steps come from the stored config alone: here they even disagree with the cell's axis
  // value, which a spec parse would have used.
  std::ostringstream notes;
  std::map<std::string, int64_t> steps =
      StepsByCell({Stored(1000, 1500), Stored(1000, 1500), Stored(2000, 2500)}, &notes);
  EXPECT_EQ(steps, (std::map<std::string, int64_t>{{"steps=1000", 1500}, {"steps=2000", 2500}}));
  EXPECT_EQ(notes.str(), "");

  // A run without a grid has the cell key "".
  v1::Run plain = Stored(0, 5000);
  plain.clear_config();
  EXPECT_EQ(StepsByCell({plain}, nullptr), (std::map<std::string, int64_t>{{"", 5000}}));

  // A cell whose runs carry no readable config has no steps, and one note says so.
  v1::Run missing = Running(3000, 0, 0);
  v1::Run garbled = Running(4000, 0, 0);
  garbled.set_resolved_config_json("{\"task\":\"dyck\"}");
  steps = StepsByCell({missing, Stored(1000, 1500), garbled}, &notes);
  EXPECT_EQ(steps, (std::map<std::string, int64_t>{{"steps=1000", 1500}}));
  EXPECT_THAT(notes.str(), HasSubstr("sgctl: note: no ETAs for 2 grid cells (e.g. 'steps=3000')"));
  EXPECT_THAT(notes.str(), HasSubstr("no stored config"));
}

TEST(RunTimingTest, EtaAndHeartbeatAgeOfRunningRuns) {
  ProgressContext context;
  context.now_ms = 50000;
  context.steps_by_cell = {{"steps=1000", 1000}};
  v1::Run run = Running(1000, 400, 20);
  run.set_last_heartbeat_ms(48500);
  RunTiming t = TimingOf(run, context);
  EXPECT_EQ(t.total_steps, 1000);
  EXPECT_EQ(t.steps_per_second, 20);
  ASSERT_TRUE(t.eta_seconds.has_value());
  EXPECT_DOUBLE_EQ(*t.eta_seconds, 30);  // 600 steps left at 20/s
  EXPECT_EQ(t.heartbeat_age_seconds, 1.5);

  // A run past its steps (resumed with more) is due now, not negative.
  EXPECT_EQ(TimingOf(Running(1000, 1200, 20), context).eta_seconds, 0);
  // No speed reported yet: no ETA. Unknown cell: no ETA, but the speed is shown.
  EXPECT_FALSE(TimingOf(Running(1000, 400, 0), context).eta_seconds.has_value());
  RunTiming unknown = TimingOf(Running(3000, 400, 20), context);
  EXPECT_FALSE(unknown.total_steps.has_value());
  EXPECT_FALSE(unknown.eta_seconds.has_value());
  EXPECT_EQ(unknown.steps_per_second, 20);
  // A heartbeat stamped by a clock ahead of ours is 0 s old.
  run.set_last_heartbeat_ms(51000);
  EXPECT_EQ(TimingOf(run, context).heartbeat_age_seconds, 0);

  // Runs that are not running have only their total.
  run.set_state(v1::RUN_STATE_SUCCEEDED);
  RunTiming done = TimingOf(run, context);
  EXPECT_EQ(done.total_steps, 1000);
  EXPECT_FALSE(done.steps_per_second || done.eta_seconds || done.heartbeat_age_seconds);
}

TEST(RunTimingTest, ContextForRunsWithoutStoredConfigs) {
  std::ostringstream notes;
  v1::Run old = Running(1000, 400, 20);  // e.g. of a database whose spec no longer resolves
  ProgressContext context = ProgressContextFor({old}, 123, &notes);
  EXPECT_EQ(context.now_ms, 123);
  EXPECT_TRUE(context.steps_by_cell.empty());
  EXPECT_FALSE(TimingOf(old, context).eta_seconds.has_value());
  EXPECT_THAT(notes.str(), HasSubstr("sgctl: note: no ETAs for 1 grid cell "));

  // With a stored config the same run gets its ETA from the stored steps.
  v1::Run stored = Stored(1000, 4400);
  stored.set_step(400);
  stored.set_steps_per_second(20);
  context = ProgressContextFor({stored}, 123, nullptr);
  EXPECT_EQ(TimingOf(stored, context).eta_seconds, 200);  // (4400 - 400) / 20
}

// The sweep's remaining work in the claim order's unit, over the running runs' rate now.
TEST(RunTimingTest, SweepTimingPricesWhatIsLeftAtTheRunningRunsRate) {
  // Cell steps=1000 trains 1,000 steps; cell steps=2000, 2,000 (Dyck, the paper's model).
  std::vector<v1::Run> runs = {Stored(1000, 1000), Stored(1000, 1000), Stored(2000, 2000),
                               Stored(2000, 2000), Stored(2000, 2000)};
  runs[0].set_step(400);  // running at 5 steps/s
  runs[0].set_steps_per_second(5);
  runs[1].set_step(400);  // running, no speed reported yet
  runs[2].set_state(v1::RUN_STATE_QUEUED);  // reported step 900, resumes from its checkpoint
  runs[2].set_step(900);
  runs[2].set_checkpoint_step(500);
  runs[3].set_state(v1::RUN_STATE_SUCCEEDED);
  runs[4].set_state(v1::RUN_STATE_FAILED);
  const ProgressContext context = ProgressContextFor(runs, 0, nullptr);
  RunCostInputs step;
  step.task = TaskKind::kDyck;
  step.depth = 6;
  step.batch_size = 8;
  step.d_model = 512;
  step.ff = 2048;
  step.steps_left = 1;
  const double cost = ExpectedRunCost(step);
  EXPECT_DOUBLE_EQ(context.step_cost_by_cell.at("steps=1000"), cost);
  EXPECT_DOUBLE_EQ(context.step_cost_by_cell.at("steps=2000"), cost);

  SweepTiming timing = SweepTimingOf(runs, context);
  EXPECT_EQ(timing.unfinished_runs, 3);
  EXPECT_EQ(timing.unpriced_runs, 0);
  EXPECT_DOUBLE_EQ(timing.remaining_multiply_adds, cost * (600 + 600 + 1500));
  EXPECT_DOUBLE_EQ(timing.multiply_adds_per_second, cost * 5);
  ASSERT_TRUE(timing.eta_seconds.has_value());
  EXPECT_DOUBLE_EQ(*timing.eta_seconds, 2700.0 / 5);

  // A run without a readable config is counted as unpriced; no speed at all: no ETA.
  runs[0].set_steps_per_second(0);
  v1::Run unknown = Running(3000, 0, 7);
  runs.push_back(unknown);
  timing = SweepTimingOf(runs, ProgressContextFor(runs, 0, nullptr));
  EXPECT_EQ(timing.unfinished_runs, 4);
  EXPECT_EQ(timing.unpriced_runs, 1);
  EXPECT_EQ(timing.multiply_adds_per_second, 0);
  EXPECT_FALSE(timing.eta_seconds.has_value());
}

TEST(RunTimingTest, Formatting) {
  EXPECT_EQ(FormatDuration(42), "42s");
  EXPECT_EQ(FormatDuration(245), "4m05s");
  EXPECT_EQ(FormatDuration(3 * 3600 + 7 * 60 + 10), "3h07m");
  EXPECT_EQ(FormatDuration(2 * 86400 + 4 * 3600), "2d04h");
  EXPECT_EQ(FormatDuration(-1), "-");
  // Huge estimates (a tiny --rate, a speed near 0) stay readable, never a wrapped integer.
  EXPECT_EQ(FormatDuration(3.1e13), "358796296d07h");
  EXPECT_EQ(FormatDuration(1e300), "1e+300s");
  EXPECT_EQ(FormatBytes(int64_t{80} << 30), "80 GiB");
  EXPECT_EQ(FormatBytes(int64_t{3} << 29), "1.5 GiB");
  EXPECT_EQ(FormatBytes(512 << 20), "512 MiB");
  EXPECT_EQ(FormatBytes(0), "-");
  EXPECT_EQ(FormatFixed(0.91234, 3), "0.912");
}

}  // namespace
}  // namespace ctl
}  // namespace sg
