// The update beside the next forward (cuda_deferred_update.h,
// PackTrainerOptions::update_beside_forward) against the update at the end of each step: the
// same losses, weights, moments and stats bit for bit, through padded, packed and ragged graph
// steps, eager steps between them, reads of the weights mid-run and a resume. Built only
// against a CUDA LibTorch; each test skips (and says so) without a CUDA device.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <string>
#include <vector>

#include "trainer/model/dyck_test_lines.h"
#include "trainer/model/pack_trainer.h"
#include "trainer/model/resume_test_util.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

#define SG_REQUIRE_CUDA()                                        \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device"

using testing_util::ToVector;

// Graph steps (and so the update beside the forward) need LibTorch 2.4 or newer.
constexpr bool kHasGraphSteps =
    TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4);

// Trains `steps` steps twice, the update after each step and beside the next forward: every
// loss equal, and the weights, moments and stats at the end. After each step in `read_at` the
// beside trainer's weights are read as an evaluation reads them (model(): the pending update
// applied first), and the next graph step must then run no update of its own. After step
// `peek` (a graph step), the weights the beside trainer holds before that read are those
// from before the step's update: the update does wait for the next step.
void ExpectTheSameSteps(PackTrainerOptions o, const std::vector<TokenIds>& train, int steps,
                        const std::vector<int>& read_at, int peek, int64_t min_graph_steps) {
  o.update_beside_forward = false;
  PackTrainer after(o, &train);
  o.update_beside_forward = true;
  PackTrainer beside(o, &train);
  if (kHasGraphSteps) {
    ASSERT_TRUE(beside.updates_beside_forward());
  }
  EXPECT_FALSE(after.updates_beside_forward());
  PackModel& held = beside.model();  // a reference that does not apply the pending update
  for (int i = 1; i <= steps; ++i) {
    const torch::Tensor before_update = after.model().flat().clone();
    const int64_t graph_steps = beside.graph_steps();
    EXPECT_EQ(ToVector(beside.Step()), ToVector(after.Step())) << "step " << i;
    if (i == peek) {
      ASSERT_GT(beside.graph_steps(), graph_steps) << "step " << i << " was not a graph step";
      EXPECT_TRUE(torch::equal(held.flat(), before_update)) << "updated within step " << i;
    }
    if (i == peek || std::count(read_at.begin(), read_at.end(), i) > 0) {
      EXPECT_TRUE(torch::equal(beside.model().flat(), after.model().flat())) << "step " << i;
    }
  }
  EXPECT_GE(beside.graph_steps(), min_graph_steps);
  EXPECT_EQ(beside.graph_steps(), after.graph_steps());
  EXPECT_TRUE(torch::equal(beside.model().flat(), after.model().flat()));
  EXPECT_TRUE(torch::equal(beside.optimizer().exp_avg(), after.optimizer().exp_avg()));
  EXPECT_TRUE(torch::equal(beside.optimizer().exp_avg_sq(), after.optimizer().exp_avg_sq()));
  const PackTrainer::Stats a = after.TakeStats(), b = beside.TakeStats();
  EXPECT_EQ(b.loss, a.loss);
  EXPECT_EQ(b.grad_norm, a.grad_norm);
}

PackTrainerOptions TinyCudaOptions(double clip) {
  TrainConfig config = testing_util::TinyConfig();
  config.dropout = 0.1;
  config.weight_decay = 0.01;
  config.clip = clip;
  PackTrainerOptions o = testing_util::TinyTrainerOptions({3, 7, 11}, config,
                                                          torch::Device(torch::kCUDA, 0));
  o.tf32 = false;
  return o;
}

// Padded graph steps of several length buckets, with clipping and without (no clip factor).
TEST(DeferredUpdateTest, PaddedGraphStepsTakeTheSameStepsOnCuda) {
  SG_REQUIRE_CUDA();
  const auto train = testing_util::SyntheticLines(80, 21, 40);
  for (double clip : {0.5, 0.0}) {
    SCOPED_TRACE(clip);
    ExpectTheSameSteps(TinyCudaOptions(clip), train, /*steps=*/16, /*read_at=*/{5, 6, 11},
                       /*peek=*/9, /*min_graph_steps=*/16);
  }
}

