// How much device memory a pack (S seeds of one grid cell trained as one batched model by
// sg-train, trainer/model/pack_model.h) needs on a GPU, so that sg-worker can choose how many seeds
// to train at once. Torch-free: the worker never links LibTorch.
//
// The model of memory (fp32 weights, state and activations; bool dropout masks):
//   per seed  = parameters x (weights + AdamW moments + one gradient set per captured bucket
//               and one for eager steps + the capture snapshot + update scratch)
//             + the activations autograd keeps for one training step at the longest captured
//               length bucket, plus one layer's worth of gradients alive during backward
//             + for a task whose steps can outgrow the graphs (Dyck), one eager step's
//               activations at its longest lines, outside the graphs' pool;
//   per pack  = CUDA context + cuBLAS workspace + caching-allocator slack + the evaluation
//               activation budget (sg-train --eval-memory-mb; its CUDA default is 4 GiB).
// Every constant of that model is named in `pack_memory` below with its reason. They are
// estimates from the trainer's code, not measurements: calibrate them against measured peaks
// (the GPU benchmark) and change them here only.
#ifndef SG_TRAINER_API_PACK_MEMORY_H_
#define SG_TRAINER_API_PACK_MEMORY_H_

#include <cstdint>
#include <string>

#include "common/sweep_spec.h"

