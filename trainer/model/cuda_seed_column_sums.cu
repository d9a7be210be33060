// Per-seed column sums (cuda_seed_column_sums.h). Torch-free.
#include "trainer/model/cuda_seed_column_sums.h"

namespace sg {
namespace cuda_kernels {
namespace {

constexpr int kWarps = 16;
constexpr int kThreads = kWarps * 32;
constexpr int kColumnsPerBlock = 32 * 4;  // a float4 per lane

// grid (column blocks, seeds). Warp w sums rows w, w + kWarps, ... of its block's columns;
// then thread t of the first warps adds the kWarps partial sums of column t in warp order.
// offsets (when not null): seed s's rows are [offsets[s], offsets[s+1]) of dy, else
// [s * rows, (s + 1) * rows).
__global__ void __launch_bounds__(kThreads)
    SeedColumnSumsKernel(const float* dy, const int64_t* offsets, int64_t rows, int64_t cols,
                         float* out, bool vec) {
  __shared__ float partial[kWarps][kColumnsPerBlock];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t s = blockIdx.y;
  const int64_t c0 = static_cast<int64_t>(blockIdx.x) * kColumnsPerBlock + lane * 4;
  const int64_t first = offsets != nullptr ? offsets[s] : s * rows;
  if (offsets != nullptr) rows = offsets[s + 1] - first;
  const float* base = dy + first * cols;
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  if (vec && c0 + 4 <= cols) {
#pragma unroll 4
    for (int64_t r = warp; r < rows; r += kWarps) {
      const float4 v = *reinterpret_cast<const float4*>(base + r * cols + c0);
      acc[0] += v.x;
      acc[1] += v.y;
      acc[2] += v.z;
      acc[3] += v.w;
    }
  } else {
    for (int64_t r = warp; r < rows; r += kWarps) {
      for (int j = 0; j < 4; ++j) {
        if (c0 + j < cols) acc[j] += base[r * cols + c0 + j];
      }
    }
  }
  for (int j = 0; j < 4; ++j) partial[warp][lane * 4 + j] = acc[j];
  __syncthreads();
  if (threadIdx.x >= kColumnsPerBlock) return;
  const int64_t c = static_cast<int64_t>(blockIdx.x) * kColumnsPerBlock + threadIdx.x;
  if (c >= cols) return;
  float sum = 0.f;
  for (int w = 0; w < kWarps; ++w) sum += partial[w][threadIdx.x];
  out[s * cols + c] = sum;
}

}  // namespace

cudaError_t LaunchSeedColumnSums(const float* dy, int64_t seeds, int64_t rows, int64_t cols,
                                 float* out, cudaStream_t stream) {
  if (seeds < 1 || seeds > 65535 || rows < 1 || cols < 1) return cudaErrorInvalidValue;
  const int64_t blocks = (cols + kColumnsPerBlock - 1) / kColumnsPerBlock;
  if (blocks > 0x7fffffff) return cudaErrorInvalidValue;
  // float4 loads need every row start 16-byte aligned.
  const bool vec = reinterpret_cast<uintptr_t>(dy) % 16 == 0 && cols % 4 == 0;
  const dim3 grid(static_cast<unsigned>(blocks), static_cast<unsigned>(seeds));
  SeedColumnSumsKernel<<<grid, kThreads, 0, stream>>>(dy, nullptr, rows, cols, out, vec);
  return cudaGetLastError();
}

cudaError_t LaunchSeedSegmentColumnSums(const float* dy, const int64_t* offsets, int64_t seeds,
                                        int64_t cols, float* out, cudaStream_t stream) {
  if (seeds < 1 || seeds > 65535 || cols < 1 || offsets == nullptr) return cudaErrorInvalidValue;
  const int64_t blocks = (cols + kColumnsPerBlock - 1) / kColumnsPerBlock;
  if (blocks > 0x7fffffff) return cudaErrorInvalidValue;
  // Every row start 16-byte aligned wherever a seed's rows begin.
  const bool vec = reinterpret_cast<uintptr_t>(dy) % 16 == 0 && cols % 4 == 0;
  const dim3 grid(static_cast<unsigned>(blocks), static_cast<unsigned>(seeds));
  SeedColumnSumsKernel<<<grid, kThreads, 0, stream>>>(dy, offsets, 0, cols, out, vec);
  return cudaGetLastError();
}

}  // namespace cuda_kernels
}  // namespace sg
