// ModelScorer over a pack (num_models = S): next-token scores and greedy decoding, batched, in
// eval mode, without gradients. Trainer-internal (LibTorch). Inputs are sorted by length and
// cut into chunks that fit the memory budget; results come back in input order. An input that
// is a prefix of another input is answered from the longer one's forward (the causal mask makes
// that the same computation).
#ifndef SG_TRAINER_PACK_SCORER_H_
#define SG_TRAINER_PACK_SCORER_H_

#include "tasks/model_scorer.h"
#include "trainer/pack_eval.h"
#include "trainer/pack_model.h"

namespace sg {

// Not thread-safe (ModelScorer's contract). `model` must outlive the scorer.
class PackScorer final : public ModelScorer {
 public:
  PackScorer(PackModel* model, const EvalBudget& budget) : model_(model), budget_(budget) {}

  int num_models() const override { return static_cast<int>(model_->num_seeds()); }

  absl::StatusOr<std::vector<std::vector<std::vector<float>>>> NextTokenScores(
      const std::vector<TokenIds>& inputs) override;

  // Feeds the growing sequences through the full causal forward (no KV cache): t_i sits at
  // position prompt_length + i, as in the reference's cached decoding (§1.9).
  absl::StatusOr<std::vector<std::vector<TokenIds>>> GreedyDecode(
      const std::vector<TokenIds>& prompts, int max_new_tokens) override;

 private:
  PackModel* model_;
  EvalBudget budget_;
};

}  // namespace sg

#endif  // SG_TRAINER_PACK_SCORER_H_
