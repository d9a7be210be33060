// sg-train's options and their command-line form: the one definition both sides of the
// sg-worker -> sg-train process boundary link (the worker encodes, sg-train parses). Torch-free.
//
// Every flag is one row of a table in train_options.cc that both EncodeTrainArgs and
// ParseTrainArgs read, so a flag added there is encoded and parsed alike; the round-trip test
// checks Parse(Encode(o)) == o for every field.
#ifndef SG_TRAINER_API_TRAIN_OPTIONS_H_
#define SG_TRAINER_API_TRAIN_OPTIONS_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sg {

struct TrainPackOptions {
  // Where the run's configuration comes from: exactly one of
  //   config_path: the resolved run config (common/run_config.h JSON) the coordinator stored at
  //                submit; what sg-worker passes, so nothing re-parses the sweep's YAML;
  //   spec_path + cell: a YAML sweep spec and one grid cell, for standalone use.
  std::string config_path;          // --config FILE
  std::string spec_path;            // --spec FILE
  std::string cell;                 // --cell "depth=6,lr=0.0001"; empty: the spec's base config
  std::vector<int64_t> seeds;       // --seeds: distinct, at least one
  std::string out_dir;              // --out: created if missing; resumed from if it holds a checkpoint
  std::string device = "cpu";       // --device cpu | cuda | cuda:N
  // CUDA: matmul precision of the fp32 model: tf32 (default), fp32, or bf16 autocast of the
  // forward (weights and optimizer state stay fp32). Ignored on the CPU (always fp32).
  std::string precision = "tf32";
  // CUDA: the evaluation forwards' transformer body in bf16 ("bf16": weights cast once per
  // evaluation, activations bf16; the output layer, losses and argmaxes stay fp32) or at the
  // training precision ("train"). "auto": bf16 unless the training precision is fp32 (whoever
  // turned TF32 off wants exact numbers). Ignored on the CPU (fp32).
  std::string eval_precision = "auto";
  bool cuda_graphs = true;          // CUDA: whole-step graphs (--no-cuda-graphs turns them off)
  int64_t steps = 0;                // > 0 overrides train.steps
  int64_t train_loss_every = 100;   // also log train_loss/grad_norm/lr every N steps; 0: off
  int64_t eval_max_lines = 0;       // val_loss/test_loss on the first N lines; 0: all (paper)
  int64_t attn_sentences = 256;     // train sentences for attn_entropy; 0: metric off
  int64_t threads = 0;              // LibTorch CPU threads; 0: LibTorch's default
  int64_t keep_checkpoints = 2;     // newest checkpoint files kept (per folder), >= 1
  // Per-seed checkpoints: empty, or one folder per seed (aligned with `seeds`). When set, each
  // seed's checkpoints (its share of the state only) are written to and resumed from its own
  // folder instead of whole-pack checkpoints in out_dir, so a seed can resume in any pack.
  // Resume uses the newest step that every seed has a valid checkpoint for; if some seed has
  // checkpoints but no step is common to all seeds, TrainPack fails (kFailedPrecondition).
  // Command line: --seed-checkpoint-dirs S=DIR,... or --checkpoint-dir ROOT (ROOT/seed-S).
  std::vector<std::string> seed_checkpoint_dirs;
  // Identity written into every checkpoint header (trainer/api/checkpoint_file.h), so a worker
  // resumes a run only from files written for it: the sweep, and each seed's run (aligned with
  // `seeds`; empty: 0 for every seed, as a standalone sg-train run has no run ids).
  int64_t sweep_id = 0;             // --sweep-id
  std::vector<int64_t> run_ids;     // --run-ids R,R,...
  int64_t eval_memory_mb = 0;       // activation budget per eval forward; 0: 512 (cpu), 4096 (cuda)
  bool show_progress = true;        // progress on stderr (--quiet turns it off)
  int64_t progress_interval_s = 30; // non-terminal progress cadence, >= 1
  // Not a flag: polled after every step; when non-zero the trainer writes a checkpoint, appends
  // a "stopped" event and returns kCancelled. sg-train stores the signal number here.
  const std::atomic<int>* stop = nullptr;
};

// The eval budget in bytes that `options` gives sg-train on a CUDA device (eval_memory_mb, or
// its CUDA default of 4096 MiB when 0).
int64_t CudaEvalBytes(const TrainPackOptions& options);

// sg-train's argv (without the program name) for `options`: every flag whose value differs
// from TrainPackOptions{}'s, in the table's order.
std::vector<std::string> EncodeTrainArgs(const TrainPackOptions& options);

// Parses sg-train's argv (without the program name) on top of `base` (its fields are kept
// unless a flag sets them). Accepts "--flag value" and "--flag=value". Errors are
// kInvalidArgument naming the flag and what it accepts. Does not check that required flags
// are present (ValidateTrainOptions does): the worker parses partial argument lists
// (--train-args) with it.
absl::StatusOr<TrainPackOptions> ParseTrainArgs(const std::vector<std::string>& args,
                                                const TrainPackOptions& base = {});

// What sg-train needs before it starts: a config source (--config, or --spec), --out, --seeds;
// run ids aligned with the seeds. kInvalidArgument naming the flag.
absl::Status ValidateTrainOptions(const TrainPackOptions& options);

// The usage text, one line per flag, generated from the table.
std::string TrainUsage();

}  // namespace sg

#endif  // SG_TRAINER_API_TRAIN_OPTIONS_H_
