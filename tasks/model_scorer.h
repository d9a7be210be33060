// The torch-free boundary between the task evaluators and a trained model (or a pack of S
// models that differ only by seed). The trainer implements it with LibTorch; tests implement it
// with scripted rules. Token ids are those of the task's Vocabulary.
#ifndef SG_TASKS_MODEL_SCORER_H_
#define SG_TASKS_MODEL_SCORER_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace sg {

using TokenIds = std::vector<int32_t>;

// Not required to be thread-safe: evaluators call it from one thread.
class ModelScorer {
 public:
  virtual ~ModelScorer() = default;

  // How many models answer each call (S for a pack of S seeds; 1 for a single run).
  virtual int num_models() const = 0;

  // For each input (the model's input ids, SOS first), the next-token scores (logits or any
  // monotone transform of them) over the whole vocabulary (V+2 entries) at its last position.
  // Result: [model][input][vocab id].
  virtual absl::StatusOr<std::vector<std::vector<std::vector<float>>>> NextTokenScores(
      const std::vector<TokenIds>& inputs) = 0;

  // Greedy decoding (experiment.md §1.9): for each prompt (SOS first), the argmax token t0 at
  // the last prompt position, then up to max_new_tokens more, each the argmax after feeding the
  // previous one. Returns all generated tokens t0..t_max_new_tokens (no EOS truncation: the
  // evaluator applies the reference's length rule). Result: [model][prompt][token].
  virtual absl::StatusOr<std::vector<std::vector<TokenIds>>> GreedyDecode(
      const std::vector<TokenIds>& prompts, int max_new_tokens) = 0;
};

}  // namespace sg

#endif  // SG_TASKS_MODEL_SCORER_H_
