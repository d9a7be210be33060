#include "trainer/model/pack_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "trainer/eval/pack_eval.h"
#include "trainer/model/pack_trainer.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

using testing_util::kEos;
using testing_util::kNumIds;
using testing_util::kSos;

ModelShape PaperShape(int64_t num_ids, int64_t layers) {
  ModelShape s;
  s.num_ids = num_ids;
  s.layers = layers;
  return s;
}

TEST(PackModelTest, ParameterCountsMatchTheSpec) {
  // experiment.md §1.8.
  EXPECT_EQ(PaperShape(71, 2).NumParams(), 6373447);
  EXPECT_EQ(PaperShape(101, 4).NumParams(), 12704869);
  EXPECT_EQ(PaperShape(43, 6).NumParams(), 18946091);
  EXPECT_EQ(PaperShape(71, 10).NumParams(), 31576135);
  ModelShape tied = PaperShape(43, 6);
  tied.tie_embeddings = true;
  EXPECT_EQ(tied.NumParams(), 18946091 - 22016);
}

TEST(PackModelTest, PaperInitBounds) {
  // experiment.md §1.6 for Dyck (V+2 = 43).
  for (const ParamSlot& slot : ParamLayout(PaperShape(43, 1))) {
    double want = -1;
    if (slot.name == "embedding" || slot.name == "out_w") want = 0.10398;
    if (slot.name == "out_b" || slot.name == "layer0.b1") want = 0.04419;
    if (slot.name == "layer0.wqkv" || slot.name == "layer0.wo") {
      want = 0.07655;
    }
    if (slot.name == "layer0.w1") want = 0.06847;
    if (slot.name == "layer0.w2") want = 0.04841;
    if (slot.name == "layer0.b2") want = 0.02210;
    if (want > 0) {
      EXPECT_EQ(slot.init, ParamSlot::Init::kUniform) << slot.name;
      EXPECT_NEAR(slot.bound, want, 5e-6) << slot.name;
    }
  }
  EXPECT_NEAR(DeadDecoderSquaredNorm(512, 2048), 48546, 1.0);
}

TEST(PackModelTest, InitIsPerSeedAndWithinBounds) {
  ModelShape s = ModelShape::FromConfig(testing_util::TinyConfig(), kNumIds);
  PackModel pack(s, {5, 9}, torch::kCPU);
  PackModel alone(s, {9}, torch::kCPU);
  EXPECT_TRUE(torch::equal(pack.flat()[1], alone.flat()[0]));  // same init in any pack
  EXPECT_FALSE(torch::equal(pack.flat()[0], pack.flat()[1]));
  for (const ParamSlot& slot : pack.layout()) {
    torch::Tensor t = pack.flat().narrow(1, slot.offset, slot.numel);
    switch (slot.init) {
      case ParamSlot::Init::kUniform:
        EXPECT_LE(t.abs().max().item<double>(), slot.bound) << slot.name;
        if (slot.numel >= 200) {
          EXPECT_GT(t.abs().max().item<double>(), 0.9 * slot.bound) << slot.name;
        }
        break;
      case ParamSlot::Init::kOnes:
        EXPECT_TRUE(torch::equal(t, torch::ones_like(t))) << slot.name;
        break;
      case ParamSlot::Init::kZeros:
        EXPECT_TRUE(torch::equal(t, torch::zeros_like(t))) << slot.name;
        break;
    }
  }
}

TEST(PackModelTest, LossMatchesDirectComputationAndGradsLandInFlatBuffer) {
  ModelShape s = ModelShape::FromConfig(testing_util::TinyConfig(), kNumIds);
  PackModel model(s, {1, 2}, torch::kCPU);
  auto lines = testing_util::SyntheticLines(5, 3);
  std::vector<std::vector<const TokenIds*>> per_seed = {{&lines[0], &lines[1], &lines[2]},
                                                        {&lines[3], &lines[4]}};
  LmBatch b = MakeLmBatch(per_seed, kSos, kEos, torch::kCPU);
  const PackParams& p = model.params();
  torch::Tensor logits = model.Logits(p, model.Hidden(p, b.ids, b.lengths, {}));
  torch::Tensor loss = LossPerSeed(logits, b.targets.view({2, -1}), b.counts);

  // Direct: each seed's lines one at a time, summed log-probs over all targets incl. EOS,
  // divided by the seed's target count (a token mean over the batch, not a mean of means).
  for (int64_t seed = 0; seed < 2; ++seed) {
    double nll = 0, count = 0;
    for (const TokenIds* line : per_seed[seed]) {
      const int64_t n = static_cast<int64_t>(line->size());
      torch::Tensor ids = torch::zeros({1, 1, n + 1}, torch::kInt64);
      ids[0][0][0] = kSos;
      for (int64_t t = 0; t < n; ++t) ids[0][0][t + 1] = (*line)[t];
      PackParams one = p.Slice(seed, seed + 1);
      torch::Tensor lg = model.Logits(one, model.Hidden(one, ids, torch::full({1, 1}, n + 1,
                                                                              torch::kInt64), {}));
      torch::Tensor logp = torch::log_softmax(lg.to(torch::kFloat64), -1)[0];
      for (int64_t t = 0; t <= n; ++t) {
        const int64_t target = t < n ? (*line)[t] : kEos;
        nll -= logp[t][target].item<double>();
        count += 1;
      }
    }
    EXPECT_NEAR(loss[seed].item<double>(), nll / count, 1e-5);
  }

  void* grad_ptr_before = model.params().layers[0].w1.grad().data_ptr();
  loss.sum().backward();
  EXPECT_EQ(model.params().layers[0].w1.grad().data_ptr(), grad_ptr_before);
  EXPECT_GT(model.flat_grad().abs().sum().item<double>(), 0.0);
  // Both seeds' rows of the flat buffer received gradients.
  EXPECT_GT(model.flat_grad()[0].abs().sum().item<double>(), 0.0);
  EXPECT_GT(model.flat_grad()[1].abs().sum().item<double>(), 0.0);
}

