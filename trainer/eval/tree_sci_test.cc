// SCI from the n-forwards shortcut against the reference's one forward per span, on small random
// packs (trainer/tree_sci.h).
#include "trainer/eval/tree_sci.h"

#include <cmath>

#include "gtest/gtest.h"
#include "tasks/gold_tree.h"
#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

using testing_util::kNumIds;
using testing_util::kSos;

// Random word sequences (ids 1..9) of 1..max_len words.
std::vector<TokenIds> RandomSentences(int count, uint64_t seed, int max_len) {
  Rng rng(seed);
  std::vector<TokenIds> out;
  for (int k = 0; k < count; ++k) {
    TokenIds s(1 + rng.Below(max_len));
    for (int32_t& w : s) w = 1 + static_cast<int32_t>(rng.Below(9));
    out.push_back(s);
  }
  return out;
}

// A pack whose weights are scaled up so that attention is far from uniform and context matters
// (a freshly initialised tiny model would give SCI close to 1 everywhere).
PackModel RandomPack(const std::vector<int64_t>& seeds, torch::Device device = torch::kCPU) {
  PackModel model(ModelShape::FromConfig(testing_util::TinyConfig(), kNumIds), seeds, device);
  torch::NoGradGuard g;
  model.flat().mul_(3.0);
  return model;
}

// experiment.md §5.3 as the reference computes it: for every span (i, j) its own forward of
// SOS + the sentence with every key outside SOS and the span blocked (keys after the span by the
// row's length, keys before it by first_key), summed over the span; the outer vectors from one
// unmasked forward. No prefix sums, no sharing between spans.
std::vector<std::vector<SciTable>> PerSpanSci(const PackModel& model,
                                              const std::vector<TokenIds>& sentences) {
  torch::NoGradGuard g;
  const int64_t S = model.num_seeds(), d = model.shape().d_model;
  std::vector<std::vector<SciTable>> out(S);
  for (const TokenIds& w : sentences) {
    const int64_t n = static_cast<int64_t>(w.size()), T = n + 1;
    torch::Tensor ids = torch::zeros({1, T}, torch::kInt64);
    ids[0][0] = kSos;
    for (int64_t t = 0; t < n; ++t) ids[0][t + 1] = w[t];
    // Outer: the normal causal forward.
    torch::Tensor h = model.Hidden(model.params(), ids.expand({S, 1, T}),
                                   torch::full({S, 1}, T, torch::kInt64), {})
                          .view({S, T, d})
                          .to(torch::kFloat64);
    // Inner: one row per span.
    std::vector<std::pair<int64_t, int64_t>> spans;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = i; j < n; ++j) spans.emplace_back(i, j);
    }
    const int64_t B = static_cast<int64_t>(spans.size());
    torch::Tensor lengths = torch::zeros({B}, torch::kInt64);
    torch::Tensor first = torch::zeros({B}, torch::kInt64);
    for (int64_t b = 0; b < B; ++b) {
      lengths[b] = spans[b].second + 2;  // SOS + words 0..j
      first[b] = spans[b].first + 1;
    }
    ForwardOptions o;
    o.first_key = &first;
    torch::Tensor hi = model.Hidden(model.params(), ids.expand({S, B, T}),
                                    lengths.unsqueeze(0).expand({S, B}), o)
                           .view({S, B, T, d})
                           .to(torch::kFloat64);
    for (int64_t s = 0; s < S; ++s) {
      SciTable table(static_cast<int>(n));
      for (int64_t b = 0; b < B; ++b) {
        const auto [i, j] = spans[b];
        torch::Tensor inner = hi[s][b].slice(0, i + 1, j + 2).sum(0);
        torch::Tensor outer = h[s].slice(0, i + 1, j + 2).sum(0);
        const double cos =
            (inner * outer).sum().item<double>() / (inner.norm().item<double>() *
                                                    outer.norm().item<double>());
        table.set(static_cast<int>(i), static_cast<int>(j), cos);
      }
      out[s].push_back(table);
    }
  }
  return out;
}

double MaxDifference(const std::vector<std::vector<SciTable>>& a,
                     const std::vector<std::vector<SciTable>>& b) {
  double worst = 0;
  EXPECT_EQ(a.size(), b.size());
  for (size_t s = 0; s < a.size() && s < b.size(); ++s) {
    EXPECT_EQ(a[s].size(), b[s].size());
    for (size_t k = 0; k < a[s].size() && k < b[s].size(); ++k) {
      const int n = a[s][k].num_words();
      EXPECT_EQ(n, b[s][k].num_words());
      for (int i = 0; i < n; ++i) {
        for (int j = i; j < n; ++j) {
          worst = std::max(worst, std::fabs(a[s][k].at(i, j) - b[s][k].at(i, j)));
        }
      }
    }
  }
  return worst;
}

