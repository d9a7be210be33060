// The seeds' weight gradients over their own rows (cuda_seed_weight_grad_kernel.h). Torch-free.
#include "trainer/model/cuda_seed_weight_grad_kernel.h"

#include <mma.h>

namespace sg {
namespace cuda_kernels {
namespace {

using namespace nvcuda;  // NOLINT: wmma's names

constexpr int kTile = static_cast<int>(kSeedWeightGradTile);
constexpr int kRowsPerStage = 16;  // rows of x and of dy a stage of shared memory holds
constexpr int kWarpsM = 2, kWarpsN = 4;
constexpr int kThreads = kWarpsM * kWarpsN * 32;
constexpr int kWarpM = kTile / kWarpsM, kWarpN = kTile / kWarpsN;  // each warp's 64 x 32
constexpr int kFragsM = kWarpM / 16, kFragsN = kWarpN / 16;
// A stage row's stride in floats: 4 past the tile shifts consecutive rows by 4 banks, and 8 rows
// (one k-step) stay a multiple of 32 bytes apart, as wmma's loads need.
constexpr int kLd = kTile + 4;
constexpr int kChunksPerRow = kTile / 4;  // 16-byte copies per stage row
static_assert(kRowsPerStage * kChunksPerRow % kThreads == 0, "whole copies per thread");
constexpr int kCopiesPerThread = kRowsPerStage * kChunksPerRow / kThreads;

// One stage: rows [r0, r0 + kRowsPerStage) of x (the tile's p-columns) and of dy (its
// q-columns). As x^T's [p, rows] block it is column-major: wmma's matrix_a, col_major.
struct Stage {
  float a[kRowsPerStage][kLd];
  float b[kRowsPerStage][kLd];
};

__device__ __forceinline__ void CopyAsync16(float* smem, const float* gmem, bool valid) {
  const unsigned dst = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  const int bytes = valid ? 16 : 0;  // 0: nothing read, the 16 bytes zero-filled
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(gmem),
               "r"(bytes));
}

__device__ __forceinline__ void CommitCopies() { asm volatile("cp.async.commit_group;\n" ::); }

// Waits until at most kPending of the committed groups are still in flight.
template <int kPending>
__device__ __forceinline__ void WaitCopies() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

// Issues the copies of rows [r0, r0 + kRowsPerStage) into st; rows at or past `end` (another
// seed's, or past the step) are zeros, so they add nothing.
__device__ __forceinline__ void LoadStage(Stage& st, const float* x, const float* dy, int64_t p,
                                          int64_t q, int64_t m0, int64_t n0, int64_t r0,
                                          int64_t end) {
#pragma unroll
  for (int j = 0; j < kCopiesPerThread; ++j) {
    const int c = threadIdx.x + j * kThreads;
    const int r = c / kChunksPerRow, col = (c % kChunksPerRow) * 4;
    const bool valid = r0 + r < end;
    const int64_t row = valid ? r0 + r : r0;  // r0 < end: an address in bounds, never read
    CopyAsync16(&st.a[r][col], x + row * p + m0 + col, valid);
    CopyAsync16(&st.b[r][col], dy + row * q + n0 + col, valid);
  }
}

// grid (q / kTile, p / kTile, seeds): the [kTile, kTile] tile (m0, n0) of dw[s], summed over the
// seed's rows in order, kRowsPerStage at a time; the next stage's copies fly while this one's
// products run.
__global__ void __launch_bounds__(kThreads)
    SeedWeightGradKernel(const float* x, const float* dy, const int64_t* offsets, int64_t p,
                         int64_t q, float* dw) {
  __shared__ __align__(128) Stage stages[2];
  const int64_t s = blockIdx.z;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kTile;
  const int64_t n0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const int64_t begin = offsets[s], end = offsets[s + 1];
  const int warp = threadIdx.x / 32;
  const int wm = warp / kWarpsN, wn = warp % kWarpsN;

  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[kFragsM][kFragsN];
#pragma unroll
  for (int i = 0; i < kFragsM; ++i) {
#pragma unroll
    for (int j = 0; j < kFragsN; ++j) wmma::fill_fragment(acc[i][j], 0.f);
  }

  if (begin < end) LoadStage(stages[0], x, dy, p, q, m0, n0, begin, end);
  CommitCopies();
  int cur = 0;
  for (int64_t r0 = begin; r0 < end; r0 += kRowsPerStage) {
    if (r0 + kRowsPerStage < end) {
      LoadStage(stages[cur ^ 1], x, dy, p, q, m0, n0, r0 + kRowsPerStage, end);
    }
    CommitCopies();  // possibly empty: the count of groups stays one per stage
    WaitCopies<1>();  // this stage's copies landed (the next one's may still fly)
    __syncthreads();
    const Stage& st = stages[cur];
#pragma unroll
    for (int k = 0; k < kRowsPerStage; k += 8) {
      wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major>
          a[kFragsM];
      wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major>
          b[kFragsN];
#pragma unroll
      for (int i = 0; i < kFragsM; ++i) {
        wmma::load_matrix_sync(a[i], &st.a[k][wm * kWarpM + i * 16], kLd);
#pragma unroll
        for (int e = 0; e < a[i].num_elements; ++e) a[i].x[e] = wmma::__float_to_tf32(a[i].x[e]);
      }
#pragma unroll
      for (int j = 0; j < kFragsN; ++j) {
        wmma::load_matrix_sync(b[j], &st.b[k][wn * kWarpN + j * 16], kLd);
#pragma unroll
        for (int e = 0; e < b[j].num_elements; ++e) b[j].x[e] = wmma::__float_to_tf32(b[j].x[e]);
      }
#pragma unroll
      for (int i = 0; i < kFragsM; ++i) {
#pragma unroll
        for (int j = 0; j < kFragsN; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
      }
    }
    __syncthreads();  // every warp is done with this stage before it is loaded again
    cur ^= 1;
  }

  float* out = dw + s * p * q;
#pragma unroll
  for (int i = 0; i < kFragsM; ++i) {
#pragma unroll
    for (int j = 0; j < kFragsN; ++j) {
      const int64_t row = m0 + wm * kWarpM + i * 16, col = n0 + wn * kWarpN + j * 16;
      wmma::store_matrix_sync(out + row * q + col, acc[i][j], static_cast<unsigned>(q),
                              wmma::mem_row_major);
    }
  }
}

}  // namespace

cudaError_t LaunchSeedWeightGrad(const float* x, const float* dy, const int64_t* offsets,
                                 int64_t seeds, int64_t p, int64_t q, float* dw,
                                 cudaStream_t stream) {
  if (seeds < 1 || seeds > 65535 || p < kTile || q < kTile || p % kTile != 0 ||
      q % kTile != 0 || p / kTile > 65535 || q / kTile > 0x7fffffff || q > 0xffffffff) {
    return cudaErrorInvalidValue;
  }
  if (reinterpret_cast<uintptr_t>(x) % 16 != 0 || reinterpret_cast<uintptr_t>(dy) % 16 != 0 ||
      reinterpret_cast<uintptr_t>(dw) % 32 != 0) {
    return cudaErrorInvalidValue;
  }
  const dim3 grid(static_cast<unsigned>(q / kTile), static_cast<unsigned>(p / kTile),
                  static_cast<unsigned>(seeds));
  SeedWeightGradKernel<<<grid, kThreads, 0, stream>>>(x, dy, offsets, p, q, dw);
  return cudaGetLastError();
}

}  // namespace cuda_kernels
}  // namespace sg
