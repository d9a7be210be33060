// Session 46's probe: can products of our own beat cuBLAS on the chain's small-M products?
// docs/performance.md ("What the products' bandwidth leaves", session 31) found the eight
// products a layer runs on the chain at 62% of the copy bandwidth: with 256 rows a seed, a
// 128 x 128 tile grid is 80 blocks for 10 seeds on 132 SMs, and cuBLASLt offers no split of the
// summed dimension that keeps one order. This probe splits the summed dimension across a
// cluster of kSplit blocks: each block sums its share into registers and writes it to its
// shared memory, and each block of the cluster then adds the kSplit shares of 128 / kSplit of
// the tile's rows in rank order through distributed shared memory (the same bits every run, no
// atomics). Two products: the input gradient dx_s = dy_s W_s^T (both operands laid along the
// summed dimension, as Hopper's TF32 wgmma reads them from shared memory) and the forward
// y_s = x_s W_s + b_s (W along n: computed as y^T = W^T x^T with W^T's fragments in registers).
//
// Checks (fp64 reference on sampled entries, the same bits twice, tails) and times against
// cuBLAS's TF32 strided-batched product for the QF pack's four linears each way, with the
// operands hot in L2 and cold (sets cycled past three times the L2). Built with plain nvcc:
//   nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a split_k_products_probe.cu \
//     -lcublas
#include <cooperative_groups.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

namespace cg = cooperative_groups;

