#include "tasks/tree_projection.h"

#include "absl/strings/str_cat.h"

namespace sg {

SciTable::SciTable(int num_words)
    : n_(num_words < 1 ? 1 : num_words), v_(static_cast<size_t>(n_) * n_, 0.0) {}

namespace {

// Appends the pre-order nodes of span (i, j) to `nodes`.
void Project(const SciTable& sci, int i, int j, Rng& rng, std::vector<TreeNode>& nodes,
             double& score) {
  if (i == j) return;
  double best = -10000.0;  // the reference's start value
  int best_k = i;
  for (int k = i; k < j; ++k) {
    const double s = sci.at(i, k) + sci.at(k + 1, j);
    if (s > best) {
      best = s;
      best_k = k;
    }
  }
  const int r = i + static_cast<int>(rng.Below(static_cast<uint64_t>(j - i)));
  score += best - (sci.at(i, r) + sci.at(r + 1, j));
  nodes.push_back({i, best_k, j});
  Project(sci, i, best_k, rng, nodes, score);
  Project(sci, best_k + 1, j, rng, nodes, score);
}

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

ProjectedTree ProjectTree(const SciTable& sci, Rng& rng) {
  const int n = sci.num_words();
  std::vector<TreeNode> nodes;
  nodes.reserve(n - 1);
  ProjectedTree out;
  Project(sci, 0, n - 1, rng, nodes, out.score);
  // The recursion emits a full pre-order tree by construction.
  absl::StatusOr<BinaryTree> tree = BinaryTree::FromNodes(n, std::move(nodes));
  out.tree = *tree;
  return out;
}

uint64_t TreeSplitSeed(int64_t run_seed, int64_t step) {
  constexpr uint64_t kTag = 0x7472656573706c74ULL;  // "treesplt"
  return SplitMix(SplitMix(kTag ^ static_cast<uint64_t>(run_seed)) ^ static_cast<uint64_t>(step));
}

absl::StatusOr<TreeMetrics> ScoreTreeProjections(const std::vector<SciTable>& sci,
                                                 const std::vector<BinaryTree>& gold,
                                                 uint64_t split_seed) {
  if (!gold.empty() && gold.size() != sci.size()) {
    return absl::InvalidArgumentError(absl::StrCat(sci.size(), " SCI tables but ", gold.size(),
                                                   " gold trees (need one per sentence)"));
  }
  Rng rng(split_seed);
  BracketF1 f1;
  TreeMetrics m;
  double total = 0;
  for (size_t s = 0; s < sci.size(); ++s) {
    ProjectedTree p = ProjectTree(sci[s], rng);
    total += p.score;
    if (!gold.empty()) {
      absl::Status st = f1.Add(p.tree, gold[s]);
      if (!st.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("sentence ", s, ": ", st.message()));
      }
    }
  }
  m.sentences = static_cast<int64_t>(sci.size());
  if (m.sentences > 0) m.t_score = total / static_cast<double>(m.sentences);
  if (!gold.empty()) m.t_parseval = f1.F1();
  return m;
}

}  // namespace sg
