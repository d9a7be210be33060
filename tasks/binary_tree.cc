#include "tasks/binary_tree.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"

namespace sg {

BinaryTree BinaryTree::Join(const BinaryTree& left, const BinaryTree& right) {
  BinaryTree t;
  t.num_words_ = left.num_words_ + right.num_words_;
  t.nodes_.reserve(left.nodes_.size() + right.nodes_.size() + 1);
  t.nodes_.push_back({0, left.num_words_ - 1, t.num_words_ - 1});
  t.nodes_.insert(t.nodes_.end(), left.nodes_.begin(), left.nodes_.end());
  const int shift = left.num_words_;
  for (const TreeNode& n : right.nodes_) {
    t.nodes_.push_back({n.start + shift, n.split + shift, n.end + shift});
  }
  return t;
}

absl::StatusOr<BinaryTree> BinaryTree::FromNodes(int num_words, std::vector<TreeNode> nodes) {
  if (num_words < 1) return absl::InvalidArgumentError("a tree needs at least one word");
  if (static_cast<int>(nodes.size()) != num_words - 1) {
    return absl::InvalidArgumentError(absl::StrCat("a binary tree over ", num_words,
                                                   " words has ", num_words - 1,
                                                   " internal nodes, got ", nodes.size()));
  }
  // Walk the pre-order: each node must be the next pending span with more than one word.
  std::vector<Bracket> pending = {{0, num_words - 1}};
  size_t i = 0;
  while (!pending.empty()) {
    const Bracket span = pending.back();
    pending.pop_back();
    if (span.start == span.end) continue;
    if (i >= nodes.size()) return absl::InvalidArgumentError("too few nodes for the spans");
    const TreeNode& n = nodes[i];
    if (n.start != span.start || n.end != span.end || n.split < n.start || n.split >= n.end) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", i, " (", n.start, ",", n.split, ",", n.end,
                       ") is not a split of the pending span [", span.start, ",", span.end, "]"));
    }
    ++i;
    pending.push_back({n.split + 1, n.end});  // right after left: pre-order
    pending.push_back({n.start, n.split});
  }
  BinaryTree t;
  t.num_words_ = num_words;
  t.nodes_ = std::move(nodes);
  return t;
}

BinaryTree RightBranchingTree(int num_words) {
  BinaryTree t;
  for (int i = 1; i < num_words; ++i) t = BinaryTree::Join(BinaryTree(), t);
  return t;
}

BinaryTree LeftBranchingTree(int num_words) {
  BinaryTree t;
  for (int i = 1; i < num_words; ++i) t = BinaryTree::Join(t, BinaryTree());
  return t;
}

std::vector<Bracket> TreeBrackets(const BinaryTree& tree) {
  std::vector<Bracket> out;
  out.reserve(tree.nodes().size());
  for (const TreeNode& n : tree.nodes()) out.push_back({n.start, n.end});
  return out;
}

std::string TreeToString(const BinaryTree& tree, const std::vector<std::string>& words) {
  const bool named = static_cast<int>(words.size()) == tree.num_words();
  auto word = [&](int i) { return named ? words[i] : absl::StrCat(i); };
  std::string out;
  size_t next = 0;  // the next pre-order node
  std::function<void(int, int)> print = [&](int start, int end) {
    if (start == end) {
      out += word(start);
      return;
    }
    const TreeNode& n = tree.nodes()[next++];
    out += '(';
    print(n.start, n.split);
    out += ' ';
    print(n.split + 1, n.end);
    out += ')';
  };
  print(0, tree.num_words() - 1);
  return out;
}

namespace {

class TreeReader {
 public:
  explicit TreeReader(absl::string_view text) : text_(text) {}

  // Reads one subtree starting at pos_; appends its leaves to words_.
  absl::StatusOr<BinaryTree> Read() {
    SkipSpaces();
    if (pos_ >= text_.size()) return Error("a word or '(' expected");
    if (text_[pos_] == ')') return Error("unexpected ')'");
    if (text_[pos_] != '(') {
      const size_t begin = pos_;
      while (pos_ < text_.size() && text_[pos_] != ' ' && text_[pos_] != '(' &&
             text_[pos_] != ')') {
        ++pos_;
      }
      words_.emplace_back(text_.substr(begin, pos_ - begin));
      return BinaryTree();
    }
    ++pos_;
    absl::StatusOr<BinaryTree> left = Read();
    if (!left.ok()) return left.status();
    absl::StatusOr<BinaryTree> right = Read();
    if (!right.ok()) return right.status();
    SkipSpaces();
    if (pos_ >= text_.size() || text_[pos_] != ')') {
      return Error("')' expected: every node has exactly two children");
    }
    ++pos_;
    return BinaryTree::Join(*left, *right);
  }
  void SkipSpaces() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  bool done() const { return pos_ >= text_.size(); }
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("tree text at offset ", pos_, ": ", what));
  }
  std::vector<std::string>& words() { return words_; }

 private:
  absl::string_view text_;
  size_t pos_ = 0;
  std::vector<std::string> words_;
};

}  // namespace

absl::StatusOr<BinaryTree> ParseTreeString(absl::string_view text,
                                           std::vector<std::string>* words) {
  TreeReader reader(text);
  absl::StatusOr<BinaryTree> tree = reader.Read();
  if (!tree.ok()) return tree.status();
  reader.SkipSpaces();
  if (!reader.done()) return reader.Error("text after the tree");
  if (words != nullptr) *words = std::move(reader.words());
  return tree;
}

absl::Status BracketF1::Add(const BinaryTree& predicted, const BinaryTree& gold) {
  if (predicted.num_words() != gold.num_words()) {
    return absl::InvalidArgumentError(absl::StrCat("predicted tree has ", predicted.num_words(),
                                                   " words, gold tree ", gold.num_words()));
  }
  std::vector<Bracket> p = TreeBrackets(predicted), g = TreeBrackets(gold);
  std::sort(p.begin(), p.end());
  std::sort(g.begin(), g.end());
  std::vector<Bracket> common;
  std::set_intersection(p.begin(), p.end(), g.begin(), g.end(), std::back_inserter(common));
  matched_ += static_cast<int64_t>(common.size());
  predicted_ += static_cast<int64_t>(p.size());
  gold_ += static_cast<int64_t>(g.size());
  return absl::OkStatus();
}

double BracketF1::Precision() const {
  return predicted_ == 0 ? 0.0 : static_cast<double>(matched_) / static_cast<double>(predicted_);
}

double BracketF1::Recall() const {
  return gold_ == 0 ? 0.0 : static_cast<double>(matched_) / static_cast<double>(gold_);
}

double BracketF1::F1() const {
  const double p = Precision(), r = Recall();
  return 2.0 * p * r / (p + r + 1e-10);
}

}  // namespace sg
