// The seeds' weight gradients over their own rows (cuda_seed_weight_grad_kernel.h). Torch-free.
//
// A block computes a [kTile, kTile] tile of dw[s] = x_s^T dy_s with TF32 mma.sync (m16n8k8),
// kRows rows of x and dy per stage of shared memory, kStages stages in flight (cp.async), so
// the loads of later rows overlap the products of earlier ones. Session 18's first form (wmma
// m16n16k8, 16 rows a stage, 2 stages) ran at about 42 TFLOP/s beside the step's other
// kernels; this one follows the layout of the H200's own sm80 TF32 GEMMs: 32 rows a stage,
// 3 stages, fragments read from shared memory without bank conflicts.
#include "trainer/model/cuda_seed_weight_grad_kernel.h"

#include <atomic>

namespace sg {
namespace cuda_kernels {
namespace {

constexpr int kMaxDevices = 64;

constexpr int kTile = static_cast<int>(kSeedWeightGradTile);
constexpr int kRows = 32;   // rows of x and of dy a stage holds
constexpr int kStages = 3;  // stages in flight
constexpr int kWarpsM = 2, kWarpsN = 4;
constexpr int kThreads = kWarpsM * kWarpsN * 32;
constexpr int kWarpM = kTile / kWarpsM, kWarpN = kTile / kWarpsN;  // each warp's 64 x 32
constexpr int kFragsM = kWarpM / 16, kFragsN = kWarpN / 8;          // m16 x n8 products
// A stage row's stride in floats: 8 past the tile (136 = 8 mod 32), so the fragment reads,
// row t and column g for the 32 lanes (t = lane % 4, g = lane / 4), hit 32 different banks.
constexpr int kLd = kTile + 8;
constexpr int kChunksPerRow = kTile / 4;  // 16-byte copies per stage row
static_assert(kRows * kChunksPerRow % kThreads == 0, "whole copies per thread");
constexpr int kCopiesPerThread = kRows * kChunksPerRow / kThreads;
constexpr int kStageFloats = 2 * kRows * kLd;  // x's rows, then dy's
constexpr size_t kSharedBytes = sizeof(float) * kStageFloats * kStages;
// The bias gradient: the blocks of the first row of tiles also sum dy's columns, thread
// c % kTile over the rows c / kTile, c / kTile + kSumRowGroups, ... of each stage.
constexpr int kSumRowGroups = kThreads / kTile;
static_assert(kRows % kSumRowGroups == 0, "whole rows per summing thread");

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

__device__ __forceinline__ unsigned ToTf32(float v) {
  unsigned out;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(out) : "f"(v));
  return out;
}

// d += a b for one m16n8k8 TF32 product (PTX ISA's fragment layouts: a0 (g, t), a1 (g+8, t),
// a2 (g, t+4), a3 (g+8, t+4); b0 (t, g), b1 (t+4, g); d0,d1 (g, 2t..2t+1), d2,d3 (g+8, ...)).
__device__ __forceinline__ void Mma(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
      "{%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// Issues the copies of rows [r0, r0 + kRows) into a stage (x's rows at `a`, dy's at `b`, each
// [kRows][kLd]); rows at or past `end` (another seed's, or past the step) are zeros.
__device__ __forceinline__ void LoadStage(float* a, float* b, const float* x, const float* dy,
                                          int64_t p, int64_t q, int64_t m0, int64_t n0,
                                          int64_t r0, int64_t end) {
#pragma unroll
  for (int j = 0; j < kCopiesPerThread; ++j) {
    const int c = threadIdx.x + j * kThreads;
    const int r = c / kChunksPerRow, col = (c % kChunksPerRow) * 4;
    const bool valid = r0 + r < end;
    const int64_t row = valid ? r0 + r : r0;  // r0 < end: an address in bounds, never read
    CopyAsync16(a + r * kLd + col, x + row * p + m0 + col, valid);
    CopyAsync16(b + r * kLd + col, dy + row * q + n0 + col, valid);
  }
}

// grid (q / kTile, p / kTile, seeds); db (may be null) by the blocks with blockIdx.y == 0.
__global__ void __launch_bounds__(kThreads, 2)
    SeedWeightGradKernel(const float* x, const float* dy, const int64_t* offsets, int64_t p,
                         int64_t q, float* dw, float* db) {
  extern __shared__ __align__(16) float shared[];
  const int64_t s = blockIdx.z;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kTile;
  const int64_t n0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const int64_t begin = offsets[s], end = offsets[s + 1];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int g = lane / 4, t = lane % 4;
  const int wm = (warp / kWarpsN) * kWarpM, wn = (warp % kWarpsN) * kWarpN;
  const bool sums = db != nullptr && blockIdx.y == 0;
  float column_sum = 0.f;

  float acc[kFragsM][kFragsN][4];
#pragma unroll
  for (int i = 0; i < kFragsM; ++i) {
#pragma unroll
    for (int j = 0; j < kFragsN; ++j) {
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.f;
    }
  }
  auto stage_a = [&](int st) { return shared + st * kStageFloats; };
  auto stage_b = [&](int st) { return shared + st * kStageFloats + kRows * kLd; };

#pragma unroll
  for (int st = 0; st < kStages - 1; ++st) {
    const int64_t r0 = begin + static_cast<int64_t>(st) * kRows;
    if (r0 < end) LoadStage(stage_a(st), stage_b(st), x, dy, p, q, m0, n0, r0, end);
    CommitCopies();  // possibly empty: one group per stage keeps the count simple
  }
  int read = 0, write = kStages - 1;
  for (int64_t r0 = begin; r0 < end; r0 += kRows) {
    WaitCopies<kStages - 2>();  // the stage to read has landed
    __syncthreads();            // ... for every thread, and the one to write is read by none
    const int64_t ahead = r0 + static_cast<int64_t>(kStages - 1) * kRows;
    if (ahead < end) LoadStage(stage_a(write), stage_b(write), x, dy, p, q, m0, n0, ahead, end);
    CommitCopies();
    const float* a = stage_a(read);
    const float* b = stage_b(read);
#pragma unroll
    for (int k = 0; k < kRows; k += 8) {
      unsigned af[kFragsM][4], bf[kFragsN][2];
#pragma unroll
      for (int i = 0; i < kFragsM; ++i) {
        const float* col = a + (k + t) * kLd + wm + i * 16 + g;  // A(m, k) = x row k, column m
        af[i][0] = ToTf32(col[0]);
        af[i][1] = ToTf32(col[8]);
        af[i][2] = ToTf32(col[4 * kLd]);
        af[i][3] = ToTf32(col[4 * kLd + 8]);
      }
#pragma unroll
      for (int j = 0; j < kFragsN; ++j) {
        const float* col = b + (k + t) * kLd + wn + j * 8 + g;
        bf[j][0] = ToTf32(col[0]);
        bf[j][1] = ToTf32(col[4 * kLd]);
      }
#pragma unroll
      for (int i = 0; i < kFragsM; ++i) {
#pragma unroll
        for (int j = 0; j < kFragsN; ++j) Mma(acc[i][j], af[i], bf[j]);
      }
    }
    if (sums) {  // in fp32 from the stage, rows in a fixed order
      const int c = threadIdx.x % kTile;
#pragma unroll
      for (int r = threadIdx.x / kTile; r < kRows; r += kSumRowGroups) column_sum += b[r * kLd + c];
    }
    read = read + 1 == kStages ? 0 : read + 1;
    write = write + 1 == kStages ? 0 : write + 1;
  }

  float* out = dw + s * p * q;
#pragma unroll
  for (int i = 0; i < kFragsM; ++i) {
#pragma unroll
    for (int j = 0; j < kFragsN; ++j) {
      const int64_t row = m0 + wm + i * 16 + g, col = n0 + wn + j * 8 + 2 * t;
      *reinterpret_cast<float2*>(out + row * q + col) = make_float2(acc[i][j][0], acc[i][j][1]);
      *reinterpret_cast<float2*>(out + (row + 8) * q + col) =
          make_float2(acc[i][j][2], acc[i][j][3]);
    }
  }
  if (sums) {
    // The row groups' partial sums, added in group order (the stages' memory is free now:
    // every group left in flight is empty).
    WaitCopies<0>();
    __syncthreads();
    shared[threadIdx.x] = column_sum;
    __syncthreads();
    if (threadIdx.x < kTile) {
      float total = 0.f;
#pragma unroll
      for (int r = 0; r < kSumRowGroups; ++r) total += shared[r * kTile + threadIdx.x];
      db[s * q + n0 + threadIdx.x] = total;
    }
  }
}

}  // namespace

cudaError_t LaunchSeedWeightGrad(const float* x, const float* dy, const int64_t* offsets,
                                 int64_t seeds, int64_t p, int64_t q, float* dw, float* db,
                                 cudaStream_t stream) {
  if (seeds < 1 || seeds > 65535 || p < kTile || q < kTile || p % kTile != 0 ||
      q % kTile != 0 || p / kTile > 65535 || q / kTile > 0x7fffffff) {
    return cudaErrorInvalidValue;
  }
  if (reinterpret_cast<uintptr_t>(x) % 16 != 0 || reinterpret_cast<uintptr_t>(dy) % 16 != 0 ||
      reinterpret_cast<uintptr_t>(dw) % 8 != 0) {
    return cudaErrorInvalidValue;
  }
  // More than the default 48 KiB of shared memory a block: allowed per device, once.
  int device = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err != cudaSuccess) return err;
  static std::atomic<bool> allowed[kMaxDevices];
  if (device < 0 || device >= kMaxDevices) return cudaErrorInvalidDevice;
  if (!allowed[device].load()) {
    err = cudaFuncSetAttribute(SeedWeightGradKernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(kSharedBytes));
    if (err != cudaSuccess) return err;
    allowed[device].store(true);
  }
  const dim3 grid(static_cast<unsigned>(q / kTile), static_cast<unsigned>(p / kTile),
                  static_cast<unsigned>(seeds));
  SeedWeightGradKernel<<<grid, kThreads, kSharedBytes, stream>>>(x, dy, offsets, p, q, dw, db);
  return cudaGetLastError();
}

}  // namespace cuda_kernels
}  // namespace sg
