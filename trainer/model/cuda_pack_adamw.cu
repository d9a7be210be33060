// The pack optimizer's kernels (cuda_pack_adamw.h). Torch-free: plain nvcc compiles this file.
#include "trainer/model/cuda_pack_adamw.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace sg {
namespace cuda_kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
// Slots per launch: their table travels as a kernel parameter (below 4 KB); a deeper model's
// slots take several launches.
constexpr int kMaxSlotsPerLaunch = 40;
static_assert(kPackChunk % 4 == 0, "chunks must keep float4 alignment");

// The slots of one launch, passed by value: the graph captures kernel parameters with the
// launch, so no device-side table can go stale between capture and replay.
struct SlotTable {
  const float* grad[kMaxSlotsPerLaunch];
  int64_t grad_seed_stride[kMaxSlotsPerLaunch];
  int64_t offset[kMaxSlotsPerLaunch];
  int64_t numel[kMaxSlotsPerLaunch];
  int64_t chunk_begin[kMaxSlotsPerLaunch];  // this launch's chunk index of each slot's first
  int count = 0;
  int64_t chunks = 0;       // chunks of this launch (per seed)
  int64_t first_chunk = 0;  // index of this launch's first chunk in a seed's row of partials
};

int64_t ChunksOf(int64_t numel) { return (numel + kPackChunk - 1) / kPackChunk; }

// The launches' tables: slots in order, at most kMaxSlotsPerLaunch per table, empty ones left
// out.
template <typename Fn>
cudaError_t ForEachTable(const PackGradSlot* slots, int num_slots, Fn launch) {
  SlotTable t;
  int64_t done = 0;
  auto flush = [&]() -> cudaError_t {
    if (t.count == 0) return cudaSuccess;
    t.first_chunk = done;
    const cudaError_t err = launch(t);
    done += t.chunks;
    t = SlotTable();
    return err;
  };
  for (int i = 0; i < num_slots; ++i) {
    if (slots[i].numel <= 0) continue;
    if (t.count == kMaxSlotsPerLaunch) {
      const cudaError_t err = flush();
      if (err != cudaSuccess) return err;
    }
    t.grad[t.count] = slots[i].grad;
    t.grad_seed_stride[t.count] = slots[i].grad_seed_stride;
    t.offset[t.count] = slots[i].offset;
    t.numel[t.count] = slots[i].numel;
    t.chunk_begin[t.count] = t.chunks;
    t.chunks += ChunksOf(slots[i].numel);
    ++t.count;
  }
  return flush();
}

// The slot holding chunk `chunk` of the table: the last one starting at or before it.
__device__ __forceinline__ int FindSlot(const SlotTable& t, int64_t chunk) {
  int lo = 0, hi = t.count - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (t.chunk_begin[mid] <= chunk) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// Elements of a chunk that starts `left` elements before its slot's end.
__device__ __forceinline__ int ChunkLength(int64_t left) {
  return static_cast<int>(left < kPackChunk ? left : kPackChunk);
}

__device__ __forceinline__ bool Aligned16(const void* p) {
  return (reinterpret_cast<uintptr_t>(p) & 15) == 0;
}

// The block's sum in thread 0, in a fixed order (the same for every launch of the same shape).
template <typename T>
__device__ __forceinline__ T BlockSum(T v, T* shared) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < kWarps ? shared[lane] : T(0);
    for (int o = kWarps / 2; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  }
  return v;
}

// grid (chunks of the table, seeds)
__global__ void __launch_bounds__(kThreads)
    GradSquaredSumsKernel(const __grid_constant__ SlotTable t, int64_t chunks_per_seed,
                          float* partials) {
  const int64_t chunk = blockIdx.x, s = blockIdx.y;
  const int i = FindSlot(t, chunk);
  const int64_t start = (chunk - t.chunk_begin[i]) * kPackChunk;
  const int n = ChunkLength(t.numel[i] - start);
  const float* g = t.grad[i] + s * t.grad_seed_stride[i] + start;
  float acc = 0.f;
  int done = 0;
  if (Aligned16(g)) {
    const int n4 = n / 4;
    const float4* g4 = reinterpret_cast<const float4*>(g);
    for (int k = threadIdx.x; k < n4; k += kThreads) {
      const float4 x = g4[k];
      acc += x.x * x.x + x.y * x.y + x.z * x.z + x.w * x.w;
    }
    done = n4 * 4;
  }
  for (int k = done + threadIdx.x; k < n; k += kThreads) acc += g[k] * g[k];
  __shared__ float shared[kWarps];
  acc = BlockSum(acc, shared);
  if (threadIdx.x == 0) partials[s * chunks_per_seed + t.first_chunk + chunk] = acc;
}