namespace {

#define CHECK_CUDA(e)                                                              \
  do {                                                                             \
    cudaError_t err_ = (e);                                                        \
    if (err_ != cudaSuccess) {                                                     \
      std::printf("CUDA error %s at %s:%d\n", cudaGetErrorString(err_), __FILE__, \
                  __LINE__);                                                       \
      std::exit(2);                                                                \
    }                                                                              \
  } while (0)
#define CHECK_BLAS(e)                                             \
  do {                                                            \
    if ((e) != CUBLAS_STATUS_SUCCESS) {                           \
      std::printf("cuBLAS error at %s:%d\n", __FILE__, __LINE__); \
      std::exit(2);                                               \
    }                                                             \
  } while (0)

constexpr int kTile = 128;        // output tile: 128 rows x 128 columns, two warpgroups
constexpr int kStageK = 32;       // summed positions a stage: one 128-byte swizzle row
constexpr int kThreads = 256;
constexpr int kOperandFloats = kTile * kStageK;   // 16 KB
constexpr int kStageFloats = 2 * kOperandFloats;  // A's block, then B's
// The shares' rows in shared memory: 132 floats apart, so that the forward's transposed writes
// (8 columns x 4 rows a warp) land in 32 distinct banks and rows stay 16-byte aligned.
constexpr int kPartialLd = kTile + 4;

// Operands of the input gradient; the forward's a is x ([m, k]), its b W laid [k, n] (ldb >= n).
struct Args {
  const float* a = nullptr;  // dy: seed s's row m at a + s * a_ss + m * lda (k floats)
  int64_t a_ss = 0, lda = 0;
  const float* b = nullptr;  // W: seed s's row n at b + s * b_ss + n * ldb (k floats)
  int64_t b_ss = 0, ldb = 0;
  float* c = nullptr;  // dx: seed s's row m at c + s * c_ss + m * ldc (n floats)
  int64_t c_ss = 0, ldc = 0;
  const float* bias = nullptr;  // the forward's only: seed s's n floats at bias + s * bias_ss
  int64_t bias_ss = 0;
  int64_t m = 0, n = 0, k = 0, seeds = 0;
};

__host__ __device__ constexpr int SmemBytes(int stages) {
  return stages * kStageFloats * 4 > kTile * kPartialLd * 4
             ? stages * kStageFloats * 4 + 1024
             : kTile * kPartialLd * 4 + 1024;
}

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

__device__ __forceinline__ uint64_t Descriptor(const float* smem) {
  const uint32_t addr = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  uint64_t d = (addr & 0x3FFFF) >> 4;
  d |= static_cast<uint64_t>(1) << 16;
  d |= static_cast<uint64_t>(1024 >> 4) << 32;
  d |= static_cast<uint64_t>(1) << 62;  // 128-byte swizzle
  return d;
}

__device__ __forceinline__ void FenceAccumulators(float (&d)[64]) {
#pragma unroll
  for (int i = 0; i < 64; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

// d (64 x 128) += a (64 x 8 from shared) b (8 x 128 from shared), both along k.
__device__ __forceinline__ void Mma(float (&d)[64], uint64_t a, uint64_t b, int scale_d) {
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 {"
      "%0, %1, %2, %3, %4, %5, %6, %7,"
      "%8, %9, %10, %11, %12, %13, %14, %15,"
      "%16, %17, %18, %19, %20, %21, %22, %23,"
      "%24, %25, %26, %27, %28, %29, %30, %31,"
      "%32, %33, %34, %35, %36, %37, %38, %39,"
      "%40, %41, %42, %43, %44, %45, %46, %47,"
      "%48, %49, %50, %51, %52, %53, %54, %55,"
      "%56, %57, %58, %59, %60, %61, %62, %63"
      "}, %64, %65, p, 1, 1;\n"
      "}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]),
        "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]),
        "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]),
        "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]),
        "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]),
        "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]),
        "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
        "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]),
        "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]),
        "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
      : "l"(a), "l"(b), "r"(scale_d));
}

// d (64 x 128) += a (64 x 8, this thread's four TF32 values of it) b (8 x 128 from shared).
__device__ __forceinline__ void MmaRegisterA(float (&d)[64], const uint32_t (&a)[4],
                                             uint64_t b) {
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %69, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k8.f32.tf32.tf32 {"
      "%0, %1, %2, %3, %4, %5, %6, %7,"
      "%8, %9, %10, %11, %12, %13, %14, %15,"
      "%16, %17, %18, %19, %20, %21, %22, %23,"
      "%24, %25, %26, %27, %28, %29, %30, %31,"
      "%32, %33, %34, %35, %36, %37, %38, %39,"
      "%40, %41, %42, %43, %44, %45, %46, %47,"
      "%48, %49, %50, %51, %52, %53, %54, %55,"
      "%56, %57, %58, %59, %60, %61, %62, %63"
      "}, {%64, %65, %66, %67}, %68, p, 1, 1;\n"
      "}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]),
        "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]),
        "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]),
        "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]),
        "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]),
        "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]),
        "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
        "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]),
        "+f"(d[54]), "+f"(d[55]), "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]),
        "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(1));
}

__device__ __forceinline__ void Copy16(float* smem, const float* gmem, bool valid) {
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(gmem),
               "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void CommitCopies() { asm volatile("cp.async.commit_group;\n" ::); }
template <int kPending>
__device__ __forceinline__ void WaitCopies() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

#endif  // __CUDA_ARCH_FEAT_SM90_ALL

// This thread's accumulator rows of a 128 x 128 tile (two warpgroups of 64 rows each; columns
// 8 j + 2 (lane % 4) and + 1), as wgmma's m64n128 f32 layout places them.
__device__ __forceinline__ int AccRow() {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  return 64 * (warp / 4) + 16 * (warp % 4) + lane / 4;
}

// The tile's shares in part [128][kPartialLd] of every block of the cluster (rank order) are
// added, rows [rank 128 / kSplit, ..) by this block, the bias added last, and stored.
template <int kSplit>
__device__ __forceinline__ void AddSharesAndStore(float* part, int rank, const float* bias,
                                                  float* out, int64_t ldc, int64_t rows_left) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  cg::cluster_group cluster = cg::this_cluster();
  if (kSplit > 1) {
    cluster.sync();  // every share written
  } else {
    __syncthreads();
  }
  constexpr int kRows = kTile / kSplit;
  constexpr int kVectors = kRows * kTile / 4;
  const float* shares[kSplit];
#pragma unroll
  for (int q = 0; q < kSplit; ++q) shares[q] = kSplit > 1 ? cluster.map_shared_rank(part, q) : part;
  for (int v = threadIdx.x; v < kVectors; v += kThreads) {
    const int r = rank * kRows + v / (kTile / 4), cc = 4 * (v % (kTile / 4));
    const int off = r * kPartialLd + cc;
    float4 sum = *reinterpret_cast<const float4*>(shares[0] + off);
#pragma unroll
    for (int q = 1; q < kSplit; ++q) {
      const float4 x = *reinterpret_cast<const float4*>(shares[q] + off);
      sum.x += x.x, sum.y += x.y, sum.z += x.z, sum.w += x.w;
    }
    if (bias != nullptr) {
      const float4 b = *reinterpret_cast<const float4*>(bias + cc);
      sum.x += b.x, sum.y += b.y, sum.z += b.z, sum.w += b.w;
    }
    if (r < rows_left) *reinterpret_cast<float4*>(out + r * ldc + cc) = sum;
  }
  if (kSplit > 1) cluster.sync();  // no block leaves while another still reads its share
#endif
}

// Input gradient c_s = a_s b_s^T (dx = dy W^T: a = dy [m, k], b = W [n, k], both along k).
// grid (n / kTile * kSplit, ceil(m / kTile), seeds), clusters of (kSplit, 1, 1): the cluster's
// block of rank r sums positions [r k / kSplit, (r + 1) k / kSplit) of output tile
// (blockIdx.y, blockIdx.x / kSplit). Both operands go from shared memory to wgmma.
template <int kSplit, int kStages>
__global__ void __launch_bounds__(kThreads, 1)
    InputGradKernel(const __grid_constant__ Args args) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  extern __shared__ unsigned char smem_raw[];
  float* const smem = reinterpret_cast<float*>(
      (reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~static_cast<uintptr_t>(1023));
  const int rank = static_cast<int>(blockIdx.x % kSplit);
  const int64_t s = blockIdx.z;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kTile;
  const int64_t n0 = static_cast<int64_t>(blockIdx.x / kSplit) * kTile;
  const int64_t share = args.k / kSplit;
  const int64_t k0 = rank * share;
  const int stages = static_cast<int>(share / kStageK);
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, group = warp / 4;

  // Copies: this thread's chunk c of rows r0 + 32 e (e < 4) of A's and B's stage blocks.
  const int c = tid % 8, r0 = tid / 8;
  const float* ga[4];
  const float* gb[4];
  bool a_valid[4];
  int dst[4];
#pragma unroll
  for (int e = 0; e < 4; ++e) {
    const int r = r0 + 32 * e;
    a_valid[e] = m0 + r < args.m;
    ga[e] = args.a + s * args.a_ss + (a_valid[e] ? m0 + r : m0) * args.lda + k0 + 4 * c;
    gb[e] = args.b + s * args.b_ss + (n0 + r) * args.ldb + k0 + 4 * c;
    dst[e] = r * kStageK + ((c ^ (r & 7)) << 2);
  }
  auto copy = [&](int stage) {
    float* st = smem + (stage % kStages) * kStageFloats;
    const int64_t off = static_cast<int64_t>(stage) * kStageK;
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      Copy16(st + dst[e], ga[e] + off, a_valid[e]);
      Copy16(st + kOperandFloats + dst[e], gb[e] + off, true);
    }
  };

  float acc[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) acc[i] = 0.f;
#pragma unroll
  for (int i = 0; i < kStages - 1; ++i) {
    if (i < stages) copy(i);
    CommitCopies();
  }
  for (int t = 0; t < stages; ++t) {
    WaitCopies<kStages - 2>();  // stage t's copies (this thread's)
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
    __syncthreads();  // everyone's landed; stage t - 1's products done in both groups
    if (t + kStages - 1 < stages) copy(t + kStages - 1);
    CommitCopies();
    const float* st = smem + (t % kStages) * kStageFloats;
    const uint64_t a_desc = Descriptor(st + group * 64 * kStageK);
    const uint64_t b_desc = Descriptor(st + kOperandFloats);
    FenceAccumulators(acc);
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
    for (int k8 = 0; k8 < kStageK / 8; ++k8) Mma(acc, a_desc + 2 * k8, b_desc + 2 * k8, 1);
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
    asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
    FenceAccumulators(acc);
  }

  const int row = AccRow(), col = 2 * (lane % 4);
  if (kSplit == 1) {  // straight from the registers
    float* out = args.c + s * args.c_ss + n0 + col;
#pragma unroll
    for (int j = 0; j < 16; ++j) {
      if (m0 + row < args.m)
        *reinterpret_cast<float2*>(out + (m0 + row) * args.ldc + 8 * j) =
            make_float2(acc[4 * j], acc[4 * j + 1]);
      if (m0 + row + 8 < args.m)
        *reinterpret_cast<float2*>(out + (m0 + row + 8) * args.ldc + 8 * j) =
            make_float2(acc[4 * j + 2], acc[4 * j + 3]);
    }
    return;
  }
  __syncthreads();  // both groups' last products have read the stages the shares overwrite
  float* const part = smem;
#pragma unroll
  for (int j = 0; j < 16; ++j) {
    *reinterpret_cast<float2*>(part + row * kPartialLd + 8 * j + col) =
        make_float2(acc[4 * j], acc[4 * j + 1]);
    *reinterpret_cast<float2*>(part + (row + 8) * kPartialLd + 8 * j + col) =
        make_float2(acc[4 * j + 2], acc[4 * j + 3]);
  }
  AddSharesAndStore<kSplit>(part, rank, nullptr, args.c + s * args.c_ss + m0 * args.ldc + n0,
                            args.ldc, args.m - m0);
#endif
}

// Forward c_s = a_s b_s + bias_s (y = x W + b: a = x [m, k] along k, b = W [k, n] along n).
// Hopper's TF32 wgmma takes neither operand from shared memory laid along n, so the block
// computes the tile transposed, y^T = W^T x^T: W^T's fragments go from W's rows as they lie in
// shared memory straight into registers (wgmma's A, as cuda_wgmma_weight_grad_kernel.cu takes
// x^T), x's block is B as it lies, and the shares are written transposed (y's rows) for the
// sum. Grid and clusters as InputGradKernel's.
template <int kSplit, int kStages>
__global__ void __launch_bounds__(kThreads, 1)
    ForwardKernel(const __grid_constant__ Args args) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  extern __shared__ unsigned char smem_raw[];
  float* const smem = reinterpret_cast<float*>(
      (reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~static_cast<uintptr_t>(1023));
  const int rank = static_cast<int>(blockIdx.x % kSplit);
  const int64_t s = blockIdx.z;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kTile;
  const int64_t n0 = static_cast<int64_t>(blockIdx.x / kSplit) * kTile;
  const int64_t share = args.k / kSplit;
  const int64_t k0 = rank * share;
  const int stages = static_cast<int>(share / kStageK);
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;

  // W's stage block: k rows warp + 8 e (e < 4), 16-byte chunk `lane` of the tile's 128
  // columns, stored at chunk lane ^ RegisterSwizzle(k) so that the fragments' single-float
  // reads (8 columns x 4 k rows a warp) land in 32 distinct banks.
  const int w_dst = warp * kTile + ((lane ^ ((warp & 3) << 1)) << 2);
  const float* gw = args.b + s * args.b_ss + (k0 + warp) * args.ldb + n0 + 4 * lane;
  // x's stage block: chunk c of rows r0 + 32 e, in the 128-byte swizzle (wgmma's B).
  const int c = tid % 8, r0 = tid / 8;
  const float* gx[4];
  bool x_valid[4];
  int x_dst[4];
#pragma unroll
  for (int e = 0; e < 4; ++e) {
    const int r = r0 + 32 * e;
    x_valid[e] = m0 + r < args.m;
    gx[e] = args.a + s * args.a_ss + (x_valid[e] ? m0 + r : m0) * args.lda + k0 + 4 * c;
    x_dst[e] = r * kStageK + ((c ^ (r & 7)) << 2);
  }
  auto copy = [&](int stage) {
    float* st = smem + (stage % kStages) * kStageFloats;
    const int64_t off = static_cast<int64_t>(stage) * kStageK;
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      Copy16(st + w_dst + 8 * e * kTile, gw + (off + 8 * e) * args.ldb, true);
      Copy16(st + kOperandFloats + x_dst[e], gx[e] + off, x_valid[e]);
    }
  };
  // W^T's fragments: rows (W's columns) a_row and a_row + 8, k rows lane % 4 (+ 4, + 8 k8).
  const int a_row = AccRow(), t4 = lane % 4;
  const int frag0 = t4 * kTile + (((a_row >> 2) ^ (t4 << 1)) << 2) + (a_row & 3);
  const int frag1 = t4 * kTile + ((((a_row + 8) >> 2) ^ (t4 << 1)) << 2) + ((a_row + 8) & 3);

  float acc[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) acc[i] = 0.f;
#pragma unroll
  for (int i = 0; i < kStages - 1; ++i) {
    if (i < stages) copy(i);
    CommitCopies();
  }
  for (int t = 0; t < stages; ++t) {
    WaitCopies<kStages - 2>();
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
    __syncthreads();
    if (t + kStages - 1 < stages) copy(t + kStages - 1);
    CommitCopies();
    const float* st = smem + (t % kStages) * kStageFloats;
    uint32_t a[4][4];
#pragma unroll
    for (int k8 = 0; k8 < 4; ++k8) {
      a[k8][0] = __float_as_uint(st[frag0 + 8 * k8 * kTile]);
      a[k8][1] = __float_as_uint(st[frag1 + 8 * k8 * kTile]);
      a[k8][2] = __float_as_uint(st[frag0 + (8 * k8 + 4) * kTile]);
      a[k8][3] = __float_as_uint(st[frag1 + (8 * k8 + 4) * kTile]);
    }
    const uint64_t b_desc = Descriptor(st + kOperandFloats);
    FenceAccumulators(acc);
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
    for (int k8 = 0; k8 < 4; ++k8) MmaRegisterA(acc, a[k8], b_desc + 2 * k8);
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
    asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
    FenceAccumulators(acc);
  }

  __syncthreads();  // both groups' last products have read the stages the shares overwrite
  float* const part = smem;  // [m][n]: the tile transposed back
  const int mc = 2 * t4;
#pragma unroll
  for (int j = 0; j < 16; ++j) {
    part[(8 * j + mc) * kPartialLd + a_row] = acc[4 * j];
    part[(8 * j + mc + 1) * kPartialLd + a_row] = acc[4 * j + 1];
    part[(8 * j + mc) * kPartialLd + a_row + 8] = acc[4 * j + 2];
    part[(8 * j + mc + 1) * kPartialLd + a_row + 8] = acc[4 * j + 3];
  }
  AddSharesAndStore<kSplit>(part, rank,
                            args.bias != nullptr ? args.bias + s * args.bias_ss + n0 : nullptr,
                            args.c + s * args.c_ss + m0 * args.ldc + n0, args.ldc,
                            args.m - m0);
#endif
}

template <int kSplit, int kStages, bool kForward>
cudaError_t Launch(const Args& a, cudaStream_t stream) {
  if (a.n % kTile != 0 || a.k % (kStageK * kSplit) != 0 || a.lda % 4 || a.ldb % 4 || a.ldc % 4)
    return cudaErrorInvalidValue;
  auto kernel = kForward ? ForwardKernel<kSplit, kStages> : InputGradKernel<kSplit, kStages>;
  const int bytes = SmemBytes(kStages);
  cudaError_t err =
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
  if (err != cudaSuccess) return err;
  cudaLaunchConfig_t config = {};
  config.gridDim = dim3(static_cast<unsigned>(a.n / kTile * kSplit),
                        static_cast<unsigned>((a.m + kTile - 1) / kTile),
                        static_cast<unsigned>(a.seeds));
  config.blockDim = dim3(kThreads);
  config.dynamicSmemBytes = bytes;
  config.stream = stream;
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeClusterDimension;
  attr[0].val.clusterDim.x = kSplit;
  attr[0].val.clusterDim.y = 1;
  attr[0].val.clusterDim.z = 1;
  config.attrs = attr;
  config.numAttrs = 1;
  return cudaLaunchKernelEx(&config, kernel, a);
}

struct Variant {
  const char* name;
  cudaError_t (*launch)(const Args&, cudaStream_t);
  int split;
};
const Variant kInputGrad[] = {
    {"k1s4", Launch<1, 4, false>, 1}, {"k2s3", Launch<2, 3, false>, 2},
    {"k2s4", Launch<2, 4, false>, 2}, {"k4s3", Launch<4, 3, false>, 4},
    {"k4s4", Launch<4, 4, false>, 4}, {"k8s3", Launch<8, 3, false>, 8},
};
const Variant kForward[] = {
    {"k1s4", Launch<1, 4, true>, 1}, {"k2s3", Launch<2, 3, true>, 2},
    {"k2s4", Launch<2, 4, true>, 2}, {"k4s3", Launch<4, 3, true>, 4},
    {"k4s4", Launch<4, 4, true>, 4}, {"k8s3", Launch<8, 3, true>, 8},
};
constexpr int kNumVariants = sizeof(kInputGrad) / sizeof(kInputGrad[0]);

int failures = 0;

float* DeviceRandom(size_t n, uint64_t seed) {
  std::vector<float> h(n);
  uint64_t s = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (auto& v : h) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<float>((s >> 40) & 0xFFFFFF) / 16777216.0f * 2.f - 1.f;
  }
  float* d = nullptr;
  CHECK_CUDA(cudaMalloc(&d, (n + 4) * sizeof(float)));
  CHECK_CUDA(cudaMemcpy(d, h.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  return d;
}

std::vector<float> Host(const float* d, size_t n) {
  std::vector<float> h(n);
  CHECK_CUDA(cudaMemcpy(h.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost));
  return h;
}

// The operands of one product: the input gradient's b is W [n, k]; the forward's is W [k, n]
// with a bias.
Args Operands(bool forward, int64_t seeds, int64_t m, int64_t n, int64_t k, uint64_t seed) {
  Args a;
  a.a = DeviceRandom(seeds * m * k, seed), a.a_ss = m * k, a.lda = k;
  a.b = DeviceRandom(seeds * n * k, seed + 1), a.b_ss = n * k, a.ldb = forward ? n : k;
  float* c = nullptr;
  CHECK_CUDA(cudaMalloc(&c, seeds * m * n * sizeof(float)));
  a.c = c, a.c_ss = m * n, a.ldc = n;
  if (forward) a.bias = DeviceRandom(seeds * n, seed + 2), a.bias_ss = n;
  a.m = m, a.n = n, a.k = k, a.seeds = seeds;
  return a;
}

void Free(const Args& a) {
  CHECK_CUDA(cudaFree(const_cast<float*>(a.a)));
  CHECK_CUDA(cudaFree(const_cast<float*>(a.b)));
  CHECK_CUDA(cudaFree(a.c));
  if (a.bias != nullptr) CHECK_CUDA(cudaFree(const_cast<float*>(a.bias)));
}

// One shape, every variant: sampled entries against fp64, every entry written, the same bits
// twice.
void Check(bool forward, const char* name, int64_t seeds, int64_t m, int64_t n, int64_t k) {
  const Args args = Operands(forward, seeds, m, n, k, forward ? 5 : 1);
  const size_t cn = static_cast<size_t>(seeds * m * n);
  std::vector<float> ha = Host(args.a, seeds * m * k), hb = Host(args.b, seeds * n * k);
  std::vector<float> hbias = forward ? Host(args.bias, seeds * n) : std::vector<float>();
  for (const Variant& v : forward ? kForward : kInputGrad) {
    if (k % (kStageK * v.split) != 0) continue;
    CHECK_CUDA(cudaMemset(args.c, 0xFF, cn * sizeof(float)));  // NaNs: all must be written
    CHECK_CUDA(v.launch(args, 0));
    CHECK_CUDA(cudaDeviceSynchronize());
    std::vector<float> got = Host(args.c, cn);
    CHECK_CUDA(v.launch(args, 0));
    CHECK_CUDA(cudaDeviceSynchronize());
    std::vector<float> again = Host(args.c, cn);
    const bool same = std::memcmp(got.data(), again.data(), cn * sizeof(float)) == 0;
    int64_t nans = 0;
    for (float x : got) nans += std::isnan(x) ? 1 : 0;
    double max_err = 0, max_ref = 0;
    for (int64_t sd = 0; sd < seeds; ++sd) {
      for (int64_t i = 0; i < m; i += (i % 5 == 0 ? 1 : 7)) {
        for (int64_t j = 0; j < n; j += (j % 9 == 0 ? 1 : 5)) {
          double ref = forward ? hbias[sd * n + j] : 0.0;
          for (int64_t q = 0; q < k; ++q) {
            const float w = forward ? hb[sd * n * k + q * n + j] : hb[sd * n * k + j * k + q];
            ref += double(ha[sd * m * k + i * k + q]) * w;
          }
          max_err = std::max(max_err, std::fabs(got[sd * m * n + i * n + j] - ref));
          max_ref = std::max(max_ref, std::fabs(ref));
        }
      }
    }
    // TF32 keeps 10 mantissa bits; 2e-3 of the largest entry is well above its rounding and
    // far below a wrong layout's error.
    const double rel = max_ref > 0 ? max_err / max_ref : max_err;
    const bool ok = same && nans == 0 && rel < 2e-3;
    std::printf("%-10s %-36s %-5s rel %.2e  same bits twice %s  NaN %lld  %s\n",
                forward ? "forward" : "input grad", name, v.name, rel, same ? "yes" : "NO",
                static_cast<long long>(nans), ok ? "PASS" : "FAIL");
    if (!ok) ++failures;
  }
  Free(args);
}

// Microseconds a launch: operand sets cycled (cold: past three times the L2) or set 0 alone.
float TimeUs(const std::vector<Args>& sets, bool cold, int reps,
             const std::function<void(const Args&)>& run) {
  cudaEvent_t e0, e1;
  CHECK_CUDA(cudaEventCreate(&e0));
  CHECK_CUDA(cudaEventCreate(&e1));
  const size_t n = cold ? sets.size() : 1;
  for (int i = 0; i < 10; ++i) run(sets[i % n]);
  CHECK_CUDA(cudaEventRecord(e0, 0));
  for (int i = 0; i < reps; ++i) run(sets[i % n]);
  CHECK_CUDA(cudaEventRecord(e1, 0));
  CHECK_CUDA(cudaEventSynchronize(e1));
  float ms = 0;
  CHECK_CUDA(cudaEventElapsedTime(&ms, e0, e1));
  CHECK_CUDA(cudaEventDestroy(e0));
  CHECK_CUDA(cudaEventDestroy(e1));
  return ms * 1000.f / reps;
}

// cuBLAS's TF32 product as LibTorch's bmm asks it: row-major c = a b^T (input gradient) or a b
// (forward) as column-major c^T = op(b) a^T; the forward without its bias.
void Blas(cublasHandle_t h, bool forward, const Args& a) {
  const float one = 1.f, zero = 0.f;
  CHECK_BLAS(cublasSgemmStridedBatched(
      h, forward ? CUBLAS_OP_N : CUBLAS_OP_T, CUBLAS_OP_N, int(a.n), int(a.m), int(a.k), &one,
      a.b, int(a.ldb), a.b_ss, a.a, int(a.lda), a.a_ss, &zero, a.c, int(a.ldc), a.c_ss,
      int(a.seeds)));
}

void TimeShapes(cublasHandle_t h, const cudaDeviceProp& prop, bool forward, bool cold,
                int reps) {
  const int64_t S = 10, M = 256;
  // A layer's linears, W stored [in, out]. Forward: n = out, k = in; input gradient: n = in,
  // k = out.
  const int64_t linears[4][2] = {{512, 1536}, {512, 512}, {512, 2048}, {2048, 512}};
  const char* names[4] = {"W_qkv 512x1536", "W_o 512x512", "W_1 512x2048", "W_2 2048x512"};
  std::printf("\n%s, %s L2, 10 seeds x 256 rows, us a product\n",
              forward ? "forward (ours with the bias)" : "input gradient", cold ? "cold" : "hot");
  std::printf("%-16s %7s", "", "cuBLAS");
  for (const Variant& v : kInputGrad) std::printf(" %7s", v.name);
  std::printf("   best/cuBLAS  GB/s(best)\n");
  double sums[kNumVariants + 1] = {};
  for (int i = 0; i < 4; ++i) {
    const int64_t n = forward ? linears[i][1] : linears[i][0];
    const int64_t k = forward ? linears[i][0] : linears[i][1];
    const double set_bytes = double(S * M * k + S * n * k + S * M * n) * sizeof(float);
    const int count = std::max(2, static_cast<int>(3.0 * prop.l2CacheSize / set_bytes) + 1);
    std::vector<Args> sets;
    for (int q = 0; q < count; ++q) sets.push_back(Operands(forward, S, M, n, k, 10 + 3 * q));
    const float blas = TimeUs(sets, cold, reps, [&](const Args& a) { Blas(h, forward, a); });
    std::printf("%-16s %7.1f", names[i], blas);
    sums[0] += blas;
    float best = 1e30f;
    for (int v = 0; v < kNumVariants; ++v) {
      const Variant& var = forward ? kForward[v] : kInputGrad[v];
      if (k % (kStageK * var.split) != 0) {
        std::printf(" %7s", "-");
        continue;
      }
      const float us =
          TimeUs(sets, cold, reps, [&](const Args& a) { CHECK_CUDA(var.launch(a, 0)); });
      std::printf(" %7.1f", us);
      sums[v + 1] += us;
      best = std::min(best, us);
    }
    std::printf("   %6.2f %10.0f\n", best / blas, set_bytes / (best * 1e-6) / 1e9);
    for (const Args& a : sets) Free(a);
  }
  std::printf("%-16s", "the four");
  for (int v = 0; v <= kNumVariants; ++v) std::printf(" %7.1f", sums[v]);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const bool check_only = argc > 1 && std::strcmp(argv[1], "check") == 0;
  const int reps = argc > 1 && std::atoi(argv[1]) > 0 ? std::atoi(argv[1]) : 200;
  cudaDeviceProp prop;
  CHECK_CUDA(cudaGetDeviceProperties(&prop, 0));
  std::printf("device %s, %d SMs, L2 %d MB\n", prop.name, prop.multiProcessorCount,
              prop.l2CacheSize >> 20);
  for (bool forward : {false, true}) {
    Check(forward, "W_o 10 seeds x 256, n 512 k 512", 10, 256, 512, 512);
    Check(forward, "W_2 3 seeds x 256, n 2048 k 512", 3, 256, 2048, 512);
    Check(forward, "tail: 2 seeds x 200, n 256 k 1024", 2, 200, 256, 1024);
    Check(forward, "one stage a rank: 1 seed x 72, k 256", 1, 72, 128, 256);
  }
  if (check_only) {
    std::printf("%s\n", failures == 0 ? "ALL PASS" : "FAILURES");
    return failures == 0 ? 0 : 1;
  }
  cublasHandle_t h;
  CHECK_BLAS(cublasCreate(&h));
  CHECK_BLAS(cublasSetMathMode(h, CUBLAS_TF32_TENSOR_OP_MATH));
  for (bool forward : {false, true}) {
    for (bool cold : {false, true}) TimeShapes(h, prop, forward, cold, reps);
  }
  CHECK_BLAS(cublasDestroy(h));
  std::printf("%s\n", failures == 0 ? "ALL PASS" : "FAILURES");
  return failures == 0 ? 0 : 1;
}
