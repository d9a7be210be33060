#include "trainer/model/pack_trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "trainer/model/state_payload.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

using testing_util::TinyTrainerOptions;
using testing_util::ToVector;

TEST(PackTrainerTest, PackEqualsSinglesWithoutDropout) {
  // Lines of different lengths, so each step the pack pads to a longer T than each single.
  const auto train = testing_util::SyntheticLines(60, 11, 20);
  TrainConfig config = testing_util::TinyConfig();
  config.clip = 0.5;  // clipping active: it must act per seed
  const std::vector<int64_t> seeds = {3, 7, 11};
  constexpr int kSteps = 40;

  PackTrainer pack(TinyTrainerOptions(seeds, config), &train);
  std::vector<std::vector<double>> pack_losses;
  for (int i = 0; i < kSteps; ++i) pack_losses.push_back(ToVector(pack.Step()));

  for (size_t s = 0; s < seeds.size(); ++s) {
    PackTrainer single(TinyTrainerOptions({seeds[s]}, config), &train);
    for (int i = 0; i < kSteps; ++i) {
      const double want = ToVector(single.Step())[0];
      EXPECT_NEAR(pack_losses[i][s], want, 1e-4 * std::abs(want))
          << "seed " << seeds[s] << " step " << i + 1;
    }
    EXPECT_TRUE(torch::allclose(pack.model().flat()[s], single.model().flat()[0], 1e-4, 1e-5));
  }
  // Training did something.
  EXPECT_LT(pack_losses.back()[0], pack_losses.front()[0]);
}

TEST(PackTrainerTest, TiedEmbeddingsTrainPastTheFirstUpdate) {
  // Tied output weights are the embedding's transpose. A view of it kept from construction
  // (made under no_grad) made autograd refuse every step after the optimizer's first in-place
  // update: "A view was created in no_grad mode and its base ... modified inplace".
  const auto train = testing_util::SyntheticLines(40, 9);
  TrainConfig config = testing_util::TinyConfig();
  config.tie_embeddings = true;
  PackTrainer pack(TinyTrainerOptions({1, 2}, config), &train);
  std::vector<std::vector<double>> losses;
  for (int i = 0; i < 20; ++i) losses.push_back(ToVector(pack.Step()));
  for (size_t s = 0; s < 2; ++s) {
    EXPECT_TRUE(std::isfinite(losses.back()[s]));
    EXPECT_LT(losses.back()[s], losses.front()[s]) << "seed " << s << " learned nothing";
  }
  // One seed alone follows the same path as in the pack (the tied weight is per seed too).
  PackTrainer single(TinyTrainerOptions({2}, config), &train);
  for (int i = 0; i < 20; ++i) {
    const double want = ToVector(single.Step())[0];
    EXPECT_NEAR(losses[i][1], want, 1e-4 * std::abs(want)) << "step " << i + 1;
  }
}

TEST(PackTrainerTest, DropoutPackKeepsInitAndDataOrderOfSingles) {
  const auto train = testing_util::SyntheticLines(30, 5);
  TrainConfig config = testing_util::TinyConfig();
  config.dropout = 0.1;
  PackTrainer pack(TinyTrainerOptions({1, 2}, config), &train);
  PackTrainer single(TinyTrainerOptions({2}, config), &train);
  EXPECT_TRUE(torch::equal(pack.model().flat()[1], single.model().flat()[0]));
  // Same per-seed data order: both consume the same stream.
  DataOrder a(2, 30, config.batch_size), b(2, 30, config.batch_size);
  EXPECT_EQ(a.NextBatch(), b.NextBatch());
}

TEST(PackTrainerTest, DropoutPackEqualsSingles) {
  // Per-seed dropout streams, drawn for each seed's own [rows, length] extent: with dropout on,
  // a seed in a pack follows its single-seed run. Lines of different lengths, so the pack pads
  // to a longer T than each single.
  const auto train = testing_util::SyntheticLines(40, 12, 20);
  TrainConfig config = testing_util::TinyConfig();
  config.dropout = 0.2;
  const std::vector<int64_t> seeds = {4, 9};
  constexpr int kSteps = 20;
  PackTrainer pack(TinyTrainerOptions(seeds, config), &train);
  std::vector<std::vector<double>> pack_losses;
  for (int i = 0; i < kSteps; ++i) pack_losses.push_back(ToVector(pack.Step()));
  for (size_t s = 0; s < seeds.size(); ++s) {
    PackTrainer single(TinyTrainerOptions({seeds[s]}, config), &train);
    for (int i = 0; i < kSteps; ++i) {
      const double want = ToVector(single.Step())[0];
      EXPECT_NEAR(pack_losses[i][s], want, 1e-4 * std::abs(want))
          << "seed " << seeds[s] << " step " << i + 1;
    }
    EXPECT_TRUE(torch::allclose(pack.model().flat()[s], single.model().flat()[0], 1e-4, 1e-5));
  }
  // Dropout is really on: the same seed without dropout trains differently.
  TrainConfig no_dropout = config;
  no_dropout.dropout = 0.0;
  PackTrainer plain(TinyTrainerOptions({seeds[0]}, no_dropout), &train);
  double max_diff = 0;
  for (int i = 0; i < kSteps; ++i) {
    max_diff = std::max(max_diff, std::abs(ToVector(plain.Step())[0] - pack_losses[i][0]));
  }
  EXPECT_GT(max_diff, 1e-3);
}

