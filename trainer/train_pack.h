// Trains one pack of seeds of one grid cell, without a coordinator: the library behind
// sg-train. Torch-free header (LibTorch stays inside trainer/*.cc). See docs/trainer.md for the
// output folder's files (metrics.jsonl, events.jsonl, ckpt-<step>.pt) and their contracts.
#ifndef SG_TRAINER_TRAIN_PACK_H_
#define SG_TRAINER_TRAIN_PACK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "trainer/api/train_options.h"

namespace sg {

// Returns OK once the pack has trained train.steps steps (also when out_dir was already
// complete). Errors: kInvalidArgument (bad options, spec or cell, naming the field),
// kFailedPrecondition (out_dir holds another pack's checkpoint; the per-seed checkpoints
// have no common step; CUDA asked for but not available), kResourceExhausted (out of memory), kCancelled (stopped via `stop`, after a
// checkpoint), others for I/O failures.
absl::Status TrainPack(const TrainPackOptions& options);

}  // namespace sg

#endif  // SG_TRAINER_TRAIN_PACK_H_
