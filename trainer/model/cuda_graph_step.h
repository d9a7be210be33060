// The whole training step of a pack as CUDA graphs (docs/performance.md). Trainer-internal
// (LibTorch, no CUDA headers: the implementation is compiled only against a CUDA LibTorch).
//
// One graph per padded-length bucket (graph_buckets.h), captured on first use: static device
// buffers for the batch, forward, per-seed loss, backward, per-seed global-norm clip, AdamW
// (ours or LibTorch's fused one, cuda_pack_optimizer.h; either reads the clip factor, so the
// clip costs no pass of its own), and the loss and grad-norm accumulators. Per replay the host only writes the batch into pinned
// memory, queues its copy and two scalar fills (step, lr), and launches the graph: no
// synchronisation. Gradients are the contiguous tensors backward produced during capture (one set
// per graph), never zeroed: each replay overwrites them.
#ifndef SG_TRAINER_MODEL_CUDA_GRAPH_STEP_H_
#define SG_TRAINER_MODEL_CUDA_GRAPH_STEP_H_

#include <torch/torch.h>

#include <memory>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sweep_spec.h"
#include "tasks/model_scorer.h"
#include "trainer/model/cuda_line_attention.h"
#include "trainer/model/pack_model.h"
#include "trainer/model/pack_optimizer.h"
#include "trainer/model/ragged_batch.h"
#include "trainer/model/update_priority.h"

