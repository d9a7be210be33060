// The expected cost of training a pack, the order the coordinator hands packs out in
// (longest expected first, docs/performance.md "Claim order") and the unit sg-worker weighs
// its devices' throughput in (worker/pack_concurrency.h). Torch-free: the coordinator's stores
// and the worker use it; the trainer does not.
//
// The model: the multiply-adds of one training step of one model (seed), forward and backward
// (backward is about twice the forward), times the steps still to train:
//   cost = 3 x steps_left x B x T x [ L x (4 d^2 + 2 d ff + 2 T d) + 2 V d ]
// B rows of T tokens (the task's mean training row, kMeanRowTokens*); per layer the four
// attention projections (4 d^2), the feed-forward pair (2 d ff) and the attention scores and
// their weighted sum (2 T d); outside the layers the embedding and output projection over V ids
// (kCostIds). A pack's cost is the sum over its runs. A pure FLOP count: what it leaves out
// (kernel launches, the optimizer pass, evaluations) is a small share at the paper's sizes,
// and only the ratio between packs matters for the order.
#ifndef SG_COMMON_PACK_COST_H_
#define SG_COMMON_PACK_COST_H_

#include <cstdint>

#include "common/run_config.h"
#include "common/sweep_spec.h"

namespace sg {

namespace pack_cost {
// Mean training row, tokens (LM line + SOS; datasets.md: QF train mean 21.2 words; Tense about
// its IID test's 19.4; Dyck train mean about 50). Means, not the longest row a pack pads to:
// padding is the trainer's overhead, not the work the row asks for.
inline constexpr int64_t kMeanRowTokensQuestionFormation = 22;
inline constexpr int64_t kMeanRowTokensTenseInflection = 20;
inline constexpr int64_t kMeanRowTokensDyck = 51;
// Model ids (V+2) bound shared by every task (pack_memory::kNumIdsBound); under 2% of the cost.
inline constexpr int64_t kCostIds = 128;
// Forward + backward multiply-adds per forward multiply-add.
inline constexpr int64_t kTrainMultiplier = 3;
}  // namespace pack_cost

// What the cost of one run depends on: the fields of its resolved config (RunConfig) and how
// many steps it still has to train: train.steps minus the step it resumes from (its committed
// checkpoint), so a resumed or extended run counts only what is left.
struct RunCostInputs {
  TaskKind task = TaskKind::kQuestionFormation;
  int64_t depth = 0;
  int64_t batch_size = 0;
  int64_t d_model = 0;
  int64_t ff = 0;
  int64_t steps_left = 0;
};

// Expected multiply-adds (see the file comment) of training one run to its horizon; 0 when
// nothing is left or a field is not positive (an unknown config sorts last). Overflow-safe:
// computed in double.
double ExpectedRunCost(const RunCostInputs& run);

// Mean training tokens per row of `task` (pack_cost::kMeanRowTokens*).
int64_t MeanRowTokens(TaskKind task);

// The inputs of a run with resolved config `config` resuming from `resume_step`.
RunCostInputs RunCostInputsOf(const RunConfig& config, int64_t resume_step);

// steps - resume_step, at least 0: what ExpectedRunCost's steps_left means.
inline int64_t StepsLeft(int64_t steps, int64_t resume_step) {
  return steps > resume_step ? steps - resume_step : 0;
}

}  // namespace sg

#endif  // SG_COMMON_PACK_COST_H_
