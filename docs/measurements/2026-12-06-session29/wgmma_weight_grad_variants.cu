// Session 29's variants of the wgmma weight-gradient kernel (measurement only): v0-v6 as
// wgmma_wgrad_probe_variants.cu lists them; v7, the lean form, is the tree's
// trainer/model/cuda_wgmma_weight_grad_kernel.cu. Torch-free.
#include "docs/measurements/2026-12-06-session29/wgmma_weight_grad_variants.h"

#include <atomic>

namespace sg {
namespace cuda_kernels {
namespace {

constexpr int kTile = static_cast<int>(kWgmmaWeightGradTile);
// Summed positions a stage: 32 TF32 values are one 128-byte row of wgmma's widest swizzle.
constexpr int kRowsPerStage = 32;
// Two warpgroups: warpgroup g computes the tile's rows [64 g, 64 g + 64), all 128 columns.
constexpr int kThreads = 256;
constexpr int kStageFloats = kTile * kRowsPerStage;  // one operand's stage: 16 KB
// Two stages of x's and of dy's blocks, plus room to align the first to 1,024 bytes (the
// swizzle's period, which wgmma's descriptors assume).
constexpr int kSmemBytes = 4 * kStageFloats * static_cast<int>(sizeof(float)) + 1024;
constexpr int CopySmemBytes(int raw, int swizzled) {
  return 2 * (raw + swizzled) * kStageFloats * static_cast<int>(sizeof(float)) + 1024;
}

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

__device__ __forceinline__ uint32_t ToTf32(float f) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(f));
  return r;
}

__device__ __forceinline__ float Lane(const float4& v, int j) {
  return j == 0 ? v.x : j == 1 ? v.y : j == 2 ? v.z : v.w;
}

// This thread's 4 x 4 block of a stage: positions r .. r + 3 (zeros at and past `end`: another
// seed's rows, or past the step) of the operand's columns `col` .. col + 3.
__device__ __forceinline__ void LoadBlock(float4 (&v)[4], const float* col, int64_t ld, int64_t r,
                                          int64_t end) {
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    v[i] = r + i < end ? __ldg(reinterpret_cast<const float4*>(col + (r + i) * ld))
                       : make_float4(0.f, 0.f, 0.f, 0.f);
  }
}

// Stores the block transposed: column c0 + j's four positions as one 16-byte chunk of stage row
// c0 + j (the row's 32 positions are 8 chunks; `chunk` is this block's), each chunk moved to
// chunk ^ (row % 8) as the 128-byte swizzle lays it. A warp's lanes 8 at a time cover 4 chunks
// of rows 8 apart in both halves of the swizzle: 8 distinct chunks, so no bank is hit twice.
__device__ __forceinline__ void StoreBlock(float* stage, const float4 (&v)[4], int c0,
                                           int chunk) {
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const int row = c0 + j;
    const uint4 w = make_uint4(ToTf32(Lane(v[0], j)), ToTf32(Lane(v[1], j)),
                               ToTf32(Lane(v[2], j)), ToTf32(Lane(v[3], j)));
    *reinterpret_cast<uint4*>(stage + row * kRowsPerStage + ((chunk ^ (row & 7)) * 4)) = w;
  }
}

// wgmma's shared-memory matrix descriptor for rows of 128 bytes in the 128-byte swizzle, laid
// along the summed dimension: 8-row groups 1,024 bytes apart.
__device__ __forceinline__ uint64_t Descriptor(const float* smem) {
  const uint32_t addr = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  uint64_t d = (addr & 0x3FFFF) >> 4;    // start address
  d |= static_cast<uint64_t>(1) << 16;   // leading byte offset (16 bytes; unused by this layout)
  d |= static_cast<uint64_t>(1024 >> 4) << 32;  // stride byte offset
  d |= static_cast<uint64_t>(1) << 62;   // 128-byte swizzle
  return d;
}

// d (64 x 128 of the tile, this warpgroup's) += a (64 x 8) b (8 x 128)^T in TF32.
__device__ __forceinline__ void Mma(float (&d)[64], uint64_t a, uint64_t b) {
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
      : "l"(a), "l"(b), "r"(1));
}