// grid (seeds)
__global__ void __launch_bounds__(kThreads)
    ClipScaleKernel(const float* partials, int64_t chunks, const float* extra,
                    int64_t extra_count, int64_t extra_seed_stride, float inv_clip, float* norm,
                    float* grad_scale, double* norm_acc) {
  const int64_t s = blockIdx.x;
  double acc = 0.0;
  for (int64_t c = threadIdx.x; c < chunks; c += kThreads) acc += partials[s * chunks + c];
  for (int64_t c = threadIdx.x; c < extra_count; c += kThreads) {
    acc += extra[s * extra_seed_stride + c];
  }
  __shared__ double shared[kWarps];
  acc = BlockSum(acc, shared);
  if (threadIdx.x != 0) return;
  const float n = static_cast<float>(sqrt(acc));
  norm[s] = n;
  if (grad_scale != nullptr) {
    // LibTorch: (norm + 1e-6) adds the scalar as a float; dividing by a CPU scalar multiplies
    // by its float reciprocal; clamp_min keeps a NaN.
    const float q = (n + 1e-6f) * inv_clip;
    grad_scale[s] = (isnan(q) || q >= 1.f) ? q : 1.f;
  }
  if (norm_acc != nullptr) norm_acc[s] += static_cast<double>(n);
}

struct AdamWConstants {
  double beta1, beta2, eps, weight_decay;
};

// One element, written as LibTorch's fused AdamW writes it (aten/src/ATen/native/cuda,
// fused_adam_utils.cuh) so that the same float and double operations round the same way:
// weight decay and the moments in double rounded to float, the denominator's sqrt and division
// in float, its eps added in double, the update in float. LibTorch divides the gradient by the
// clip factor in double and rounds to float; one float division gives the same bits (a double
// holds more than 2 x 24 + 2 bits, so rounding the double quotient to float is the correctly
// rounded float quotient) without a double division per element.
__device__ __forceinline__ void AdamWElement(float& p, float g, float& m, float& v, double lr,
                                             float scale, float step_size, float bc2_sqrt,
                                             const AdamWConstants& a) {
  g = g / scale;
  if (a.weight_decay != 0) p = static_cast<float>(p - lr * a.weight_decay * p);
  m = static_cast<float>(a.beta1 * m + (1 - a.beta1) * g);
  v = static_cast<float>(a.beta2 * v + (1 - a.beta2) * g * g);
  const float denom = static_cast<float>((sqrtf(v) / bc2_sqrt) + a.eps);
  p -= step_size * m / denom;
}

// grid (chunks of the table, seeds). Blocks run the chunks and seeds in reverse order of the
// norm pass, so the gradients that pass read last (the ones still in L2) are read first here.
__global__ void __launch_bounds__(kThreads)
    AdamWKernel(const __grid_constant__ SlotTable t, float* param, float* exp_avg,
                float* exp_avg_sq, int64_t row_length, const float* lr_ptr,
                const float* step_ptr, const float* grad_scale, const float* enabled,
                AdamWConstants a) {
  if (enabled != nullptr && *enabled == 0.f) return;  // the whole block: before any barrier
  const int64_t chunk = t.chunks - 1 - blockIdx.x;
  const int64_t s = gridDim.y - 1 - blockIdx.y;
  __shared__ double s_lr;
  __shared__ float s_scale, s_step_size, s_bc2_sqrt;
  if (threadIdx.x == 0) {
    // As LibTorch: the lr read as a double, bias corrections in double rounded to float.
    const double lr = *lr_ptr;
    const float step = *step_ptr;
    const float bc1 = static_cast<float>(1 - pow(a.beta1, static_cast<double>(step)));
    s_bc2_sqrt = static_cast<float>(sqrt(1 - pow(a.beta2, static_cast<double>(step))));
    s_step_size = static_cast<float>(lr / bc1);
    s_lr = lr;
    s_scale = grad_scale != nullptr ? grad_scale[s] : 1.f;  // x / 1 is x
  }
  __syncthreads();
  const double lr = s_lr;
  const float scale = s_scale, step_size = s_step_size, bc2_sqrt = s_bc2_sqrt;

  const int i = FindSlot(t, chunk);
  const int64_t start = (chunk - t.chunk_begin[i]) * kPackChunk;
  const int n = ChunkLength(t.numel[i] - start);
  const int64_t at = s * row_length + t.offset[i] + start;
  float* p = param + at;
  float* m = exp_avg + at;
  float* v = exp_avg_sq + at;
  const float* g = t.grad[i] + s * t.grad_seed_stride[i] + start;
  int done = 0;
  if (Aligned16(p) && Aligned16(m) && Aligned16(v) && Aligned16(g)) {
    const int n4 = n / 4;
    for (int k = threadIdx.x; k < n4; k += kThreads) {
      float4 p4 = reinterpret_cast<float4*>(p)[k];
      float4 m4 = reinterpret_cast<float4*>(m)[k];
      float4 v4 = reinterpret_cast<float4*>(v)[k];
      const float4 g4 = reinterpret_cast<const float4*>(g)[k];
      AdamWElement(p4.x, g4.x, m4.x, v4.x, lr, scale, step_size, bc2_sqrt, a);
      AdamWElement(p4.y, g4.y, m4.y, v4.y, lr, scale, step_size, bc2_sqrt, a);
      AdamWElement(p4.z, g4.z, m4.z, v4.z, lr, scale, step_size, bc2_sqrt, a);
      AdamWElement(p4.w, g4.w, m4.w, v4.w, lr, scale, step_size, bc2_sqrt, a);
      reinterpret_cast<float4*>(p)[k] = p4;
      reinterpret_cast<float4*>(m)[k] = m4;
      reinterpret_cast<float4*>(v)[k] = v4;
    }
    done = n4 * 4;
  }
  for (int k = done + threadIdx.x; k < n; k += kThreads) {
    AdamWElement(p[k], g[k], m[k], v[k], lr, scale, step_size, bc2_sqrt, a);
  }
}

