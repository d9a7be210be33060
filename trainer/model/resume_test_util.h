// A check shared by the trainer's GPU tests: a pack saved after `split` steps and resumed in a
// new trainer goes on exactly as the uninterrupted one (docs/trainer.md promises a bit-exact
// resume on the GPU).
#ifndef SG_TRAINER_MODEL_RESUME_TEST_UTIL_H_
#define SG_TRAINER_MODEL_RESUME_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "trainer/model/pack_trainer.h"
#include "trainer/model/state_payload.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace testing_util {

// Trains `total` steps straight, and `split` steps, the state staged as sg-train's
// checkpoints stage it (StageState: copied off the device into page-locked memory), one more
// step, then the payload finished; a new trainer's LoadState of it and the rest: every loss,
// the weights, both moments and the accumulated stats bit-equal. The straight run must take
// at least `min_graph_steps` graph steps (the graph is what is tested).
inline void ExpectResumeIsBitExact(const PackTrainerOptions& options,
                                   const std::vector<TokenIds>& train, int split = 9,
                                   int total = 14, int64_t min_graph_steps = 8) {
  ASSERT_LT(split, total);
  PackTrainer straight(options, &train);
  std::vector<std::vector<double>> want;
  for (int i = 0; i < total; ++i) want.push_back(ToVector(straight.Step()));
  EXPECT_GE(straight.graph_steps(), min_graph_steps);
  const PackTrainer::Stats want_stats = straight.TakeStats();
  std::string state;
  {
    PackTrainer first(options, &train);
    for (int i = 0; i < split; ++i) EXPECT_EQ(ToVector(first.Step()), want[i]) << "step " << i + 1;
    std::unique_ptr<StatePayloadWriter> staged = first.StageState();
    EXPECT_EQ(ToVector(first.Step()), want[split]);  // changes the state after the stage
    state = staged->Finish();
  }
  PackTrainer resumed(options, &train);
  ASSERT_TRUE(resumed.LoadState(state).ok());
  for (int i = split; i < total; ++i) {
    EXPECT_EQ(ToVector(resumed.Step()), want[i]) << "step " << i + 1;
  }
  EXPECT_TRUE(torch::equal(resumed.model().flat(), straight.model().flat()));
  EXPECT_TRUE(torch::equal(resumed.optimizer().exp_avg(), straight.optimizer().exp_avg()));
  EXPECT_TRUE(torch::equal(resumed.optimizer().exp_avg_sq(), straight.optimizer().exp_avg_sq()));
  const PackTrainer::Stats got_stats = resumed.TakeStats();
  EXPECT_EQ(got_stats.steps, total);
  EXPECT_EQ(got_stats.loss, want_stats.loss);
  EXPECT_EQ(got_stats.grad_norm, want_stats.grad_norm);
}

}  // namespace testing_util
}  // namespace sg

#endif  // SG_TRAINER_MODEL_RESUME_TEST_UTIL_H_