// Tells the compiler that the accumulators may change under it (wgmma writes them
// asynchronously), so it neither reads them early nor keeps copies across the wait.
__device__ __forceinline__ void FenceAccumulators(float (&d)[64]) {
#pragma unroll
  for (int i = 0; i < 64; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

__device__ __forceinline__ void MmaFence() {
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void MmaCommit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void MmaWait() {
  asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
}
// Ordinary stores into shared memory that wgmma (the async proxy) reads next.
__device__ __forceinline__ void SharedToAsyncProxy() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}


// Raw stages: the copy engine brings a stage's rows as they lie in memory (32 positions x 128
// columns, 16-byte chunks), chunk c of position k stored at chunk c ^ RawSwizzle(k) of the
// stage's row k, so that the transpose's 16-byte reads (4 positions of a column block, 8 lanes
// at a time over 4 position blocks and 2 column blocks) land in 8 distinct bank groups.
__device__ __forceinline__ int RawSwizzle(int k) { return ((k >> 2) & 3) << 1; }
// x's raw stages when wgmma takes x^T from registers: a fragment's single-float reads (8
// columns x 4 positions a warp) land in 32 distinct banks with chunk c of position k at
// c ^ RegisterSwizzle(k).
__device__ __forceinline__ int RegisterSwizzle(int k) { return (k & 3) << 1; }

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
               "r"(valid ? 16 : 0));  // 0: nothing read, the 16 bytes zero-filled
}

__device__ __forceinline__ void CommitCopies() { asm volatile("cp.async.commit_group;\n" ::); }

template <int kPending>
__device__ __forceinline__ void WaitCopies() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

// Queues one operand's raw stage: positions r0 .. r0 + 31 (zeros at and past `end`) of its
// columns [0, 128) from `base` (the tile's first column). A warp copies one position's 512
// contiguous bytes; each thread 4 positions 8 apart.
template <bool kForRegisters = false>
__device__ __forceinline__ void CopyRawStage(float* raw, const float* base, int64_t ld,
                                             int64_t r0, int64_t end) {
  const int chunk = threadIdx.x % 32;
#pragma unroll
  for (int e = 0; e < 4; ++e) {
    const int k = threadIdx.x / 32 + 8 * e;
    const bool valid = r0 + k < end;
    const int64_t r = valid ? r0 + k : r0;  // r0 < end: in bounds, never read when not valid
    const int sw = kForRegisters ? RegisterSwizzle(k) : RawSwizzle(k);
    Copy16(raw + k * kTile + ((chunk ^ sw) << 2), base + r * ld + 4 * chunk, valid);
  }
}

// Moves one operand's raw stage into wgmma's layout: this thread's 4 x 4 block (positions
// kb .. kb + 3, columns cb .. cb + 3) read as four 16-byte rows, written as four 16-byte
// columns (StoreBlock), unrounded: wgmma reads a TF32 operand's upper 19 bits.
__device__ __forceinline__ void TransposeStage(float* stage, const float* raw, int kb, int cb) {
  float4 v[4];
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    const int k = kb + r;
    v[r] = *reinterpret_cast<const float4*>(raw + k * kTile + (((cb >> 2) ^ RawSwizzle(k)) << 2));
  }
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const int row = cb + j;
    *reinterpret_cast<float4*>(stage + row * kRowsPerStage + (((kb >> 2) ^ (row & 7)) << 2)) =
        make_float4(Lane(v[0], j), Lane(v[1], j), Lane(v[2], j), Lane(v[3], j));
  }
}

#endif  // __CUDA_ARCH_FEAT_SM90_ALL

