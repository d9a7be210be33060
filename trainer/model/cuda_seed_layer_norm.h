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

namespace sg {
namespace cuda_kernels {

struct SeedLayerNormShape {
  int64_t seeds = 0;
  int64_t rows = 0;                // rows per seed
  int64_t width = 0;               // a multiple of 32, at most kMaxSeedLayerNormWidth
  int64_t affine_seed_stride = 0;  // gamma/beta of seed s start at gamma + s * stride
  float eps = 1e-5f;
};

constexpr int64_t kMaxSeedLayerNormWidth = 1024;

// Widths the kernels take.
inline bool SeedLayerNormWidthOk(int64_t width) {
  return width > 0 && width % 32 == 0 && width <= kMaxSeedLayerNormWidth;
}

// x, r, z, y: [seeds, rows, width] contiguous; mean, rstd: [seeds * rows]. Writes z = x + r
// (what backward reads), y, and each row's mean and 1 / sqrt(var + eps) (biased variance, as
// LayerNorm's).
cudaError_t LaunchResidualLayerNormForward(const float* x, const float* r, const float* gamma,
                                           const float* beta, const SeedLayerNormShape& shape,
                                           float* z, float* y, float* mean, float* rstd,
                                           cudaStream_t stream);

// dy, z, dz: [seeds, rows, width] contiguous; dgamma, dbeta: [seeds, width] contiguous. dz is
// the gradient of both x and r.
cudaError_t LaunchResidualLayerNormBackward(const float* dy, const float* z, const float* mean,
                                            const float* rstd, const float* gamma,
                                            const SeedLayerNormShape& shape, float* dz,
                                            float* dgamma, float* dbeta, cudaStream_t stream);

// Its two halves, for callers that put them on different streams: the input gradient dz, and
// the affine gradients, which read only dy, z, mean and rstd.
cudaError_t LaunchResidualLayerNormBackwardRows(const float* dy, const float* z,
                                                const float* mean, const float* rstd,
                                                const float* gamma,
                                                const SeedLayerNormShape& shape, float* dz,
                                                cudaStream_t stream);
cudaError_t LaunchResidualLayerNormBackwardAffine(const float* dy, const float* z,
                                                  const float* mean, const float* rstd,
                                                  const SeedLayerNormShape& shape, float* dgamma,
                                                  float* dbeta, cudaStream_t stream);

}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_SEED_LAYER_NORM_H_
