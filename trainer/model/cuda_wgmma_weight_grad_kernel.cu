// The layers' weight gradients by wgmma (cuda_wgmma_weight_grad_kernel.h). Torch-free.
#include "trainer/model/cuda_wgmma_weight_grad_kernel.h"

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
// Raw stages in flight: stage t + 2 is copied while stage t's products run and stage t + 1 is
// transposed (a fourth gave nothing in the session-29 probe; one less exposed the copies).
constexpr int kRawStages = 3;
// dy's swizzled stage, kRawStages raw stages of x and dy, and room to align the first to 1,024
// bytes (the swizzle's period, which wgmma's descriptors assume): 113 KB, two blocks an SM.
constexpr int kSmemBytes =
    (1 + 2 * kRawStages) * kStageFloats * static_cast<int>(sizeof(float)) + 1024;

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

__device__ __forceinline__ float Lane(const float4& v, int j) {
  return j == 0 ? v.x : j == 1 ? v.y : j == 2 ? v.z : v.w;
}

// wgmma's shared-memory matrix descriptor (for dy's swizzled stage, its B) for rows of 128
// bytes in the 128-byte swizzle, laid along the summed dimension: 8-row groups 1,024 bytes
// apart. Its start address field counts 16 bytes, so + 2 moves it 8 positions on.
__device__ __forceinline__ uint64_t Descriptor(const float* smem) {
  const uint32_t addr = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  uint64_t d = (addr & 0x3FFFF) >> 4;    // start address
  d |= static_cast<uint64_t>(1) << 16;   // leading byte offset (16 bytes; unused by this layout)
  d |= static_cast<uint64_t>(1024 >> 4) << 32;  // stride byte offset
  d |= static_cast<uint64_t>(1) << 62;   // 128-byte swizzle
  return d;
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
// columns, 16-byte chunks). dy's chunk c of position k is stored at chunk c ^ RawSwizzle(k) of
// the stage's row k, so that the transpose's 16-byte reads (4 positions of a column block, 8
// lanes at a time over 4 position blocks and 2 column blocks) land in 8 distinct bank groups.
__device__ __forceinline__ int RawSwizzle(int k) { return ((k >> 2) & 3) << 1; }
// x's chunk c of position k is stored at c ^ RegisterSwizzle(k), so that a fragment's
// single-float reads (8 columns x 4 positions a warp) land in 32 distinct banks.
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

#endif  // __CUDA_ARCH_FEAT_SM90_ALL

// grid (q / kTile, p / kTile, seeds): the [kTile, kTile] tile of dw[s] at (blockIdx.y,
// blockIdx.x), summed over the seed's rows kRowsPerStage at a time. Each stage: the copy engine
// brings x's and dy's rows as they lie (cp.async, kRawStages deep); x^T's fragments go from
// there straight into registers (wgmma's A), dy's block is transposed into the one swizzled
// buffer that wgmma reads as B. Every shared-memory offset and the copies' row pointers are
// worked out once per thread, slots counted without divisions, and stages wholly inside the
// seed's rows copied without per-row checks. Raw stage i sits in copy group i: the prologue
// copies stages 0 .. kRawStages - 2, iteration t stage t + kRawStages - 1 into the slot stage
// t - 1 left (its fragments read and its dy transposed before the last barrier).
__global__ void __launch_bounds__(kThreads, 2)
    WgmmaWeightGradKernel(const __grid_constant__ WgmmaWeightGradArgs args) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  extern __shared__ unsigned char smem_raw[];
  float* const smem = reinterpret_cast<float*>(
      (reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~static_cast<uintptr_t>(1023));
  float* const swizzled = smem;                 // dy's stage in wgmma's layout
  float* const raw_base = smem + kStageFloats;  // raw stage i: x's block, then dy's
  const int64_t s = blockIdx.z;
  const int64_t m_tile = static_cast<int64_t>(blockIdx.y) * kTile;
  const int64_t n_tile = static_cast<int64_t>(blockIdx.x) * kTile;
  int64_t begin = 0, end = args.rows;
  if (args.offsets != nullptr) {
    begin = args.offsets[s];
    end = args.offsets[s + 1];
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int group = warp / 4;

  // Copies: this thread's positions warp + 8 e (e < 4) of a stage, 16-byte chunk `lane`.
  const int64_t x_ld = args.x_ld, dy_ld = args.dy_ld;
  const float* gx = args.x + s * args.x_seed_stride + m_tile + 4 * lane + (begin + warp) * x_ld;
  const float* gdy =
      args.dy + s * args.dy_seed_stride + n_tile + 4 * lane + (begin + warp) * dy_ld;
  const int copy_x = warp * kTile + ((lane ^ RegisterSwizzle(warp)) << 2);
  int copy_dy[4];
#pragma unroll
  for (int e = 0; e < 4; ++e) {
    const int k = warp + 8 * e;
    copy_dy[e] = k * kTile + ((lane ^ RawSwizzle(k)) << 2);
  }
  // x^T's fragments: rows m_frag and m_frag + 8 of the tile, positions lane % 4 (+ 4, + 8 k8).
  const int m_frag = 64 * group + 16 * (warp % 4) + lane / 4;
  const int t4 = lane % 4;
  const int frag0 = t4 * kTile + ((((m_frag >> 2) ^ RegisterSwizzle(t4))) << 2) + (m_frag & 3);
  const int frag1 =
      t4 * kTile + (((((m_frag + 8) >> 2) ^ RegisterSwizzle(t4))) << 2) + ((m_frag + 8) & 3);
  // dy's transpose: this thread's 4 x 4 block (positions kb .., columns cb ..).
  const int kb = (warp / 4) * 16 + (lane % 4) * 4;
  const int cb = (warp % 4) * 32 + (lane / 4) * 4;
  const int read_dy = kb * kTile + (((cb >> 2) ^ RawSwizzle(kb)) << 2);
  int write_dy[4];
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const int row = cb + j;
    write_dy[j] = row * kRowsPerStage + (((kb >> 2) ^ (row & 7)) << 2);
  }

  float acc[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) acc[i] = 0.f;

  const int stages =
      end > begin ? static_cast<int>((end - begin + kRowsPerStage - 1) / kRowsPerStage) : 0;
  int copy_slot = 0;
  int64_t copy_row = begin;  // the first position of the next stage to copy
  auto copy = [&]() {
    float* raw = raw_base + 2 * copy_slot * kStageFloats;
    const int64_t avail = end - copy_row;  // positions left in the seed, > 0
    if (avail >= kRowsPerStage) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        Copy16(raw + copy_x + 8 * e * kTile, gx + 8 * e * x_ld, true);
        Copy16(raw + kStageFloats + copy_dy[e], gdy + 8 * e * dy_ld, true);
      }
    } else {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const bool valid = warp + 8 * e < avail;
        const int64_t back = valid ? 0 : warp + 8 * e;  // at the stage's first row: in bounds
        Copy16(raw + copy_x + 8 * e * kTile, gx + (8 * e - back) * x_ld, valid);
        Copy16(raw + kStageFloats + copy_dy[e], gdy + (8 * e - back) * dy_ld, valid);
      }
    }
    gx += kRowsPerStage * x_ld;
    gdy += kRowsPerStage * dy_ld;
    copy_row += kRowsPerStage;
    copy_slot = copy_slot + 1 == kRawStages ? 0 : copy_slot + 1;
  };
  // The bias gradient: blocks of the first row of tiles sum their dy columns, thread t column
  // t % 128 over the stage's positions 16 (t / 128) .. + 15, the two halves added at the end.
  const bool sum_columns = args.db != nullptr && blockIdx.y == 0;
  const int column = threadIdx.x % kTile, half = threadIdx.x / kTile;
  float column_sum = 0.f;
  auto transpose = [&](const float* raw) {
    if (sum_columns) {
      const float* d = raw + kStageFloats;
#pragma unroll
      for (int i = 0; i < kRowsPerStage / 2; ++i) {
        const int k = 16 * half + i;
        column_sum += d[k * kTile + (((column >> 2) ^ RawSwizzle(k)) << 2) + (column & 3)];
      }
    }
    const float* r = raw + kStageFloats + read_dy;
    float4 v[4];
#pragma unroll
    for (int i = 0; i < 4; ++i) v[i] = *reinterpret_cast<const float4*>(r + i * kTile);
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      *reinterpret_cast<float4*>(swizzled + write_dy[j]) =
          make_float4(Lane(v[0], j), Lane(v[1], j), Lane(v[2], j), Lane(v[3], j));
    }
    SharedToAsyncProxy();
  };
