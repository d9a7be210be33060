// Span context-invariance scores (SCI, experiment.md §5.3) of a pack's models, and from them the
// tree-projection metrics t_score and t_parseval (tasks/tree_projection.h). Trainer-internal
// (LibTorch); runs on the model's device (CPU or CUDA) without gradients or dropout.
//
// SCI(i, j) = cos(inner(i, j), outer(i, j)) in float64, where outer sums the final-layer states
// of the span's words (positions i+1 .. j+1 after SOS) in the normal causal forward, and inner
// sums them in a forward whose every layer may attend only to SOS and the span's own words.
// Under the causal mask a word at position t of span (i, j) sees SOS and words i .. t-1 either
// way, so one forward per span start i, with keys 1 .. i blocked (PackModel's first_key), gives
// the inner states of every span (i, .) at once, and the prefix sums of that row give the inner
// vectors: n forwards per sentence instead of the reference's 1 + n(n+1)/2. The i = 0 row is the
// normal forward, so it gives the outer vectors too (and SCI(0, j) = 1 exactly).
//
// Rows (sentence, start) of all sentences are batched together, every seed of the pack in the
// same forward, in chunks sized by an EvalBudget; sentences are taken in length order so chunks
// carry little padding.
#ifndef SG_TRAINER_EVAL_TREE_SCI_H_
#define SG_TRAINER_EVAL_TREE_SCI_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "tasks/binary_tree.h"
#include "tasks/model_scorer.h"
#include "tasks/tree_projection.h"
#include "trainer/eval/pack_eval.h"
#include "trainer/model/pack_model.h"

namespace sg {

// SCI tables of every sentence (word ids without SOS, at least one word each) for every seed:
// result[s][k] is seed s's table for sentences[k].
std::vector<std::vector<SciTable>> ComputeSci(const PackModel& model,
                                              const std::vector<TokenIds>& sentences,
                                              int32_t sos, const EvalBudget& budget);

// t_score and t_parseval of each seed's model at evaluation step `step`: SCI, the greedy
// projection with one random split per node drawn from TreeSplitSeed(the seed, step), and
// bracket F1 against `gold` (one tree per sentence; empty for Dyck, whose t_parseval is 0).
absl::StatusOr<std::vector<TreeMetrics>> EvalTreeProjections(
    const PackModel& model, const std::vector<TokenIds>& sentences,
    const std::vector<BinaryTree>& gold, int32_t sos, int64_t step, const EvalBudget& budget);

}  // namespace sg

#endif  // SG_TRAINER_EVAL_TREE_SCI_H_
