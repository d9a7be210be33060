// The on-disk checkpoint container: a fixed header with a CRC-32 of the payload, written
// atomically (temp file, fsync, rename, fsync of the folder), so a crash leaves either the old
// set of checkpoints or the new one, and a torn or corrupt file is detected on read.
// The payload is opaque here (the trainer serialises its state into it). Torch-free.
//
// Layout (little-endian): "SGCKPT01" | u32 header version (1) | u32 CRC-32 of payload |
// i64 step | u64 payload size | payload. Files are named ckpt-<step>.pt (step zero-padded to
// 12 digits so names sort by step).
#ifndef SG_TRAINER_CHECKPOINT_FILE_H_
#define SG_TRAINER_CHECKPOINT_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/checkpoint_retention.h"

namespace sg {

struct CheckpointRef {
  int64_t step = 0;
  std::string path;
};

std::string CheckpointPath(const std::string& dir, int64_t step);

// Writes ckpt-<step>.pt into dir atomically, then deletes all but the newest `keep` checkpoint
// files (keep >= 1). Returns the path written.
absl::StatusOr<std::string> WriteCheckpointFile(const std::string& dir, int64_t step,
                                                const std::string& payload, int keep);

// Deletes the ckpt-*.pt files of dir that are neither among the newest
// retention.NewestKept(at_least) nor kept for their step (retention.KeepsStep): what
// `train.keep_checkpoints` asks for after a checkpoint is written.
void PruneCheckpoints(const std::string& dir, const CheckpointRetention& retention,
                      int64_t at_least);

// The ckpt-*.pt files in dir, newest (highest step) first. Unreadable dir: empty list.
std::vector<CheckpointRef> ListCheckpoints(const std::string& dir);

// Reads and verifies one file. kDataLoss when the header, size or checksum is wrong.
struct CheckpointContents {
  int64_t step = 0;
  std::string payload;
};
absl::StatusOr<CheckpointContents> ReadCheckpointFile(const std::string& path);

}  // namespace sg

#endif  // SG_TRAINER_CHECKPOINT_FILE_H_
