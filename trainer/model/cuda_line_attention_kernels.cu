// See cuda_line_attention_kernels.h. One warp per (position, head); within a warp, lane t takes
// key (or query) t of each chunk of 32 for the dot products, and each lane owns one or two of
// the head's dims for the weighted sums, fed by warp shuffles. Every sum runs in a fixed order,
// and the score of a pair is computed by the same expression in all three kernels, so the
// backward recomputes the forward's probabilities bit for bit.
#include "trainer/model/cuda_line_attention_kernels.h"

#include <cmath>

namespace sg {
namespace cuda_kernels {
namespace {

constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = 4;
constexpr unsigned kAllLanes = 0xffffffffu;

__device__ __forceinline__ uint64_t Mix64(uint64_t z) {  // a 64-bit finalizer (splitmix's)
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Which probabilities are kept: a hash of the call's key, the head and the pair's positions.
struct Dropper {
  uint64_t base = 0;
  uint32_t threshold = 0;  // keep iff the pair's 24-bit hash >= threshold
  float inv_keep = 1.0f;
  bool on = false;

  __device__ bool Keep(int64_t h, int64_t i, int64_t j) const {
    const uint64_t x = base ^ (static_cast<uint64_t>(h) << 58) ^
                       (static_cast<uint64_t>(i) << 29) ^ static_cast<uint64_t>(j);
    return static_cast<uint32_t>(Mix64(x) >> 40) >= threshold;
  }
};

__device__ Dropper MakeDropper(const DropoutKey& key, float p) {
  Dropper d;
  d.on = p > 0.0f;
  if (!d.on) return d;
  const uint64_t seed = key.captured ? static_cast<uint64_t>(*key.seed_ptr) : key.seed;
  const uint64_t offset = key.captured
                              ? static_cast<uint64_t>(*key.offset_ptr) + key.offset_intragraph
                              : key.offset;
  d.base = Mix64(seed ^ Mix64(offset));
  d.threshold = static_cast<uint32_t>(static_cast<double>(p) * 16777216.0);  // p * 2^24
  d.inv_keep = 1.0f / (1.0f - p);
  return d;
}

// The line of flattened position i: the last l in [0, lines) with starts[l] <= i.
__device__ int64_t LineOf(const int32_t* starts, int64_t lines, int64_t i) {
  int64_t lo = 0, hi = lines - 1;
  while (lo < hi) {
    const int64_t mid = (lo + hi + 1) / 2;
    if (starts[mid] <= i) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

__device__ __forceinline__ float WarpMax(float x) {
  for (int o = kWarp / 2; o > 0; o /= 2) x = fmaxf(x, __shfl_xor_sync(kAllLanes, x, o));
  return x;
}

__device__ __forceinline__ float WarpSum(float x) {
  for (int o = kWarp / 2; o > 0; o /= 2) x += __shfl_xor_sync(kAllLanes, x, o);
  return x;
}

// sum_d a[d] * b[d] in order: the one expression every kernel uses for a pair's dot products.
template <int DH>
__device__ __forceinline__ float Dot(const float* a, const float* b) {
  float s = 0.0f;
#pragma unroll
  for (int d = 0; d < DH; ++d) s = fmaf(a[d], b[d], s);
  return s;
}

template <int DH>
struct DimsPerLane {  // the head dims each lane owns in a weighted sum
  static constexpr int kValue = (DH + kWarp - 1) / kWarp;
};

template <int DH>
__global__ void __launch_bounds__(kWarp* kWarpsPerBlock)
    ForwardKernel(const float* q, const float* k, const float* v, const int32_t* starts,
                  LineAttentionShape sh, DropoutKey key, float* out, float* lse) {
  __shared__ float q_sh[kWarpsPerBlock][DH];
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int64_t w = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + warp;
  if (w >= sh.positions * sh.heads) return;  // the whole warp
  const int64_t i = w / sh.heads, h = w % sh.heads;
  const int64_t a = starts[LineOf(starts, sh.lines, i)];
  const Dropper drop = MakeDropper(key, sh.dropout);
  for (int d = lane; d < DH; d += kWarp) {
    q_sh[warp][d] = q[i * sh.q_pos + h * sh.q_head + d] * sh.scale;
  }
  __syncwarp();

  constexpr int kDims = DimsPerLane<DH>::kValue;
  float acc[kDims] = {};
  float m = -INFINITY, l = 0.0f;
  for (int64_t base = a; base <= i; base += kWarp) {
    const int64_t j = base + lane;
    const bool valid = j <= i;
    const float s = valid ? Dot<DH>(q_sh[warp], k + j * sh.k_pos + h * sh.k_head) : -INFINITY;
    const float m_new = fmaxf(m, WarpMax(s));  // finite: key `base` is valid
    const float p = valid ? expf(s - m_new) : 0.0f;
    const float corr = expf(m - m_new);
    l = l * corr + WarpSum(p);
    m = m_new;
    const float pd = valid && (!drop.on || drop.Keep(h, i, j)) ? p * drop.inv_keep : 0.0f;
#pragma unroll
    for (int c = 0; c < kDims; ++c) acc[c] *= corr;
    const int n = static_cast<int>(i - base + 1 < kWarp ? i - base + 1 : kWarp);
    for (int t = 0; t < n; ++t) {
      const float pt = __shfl_sync(kAllLanes, pd, t);
      const float* vr = v + (base + t) * sh.v_pos + h * sh.v_head;
#pragma unroll
      for (int c = 0; c < kDims; ++c) {
        const int d = lane + c * kWarp;
        if (d < DH) acc[c] = fmaf(pt, vr[d], acc[c]);
      }
    }
  }
  float* o = out + (i * sh.heads + h) * DH;
#pragma unroll
  for (int c = 0; c < kDims; ++c) {
    const int d = lane + c * kWarp;
    if (d < DH) o[d] = acc[c] / l;
  }
  if (lane == 0) lse[h * sh.positions + i] = m + logf(l);
}

// dQ for query i (and delta_i = dO_i . O_i, which the key kernel reads).
template <int DH>
__global__ void __launch_bounds__(kWarp* kWarpsPerBlock)
    QueryGradKernel(const float* q, const float* k, const float* v, const int32_t* starts,
                    LineAttentionShape sh, DropoutKey key, const float* out, const float* lse,
                    const float* dout, float* delta, float* dq) {
  __shared__ float q_sh[kWarpsPerBlock][DH];
  __shared__ float do_sh[kWarpsPerBlock][DH];
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int64_t w = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + warp;
  if (w >= sh.positions * sh.heads) return;
  const int64_t i = w / sh.heads, h = w % sh.heads;
  const int64_t a = starts[LineOf(starts, sh.lines, i)];
  const Dropper drop = MakeDropper(key, sh.dropout);
  const int64_t row = (i * sh.heads + h) * DH;
  float dot = 0.0f;
  for (int d = lane; d < DH; d += kWarp) {
    q_sh[warp][d] = q[i * sh.q_pos + h * sh.q_head + d] * sh.scale;
    do_sh[warp][d] = dout[row + d];
    dot += dout[row + d] * out[row + d];
  }
  const float delta_i = WarpSum(dot);
  if (lane == 0) delta[h * sh.positions + i] = delta_i;
  const float lse_i = lse[h * sh.positions + i];
  __syncwarp();

  constexpr int kDims = DimsPerLane<DH>::kValue;
  float acc[kDims] = {};
  for (int64_t base = a; base <= i; base += kWarp) {
    const int64_t j = base + lane;
    float ds = 0.0f;
    if (j <= i) {
      const float p = expf(Dot<DH>(q_sh[warp], k + j * sh.k_pos + h * sh.k_head) - lse_i);
      const bool kept = !drop.on || drop.Keep(h, i, j);
      const float dp = kept ? Dot<DH>(do_sh[warp], v + j * sh.v_pos + h * sh.v_head) * drop.inv_keep
                            : 0.0f;
      ds = p * (dp - delta_i);
    }
    const int n = static_cast<int>(i - base + 1 < kWarp ? i - base + 1 : kWarp);
    for (int t = 0; t < n; ++t) {
      const float dst = __shfl_sync(kAllLanes, ds, t);
      const float* kr = k + (base + t) * sh.k_pos + h * sh.k_head;
#pragma unroll
      for (int c = 0; c < kDims; ++c) {
        const int d = lane + c * kWarp;
        if (d < DH) acc[c] = fmaf(dst, kr[d], acc[c]);
      }
    }
  }
#pragma unroll
  for (int c = 0; c < kDims; ++c) {
    const int d = lane + c * kWarp;
    if (d < DH) dq[row + d] = acc[c] * sh.scale;
  }
}

// dK and dV for key j: over the queries from j to the end of j's line.
template <int DH>
__global__ void __launch_bounds__(kWarp* kWarpsPerBlock)
    KeyGradKernel(const float* q, const float* k, const float* v, const int32_t* starts,
                  LineAttentionShape sh, DropoutKey key, const float* lse, const float* dout,
                  const float* delta, float* dk, float* dv) {
  __shared__ float k_sh[kWarpsPerBlock][DH];
  __shared__ float v_sh[kWarpsPerBlock][DH];
  const int warp = threadIdx.x / kWarp, lane = threadIdx.x % kWarp;
  const int64_t w = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + warp;
  if (w >= sh.positions * sh.heads) return;
  const int64_t j = w / sh.heads, h = w % sh.heads;
  const int64_t e = starts[LineOf(starts, sh.lines, j) + 1];
  const Dropper drop = MakeDropper(key, sh.dropout);
  for (int d = lane; d < DH; d += kWarp) {
    k_sh[warp][d] = k[j * sh.k_pos + h * sh.k_head + d];
    v_sh[warp][d] = v[j * sh.v_pos + h * sh.v_head + d];
  }
  __syncwarp();

  constexpr int kDims = DimsPerLane<DH>::kValue;
  float acc_k[kDims] = {}, acc_v[kDims] = {};
  for (int64_t base = j; base < e; base += kWarp) {
    const int64_t i = base + lane;
    float pd = 0.0f, ds = 0.0f;
    if (i < e) {
      float qs[DH];  // q_i scaled as the forward scales it, so the score has the same bits
      const float* qr = q + i * sh.q_pos + h * sh.q_head;
#pragma unroll
      for (int d = 0; d < DH; ++d) qs[d] = qr[d] * sh.scale;
      const float p = expf(Dot<DH>(qs, k_sh[warp]) - lse[h * sh.positions + i]);
      const bool kept = !drop.on || drop.Keep(h, i, j);
      const float dp =
          kept ? Dot<DH>(dout + (i * sh.heads + h) * DH, v_sh[warp]) * drop.inv_keep : 0.0f;
      pd = kept ? p * drop.inv_keep : 0.0f;
      ds = p * (dp - delta[h * sh.positions + i]);
    }
    const int n = static_cast<int>(e - base < kWarp ? e - base : kWarp);
    for (int t = 0; t < n; ++t) {
      const float pdt = __shfl_sync(kAllLanes, pd, t);
      const float dst = __shfl_sync(kAllLanes, ds, t);
      const int64_t it = base + t;
      const float* dor = dout + (it * sh.heads + h) * DH;
      const float* qr = q + it * sh.q_pos + h * sh.q_head;
#pragma unroll
      for (int c = 0; c < kDims; ++c) {
        const int d = lane + c * kWarp;
        if (d < DH) {
          acc_v[c] = fmaf(pdt, dor[d], acc_v[c]);
          acc_k[c] = fmaf(dst, qr[d], acc_k[c]);
        }
      }
    }
  }
  const int64_t row = (j * sh.heads + h) * DH;
#pragma unroll
  for (int c = 0; c < kDims; ++c) {
    const int d = lane + c * kWarp;
    if (d < DH) {
      dk[row + d] = acc_k[c] * sh.scale;
      dv[row + d] = acc_v[c];
    }
  }
}

unsigned Blocks(const LineAttentionShape& sh) {
  return static_cast<unsigned>((sh.positions * sh.heads + kWarpsPerBlock - 1) / kWarpsPerBlock);
}

template <int DH>
cudaError_t Forward(const float* q, const float* k, const float* v, const int32_t* starts,
                    const LineAttentionShape& sh, const DropoutKey& key, float* out, float* lse,
                    cudaStream_t stream) {
  ForwardKernel<DH><<<Blocks(sh), kWarp * kWarpsPerBlock, 0, stream>>>(q, k, v, starts, sh, key,
                                                                         out, lse);
  return cudaGetLastError();
}

template <int DH>
cudaError_t Backward(const float* q, const float* k, const float* v, const int32_t* starts,
                     const LineAttentionShape& sh, const DropoutKey& key, const float* out,
                     const float* lse, const float* dout, float* delta, float* dq, float* dk,
                     float* dv, cudaStream_t stream) {
  QueryGradKernel<DH><<<Blocks(sh), kWarp * kWarpsPerBlock, 0, stream>>>(
      q, k, v, starts, sh, key, out, lse, dout, delta, dq);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return err;
  KeyGradKernel<DH><<<Blocks(sh), kWarp * kWarpsPerBlock, 0, stream>>>(
      q, k, v, starts, sh, key, lse, dout, delta, dk, dv);
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchLineAttentionForward(const float* q, const float* k, const float* v,
                                       const int32_t* seq_starts, const LineAttentionShape& shape,
                                       const DropoutKey& key, float* out, float* lse,
                                       cudaStream_t stream) {
  if (shape.positions == 0 || shape.heads == 0) return cudaSuccess;
  switch (shape.head_dim) {
    case 8: return Forward<8>(q, k, v, seq_starts, shape, key, out, lse, stream);
    case 16: return Forward<16>(q, k, v, seq_starts, shape, key, out, lse, stream);
    case 32: return Forward<32>(q, k, v, seq_starts, shape, key, out, lse, stream);
    case 64: return Forward<64>(q, k, v, seq_starts, shape, key, out, lse, stream);
    default: return cudaErrorInvalidValue;
  }
}

cudaError_t LaunchLineAttentionBackward(const float* q, const float* k, const float* v,
                                        const int32_t* seq_starts, const LineAttentionShape& shape,
                                        const DropoutKey& key, const float* out, const float* lse,
                                        const float* dout, float* delta, float* dq, float* dk,
                                        float* dv, cudaStream_t stream) {
  if (shape.positions == 0 || shape.heads == 0) return cudaSuccess;
  switch (shape.head_dim) {
    case 8:
      return Backward<8>(q, k, v, seq_starts, shape, key, out, lse, dout, delta, dq, dk, dv,
                         stream);
    case 16:
      return Backward<16>(q, k, v, seq_starts, shape, key, out, lse, dout, delta, dq, dk, dv,
                          stream);
    case 32:
      return Backward<32>(q, k, v, seq_starts, shape, key, out, lse, dout, delta, dq, dk, dv,
                          stream);
    case 64:
      return Backward<64>(q, k, v, seq_starts, shape, key, out, lse, dout, delta, dq, dk, dv,
                          stream);
    default:
      return cudaErrorInvalidValue;
  }
}

}  // namespace cuda_kernels
}  // namespace sg
