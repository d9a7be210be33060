// The update beside the next forward (GraphStepOptions::update_beside_forward) against the
// update at the step's end: the same arithmetic on the same values, so the same bits step by
// step, with dropout and clipping on; over graphs of several shapes (each capture applies the
// pending update first), after model() has applied it, at each priority of the update's
// stream, and through a checkpoint. Built only against a CUDA LibTorch; each test skips (and
// says so) without a CUDA device.
#include <gtest/gtest.h>

#include <vector>

#include "trainer/model/cuda_wgmma_weight_grad_kernel.h"
#include "trainer/model/cuda_weight_grad_sums.h"
#include "trainer/model/pack_trainer.h"
#include "trainer/model/resume_test_util.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

#define SG_REQUIRE_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

using testing_util::ToVector;

// Trains `steps` steps with the update at the step's end and beside the next forward, then
// three more after model() applied the pending update.
void ExpectSameSteps(PackTrainerOptions o, const std::vector<TokenIds>& train, int steps) {
  o.update_beside_forward = false;
  PackTrainer plain(o, &train);
  o.update_beside_forward = true;
  PackTrainer beside(o, &train);
  int pending = 0;
  for (int i = 1; i <= steps; ++i) {
    EXPECT_EQ(ToVector(beside.Step()), ToVector(plain.Step())) << "step " << i;
    pending += beside.update_pending();
  }
  // Most steps left their update to the next (the others were eager, or the pack's shapes
  // changed and the capture applied it).
  EXPECT_GT(pending, steps / 2);
  EXPECT_EQ(beside.graph_steps(), plain.graph_steps());
  EXPECT_TRUE(torch::equal(beside.model().flat(), plain.model().flat()));
  EXPECT_FALSE(beside.update_pending());
  EXPECT_TRUE(torch::equal(beside.optimizer().exp_avg(), plain.optimizer().exp_avg()));
  EXPECT_TRUE(torch::equal(beside.optimizer().exp_avg_sq(), plain.optimizer().exp_avg_sq()));
  // The next replay finds nothing pending: it must not apply the flushed update again.
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(ToVector(beside.Step()), ToVector(plain.Step())) << "after the flush, step " << i;
  }
  EXPECT_TRUE(torch::equal(beside.model().flat(), plain.model().flat()));
  const PackTrainer::Stats a = beside.TakeStats(), b = plain.TakeStats();
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.grad_norm, b.grad_norm);
}

// Padded rows of several lengths (several graphs, captured mid-run), fp32, side stream on.
TEST(CudaUpdateBesideForwardTest, PaddedStepsTakeTheSameSteps) {
  SG_REQUIRE_CUDA();
  TrainConfig config = testing_util::TinyConfig();
  config.dropout = 0.1;
  config.clip = 0.5;
  PackTrainerOptions o = testing_util::TinyTrainerOptions({3, 7, 11}, config,
                                                          torch::Device(torch::kCUDA, 0));
  o.tf32 = false;
  ExpectSameSteps(o, testing_util::SyntheticLines(80, 23, 40), 12);
}

// Widths our wgmma weight-gradient kernel serves, lines packed into rows, TF32, as sg-train
// trains: the kernel writes the deferred gradients and the norm still takes its sums.
PackTrainerOptions WideOptions() {
  PackTrainerOptions o = testing_util::CudaPackedOptions({0, 1, 2}, 128, 4, 0.1);
  o.tf32 = true;
  o.lt_gemms = true;
  o.config.clip = 0.5;
  return o;
}

TEST(CudaUpdateBesideForwardTest, PackedTf32StepsTakeTheSameSteps) {
  SG_REQUIRE_CUDA();
  if (!cuda_kernels::WgmmaWeightGradRunsOn(0)) GTEST_SKIP() << "not a Hopper GPU (sm_90a)";
  const int64_t used_before = WeightGradSumsUsed();
  ExpectSameSteps(WideOptions(), testing_util::SyntheticLines(80, 12, 12), 12);
  EXPECT_GT(WeightGradSumsUsed(), used_before);
}

// The update's stream at each priority (update_priority.h; above the chain's: a stream of
// ours, outside LibTorch's pool): only the order the scheduler serves the blocks changes.
TEST(CudaUpdateBesideForwardTest, EveryUpdatePriorityTakesTheSameSteps) {
  SG_REQUIRE_CUDA();
  for (UpdatePriority p :
       {UpdatePriority::kBelowChain, UpdatePriority::kChain, UpdatePriority::kAboveChain}) {
    SCOPED_TRACE(UpdatePriorityName(p));
    PackTrainerOptions o = WideOptions();
    o.update_priority = p;
    ExpectSameSteps(o, testing_util::SyntheticLines(80, 12, 12), 8);
  }
}

TEST(CudaUpdateBesideForwardTest, ResumeIsBitExact) {
  SG_REQUIRE_CUDA();
  PackTrainerOptions o = WideOptions();
  o.update_beside_forward = true;
  testing_util::ExpectResumeIsBitExact(o, testing_util::SyntheticLines(40, 8, 12), /*split=*/7,
                                       /*total=*/12, /*min_graph_steps=*/12);
}

}  // namespace
}  // namespace sg
