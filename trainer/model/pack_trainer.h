// One training step for a pack of seeds (experiment.md §2.1-2.6), and the pack's full
// resumable state. Trainer-internal (LibTorch).
//
// Per step: each seed draws its own batch from its own data order; the pack's batches are
// padded to one [S,B,T]; forward (train mode) -> per-seed token-mean loss -> backward of the
// sum (seeds have disjoint parameters, so this is S independent backward passes) -> per-seed
// clip -> AdamW with the schedule's lr. Each seed's dropout masks come from its own stream
// (DropoutStreams), so with dropout on a seed still follows its single-seed run. Nothing reads
// the device except TakeStats().
//
// On CUDA (LibTorch with CUDA graphs) the step is a captured graph per padded-length bucket
// (cuda_graph_step.h), or per packed (rows, row length) shape with pack_lines; batches too
// long for a bucket, or beyond the graph cap, take the eager step. Dropout then uses one pack-level stream (ForwardOptions::pack_dropout) that is reseeded
// before every step from the pack's seeds and the step number, so it carries no state: a
// resumed pack replays the masks of an uninterrupted one, while a seed moved into another pack
// draws other (equally distributed) masks from then on.
#ifndef SG_TRAINER_MODEL_PACK_TRAINER_H_
#define SG_TRAINER_MODEL_PACK_TRAINER_H_

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/sweep_spec.h"
#include "tasks/model_scorer.h"
#include "trainer/model/cuda_line_attention.h"
#include "trainer/model/data_order.h"
#include "trainer/model/lm_batch.h"
#include "trainer/model/pack_model.h"
#include "trainer/model/pack_optimizer.h"
#include "trainer/model/ragged_batch.h"
#include "trainer/model/update_priority.h"

