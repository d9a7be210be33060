// See cuda_line_attention_tf32.h. A block takes a tile of 64 queries (or keys) of one head,
// 256 threads in 8 warps, as the fp32 kernels. A 64 x 64 product (scores, dO . V) is 16 wmma
// tiles of 16 x 16, two per warp, stored to shared memory; the softmax and the pairs' gradients
// then run there with the fp32 kernels' thread layout (line_tiles: thread (ty, tx) owns rows
// ty*4 .. ty*4+3 and columns tx + 16 b). A 64 x DH weighted sum is DH/4 wmma tiles; the
// gradients' sums stay in the warps' accumulators across tiles, the forward's go through shared
// memory, since the online softmax rescales them by row. The backward's two kernels keep
// their products of pairs (scores, dO . V) in registers instead (mma.sync, whose layout is
// fixed, so each register's query and key are known) and write only the pairs' gradients to
// shared memory; dK's and dV's kernel takes 32 keys a block. Both then fit three blocks an SM
// (68 KB at head width 64), so a 10-seed pack's blocks run in about one wave.
#include "trainer/model/cuda_line_attention_tf32.h"

#include <mma.h>

#include <cmath>

#include "trainer/model/cuda_line_attention_tiles.cuh"

namespace sg {
namespace cuda_kernels {
namespace {

using namespace line_tiles;  // NOLINT: the shared tile pieces
namespace wmma = nvcuda::wmma;

constexpr int kWarps = kThreads / 32;
constexpr int kF = 16;  // a wmma tile's side
constexpr int kK = 8;   // its depth in TF32

using FragA = wmma::fragment<wmma::matrix_a, kF, kF, kK, wmma::precision::tf32, wmma::row_major>;
using FragB = wmma::fragment<wmma::matrix_b, kF, kF, kK, wmma::precision::tf32, wmma::row_major>;
// B^T read from B's rows: element (d, n) of the operand is row n, column d of the tile.
using FragBt = wmma::fragment<wmma::matrix_b, kF, kF, kK, wmma::precision::tf32, wmma::col_major>;
using FragC = wmma::fragment<wmma::accumulator, kF, kF, kK, float>;

template <typename Frag>
__device__ __forceinline__ void RoundToTf32(Frag& f) {
#pragma unroll
  for (int t = 0; t < f.num_elements; ++t) f.x[t] = wmma::__float_to_tf32(f.x[t]);
}

// wmma reads and writes shared memory from 32-byte boundaries: every tile below starts on one
// (its sizes are multiples of 32 bytes) and the block's dynamic shared memory is aligned so.
__device__ __forceinline__ float* AlignedSharedFloats() {
  extern __shared__ __align__(128) float tf32_shared_floats[];
  return tf32_shared_floats;
}

// C (64 x 64, row stride kScoreStride) = A . B^T, where A and B are 64 x DH operand tiles.
template <int DH>
__device__ __forceinline__ void ProductABt(const float* A, const float* B, float* C) {
  constexpr int st = Tiles<DH>::kStride;
  const int warp = threadIdx.x / 32;
#pragma unroll
  for (int u = 0; u < 2; ++u) {
    const int t = warp + kWarps * u;
    const int tr = t / 4, tc = t % 4;
    FragC c;
    wmma::fill_fragment(c, 0.0f);
#pragma unroll 1
    for (int d = 0; d < DH; d += kK) {
      FragA a;
      FragBt b;
      wmma::load_matrix_sync(a, A + tr * kF * st + d, st);
      wmma::load_matrix_sync(b, B + tc * kF * st + d, st);
      RoundToTf32(a);
      RoundToTf32(b);
      wmma::mma_sync(c, a, b, c);
    }
    wmma::store_matrix_sync(C + tr * kF * kScoreStride + tc * kF, c, kScoreStride,
                            wmma::mem_row_major);
  }
}

// A warp's share of a Rows x DH output (Rows 64, or 32 for the dK and dV kernel's half tiles
// of keys): tiles warp, warp + 8, ... (row block t / kCols, column block t % kCols), except
// that with two tiles a warp (DH 64, 64 rows) the second is in row block 3 - the first's: a
// warp's two row blocks then read 2 + 8 or 4 + 6 k-steps of a causal tile's weighted sum
// (ProductAB's spans) rather than 2 + 6 or 4 + 8.
template <int DH, int Rows = kTile>
struct OutTiles {
  static constexpr int kCols = DH / kF;
  static constexpr int kRows = Rows / kF;
  static constexpr int kCount = kRows * kCols;
  static constexpr int kPerWarp = (kCount + kWarps - 1) / kWarps;

