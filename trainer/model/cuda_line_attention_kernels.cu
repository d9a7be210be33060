// See cuda_line_attention_kernels.h. Flash-attention-style tiles in fp32: each block holds a
// 64 x 64 tile of scores of one head in registers and shared memory, so each key and value is
// read from memory once per query tile rather than once per query. Every sum runs in a fixed
// order, and the score of a pair is computed by the same expression in all three kernels.
#include "trainer/model/cuda_line_attention_kernels.h"

#include <cmath>

#include "trainer/model/cuda_dropout_hash.cuh"

namespace sg {
namespace cuda_kernels {
namespace {

constexpr unsigned kAllLanes = 0xffffffffu;

// Which probabilities are kept: a hash of the call's key, the head and the pair's positions.
struct Dropper {
  uint64_t base = 0;
  uint32_t threshold = 0;  // keep iff the pair's 24-bit hash >= threshold
  float inv_keep = 1.0f;
  bool on = false;

  __device__ bool Keep(int64_t h, int64_t i, int64_t j) const {
    const uint64_t x = (static_cast<uint64_t>(h) << 58) ^ (static_cast<uint64_t>(i) << 29) ^
                       static_cast<uint64_t>(j);
    return DropoutKeeps(base, x, threshold);
  }
};

__device__ Dropper MakeDropper(const DropoutKey& key, float p) {
  Dropper d;
  d.on = p > 0.0f;
  if (!d.on) return d;
  d.base = DropoutBase(key);
  d.threshold = DropoutThreshold(p);
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

// Tiles of 64 queries by 64 keys of one head; 256 threads as 16 x 16, thread (ty, tx) owning
// rows ty*4 .. ty*4+3 of a score tile and columns tx, tx+16, tx+32, tx+48, and in the weighted
// sums the same rows and head dims tx*D .. tx*D+D-1 (D = DH/16). A row's 16 threads are 16 lanes
// of one warp, so a row's max and sum are shuffles within those lanes. Shared memory is read
// four floats at a time (rows padded to a multiple of 4 floats, so that the 8 threads of each
// quarter-warp read different banks): a quarter of the load instructions, though on the H200
// the kernels took about as long as with single floats (docs/performance.md).
constexpr int kTile = 64;
constexpr int kThreads = 256;
constexpr int kSide = 16;                  // threads along each side of a tile
constexpr int kPer = kTile / kSide;        // rows (and columns) per thread
constexpr int kScoreStride = kTile + 4;    // a score tile's row stride in shared memory

template <int DH>
struct Tiles {
  static constexpr int kStride = DH + 4;  // an operand tile's row stride: conflict-free columns
  static constexpr int kOperand = kTile * kStride;
  static constexpr int kScore = kTile * kScoreStride;
  static constexpr int kDims = DH >= kSide ? DH / kSide : 1;  // head dims per thread in sums
};

__device__ __forceinline__ float RowMax(float x) {  // over the 16 lanes of a row
  for (int o = kSide / 2; o > 0; o /= 2) x = fmaxf(x, __shfl_xor_sync(kAllLanes, x, o));
  return x;
}

__device__ __forceinline__ float RowSum(float x) {
  for (int o = kSide / 2; o > 0; o /= 2) x += __shfl_xor_sync(kAllLanes, x, o);
  return x;
}

// Copies rows [first, first + kTile) of x (position stride pos, head offset head_off) into a
// tile, times mul; rows at or past `end` are zero, so that a masked score never meets garbage.
template <int DH>
__device__ void LoadTile(float* tile, const float* x, int64_t pos, int64_t head_off,
                         int64_t first, int64_t end, float mul) {
  for (int e = threadIdx.x; e < kTile * DH; e += kThreads) {
    const int r = e / DH, d = e % DH;
    const int64_t i = first + r;
    tile[r * Tiles<DH>::kStride + d] = i < end ? x[i * pos + head_off + d] * mul : 0.0f;
  }
}

// s[a][b] = sum_d A[row a][d] * B[col b][d], d in order from 0 with fmaf: the one expression
// every kernel uses for a pair's scores (and for dO . V), so they agree bit for bit.
template <int DH>
__device__ __forceinline__ void TileDots(const float* A, int a_row0, const float* B, int b_col0,
                                         float (&s)[kPer][kPer]) {
  constexpr int st = Tiles<DH>::kStride;
#pragma unroll
  for (int a = 0; a < kPer; ++a) {
#pragma unroll
    for (int b = 0; b < kPer; ++b) s[a][b] = 0.0f;
  }
#pragma unroll 2
  for (int d = 0; d < DH; d += 4) {
    float4 av[kPer], bv[kPer];
#pragma unroll
    for (int a = 0; a < kPer; ++a) {
      av[a] = *reinterpret_cast<const float4*>(A + (a_row0 + a) * st + d);
    }
#pragma unroll
    for (int b = 0; b < kPer; ++b) {
      bv[b] = *reinterpret_cast<const float4*>(B + (b_col0 + b * kSide) * st + d);
    }
#pragma unroll
    for (int a = 0; a < kPer; ++a) {
#pragma unroll
      for (int b = 0; b < kPer; ++b) {
        s[a][b] = fmaf(av[a].x, bv[b].x, s[a][b]);
        s[a][b] = fmaf(av[a].y, bv[b].y, s[a][b]);
        s[a][b] = fmaf(av[a].z, bv[b].z, s[a][b]);
        s[a][b] = fmaf(av[a].w, bv[b].w, s[a][b]);
      }
    }
  }
}

// The block's dynamic shared memory, 16-byte aligned for the float4 reads.
__device__ __forceinline__ float* SharedFloats() {
  extern __shared__ float4 shared_float4s[];
  return reinterpret_cast<float*>(shared_float4s);
}

// The first head dim thread column tx owns in the weighted sums (Tiles::kDims from there).
template <int DH>
__device__ __forceinline__ int FirstDim(int tx) {
  return tx * Tiles<DH>::kDims;
}

// The kDims floats of row t of X from dim `d0`, zero past DH.
template <int DH>
__device__ __forceinline__ void LoadDims(const float* X, int t, int d0,
                                         float (&x)[Tiles<DH>::kDims]) {
  constexpr int st = Tiles<DH>::kStride, nd = Tiles<DH>::kDims;
  if constexpr (nd == 4) {
    const float4 v = *reinterpret_cast<const float4*>(X + t * st + d0);
    x[0] = v.x;
    x[1] = v.y;
    x[2] = v.z;
    x[3] = v.w;
  } else {
#pragma unroll
    for (int c = 0; c < nd; ++c) x[c] = d0 + c < DH ? X[t * st + d0 + c] : 0.0f;
  }
}

// acc[a][c] += sum_{t < n} W[row a][t] * X[t][dim c], t in order. Columns of W and rows of X
// past n up to the next multiple of 4 are zero (the kernels write and load them so).
template <int DH>
__device__ __forceinline__ void TileWeightedSum(const float* W, int row0, const float* X, int n,
                                                float (&acc)[kPer][Tiles<DH>::kDims]) {
  constexpr int nd = Tiles<DH>::kDims;
  const int d0 = FirstDim<DH>(threadIdx.x % kSide);
  for (int t = 0; t < n; t += 4) {
    float4 w[kPer];
#pragma unroll
    for (int a = 0; a < kPer; ++a) {
      w[a] = *reinterpret_cast<const float4*>(W + (row0 + a) * kScoreStride + t);
    }
    float x[4][nd];
#pragma unroll
    for (int u = 0; u < 4; ++u) LoadDims<DH>(X, t + u, d0, x[u]);
#pragma unroll
    for (int a = 0; a < kPer; ++a) {
#pragma unroll
      for (int c = 0; c < nd; ++c) {
        acc[a][c] = fmaf(w[a].x, x[0][c], acc[a][c]);
        acc[a][c] = fmaf(w[a].y, x[1][c], acc[a][c]);
        acc[a][c] = fmaf(w[a].z, x[2][c], acc[a][c]);
        acc[a][c] = fmaf(w[a].w, x[3][c], acc[a][c]);
      }
    }
  }
}

// Block (query tile, head): an online softmax over the key tiles from the first query's line
// start to the last query.
template <int DH>
__global__ void __launch_bounds__(kThreads)
    ForwardKernel(const float* q, const float* k, const float* v, const int32_t* starts,
                  LineAttentionShape sh, DropoutKey key, float* out, float* lse) {
  using T = Tiles<DH>;
  float* smem = SharedFloats();
  float* qs = smem;
  float* ks = qs + T::kOperand;
  float* vs = ks + T::kOperand;
  float* ps = vs + T::kOperand;
  __shared__ int64_t row_start[kTile];
  const int ty = threadIdx.x / kSide, tx = threadIdx.x % kSide, r0 = ty * kPer;
  const int64_t M = sh.positions, h = blockIdx.y, q0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const int64_t last = (q0 + kTile < M ? q0 + kTile : M) - 1;
  const Dropper drop = MakeDropper(key, sh.dropout);
  LoadTile<DH>(qs, q, sh.q_pos, h * sh.q_head, q0, M, sh.scale);
  for (int r = threadIdx.x; r < kTile; r += kThreads) {
    row_start[r] = q0 + r < M ? starts[LineOf(starts, sh.lines, q0 + r)] : M;
  }
  __syncthreads();

  float m[kPer], l[kPer], acc[kPer][T::kDims] = {};
#pragma unroll
  for (int a = 0; a < kPer; ++a) {
    m[a] = -INFINITY;
    l[a] = 0.0f;
  }
  for (int64_t kb = row_start[0]; kb <= last; kb += kTile) {
    __syncthreads();  // the previous tile's readers are done
    LoadTile<DH>(ks, k, sh.k_pos, h * sh.k_head, kb, last + 1, 1.0f);
    LoadTile<DH>(vs, v, sh.v_pos, h * sh.v_head, kb, last + 1, 1.0f);
    __syncthreads();
    float s[kPer][kPer];
    TileDots<DH>(qs, r0, ks, tx, s);
#pragma unroll
    for (int a = 0; a < kPer; ++a) {
      const int64_t i = q0 + r0 + a;
      bool valid[kPer];
      float mt = -INFINITY;
#pragma unroll
      for (int b = 0; b < kPer; ++b) {
        const int64_t j = kb + tx + b * kSide;
        valid[b] = j <= i && j >= row_start[r0 + a];
        if (valid[b]) mt = fmaxf(mt, s[a][b]);
      }
      const float m_new = fmaxf(m[a], RowMax(mt));
      const bool any = m_new != -INFINITY;  // else nothing of this row in this tile yet
      const float corr = any ? expf(m[a] - m_new) : 1.0f;
      float sum = 0.0f;
#pragma unroll
      for (int b = 0; b < kPer; ++b) {
        const float p = valid[b] ? expf(s[a][b] - m_new) : 0.0f;
        sum += p;
        const int64_t j = kb + tx + b * kSide;
        ps[(r0 + a) * kScoreStride + tx + b * kSide] =
            valid[b] && (!drop.on || drop.Keep(h, i, j)) ? p * drop.inv_keep : 0.0f;
      }
      l[a] = l[a] * corr + RowSum(sum);
      m[a] = m_new;
#pragma unroll
      for (int c = 0; c < T::kDims; ++c) acc[a][c] *= corr;
    }
    __syncthreads();
    const int n = static_cast<int>(last - kb + 1 < kTile ? last - kb + 1 : kTile);
    TileWeightedSum<DH>(ps, r0, vs, n, acc);
  }
#pragma unroll
  for (int a = 0; a < kPer; ++a) {
    const int64_t i = q0 + r0 + a;
    if (i >= M) continue;
    float* o = out + (i * sh.heads + h) * DH;
#pragma unroll
    for (int c = 0; c < T::kDims; ++c) {
      const int d = FirstDim<DH>(tx) + c;
      if (d < DH) o[d] = acc[a][c] / l[a];
    }
    if (tx == 0) lse[h * M + i] = m[a] + logf(l[a]);
  }
}

// The dropped probability and the score's gradient of pair (i, j), given its score s and
// dO_i . V_j (dp), as both backward kernels compute them.
struct PairGrad {
  float pd, ds;
};

__device__ __forceinline__ PairGrad GradOfPair(const Dropper& drop, bool valid, int64_t h,
                                               int64_t i, int64_t j, float s, float dp,
                                               float lse_i, float delta_i) {
  if (!valid) return {0.0f, 0.0f};
  const float p = expf(s - lse_i);
  const bool kept = !drop.on || drop.Keep(h, i, j);
  const float dpk = kept ? dp * drop.inv_keep : 0.0f;
  return {kept ? p * drop.inv_keep : 0.0f, p * (dpk - delta_i)};
}

// Block (query tile, head): dQ over the same key tiles as the forward, and delta = dO . O.
template <int DH>
__global__ void __launch_bounds__(kThreads)
    QueryGradKernel(const float* q, const float* k, const float* v, const int32_t* starts,
                    LineAttentionShape sh, DropoutKey key, const float* out, const float* lse,
                    const float* dout, float* delta, float* dq) {
  using T = Tiles<DH>;
  float* smem = SharedFloats();
  float* qs = smem;
  float* dos = qs + T::kOperand;
  float* ks = dos + T::kOperand;
  float* vs = ks + T::kOperand;
  float* dss = vs + T::kOperand;
  __shared__ int64_t row_start[kTile];
  __shared__ float row_lse[kTile], row_delta[kTile];
  const int ty = threadIdx.x / kSide, tx = threadIdx.x % kSide, r0 = ty * kPer;
  const int64_t M = sh.positions, H = sh.heads, h = blockIdx.y;
  const int64_t q0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const int64_t last = (q0 + kTile < M ? q0 + kTile : M) - 1;
  const Dropper drop = MakeDropper(key, sh.dropout);
  LoadTile<DH>(qs, q, sh.q_pos, h * sh.q_head, q0, M, sh.scale);
  LoadTile<DH>(dos, dout, H * DH, h * DH, q0, M, 1.0f);
  LoadTile<DH>(ks, out, H * DH, h * DH, q0, M, 1.0f);  // O, for delta only
  __syncthreads();
  for (int r = threadIdx.x; r < kTile; r += kThreads) {
    const int64_t i = q0 + r;
    float dot = 0.0f;
    for (int d = 0; d < DH; ++d) dot = fmaf(dos[r * T::kStride + d], ks[r * T::kStride + d], dot);
    row_delta[r] = dot;
    row_lse[r] = i < M ? lse[h * M + i] : 0.0f;
    row_start[r] = i < M ? starts[LineOf(starts, sh.lines, i)] : M;
    if (i < M) delta[h * M + i] = dot;
  }
  __syncthreads();

  float acc[kPer][T::kDims] = {};
  for (int64_t kb = row_start[0]; kb <= last; kb += kTile) {
    __syncthreads();
    LoadTile<DH>(ks, k, sh.k_pos, h * sh.k_head, kb, last + 1, 1.0f);
    LoadTile<DH>(vs, v, sh.v_pos, h * sh.v_head, kb, last + 1, 1.0f);
    __syncthreads();
    float s[kPer][kPer], dp[kPer][kPer];
    TileDots<DH>(qs, r0, ks, tx, s);
    TileDots<DH>(dos, r0, vs, tx, dp);
#pragma unroll
    for (int a = 0; a < kPer; ++a) {
      const int64_t i = q0 + r0 + a;
#pragma unroll
      for (int b = 0; b < kPer; ++b) {
        const int64_t j = kb + tx + b * kSide;
        const bool valid = j <= i && j >= row_start[r0 + a];
        dss[(r0 + a) * kScoreStride + tx + b * kSide] =
            GradOfPair(drop, valid, h, i, j, s[a][b], dp[a][b], row_lse[r0 + a],
                       row_delta[r0 + a]).ds;
      }
    }
    __syncthreads();
    const int n = static_cast<int>(last - kb + 1 < kTile ? last - kb + 1 : kTile);
    TileWeightedSum<DH>(dss, r0, ks, n, acc);
  }
#pragma unroll
  for (int a = 0; a < kPer; ++a) {
    const int64_t i = q0 + r0 + a;
    if (i >= M) continue;
#pragma unroll
    for (int c = 0; c < T::kDims; ++c) {
      const int d = FirstDim<DH>(tx) + c;
      if (d < DH) dq[(i * H + h) * DH + d] = acc[a][c] * sh.scale;
    }
  }
}

// Block (key tile, head): dK and dV over the query tiles from the first key to the end of the
// last key's line. Rows of the score tiles are keys here, columns queries.
template <int DH>
__global__ void __launch_bounds__(kThreads)
    KeyGradKernel(const float* q, const float* k, const float* v, const int32_t* starts,
                  LineAttentionShape sh, DropoutKey key, const float* lse, const float* dout,
                  const float* delta, float* dk, float* dv) {
  using T = Tiles<DH>;
  float* smem = SharedFloats();
  float* ks = smem;
  float* vs = ks + T::kOperand;
  float* qs = vs + T::kOperand;
  float* dos = qs + T::kOperand;
  float* pds = dos + T::kOperand;
  float* dss = pds + T::kScore;
  __shared__ int64_t col_start[kTile];
  __shared__ float col_lse[kTile], col_delta[kTile];
  const int ty = threadIdx.x / kSide, tx = threadIdx.x % kSide, r0 = ty * kPer;
  const int64_t M = sh.positions, H = sh.heads, h = blockIdx.y;
  const int64_t k0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const int64_t last_key = (k0 + kTile < M ? k0 + kTile : M) - 1;
  const int64_t end = starts[LineOf(starts, sh.lines, last_key) + 1];  // past the last query
  const Dropper drop = MakeDropper(key, sh.dropout);
  LoadTile<DH>(ks, k, sh.k_pos, h * sh.k_head, k0, M, 1.0f);
  LoadTile<DH>(vs, v, sh.v_pos, h * sh.v_head, k0, M, 1.0f);

  float acc_k[kPer][T::kDims] = {}, acc_v[kPer][T::kDims] = {};
  for (int64_t qb = k0; qb < end; qb += kTile) {
    __syncthreads();
    LoadTile<DH>(qs, q, sh.q_pos, h * sh.q_head, qb, end, sh.scale);
    LoadTile<DH>(dos, dout, H * DH, h * DH, qb, end, 1.0f);
    for (int c = threadIdx.x; c < kTile; c += kThreads) {
      const int64_t i = qb + c;
      col_start[c] = i < end ? starts[LineOf(starts, sh.lines, i)] : M;
      col_lse[c] = i < end ? lse[h * M + i] : 0.0f;
      col_delta[c] = i < end ? delta[h * M + i] : 0.0f;
    }
    __syncthreads();
    float s[kPer][kPer], dp[kPer][kPer];
    TileDots<DH>(ks, r0, qs, tx, s);   // fmaf(k, q, .) = fmaf(q, k, .): the same bits
    TileDots<DH>(vs, r0, dos, tx, dp);
#pragma unroll
    for (int a = 0; a < kPer; ++a) {
      const int64_t j = k0 + r0 + a;
#pragma unroll
      for (int b = 0; b < kPer; ++b) {
        const int c = tx + b * kSide;
        const int64_t i = qb + c;
        const bool valid = j <= i && i < end && j >= col_start[c];
        const PairGrad g =
            GradOfPair(drop, valid, h, i, j, s[a][b], dp[a][b], col_lse[c], col_delta[c]);
        pds[(r0 + a) * kScoreStride + c] = g.pd;
        dss[(r0 + a) * kScoreStride + c] = g.ds;
      }
    }
    __syncthreads();
    const int n = static_cast<int>(end - qb < kTile ? end - qb : kTile);
    TileWeightedSum<DH>(pds, r0, dos, n, acc_v);
    TileWeightedSum<DH>(dss, r0, qs, n, acc_k);  // qs holds q * scale: dK needs no rescale
  }
#pragma unroll
  for (int a = 0; a < kPer; ++a) {
    const int64_t j = k0 + r0 + a;
    if (j >= M) continue;
#pragma unroll
    for (int c = 0; c < T::kDims; ++c) {
      const int d = FirstDim<DH>(tx) + c;
      if (d < DH) {
        dk[(j * H + h) * DH + d] = acc_k[a][c];
        dv[(j * H + h) * DH + d] = acc_v[a][c];
      }
    }
  }
}

dim3 Grid(const LineAttentionShape& sh) {
  return dim3(static_cast<unsigned>((sh.positions + kTile - 1) / kTile),
              static_cast<unsigned>(sh.heads));
}

// Dynamic shared memory past 48 KiB must be asked for per kernel (legal during graph capture:
// no stream work).
template <typename Kernel>
cudaError_t AllowSharedBytes(Kernel kernel, size_t bytes) {
  return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                              static_cast<int>(bytes));
}

template <int DH>
cudaError_t Forward(const float* q, const float* k, const float* v, const int32_t* starts,
                    const LineAttentionShape& sh, const DropoutKey& key, float* out, float* lse,
                    cudaStream_t stream) {
  using T = Tiles<DH>;
  const size_t bytes = (3 * T::kOperand + T::kScore) * sizeof(float);
  cudaError_t err = AllowSharedBytes(ForwardKernel<DH>, bytes);
  if (err != cudaSuccess) return err;
  ForwardKernel<DH><<<Grid(sh), kThreads, bytes, stream>>>(q, k, v, starts, sh, key, out, lse);
  return cudaGetLastError();
}

template <int DH>
cudaError_t Backward(const float* q, const float* k, const float* v, const int32_t* starts,
                     const LineAttentionShape& sh, const DropoutKey& key, const float* out,
                     const float* lse, const float* dout, float* delta, float* dq, float* dk,
                     float* dv, cudaStream_t stream) {
  using T = Tiles<DH>;
  const size_t q_bytes = (4 * T::kOperand + T::kScore) * sizeof(float);
  cudaError_t err = AllowSharedBytes(QueryGradKernel<DH>, q_bytes);
  if (err != cudaSuccess) return err;
  QueryGradKernel<DH><<<Grid(sh), kThreads, q_bytes, stream>>>(q, k, v, starts, sh, key, out,
                                                                 lse, dout, delta, dq);
  if ((err = cudaGetLastError()) != cudaSuccess) return err;
  const size_t k_bytes = (4 * T::kOperand + 2 * T::kScore) * sizeof(float);
  if ((err = AllowSharedBytes(KeyGradKernel<DH>, k_bytes)) != cudaSuccess) return err;
  KeyGradKernel<DH><<<Grid(sh), kThreads, k_bytes, stream>>>(q, k, v, starts, sh, key, lse, dout,
                                                               delta, dk, dv);
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