namespace sg {

struct PackTrainerOptions {
  TrainConfig config;
  std::vector<int64_t> seeds;
  torch::Device device = torch::kCPU;
  int32_t num_ids = 0;  // V+2
  int32_t sos_id = 0;
  int32_t eos_id = 0;
  // CUDA only. Whole-step CUDA graphs where this LibTorch has them (else the eager step).
  bool cuda_graphs = true;
  int max_graphs = 8;  // captured length buckets at most (each holds its own gradients)
  bool tf32 = true;    // TF32 tensor-core matmuls for fp32 (PyTorch's "high" precision)
  bool bf16 = false;   // bf16 autocast of the forward (weights and optimizer stay fp32)
  bool fused_attention = false;  // graph mode: ForwardOptions::fused_attention (slower in
                                // fp32 on the H100: docs/performance.md)
  // Graph mode: clip and AdamW with our CUDA kernels (GraphStepOptions::own_optimizer_kernels);
  // false: LibTorch's multi-tensor norm and fused AdamW. On by default since its tests
  // (trainer_cuda_kernels_test) and sg-bench --check-cpu passed on the H200 (2026-12-04,
  // docs/performance.md, "Our own kernels"); no effect without CUDA graphs.
  bool own_optimizer_kernels = true;
  // Graph mode: residual + LayerNorm by our fused kernel (ForwardOptions::fused_layer_norm),
  // where it serves the tensors (fp32, width a multiple of 32); LibTorch's otherwise.
  bool fused_layer_norm = true;
  // Several lines per row (line_packing.h) instead of one padded row per line: the same loss
  // and gradients (masks keep the lines apart, positions restart per line), far fewer padded
  // positions where lengths have a long tail (Dyck). Graph steps are keyed by (rows, row
  // length); rows past kMaxPackedRowLength or too many positions per seed step eagerly
  // (graph_buckets.h). With per-seed dropout streams (the CPU) the masks are drawn for the
  // packed rows, so a seed's masks then depend on its pack (its row length).
  bool pack_lines = false;
  // With pack_lines on CUDA: rows attend per line (cuda_line_attention.h) instead of through
  // the block-diagonal mask over the whole row.
  // own_line_attention: by our own kernels (OwnLineAttention), with or without dropout, rows
  // of own_line_attention_from positions or more (by default every row).
  // Dyck, 6 layers, 10 seeds, dropout 0.1 on the H200: 597 model-steps/s against 423 masked
  // (docs/performance.md). line_attention: where ours is off, by LibTorch's kernel, without
  // dropout only (LineAttention; not reproducible bit for bit, cuda_line_attention.h says
  // why), rows past kMaxGraphLength only. Both off: the mask everywhere. No effect on the CPU.
  bool own_line_attention = true;
  bool line_attention = true;
  // With own_line_attention: the shortest row that attends per line by our kernels (the
  // default 1: every row; QF's rows of 64 took the mask until 2026-12-04). Shorter rows take
  // the masked path (or LibTorch's per line, as above).
  int64_t own_line_attention_from = kOwnLineAttentionFrom;
  // With pack_lines: every seed's lines back to back in one row (LmBatchLayout::one_row,
  // OneRowLength), so a step has as many positions per seed as the seed with most tokens
  // needs, where rows of PackedRowLength leave more empty (Dyck: docs/performance.md). On
  // CUDA only in steps whose usual rows would attend per line (TrainStepUsesOneRow), since
  // the masked attention's cost grows with the row's length squared; the usual packing
  // otherwise (QF: always). On the CPU (the masked attention) in every step, for tests. Off
  // here; sg-train and sg-bench turn it on for CUDA packs.
  bool one_row_per_seed = false;
  // With one_row_per_seed: the shortest usual row whose step takes one row per seed on CUDA
  // (TrainStepUsesOneRow; 1: every step), and the multiple of positions such a row's length
  // is rounded up to (OneRowLength). Each row length is one more graph (max_graphs).
  int64_t one_row_from = kOneRowFrom;
  int64_t one_row_granule = kOneRowGranule;
  // Graph mode, fp32 activations: the layers' weight and bias gradients (and the fused
  // LayerNorms' affine gradients) on a second stream, overlapping the rest of the backward
  // (cuda_side_stream_linear.h). The same kernels, the same bits; about +8% at 6 layers on the
  // H200 (docs/performance.md, "Weight gradients on a side stream").
  bool side_stream_weight_grads = true;
  // Graph mode with side_stream_weight_grads, padded and packed steps: the layers' products
  // by cuBLASLt's first-ranked algorithm for each shape (ForwardOptions::lt_gemms,
  // cuda_seed_gemm.h) instead of cuBLAS's pick behind LibTorch's bmm: +3.5 to +3.9% on the
  // H200 (docs/performance.md, session 24). On by default since the GPU suites passed with
  // it three times over, its resume tests included (session 25, on an H100); false: bmm.
  bool lt_gemms = true;
  // Each layer's weight gradient from a transposed copy of its input: x^T @ dy as it stands
  // is an "nt" product, for which cuBLAS runs sm80 kernels on Hopper (its sm90 TF32
  // tensor-core kernels cannot take it); from x transposed it is "nn", which they take. In
  // padded and packed graph steps with lt_gemms, the copy made on the side stream
  // (ForwardOptions::lt_transposed_weight_grads); in ragged steps, x's padded view copied
  // transposed before LibTorch's bmm (RaggedForwardOptions::transposed_weight_grads). Off:
  // on an H100 the "nn" products were 20% faster but the copies cost more than they saved,
  // and the step was 8.8% slower (QF 6 layers; Dyck 11.7%; docs/performance.md, session 27).
  bool lt_transposed_weight_grads = false;
  // Graph steps with own_optimizer_kernels, lt_gemms and side_stream_weight_grads, on Hopper
  // (compute capability 9.0; elsewhere cuBLASLt's products and the norm's full pass, as with
  // false): the layers' weight gradients by our wgmma kernel (cuda_wgmma_weight_grad_kernel.h),
  // which also writes each gradient's tile sums of squares, so the gradient norm's pass after
  // backward reads only the other gradients (cuda_weight_grad_sums.h), and the feed-forward's
  // bias gradients from the stages it holds (session 30: +0.6% at QF 6 layers). On by default
  // since its GPU suites passed and the step was 4.1-4.6% faster on an H100 (QF 2 / 6 / 10
  // layers; docs/performance.md, session 29).
  bool wgmma_weight_grads = true;
  // Graph steps with fused_layer_norm, packed rows attending per line (QF's): each residual's
  // gradient of its input handed past autograd's add kernel (ForwardOptions::
  // relay_residual_grads, residual_grad_relay.h) to the residual that wrote that input, whose
  // backward kernels add it as they read; with relay_into_linears, to the linear that also
  // reads the input (W_qkv, W1), which adds it in its input gradient's product's epilogue.
  // The same bits as autograd's add; QF 6 layers +1.1% on an H100 and +2.5% on the H200, into
  // the linears +0.5% (the epilogue's read of it is slow; docs/performance.md, session 30).
  bool relay_residual_grads = true;
  bool relay_into_linears = false;
  // Padded and packed graph steps: the batch's tensors, the step number and the learning rate
  // as views into one device buffer, so each step's inputs are one host-to-device copy
  // rather than six copies and two fills between replays (each a gap on the device).
  bool one_copy_inputs = true;
  // On CUDA with the pack-level dropout stream (graph steps and the eager steps beside them):
  // the feed-forward's ReLU + dropout as one kernel of ours each way
  // (ForwardOptions::fused_relu_dropout); LibTorch's relu and torch::dropout otherwise.
  bool fused_relu_dropout = true;
  // Graph mode with fused_layer_norm: the dropout on each residual branch inside our residual
  // + LayerNorm kernels (ForwardOptions::fused_residual_dropout); torch::dropout before them
  // otherwise.
  bool fused_residual_dropout = true;
  // Each seed its own positions (ragged_batch.h): when > 0, every step lays each seed's lines
  // back to back in a segment of its own, in whole chunks of this many positions (a multiple
  // of 8; kRaggedChunk), instead of padding every seed to the pack's largest; each linear
  // runs per chunk with its seed's weights (ragged_table_ops.h: on CUDA one batched GEMM over
  // the chunks with a pointer to each chunk's seed's weights). The same loss and gradients as
  // the padded step. Dropout then comes from the pack-level stream on every device (the CPU
  // too), as graph steps draw it. With CUDA graphs, one graph per (chunks, chunks of the largest seed), each
  // rounded up to a multiple of its granule below (Dyck: 16 and 8 leave 20 shapes, 8 of them
  // 98% of the steps, by simulation: docs/performance.md, "Ragged steps"); other steps step
  // eagerly. Not with bf16. 0: off.
  int64_t ragged_chunk = 0;
  int64_t ragged_chunks_granule = kRaggedChunksGranule;
  int64_t ragged_seed_chunks_granule = kRaggedSeedChunksGranule;
  // The seeds' padded views the weight gradients read, on CUDA by our kernel (one write of
  // each slot: cuda_padded_rows.h); false: LibTorch's zeros and index_copy_.
  bool ragged_own_padded_views = true;
  // The weight and bias gradients over each seed's own rows by our kernels where they serve
  // (CUDA, TF32: cuda_seed_weight_grad.h), no padded views; false: always the views. Off by
  // default: as fast as the views on the H200 in session 18 (944 against 955 model-steps/s
  // for Dyck, docs/performance.md), not faster.
  bool ragged_own_weight_grads = false;
  // Graph mode: each padded or packed step captured on a high-priority stream, so its chain
  // of kernels (the forward, the input gradients) is scheduled before the side stream's weight
  // gradients when both have blocks ready (GraphStepOptions::high_priority_chain); the same
  // kernels and bits. On by default: QF +1.1% at 6 layers on an H100 and on the H200.
  bool high_priority_chain = true;
  // The same for ragged steps; off by default: Dyck 1% slower with it on the H200 (its side
  // stream's weight gradients bound the step, docs/performance.md).
  bool ragged_high_priority_chain = false;
  // Graph mode, padded and packed steps: the AdamW of the layers' weights beside the next
  // step's forward (GraphStepOptions::update_beside_forward); the same bits. model(),
  // optimizer() and the state calls apply a pending update first. On by default: QF +1.8% at
  // 6 layers, +2.3% at 10, +0.4% at 2 on an H100 (session 34, docs/performance.md).
  bool update_beside_forward = true;
  // The priority of that update's stream (update_priority.h). Below the chain's by default:
  // at the chain's or above it, AdamW reached 96% of the copy bandwidth instead of 74% but the
  // forward's kernels waited for it and the step was 2.9% slower (QF 6 layers, H100; session
  // 35, docs/performance.md).
  UpdatePriority update_priority = UpdatePriority::kBelowChain;
};

class GraphStepper;
class StatePayloadReader;
class StatePayloadWriter;

// Not thread-safe. `train` must outlive the trainer.
class PackTrainer {
 public:
  PackTrainer(const PackTrainerOptions& options, const std::vector<TokenIds>* train);

