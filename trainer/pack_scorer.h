// ModelScorer over a pack (num_models = S): next-token scores and greedy decoding, batched, in
// eval mode, without gradients. Trainer-internal (LibTorch). Inputs are sorted by length and
// cut into chunks that fit the memory budget; results come back in input order. An input that
// is a prefix of another input is answered from the longer one's forward (the causal mask makes
// that the same computation).
#ifndef SG_TRAINER_PACK_SCORER_H_
#define SG_TRAINER_PACK_SCORER_H_

#include "tasks/model_scorer.h"
#include "trainer/pack_decode.h"
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

  // With a per-layer key/value cache (pack_decode.h): t_i sits at position
  // prompt_length + i, as in the reference (§1.9).
  absl::StatusOr<std::vector<std::vector<TokenIds>>> GreedyDecode(
      const std::vector<TokenIds>& prompts, int max_new_tokens) override;

  // Lets GreedyDecode stop a chunk once every sequence has produced `id` (the EOS) among
  // t1..tN; tokens it then skips are reported as `id` (DecodeOptions::stop_id). Only for
  // callers that cut the output at the first such id (the Tense evaluator's TruncateDecoded).
  // Default -1: always decode all max_new_tokens.
  void set_decode_stop_id(int32_t id) { decode_stop_id_ = id; }

 private:
  PackModel* model_;
  EvalBudget budget_;
  int32_t decode_stop_id_ = -1;
};

}  // namespace sg

#endif  // SG_TRAINER_PACK_SCORER_H_