  // Tile u of the warp: false where it has none.
  __device__ static bool Tile(int warp, int u, int* tr, int* tc) {
    const int t = warp + kWarps * u;
    if (t >= kCount) return false;
    *tr = t / kCols;
    *tc = t % kCols;
    if (kPerWarp == 2 && kCount == 2 * kWarps && u == 1) *tr = kRows - 1 - warp / kCols;
    return true;
  }
};

template <int DH, int Rows = kTile>
struct OutFrags {
  FragC f[OutTiles<DH, Rows>::kPerWarp];

  __device__ __forceinline__ void Zero() {
#pragma unroll
    for (int u = 0; u < OutTiles<DH, Rows>::kPerWarp; ++u) wmma::fill_fragment(f[u], 0.0f);
  }
};

// The columns [lo, hi) of a row block of W (16 rows) outside which every entry is zero (pairs
// no line's causal mask lets through), in whole steps of kK: ProductAB skips the steps
// outside, whose products would only add zeros.
struct KSpan {
  int lo, hi;
};

// The span of columns [first - base, last_excl - base), clamped to the tile.
__device__ __forceinline__ KSpan SpanOf(int64_t first, int64_t last_excl, int64_t base) {
  const int64_t l = first - base, h = last_excl - base;
  const int lo = static_cast<int>(l < 0 ? 0 : (l > kTile ? kTile : l));
  const int hi = static_cast<int>(h < 0 ? 0 : (h > kTile ? kTile : h));
  return {lo / kK * kK, (hi + kK - 1) / kK * kK};
}

// acc += W . X: W Rows x 64 (row stride kScoreStride), X a 64 x DH operand tile; W's row
// block b (rows 16 b .. 16 b + 15) zero outside the columns span(b) (a KSpan).
template <int DH, int Rows = kTile, typename Span>
__device__ __forceinline__ void ProductAB(const float* W, const float* X,
                                          OutFrags<DH, Rows>& acc, const Span& span) {
  using O = OutTiles<DH, Rows>;
  constexpr int st = Tiles<DH>::kStride;
  const int warp = threadIdx.x / 32;
#pragma unroll
  for (int u = 0; u < O::kPerWarp; ++u) {
    int tr, tc;
    if (!O::Tile(warp, u, &tr, &tc)) break;  // the same for the whole warp
    const KSpan ks = span(tr);
#pragma unroll 1
    for (int k = ks.lo; k < ks.hi; k += kK) {
      FragA a;
      FragB b;
      wmma::load_matrix_sync(a, W + tr * kF * kScoreStride + k, kScoreStride);
      wmma::load_matrix_sync(b, X + k * st + tc * kF, st);
      RoundToTf32(a);
      RoundToTf32(b);
      wmma::mma_sync(acc.f[u], a, b, acc.f[u]);
    }
  }
}

// Stores the warp's output tiles into the first Rows rows of an operand tile X.
template <int DH, int Rows = kTile>
__device__ __forceinline__ void StoreOut(const OutFrags<DH, Rows>& acc, float* X) {
  using O = OutTiles<DH, Rows>;
  constexpr int st = Tiles<DH>::kStride;
  const int warp = threadIdx.x / 32;
#pragma unroll
  for (int u = 0; u < O::kPerWarp; ++u) {
    int tr, tc;
    if (!O::Tile(warp, u, &tr, &tc)) break;
    wmma::store_matrix_sync(X + tr * kF * st + tc * kF, acc.f[u], st, wmma::mem_row_major);
  }
}

// The kDims floats of row r of operand tile X that thread column tx owns.
template <int DH>
__device__ __forceinline__ void RowDims(const float* X, int r, int tx,
                                        float (&x)[Tiles<DH>::kDims]) {
#pragma unroll
  for (int c = 0; c < Tiles<DH>::kDims; ++c) {
    x[c] = X[r * Tiles<DH>::kStride + tx * Tiles<DH>::kDims + c];
  }
}

// Block (query tile, head): the fp32 forward's online softmax over the same key tiles, with
// the scores and each tile's P . V from the tensor cores.
template <int DH>
__global__ void __launch_bounds__(kThreads, 3)  // 3 blocks per SM: 80 registers, no spills
    Tf32ForwardKernel(const float* q, const float* k, const float* v, const int32_t* starts,
                      LineAttentionShape sh, DropoutKey key, float* out, float* lse) {
  using T = Tiles<DH>;
  float* qs = AlignedSharedFloats();
  float* ks = qs + T::kOperand;  // K, then the tile's P . V
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
    ProductABt<DH>(qs, ks, ps);
    __syncthreads();
#pragma unroll
    for (int a = 0; a < kPer; ++a) {
      float* row = ps + (r0 + a) * kScoreStride;
      float s[kPer];
#pragma unroll
      for (int b = 0; b < kPer; ++b) s[b] = row[tx + b * kSide];
      const float corr =
          SoftmaxRow(s, q0 + r0 + a, kb, row_start[r0 + a], tx, h, drop, row, m[a], l[a]);
#pragma unroll
      for (int c = 0; c < T::kDims; ++c) acc[a][c] *= corr;
    }
    __syncthreads();
    OutFrags<DH> pv;
    pv.Zero();
    // Query block b's keys: from its first query's line start to its last query.
    ProductAB<DH>(ps, vs, pv, [&](int b) {
      return SpanOf(row_start[b * kF], q0 + (b + 1) * kF, kb);
    });
    StoreOut<DH>(pv, ks);  // K's readers finished before the softmax
    __syncthreads();
#pragma unroll
    for (int a = 0; a < kPer; ++a) {
      float x[T::kDims];
      RowDims<DH>(ks, r0 + a, tx, x);
#pragma unroll
      for (int c = 0; c < T::kDims; ++c) acc[a][c] += x[c];
    }
  }
  StoreForwardRows<DH>(acc, m, l, sh, h, q0, r0, tx, out, lse);
}

// One warp's m16n8k8 TF32 product on the tensor cores (mma.sync, whose fragments' layout the
// PTX ISA fixes, unlike wmma's): with g = lane / 4 and t = lane % 4, a holds A's (g, t),
// (g + 8, t), (g, t + 4), (g + 8, t + 4); b holds B's (k = t, n = g), (t + 4, g); c holds C's
// (g, 2t), (g, 2t + 1), (g + 8, 2t), (g + 8, 2t + 1).
__device__ __forceinline__ void Mma1688(float (&c)[4], const uint32_t (&a)[4],
                                        const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, "
      "{%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ __forceinline__ uint32_t Tf32Bits(float x) {
  return __float_as_uint(wmma::__float_to_tf32(x));  // the rounding of the wmma products
}

// A's fragment of rows [r, r + 16) and dims [d, d + 8) of an operand tile X.
template <int DH>
__device__ __forceinline__ void LoadRowsA(const float* X, int r, int d, int g, int t,
                                          uint32_t (&a)[4]) {
  constexpr int st = Tiles<DH>::kStride;
  const float* x = X + (r + g) * st + d + t;
  a[0] = Tf32Bits(x[0]);
  a[1] = Tf32Bits(x[8 * st]);
  a[2] = Tf32Bits(x[4]);
  a[3] = Tf32Bits(x[8 * st + 4]);
}

// B's fragment for A . X^T: rows [n, n + 8) of operand tile X as columns, dims [d, d + 8).
template <int DH>
__device__ __forceinline__ void LoadRowsBt(const float* X, int n, int d, int g, int t,
                                           uint32_t (&b)[2]) {
  const float* x = X + (n + g) * Tiles<DH>::kStride + d + t;
  b[0] = Tf32Bits(x[0]);
  b[1] = Tf32Bits(x[4]);
}

// A warp's 16 x 16 block of two pair products, rows [r0, r0 + 16) of A1 and A2 against rows
// [col0, col0 + 16) of B1 and B2: s = A1 . B1^T and dp = A2 . B2^T (the scores and dO . V),
// in Mma1688's C layout for the two 8-column halves n.
template <int DH>
__device__ __forceinline__ void PairProducts(const float* A1, const float* A2, const float* B1,
                                             const float* B2, int r0, int col0, int g, int t,
                                             float (&s)[2][4], float (&dp)[2][4]) {
#pragma unroll 1
  for (int d = 0; d < DH; d += kK) {
    uint32_t a1[4], a2[4];
    LoadRowsA<DH>(A1, r0, d, g, t, a1);
    LoadRowsA<DH>(A2, r0, d, g, t, a2);
#pragma unroll
    for (int n = 0; n < 2; ++n) {
      uint32_t b1[2], b2[2];
      LoadRowsBt<DH>(B1, col0 + 8 * n, d, g, t, b1);
      LoadRowsBt<DH>(B2, col0 + 8 * n, d, g, t, b2);
      Mma1688(s[n], a1, b1);
      Mma1688(dp[n], a2, b2);
    }
  }
}

// Block (query tile, head): dQ over the forward's key tiles, and delta = dO . O. A warp's
// scores and dO . V (rows 16 (w / 4) and 16 (w / 4 + 2) on, 16 columns from 16 (w % 4), as
// ProductABt shares them) stay in its registers, where each pair's gradient is taken, so only
// those gradients go to shared memory, into V's tile once every warp has read V: four tiles
// of shared memory instead of six, three blocks an SM instead of two (QF's 320 blocks of a
// 10-seed pack then run in one wave on 132 SMs).
template <int DH>
__global__ void __launch_bounds__(kThreads, 3)  // 3 blocks per SM
    Tf32QueryGradKernel(const float* q, const float* k, const float* v, const int32_t* starts,
                        LineAttentionShape sh, DropoutKey key, const float* out,
                        const float* lse, const float* dout, float* delta, float* dq) {
  using T = Tiles<DH>;
  float* qs = AlignedSharedFloats();
  float* dos = qs + T::kOperand;
  float* ks = dos + T::kOperand;
  float* vds = ks + T::kOperand;  // V, then the scores' gradients (a score tile)
  __shared__ int64_t row_start[kTile];
  __shared__ LineWindow window;
  __shared__ float row_lse[kTile], row_delta[kTile];
  const int64_t M = sh.positions, h = blockIdx.y;
  const int64_t q0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const int64_t last = (q0 + kTile < M ? q0 + kTile : M) - 1;
  const Dropper drop = MakeDropper(key, sh.dropout);
  const int warp = threadIdx.x / 32, g = threadIdx.x % 32 / 4, t = threadIdx.x % 4;
  const int col0 = warp % 4 * kF;
  LoadQueryGrads<DH>(qs, dos, ks, q, out, dout, lse, starts, sh, h, q0, delta, row_start, row_lse,
                     row_delta, &window);
  __syncthreads();

  OutFrags<DH> acc;
  acc.Zero();
  for (int64_t kb = row_start[0]; kb <= last; kb += kTile) {
    __syncthreads();
    LoadKeysValues<DH>(ks, vds, k, v, sh, h, kb, last + 1);
    __syncthreads();
    float ds[2][2][4];  // [row block u][8 columns n][fragment entry]
#pragma unroll
    for (int u = 0; u < 2; ++u) {
      const int r0 = (warp / 4 + 2 * u) * kF;
      float s[2][4] = {}, dp[2][4] = {};
      PairProducts<DH>(qs, dos, ks, vds, r0, col0, g, t, s, dp);
#pragma unroll
      for (int n = 0; n < 2; ++n) {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int r = r0 + g + (e >= 2 ? 8 : 0), c = col0 + 8 * n + 2 * t + (e & 1);
          const int64_t i = q0 + r, j = kb + c;
          const bool valid = j <= i && j >= row_start[r];
          ds[u][n][e] =
              GradOfPair(drop, valid, h, i, j, s[n][e], dp[n][e], row_lse[r], row_delta[r]).ds;
        }
      }
    }
    __syncthreads();  // every warp has read V
#pragma unroll
    for (int u = 0; u < 2; ++u) {
#pragma unroll
      for (int n = 0; n < 2; ++n) {
        const int r = (warp / 4 + 2 * u) * kF + g, c = col0 + 8 * n + 2 * t;
        *reinterpret_cast<float2*>(vds + r * kScoreStride + c) =
            make_float2(ds[u][n][0], ds[u][n][1]);
        *reinterpret_cast<float2*>(vds + (r + 8) * kScoreStride + c) =
            make_float2(ds[u][n][2], ds[u][n][3]);
      }
    }
    __syncthreads();
    ProductAB<DH>(vds, ks, acc, [&](int b) {  // as the forward's
      return SpanOf(row_start[b * kF], q0 + (b + 1) * kF, kb);
    });
  }
  __syncthreads();  // every warp is done with ks
  StoreOut<DH>(acc, ks);
  __syncthreads();
  const int ty = threadIdx.x / kSide, tx = threadIdx.x % kSide;
#pragma unroll
  for (int a = 0; a < kPer; ++a) {
    const int64_t i = q0 + ty * kPer + a;
    if (i >= M) continue;
    float x[T::kDims];
    RowDims<DH>(ks, ty * kPer + a, tx, x);
    StoreDims<DH>(dq + i * sh.dq_pos + h * sh.dq_head, FirstDim<DH>(tx), x, sh.scale);
  }
}

// dK's and dV's keys a block: half a tile, so that its tiles of keys and of the pairs take
// half the shared memory (68 KB a block for head width 64 instead of 102: three blocks an SM
// instead of two) and a 10-seed QF pack's 640 blocks spread over more of the card.
constexpr int kKeys = kTile / 2;

// Block (half tile of keys, head): dK and dV over the fp32 kernel's query tiles. Rows of the
// pairs' tiles are keys here, columns queries. A warp's scores and dO . V (keys 16 (w / 4) on,
// 16 queries from 16 (w % 4)) stay in its registers (mma.sync), where each pair's dropped
// probability and gradient are taken and written to shared memory.
template <int DH>
__global__ void __launch_bounds__(kThreads, 3)  // 3 blocks per SM
    Tf32KeyGradKernel(const float* q, const float* k, const float* v, const int32_t* starts,
                      LineAttentionShape sh, DropoutKey key, const float* lse, const float* dout,
                      const float* delta, float* dk, float* dv) {
  using T = Tiles<DH>;
  constexpr int kHalf = kKeys * T::kStride;  // a half operand tile
  float* ks = AlignedSharedFloats();
  float* vs = ks + kHalf;
  float* qs = vs + kHalf;
  float* dos = qs + T::kOperand;
  float* pds = dos + T::kOperand;            // the dropped probabilities, kKeys x kTile
  float* dss = pds + kKeys * kScoreStride;   // the scores' gradients
  __shared__ int64_t col_start[kTile];
  __shared__ float col_lse[kTile], col_delta[kTile];
  const int64_t M = sh.positions, h = blockIdx.y;
  const int64_t k0 = static_cast<int64_t>(blockIdx.x) * kKeys;
  const Dropper drop = MakeDropper(key, sh.dropout);
  const int warp = threadIdx.x / 32, g = threadIdx.x % 32 / 4, t = threadIdx.x % 4;
  const int r0 = warp / 4 * kF, col0 = warp % 4 * kF;
  __shared__ int64_t block_end;
  __shared__ LineWindow window;
  const int64_t end =
      LoadKeyTile<DH, kKeys>(ks, vs, k, v, starts, sh, h, k0, &window, &block_end);

  OutFrags<DH, kKeys> acc_k, acc_v;
  acc_k.Zero();
  acc_v.Zero();
  for (int64_t qb = k0; qb < end; qb += kTile) {
    __syncthreads();
    LoadKeyGradQueries<DH>(qs, dos, q, dout, lse, delta, starts, sh, h, qb, end, window,
                           col_start, col_lse, col_delta);
    __syncthreads();
    float s[2][4] = {}, dp[2][4] = {};
    PairProducts<DH>(ks, vs, qs, dos, r0, col0, g, t, s, dp);
#pragma unroll
    for (int n = 0; n < 2; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int r = r0 + g + (e >= 2 ? 8 : 0), c = col0 + 8 * n + 2 * t + (e & 1);
        const int64_t j = k0 + r, i = qb + c;
        const bool valid = j <= i && i < end && j >= col_start[c];
        const PairGrad pg =
            GradOfPair(drop, valid, h, i, j, s[n][e], dp[n][e], col_lse[c], col_delta[c]);
        pds[r * kScoreStride + c] = pg.pd;
        dss[r * kScoreStride + c] = pg.ds;
      }
    }
    __syncthreads();
    // Key block b's queries: from its first key to the end of the block's last line.
    const auto queries = [&](int b) { return SpanOf(k0 + b * kF, end, qb); };
    ProductAB<DH>(pds, dos, acc_v, queries);
    ProductAB<DH>(dss, qs, acc_k, queries);  // qs holds q * scale: dK needs no rescale
  }
  __syncthreads();  // every warp is done with qs and dos
  StoreOut<DH>(acc_k, qs);
  StoreOut<DH>(acc_v, dos);
  __syncthreads();
  // A key's row by kThreads / kKeys threads, DH / 8 dims each.
  constexpr int kRowThreads = kThreads / kKeys, kDimsEach = DH / kRowThreads;
  const int row = threadIdx.x / kRowThreads, d0 = threadIdx.x % kRowThreads * kDimsEach;
  const int64_t j = k0 + row;
  if (j < M) {
    float* dk_row = dk + j * sh.dk_pos + h * sh.dk_head + d0;
    float* dv_row = dv + j * sh.dv_pos + h * sh.dv_head + d0;
    const float* k_out = qs + row * T::kStride + d0;
    const float* v_out = dos + row * T::kStride + d0;
    if constexpr (kDimsEach % 4 == 0) {  // whole float4s (LineAttentionOperandsAligned)
#pragma unroll
      for (int c = 0; c < kDimsEach; c += 4) {
        *reinterpret_cast<float4*>(dk_row + c) = *reinterpret_cast<const float4*>(k_out + c);
        *reinterpret_cast<float4*>(dv_row + c) = *reinterpret_cast<const float4*>(v_out + c);
      }
    } else {
#pragma unroll
      for (int c = 0; c < kDimsEach; ++c) {
        dk_row[c] = k_out[c];
        dv_row[c] = v_out[c];
      }
    }
  }
}

