// Residual + LayerNorm with per-seed affine parameters (cuda_seed_layer_norm.h). Torch-free.
#include "trainer/model/cuda_seed_layer_norm.h"

#include <cstdint>
#include <initializer_list>

#include "trainer/model/cuda_dropout_hash.cuh"

namespace sg {
namespace cuda_kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kRowsPerBlock = kThreads / 32;  // one warp per row

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

// V consecutive floats a load: 4 (one 16-byte load) where the width is a multiple of 128 and
// every row and affine row starts 16-byte aligned (VectorOk), else 1. A lane holds the
// columns V lane + 32 V k + e (chunk k, element e); its v[] keeps them in that order.
template <int V>
struct Floats;
template <>
struct Floats<1> {
  float f[1];
};
template <>
struct __align__(16) Floats<4> {
  float f[4];
};

template <int V>
__device__ __forceinline__ Floats<V> LoadFloats(const float* p) {
  return *reinterpret_cast<const Floats<V>*>(p);
}

template <int V>
__device__ __forceinline__ void StoreFloats(float* p, const Floats<V>& v) {
  *reinterpret_cast<Floats<V>*>(p) = v;
}

// The width a kernel is compiled for: W where W > 0 (its arrays sized to it, so fewer
// registers and more blocks an SM), else any that SeedLayerNormWidthOk takes.
template <int V, int W>
struct RowLayout {
  static constexpr int kChunks = (W > 0 ? W : static_cast<int>(kMaxSeedLayerNormWidth)) / (32 * V);
  static constexpr int kPerLane = kChunks * V;
  __device__ static int Chunks(int64_t width) {
    return W > 0 ? kChunks : static_cast<int>(width / (32 * V));
  }
};

// grid (ceil(seeds * rows / kRowsPerBlock)); chunk k of lane holds columns 32 V k + V lane + e.
template <int V, int W>
__global__ void __launch_bounds__(kThreads)
    ForwardKernel(const float* x, const float* r, const float* gamma, const float* beta,
                  SeedLayerNormShape shape, float* z, float* y, float* mean, float* rstd,
                  DropoutArgs drop) {
  using Layout = RowLayout<V, W>;
  constexpr int kChunks = Layout::kChunks;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
  if (row >= SeedLayerNormTotalRows(shape)) return;  // the whole warp
  const int lane = threadIdx.x % 32;
  const int chunks = Layout::Chunks(shape.width);
  const int64_t at = row * shape.width;
  const int64_t s = SeedOfRow(shape, row);
  const float* g = gamma + s * shape.affine_seed_stride;
  const float* b = beta + s * shape.affine_seed_stride;
  const float inv_width = 1.f / static_cast<float>(shape.width);
  const uint64_t base = drop.on ? DropoutBase(drop.key) : 0;
  float v[Layout::kPerLane];
  float sum = 0.f;
#pragma unroll
  for (int k = 0; k < kChunks; ++k) {
    if (k < chunks) {
      const int64_t j0 = at + (k * 32 + lane) * V;
      const Floats<V> xs = LoadFloats<V>(x + j0), rs = LoadFloats<V>(r + j0);
      Floats<V> zs;
#pragma unroll
      for (int e = 0; e < V; ++e) {
        float t;
        if (drop.on) {
          const bool keep = DropoutKeeps(base, static_cast<uint64_t>(j0 + e), drop.threshold);
          t = xs.f[e] + (keep ? rs.f[e] * drop.inv_keep : 0.f);
        } else {
          t = xs.f[e] + rs.f[e];
        }
        v[k * V + e] = t;
        zs.f[e] = t;
        sum += t;
      }
      StoreFloats<V>(z + j0, zs);
    }
  }
  const float mu = WarpSum(sum) * inv_width;
  float sq = 0.f;
#pragma unroll
  for (int k = 0; k < kChunks; ++k) {
    if (k < chunks) {
#pragma unroll
      for (int e = 0; e < V; ++e) {
        const float d = v[k * V + e] - mu;
        sq += d * d;
      }
    }
  }
  const float rs = rsqrtf(WarpSum(sq) * inv_width + shape.eps);
#pragma unroll
  for (int k = 0; k < kChunks; ++k) {
    if (k < chunks) {
      const int c0 = (k * 32 + lane) * V;
      const Floats<V> gs = LoadFloats<V>(g + c0), bs = LoadFloats<V>(b + c0);
      Floats<V> ys;
#pragma unroll
      for (int e = 0; e < V; ++e) ys.f[e] = (v[k * V + e] - mu) * rs * gs.f[e] + bs.f[e];
      StoreFloats<V>(y + at + c0, ys);
    }
  }
  if (lane == 0) {
    mean[row] = mu;
    rstd[row] = rs;
  }
}

// grid (ceil(seeds * rows / kRowsPerBlock)): dz = rstd (g dy - mean(g dy) - xhat mean(g dy xhat));
// the lanes' columns as ForwardKernel's.
template <int V, int W>
__global__ void __launch_bounds__(kThreads)
    BackwardRowsKernel(const float* dy, const float* z, const float* mean, const float* rstd,
                       const float* gamma, SeedLayerNormShape shape, float* dz,
                       DropoutArgs drop, float* dr, const float* dy2) {
  using Layout = RowLayout<V, W>;
  constexpr int kChunks = Layout::kChunks;
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32;
  if (row >= SeedLayerNormTotalRows(shape)) return;
  const int lane = threadIdx.x % 32;
  const int chunks = Layout::Chunks(shape.width);
  const int64_t at = row * shape.width;
  const float* g = gamma + SeedOfRow(shape, row) * shape.affine_seed_stride;
  const float mu = mean[row], rs = rstd[row];
  const float inv_width = 1.f / static_cast<float>(shape.width);
  float xhat[Layout::kPerLane], gdy[Layout::kPerLane];
  float c1 = 0.f, c2 = 0.f;
#pragma unroll
  for (int k = 0; k < kChunks; ++k) {
    if (k < chunks) {
      const int c0 = (k * 32 + lane) * V;
      const Floats<V> zs = LoadFloats<V>(z + at + c0), gs = LoadFloats<V>(g + c0);
      Floats<V> ds = LoadFloats<V>(dy + at + c0);
      if (dy2 != nullptr) {  // one rounding of the same sum as autograd's add
        const Floats<V> d2 = LoadFloats<V>(dy2 + at + c0);
#pragma unroll
        for (int e = 0; e < V; ++e) ds.f[e] += d2.f[e];
      }
#pragma unroll
      for (int e = 0; e < V; ++e) {
        const int i = k * V + e;
        xhat[i] = (zs.f[e] - mu) * rs;
        gdy[i] = ds.f[e] * gs.f[e];
        c1 += gdy[i];
        c2 += gdy[i] * xhat[i];
      }
    }
  }
  c1 = WarpSum(c1) * inv_width;
  c2 = WarpSum(c2) * inv_width;
  const uint64_t base = drop.on ? DropoutBase(drop.key) : 0;
#pragma unroll
  for (int k = 0; k < kChunks; ++k) {
    if (k < chunks) {
      const int64_t j0 = at + (k * 32 + lane) * V;
      Floats<V> dzs, drs;
#pragma unroll
      for (int e = 0; e < V; ++e) {
        const int i = k * V + e;
        const float d = rs * (gdy[i] - c1 - xhat[i] * c2);
        dzs.f[e] = d;
        if (drop.on) {
          const bool keep = DropoutKeeps(base, static_cast<uint64_t>(j0 + e), drop.threshold);
          drs.f[e] = keep ? d * drop.inv_keep : 0.f;
        }
      }
      StoreFloats<V>(dz + j0, dzs);
      if (drop.on) StoreFloats<V>(dr + j0, drs);
    }
  }
}

// grid (width / 32, seeds), block (32 columns, 8 row groups): per seed and column, the sums over
// its rows of dy * xhat (dgamma) and dy (dbeta); each row group sums rows ty, ty + 8, ... of the
// seed's and the groups are added in order.
__global__ void __launch_bounds__(kThreads)
    BackwardAffineKernel(const float* dy, const float* z, const float* mean, const float* rstd,
                         SeedLayerNormShape shape, float* dgamma, float* dbeta,
                         const float* dy2) {
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
    const float d = dy2 != nullptr ? dy[j] + dy2[j] : dy[j];
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

// Whether the rows' kernels may load 16 bytes at a time: the width a multiple of 128 (4 floats
// a lane a chunk) and every pointer they read or write, and each seed's affine rows, 16-byte
// aligned. The activations' rows are then aligned too (width a multiple of 4).
bool VectorOk(const SeedLayerNormShape& shape, std::initializer_list<const void*> pointers) {
  if (shape.width % 128 != 0 || shape.affine_seed_stride % 4 != 0) return false;
  for (const void* p : pointers) {
    if (p != nullptr && reinterpret_cast<std::uintptr_t>(p) % 16 != 0) return false;
  }
  return true;
}

// The paper's model width, whose rows' kernels are compiled for it.
constexpr int kModelWidth = 512;

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
  const auto launch = [&](auto kernel) {
    kernel<<<RowBlocks(shape), kThreads, 0, stream>>>(x, r, gamma, beta, shape, z, y, mean, rstd,
                                                     ArgsOf(dropout));
  };
  if (!VectorOk(shape, {x, r, gamma, beta, z, y})) {
    launch(ForwardKernel<1, 0>);
  } else if (shape.width == kModelWidth) {
    launch(ForwardKernel<4, kModelWidth>);
  } else {
    launch(ForwardKernel<4, 0>);
  }
  return cudaGetLastError();
}

cudaError_t LaunchResidualLayerNormBackwardRows(const float* dy, const float* z,
                                                const float* mean, const float* rstd,
                                                const float* gamma,
                                                const SeedLayerNormShape& shape, float* dz,
                                                cudaStream_t stream,
                                                const ResidualDropout* dropout, float* dr,
                                                const float* dy2) {
  if (!ShapeOk(shape) || !DropoutOk(dropout) || ((dropout != nullptr) != (dr != nullptr))) {
    return cudaErrorInvalidValue;
  }
  const auto launch = [&](auto kernel) {
    kernel<<<RowBlocks(shape), kThreads, 0, stream>>>(dy, z, mean, rstd, gamma, shape, dz,
                                                     ArgsOf(dropout), dr, dy2);
  };
  if (!VectorOk(shape, {dy, z, gamma, dz, dr, dy2})) {
    launch(BackwardRowsKernel<1, 0>);
  } else if (shape.width == kModelWidth) {
    launch(BackwardRowsKernel<4, kModelWidth>);
  } else {
    launch(BackwardRowsKernel<4, 0>);
  }
  return cudaGetLastError();
}

cudaError_t LaunchResidualLayerNormBackwardAffine(const float* dy, const float* z,
                                                  const float* mean, const float* rstd,
                                                  const SeedLayerNormShape& shape, float* dgamma,
                                                  float* dbeta, cudaStream_t stream,
                                                  const float* dy2) {
  if (!ShapeOk(shape)) return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>(shape.width / 32), static_cast<unsigned>(shape.seeds));
  BackwardAffineKernel<<<grid, kThreads, 0, stream>>>(dy, z, mean, rstd, shape, dgamma, dbeta,
                                                      dy2);
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
