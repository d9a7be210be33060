#include "coordinator/progress_rate.h"

#include "gtest/gtest.h"

namespace sg {
namespace {

// Issue 16: a worker restarted on a resumed run reported 360 steps/s while it made under 1.
TEST(ProgressRateTest, RestartedWorkerCannotClaimMoreThanItMade) {
  ProgressRate rate;
  // Claimed at its checkpoint, step 3000, at t = 100 s.
  rate.Claimed(7, /*token=*/"t42", 3000, 100'000);
  // 4 s later it reports step 3003 and, wrongly, 360 steps/s: capped by what it made.
  EXPECT_DOUBLE_EQ(rate.Observe(7, "t42", 3003, 360.0, 104'000), 0.75);
  // Once the window spans 10 s the measured rate is shown, whatever the worker says.
  EXPECT_DOUBLE_EQ(rate.Observe(7, "t42", 3010, 360.0, 120'000), 0.5);
}

TEST(ProgressRateTest, WorkerRateStandsWhileItIsBelowTheWindow) {
  ProgressRate rate;
  rate.Claimed(1, "t5", 0, 0);
  EXPECT_DOUBLE_EQ(rate.Observe(1, "t5", 50, 25.0, 1'000), 25.0);  // 50 steps in 1 s: 25 is fine
}

TEST(ProgressRateTest, WindowSlidesAndRestartsOnANewLeaseOrAStepBack) {
  ProgressRateOptions options;
  options.window_ms = 30'000;
  ProgressRate rate(options);
  rate.Claimed(1, "t5", 0, 0);
  // 10 steps/s for a minute, then 1 step/s: after the window passes only the slow part counts.
  EXPECT_DOUBLE_EQ(rate.Observe(1, "t5", 600, 0, 60'000), 10.0);
  double r = 0;
  for (int64_t t = 75'000, step = 615; t <= 120'000; t += 15'000, step += 15) {
    r = rate.Observe(1, "t5", step, 0, t);
  }
  EXPECT_DOUBLE_EQ(r, 1.0);
  // Another lease (a new attempt without a claim seen): the worker's figure until measured.
  EXPECT_DOUBLE_EQ(rate.Observe(1, "t6", 200, 3.0, 130'000), 3.0);
  EXPECT_DOUBLE_EQ(rate.Observe(1, "t6", 230, 3.0, 145'000), 2.0);
  // The step went back (a rewind to a checkpoint): measured afresh.
  EXPECT_DOUBLE_EQ(rate.Observe(1, "t6", 100, 0, 150'000), 0.0);
}

}  // namespace
}  // namespace sg
