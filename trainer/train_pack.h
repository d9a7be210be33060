// Trains one pack of seeds of one grid cell, without a coordinator: the library behind
// sg-train. Torch-free header (LibTorch stays inside trainer/*.cc). See docs/trainer.md for the
// output folder's files (metrics.jsonl, events.jsonl, ckpt-<step>.pt) and their contracts.
#ifndef SG_TRAINER_TRAIN_PACK_H_
#define SG_TRAINER_TRAIN_PACK_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace sg {

struct TrainPackOptions {
  std::string spec_path;            // YAML sweep spec (required)
  std::string cell;                 // "depth=6,lr=0.0001"; empty: the spec's base train config
  std::vector<int64_t> seeds;       // distinct, at least one
  std::string out_dir;              // created if missing; resumed from if it holds a checkpoint
  std::string device = "cpu";       // cpu | cuda | cuda:N
  // CUDA: matmul precision of the fp32 model: tf32 (default), fp32, or bf16 autocast of the
  // forward (weights and optimizer state stay fp32). Ignored on the CPU (always fp32).
  std::string precision = "tf32";
  // CUDA: the evaluation forwards' transformer body in bf16 ("bf16": weights cast once per
  // evaluation, activations bf16; the output layer, losses and argmaxes stay fp32) or at the
  // training precision ("train"). "auto": bf16 unless the training precision is fp32 (whoever
  // turned TF32 off wants exact numbers). Ignored on the CPU (fp32).
  std::string eval_precision = "auto";
  bool cuda_graphs = true;          // CUDA: whole-step graphs (docs/performance.md)
  int64_t steps = 0;                // > 0 overrides train.steps
  int64_t train_loss_every = 100;   // also log train_loss/grad_norm/lr every N steps; 0: off
  int64_t eval_max_lines = 0;       // val_loss/test_loss on the first N lines; 0: all (paper)
  int64_t attn_sentences = 256;     // train sentences for attn_entropy; 0: metric off
  int threads = 0;                  // LibTorch CPU threads; 0: LibTorch's default
  int keep_checkpoints = 2;         // newest checkpoint files kept (per folder)
  // Per-seed checkpoints: empty, or one folder per seed (aligned with `seeds`). When set, each
  // seed's checkpoints (its share of the state only) are written to and resumed from its own
  // folder instead of whole-pack checkpoints in out_dir, so a seed can resume in any pack.
  // Resume uses the newest step that every seed has a valid checkpoint for; if some seed has
  // checkpoints but no step is common to all seeds, TrainPack fails (kFailedPrecondition).
  std::vector<std::string> seed_checkpoint_dirs;
  int64_t eval_memory_mb = 0;       // activation budget per eval forward; 0: 512 (cpu), 4096 (cuda)
  bool show_progress = true;        // progress on stderr
  double progress_interval_s = 30;  // non-terminal progress cadence
  // Polled after every step; when non-zero the trainer writes a checkpoint, appends a
  // "stopped" event and returns kCancelled. sg-train stores the signal number here.
  const std::atomic<int>* stop = nullptr;
};

// Returns OK once the pack has trained train.steps steps (also when out_dir was already
// complete). Errors: kInvalidArgument (bad options, spec or cell, naming the field),
// kFailedPrecondition (out_dir holds another pack's checkpoint; the per-seed checkpoints
// have no common step; CUDA asked for but not available), kResourceExhausted (out of memory), kCancelled (stopped via `stop`, after a
// checkpoint), others for I/O failures.
absl::Status TrainPack(const TrainPackOptions& options);

}  // namespace sg

#endif  // SG_TRAINER_TRAIN_PACK_H_
