// Whether sg-train's CUDA steps take the ragged layout (trainer/model/ragged_batch.h), as its
// environment asks (SG_RAGGED): an operator's switch, beside SG_PACK_LINES and
// SG_LINE_ATTENTION, to try or leave the layout without a rebuild (docs/trainer.md).
#ifndef SG_TRAINER_MODEL_LAYOUT_CHOICE_H_
#define SG_TRAINER_MODEL_LAYOUT_CHOICE_H_

#include "absl/status/status.h"
#include "common/sweep_spec.h"
#include "trainer/model/pack_trainer.h"

namespace sg {

// The environment variable's name.
inline constexpr char kRaggedEnv[] = "SG_RAGGED";

// The layout a task's CUDA packs in fp32 or TF32 take when the variable is unset: Dyck's steps
// ragged, in chunks of 128 with their graphs' chunk counts rounded to 8 and the largest seed's
// to 4, the fastest of the layouts measured side by side on the H200 (docs/performance.md,
// "Measured (2026-12-05, session 17 ...)": 925 model-steps/s against 767 for one row per
// seed; 5 steps of 500 past the 8 graphs run eagerly, and 16 graphs were no faster); QF's and
// Tense's keep their packed rows (their steps are not bound by positions). Sets the options'
// ragged_chunk and granules for Dyck; nothing for the others.
void ApplyTaskRaggedDefault(TaskKind task, PackTrainerOptions* options);

// Sets options->ragged_chunk (and the graphs' granules) from the variable's value: unset or
// empty: as they are (the task's default); "0" or "off": off; "C": chunks of C positions (a
// multiple of 8 from 8 to 1024);
// "C:A,B": and the graphs' chunk counts rounded up to multiples of A, the largest seed's to
// multiples of B (PackTrainerOptions::ragged_chunks_granule, ragged_seed_chunks_granule; at
// least 1). Anything else is an InvalidArgument naming the variable and the forms it takes,
// and leaves the options as they were.
absl::Status ApplyRaggedChoice(const char* value, PackTrainerOptions* options);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_LAYOUT_CHOICE_H_
