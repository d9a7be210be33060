// Recomputes a run's analysis metrics from its kept checkpoints: the library behind
// sg-analyze (trainer/api/analyze_options.h). Torch-free header.
//
// For every checkpoint in the folder (oldest first; full-state or weights-only, a per-seed file
// or a whole-pack file holding the seed), the seed's weights are loaded and the metrics the
// trainer streams at an evaluation are computed by the same functions: weight_norm and
// weight_norm_ref, attn_entropy on the same fixed train sample, and t_score (its random split
// drawn from the seed and the checkpoint's step, as during training) and t_parseval (QF, Tense)
// on the same tree sentences. So at a step where the trainer computed them, the values agree
// (up to floating-point summation order on the device).
#ifndef SG_TRAINER_ANALYZE_CHECKPOINTS_H_
#define SG_TRAINER_ANALYZE_CHECKPOINTS_H_

#include "absl/status/status.h"
#include "trainer/api/analyze_options.h"

namespace sg {

// Writes one metric line per (checkpoint, metric) to options.out_path. Errors:
// kInvalidArgument (bad options or config), kNotFound (no checkpoint in the folder, or the
// config file missing), kFailedPrecondition (a checkpoint of another run, seed or model shape;
// CUDA asked for but unavailable), kDataLoss (an unreadable checkpoint), kResourceExhausted
// (out of memory). Nothing is written for a checkpoint that fails.
absl::Status AnalyzeCheckpoints(const AnalyzeOptions& options);

}  // namespace sg

#endif  // SG_TRAINER_ANALYZE_CHECKPOINTS_H_