TEST(TreeSciTest, ShortcutEqualsOneForwardPerSpan) {
  const PackModel model = RandomPack({3, 8});
  const std::vector<TokenIds> sentences = RandomSentences(12, 5, 9);
  const auto fast = ComputeSci(model, sentences, kSos, EvalBudget{});
  const auto slow = PerSpanSci(model, sentences);
  // Float rounding only (other rows per forward, other matmul shapes): 1.01e-5 at most since
  // W_q, W_k and W_v are one product (its wider matmul rounds differently on the CPU).
  EXPECT_LT(MaxDifference(fast, slow), 2e-5);
  // The scores vary (the comparison is not between two constant tables).
  double lo = 1, hi = -1;
  for (const SciTable& t : fast[0]) {
    for (int i = 0; i < t.num_words(); ++i) {
      for (int j = i; j < t.num_words(); ++j) {
        lo = std::min(lo, t.at(i, j));
        hi = std::max(hi, t.at(i, j));
      }
    }
  }
  EXPECT_LT(lo, 0.9);
  EXPECT_GT(hi - lo, 0.1);
}

TEST(TreeSciTest, ChunkingDoesNotChangeScores) {
  // Three rows per forward: chunks start inside sentences and repeat their start-0 rows.
  const PackModel model = RandomPack({1, 2, 3});
  const std::vector<TokenIds> sentences = RandomSentences(10, 9, 8);
  EvalBudget tight;
  tight.max_rows = 3;
  // Only float rounding differs (other padding, other matmul shapes); a wrong row or start
  // would move scores by far more.
  EXPECT_LT(MaxDifference(ComputeSci(model, sentences, kSos, tight),
                          ComputeSci(model, sentences, kSos, EvalBudget{})),
            1e-5);
}

TEST(TreeSciTest, SpansFromTheFirstWordScoreOne) {
  const PackModel model = RandomPack({4});
  const std::vector<TokenIds> sentences = RandomSentences(6, 2, 10);
  const auto sci = ComputeSci(model, sentences, kSos, EvalBudget{});
  for (const SciTable& t : sci[0]) {
    for (int j = 0; j < t.num_words(); ++j) EXPECT_NEAR(t.at(0, j), 1.0, 1e-12);
  }
}

TEST(TreeSciTest, SeedsOfAPackScoreAsAlone) {
  const PackModel pack = RandomPack({5, 6});
  const PackModel alone = RandomPack({6});
  const std::vector<TokenIds> sentences = RandomSentences(5, 3, 7);
  const auto both = ComputeSci(pack, sentences, kSos, EvalBudget{});
  const auto one = ComputeSci(alone, sentences, kSos, EvalBudget{});
  EXPECT_LT(MaxDifference({both[1]}, one), 1e-5);
}

TEST(TreeSciTest, MetricsProjectEachSeedsTablesWithItsOwnSplits) {
  const PackModel model = RandomPack({7, 9});
  const std::vector<TokenIds> sentences = RandomSentences(8, 4, 9);
  std::vector<BinaryTree> gold;
  for (const TokenIds& s : sentences) gold.push_back(RightBranchingTree(s.size()));
  absl::StatusOr<std::vector<TreeMetrics>> m =
      EvalTreeProjections(model, sentences, gold, kSos, 3000, EvalBudget{});
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 2u);
  const auto sci = ComputeSci(model, sentences, kSos, EvalBudget{});
  for (int s = 0; s < 2; ++s) {
    absl::StatusOr<TreeMetrics> expected =
        ScoreTreeProjections(sci[s], gold, TreeSplitSeed(model.seeds()[s], 3000));
    ASSERT_TRUE(expected.ok());
    EXPECT_DOUBLE_EQ((*m)[s].t_score, expected->t_score);
    EXPECT_DOUBLE_EQ((*m)[s].t_parseval, expected->t_parseval);
    EXPECT_EQ((*m)[s].sentences, 8);
    EXPECT_GE((*m)[s].t_parseval, 0.0);
    EXPECT_LE((*m)[s].t_parseval, 1.0);
  }
  // Another step draws other random splits, not other trees.
  absl::StatusOr<std::vector<TreeMetrics>> later =
      EvalTreeProjections(model, sentences, gold, kSos, 6000, EvalBudget{});
  ASSERT_TRUE(later.ok());
  EXPECT_DOUBLE_EQ((*later)[0].t_parseval, (*m)[0].t_parseval);
  // A gold tree over the wrong number of words is refused.
  gold[0] = RightBranchingTree(sentences[0].size() + 1);
  EXPECT_FALSE(EvalTreeProjections(model, sentences, gold, kSos, 3000, EvalBudget{}).ok());
}

TEST(TreeSciTest, RunsOnCudaWhenAvailable) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const PackModel cpu = RandomPack({3, 8});
  const PackModel gpu = RandomPack({3, 8}, torch::Device(torch::kCUDA));
  const std::vector<TokenIds> sentences = RandomSentences(12, 5, 9);
  // TF32 matmuls on the GPU: a looser tolerance than fp32 on the CPU.
  EXPECT_LT(MaxDifference(ComputeSci(gpu, sentences, kSos, EvalBudget{}),
                          ComputeSci(cpu, sentences, kSos, EvalBudget{})),
            1e-2);
}

}  // namespace
}  // namespace sg
