// Binary constituency trees over the words of one sentence, as the tree-projection analysis
// (experiment.md §5.3) compares them: gold trees (tasks/gold_tree.h), projected trees
// (tasks/tree_projection.h) and the right- and left-branching baselines. Torch-free.
#ifndef SG_TASKS_BINARY_TREE_H_
#define SG_TASKS_BINARY_TREE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sg {

// A bracket: the inclusive word indices [start, end] of one internal node.
struct Bracket {
  int start = 0, end = 0;
  bool operator==(const Bracket& o) const { return start == o.start && end == o.end; }
  bool operator<(const Bracket& o) const {
    return start != o.start ? start < o.start : end < o.end;
  }
};

// An internal node over words [start, end] whose left child covers [start, split] and right
// child [split + 1, end].
struct TreeNode {
  int start = 0, split = 0, end = 0;
  bool operator==(const TreeNode& o) const {
    return start == o.start && split == o.split && end == o.end;
  }
};

// A full binary tree over n >= 1 words: its n - 1 internal nodes in pre-order (root first,
// then the left subtree, then the right). Immutable value type; thread-compatible.
class BinaryTree {
 public:
  // The tree of one word (no internal node).
  BinaryTree() = default;
  // The tree whose root joins `left` (the first words) and `right` (the words after them).
  static BinaryTree Join(const BinaryTree& left, const BinaryTree& right);
  // From pre-order nodes over n words; kInvalidArgument unless they form a full binary tree
  // over [0, n-1] (root first, each child's span exactly the parent's halves).
  static absl::StatusOr<BinaryTree> FromNodes(int num_words, std::vector<TreeNode> nodes);

  int num_words() const { return num_words_; }
  const std::vector<TreeNode>& nodes() const { return nodes_; }
  bool operator==(const BinaryTree& o) const {
    return num_words_ == o.num_words_ && nodes_ == o.nodes_;
  }
  bool operator!=(const BinaryTree& o) const { return !(*this == o); }

 private:
  int num_words_ = 1;
  std::vector<TreeNode> nodes_;
};

// (w0 (w1 (w2 ...))) and (((w0 w1) w2) ...) over n >= 1 words.
BinaryTree RightBranchingTree(int num_words);
BinaryTree LeftBranchingTree(int num_words);

// The tree's brackets in pre-order: every internal node, root included; single words have none
// (experiment.md §5.3 step 6), so a tree over n words has n - 1.
std::vector<Bracket> TreeBrackets(const BinaryTree& tree);

// "(((my raven) (that (doesn't sleep))) (does change))"; words.size() must be num_words()
// (otherwise word i prints as its index).
std::string TreeToString(const BinaryTree& tree, const std::vector<std::string>& words);
// Reads TreeToString's format (every internal node binary, words separated by spaces);
// `words` (optional) receives the leaves. kInvalidArgument names the offset that breaks it.
absl::StatusOr<BinaryTree> ParseTreeString(absl::string_view text,
                                           std::vector<std::string>* words = nullptr);

// Micro-averaged bracket F1 (experiment.md §5.3 step 6): counts summed over sentences, then
// P = matched / predicted, R = matched / gold, F1 = 2PR / (P + R + 1e-10). Thread-compatible.
class BracketF1 {
 public:
  // Adds one sentence's trees (both over the same words; kInvalidArgument otherwise).
  absl::Status Add(const BinaryTree& predicted, const BinaryTree& gold);
  double Precision() const;
  double Recall() const;
  double F1() const;
  int64_t matched() const { return matched_; }
  int64_t predicted() const { return predicted_; }
  int64_t gold() const { return gold_; }

 private:
  int64_t matched_ = 0, predicted_ = 0, gold_ = 0;
};

}  // namespace sg

#endif  // SG_TASKS_BINARY_TREE_H_
