// The ragged step's per-seed operations driven by device tables (RaggedBatch::chunk_seed,
// row_seed, padded_slot) instead of host offsets: fixed shapes for a given (chunks, seed_slots),
// so a CUDA graph can capture them and replay them for any step of that size, and no atomics,
// so a step gives the same bits every time (the bit-exact resume). ragged_layers.h holds the
// host-offset forms the tests compare with. Trainer-internal (LibTorch).
//
// A linear is a product per chunk with its seed's weights (a batched GEMM over chunks with a
// pointer to each chunk's weights on CUDA, cuda_chunk_gemm.h; LibTorch's bmm over gathered
// weights elsewhere), and its input gradient the same; its weight gradient reads the seeds'
// padded view (padded_slot) as one bmm over seeds: a seed's rows sum into one gradient, and a
// product per chunk would write a weight-sized partial per chunk. With the batch's
// seed_own_offsets (RaggedLayout::own_offsets, off by default), on CUDA with TF32 where the
// widths allow, our kernel reads each seed's own rows in place instead
// (cuda_seed_weight_grad.h): no views, and no products of their padding.
#ifndef SG_TRAINER_MODEL_RAGGED_TABLE_OPS_H_
#define SG_TRAINER_MODEL_RAGGED_TABLE_OPS_H_

#include <torch/torch.h>

#include <cstdint>

#include "trainer/model/ragged_batch.h"

namespace sg {

// The rows past the seeds' own chunks (RaggedLayout::chunks' rounding) count for no seed in
// the weight and affine gradients and the per-seed sums: they are padding, whose gradients
// are zero (each such position is a line of its own without a target), as the model's are.
struct RaggedTables {
  torch::Tensor chunk_seed;  // [chunks] int64
  torch::Tensor row_seed;    // [N] int64
  torch::Tensor padded_slot;  // [N] int64: each row's slot in the seeds' padded view
  torch::Tensor slot_row;     // [S * seed_slots] int64: each slot's row, -1: zeros
  torch::Tensor seed_own_offsets;  // [S+1] int64: each seed's own rows (undefined: the views)
  int64_t chunk = 0, seeds = 0, seed_slots = 0, padded_rows = 0;

  static RaggedTables Of(const RaggedBatch& batch);
};

// x [N, F] (or [N]) as the seeds' padded view [S, seed_slots, F] ([S, seed_slots]), zeros
// past each seed's rows: on CUDA written once by our kernel (cuda_padded_rows.h), elsewhere
// zeros and then each row copied to its slot. Not differentiable (the functions below use it
// in their backward).
torch::Tensor SeedPaddedView(const torch::Tensor& x, const RaggedTables& t);

// x [N, in] @ wt[seed of the row] ([S, in, out]) + bias[seed of the row] ([S, out];
// undefined: none): [N, out], differentiable in x, wt and bias. side_stream (CUDA only): the
// weight and bias gradients on the device's side stream (cuda_side_stream_linear.h: the caller
// joins it before reading them, and wt and bias are used once in the graph).
// transposed_weight_grads: where the weight gradient is the bmm over the padded views, x's
// view is first made contiguous transposed ([S, in, seed_slots]), so the product reads both
// operands along the summed rows ("nn" in cuBLAS's terms, which Hopper's TF32 tensor-core
// kernels take; the view as it stands makes it "nt", which they cannot: cuBLAS runs sm80
// kernels). The same sums, another kernel (PackTrainerOptions::lt_transposed_weight_grads).
torch::Tensor ChunkLinear(const torch::Tensor& x, const torch::Tensor& wt,
                          const torch::Tensor& bias, const RaggedTables& t,
                          bool side_stream = false, bool transposed_weight_grads = false);

// n [N, d] * g[seed of the row] + b[seed of the row] (g, b [S, d]): a LayerNorm's per-seed
// affine, differentiable in n, g and b.
torch::Tensor SeedAffine(const torch::Tensor& n, const torch::Tensor& g, const torch::Tensor& b,
                         const RaggedTables& t);

// v [N] summed over each seed's rows: [S], differentiable.
torch::Tensor SeedRowSums(const torch::Tensor& v, const RaggedTables& t);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_RAGGED_TABLE_OPS_H_
