// Our own CUDA kernels for a layer's residual add + LayerNorm with per-seed affine parameters,
// forward and backward (docs/performance.md, "Our own kernels"): y = LN(x + r) * gamma[s] +
// beta[s] over the last dimension, for activations [seeds, rows, width]. One kernel forward
// where LibTorch runs an add, layer_norm and addcmul; two backward (rows, then the per-seed
// affine gradients) where it runs LayerNorm's backward, a multiply and two reductions.
//
// Torch-free (raw device pointers, sizes, a stream) so that cuda_seed_layer_norm.cu compiles
// with plain nvcc; cuda_fused_layers.h is the LibTorch side. Compiled only in the CUDA build.
// Fixed-order reductions, no atomics: results are the same bits on every run. Launches are
// capturable in a CUDA graph.
#ifndef SG_TRAINER_MODEL_CUDA_SEED_LAYER_NORM_H_
#define SG_TRAINER_MODEL_CUDA_SEED_LAYER_NORM_H_

#include <cuda_runtime_api.h>

#include <cstdint>

#include "trainer/model/cuda_dropout_key.h"

namespace sg {
namespace cuda_kernels {

// Dropout on the residual branch r before the add (the layer's drop(W_o a) and drop(FF)): z =
// x + keep(i) r / (1 - p), keep(i) a hash of the key and the element's index
// (cuda_dropout_hash.cuh) as in cuda_relu_dropout.h, so no mask is stored: the backward
// recomputes it. 0 < p < 1.
struct ResidualDropout {
  float p = 0.f;
  DropoutKey key;
};

struct SeedLayerNormShape {
  int64_t seeds = 0;
  int64_t rows = 0;                // rows per seed (ragged: all rows)
  int64_t width = 0;               // a multiple of 32, at most kMaxSeedLayerNormWidth
  int64_t affine_seed_stride = 0;  // gamma/beta of seed s start at gamma + s * stride
  float eps = 1e-5f;
  // Ragged rows (trainer/model/ragged_batch.h), both set or neither: the activations are
  // [rows, width], row i of seed row_seed[i] ([rows] int64 in device memory), seed s's rows
  // [seed_row_begin[s], seed_row_begin[s + 1]) ([seeds + 1] int64 in device memory, read by
  // the affine gradients' kernel). Device tables, so a captured graph serves any step of the
  // same row count.
  const int64_t* row_seed = nullptr;
  const int64_t* seed_row_begin = nullptr;
};

constexpr int64_t kMaxSeedLayerNormWidth = 1024;

// Widths the kernels take.
inline bool SeedLayerNormWidthOk(int64_t width) {
  return width > 0 && width % 32 == 0 && width <= kMaxSeedLayerNormWidth;
}

// The rows of all seeds: seeds x rows, or rows when ragged. The host's and the kernels'.
#ifdef __CUDACC__
__host__ __device__
#endif
inline int64_t SeedLayerNormTotalRows(const SeedLayerNormShape& shape) {
  return shape.row_seed != nullptr ? shape.rows : shape.seeds * shape.rows;
}

// x, r, z, y: [seeds, rows, width] contiguous (ragged: [rows, width]); mean, rstd: a float per
// row (SeedLayerNormTotalRows). Writes z = x + r
// (what backward reads), y, and each row's mean and 1 / sqrt(var + eps) (biased variance, as
// LayerNorm's). With `dropout`, r is dropped out first (ResidualDropout).
cudaError_t LaunchResidualLayerNormForward(const float* x, const float* r, const float* gamma,
                                           const float* beta, const SeedLayerNormShape& shape,
                                           float* z, float* y, float* mean, float* rstd,
                                           cudaStream_t stream,
                                           const ResidualDropout* dropout = nullptr);

// dy, z, dz: as the forward's x; dgamma, dbeta: [seeds, width] contiguous. dz is
// the gradient of both x and r.
cudaError_t LaunchResidualLayerNormBackward(const float* dy, const float* z, const float* mean,
                                            const float* rstd, const float* gamma,
                                            const SeedLayerNormShape& shape, float* dz,
                                            float* dgamma, float* dbeta, cudaStream_t stream);

// Its two halves, for callers that put them on different streams: the input gradient dz, and
// the affine gradients, which read only dy, z, mean and rstd. With the forward's `dropout`,
// the rows kernel also writes r's gradient dr (dz through the same mask; dz stays x's).
// dy2 (where not null, as dy): a second gradient of y, added to dy as each is read (y read by
// two nodes whose gradients autograd would otherwise add first; residual_grad_relay.h).
cudaError_t LaunchResidualLayerNormBackwardRows(const float* dy, const float* z,
                                                const float* mean, const float* rstd,
                                                const float* gamma,
                                                const SeedLayerNormShape& shape, float* dz,
                                                cudaStream_t stream,
                                                const ResidualDropout* dropout = nullptr,
                                                float* dr = nullptr, const float* dy2 = nullptr);
cudaError_t LaunchResidualLayerNormBackwardAffine(const float* dy, const float* z,
                                                  const float* mean, const float* rstd,
                                                  const SeedLayerNormShape& shape, float* dgamma,
                                                  float* dbeta, cudaStream_t stream,
                                                  const float* dy2 = nullptr);

}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_SEED_LAYER_NORM_H_