TEST(PackTrainerTest, SeedStateResumesInAnyPack) {
  const auto train = testing_util::SyntheticLines(25, 8, 18);
  TrainConfig config = testing_util::TinyConfig();
  config.dropout = 0.1;
  constexpr int kStop = 9, kSteps = 16;

  PackTrainer straight(TinyTrainerOptions({0, 1}, config), &train);
  std::vector<std::vector<double>> want;
  for (int i = 0; i < kSteps; ++i) want.push_back(ToVector(straight.Step()));

  std::string seed0, seed1;
  {
    PackTrainer first(TinyTrainerOptions({0, 1}, config), &train);
    for (int i = 0; i < kStop; ++i) first.Step();
    seed0 = first.SaveSeedState(0);
    seed1 = first.SaveSeedState(1);
  }
  // The same pack from its per-seed files: bit-exact.
  PackTrainer same(TinyTrainerOptions({0, 1}, config), &train);
  ASSERT_TRUE(same.LoadSeedState(0, seed0).ok());
  ASSERT_TRUE(same.LoadSeedState(1, seed1).ok());
  EXPECT_EQ(same.step(), kStop);
  for (int i = kStop; i < kSteps; ++i) EXPECT_EQ(ToVector(same.Step()), want[i]) << i + 1;
  EXPECT_TRUE(torch::equal(same.model().flat(), straight.model().flat()));

  // Seed 1 alone from its file continues its trajectory in the pack (within the float noise
  // of the pack's longer padding, as with dropout 0).
  PackTrainer alone(TinyTrainerOptions({1}, config), &train);
  ASSERT_TRUE(alone.LoadSeedState(0, seed1).ok());
  EXPECT_EQ(alone.step(), kStop);
  for (int i = kStop; i < kSteps; ++i) {
    const double got = ToVector(alone.Step())[0];
    EXPECT_NEAR(got, want[i][1], 1e-4 * std::abs(want[i][1])) << "step " << i + 1;
  }
  EXPECT_TRUE(torch::allclose(alone.model().flat()[0], straight.model().flat()[1], 1e-4, 1e-5));

  // And in the other order within a pack {1, 0}: slot 0 holds seed 1.
  PackTrainer swapped(TinyTrainerOptions({1, 0}, config), &train);
  ASSERT_TRUE(swapped.LoadSeedState(0, seed1).ok());
  ASSERT_TRUE(swapped.LoadSeedState(1, seed0).ok());
  for (int i = kStop; i < kSteps; ++i) {
    std::vector<double> got = ToVector(swapped.Step());
    EXPECT_NEAR(got[0], want[i][1], 1e-4 * std::abs(want[i][1])) << "step " << i + 1;
    EXPECT_NEAR(got[1], want[i][0], 1e-4 * std::abs(want[i][0])) << "step " << i + 1;
  }
}

