// One eval-mode forward over a split's LM lines, kept for every metric that can read it.
// Trainer-internal (LibTorch).
//
// Under the causal mask the output at position k of a line depends only on tokens 0..k, so a
// single forward over SOS + line answers (1) the line's LM loss (experiment.md §4.1), (2) the
// next-token scores after any prefix of the line (QF's first-word accuracy, Dyck's closing
// brackets: their prompts are prefixes of the split's lines) and (3) greedy decoding from such a
// prefix for as long as the model's argmax follows the line (speculative_decode.h). Evaluating
// from one forward instead of one per metric is what keeps evaluation a small share of training
// (docs/performance.md, "Evaluation cost").
#ifndef SG_TRAINER_EVAL_LINE_FORWARD_H_
#define SG_TRAINER_EVAL_LINE_FORWARD_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "tasks/model_scorer.h"
#include "trainer/eval/eval_forward.h"
#include "trainer/eval/pack_eval.h"
#include "trainer/model/pack_model.h"

namespace sg {

struct LineForwardOptions {
  // Keep the logits of every position (on the model's device) for NextTokenScores. They are
  // kept only if they fit in budget.max_bytes; otherwise HasLogits() is false and callers
  // recompute.
  bool keep_logits = false;
  // Keep every position's argmax (on the host), for speculative greedy decoding.
  bool keep_argmax = false;
  // The forward to run (its weights prepared for this evaluation; one serves several splits).
  // Unset: Compute prepares one with `bf16`.
  std::shared_ptr<const EvalForward> forward;
  // CUDA: bf16 weights and activations in the transformer body (about half the bytes and
  // twice the matmul rate); the output layer, the loss and the argmaxes stay fp32. Ignored
  // elsewhere and when `forward` is set. The metrics then carry bf16 rounding
  // (docs/performance.md measures how much).
  bool bf16 = false;
};

// Immutable after Compute. Not thread-safe to share with a model that is being trained.
class LineForward {
 public:
  // Runs SOS + line for every line (targets line + EOS), in length-sorted chunks that fit
  // `budget`, without gradients or dropout.
  static LineForward Compute(const PackModel& model, const std::vector<TokenIds>& lines,
                             int32_t sos, int32_t eos, const EvalBudget& budget,
                             const LineForwardOptions& options = {});

  int64_t num_seeds() const { return num_seeds_; }
  int64_t num_lines() const { return static_cast<int64_t>(inputs_.size()); }
  // SOS + line i: what the model was fed.
  const TokenIds& input(int64_t line) const { return inputs_[line]; }
  int32_t eos() const { return eos_; }
  // The forward that computed this (verification forwards use it, so that they round as the
  // line forward did).
  const EvalForward& forward() const { return *forward_; }

  // §4.1: file-order batches of `batch_size` lines, token-mean cross-entropy per batch (EOS
  // target included), plain mean over batches; one value per seed (NaN without lines).
  std::vector<double> LmLoss(int64_t batch_size) const;

  // A line that starts with `input` (SOS first, non-empty), as (line, position of input's last
  // token), or nullopt when no line does.
  struct Hit {
    int64_t line = 0;
    int64_t pos = 0;
  };
  std::optional<Hit> Find(const TokenIds& input) const;

  bool HasLogits() const { return logits_.defined(); }
  // Logits [S, hits, V] on the model's device at the given positions. Requires HasLogits().
  torch::Tensor LogitsAt(const std::vector<Hit>& hits) const;

  bool HasArgmax() const { return argmax_.defined(); }
  // Seed s's argmax at position `pos` of `line` (the greedy next token there). Requires
  // HasArgmax().
  int32_t ArgmaxAt(int64_t seed, int64_t line, int64_t pos) const {
    return static_cast<int32_t>(argmax_ptr_[seed * total_ + offset_[line] + pos]);
  }

 private:
  LineForward() = default;

  int64_t num_seeds_ = 0;
  int32_t eos_ = 0;
  std::shared_ptr<const EvalForward> forward_;
  std::vector<TokenIds> inputs_;   // SOS + line, file order
  std::vector<int64_t> offset_;    // line -> its first position in the flat token axis
  int64_t total_ = 0;              // positions over all lines
  std::vector<int64_t> lex_;       // lines in lexicographic order of inputs_ (for Find)
  torch::Tensor line_sum_;         // [S, lines] float64: summed cross-entropy per line
  torch::Tensor logits_;           // [S, total, V] on device, or undefined
  torch::Tensor argmax_;           // [S, total] int64 on the host, or undefined
  const int64_t* argmax_ptr_ = nullptr;
};

}  // namespace sg

#endif  // SG_TRAINER_EVAL_LINE_FORWARD_H_
