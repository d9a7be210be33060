// Tree projections (experiment.md §5.3, Murty et al. 2023): from a sentence's span
// context-invariance scores (SCI) to its greedy projected tree, and from many sentences to the
// two analysis metrics:
//  - t_score: the mean over sentences of sum over the projected tree's internal nodes of
//    S(k_best) - S(r), S(k) = SCI(i,k) + SCI(k+1,j), with r one uniformly random split of the
//    node's span (the reference's estimate of the "expected random tree" of paper eq. 2);
//  - t_parseval: micro-averaged bracket F1 of the projected trees against gold trees.
// Computing SCI needs a model (trainer/tree_sci.h); everything here is torch-free.
#ifndef SG_TASKS_TREE_PROJECTION_H_
#define SG_TASKS_TREE_PROJECTION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "tasks/binary_tree.h"
#include "tasks/rng.h"

namespace sg {

// SCI(i, j) for the spans 0 <= i <= j < n of one sentence (entries with i > j are unused).
// A value type; thread-compatible.
class SciTable {
 public:
  explicit SciTable(int num_words = 1);
  int num_words() const { return n_; }
  double at(int i, int j) const { return v_[static_cast<size_t>(i) * n_ + j]; }
  void set(int i, int j, double value) { v_[static_cast<size_t>(i) * n_ + j] = value; }

 private:
  int n_;
  std::vector<double> v_;  // n x n, row i = span start
};

struct ProjectedTree {
  BinaryTree tree;
  // Sum over internal nodes of S(k_best) - S(r): this sentence's t_score term.
  double score = 0;
};

// The greedy top-down projection (§5.3 step 4): the root is (0, n-1); a span (i, j) with i < j
// splits at the k in [i, j-1] that maximises S(k) (ties to the smallest k: the reference's
// strictly-greater test from a start of -10,000), then both halves recurse, left first. At each
// internal node, in that pre-order, one r is drawn uniformly from [i, j-1] with rng.Below.
// NaN scores never win a split (the starting best stays) so a NaN table still yields a tree.
ProjectedTree ProjectTree(const SciTable& sci, Rng& rng);

// The seed of the random splits for one model (its run's seed) at one evaluation step, so
// t_score is reproducible for a run and a step and independent of the pack.
uint64_t TreeSplitSeed(int64_t run_seed, int64_t step);

struct TreeMetrics {
  double t_score = 0;     // mean of the sentences' scores
  double t_parseval = 0;  // bracket F1 against gold; 0 when no gold trees were given
  int64_t sentences = 0;
};

// Projects every sentence's table with one Rng(split_seed) drawn in sentence order, then
// averages. `gold` is empty (Dyck: t_parseval 0, as the reference writes) or holds one tree per
// table over the same number of words (kInvalidArgument otherwise). No sentences: all zeros.
absl::StatusOr<TreeMetrics> ScoreTreeProjections(const std::vector<SciTable>& sci,
                                                 const std::vector<BinaryTree>& gold,
                                                 uint64_t split_seed);

}  // namespace sg

#endif  // SG_TASKS_TREE_PROJECTION_H_