namespace sg {

namespace pack_memory {

inline constexpr int64_t kMiB = int64_t{1} << 20;
inline constexpr int64_t kGiB = int64_t{1} << 30;
inline constexpr int64_t kFloatBytes = 4;  // fp32, as sg-train trains by default (no bf16)

// --- Per parameter, per seed. ---
// The [S, P] weights.
inline constexpr int64_t kWeightBytesPerParam = 4;
// AdamW's exp_avg and exp_avg_sq, [S, P] each.
inline constexpr int64_t kAdamBytesPerParam = 8;
// One [S, P] set of gradients. Each captured CUDA graph (one per padded-length bucket,
// trainer/model/cuda_graph_step.h) keeps the gradients its backward produced during capture, and
// eager steps (batches longer than the last bucket) use the model's flat_grad:
// graph_buckets + kEagerGradBuffers sets in all.
inline constexpr int64_t kGradBytesPerParam = 4;
inline constexpr int64_t kEagerGradBuffers = 1;
// Capturing a bucket runs one real warm-up step and puts the weights and both AdamW moments
// back from clones taken before it: 12 bytes per parameter while a graph is captured.
inline constexpr int64_t kCaptureSnapshotBytesPerParam = 12;
// One [S, P] temporary of the eager step's clip and update (trainer/pack_optimizer); the graph
// step's fused AdamW needs none.
inline constexpr int64_t kUpdateScratchBytesPerParam = 4;

// --- Activations of one training step, per seed, for a batch of B rows of T tokens (N = B*T).
// Only the longest bucket counts: the captured graphs share one memory pool (they never run at
// once; cuda_graph_step.cc), so a later capture reuses what an earlier one freed.
// What autograd keeps per encoder layer (trainer/model/pack_model.cc, PackModel::Hidden). A bmm saves
// both operands; dropout saves only its mask; layer_norm saves its input, addcmul the
// normalised value, relu and softmax their output. fp32 (bf16 autocast would keep less).
//   [N, d] fp32 x 10: the layer input (saved by the W_q and W_kv bmms); q, k and v as copied by
//     reshape (saved by the two attention bmms); the heads' merged output (saved by the W_o
//     bmm); LN1's input and normalised value; u, LN1's output (saved by the W_1 bmm); LN2's
//     input and normalised value. (LN2's output is the next layer's input.)
//   [N, d] dropout masks x 2: on the W_o output and on the W_2 output.
//   [N, ff] fp32 x 2: relu's output and the dropped-out hidden (saved by the W_2 bmm); plus
//     its dropout mask.
//   [B, H, T, T] fp32 x 2: the softmax output and the dropped-out probabilities (saved by the
//     bmm with V); plus their dropout mask. The raw scores are freed once softmax has run.
inline constexpr int64_t kModelWidthTensorsPerLayer = 10;
inline constexpr int64_t kModelWidthMasksPerLayer = 2;
inline constexpr int64_t kFfWidthTensorsPerLayer = 2;
inline constexpr int64_t kFfWidthMasksPerLayer = 1;
inline constexpr int64_t kAttentionTensorsPerLayer = 2;
inline constexpr int64_t kAttentionMasksPerLayer = 1;
// Bytes per dropout-mask element: the graph step draws pack-wide masks with torch::dropout
// (ForwardOptions::pack_dropout), which on CUDA keeps a bool mask. (The eager per-seed path
// multiplies by float masks, 4 bytes.)
inline constexpr int64_t kDropoutMaskBytes = 1;
// Backward holds the gradients of the layer it is differentiating (about as many tensors as
// that layer saved) on top of everything still saved: one extra layer.
inline constexpr int64_t kBackwardWorkspaceLayers = 1;
// Outside the layers: the embedding's one-hot input [N, V] (saved by the lookup bmm); the last
// layer's output [N, d] (saved by the output projection) and the embedding's dropout mask
// [N, d]; the additive attention mask [B, T, T] (one per seed, shared by layers and heads);
// and the logits [N, V] x 3 (the log-softmax output that cross-entropy saves, then its
// gradient and the logits' gradient during backward).
inline constexpr int64_t kEmbeddingOneHotTensors = 1;
inline constexpr int64_t kOutsideModelWidthTensors = 1;
inline constexpr int64_t kOutsideModelWidthMasks = 1;
inline constexpr int64_t kAttentionMaskTensors = 1;
inline constexpr int64_t kLogitTensors = 3;

// --- Calibration against a measurement. sg-bench on an H100 (2026-11-24; 2 length buckets
// captured, T 40, fp32): the allocator's peak reserved memory grew by 1,089 MiB per seed at 6
// layers and 1,803 MiB at 10 layers (`sg-bench --sweep`, slope between 4, 10 and 16 seeds),
// where the parts above give 824 and 1,364 MiB for the same buckets: 1.32x both times (the
// warm-up's own gradient set, block rounding, and clones alive during capture). The
// per-seed estimate is scaled by this much, rounded up.
inline constexpr int64_t kMeasuredPerSeedOverheadPercent = 35;

// --- Per pack (per sg-train process). ASSUMPTIONS, not measured yet: about 1 GiB in all. ---
// CUDA context with LibTorch's kernels loaded.
inline constexpr int64_t kCudaContextBytes = 512 * kMiB;
// cuBLAS workspaces (one per handle and stream; graph capture runs on a side stream).
inline constexpr int64_t kCublasWorkspaceBytes = 64 * kMiB;
// The caching allocator rounds blocks up and fragments; graphs keep their own pools.
inline constexpr int64_t kAllocatorSlackBytes = 448 * kMiB;
// Evaluation activations: sg-train's --eval-memory-mb default on CUDA (trainer/train_pack.cc).
// Evaluation runs eagerly between steps while the graphs' memory pool stays reserved for them,
// so it adds to the training memory instead of reusing it.
inline constexpr int64_t kDefaultEvalBytes = 4096 * kMiB;

// --- Defaults the worker uses. ---
// Share of a device's memory a pack may plan to use: the rest is headroom for what the model
// above misses and for other processes on the GPU.
inline constexpr double kDefaultUsableFraction = 0.9;
// Upper bound of a task's model ids (V+2): QF 71, Tense 101, Dyck 43 (experiment.md §1.8).
// The embedding and output layer are under 1% of the parameters, so a bound costs little.
inline constexpr int64_t kNumIdsBound = 128;
// Longest training row (SOS + words) a pack's length buckets cover, per task. QF's LM lines
// have 11-35 words and Tense's 9-29 (datasets.md §1.5, §2.5), so 48 leaves a bucket's rounding.
// Dyck's train strings reach ~1,100 tokens; on CUDA its lines are packed into rows, and a
// packed graph holds at most batch_size x 256 positions per seed (trainer/model/graph_buckets.h,
// PackedGraphFits), the positions of 8 rows of 256. Steps of the padded layout beyond the last
// bucket train eagerly and are NOT covered: their attention grows with T^2 (docs/worker.md,
// "Pack size").
inline constexpr int64_t kMaxTokensQuestionFormation = 48;
inline constexpr int64_t kMaxTokensTenseInflection = 48;
inline constexpr int64_t kMaxTokensDyck = 256;
// Length buckets a pack of each task captures (trainer/model/graph_buckets.h: multiples of 8 up to
// 64, of 32 up to 256; at most PackTrainerOptions::max_graphs = 8). A pack pads to its longest
// row over all seeds' batches, so QF (12-36 tokens) and Tense (10-30) meet buckets 16-40;
// Dyck's lengths spread over all 14 buckets, so it reaches the cap.
inline constexpr int kGraphBucketsQuestionFormation = 4;
inline constexpr int kGraphBucketsTenseInflection = 4;
inline constexpr int kGraphBucketsDyck = 8;
// Steps no graph holds train eagerly, and their activations live outside the graphs' memory
// pool (which only replays use), so they add to it (as do the captures' warm-up steps, whose
// activations the allocator keeps cached there). QF's and Tense's steps all fit a graph.
// Dyck's do not always: a step whose seed's lines pass batch_size x 256 positions in one row
// per seed steps eagerly (about one step in 300; trainer/model/graph_buckets.h,
// OneRowGraphFits), at most batch_size lines of Dyck's longest in one row per seed, with
// attention per line (no [T, T] term). Dyck's seed-0 train split's longest line has 1,117
// words (`sg-data generate --task dyck --split train --seed 0`), 1,119 tokens with SOS and
// EOS; 1,152 leaves room for other data seeds' tails. That bound is far above the eager steps
// seen (docs/worker.md: about 3,100 positions per seed), and it is what makes the estimate cover
// the one measurement there is: `sg-bench --task dyck --layers 6 --seeds 10` peaked at 56,840
// MiB on the H200 (2026-12-04, docs/performance.md), where the model without this term gave
// 27,521 MiB and gives 61,076 with it. How that peak divides among eager steps, warm-ups and
// the shared pool's fragmentation across Dyck's 8 graph shapes has not been measured.
inline constexpr int64_t kEagerLineTokensDyck = 1152;

}  // namespace pack_memory

// Parameters of one model, exactly as trainer/model/pack_model.cc's ParamLayout lays them out:
// embedding V*d; per layer W_q d*d, W_kv 2d*d, W_o d*d, W_1 ff*d, b_1 ff, W_2 d*ff, b_2 d and
// 4 LayerNorm vectors of d; W_out V*d unless tie_embeddings; b_out V. `num_ids` is V+2.
int64_t ModelParamCount(const TrainConfig& config, int64_t num_ids);

struct PackMemoryEstimate {
  int64_t fixed_bytes = 0;     // once per pack (process)
  // state_bytes_per_seed + activation_bytes_per_seed + eager_activation_bytes_per_seed, with
  // the measured overhead
  int64_t per_seed_bytes = 0;
  // The parts, for logs and calibration.
  int64_t params_per_seed = 0;
  int64_t state_bytes_per_seed = 0;       // weights, moments, gradients, capture and update scratch
  int64_t activation_bytes_per_seed = 0;  // one step at the longest bucket
  int64_t eager_activation_bytes_per_seed = 0;  // one eager step of the longest lines (Dyck)

