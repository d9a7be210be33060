#include "tasks/binary_tree.h"

#include "gtest/gtest.h"

namespace sg {
namespace {

TEST(BinaryTreeTest, JoinKeepsPreOrderAndShiftsTheRightSubtree) {
  const BinaryTree w;
  const BinaryTree t = BinaryTree::Join(BinaryTree::Join(w, w), BinaryTree::Join(w, w));
  ASSERT_EQ(t.num_words(), 4);
  const std::vector<TreeNode> expected = {{0, 1, 3}, {0, 0, 1}, {2, 2, 3}};
  EXPECT_EQ(t.nodes(), expected);
  EXPECT_EQ(TreeToString(t, {"a", "b", "c", "d"}), "((a b) (c d))");
  EXPECT_EQ(TreeToString(t, {}), "((0 1) (2 3))");
}

TEST(BinaryTreeTest, BranchingBaselines) {
  EXPECT_EQ(TreeToString(RightBranchingTree(4), {}), "(0 (1 (2 3)))");
  EXPECT_EQ(TreeToString(LeftBranchingTree(4), {}), "(((0 1) 2) 3)");
  EXPECT_EQ(TreeToString(RightBranchingTree(1), {}), "0");
  EXPECT_TRUE(TreeBrackets(RightBranchingTree(1)).empty());
  const std::vector<Bracket> right = {{0, 3}, {1, 3}, {2, 3}};
  EXPECT_EQ(TreeBrackets(RightBranchingTree(4)), right);
}

TEST(BinaryTreeTest, ParsesItsOwnStringsAndRejectsBadOnes) {
  std::vector<std::string> words;
  absl::StatusOr<BinaryTree> t =
      ParseTreeString("(((my raven) (that (doesn't sleep))) (does change))", &words);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(words, (std::vector<std::string>{"my", "raven", "that", "doesn't", "sleep", "does",
                                             "change"}));
  EXPECT_EQ(TreeToString(*t, words), "(((my raven) (that (doesn't sleep))) (does change))");
  EXPECT_FALSE(ParseTreeString("(a b c)").ok());
  EXPECT_FALSE(ParseTreeString("(a b").ok());
  EXPECT_FALSE(ParseTreeString("(a b))").ok());
  EXPECT_FALSE(ParseTreeString("").ok());
}

TEST(BinaryTreeTest, FromNodesAcceptsOnlyFullPreOrderTrees) {
  absl::StatusOr<BinaryTree> ok = BinaryTree::FromNodes(3, {{0, 0, 2}, {1, 1, 2}});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, RightBranchingTree(3));
  EXPECT_FALSE(BinaryTree::FromNodes(3, {{0, 0, 2}}).ok());             // too few
  EXPECT_FALSE(BinaryTree::FromNodes(3, {{1, 1, 2}, {0, 0, 2}}).ok());  // not pre-order
  EXPECT_FALSE(BinaryTree::FromNodes(3, {{0, 2, 2}, {0, 0, 1}}).ok());  // split at the end
  EXPECT_FALSE(BinaryTree::FromNodes(0, {}).ok());
}

TEST(BracketF1Test, MicroAveragesOverSentences) {
  // Sentence 1 (4 words): ((0 1) (2 3)) vs right-branching: brackets {0-3, 0-1, 2-3} vs
  // {0-3, 1-3, 2-3}: 2 of 3 match. Sentence 2 (3 words), identical trees: 2 of 2.
  BracketF1 f1;
  ASSERT_TRUE(f1.Add(*ParseTreeString("((a b) (c d))"), RightBranchingTree(4)).ok());
  ASSERT_TRUE(f1.Add(LeftBranchingTree(3), LeftBranchingTree(3)).ok());
  EXPECT_EQ(f1.matched(), 4);
  EXPECT_EQ(f1.predicted(), 5);
  EXPECT_EQ(f1.gold(), 5);
  EXPECT_DOUBLE_EQ(f1.Precision(), 0.8);
  EXPECT_DOUBLE_EQ(f1.Recall(), 0.8);
  EXPECT_NEAR(f1.F1(), 2 * 0.8 * 0.8 / (1.6 + 1e-10), 1e-15);
  EXPECT_FALSE(f1.Add(LeftBranchingTree(3), LeftBranchingTree(4)).ok());
  EXPECT_EQ(BracketF1().F1(), 0.0);
}

}  // namespace
}  // namespace sg
