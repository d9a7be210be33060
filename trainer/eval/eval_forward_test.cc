#include "trainer/eval/eval_forward.h"

#include <gtest/gtest.h>

#include "trainer/model/pack_trainer.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

using testing_util::kEos;
using testing_util::kNumIds;
using testing_util::kSos;

// A pack whose LayerNorm gains and biases are not the 1/0 they start at (so a mixed-up affine
// parameter shows), tied or not.
PackModel PerturbedModel(bool tie) {
  TrainConfig c = testing_util::TinyConfig();
  c.tie_embeddings = tie;
  PackModel model(ModelShape::FromConfig(c, kNumIds), {3, 4, 5}, torch::kCPU);
  torch::NoGradGuard no_grad;
  torch::manual_seed(11);
  model.flat().add_(torch::randn_like(model.flat()) * 0.3);
  return model;
}

// Rows of different lengths in one batch: outputs at valid positions must equal Hidden's.
void ExpectHiddenMatchesModel(bool tie) {
  PackModel model = PerturbedModel(tie);
  const std::vector<TokenIds> lines = testing_util::SyntheticLines(7, 9);
  std::vector<const TokenIds*> rows;
  for (const TokenIds& l : lines) rows.push_back(&l);
  const int64_t S = model.num_seeds();
  LmBatch b = MakeLmBatch(std::vector<std::vector<const TokenIds*>>(S, rows), kSos, kEos,
                          torch::kCPU);
  torch::NoGradGuard no_grad;
  const torch::Tensor want_hidden = model.Hidden(model.params(), b.ids, b.lengths, {});
  const torch::Tensor want_logits = model.Logits(model.params(), want_hidden);

  const EvalForward forward(model);
  ASSERT_EQ(forward.dtype(), torch::kFloat32);
  const torch::Tensor hidden = forward.Hidden(b.ids);
  const torch::Tensor logits = forward.Logits(hidden);
  ASSERT_EQ(hidden.sizes(), want_hidden.sizes());
  ASSERT_EQ(logits.sizes(), want_logits.sizes());

  const int64_t B = b.ids.size(1), T = b.ids.size(2);
  int64_t compared = 0;
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t r = 0; r < B; ++r) {
      const int64_t len = b.lengths[s][r].item<int64_t>();
      for (int64_t t = 0; t < len; ++t) {
        const int64_t i = r * T + t;
        EXPECT_TRUE(torch::allclose(hidden[s][i], want_hidden[s][i], 1e-4, 1e-5))
            << "seed " << s << " row " << r << " position " << t;
        EXPECT_TRUE(torch::allclose(logits[s][i], want_logits[s][i], 1e-4, 1e-5))
            << "seed " << s << " row " << r << " position " << t;
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 7 * S * 3);
}

TEST(EvalForwardTest, EqualsTheModelsForwardAtValidPositions) { ExpectHiddenMatchesModel(false); }

TEST(EvalForwardTest, EqualsTheModelsForwardWithTiedEmbeddings) { ExpectHiddenMatchesModel(true); }

TEST(EvalForwardTest, Bf16IsACudaOptionAndTheCpuStaysFp32) {
  PackModel model = PerturbedModel(false);
  EvalForwardOptions o;
  o.bf16 = true;
  EXPECT_EQ(EvalForward(model, o).dtype(), torch::kFloat32);
}

TEST(EvalForwardTest, RejectsSequencesLongerThanThePositionTable) {
  TrainConfig c = testing_util::TinyConfig();
  ModelShape shape = ModelShape::FromConfig(c, kNumIds);
  shape.max_len = 4;
  PackModel model(shape, {1}, torch::kCPU);
  const EvalForward forward(model);
  EXPECT_NO_THROW(forward.Hidden(torch::ones({1, 2, 4}, torch::kInt64)));
  EXPECT_THROW(forward.Hidden(torch::ones({1, 2, 5}, torch::kInt64)), c10::Error);
}

}  // namespace
}  // namespace sg