// grid (q / kTile, p / kTile, seeds): the [kTile, kTile] tile of dw[s] at (blockIdx.y,
// blockIdx.x), summed over the seed's rows kRowsPerStage at a time.
__global__ void __launch_bounds__(kThreads, 2)
    WgmmaWeightGradKernel(const __grid_constant__ WgmmaWeightGradArgs args) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  extern __shared__ unsigned char smem_raw[];
  float* smem = reinterpret_cast<float*>(
      (reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~static_cast<uintptr_t>(1023));
  float* const a_stage[2] = {smem, smem + kStageFloats};
  float* const b_stage[2] = {smem + 2 * kStageFloats, smem + 3 * kStageFloats};

  const int64_t s = blockIdx.z;
  const int64_t m_tile = static_cast<int64_t>(blockIdx.y) * kTile;
  const int64_t n_tile = static_cast<int64_t>(blockIdx.x) * kTile;
  const float* x = args.x + s * args.x_seed_stride;
  const float* dy = args.dy + s * args.dy_seed_stride;
  int64_t begin = 0, end = args.rows;
  if (args.offsets != nullptr) {
    begin = args.offsets[s];
    end = args.offsets[s + 1];
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  // This thread's 4 x 4 block of every stage: positions kb .. kb + 3 of the stage, the tile's
  // columns cb .. cb + 3 (of x's p and of dy's q). A warp covers 16 positions x 32 columns.
  const int kb = (warp / 4) * 16 + (lane % 4) * 4;
  const int cb = (warp % 4) * 32 + (lane / 4) * 4;
  const float* x_col = x + m_tile + cb;
  const float* dy_col = dy + n_tile + cb;
  const int group = warp / 4;

  float acc[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) acc[i] = 0.f;

  const int64_t stages = end > begin ? (end - begin + kRowsPerStage - 1) / kRowsPerStage : 0;
  float4 xv[4], dyv[4];
  if (stages > 0) {
    LoadBlock(xv, x_col, args.x_ld, begin + kb, end);
    LoadBlock(dyv, dy_col, args.dy_ld, begin + kb, end);
    StoreBlock(a_stage[0], xv, cb, kb / 4);
    StoreBlock(b_stage[0], dyv, cb, kb / 4);
    SharedToAsyncProxy();
  }
  __syncthreads();
  for (int64_t t = 0; t < stages; ++t) {
    const int cur = static_cast<int>(t & 1);
    const bool more = t + 1 < stages;
    if (more) {  // the next stage's loads fly while this stage's products run
      const int64_t r = begin + (t + 1) * kRowsPerStage + kb;
      LoadBlock(xv, x_col, args.x_ld, r, end);
      LoadBlock(dyv, dy_col, args.dy_ld, r, end);
    }
    FenceAccumulators(acc);
    MmaFence();
    const float* a = a_stage[cur] + group * 64 * kRowsPerStage;
    const float* b = b_stage[cur];
#pragma unroll
    for (int k = 0; k < kRowsPerStage; k += 8) Mma(acc, Descriptor(a + k), Descriptor(b + k));
    MmaCommit();
    if (more) {  // the other stage's last readers finished before the last barrier
      StoreBlock(a_stage[cur ^ 1], xv, cb, kb / 4);
      StoreBlock(b_stage[cur ^ 1], dyv, cb, kb / 4);
      SharedToAsyncProxy();
    }
    MmaWait();
    FenceAccumulators(acc);
    __syncthreads();
  }

  // wgmma's accumulator layout: warp w of the group holds rows 16 w .. 16 w + 15 of the group's
  // 64; lane l row l / 4 and l / 4 + 8, columns 8 j + 2 (l % 4) and the next, for j in 0 .. 15.
  const int64_t row = m_tile + 64 * group + 16 * (warp % 4) + lane / 4;
  float* out = args.dw + s * args.dw_seed_stride + row * args.q + n_tile + 2 * (lane % 4);
#pragma unroll
  for (int j = 0; j < 16; ++j) {
    *reinterpret_cast<float2*>(out + 8 * j) = make_float2(acc[4 * j], acc[4 * j + 1]);
    *reinterpret_cast<float2*>(out + 8 * args.q + 8 * j) =
        make_float2(acc[4 * j + 2], acc[4 * j + 3]);
  }
#endif  // __CUDA_ARCH_FEAT_SM90_ALL
}

// The same product with the stages brought by the copy engine kRaw deep as they lie in memory
// and transposed in shared memory (TransposeStage) into kSwizzled buffers that wgmma reads; with
// two, the next stage's transpose runs while this stage's products do.
template <int kRaw, int kSwizzled>
__global__ void __launch_bounds__(kThreads, kRaw + kSwizzled <= 3 ? 2 : 1)
    WgmmaWeightGradCopyKernel(const __grid_constant__ WgmmaWeightGradArgs args) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  extern __shared__ unsigned char smem_raw[];
  float* smem = reinterpret_cast<float*>(
      (reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~static_cast<uintptr_t>(1023));
  // Swizzled buffer i: x's block at smem + 2 i kStageFloats, dy's after it; then the raw stages.
  float* const raw_base = smem + 2 * kSwizzled * kStageFloats;
  const int64_t s = blockIdx.z;
  const int64_t m_tile = static_cast<int64_t>(blockIdx.y) * kTile;
  const int64_t n_tile = static_cast<int64_t>(blockIdx.x) * kTile;
  const float* x = args.x + s * args.x_seed_stride + m_tile;
  const float* dy = args.dy + s * args.dy_seed_stride + n_tile;
  int64_t begin = 0, end = args.rows;
  if (args.offsets != nullptr) {
    begin = args.offsets[s];
    end = args.offsets[s + 1];
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int group = warp / 4;
  const int kb = (warp / 4) * 16 + (lane % 4) * 4;
  const int cb = (warp % 4) * 32 + (lane / 4) * 4;

  float acc[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) acc[i] = 0.f;

  const int64_t stages = end > begin ? (end - begin + kRowsPerStage - 1) / kRowsPerStage : 0;
  auto copy = [&](int64_t stage) {
    float* raw = raw_base + 2 * (stage % kRaw) * kStageFloats;
    const int64_t r0 = begin + stage * kRowsPerStage;
    CopyRawStage(raw, x, args.x_ld, r0, end);
    CopyRawStage(raw + kStageFloats, dy, args.dy_ld, r0, end);
  };
  auto transpose = [&](int64_t stage) {
    const float* raw = raw_base + 2 * (stage % kRaw) * kStageFloats;
    float* sw = smem + 2 * (stage % kSwizzled) * kStageFloats;
    TransposeStage(sw, raw, kb, cb);
    TransposeStage(sw + kStageFloats, raw + kStageFloats, kb, cb);
    SharedToAsyncProxy();
  };
#pragma unroll
  for (int i = 0; i < kRaw; ++i) {
    if (i < stages) copy(i);
    CommitCopies();  // possibly empty: one group a stage
  }
  if (stages > 0) {
    WaitCopies<kRaw - 1>();
    __syncthreads();
    transpose(0);
  }
  __syncthreads();
  for (int64_t t = 0; t < stages; ++t) {
    // Raw stage t was transposed before the last barrier: its slot takes stage t + kRaw.
    if (t + kRaw < stages) copy(t + kRaw);
    CommitCopies();
    const float* a = smem + 2 * (t % kSwizzled) * kStageFloats + group * 64 * kRowsPerStage;
    const float* b = smem + (2 * (t % kSwizzled) + 1) * kStageFloats;
    FenceAccumulators(acc);
    MmaFence();
#pragma unroll
    for (int k = 0; k < kRowsPerStage; k += 8) Mma(acc, Descriptor(a + k), Descriptor(b + k));
    MmaCommit();
    if (kSwizzled == 1) MmaWait();  // the one buffer is read until then
    if (t + 1 < stages) {
      WaitCopies<kRaw - 1>();  // raw stage t + 1 (this thread's copies)
      __syncthreads();         // everyone's; with one buffer, every group's products done
      transpose(t + 1);
    }
    if (kSwizzled != 1) MmaWait();
    FenceAccumulators(acc);
    __syncthreads();
  }

  const int64_t row = m_tile + 64 * group + 16 * (warp % 4) + lane / 4;
  float* out = args.dw + s * args.dw_seed_stride + row * args.q + n_tile + 2 * (lane % 4);
#pragma unroll
  for (int j = 0; j < 16; ++j) {
    *reinterpret_cast<float2*>(out + 8 * j) = make_float2(acc[4 * j], acc[4 * j + 1]);
    *reinterpret_cast<float2*>(out + 8 * args.q + 8 * j) =
        make_float2(acc[4 * j + 2], acc[4 * j + 3]);
  }
#endif  // __CUDA_ARCH_FEAT_SM90_ALL
}

// The same product with x^T's fragments read from x's raw stages straight into registers (no
// transpose of x, and wgmma reads no x from shared memory); dy transposed as above. Raw stage
// s sits in copy group s: the prologue copies stages 0 .. kRaw - 2, iteration t stage
// t + kRaw - 1 into the slot stage t - 1 left (its fragments read and its dy transposed before
// the last barrier).
template <int kRaw, int kSwizzled>
__global__ void __launch_bounds__(kThreads, 2 * kRaw + kSwizzled <= 7 ? 2 : 1)
    WgmmaWeightGradRegisterKernel(const __grid_constant__ WgmmaWeightGradArgs args) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  extern __shared__ unsigned char smem_raw[];
  float* smem = reinterpret_cast<float*>(
      (reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~static_cast<uintptr_t>(1023));
  // dy's swizzled buffers (kStageFloats each), then the raw stages (x's, then dy's).
  float* const raw_base = smem + kSwizzled * kStageFloats;
  const int64_t s = blockIdx.z;
  const int64_t m_tile = static_cast<int64_t>(blockIdx.y) * kTile;
  const int64_t n_tile = static_cast<int64_t>(blockIdx.x) * kTile;
  const float* x = args.x + s * args.x_seed_stride + m_tile;
  const float* dy = args.dy + s * args.dy_seed_stride + n_tile;
  int64_t begin = 0, end = args.rows;
  if (args.offsets != nullptr) {
    begin = args.offsets[s];
    end = args.offsets[s + 1];
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int group = warp / 4;
  const int kb = (warp / 4) * 16 + (lane % 4) * 4;
  const int cb = (warp % 4) * 32 + (lane / 4) * 4;
  // This thread's rows of x^T in a fragment (columns of x): m_frag and m_frag + 8, positions
  // lane % 4 and lane % 4 + 4 of each 8.
  const int m_frag = 64 * group + 16 * (warp % 4) + lane / 4;

  float acc[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) acc[i] = 0.f;

  const int64_t stages = end > begin ? (end - begin + kRowsPerStage - 1) / kRowsPerStage : 0;
  auto copy = [&](int64_t stage) {
    float* raw = raw_base + 2 * (stage % kRaw) * kStageFloats;
    const int64_t r0 = begin + stage * kRowsPerStage;
    CopyRawStage<true>(raw, x, args.x_ld, r0, end);
    CopyRawStage(raw + kStageFloats, dy, args.dy_ld, r0, end);
  };
  auto transpose = [&](int64_t stage) {
    const float* raw = raw_base + 2 * (stage % kRaw) * kStageFloats;
    TransposeStage(smem + (stage % kSwizzled) * kStageFloats, raw + kStageFloats, kb, cb);
    SharedToAsyncProxy();
  };
  auto x_at = [&](const float* raw, int k, int m) {
    return __float_as_uint(raw[k * kTile + ((((m >> 2) ^ RegisterSwizzle(k))) << 2) + (m & 3)]);
  };
#pragma unroll
  for (int i = 0; i < kRaw - 1; ++i) {
    if (i < stages) copy(i);
    CommitCopies();
  }
  if (stages > 0) {
    WaitCopies<kRaw - 2>();
    __syncthreads();
    transpose(0);
  }
  __syncthreads();
  for (int64_t t = 0; t < stages; ++t) {
    if (t + kRaw - 1 < stages) copy(t + kRaw - 1);
    CommitCopies();
    const float* raw_x = raw_base + 2 * (t % kRaw) * kStageFloats;
    uint32_t a[4][4];
#pragma unroll
    for (int k8 = 0; k8 < 4; ++k8) {
      const int k = 8 * k8 + lane % 4;
      a[k8][0] = x_at(raw_x, k, m_frag);
      a[k8][1] = x_at(raw_x, k, m_frag + 8);
      a[k8][2] = x_at(raw_x, k + 4, m_frag);
      a[k8][3] = x_at(raw_x, k + 4, m_frag + 8);
    }
    const float* b = smem + (t % kSwizzled) * kStageFloats;
    FenceAccumulators(acc);
    MmaFence();
#pragma unroll
    for (int k8 = 0; k8 < 4; ++k8) MmaRegisterA(acc, a[k8], Descriptor(b + 8 * k8));
    MmaCommit();
    if (kSwizzled == 1) MmaWait();
    if (t + 1 < stages) {
      WaitCopies<kRaw - 2>();  // raw stage t + 1 (this thread's copies)
      __syncthreads();
      transpose(t + 1);
    }
    if (kSwizzled != 1) MmaWait();
    FenceAccumulators(acc);
    __syncthreads();
  }

  const int64_t row = m_tile + m_frag;
  float* out = args.dw + s * args.dw_seed_stride + row * args.q + n_tile + 2 * (lane % 4);
#pragma unroll
  for (int j = 0; j < 16; ++j) {
    *reinterpret_cast<float2*>(out + 8 * j) = make_float2(acc[4 * j], acc[4 * j + 1]);
    *reinterpret_cast<float2*>(out + 8 * args.q + 8 * j) =
        make_float2(acc[4 * j + 2], acc[4 * j + 3]);
  }
#endif  // __CUDA_ARCH_FEAT_SM90_ALL
}

constexpr int RegisterSmemBytes(int raw, int swizzled) {
  return (2 * raw + swizzled) * kStageFloats * static_cast<int>(sizeof(float)) + 1024;
}

template <int kRaw, int kSwizzled>
bool SetRegisterSmem() {
  return cudaFuncSetAttribute(WgmmaWeightGradRegisterKernel<kRaw, kSwizzled>,
                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                              RegisterSmemBytes(kRaw, kSwizzled)) == cudaSuccess;
}

template <int kRaw, int kSwizzled>
void LaunchRegister(const dim3& grid, const WgmmaWeightGradArgs& a, cudaStream_t stream) {
  WgmmaWeightGradRegisterKernel<kRaw, kSwizzled>
      <<<grid, kThreads, RegisterSmemBytes(kRaw, kSwizzled), stream>>>(a);
}

template <int kRaw, int kSwizzled>
bool SetSmem() {
  return cudaFuncSetAttribute(WgmmaWeightGradCopyKernel<kRaw, kSwizzled>,
                              cudaFuncAttributeMaxDynamicSharedMemorySize,
                              CopySmemBytes(kRaw, kSwizzled)) == cudaSuccess;
}

template <int kRaw, int kSwizzled>
void LaunchCopy(const dim3& grid, const WgmmaWeightGradArgs& a, cudaStream_t stream) {
  WgmmaWeightGradCopyKernel<kRaw, kSwizzled>
      <<<grid, kThreads, CopySmemBytes(kRaw, kSwizzled), stream>>>(a);
}

bool Multiple(int64_t v, int64_t of) { return v % of == 0; }
bool Aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Per device: 0 unknown, 1 runs, 2 does not. Devices past the table are asked every time.
constexpr int kDevices = 64;
std::atomic<int> runs_on[kDevices];

}  // namespace

bool WgmmaWeightGradRunsOn(int device) {
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
    // The shared-memory limit is the kernel's on the current device: set it there, which also
    // says whether the sm_90a image loads.
    if (runs && current == device) {
      runs = cudaFuncSetAttribute(WgmmaWeightGradKernel,
                                  cudaFuncAttributeMaxDynamicSharedMemorySize,
                                  kSmemBytes) == cudaSuccess &&
             SetSmem<2, 1>() && SetRegisterSmem<3, 1>() && SetRegisterSmem<3, 2>() &&
             SetRegisterSmem<4, 1>() && SetRegisterSmem<4, 2>() && SetRegisterSmem<2, 2>();
    } else {
      return false;  // asked about another device than the current one: not cached
    }
  }
  if (!runs) cudaGetLastError();  // clear the error the probe left
  if (device >= 0 && device < kDevices) runs_on[device].store(runs ? 1 : 2);
  return runs;
}

cudaError_t LaunchWgmmaWeightGrad(const WgmmaWeightGradArgs& a, cudaStream_t stream) {
  const int64_t t = kWgmmaWeightGradTile;
  if (a.x == nullptr || a.dy == nullptr || a.dw == nullptr || a.seeds < 1 || a.seeds > 65535 ||
      a.p < t || a.q < t || !Multiple(a.p, t) || !Multiple(a.q, t) || a.p / t > 65535 ||
      a.q / t > 65535 || a.rows < 0 || a.x_ld < a.p || a.dy_ld < a.q ||
      !Multiple(a.x_ld, 4) || !Multiple(a.dy_ld, 4) || !Multiple(a.x_seed_stride, 4) ||
      !Multiple(a.dy_seed_stride, 4) || !Multiple(a.dw_seed_stride, 4) ||
      a.dw_seed_stride < a.p * a.q || !Aligned16(a.x) || !Aligned16(a.dy) || !Aligned16(a.dw) ||
      (a.offsets != nullptr && (a.x_seed_stride != 0 || a.dy_seed_stride != 0))) {
    return cudaErrorInvalidValue;
  }
  int device = -1;
  const cudaError_t err = cudaGetDevice(&device);
  if (err != cudaSuccess) return err;
  if (!WgmmaWeightGradRunsOn(device)) return cudaErrorNoKernelImageForDevice;
  const dim3 grid(static_cast<unsigned>(a.q / t), static_cast<unsigned>(a.p / t),
                  static_cast<unsigned>(a.seeds));
  switch (a.variant) {
    case 0: WgmmaWeightGradKernel<<<grid, kThreads, kSmemBytes, stream>>>(a); break;
    case 1: LaunchCopy<2, 1>(grid, a, stream); break;
    case 2: LaunchRegister<3, 1>(grid, a, stream); break;
    case 3: LaunchRegister<3, 2>(grid, a, stream); break;
    case 4: LaunchRegister<4, 1>(grid, a, stream); break;
    case 5: LaunchRegister<4, 2>(grid, a, stream); break;
    default: LaunchRegister<2, 2>(grid, a, stream); break;
  }
  return cudaGetLastError();
}

}  // namespace cuda_kernels
}  // namespace sg
