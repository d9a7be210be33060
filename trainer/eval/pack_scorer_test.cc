#include "trainer/eval/pack_scorer.h"

#include <gtest/gtest.h>

#include "trainer/model/pack_trainer.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

using testing_util::kNumIds;
using testing_util::kSos;

class PackScorerTest : public ::testing::Test {
 protected:
  PackScorerTest()
      : model_(ModelShape::FromConfig(testing_util::TinyConfig(), kNumIds), {3, 4},
               torch::kCPU) {}

  // The logits at the last position of one unpadded sequence, for one seed.
  std::vector<float> Direct(int64_t seed, const TokenIds& seq) {
    torch::NoGradGuard g;
    const int64_t T = static_cast<int64_t>(seq.size());
    torch::Tensor ids = torch::zeros({1, 1, T}, torch::kInt64);
    for (int64_t t = 0; t < T; ++t) ids[0][0][t] = seq[t];
    PackParams one = model_.params().Slice(seed, seed + 1);
    torch::Tensor h = model_.Hidden(one, ids, torch::full({1, 1}, T, torch::kInt64), {});
    torch::Tensor lg = model_.Logits(one, h)[0][T - 1].contiguous();
    return std::vector<float>(lg.data_ptr<float>(), lg.data_ptr<float>() + lg.numel());
  }

  PackModel model_;
};

TEST_F(PackScorerTest, NextTokenScoresMatchUnbatchedForward) {
  EvalBudget budget;
  budget.max_rows = 3;
  PackScorer scorer(&model_, budget);
  // Includes prefixes of other inputs and a duplicate (answered from the longer forward).
  std::vector<TokenIds> inputs = {{kSos, 1, 2, 3, 4, 5}, {kSos}, {kSos, 9, 8}, {kSos, 4, 4, 4},
                                  {kSos, 1, 1, 1, 1, 1, 1, 1, 1}, {kSos, 1, 2},
                                  {kSos, 1, 2, 3, 4, 5}, {kSos, 1, 1, 1}, {kSos, 9, 8, 7}};
  auto scores = scorer.NextTokenScores(inputs);
  ASSERT_TRUE(scores.ok()) << scores.status();
  ASSERT_EQ(scores->size(), 2u);
  for (int64_t s = 0; s < 2; ++s) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      std::vector<float> want = Direct(s, inputs[i]);
      ASSERT_EQ((*scores)[s][i].size(), static_cast<size_t>(kNumIds));
      for (int v = 0; v < kNumIds; ++v) EXPECT_NEAR((*scores)[s][i][v], want[v], 1e-4);
    }
  }
  EXPECT_FALSE(scorer.NextTokenScores({{}}).ok());
  EXPECT_FALSE(scorer.NextTokenScores({{kSos, 99}}).ok());
}

TEST_F(PackScorerTest, GreedyDecodeEqualsRerunningTheFullForward) {
  EvalBudget budget;
  budget.max_rows = 2;
  PackScorer scorer(&model_, budget);
  std::vector<TokenIds> prompts = {{kSos, 1, 2, 3}, {kSos, 5}, {kSos, 7, 7, 7, 7, 7, 7}};
  constexpr int kMaxNew = 6;
  auto decoded = scorer.GreedyDecode(prompts, kMaxNew);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  for (int64_t s = 0; s < 2; ++s) {
    for (size_t i = 0; i < prompts.size(); ++i) {
      TokenIds seq = prompts[i];
      TokenIds want;
      for (int step = 0; step <= kMaxNew; ++step) {
        std::vector<float> lg = Direct(s, seq);
        const int32_t tok = static_cast<int32_t>(
            std::max_element(lg.begin(), lg.end()) - lg.begin());
        want.push_back(tok);
        seq.push_back(tok);
      }
      EXPECT_EQ((*decoded)[s][i], want) << "seed " << s << " prompt " << i;
    }
  }
}

}  // namespace
}  // namespace sg