namespace sg {

struct GraphStepOptions {
  TrainConfig config;
  int32_t sos_id = 0;
  int32_t eos_id = 0;
  bool bf16 = false;
  int max_graphs = 8;
  bool fused_attention = false;  // ForwardOptions::fused_attention
  // The clip and AdamW with our kernels (cuda_pack_optimizer.h: AdamW reads the clip factor
  // from the device and does not write the gradient back); false: LibTorch's multi-tensor
  // norm and fused AdamW. On by default, as in PackTrainerOptions, which passes its own on.
  bool own_optimizer_kernels = true;
  bool fused_layer_norm = true;  // ForwardOptions::fused_layer_norm
  // Packed rows (PackTrainerOptions::pack_lines): one graph per (rows, row length) shape that
  // PackedGraphFits (graph_buckets.h) instead of one per padded length.
  bool pack_lines = false;
  // With pack_lines: attention per line where PackTrainerOptions::line_attention says
  // (UsesLineAttention, pack_trainer.h).
  bool line_attention = true;
  bool own_line_attention = true;  // PackTrainerOptions::own_line_attention
  int64_t own_line_attention_from = kOwnLineAttentionFrom;  // PackTrainerOptions's
  // With pack_lines, in steps whose usual rows would attend per line (TrainStepUsesOneRow): one
  // row per seed (PackTrainerOptions::one_row_per_seed), one graph per row length that
  // OneRowGraphFits.
  bool one_row_per_seed = false;
  int64_t one_row_from = kOneRowFrom;          // PackTrainerOptions's
  int64_t one_row_granule = kOneRowGranule;    // PackTrainerOptions's
  bool side_stream_weight_grads = true;  // PackTrainerOptions::side_stream_weight_grads
  bool lt_gemms = true;                  // PackTrainerOptions::lt_gemms
  bool lt_transposed_weight_grads = false;  // PackTrainerOptions::lt_transposed_weight_grads
  bool wgmma_weight_grads = true;           // PackTrainerOptions::wgmma_weight_grads
  bool relay_residual_grads = true;         // PackTrainerOptions::relay_residual_grads
  bool one_copy_inputs = true;              // PackTrainerOptions::one_copy_inputs
  bool relay_into_linears = false;          // PackTrainerOptions::relay_into_linears
  bool fused_relu_dropout = true;        // PackTrainerOptions::fused_relu_dropout
  bool fused_residual_dropout = true;    // PackTrainerOptions::fused_residual_dropout
  // The ragged layout (PackTrainerOptions::ragged_chunk, ragged_batch.h) when > 0: one graph
  // per (chunks, chunks of the largest seed), each rounded up to a multiple of its granule
  // (PackTrainerOptions's), with attention per line by our kernels; steps whose largest seed
  // passes batch_size x kMaxGraphLength positions, or past max_graphs, are refused (eager).
  int64_t ragged_chunk = 0;
  int64_t ragged_chunks_granule = kRaggedChunksGranule;
  int64_t ragged_seed_chunks_granule = kRaggedSeedChunksGranule;
  bool ragged_own_padded_views = true;  // PackTrainerOptions::ragged_own_padded_views
  bool ragged_own_weight_grads = false;  // PackTrainerOptions::ragged_own_weight_grads
  // The step captured on a high-priority stream (PackTrainerOptions::high_priority_chain,
  // ragged_high_priority_chain for ragged steps): its kernel nodes then go before the side
  // stream's (the weight gradients, lowest priority) when both are ready.
  bool high_priority_chain = true;
  bool ragged_high_priority_chain = false;
  // Padded and packed steps with our optimizer kernels and one_copy_inputs (not ragged ones):
  // the AdamW of the weights whose gradients the side stream's linears write (the layers'
  // linears and an untied output layer, nearly all of the parameters) runs at the start of
  // the next replay, on a stream of its own beside that step's forward, layer by layer in the
  // order the forward reads them, each layer's forward waiting for its own; the backward waits
  // for all of it. Those gradients go into a buffer of the stepper's, outside the graphs' pool
  // (grad_destination.h), so the next forward cannot overwrite them while the update reads
  // them. The other parameters' update stays at the step's end. The same arithmetic on the
  // same values as the update at the step's end, so the same bits; until FlushPendingUpdate
  // the weights and moments lack the last graph step's deferred part. On by default, as in
  // PackTrainerOptions, which passes its own.
  bool update_beside_forward = true;
  // Its stream's priority against the chain's (update_priority.h; PackTrainerOptions's).
  UpdatePriority update_priority = UpdatePriority::kBelowChain;
};

// What the step reads and updates; owned by the PackTrainer, which outlives the stepper.
struct GraphStepState {
  PackModel* model;
  PackAdamW* optimizer;
  torch::Tensor* loss_acc;       // [S] float64, += the step's loss
  torch::Tensor* grad_norm_acc;  // [S] float64, += the pre-clip gradient norm
};

// Not thread-safe.
class GraphStepper {
 public:
  virtual ~GraphStepper() = default;
  // Trains update `update` (1-based; lr its learning rate) on these lines, per seed, if a graph
  // serves their padded length (packed shape with pack_lines), capturing one on first use.
  // False (nothing done): the caller runs the eager step (a batch longer than kMaxGraphLength,
  // a packed shape that PackedGraphFits refuses, or max_graphs reached).
  virtual bool TryStep(const std::vector<std::vector<const TokenIds*>>& lines, int64_t update,
                       double lr) = 0;
  // The per-seed loss [S] of the last replay (a static buffer: the next step overwrites it).
  virtual torch::Tensor last_loss() const = 0;
  virtual int num_graphs() const = 0;
  // (rows, row length) of each captured graph, in capture order (padded: rows = batch_size;
  // ragged: chunks and the chunk's positions).
  virtual std::vector<std::pair<int64_t, int64_t>> graph_shapes() const = 0;
  // (rows, row length) of the last step TryStep took.
  virtual std::pair<int64_t, int64_t> last_shape() const = 0;
  // Applies the last graph step's deferred update now, if one is pending
  // (update_beside_forward): before anything else reads or writes the weights or the moments.
  // TryStep does so itself before it captures or returns false.
  virtual void FlushPendingUpdate() = 0;
  // True while a deferred update is pending (between a graph step and the flush).
  virtual bool update_pending() const = 0;
};

// kUnimplemented where this build's LibTorch has no CUDA (the CPU build) or lacks the fused
// AdamW with a tensor learning rate (LibTorch < 2.4); the trainer then steps eagerly.
absl::StatusOr<std::unique_ptr<GraphStepper>> MakeGraphStepper(const GraphStepOptions& options,
                                                               const GraphStepState& state);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_GRAPH_STEP_H_
