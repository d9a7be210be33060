// What the tree-projection analysis (experiment.md §5, §5.3) reads, and when it runs: the
// train-split sentences with their gold trees, and the evaluation steps that compute t_score
// and t_parseval. Torch-free.
#ifndef SG_TASKS_TREE_SENTENCES_H_
#define SG_TASKS_TREE_SENTENCES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sweep_spec.h"
#include "tasks/binary_tree.h"
#include "tasks/task_dataset.h"

namespace sg {

struct TreeSentenceSet {
  std::vector<TokenIds> sentences;  // word ids, no SOS
  std::vector<BinaryTree> gold;     // one per sentence (QF, Tense); empty for Dyck
};

// At most max_sentences train sentences, sampled uniformly without replacement with
// sample_seed (the same sample at every evaluation, so the curve does not move with the
// sample; the reference draws a fresh one per checkpoint): QF's `quest` lines and every Tense
// line cut before the task marker, without the final "." (the bare declarative), and whole Dyck
// strings with no length limit. QF and Tense sentences come with their gold trees (§3.5);
// kInvalidArgument names a sentence outside the task's grammar. max_sentences <= 0: empty.
absl::StatusOr<TreeSentenceSet> TreeSentences(const TaskDataset& data, int64_t max_sentences,
                                              uint64_t sample_seed);

// Whether the evaluation at `step` computes the tree metrics: every tree_every_evals-th
// evaluation (evaluation k at step k * eval_every), and always the run's first evaluation
// (step eval_every) and its final one (step == steps), so a run's curve has both ends.
// False when tree_sentences is 0.
bool TreeMetricsDue(const TrainConfig& config, int64_t step);

}  // namespace sg

#endif  // SG_TASKS_TREE_SENTENCES_H_
