// ModelScorer over a pack (num_models = S): next-token scores and greedy decoding, batched, in
// eval mode, without gradients. Trainer-internal (LibTorch). Inputs are sorted by length and
// cut into chunks that fit the memory budget; results come back in input order. An input that
// is a prefix of another input is answered from the longer one's forward (the causal mask makes
// that the same computation), and so is an input that is a prefix of a line of a LineForward
// given with set_lines (the split's loss forward: no second forward at all).
#ifndef SG_TRAINER_EVAL_PACK_SCORER_H_
#define SG_TRAINER_EVAL_PACK_SCORER_H_

#include "tasks/model_scorer.h"
#include "trainer/eval/line_forward.h"
#include "trainer/eval/pack_decode.h"
#include "trainer/eval/pack_eval.h"
#include "trainer/model/pack_model.h"
#include "trainer/eval/speculative_decode.h"

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

  // Answers inputs that are prefixes of `lines`' lines from its kept logits, and decodes
  // prompts that are such prefixes speculatively from its argmaxes (speculative_decode.h).
  // Not owned; it must outlive the calls and come from the model as it is now. nullptr: none.
  void set_lines(const LineForward* lines) { lines_ = lines; }
  // Verification forwards before the cached decoder takes the remaining rows.
  void set_verify_rounds(int rounds) { verify_rounds_ = rounds; }
  // How the speculative decodes since construction were decided.
  const SpeculativeStats& speculative_stats() const { return speculative_stats_; }

 private:
  // Next-token scores by running the inputs (those no other input extends).
  std::vector<std::vector<std::vector<float>>> ScoresByForward(const std::vector<TokenIds>& inputs);

  PackModel* model_;
  EvalBudget budget_;
  int32_t decode_stop_id_ = -1;
  const LineForward* lines_ = nullptr;
  int verify_rounds_ = SpeculativeOptions().verify_rounds;
  SpeculativeStats speculative_stats_;
};

}  // namespace sg

#endif  // SG_TRAINER_EVAL_PACK_SCORER_H_
