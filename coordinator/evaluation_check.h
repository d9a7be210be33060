// The completeness rule a run must meet before CompleteJob may mark it succeeded: every
// evaluation step of its budget has every metric an evaluation writes (docs/trainer.md,
// "metrics.jsonl"). A worker that lost points (a full disk, a refused batch) therefore cannot
// end a run as succeeded with holes in its curves; it must resend them first.
//
// Thread-safety: free functions; CheckEvaluationsComplete reads the Store (thread-safe).
#ifndef SG_COORDINATOR_EVALUATION_CHECK_H_
#define SG_COORDINATOR_EVALUATION_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/sweep_spec.h"
#include "coordinator/store.h"

namespace sg {

// The metrics sg-train writes at every evaluation step, whatever its options (attn_entropy is
// left out: --attn-sentences 0 turns it off).
const std::vector<std::string>& EvaluationMetrics();

// The evaluation steps a run that ended at `final_step` must have: the multiples of
// config.eval_every up to min(final_step, config.steps), and config.steps itself once
// final_step reaches it (the last step is always evaluated). Ascending, no repeats.
std::vector<int64_t> EvaluationSteps(const TrainConfig& config, int64_t final_step);

// OK when every (EvaluationMetrics x EvaluationSteps) point of `run` is stored; else
// kFailedPrecondition naming the run and the missing steps (and which metrics), so the worker
// knows to resend its spool before completing again.
absl::Status CheckEvaluationsComplete(Store* store, const RunRecord& run,
                                      const TrainConfig& config, int64_t final_step);

}  // namespace sg

#endif  // SG_COORDINATOR_EVALUATION_CHECK_H_
