#include "tasks/tree_projection.h"

#include <set>

#include "gtest/gtest.h"

namespace sg {
namespace {

// SCI = 1 on the tree's constituents (its brackets and single words), 0 elsewhere: the true split
// of every node is the only one with both halves constituents (any other split would make a half
// cross the true children), so the projection must return the tree itself.
SciTable ConstituentTable(const BinaryTree& tree) {
  const int n = tree.num_words();
  SciTable t(n);
  for (int i = 0; i < n; ++i) t.set(i, i, 1.0);
  for (const Bracket& b : TreeBrackets(tree)) t.set(b.start, b.end, 1.0);
  return t;
}

TEST(TreeProjectionTest, RecoversAHandBuiltTreeFromConstituentScores) {
  for (const char* text : {"(((my raven) (that (doesn't sleep))) (does change))",
                           "((a (b c)) ((d e) (f (g h))))", "(a (b (c d)))", "(((a b) c) d)",
                           "(a b)", "a"}) {
    absl::StatusOr<BinaryTree> tree = ParseTreeString(text);
    ASSERT_TRUE(tree.ok()) << tree.status();
    Rng rng(1);
    ProjectedTree p = ProjectTree(ConstituentTable(*tree), rng);
    EXPECT_EQ(TreeToString(p.tree, {}), TreeToString(*tree, {})) << text;
    EXPECT_GE(p.score, 0.0);
  }
}

TEST(TreeProjectionTest, RecoversRandomTrees) {
  Rng shape(5);
  for (int trial = 0; trial < 200; ++trial) {
    // A random binary tree over 1..12 words by random joins of adjacent subtrees.
    const int n = 1 + static_cast<int>(shape.Below(12));
    std::vector<BinaryTree> parts(n);
    while (parts.size() > 1) {
      const size_t k = shape.Below(parts.size() - 1);
      parts[k] = BinaryTree::Join(parts[k], parts[k + 1]);
      parts.erase(parts.begin() + k + 1);
    }
    Rng rng(trial);
    EXPECT_EQ(ProjectTree(ConstituentTable(parts[0]), rng).tree, parts[0]);
  }
}

TEST(TreeProjectionTest, ScoreSubtractsOneRandomSplitPerNode) {
  // Three words. S(0) = SCI(0,0) + SCI(1,2) = 0.5 + 0.9 = 1.4; S(1) = SCI(0,1) + SCI(2,2) =
  // 0.2 + 0.4 = 0.6. The root splits at 0; its right child (1,2) has a single split (r = k).
  SciTable t(3);
  t.set(0, 0, 0.5);
  t.set(1, 1, 0.3);
  t.set(2, 2, 0.4);
  t.set(0, 1, 0.2);
  t.set(1, 2, 0.9);
  t.set(0, 2, 1.0);
  for (uint64_t seed : {1u, 2u, 3u, 4u}) {
    Rng replay(seed);
    const int r = static_cast<int>(replay.Below(2));  // the root's draw, the first one
    Rng rng(seed);
    ProjectedTree p = ProjectTree(t, rng);
    EXPECT_EQ(TreeToString(p.tree, {}), "(0 (1 2))");
    EXPECT_DOUBLE_EQ(p.score, r == 0 ? 0.0 : 1.4 - 0.6) << "seed " << seed;
  }
}

TEST(TreeProjectionTest, TiesGoToTheSmallestSplit) {
  SciTable t(4);  // every span 0.5: all splits tie, so every node splits after its first word
  for (int i = 0; i < 4; ++i) {
    for (int j = i; j < 4; ++j) t.set(i, j, 0.5);
  }
  Rng rng(9);
  ProjectedTree p = ProjectTree(t, rng);
  EXPECT_EQ(p.tree, RightBranchingTree(4));
  EXPECT_DOUBLE_EQ(p.score, 0.0);
}

TEST(TreeProjectionTest, MetricsAverageScoresAndMicroAverageBrackets) {
  // Sentence 1: constituent scores of ((a b) (c d)), gold right-branching: 2 of 3 brackets.
  // Sentence 2: constituent scores of (a (b c)), gold the same: 2 of 2.
  const BinaryTree t1 = *ParseTreeString("((a b) (c d))");
  const BinaryTree t2 = RightBranchingTree(3);
  const std::vector<SciTable> sci = {ConstituentTable(t1), ConstituentTable(t2)};
  absl::StatusOr<TreeMetrics> m = ScoreTreeProjections(sci, {RightBranchingTree(4), t2}, 17);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->sentences, 2);
  EXPECT_NEAR(m->t_parseval, 0.8, 1e-9);  // 4 of 5 brackets
  // The scores, replayed with the same stream in the same order.
  Rng replay(17);
  double total = ProjectTree(sci[0], replay).score;
  total += ProjectTree(sci[1], replay).score;
  EXPECT_DOUBLE_EQ(m->t_score, total / 2);

  absl::StatusOr<TreeMetrics> again = ScoreTreeProjections(sci, {RightBranchingTree(4), t2}, 17);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->t_score, m->t_score);  // reproducible for a seed

  absl::StatusOr<TreeMetrics> no_gold = ScoreTreeProjections(sci, {}, 17);
  ASSERT_TRUE(no_gold.ok());
  EXPECT_EQ(no_gold->t_parseval, 0.0);
  EXPECT_EQ(no_gold->t_score, m->t_score);

  EXPECT_FALSE(ScoreTreeProjections(sci, {t2}, 17).ok());            // one gold tree short
  EXPECT_FALSE(ScoreTreeProjections(sci, {t2, t2}, 17).ok());        // 3 words vs 4
  absl::StatusOr<TreeMetrics> empty = ScoreTreeProjections({}, {}, 17);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->sentences, 0);
  EXPECT_EQ(empty->t_score, 0.0);
}

TEST(TreeProjectionTest, ScoreOfAConstituentTableWithOneRandomSplit) {
  // ((a b) (c d)) with constituent scores: the root's best S is 2; its other splits score 1
  // (only one half a constituent: (a) + (b c d) = 1 + 0, (a b c) + (d) = 0 + 1). Children have
  // a single split each (score 0 difference). So the sentence scores 1 unless r hits the best.
  const SciTable sci = ConstituentTable(*ParseTreeString("((a b) (c d))"));
  for (uint64_t seed = 0; seed < 6; ++seed) {
    Rng replay(seed);
    const int r = static_cast<int>(replay.Below(3));
    Rng rng(seed);
    EXPECT_DOUBLE_EQ(ProjectTree(sci, rng).score, r == 1 ? 0.0 : 1.0);
  }
}

TEST(TreeProjectionTest, SplitSeedsDifferByRunAndStep) {
  std::set<uint64_t> seeds;
  for (int64_t run : {42, 52}) {
    for (int64_t step : {0, 3000, 6000}) seeds.insert(TreeSplitSeed(run, step));
  }
  EXPECT_EQ(seeds.size(), 6u);
  EXPECT_EQ(TreeSplitSeed(42, 3000), TreeSplitSeed(42, 3000));
}

}  // namespace
}  // namespace sg