#pragma unroll
  for (int i = 0; i < kRawStages - 1; ++i) {
    if (i < stages) copy();
    CommitCopies();
  }
  int read_slot = 0;
  if (stages > 0) {
    WaitCopies<kRawStages - 2>();
    __syncthreads();
    transpose(raw_base);
  }
  __syncthreads();
  const uint64_t b_desc = Descriptor(swizzled);
  for (int t = 0; t < stages; ++t) {
    if (t + kRawStages - 1 < stages) copy();
    CommitCopies();
    const float* raw_x = raw_base + 2 * read_slot * kStageFloats;
    uint32_t a[4][4];
#pragma unroll
    for (int k8 = 0; k8 < 4; ++k8) {
      a[k8][0] = __float_as_uint(raw_x[frag0 + 8 * k8 * kTile]);
      a[k8][1] = __float_as_uint(raw_x[frag1 + 8 * k8 * kTile]);
      a[k8][2] = __float_as_uint(raw_x[frag0 + (8 * k8 + 4) * kTile]);
      a[k8][3] = __float_as_uint(raw_x[frag1 + (8 * k8 + 4) * kTile]);
    }
    FenceAccumulators(acc);
    MmaFence();
#pragma unroll
    for (int k8 = 0; k8 < 4; ++k8) MmaRegisterA(acc, a[k8], b_desc + 2 * k8);  // + 32 bytes
    MmaCommit();
    MmaWait();  // the one swizzled buffer is read until then
    read_slot = read_slot + 1 == kRawStages ? 0 : read_slot + 1;
    if (t + 1 < stages) {
      WaitCopies<kRawStages - 2>();  // raw stage t + 1 (this thread's copies)
      __syncthreads();         // everyone's landed; every group's products done
      transpose(raw_base + 2 * read_slot * kStageFloats);
    }
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
  if (sum_columns) {  // the two halves of each column, in a fixed order
    float* halves = smem + kStageFloats;  // past the warp sums below; every read has ended
    if (half == 1) halves[column] = column_sum;
    __syncthreads();
    if (half == 0) args.db[s * args.db_seed_stride + n_tile + column] = column_sum + halves[column];
  }
  if (args.tile_sums != nullptr) {  // the tile's sum of squares, in a fixed order
    float sum = 0.f;
#pragma unroll
    for (int i = 0; i < 64; ++i) sum += acc[i] * acc[i];
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) sum += __shfl_down_sync(0xffffffffu, sum, o);
    float* warp_sums = smem;  // every stage's reads ended before the loop's last barrier
    if (lane == 0) warp_sums[warp] = sum;
    __syncthreads();
    if (threadIdx.x == 0) {
      float total = 0.f;
      for (int w = 0; w < kThreads / 32; ++w) total += warp_sums[w];
      args.tile_sums[s * args.tile_sums_seed_stride + blockIdx.y * gridDim.x + blockIdx.x] =
          total;
    }
  }
#endif  // __CUDA_ARCH_FEAT_SM90_ALL
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
                                  kSmemBytes) == cudaSuccess;
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
      (a.offsets != nullptr && (a.x_seed_stride != 0 || a.dy_seed_stride != 0)) ||
      (a.tile_sums != nullptr && a.tile_sums_seed_stride < (a.p / t) * (a.q / t)) ||
      (a.db != nullptr && a.db_seed_stride < a.q)) {
    return cudaErrorInvalidValue;
  }
  int device = -1;
  const cudaError_t err = cudaGetDevice(&device);
  if (err != cudaSuccess) return err;
  if (!WgmmaWeightGradRunsOn(device)) return cudaErrorNoKernelImageForDevice;
  const dim3 grid(static_cast<unsigned>(a.q / t), static_cast<unsigned>(a.p / t),
                  static_cast<unsigned>(a.seeds));
  WgmmaWeightGradKernel<<<grid, kThreads, kSmemBytes, stream>>>(a);
  return cudaGetLastError();
}

}  // namespace cuda_kernels
}  // namespace sg
