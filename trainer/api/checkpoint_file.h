// The on-disk checkpoint container: a fixed header with a CRC-32 of the payload, written
// atomically (temp file, fsync, rename, fsync of the folder), so a crash leaves either the old
// set of checkpoints or the new one, and a torn or corrupt file is detected on read.
// The payload is opaque here (the trainer serialises its state into it). Torch-free: sg-train
// writes these files and sg-worker reads their headers to decide what a run may resume from.
//
// Layout (little-endian): "SGCKPT01" | u32 header version | u32 CRC-32 of payload |
// i64 step | u64 payload size | [version >= 2: i64 sweep id | i64 run id | i64 seed]
// | [version 3: u64 flags, bit 0 = weights only] | payload.
// Version 2 names whose state the file holds, so a file planted in a run's folder, or copied
// from another run, is recognised and refused (docs/security.md); version-1 files (no identity)
// are still read, with identity.known false. Version 3 is written only for weights-only files
// (checkpoints kept for analysis alone, `train.keep_checkpoints: every K steps` or `all`, with
// no optimizer moments, so nothing can resume from them); a full-state file is still version 2,
// so readers that predate version 3 read every file they can resume from. Files are named
// ckpt-<step>.pt (step zero-padded to 12 digits so names sort by step).
#ifndef SG_TRAINER_API_CHECKPOINT_FILE_H_
#define SG_TRAINER_API_CHECKPOINT_FILE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/checkpoint_retention.h"

namespace sg {

struct CheckpointRef {
  int64_t step = 0;
  std::string path;
};

// Whose state a checkpoint holds. A whole-pack file has seed -1; a standalone sg-train run
// (no coordinator) has sweep and run 0.
struct CheckpointIdentity {
  bool known = false;  // false: a version-1 file, written before headers named their run
  int64_t sweep_id = 0;
  int64_t run_id = 0;
  int64_t seed = -1;
};

// What a checkpoint's payload holds: everything a run resumes from, or only the model weights
// (and step) that analyses read.
enum class CheckpointContent { kFullState, kWeightsOnly };

std::string CheckpointPath(const std::string& dir, int64_t step);

// ckpt-000000000300.pt -> 300; -1 for a name that is not a checkpoint's (temp files included).
int64_t CheckpointStepFromName(const std::string& file_name);

// Writes ckpt-<step>.pt (naming `identity`; header version 2, or 3 when weights-only) into dir
// atomically, replacing a file of that step, then deletes all but the newest `keep` checkpoint
// files (keep >= 1). Returns the path written.
absl::StatusOr<std::string> WriteCheckpointFile(
    const std::string& dir, int64_t step, const std::string& payload, int keep,
    const CheckpointIdentity& identity,
    CheckpointContent content = CheckpointContent::kFullState);
// The same file from a payload in pieces, concatenated in order, without copying them into
// one string first: sg-train writes a checkpoint's arrays straight from the host block they
// were staged in (trainer/model/state_payload.h), so a pack's payload is not held twice.
absl::StatusOr<std::string> WriteCheckpointFile(
    const std::string& dir, int64_t step, const std::vector<absl::string_view>& payload,
    int keep, const CheckpointIdentity& identity,
    CheckpointContent content = CheckpointContent::kFullState);

// Deletes the ckpt-*.pt files of dir that are neither among the newest
// retention.NewestKept(at_least) nor kept for their step (retention.KeepsStep): what
// `train.keep_checkpoints` asks for after a checkpoint is written.
void PruneCheckpoints(const std::string& dir, const CheckpointRetention& retention,
                      int64_t at_least);

// Turns a full-state payload into a weights-only one (the trainer's format, so the trainer
// supplies it). An error leaves the file as it was.
using WeightsOnlyFn = std::function<absl::StatusOr<std::string>(const std::string& payload)>;

// Rewrites, weights-only, every full-state ckpt-*.pt file of dir that the retention keeps only
// for its step (retention.KeepsStep) and that has at least retention.NewestKept(at_least)
// full-state files of higher steps (resume reads those): analysis checkpoints need no optimizer
// moments (two thirds of an AdamW checkpoint). Unreadable headers are skipped.
// Each rewrite is atomic and keeps the file's identity and step. Returns how many files were
// thinned; the first error stops it (files already thinned stay thinned).
absl::StatusOr<int> ThinAnalysisCheckpoints(const std::string& dir,
                                            const CheckpointRetention& retention,
                                            int64_t at_least, const WeightsOnlyFn& weights_only);

// The ckpt-*.pt files in dir, newest (highest step) first. Unreadable dir: empty list.
std::vector<CheckpointRef> ListCheckpoints(const std::string& dir);

// Reads and verifies one file. kDataLoss when the header, size or checksum is wrong.
struct CheckpointContents {
  int64_t step = 0;
  CheckpointIdentity identity;
  CheckpointContent content = CheckpointContent::kFullState;
  std::string payload;
};
absl::StatusOr<CheckpointContents> ReadCheckpointFile(const std::string& path);

// The header alone (the payload is neither read nor verified): what the worker checks before
// it lets a run resume from a file (never a weights-only one). kDataLoss for a bad or
// truncated header.
struct CheckpointHeader {
  int64_t step = 0;
  CheckpointIdentity identity;
  CheckpointContent content = CheckpointContent::kFullState;
  uint64_t payload_bytes = 0;
};
absl::StatusOr<CheckpointHeader> ReadCheckpointHeader(const std::string& path);

}  // namespace sg

#endif  // SG_TRAINER_API_CHECKPOINT_FILE_H_