bool SeedsFit(int64_t seeds) { return seeds >= 1 && seeds <= 65535; }  // grid.y

}  // namespace

int64_t PackGradChunks(const PackGradSlot* slots, int num_slots) {
  int64_t chunks = 0;
  for (int i = 0; i < num_slots; ++i) {
    if (slots[i].numel > 0) chunks += ChunksOf(slots[i].numel);
  }
  return chunks;
}

cudaError_t LaunchPackGradSquaredSums(const PackGradSlot* slots, int num_slots, int64_t seeds,
                                      float* partials, cudaStream_t stream) {
  if (!SeedsFit(seeds)) return cudaErrorInvalidValue;
  const int64_t chunks = PackGradChunks(slots, num_slots);
  return ForEachTable(slots, num_slots, [&](const SlotTable& t) {
    const dim3 grid(static_cast<unsigned>(t.chunks), static_cast<unsigned>(seeds));
    GradSquaredSumsKernel<<<grid, kThreads, 0, stream>>>(t, chunks, partials);
    return cudaGetLastError();
  });
}

cudaError_t LaunchPackClipScale(const float* partials, int64_t chunks, int64_t seeds,
                                double clip, float* norm, float* grad_scale, double* norm_acc,
                                cudaStream_t stream) {
  return LaunchPackClipScaleWithSums(partials, chunks, nullptr, 0, 0, seeds, clip, norm,
                                     grad_scale, norm_acc, stream);
}

cudaError_t LaunchPackClipScaleWithSums(const float* partials, int64_t chunks,
                                        const float* extra, int64_t extra_count,
                                        int64_t extra_seed_stride, int64_t seeds, double clip,
                                        float* norm, float* grad_scale, double* norm_acc,
                                        cudaStream_t stream) {
  if (seeds < 1 || (grad_scale != nullptr && !(clip > 0)) || extra_count < 0 ||
      (extra_count > 0 && (extra == nullptr || extra_seed_stride < extra_count))) {
    return cudaErrorInvalidValue;
  }
  const float inv_clip = grad_scale != nullptr ? 1.0f / static_cast<float>(clip) : 0.f;
  ClipScaleKernel<<<static_cast<unsigned>(seeds), kThreads, 0, stream>>>(
      partials, chunks, extra, extra_count, extra_seed_stride, inv_clip, norm, grad_scale,
      norm_acc);
  return cudaGetLastError();
}

cudaError_t LaunchPackAdamW(const PackAdamWArgs& args, cudaStream_t stream) {
  if (!SeedsFit(args.seeds) || args.lr == nullptr || args.step == nullptr) {
    return cudaErrorInvalidValue;
  }
  const AdamWConstants a{args.beta1, args.beta2, args.eps, args.weight_decay};
  // The tables in reverse too (see AdamWKernel).
  const int per = kMaxSlotsPerLaunch;
  for (int end = args.num_slots; end > 0;) {
    // The last group of at most `per` non-empty slots ending at `end`.
    int begin = end, count = 0;
    while (begin > 0 && count < per) {
      --begin;
      if (args.slots[begin].numel > 0) ++count;
    }
    const cudaError_t err =
        ForEachTable(args.slots + begin, end - begin, [&](const SlotTable& t) {
          const dim3 grid(static_cast<unsigned>(t.chunks), static_cast<unsigned>(args.seeds));
          AdamWKernel<<<grid, kThreads, 0, stream>>>(t, args.param, args.exp_avg,
                                                     args.exp_avg_sq, args.row_length, args.lr,
                                                     args.step, args.grad_scale, args.enabled,
                                                     a);
          return cudaGetLastError();
        });
    if (err != cudaSuccess) return err;
    end = begin;
  }
  return cudaSuccess;
}

}  // namespace cuda_kernels
}  // namespace sg