template <int DH>
cudaError_t Forward(const float* q, const float* k, const float* v, const int32_t* starts,
                    const LineAttentionShape& sh, const DropoutKey& key, float* out, float* lse,
                    cudaStream_t stream) {
  using T = Tiles<DH>;
  const size_t bytes = (3 * T::kOperand + T::kScore) * sizeof(float);
  cudaError_t err = AllowSharedBytes(Tf32ForwardKernel<DH>, bytes);
  if (err != cudaSuccess) return err;
  Tf32ForwardKernel<DH><<<Grid(sh), kThreads, bytes, stream>>>(q, k, v, starts, sh, key, out,
                                                                lse);
  return cudaGetLastError();
}

template <int DH>
cudaError_t Backward(const float* q, const float* k, const float* v, const int32_t* starts,
                     const LineAttentionShape& sh, const DropoutKey& key, const float* out,
                     const float* lse, const float* dout, float* delta, float* dq, float* dk,
                     float* dv, cudaStream_t stream) {
  using T = Tiles<DH>;
  constexpr int kVds = T::kOperand > T::kScore ? T::kOperand : T::kScore;
  const size_t dq_bytes = (3 * T::kOperand + kVds) * sizeof(float);
  cudaError_t err = AllowSharedBytes(Tf32QueryGradKernel<DH>, dq_bytes);
  if (err != cudaSuccess) return err;
  Tf32QueryGradKernel<DH><<<Grid(sh), kThreads, dq_bytes, stream>>>(
      q, k, v, starts, sh, key, out, lse, dout, delta, dq);
  if ((err = cudaGetLastError()) != cudaSuccess) return err;
  const size_t dkv_bytes = (2 * T::kOperand + kKeys * (2 * T::kStride + 2 * kScoreStride)) *
                           sizeof(float);
  if ((err = AllowSharedBytes(Tf32KeyGradKernel<DH>, dkv_bytes)) != cudaSuccess) return err;
  const dim3 key_grid(static_cast<unsigned>((sh.positions + kKeys - 1) / kKeys),
                      static_cast<unsigned>(sh.heads));
  Tf32KeyGradKernel<DH><<<key_grid, kThreads, dkv_bytes, stream>>>(
      q, k, v, starts, sh, key, lse, dout, delta, dk, dv);
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchLineAttentionTf32Forward(const float* q, const float* k, const float* v,
                                           const int32_t* seq_starts,
                                           const LineAttentionShape& shape, const DropoutKey& key,
                                           float* out, float* lse, cudaStream_t stream) {
  switch (shape.head_dim) {
    case 16: return Forward<16>(q, k, v, seq_starts, shape, key, out, lse, stream);
    case 32: return Forward<32>(q, k, v, seq_starts, shape, key, out, lse, stream);
    case 64: return Forward<64>(q, k, v, seq_starts, shape, key, out, lse, stream);
    default: return cudaErrorInvalidValue;
  }
}

cudaError_t LaunchLineAttentionTf32Backward(const float* q, const float* k, const float* v,
                                            const int32_t* seq_starts,
                                            const LineAttentionShape& shape,
                                            const DropoutKey& key, const float* out,
                                            const float* lse, const float* dout, float* delta,
                                            float* dq, float* dk, float* dv,
                                            cudaStream_t stream) {
  switch (shape.head_dim) {
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