TEST(PackTrainerTest, LoadSeedStateRejectsOtherSeedOrShape) {
  const auto train = testing_util::SyntheticLines(10, 1);
  TrainConfig config = testing_util::TinyConfig();
  PackTrainer a(TinyTrainerOptions({0, 1}, config), &train);
  const std::string seed1 = a.SaveSeedState(1);
  PackTrainer b(TinyTrainerOptions({2}, config), &train);
  EXPECT_EQ(b.LoadSeedState(0, seed1).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(b.LoadSeedState(0, a.SaveState()).code(), absl::StatusCode::kFailedPrecondition);
  config.depth = 1;
  PackTrainer other_shape(TinyTrainerOptions({1}, config), &train);
  EXPECT_EQ(other_shape.LoadSeedState(0, seed1).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(b.LoadSeedState(0, "junk").code(), absl::StatusCode::kDataLoss);
}

TEST(PackTrainerTest, ResumeIsExact) {
  const auto train = testing_util::SyntheticLines(25, 8);
  TrainConfig config = testing_util::TinyConfig();
  config.dropout = 0.1;  // the dropout stream must be restored too
  const std::vector<int64_t> seeds = {0, 1};

  PackTrainer straight(TinyTrainerOptions(seeds, config), &train);
  std::vector<std::vector<double>> want;
  for (int i = 0; i < 14; ++i) want.push_back(ToVector(straight.Step()));
  PackTrainer::Stats want_stats = straight.TakeStats();

  std::string state;
  {
    PackTrainer first(TinyTrainerOptions(seeds, config), &train);
    for (int i = 0; i < 9; ++i) EXPECT_EQ(ToVector(first.Step()), want[i]);
    state = first.SaveState();
  }
  PackTrainer resumed(TinyTrainerOptions(seeds, config), &train);
  ASSERT_TRUE(resumed.LoadState(state).ok());
  EXPECT_EQ(resumed.step(), 9);
  for (int i = 9; i < 14; ++i) EXPECT_EQ(ToVector(resumed.Step()), want[i]) << "step " << i + 1;
  EXPECT_TRUE(torch::equal(resumed.model().flat(), straight.model().flat()));
  PackTrainer::Stats got_stats = resumed.TakeStats();
  EXPECT_EQ(got_stats.steps, 14);
  EXPECT_EQ(got_stats.loss, want_stats.loss);
  EXPECT_EQ(got_stats.grad_norm, want_stats.grad_norm);
}

TEST(PackTrainerTest, AStagedStateIsTheStateWhenStaged) {
  // sg-train stages a checkpoint's state, trains on and finishes the payload on another
  // thread: the payload must be the one SaveState gave at the stage, byte for byte.
  const auto train = testing_util::SyntheticLines(25, 8);
  TrainConfig config = testing_util::TinyConfig();
  config.dropout = 0.1;
  PackTrainer a(TinyTrainerOptions({0, 1}, config), &train);
  for (int i = 0; i < 3; ++i) a.Step();
  const std::string want = a.SaveState(), want_seed = a.SaveSeedState(1);
  std::unique_ptr<StatePayloadWriter> staged = a.StageState();
  std::unique_ptr<StatePayloadWriter> staged_seed = a.StageSeedState(1);
  a.Step();
  EXPECT_NE(a.SaveState(), want);  // the step changed the state
  EXPECT_EQ(staged->Finish(), want);
  EXPECT_EQ(staged_seed->Finish(), want_seed);
}

TEST(PackTrainerTest, LoadStateRejectsOtherPack) {
  const auto train = testing_util::SyntheticLines(10, 1);
  TrainConfig config = testing_util::TinyConfig();
  PackTrainer a(TinyTrainerOptions({0, 1}, config), &train);
  const std::string state = a.SaveState();
  PackTrainer other_seeds(TinyTrainerOptions({0, 2}, config), &train);
  EXPECT_EQ(other_seeds.LoadState(state).code(), absl::StatusCode::kFailedPrecondition);
  config.depth = 1;
  PackTrainer other_shape(TinyTrainerOptions({0, 1}, config), &train);
  EXPECT_EQ(other_shape.LoadState(state).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(a.LoadState("not a checkpoint").code(), absl::StatusCode::kDataLoss);
}

TEST(PackOptimizerTest, ClipIsPerSeed) {
  torch::Tensor g = torch::zeros({2, 4});
  g[0] = torch::tensor({300.0f, 400.0f, 0.0f, 0.0f});  // norm 500
  g[1] = torch::tensor({0.3f, 0.4f, 0.0f, 0.0f});      // norm 0.5
  torch::Tensor norms = ClipPerSeed(g, 1.0);
  EXPECT_NEAR(norms[0].item<double>(), 500.0, 1e-3);
  EXPECT_NEAR(norms[1].item<double>(), 0.5, 1e-6);
  EXPECT_NEAR(g[0].norm().item<double>(), 1.0, 1e-5);
  EXPECT_TRUE(torch::equal(g[1], torch::tensor({0.3f, 0.4f, 0.0f, 0.0f})));  // untouched
}

TEST(PackOptimizerTest, MatchesTorchAdamW) {
  torch::manual_seed(0);
  torch::Tensor init = torch::randn({2, 6});
  torch::Tensor mine = init.clone();
  torch::Tensor theirs = init.clone().requires_grad_(true);
  AdamWOptions o;
  o.weight_decay = 0.01;
  PackAdamW ours(mine, o);
  torch::optim::AdamW ref({theirs}, torch::optim::AdamWOptions(0.01)
                                        .betas({0.9, 0.999})
                                        .eps(1e-7)
                                        .weight_decay(0.01));
  for (int step = 1; step <= 5; ++step) {
    torch::Tensor grad = torch::randn({2, 6});
    ours.Step(mine, grad, 0.01, step);
    theirs.mutable_grad() = grad.clone();
    ref.step();
  }
  EXPECT_TRUE(torch::allclose(mine, theirs.detach(), 1e-6, 1e-7));
}

}  // namespace
}  // namespace sg