  // One update of every seed. Returns the per-seed training loss [S] of this step's batch
  // (before the update; detached, on the device).
  torch::Tensor Step();

  ~PackTrainer();

  int64_t step() const { return step_; }  // updates done
  // Steps taken by captured graphs and by the eager step since construction, and the number
  // of graphs captured (0 without CUDA graphs).
  int64_t graph_steps() const { return graph_steps_; }
  int64_t eager_steps() const { return eager_steps_; }
  int num_graphs() const;
  // (rows, row length) of each captured graph in capture order (none without CUDA graphs): which
  // layout the graph steps took (one row per seed: rows 1).
  std::vector<std::pair<int64_t, int64_t>> graph_shapes() const;
  // Positions the steps since construction computed (S x rows x row length of each step's
  // batch, padding included) and the real ones among them (each line's tokens and its SOS):
  // how much of a step's work its padding takes (sg-bench prints both per step).
  int64_t computed_positions() const { return computed_positions_; }
  int64_t real_positions() const { return real_positions_; }
  double last_lr() const { return last_lr_; }
  // Both apply the last step's deferred update first, if any (update_beside_forward), so
  // what they give is the state after step().
  PackModel& model();
  PackAdamW& optimizer();
  // True while the last graph step's update waits for the next step (update_beside_forward).
  bool update_pending() const;
  const PackTrainerOptions& options() const { return options_; }

