// Which checkpoint files a run keeps (`train.keep_checkpoints`): the newest N (what resume
// needs), every checkpoint at a multiple of K steps as well (for analyses of the training
// trajectory after the run), or all of them. Torch-free.
#ifndef SG_COMMON_CHECKPOINT_RETENTION_H_
#define SG_COMMON_CHECKPOINT_RETENTION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sg {

struct CheckpointRetention {
  enum class Kind { kLast, kEvery, kAll };
  Kind kind = Kind::kLast;
  // kLast: how many of the newest files are kept (>= 1); kEvery: K, in steps (>= 1).
  int64_t count = 2;

  // How many newest files are kept whatever the step: `count` for kLast, 2 otherwise (resume
  // reads the newest; per-seed resume may need the one before), and never fewer than
  // `at_least`.
  int64_t NewestKept(int64_t at_least) const;
  // Whether a checkpoint at `step` is kept although it is not among the newest.
  bool KeepsStep(int64_t step) const;
};

// "last N", "every K steps" (also "every K"), or "all". kInvalidArgument says what is allowed.
absl::StatusOr<CheckpointRetention> ParseCheckpointRetention(absl::string_view text);

}  // namespace sg

#endif  // SG_COMMON_CHECKPOINT_RETENTION_H_
