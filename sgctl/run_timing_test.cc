#include "sgctl/run_timing.h"

#include <sstream>

#include "gmock/gmock.h"
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

TEST(RunTimingTest, StepsByCellAppliesTheGrid) {
  // `steps` itself is a grid axis here, so each cell trains a different number of steps.
  absl::StatusOr<std::map<std::string, int64_t>> steps = StepsByCell(
      "name: s\ntask: dyck\nseeds: 2\ngrid:\n  steps: [1000, 2000]\ntrain:\n  eval_every: 100\n"
      "  checkpoint_every: 100\n");
  ASSERT_TRUE(steps.ok()) << steps.status();
  EXPECT_EQ(*steps, (std::map<std::string, int64_t>{{"steps=1000", 1000}, {"steps=2000", 2000}}));

  // Without a grid the single cell has the key "".
  steps = StepsByCell("name: s\ntask: dyck\nseeds: 1\ntrain:\n  steps: 5000\n  eval_every: 100\n"
                      "  checkpoint_every: 100\n");
  ASSERT_TRUE(steps.ok()) << steps.status();
  EXPECT_EQ(*steps, (std::map<std::string, int64_t>{{"", 5000}}));

  EXPECT_FALSE(StepsByCell("name: [").ok());
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

TEST(RunTimingTest, ContextForASweepWithAnUnreadableSpec) {
  v1::Sweep sweep;
  sweep.set_name("old");
  sweep.set_spec_yaml("name: old\ntask: no_such_task\n");
  std::ostringstream notes;
  ProgressContext context = ProgressContextFor(sweep, 123, &notes);
  EXPECT_EQ(context.now_ms, 123);
  EXPECT_TRUE(context.steps_by_cell.empty());
  EXPECT_THAT(notes.str(), HasSubstr("sgctl: note: no ETAs for sweep old"));
}

TEST(RunTimingTest, Formatting) {
  EXPECT_EQ(FormatDuration(42), "42s");
  EXPECT_EQ(FormatDuration(245), "4m05s");
  EXPECT_EQ(FormatDuration(3 * 3600 + 7 * 60 + 10), "3h07m");
  EXPECT_EQ(FormatDuration(2 * 86400 + 4 * 3600), "2d04h");
  EXPECT_EQ(FormatDuration(-1), "-");
  EXPECT_EQ(FormatBytes(int64_t{80} << 30), "80 GiB");
  EXPECT_EQ(FormatBytes(int64_t{3} << 29), "1.5 GiB");
  EXPECT_EQ(FormatBytes(512 << 20), "512 MiB");
  EXPECT_EQ(FormatBytes(0), "-");
  EXPECT_EQ(FormatFixed(0.91234, 3), "0.912");
}

}  // namespace
}  // namespace ctl
}  // namespace sg