  // Mean training loss and mean pre-clip gradient norm per seed over the steps since the last
  // call (reads the device), then resets the accumulators. steps == 0: nothing to report.
  struct Stats {
    std::vector<double> loss, grad_norm;
    int64_t steps = 0;
  };
  Stats TakeStats();

  // Everything needed to continue bit-exactly: weights, AdamW moments, step, each seed's data
  // position, the dropout generator and the stats accumulators. LoadState checks that the
  // payload is of this pack (shape and seeds); kFailedPrecondition otherwise, kDataLoss if
  // the payload cannot be parsed.
  std::string SaveState();  // these four flush a deferred update first, as model() does
  absl::Status LoadState(const std::string& payload);

  // One seed's share of the state (its weights and moments, step, data position, dropout
  // stream and accumulators): a per-seed checkpoint. LoadSeedState(s, ...) puts it into
  // slot s; the payload must be of the same model shape and of seed options().seeds[s]
  // (kFailedPrecondition otherwise; kDataLoss if unparseable). It sets the pack's step, so
  // the caller loads every seed from the same step.
  std::string SaveSeedState(int64_t s);
  absl::Status LoadSeedState(int64_t s, const std::string& payload);

  // A checkpoint payload (pack or per-seed, as SaveState/SaveSeedState write it) reduced to its
  // meta, seed(s), step and weights: what an analysis checkpoint keeps
  // (trainer/api/checkpoint_file.h, ThinAnalysisCheckpoints). kDataLoss if unparseable.
  static absl::StatusOr<std::string> WeightsOnlyPayload(const std::string& payload);

