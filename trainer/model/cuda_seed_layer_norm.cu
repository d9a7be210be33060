// Residual + LayerNorm with per-seed affine parameters (cuda_seed_layer_norm.h). Torch-free.
#include "trainer/model/cuda_seed_layer_norm.h"

#include <cstdint>

#include "trainer/model/cuda_dropout_hash.cuh"

namespace sg {
namespace cuda_kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kRowsPerBlock = kThreads / 32;  // one warp per row
constexpr int kMaxPerLane = static_cast<int>(kMaxSeedLayerNormWidth / 32);

// The seed whose affine row `row` takes.
__device__ __forceinline__ int64_t SeedOfRow(const SeedLayerNormShape& shape, int64_t row) {
  return shape.row_seed != nullptr ? shape.row_seed[row] : row / shape.rows;
}

__device__ __forceinline__ float WarpSum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// What the kernels know of a ResidualDropout: whether there is one, its hash base (read from
// the key inside the kernel: a captured key's slots are read at replay), threshold and scale.
struct DropoutArgs {
  bool on = false;
  DropoutKey key;
  uint32_t threshold = 0;
  float inv_keep = 1.f;
};

DropoutArgs ArgsOf(const ResidualDropout* d) {
  DropoutArgs a;
  if (d == nullptr) return a;
  a.on = true;
  a.key = d->key;
  a.threshold = DropoutThreshold(d->p);
  a.inv_keep = 1.f / (1.f - d->p);
  return a;
}

// grid (ceil(seeds * rows / kRowsPerBlock)); lane holds elements lane, lane + 32, ...
__global__ void __launch_bounds__(kThreads)
    ForwardKernel(const float* x, const float* r, const float* gamma, const float* beta,
                  SeedLayerNormShape shape, float* z, float* y, float* mean, float* rstd,
                  DropoutArgs drop) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
  if (row >= SeedLayerNormTotalRows(shape)) return;  // the whole warp
  const int lane = threadIdx.x % 32;
  const int per_lane = static_cast<int>(shape.width / 32);
  const int64_t at = row * shape.width;
  const int64_t s = SeedOfRow(shape, row);
  const float* g = gamma + s * shape.affine_seed_stride;
  const float* b = beta + s * shape.affine_seed_stride;
  const float inv_width = 1.f / static_cast<float>(shape.width);
  const uint64_t base = drop.on ? DropoutBase(drop.key) : 0;
  float v[kMaxPerLane];
  float sum = 0.f;
#pragma unroll
  for (int k = 0; k < kMaxPerLane; ++k) {
    if (k < per_lane) {
      const int64_t j = at + k * 32 + lane;
      if (drop.on) {
        const bool keep = DropoutKeeps(base, static_cast<uint64_t>(j), drop.threshold);
        v[k] = x[j] + (keep ? r[j] * drop.inv_keep : 0.f);
      } else {
        v[k] = x[j] + r[j];
      }
      z[j] = v[k];
      sum += v[k];
    }
  }
  const float mu = WarpSum(sum) * inv_width;
  float sq = 0.f;
#pragma unroll
  for (int k = 0; k < kMaxPerLane; ++k) {
    if (k < per_lane) {
      const float d = v[k] - mu;
      sq += d * d;
    }
  }
  const float rs = rsqrtf(WarpSum(sq) * inv_width + shape.eps);
#pragma unroll
  for (int k = 0; k < kMaxPerLane; ++k) {
    if (k < per_lane) {
      const int c = k * 32 + lane;
      y[at + c] = (v[k] - mu) * rs * g[c] + b[c];
    }
  }
  if (lane == 0) {
    mean[row] = mu;
    rstd[row] = rs;
  }
}

// grid (ceil(seeds * rows / kRowsPerBlock)): dz = rstd (g dy - mean(g dy) - xhat mean(g dy xhat)).
__global__ void __launch_bounds__(kThreads)
    BackwardRowsKernel(const float* dy, const float* z, const float* mean, const float* rstd,
                       const float* gamma, SeedLayerNormShape shape, float* dz,
                       DropoutArgs drop, float* dr) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
  if (row >= SeedLayerNormTotalRows(shape)) return;
  const int lane = threadIdx.x % 32;
  const int per_lane = static_cast<int>(shape.width / 32);
  const int64_t at = row * shape.width;
  const float* g = gamma + SeedOfRow(shape, row) * shape.affine_seed_stride;
  const float mu = mean[row], rs = rstd[row];
  const float inv_width = 1.f / static_cast<float>(shape.width);
  float xhat[kMaxPerLane], gdy[kMaxPerLane];
  float c1 = 0.f, c2 = 0.f;
#pragma unroll
  for (int k = 0; k < kMaxPerLane; ++k) {
    if (k < per_lane) {
      const int c = k * 32 + lane;
      xhat[k] = (z[at + c] - mu) * rs;
      gdy[k] = dy[at + c] * g[c];
      c1 += gdy[k];
      c2 += gdy[k] * xhat[k];
    }
  }
  c1 = WarpSum(c1) * inv_width;
  c2 = WarpSum(c2) * inv_width;
  const uint64_t base = drop.on ? DropoutBase(drop.key) : 0;
