// The pack's model (pack_model.h) on a ragged batch (ragged_batch.h): the same layers, each
// seed's weights on its own segment of a token-major [N, d] activation. Forward, logits and
// the per-seed loss; what the padded step computes for the same lines, over each seed's own
// positions only. Trainer-internal (LibTorch).
#ifndef SG_TRAINER_MODEL_RAGGED_MODEL_H_
#define SG_TRAINER_MODEL_RAGGED_MODEL_H_

#include <torch/torch.h>

#include "trainer/model/pack_model.h"
#include "trainer/model/ragged_batch.h"

namespace sg {

struct RaggedForwardOptions {
  bool train = false;  // dropout on
  // Dropout from the device's default generator, one pack-level stream as the graph step's
  // (ForwardOptions::pack_dropout; SeedPackDropout reseeds it per update).
  double dropout = 0.0;
  // On CUDA: attention per line by our kernels (OwnLineAttention) over the batch's
  // line_seqstarts; the masked attention per seed segment (SegmentLineAttention) otherwise.
  bool own_line_attention = false;
  // The feed-forward's ReLU and its dropout as our kernel (FusedReluDropout) where it serves.
  bool fused_relu_dropout = false;
  // Each residual add + LayerNorm + per-seed affine as our kernels reading the batch's tables
  // (FusedRaggedResidualLayerNorm) where they serve; with fused_residual_dropout the dropout on
  // the residual branch inside them (a hash of a key from the device's generator).
  bool fused_layer_norm = false;
  bool fused_residual_dropout = false;
  // On CUDA: the layers' weight and bias gradients (and the fused LayerNorms' affine ones) on
  // the side stream (cuda_side_stream_linear.h); whoever runs backward joins it before reading
  // them.
  bool side_stream_weight_grads = false;
  // The layers' weight gradients over the padded views from x's view transposed first
  // (ChunkLinear's transposed_weight_grads; PackTrainerOptions::lt_transposed_weight_grads).
  bool transposed_weight_grads = false;
};

// The final hidden states [N, d] of the batch's positions.
torch::Tensor RaggedHidden(const PackModel& model, const PackParams& p, const RaggedBatch& batch,
                           const RaggedForwardOptions& options);

// hidden [N, d] -> logits [N, V+2], each seed's output layer on its segment.
torch::Tensor RaggedLogits(const PackParams& p, const torch::Tensor& hidden,
                           const RaggedBatch& batch);

// The token-level mean cross-entropy per seed (experiment.md §2.1), [S]: LossPerSeed's.
torch::Tensor RaggedLossPerSeed(const torch::Tensor& logits, const RaggedBatch& batch);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_RAGGED_MODEL_H_
