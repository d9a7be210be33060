// The operations of a ragged step (ragged_batch.h) that differ from the padded step's: each
// seed's rows are a segment of one token-major [N, ...] activation, so a seed's weights apply
// to its segment instead of to its slice of an [S, N/S, ...] batch. These are the reference
// forms in LibTorch's ops, a loop over the seeds (S small); they run on any device, and the
// tests hold faster forms to them. Trainer-internal (LibTorch).
#ifndef SG_TRAINER_MODEL_RAGGED_LAYERS_H_
#define SG_TRAINER_MODEL_RAGGED_LAYERS_H_

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace sg {

// seed_begin: S+1 row offsets (RaggedBatch::seed_begin), seed s's rows [seed_begin[s],
// seed_begin[s+1]), the last entry x's rows.

// x [N, in] by seed s's wt[s] ([S, in, out], the stored transposed weight) on its rows, plus
// bias[s] ([S, out]; undefined: none). Returns [N, out].
torch::Tensor SegmentLinear(const torch::Tensor& x, const torch::Tensor& wt,
                            const torch::Tensor& bias, const std::vector<int64_t>& seed_begin);

// LayerNorm(x + r) over the last dim (eps 1e-5, as the padded step's) with seed s's affine
// g[s], b[s] ([S, d]) on its rows. x, r [N, d].
torch::Tensor SegmentResidualLayerNorm(const torch::Tensor& x, const torch::Tensor& r,
                                       const torch::Tensor& g, const torch::Tensor& b,
                                       const std::vector<int64_t>& seed_begin);

// Attention inside lines: q, k, v [N, H, dh]; query i attends to keys line_start[i] .. i
// (line_start [N] int64, RaggedBatch::line_start), scores scaled by `scale`, dropout on the
// probabilities with probability `dropout` (torch::dropout: the device's default generator).
// Per seed segment with a mask (lines never cross segments). Returns [N, H*dh].
torch::Tensor SegmentLineAttention(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, const torch::Tensor& line_start,
                                   const std::vector<int64_t>& seed_begin, double scale,
                                   double dropout);

// The sum of v [N] over each seed's rows: [S].
torch::Tensor SegmentSums(const torch::Tensor& v, const std::vector<int64_t>& seed_begin);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_RAGGED_LAYERS_H_
