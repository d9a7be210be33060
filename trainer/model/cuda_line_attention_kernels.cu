// See cuda_line_attention_kernels.h. Flash-attention-style tiles in fp32: each block holds a
// 64 x 64 tile of scores of one head in registers and shared memory, so each key and value is
// read from memory once per query tile rather than once per query. Every sum runs in a fixed
// order, and the score of a pair is computed by the same expression in all three kernels.
#include "trainer/model/cuda_line_attention_kernels.h"

#include <cmath>
#include <cstdint>
#include <initializer_list>

#include "trainer/model/cuda_line_attention_tf32.h"
#include "trainer/model/cuda_line_attention_tiles.cuh"

namespace sg {
namespace cuda_kernels {
namespace {

using namespace line_tiles;  // NOLINT: the shared tile pieces

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
  __shared__ LineWindow window;
  const int ty = threadIdx.x / kSide, tx = threadIdx.x % kSide, r0 = ty * kPer;
  const int64_t M = sh.positions, h = blockIdx.y, q0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const int64_t last = (q0 + kTile < M ? q0 + kTile : M) - 1;
  const Dropper drop = MakeDropper(key, sh.dropout);
  LoadQueries<DH>(qs, q, starts, sh, h, q0, row_start, &window);
  __syncthreads();

  float m[kPer], l[kPer], acc[kPer][T::kDims] = {};
#pragma unroll
  for (int a = 0; a < kPer; ++a) {
    m[a] = -INFINITY;
    l[a] = 0.0f;
  }
  for (int64_t kb = row_start[0]; kb <= last; kb += kTile) {
    __syncthreads();  // the previous tile's readers are done
    LoadKeysValues<DH>(ks, vs, k, v, sh, h, kb, last + 1);
    __syncthreads();
    float s[kPer][kPer];
    TileDots<DH>(qs, r0, ks, tx, s);
#pragma unroll
    for (int a = 0; a < kPer; ++a) {
      const float corr = SoftmaxRow(s[a], q0 + r0 + a, kb, row_start[r0 + a], tx, h, drop,
                                    ps + (r0 + a) * kScoreStride, m[a], l[a]);
#pragma unroll
      for (int c = 0; c < T::kDims; ++c) acc[a][c] *= corr;
    }
    __syncthreads();
    const int n = static_cast<int>(last - kb + 1 < kTile ? last - kb + 1 : kTile);
    TileWeightedSum<DH>(ps, r0, vs, n, acc);
  }
  StoreForwardRows<DH>(acc, m, l, sh, h, q0, r0, tx, out, lse);
}

// Block (query tile, head): dQ over the same key tiles as the forward, and delta = dO . O.
template <int DH>
__global__ void __launch_bounds__(kThreads, 2)  // 2 blocks per SM, as shared memory allows
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
  __shared__ LineWindow window;
  __shared__ float row_lse[kTile], row_delta[kTile];
  const int ty = threadIdx.x / kSide, tx = threadIdx.x % kSide, r0 = ty * kPer;
  const int64_t M = sh.positions, h = blockIdx.y;
  const int64_t q0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const int64_t last = (q0 + kTile < M ? q0 + kTile : M) - 1;
  const Dropper drop = MakeDropper(key, sh.dropout);
  LoadQueryGrads<DH>(qs, dos, ks, q, out, dout, lse, starts, sh, h, q0, delta, row_start, row_lse,
                     row_delta, &window);
  __syncthreads();

  float acc[kPer][T::kDims] = {};
  for (int64_t kb = row_start[0]; kb <= last; kb += kTile) {
    __syncthreads();
    LoadKeysValues<DH>(ks, vs, k, v, sh, h, kb, last + 1);
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
    StoreDims<DH>(dq + i * sh.dq_pos + h * sh.dq_head, FirstDim<DH>(tx), acc[a], sh.scale);
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
  const int64_t M = sh.positions, h = blockIdx.y;
  const int64_t k0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const Dropper drop = MakeDropper(key, sh.dropout);
  __shared__ int64_t block_end;
  __shared__ LineWindow window;
  const int64_t end = LoadKeyTile<DH>(ks, vs, k, v, starts, sh, h, k0, &window, &block_end);

  float acc_k[kPer][T::kDims] = {}, acc_v[kPer][T::kDims] = {};
  for (int64_t qb = k0; qb < end; qb += kTile) {
    __syncthreads();
    LoadKeyGradQueries<DH>(qs, dos, q, dout, lse, delta, starts, sh, h, qb, end, window,
                           col_start, col_lse, col_delta);
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
    StoreDims<DH>(dk + j * sh.dk_pos + h * sh.dk_head, FirstDim<DH>(tx), acc_k[a], 1.0f);
    StoreDims<DH>(dv + j * sh.dv_pos + h * sh.dv_head, FirstDim<DH>(tx), acc_v[a], 1.0f);
  }
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

// The float4 loads and stores: every operand's first element on 16 bytes and its strides
// multiples of 4 floats.
bool Vectorizable(const float* x, int64_t pos, int64_t head) {
  return reinterpret_cast<uintptr_t>(x) % 16 == 0 && pos % 4 == 0 && head % 4 == 0;
}

bool OperandsVectorizable(const float* q, const float* k, const float* v,
                          const LineAttentionShape& sh) {
  return Vectorizable(q, sh.q_pos, sh.q_head) && Vectorizable(k, sh.k_pos, sh.k_head) &&
         Vectorizable(v, sh.v_pos, sh.v_head);
}

}  // namespace

bool LineAttentionOperandsAligned(const float* x, int64_t pos_stride, int64_t head_stride) {
  return Vectorizable(x, pos_stride, head_stride);
}

cudaError_t LaunchLineAttentionForward(const float* q, const float* k, const float* v,
                                       const int32_t* seq_starts, const LineAttentionShape& shape,
                                       const DropoutKey& key, float* out, float* lse,
                                       cudaStream_t stream) {
  if (shape.positions == 0 || shape.heads == 0) return cudaSuccess;
  if (!OperandsVectorizable(q, k, v, shape) || !Vectorizable(out, 4, 4)) {
    return cudaErrorMisalignedAddress;
  }
  if (shape.tf32 && LineAttentionTf32HeadDimOk(shape.head_dim)) {
    return LaunchLineAttentionTf32Forward(q, k, v, seq_starts, shape, key, out, lse, stream);
  }
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
  if (!OperandsVectorizable(q, k, v, shape)) return cudaErrorMisalignedAddress;
  if (!Vectorizable(out, 4, 4) || !Vectorizable(dout, 4, 4) ||
      !Vectorizable(dq, shape.dq_pos, shape.dq_head) ||
      !Vectorizable(dk, shape.dk_pos, shape.dk_head) ||
      !Vectorizable(dv, shape.dv_pos, shape.dv_head)) {
    return cudaErrorMisalignedAddress;
  }
  if (shape.tf32 && LineAttentionTf32HeadDimOk(shape.head_dim)) {
    return LaunchLineAttentionTf32Backward(q, k, v, seq_starts, shape, key, out, lse, dout, delta,
                                           dq, dk, dv, stream);
  }
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
