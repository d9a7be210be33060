#include "common/pack_cost.h"

#include "gtest/gtest.h"

namespace sg {
namespace {

RunCostInputs PaperRun(int64_t depth, int64_t steps_left) {
  RunCostInputs in;
  in.task = TaskKind::kQuestionFormation;
  in.depth = depth;
  in.batch_size = 8;
  in.d_model = 512;
  in.ff = 2048;
  in.steps_left = steps_left;
  return in;
}

TEST(PackCostTest, IsTheTrainingMultiplyAddsOfTheStepsLeft) {
  // 3 x steps x B x T x [L (4 d^2 + 2 d ff + 2 T d) + 2 V d], by hand for the paper's model.
  const double per_layer = 4.0 * 512 * 512 + 2.0 * 512 * 2048 + 2.0 * 22 * 512;
  const double expected = 3.0 * 1000 * 8 * 22 * (6 * per_layer + 2.0 * 128 * 512);
  EXPECT_DOUBLE_EQ(ExpectedRunCost(PaperRun(6, 1000)), expected);
}

TEST(PackCostTest, DeeperAndLongerCostMore) {
  EXPECT_GT(ExpectedRunCost(PaperRun(10, 1000)), ExpectedRunCost(PaperRun(6, 1000)));
  EXPECT_GT(ExpectedRunCost(PaperRun(6, 1000)), ExpectedRunCost(PaperRun(2, 1000)));
  // Nearly proportional to depth: the layers are almost all of it.
  const double ratio = ExpectedRunCost(PaperRun(10, 1000)) / ExpectedRunCost(PaperRun(2, 1000));
  EXPECT_GT(ratio, 4.8);
  EXPECT_LT(ratio, 5.0);
  // Linear in the steps left.
  EXPECT_DOUBLE_EQ(ExpectedRunCost(PaperRun(2, 3000)), 3 * ExpectedRunCost(PaperRun(2, 1000)));
  // Dyck's rows are longer than QF's: the same model costs more per step.
  RunCostInputs dyck = PaperRun(6, 1000);
  dyck.task = TaskKind::kDyck;
  EXPECT_GT(ExpectedRunCost(dyck), 2 * ExpectedRunCost(PaperRun(6, 1000)));
}

TEST(PackCostTest, AResumedRunCountsOnlyWhatIsLeft) {
  EXPECT_EQ(StepsLeft(24000, 0), 24000);
  EXPECT_EQ(StepsLeft(24000, 21000), 3000);
  EXPECT_EQ(StepsLeft(24000, 30000), 0);  // a run past its horizon has nothing left
  RunConfig config;
  config.task = TaskKind::kQuestionFormation;
  config.train.depth = 10;
  config.train.steps = 24000;
  RunCostInputs resumed = RunCostInputsOf(config, 21000);
  EXPECT_EQ(resumed.steps_left, 3000);
  EXPECT_EQ(resumed.depth, 10);
  // A depth-10 run 7/8 done costs less than a fresh depth-2 run.
  config.train.depth = 2;
  EXPECT_LT(ExpectedRunCost(resumed), ExpectedRunCost(RunCostInputsOf(config, 0)));
}

TEST(PackCostTest, NothingLeftOrAnUnknownConfigCostsNothing) {
  EXPECT_EQ(ExpectedRunCost(PaperRun(6, 0)), 0);
  EXPECT_EQ(ExpectedRunCost(RunCostInputs{}), 0);
  RunCostInputs no_width = PaperRun(6, 1000);
  no_width.d_model = 0;
  EXPECT_EQ(ExpectedRunCost(no_width), 0);
}

}  // namespace
}  // namespace sg
