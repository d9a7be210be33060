// The chain's products with the summed dimension split across a cluster
// (cuda_split_k_gemm_kernel.h). Torch-free.
#include "trainer/model/cuda_split_k_gemm_kernel.h"

#include <cooperative_groups.h>

#include <atomic>

namespace sg {
namespace cuda_kernels {
namespace {

namespace cg = cooperative_groups;

constexpr int kTile = static_cast<int>(kSplitKTile);
constexpr int kStageK = static_cast<int>(kSplitKStage);  // one 128-byte swizzle row of TF32
constexpr int kThreads = 256;  // two warpgroups: rows [64 g, 64 g + 64) of the tile each
constexpr int kOperandFloats = kTile * kStageK;   // 16 KB
constexpr int kStageFloats = 2 * kOperandFloats;  // a stage: A's block, then B's
// The shares' rows in shared memory: 132 floats apart, so that the forward's transposed writes
// (8 columns x 4 rows a warp) land in 32 distinct banks and rows stay 16-byte aligned.
constexpr int kPartialLd = kTile + 4;

// The stages, or the shares written over them, and room to align the first to 1,024 bytes (the
// swizzle's period, which wgmma's descriptors assume): 97 KB at 3 stages (two blocks an SM).
constexpr int SmemBytes(int stages) {
  return (stages * kStageFloats > kTile * kPartialLd ? stages * kStageFloats
                                                     : kTile * kPartialLd) *
             static_cast<int>(sizeof(float)) +
         1024;
}

// The kernels read their operands through this (the launch's arguments, by value).
struct Args {
  const float* a;
  int64_t a_ss, lda;
  const float* b;
  int64_t b_ss, ldb;
  float* c;
  int64_t c_ss, ldc;
  const float* bias;
  int64_t bias_ss;
  int64_t m, n, k;
};

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

using Kernel = void (*)(Args);

template <int kSplit, int kStages>
constexpr Kernel KernelFor(bool forward) {
  return forward ? ForwardKernel<kSplit, kStages> : InputGradKernel<kSplit, kStages>;
}

// Every instance: (forward, split 1 / 2 / 4, stages 3 / 4).
Kernel Instance(bool forward, int split, int stages) {
  const bool four = stages == 4;
  switch (split) {
    case 1: return four ? KernelFor<1, 4>(forward) : KernelFor<1, 3>(forward);
    case 2: return four ? KernelFor<2, 4>(forward) : KernelFor<2, 3>(forward);
    case 4: return four ? KernelFor<4, 4>(forward) : KernelFor<4, 3>(forward);
  }
  return nullptr;
}

bool Multiple(int64_t v, int64_t of) { return v % of == 0; }
bool Aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Per device: 0 unknown, 1 runs, 2 does not. Devices past the table are asked every time.
constexpr int kDevices = 64;
std::atomic<int> runs_on[kDevices];

}  // namespace

bool SplitKGemmRunsOn(int device) {
  if (device >= 0 && device < kDevices) {
    const int known = runs_on[device].load();
    if (known != 0) return known == 1;
  }
  int major = 0, minor = 0;
  bool runs = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) ==
                  cudaSuccess &&
              cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) ==
                  cudaSuccess &&
              major == 9 && minor == 0;
  if (runs) {
    int current = -1;
    runs = cudaGetDevice(&current) == cudaSuccess;
    // The shared-memory limits are the kernels' on the current device: set them there, which
    // also says whether the sm_90a image loads.
    if (!runs || current != device) return false;  // another device than the current one
    for (bool forward : {false, true}) {
      for (int split : {1, 2, 4}) {
        for (int stages : {3, 4}) {
          runs = runs && cudaFuncSetAttribute(Instance(forward, split, stages),
                                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                                              SmemBytes(stages)) == cudaSuccess;
        }
      }
    }
  }
  if (!runs) cudaGetLastError();  // clear the error the probe left
  if (device >= 0 && device < kDevices) runs_on[device].store(runs ? 1 : 2);
  return runs;
}

int SplitKFor(int64_t seeds, int64_t m, int64_t n, int64_t k, int sms) {
  const int64_t tiles = seeds * ((m + kSplitKTile - 1) / kSplitKTile) * (n / kSplitKTile);
  int split = 1;
  while (split < 4 && tiles * split < sms && Multiple(k, 2 * split * kSplitKStage) &&
         k / (2 * split) >= 2 * kSplitKStage) {
    split *= 2;
  }
  return split;
}

cudaError_t LaunchSplitKGemm(const SplitKGemmArgs& a, cudaStream_t stream) {
  const bool split_ok = a.split == 1 || a.split == 2 || a.split == 4;
  if (a.a == nullptr || a.b == nullptr || a.c == nullptr || a.seeds < 1 || a.seeds > 65535 ||
      a.m < 1 || (a.m + kSplitKTile - 1) / kSplitKTile > 65535 || a.n < kSplitKTile ||
      !Multiple(a.n, kSplitKTile) || a.n / kSplitKTile > 65535 || !split_ok ||
      a.k < a.split * kSplitKStage || !Multiple(a.k, a.split * kSplitKStage) ||
      (a.stages != 3 && a.stages != 4) || a.lda < a.k || a.ldc < a.n ||
      a.ldb < (a.forward ? a.n : a.k) || !Multiple(a.lda, 4) || !Multiple(a.ldb, 4) ||
      !Multiple(a.ldc, 4) || !Multiple(a.a_seed_stride, 4) || !Multiple(a.b_seed_stride, 4) ||
      !Multiple(a.c_seed_stride, 4) || !Aligned16(a.a) || !Aligned16(a.b) || !Aligned16(a.c) ||
      (a.bias != nullptr &&
       (!a.forward || !Aligned16(a.bias) || !Multiple(a.bias_seed_stride, 4)))) {
    return cudaErrorInvalidValue;
  }
  int device = -1;
  const cudaError_t err = cudaGetDevice(&device);
  if (err != cudaSuccess) return err;
  if (!SplitKGemmRunsOn(device)) return cudaErrorNoKernelImageForDevice;
  const Args args{a.a,   a.a_seed_stride, a.lda, a.b,    a.b_seed_stride, a.ldb, a.c,
                  a.c_seed_stride, a.ldc, a.bias, a.bias_seed_stride, a.m, a.n, a.k};
  cudaLaunchConfig_t config = {};
  config.gridDim = dim3(static_cast<unsigned>(a.n / kSplitKTile * a.split),
                        static_cast<unsigned>((a.m + kSplitKTile - 1) / kSplitKTile),
                        static_cast<unsigned>(a.seeds));
  config.blockDim = dim3(kThreads);
  config.dynamicSmemBytes = SmemBytes(a.stages);
  config.stream = stream;
  cudaLaunchAttribute cluster[1];
  cluster[0].id = cudaLaunchAttributeClusterDimension;
  cluster[0].val.clusterDim.x = static_cast<unsigned>(a.split);
  cluster[0].val.clusterDim.y = 1;
  cluster[0].val.clusterDim.z = 1;
  config.attrs = cluster;
  config.numAttrs = 1;
  return cudaLaunchKernelEx(&config, Instance(a.forward, a.split, a.stages), args);
}

}  // namespace cuda_kernels
}  // namespace sg