  // SaveState's and SaveSeedState's payloads, staged: the weights and moments already copied
  // off the device into host memory the writer owns (StatePayloadWriter::Stage), so training
  // may go on while another thread calls Finish (the bytes SaveState would return) or Pieces
  // (the same bytes, to write without a copy).
  // What sg-train's checkpoints wait for: a copy at the bus's speed, not the whole payload.
  std::unique_ptr<StatePayloadWriter> StageState();
  std::unique_ptr<StatePayloadWriter> StageSeedState(int64_t s);

  // Puts the weights of seed options().seeds[s] from any checkpoint payload (pack or per-seed,
  // full or weights-only) into slot s and sets the pack's step to the payload's; the optimizer,
  // data order and dropout streams are left as they are, so this serves analyses, never
  // resume. kNotFound when the payload does not hold that seed, kFailedPrecondition for another
  // model shape, kDataLoss if unparseable.
  absl::Status LoadSeedWeights(int64_t s, const std::string& payload);

 private:
  // A payload's meta: format, seeds, row length, then the model's shape. Of `format` 3 (read
  // only: checkpoint_upgrade.h) or kStateFormat.
  std::vector<int64_t> Meta(int64_t num_seeds, int64_t format) const;
  // Applies a deferred update the graph stepper holds (update_beside_forward), if any.
  void FlushPendingUpdate();
  torch::Tensor EagerStep(const std::vector<std::vector<const TokenIds*>>& lines);
  // The eager step in the ragged layout (options_.ragged_chunk).
  torch::Tensor RaggedStep(const std::vector<std::vector<const TokenIds*>>& lines);
  // Per-seed clip, AdamW and the accumulators after a step's backward; returns `loss` detached.
  torch::Tensor UpdateAfterBackward(const torch::Tensor& loss);
  // Whether an eager step whose usual rows are `usual_row_len` long lays its lines out one row
  // per seed (options_.one_row_per_seed, TrainStepUsesOneRow).
  bool OneRowLayout(int64_t usual_row_len) const;
  // The fields of seeds [begin, end) that both checkpoint kinds hold (order, step, weights,
  // moments, accumulators, dropout streams); one_seed: without the seed dimension (per-seed
  // files). ReadSeeds also restores the step counters and zeroes those seeds' gradients, and
  // reads a payload of `format` 3 into today's layout.
  void WriteSeeds(StatePayloadWriter& out, int64_t begin, int64_t end, bool one_seed);
  // Everything SaveState / SaveSeedState(s) write, into `out` (not finished).
  void WriteState(StatePayloadWriter& out);
  void WriteSeedState(StatePayloadWriter& out, int64_t s);
  void ReadSeeds(StatePayloadReader& in, int64_t begin, int64_t end, bool one_seed,
                 int64_t format);
  // Sets the step counters read from a checkpoint and the lr of the last update they imply.
  void RestoreStep(int64_t step, int64_t acc_steps);

  PackTrainerOptions options_;
  const std::vector<TokenIds>* train_;
  std::unique_ptr<PackModel> model_;
  std::unique_ptr<PackAdamW> optimizer_;
  std::vector<DataOrder> orders_;
  std::unique_ptr<DropoutStreams> dropout_;
  int64_t step_ = 0;
  double last_lr_ = 0.0;
  torch::Tensor loss_acc_, grad_norm_acc_;  // [S] on device
  int64_t acc_steps_ = 0;
  bool grads_checked_ = false;
  std::unique_ptr<GraphStepper> graph_;  // null: eager steps only
  bool pack_dropout_ = false;            // the pack-level dropout stream (graph mode)
  int64_t graph_steps_ = 0, eager_steps_ = 0;
  int64_t computed_positions_ = 0, real_positions_ = 0;
};

}  // namespace sg

#endif  // SG_TRAINER_MODEL_PACK_TRAINER_H_