// The same without dropout: session 20's first GPU run failed the test above from its third
// step while sg-bench's dropout-free CPU check passed, so this one tells whether the fault
// lies in a path that only dropout takes.
TEST(DeferredUpdateTest, PaddedGraphStepsWithoutDropoutTakeTheSameStepsOnCuda) {
  SG_REQUIRE_CUDA();
  const auto train = testing_util::SyntheticLines(80, 21, 40);
  PackTrainerOptions o = TinyCudaOptions(0.5);
  o.config.dropout = 0;
  ExpectTheSameSteps(o, train, /*steps=*/16, /*read_at=*/{5, 6, 11}, /*peek=*/9,
                     /*min_graph_steps=*/16);
}

// One graph only: steps of the other buckets run eagerly, each after the pending update.
TEST(DeferredUpdateTest, EagerStepsBetweenGraphStepsOnCuda) {
  SG_REQUIRE_CUDA();
  const auto train = testing_util::SyntheticLines(80, 22, 40);
  PackTrainerOptions o = TinyCudaOptions(0.5);
  o.max_graphs = 1;
  ExpectTheSameSteps(o, train, /*steps=*/16, /*read_at=*/{}, /*peek=*/1, /*min_graph_steps=*/1);
  PackTrainer probe(o, &train);
  for (int i = 0; i < 16; ++i) probe.Step();
  EXPECT_GT(probe.eager_steps(), 0) << "no eager step between the graph steps";
}

// Packed rows (attention per line by our kernels, dropout on) and the ragged layout on
// Dyck-like lines.
TEST(DeferredUpdateTest, PackedAndRaggedGraphStepsTakeTheSameStepsOnCuda) {
  SG_REQUIRE_CUDA();
  const std::vector<TokenIds> train = dyck_test::DyckTrain(96);
  PackTrainerOptions packed = dyck_test::TrainerOptions(torch::Device(torch::kCUDA, 0), true);
  packed.config.dropout = 0.1;
  ExpectTheSameSteps(packed, train, /*steps=*/10, /*read_at=*/{4}, /*peek=*/0,
                     /*min_graph_steps=*/1);
  PackTrainerOptions ragged = packed;
  ragged.pack_lines = false;
  ragged.ragged_chunk = kRaggedChunk;
  ExpectTheSameSteps(ragged, train, /*steps=*/10, /*read_at=*/{4}, /*peek=*/0,
                     /*min_graph_steps=*/1);
}

// Saved mid-run (the pending update applied first) and resumed: the uninterrupted run's bits.
TEST(DeferredUpdateTest, ResumeIsBitExactOnCuda) {
  SG_REQUIRE_CUDA();
  PackTrainerOptions o = TinyCudaOptions(0.5);
  o.update_beside_forward = true;
  testing_util::ExpectResumeIsBitExact(o, testing_util::SyntheticLines(25, 8), /*split=*/9,
                                       /*total=*/14, /*min_graph_steps=*/14);
}

// The step captured on a high-priority stream (high_priority_chain, which the update beside
// the forward implies): the same kernels, so the same bits as the default capture.
TEST(DeferredUpdateTest, HighPriorityChainTakesTheSameStepsOnCuda) {
  SG_REQUIRE_CUDA();
  const auto train = testing_util::SyntheticLines(80, 23, 40);
  PackTrainerOptions o = TinyCudaOptions(0.5);
  PackTrainer plain(o, &train);
  o.high_priority_chain = true;
  PackTrainer high(o, &train);
  for (int i = 1; i <= 8; ++i) {
    EXPECT_EQ(ToVector(high.Step()), ToVector(plain.Step())) << "step " << i;
  }
  EXPECT_EQ(high.graph_steps(), plain.graph_steps());
  EXPECT_TRUE(torch::equal(high.model().flat(), plain.model().flat()));
}

// The option needs our optimizer kernels: with LibTorch's it is off.
TEST(DeferredUpdateTest, OffWithLibTorchsOptimizerOnCuda) {
  SG_REQUIRE_CUDA();
  PackTrainerOptions o = TinyCudaOptions(0.5);
  o.update_beside_forward = true;
  o.own_optimizer_kernels = false;
  const auto train = testing_util::SyntheticLines(25, 8);
  PackTrainer trainer(o, &train);
  trainer.Step();
  EXPECT_FALSE(trainer.updates_beside_forward());
}

}  // namespace
}  // namespace sg