#pragma unroll
  for (int k = 0; k < kMaxPerLane; ++k) {
    if (k < per_lane) {
      const int64_t j = at + k * 32 + lane;
      const float d = rs * (gdy[k] - c1 - xhat[k] * c2);
      dz[j] = d;
      if (drop.on) {
        const bool keep = DropoutKeeps(base, static_cast<uint64_t>(j), drop.threshold);
        dr[j] = keep ? d * drop.inv_keep : 0.f;
      }
    }
  }
}

// grid (width / 32, seeds), block (32 columns, 8 row groups): per seed and column, the sums over
// its rows of dy * xhat (dgamma) and dy (dbeta); each row group sums rows ty, ty + 8, ... of the
// seed's and the groups are added in order.
__global__ void __launch_bounds__(kThreads)
    BackwardAffineKernel(const float* dy, const float* z, const float* mean, const float* rstd,
                         SeedLayerNormShape shape, float* dgamma, float* dbeta) {
  const int tx = threadIdx.x % 32, ty = threadIdx.x / 32;
  const int64_t col = static_cast<int64_t>(blockIdx.x) * 32 + tx;
  const int64_t s = blockIdx.y;
  const bool ragged = shape.seed_row_begin != nullptr;
  const int64_t first = ragged ? shape.seed_row_begin[s] : s * shape.rows;
  const int64_t rows = ragged ? shape.seed_row_begin[s + 1] - first : shape.rows;
  float ag = 0.f, ab = 0.f;
  for (int64_t n = ty; n < rows; n += kRowsPerBlock) {
    const int64_t row = first + n;
    const int64_t j = row * shape.width + col;
    const float d = dy[j];
    ag += d * (z[j] - mean[row]) * rstd[row];
    ab += d;
  }
  __shared__ float sg[kRowsPerBlock][32], sb[kRowsPerBlock][32];
  sg[ty][tx] = ag;
  sb[ty][tx] = ab;
  __syncthreads();
  if (ty == 0) {
    for (int k = 1; k < kRowsPerBlock; ++k) {
      ag += sg[k][tx];
      ab += sb[k][tx];
    }
    dgamma[s * shape.width + col] = ag;
    dbeta[s * shape.width + col] = ab;
  }
}

bool ShapeOk(const SeedLayerNormShape& shape) {
  return shape.seeds >= 1 && shape.seeds <= 65535 && shape.rows >= 1 &&
         SeedLayerNormWidthOk(shape.width) && shape.affine_seed_stride >= shape.width &&
         (shape.row_seed != nullptr) == (shape.seed_row_begin != nullptr);
}

bool DropoutOk(const ResidualDropout* d) { return d == nullptr || (d->p > 0.f && d->p < 1.f); }

unsigned RowBlocks(const SeedLayerNormShape& shape) {
  return static_cast<unsigned>((SeedLayerNormTotalRows(shape) + kRowsPerBlock - 1) /
                               kRowsPerBlock);
}

}  // namespace

cudaError_t LaunchResidualLayerNormForward(const float* x, const float* r, const float* gamma,
                                           const float* beta, const SeedLayerNormShape& shape,
                                           float* z, float* y, float* mean, float* rstd,
                                           cudaStream_t stream, const ResidualDropout* dropout) {
  if (!ShapeOk(shape) || !DropoutOk(dropout)) return cudaErrorInvalidValue;
  ForwardKernel<<<RowBlocks(shape), kThreads, 0, stream>>>(x, r, gamma, beta, shape, z, y, mean,
                                                          rstd, ArgsOf(dropout));
  return cudaGetLastError();
}

cudaError_t LaunchResidualLayerNormBackwardRows(const float* dy, const float* z,
                                                const float* mean, const float* rstd,
                                                const float* gamma,
                                                const SeedLayerNormShape& shape, float* dz,
                                                cudaStream_t stream,
                                                const ResidualDropout* dropout, float* dr) {
  if (!ShapeOk(shape) || !DropoutOk(dropout) || ((dropout != nullptr) != (dr != nullptr))) {
    return cudaErrorInvalidValue;
  }
  BackwardRowsKernel<<<RowBlocks(shape), kThreads, 0, stream>>>(dy, z, mean, rstd, gamma, shape,
                                                               dz, ArgsOf(dropout), dr);
  return cudaGetLastError();
}

cudaError_t LaunchResidualLayerNormBackwardAffine(const float* dy, const float* z,
                                                  const float* mean, const float* rstd,
                                                  const SeedLayerNormShape& shape, float* dgamma,
                                                  float* dbeta, cudaStream_t stream) {
  if (!ShapeOk(shape)) return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>(shape.width / 32), static_cast<unsigned>(shape.seeds));
  BackwardAffineKernel<<<grid, kThreads, 0, stream>>>(dy, z, mean, rstd, shape, dgamma, dbeta);
  return cudaGetLastError();
}

cudaError_t LaunchResidualLayerNormBackward(const float* dy, const float* z, const float* mean,
                                            const float* rstd, const float* gamma,
                                            const SeedLayerNormShape& shape, float* dz,
                                            float* dgamma, float* dbeta, cudaStream_t stream) {
  const cudaError_t err =
      LaunchResidualLayerNormBackwardRows(dy, z, mean, rstd, gamma, shape, dz, stream);
  if (err != cudaSuccess) return err;
  return LaunchResidualLayerNormBackwardAffine(dy, z, mean, rstd, shape, dgamma, dbeta, stream);
}

}  // namespace cuda_kernels
}  // namespace sg
