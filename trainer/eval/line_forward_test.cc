#include "trainer/eval/line_forward.h"

#include <gtest/gtest.h>

#include "trainer/eval/pack_scorer.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

using testing_util::kEos;
using testing_util::kNumIds;
using testing_util::kSos;

PackModel Model() {
  return PackModel(ModelShape::FromConfig(testing_util::TinyConfig(), kNumIds), {5, 6, 7},
                   torch::kCPU);
}

TEST(LineForwardTest, LossEqualsEvalLmLossAndKeepsWhatWasAskedFor) {
  PackModel model = Model();
  const std::vector<TokenIds> lines = testing_util::SyntheticLines(23, 4);
  EvalBudget budget;
  budget.max_rows = 5;  // several chunks
  LineForward plain = LineForward::Compute(model, lines, kSos, kEos, budget);
  EXPECT_FALSE(plain.HasLogits());
  EXPECT_FALSE(plain.HasArgmax());
  LineForwardOptions o;
  o.keep_logits = true;
  o.keep_argmax = true;
  LineForward kept = LineForward::Compute(model, lines, kSos, kEos, budget, o);
  ASSERT_TRUE(kept.HasLogits());
  ASSERT_TRUE(kept.HasArgmax());
  const std::vector<double> want = EvalLmLoss(model, lines, kSos, kEos, 4, budget);
  const std::vector<double> a = plain.LmLoss(4), b = kept.LmLoss(4);
  ASSERT_EQ(a.size(), 3u);
  for (size_t s = 0; s < 3; ++s) {
    EXPECT_DOUBLE_EQ(a[s], want[s]);
    EXPECT_DOUBLE_EQ(b[s], want[s]);
  }
  EXPECT_TRUE(std::isnan(LineForward::Compute(model, {}, kSos, kEos, budget).LmLoss(32)[0]));
}

TEST(LineForwardTest, LogitsAndArgmaxAreThoseOfAnUnbatchedForward) {
  PackModel model = Model();
  const std::vector<TokenIds> lines = testing_util::SyntheticLines(9, 11);
  EvalBudget budget;
  budget.max_rows = 4;
  LineForwardOptions o;
  o.keep_logits = true;
  o.keep_argmax = true;
  LineForward f = LineForward::Compute(model, lines, kSos, kEos, budget, o);
  torch::NoGradGuard g;
  for (int64_t line = 0; line < f.num_lines(); ++line) {
    const TokenIds& in = f.input(line);
    ASSERT_EQ(in.size(), lines[line].size() + 1);
    const int64_t T = static_cast<int64_t>(in.size());
    torch::Tensor ids = torch::zeros({3, 1, T}, torch::kInt64);
    for (int64_t t = 0; t < T; ++t) ids.select(2, t).fill_(in[t]);
    torch::Tensor want = model.Logits(
        model.params(), model.Hidden(model.params(), ids, torch::full({3, 1}, T, torch::kInt64), {}));
    std::vector<LineForward::Hit> hits;
    for (int64_t t = 0; t < T; ++t) hits.push_back({line, t});
    torch::Tensor got = f.LogitsAt(hits);  // [3, T, V]
    EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-5)) << "line " << line;
    for (int64_t s = 0; s < 3; ++s) {
      for (int64_t t = 0; t < T; ++t) {
        EXPECT_EQ(f.ArgmaxAt(s, line, t), want[s][t].argmax().item<int64_t>());
      }
    }
  }
}

TEST(LineForwardTest, FindsPrefixesOfLinesOnly) {
  PackModel model = Model();
  const std::vector<TokenIds> lines = {{1, 2, 3}, {1, 2, 4, 5}, {7}, {1, 2, 3, 9}};
  LineForward f = LineForward::Compute(model, lines, kSos, kEos, EvalBudget());
  auto hit = f.Find({kSos, 1, 2, 4});
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->line, 1);
  EXPECT_EQ(hit->pos, 3);
  hit = f.Find({kSos, 1, 2, 3});  // a whole line and a prefix of another: either serves
  ASSERT_TRUE(hit.has_value());
  EXPECT_TRUE(hit->line == 0 || hit->line == 3);
  EXPECT_EQ(hit->pos, 3);
  hit = f.Find({kSos});
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->pos, 0);
  EXPECT_FALSE(f.Find({kSos, 1, 2, 3, 9, 9}).has_value());  // longer than every line
  EXPECT_FALSE(f.Find({kSos, 7, 1}).has_value());
  EXPECT_FALSE(f.Find({1, 2}).has_value());  // no SOS
  EXPECT_FALSE(f.Find({}).has_value());
}

TEST(LineForwardTest, LogitsOverTheBudgetAreNotKept) {
  PackModel model = Model();
  const std::vector<TokenIds> lines = testing_util::SyntheticLines(50, 2);
  EvalBudget budget;
  budget.max_bytes = 3 * 50 * kNumIds * 4;  // far fewer than 3 seeds x ~450 positions x V
  LineForwardOptions o;
  o.keep_logits = true;
  LineForward f = LineForward::Compute(model, lines, kSos, kEos, budget, o);
  EXPECT_FALSE(f.HasLogits());
}

// The scorer answers prefixes of the lines from the kept logits and the rest by its own
// forward: the same scores either way.
TEST(LineForwardTest, ScorerServesPrefixesFromTheLines) {
  PackModel model = Model();
  const std::vector<TokenIds> lines = testing_util::SyntheticLines(12, 8);
  LineForwardOptions o;
  o.keep_logits = true;
  EvalBudget budget;
  budget.max_rows = 4;
  LineForward f = LineForward::Compute(model, lines, kSos, kEos, budget, o);
  std::vector<TokenIds> inputs;
  for (size_t i = 0; i < lines.size(); i += 2) {
    inputs.push_back({kSos});
    inputs.back().insert(inputs.back().end(), lines[i].begin(), lines[i].begin() + 2);
  }
  inputs.push_back({kSos, 9, 9, 9, 9});  // in no line
  inputs.push_back({kSos, 3, 3});
  PackScorer from_lines(&model, budget), plain(&model, budget);
  from_lines.set_lines(&f);
  auto a = from_lines.NextTokenScores(inputs);
  auto b = plain.NextTokenScores(inputs);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  for (size_t s = 0; s < 3; ++s) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      ASSERT_EQ((*a)[s][i].size(), static_cast<size_t>(kNumIds));
      for (int v = 0; v < kNumIds; ++v) EXPECT_NEAR((*a)[s][i][v], (*b)[s][i][v], 1e-5);
    }
  }
}

}  // namespace
}  // namespace sg