  // fixed_bytes + seeds * per_seed_bytes.
  int64_t Bytes(int64_t seeds) const { return fixed_bytes + seeds * per_seed_bytes; }
  // "5.00 GiB fixed + 0.96 GiB/seed (19.0M params: 0.85 GiB state, 0.11 GiB activations)".
  std::string ToString() const;
};

// Device bytes to train a pack of `config` on a GPU (see the file comment), for rows of at most
// `max_tokens` tokens (SOS included; the longest captured bucket) and `graph_buckets` captured
// length buckets. `eval_bytes` is sg-train's evaluation budget. max_tokens below 1 counts as 1,
// graph_buckets below 0 as 0.
// `eager_line_tokens` > 0: steps of up to batch_size lines of that many tokens may step eagerly
// (pack_memory::kEagerLineTokensDyck); their activations are added.
PackMemoryEstimate EstimatePackMemory(const TrainConfig& config, int64_t num_ids,
                                      int64_t max_tokens, int graph_buckets,
                                      int64_t eval_bytes = pack_memory::kDefaultEvalBytes,
                                      int64_t eager_line_tokens = 0);

// How many seeds fit in usable_fraction of device_bytes: floor((device_bytes * usable_fraction
// - fixed_bytes) / per_seed_bytes), at least 0 (0: not even one seed fits), at most INT32_MAX.
int32_t SeedsThatFit(const PackMemoryEstimate& estimate, int64_t device_bytes,
                     double usable_fraction);

// The bounds a pack of `task` is sized with: pack_memory::kNumIdsBound and the task's
// kMaxTokens*, kGraphBuckets* and kEagerLineTokens* above (0: every step fits a graph).
struct TaskSizeBounds {
  int64_t num_ids = 0;
  int64_t max_tokens = 0;
  int graph_buckets = 0;
  int64_t eager_line_tokens = 0;
};
TaskSizeBounds TaskSizeBoundsFor(TaskKind task);

}  // namespace sg

#endif  // SG_TRAINER_API_PACK_MEMORY_H_