TEST(PackModelTest, CausalAndPaddingInvariant) {
  ModelShape s = ModelShape::FromConfig(testing_util::TinyConfig(), kNumIds);
  PackModel model(s, {4}, torch::kCPU);
  const PackParams& p = model.params();
  torch::Tensor a = torch::tensor({kSos, 1, 2, 3, 4}, torch::kInt64).view({1, 1, 5});
  torch::Tensor b = torch::tensor({kSos, 1, 2, 7, 8}, torch::kInt64).view({1, 1, 5});
  torch::Tensor len = torch::full({1, 1}, 5, torch::kInt64);
  torch::Tensor ha = model.Hidden(p, a, len, {}), hb = model.Hidden(p, b, len, {});
  EXPECT_TRUE(torch::allclose(ha.slice(1, 0, 3), hb.slice(1, 0, 3), 1e-6, 1e-6));
  EXPECT_FALSE(torch::allclose(ha.slice(1, 3, 5), hb.slice(1, 3, 5), 1e-6, 1e-6));
  // Padding a row to 8 positions with garbage does not change its valid positions.
  torch::Tensor padded = torch::tensor({kSos, 1, 2, 3, 4, 9, 9, 9}, torch::kInt64).view({1, 1, 8});
  torch::Tensor hp = model.Hidden(p, padded, len, {});
  EXPECT_TRUE(torch::allclose(ha, hp.slice(1, 0, 5), 1e-5, 1e-6));
}

TEST(PackModelTest, AttentionEntropyOfUniformAttention) {
  // With W_q = 0 every score is 0, so row q attends uniformly to keys 0..q: entropy ln(q+1),
  // sentence value sum_q ln(q+1) (the mean over layers of identical layers).
  ModelShape s = ModelShape::FromConfig(testing_util::TinyConfig(), kNumIds);
  PackModel model(s, {1, 2}, torch::kCPU);
  {
    torch::NoGradGuard g;
    for (const ParamSlot& slot : model.layout()) {
      if (slot.name.find(".wqkv") != std::string::npos) {  // W_q: its first d columns
        model.flat().narrow(1, slot.offset, slot.numel).view({2, s.d_model, 3 * s.d_model})
            .narrow(2, 0, s.d_model).zero_();
      }
    }
  }
  std::vector<TokenIds> sentences = {{1, 2, 3}, {4, 5, 6, 7, 8, 9}};
  EvalBudget budget;
  budget.max_rows = 1;  // exercises chunking
  auto ent = EvalAttentionEntropy(model, sentences, kSos, budget);
  auto sum_log = [](int n) {
    double v = 0;
    for (int q = 0; q < n; ++q) v += std::log(q + 1.0);
    return v;
  };
  const double want = (sum_log(4) + sum_log(7)) / 2;
  ASSERT_EQ(ent.size(), 2u);
  EXPECT_NEAR(ent[0], want, 1e-4);
  EXPECT_NEAR(ent[1], want, 1e-4);
}

TEST(PackModelTest, EvalLmLossIsMeanOfBatchMeans) {
  ModelShape s = ModelShape::FromConfig(testing_util::TinyConfig(), kNumIds);
  PackModel model(s, {1, 2}, torch::kCPU);
  auto lines = testing_util::SyntheticLines(7, 9);
  EvalBudget small;
  small.max_rows = 2;
  auto chunked = EvalLmLoss(model, lines, kSos, kEos, 4, small);
  auto whole = EvalLmLoss(model, lines, kSos, kEos, 4, EvalBudget());
  // Direct: batch means of batches {0..3}, {4..6}.
  for (int64_t seed = 0; seed < 2; ++seed) {
    double batch_means = 0;
    for (auto range : {std::pair<int, int>{0, 4}, std::pair<int, int>{4, 7}}) {
      std::vector<const TokenIds*> rows;
      for (int i = range.first; i < range.second; ++i) rows.push_back(&lines[i]);
      LmBatch b = MakeLmBatch({rows}, kSos, kEos, torch::kCPU);
      PackParams one = model.params().Slice(seed, seed + 1);
      torch::NoGradGuard g;
      torch::Tensor lg = model.Logits(one, model.Hidden(one, b.ids, b.lengths, {}));
      batch_means += LossPerSeed(lg, b.targets.view({1, -1}), b.counts).item<double>();
    }
    EXPECT_NEAR(chunked[seed], batch_means / 2, 1e-5);
    EXPECT_NEAR(whole[seed], batch_means / 2, 1e-5);
  }
  auto norms = WeightNorms(model);
  EXPECT_NEAR(norms[1], model.flat()[1].to(torch::kFloat64).norm().item<double>(), 1e-6);
}

}  // namespace
}  // namespace sg
