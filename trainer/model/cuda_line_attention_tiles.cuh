// Device pieces shared by our attention-per-line kernels (cuda_line_attention_kernels.h): the
// fp32 kernels of cuda_line_attention_kernels.cu and the TF32 tensor-core kernels of
// cuda_line_attention_tf32.cu tile the same way, drop the same probabilities and load the same
// tiles. Included only by those .cu files.
#ifndef SG_TRAINER_MODEL_CUDA_LINE_ATTENTION_TILES_CUH_
#define SG_TRAINER_MODEL_CUDA_LINE_ATTENTION_TILES_CUH_

#include <cuda_runtime_api.h>

#include <climits>
#include <cmath>
#include <cstdint>

#include "trainer/model/cuda_dropout_hash.cuh"
#include "trainer/model/cuda_line_attention_kernels.h"

namespace sg {
namespace cuda_kernels {
namespace line_tiles {

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

__device__ inline Dropper MakeDropper(const DropoutKey& key, float p) {
  Dropper d;
  d.on = p > 0.0f;
  if (!d.on) return d;
  d.base = DropoutBase(key);
  d.threshold = DropoutThreshold(p);
  d.inv_keep = 1.0f / (1.0f - p);
  return d;
}

// The line of flattened position i: the last l in [0, lines) with starts[l] <= i.
__device__ inline int64_t LineOf(const int32_t* starts, int64_t lines, int64_t i) {
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

// The line of position i as LineOf, searched by a whole warp: each round its 32 lanes test 32
// evenly spaced lines of the range left, which cuts the range 32-fold, so 32k lines take 3
// dependent loads instead of 15. Every lane of the warp calls it with the same i and gets the
// same line.
__device__ inline int64_t WarpLineOf(const int32_t* starts, int64_t lines, int64_t i) {
  const int64_t lane = threadIdx.x % 32;
  int64_t lo = 0, hi = lines - 1;  // starts[lo] <= i throughout (starts[0] is 0)
  while (lo < hi) {
    const int64_t n = hi - lo + 1;
    const unsigned below = __ballot_sync(kAllLanes, starts[lo + lane * n / 32] <= i);
    const int64_t last = 31 - __clz(static_cast<int>(below));  // lane 0 tests lo: always set
    if (last < 31) hi = lo + (last + 1) * n / 32 - 1;
    lo += last * n / 32;
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

// Rows [first, first + kTile) of x (position stride pos, head offset head_off) in a thread's
// registers, four floats per load, rows at or past `end` zero (so that a masked score never
// meets garbage): FetchTile issues the loads, StoreTile writes them to a tile, times mul. A
// kernel fetches every tile it can before storing any, so their loads are in flight together:
// the loads' latency, not their bytes, bounded these kernels on short rows (QF's rows of 64:
// one load in flight per thread made the three kernels take ~50 us each on the H200). x +
// head_off and pos must be multiples of 4 floats (LaunchLineAttention* check it).
template <int DH>
struct TileFetch {
  static_assert(DH % 4 == 0, "rows of whole float4s");
  static constexpr int kRowVecs = DH / 4;
  static constexpr int kVecs = kTile * kRowVecs;
  static constexpr int kIters = (kVecs + kThreads - 1) / kThreads;
  float4 v[kIters];
};

template <int DH>
__device__ __forceinline__ TileFetch<DH> FetchTile(const float* x, int64_t pos, int64_t head_off,
                                                   int64_t first, int64_t end) {
  using F = TileFetch<DH>;
  F f;
#pragma unroll
  for (int u = 0; u < F::kIters; ++u) {
    const int e = threadIdx.x + u * kThreads;
    const int64_t i = first + e / F::kRowVecs;
    f.v[u] = e < F::kVecs && i < end
                 ? __ldg(reinterpret_cast<const float4*>(x + i * pos + head_off) +
                         e % F::kRowVecs)
                 : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  }
  return f;
}

template <int DH>
__device__ __forceinline__ void StoreTile(float* tile, const TileFetch<DH>& f, float mul) {
  using F = TileFetch<DH>;
#pragma unroll
  for (int u = 0; u < F::kIters; ++u) {
    const int e = threadIdx.x + u * kThreads;
    if (e >= F::kVecs) continue;
    const float4 w = make_float4(f.v[u].x * mul, f.v[u].y * mul, f.v[u].z * mul, f.v[u].w * mul);
    *reinterpret_cast<float4*>(tile + (e / F::kRowVecs) * Tiles<DH>::kStride +
                               4 * (e % F::kRowVecs)) = w;
  }
}

// Writes a thread's kDims floats of one row (o: the row's first head dim), four at a time
// where they are four (DH 64).
template <int DH>
__device__ __forceinline__ void StoreDims(float* o, int d0, const float (&x)[Tiles<DH>::kDims],
                                          float mul) {
  constexpr int nd = Tiles<DH>::kDims;
  if constexpr (nd == 4) {
    *reinterpret_cast<float4*>(o + d0) = make_float4(x[0] * mul, x[1] * mul, x[2] * mul,
                                                     x[3] * mul);
  } else {
#pragma unroll
    for (int c = 0; c < nd; ++c) {
      if (d0 + c < DH) o[d0 + c] = x[c] * mul;
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


inline dim3 Grid(const LineAttentionShape& sh) {
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

// The line starts of a tile's positions come from a window of kTile + 1 consecutive line
// starts in shared memory: warp 0 finds the line of the tile's first position (WarpLineOf), the
// block loads the starts from there, and each position searches the window: about 4 dependent
// loads per tile where a search of the whole array took 12-15 per position, which bounded these
// kernels' short tiles. A position past the window (empty lines inside it) searches the whole
// array.
struct LineWindow {
  int32_t starts[kTile + 1];
  int64_t first_line;
};

// The window from the line of position `first` into w (shared). Every thread of the block
// calls it; w is ready after the caller's next __syncthreads.
__device__ inline void LoadLineWindow(const int32_t* starts, int64_t lines, int64_t first,
                                      LineWindow* w) {
  if (threadIdx.x < 32) {
    const int64_t l = WarpLineOf(starts, lines, first);
    if (threadIdx.x == 0) w->first_line = l;
  }
  __syncthreads();
  const int64_t l0 = w->first_line;
  for (int t = threadIdx.x; t <= kTile; t += kThreads) {
    w->starts[t] = l0 + t <= lines ? starts[l0 + t] : INT32_MAX;  // starts[lines] is M
  }
}

// The window entry of position i's line (i at or past the window's first start): the last
// entry <= i, kTile when i is past the window's first kTile lines.
__device__ __forceinline__ int WindowEntry(const LineWindow& w, int64_t i) {
  int lo = 0, hi = kTile;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (w.starts[mid] <= i) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// The start of position i's line, from the window where it holds that line.
__device__ __forceinline__ int64_t LineStartOf(const int32_t* starts, int64_t lines,
                                               const LineWindow& w, int64_t i) {
  const int e = WindowEntry(w, i);
  return e < kTile ? w.starts[e] : starts[LineOf(starts, lines, i)];
}

// The line starts of positions first .. first + kTile - 1 into out (shared, kTile entries):
// that of position i's line for i < stop, M from stop on (first < stop), through a window
// loaded from first's line. Every thread of the block calls it; out is ready after the
// caller's next __syncthreads.
__device__ inline void TileLineStarts(const int32_t* starts, int64_t lines, int64_t first,
                                      int64_t stop, int64_t M, int64_t* out, LineWindow* w) {
  LoadLineWindow(starts, lines, first, w);
  __syncthreads();
  for (int r = threadIdx.x; r < kTile; r += kThreads) {
    const int64_t i = first + r;
    out[r] = i < stop ? LineStartOf(starts, lines, *w, i) : M;
  }
}

// cp.async (sm_80 and later) copies global memory to shared memory without passing through
// registers, so a kernel can have every load of its tiles in flight while its registers hold
// its sums. A copy that is not valid writes zeros (a source size of 0 reads nothing; its
// source address is still one inside the operand). WaitAsyncCopies waits for all of the
// thread's copies; other threads' copies are visible after the next __syncthreads.
__device__ __forceinline__ void CopyAsync16(float* dst, const float* src, bool valid) {
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src),
               "r"(valid ? 16 : 0)
               : "memory");
}

__device__ __forceinline__ void CopyAsync4(float* dst, const float* src, bool valid) {
  const unsigned d = static_cast<unsigned>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(d), "l"(src),
               "r"(valid ? 4 : 0)
               : "memory");
}

__device__ __forceinline__ void WaitAsyncCopies() {
  asm volatile("cp.async.commit_group;\n" ::: "memory");
  asm volatile("cp.async.wait_group 0;\n" ::: "memory");
}

// Rows [first, first + Rows) of x into a tile as FetchTile and StoreTile do (rows from `end`
// on zero), by cp.async; Rows is kTile but for the half tiles of keys of the TF32 dK and dV
// kernel. A thread copies the same four columns of every kRowStep-th row, so its addresses
// are one pointer and a stride (few registers held across a kernel's loop).
// ScaleCopiedTile then multiplies the floats this thread copied, after WaitAsyncCopies (before
// the __syncthreads that shows them to the block).
template <int DH, int Rows = kTile>
struct TileCopy {
  static constexpr int kRowVecs = DH / 4;
  static constexpr int kRowStep = kThreads / kRowVecs;  // rows apart of a thread's copies
  static constexpr int kIters = (Rows + kRowStep - 1) / kRowStep;
  static_assert(kThreads % kRowVecs == 0, "a thread keeps its columns");
};

template <int DH, int Rows = kTile>
__device__ __forceinline__ void CopyTileAsync(float* tile, const float* x, int64_t pos,
                                              int64_t head_off, int64_t first, int64_t end) {
  using C = TileCopy<DH, Rows>;
  const int row0 = threadIdx.x / C::kRowVecs, col = 4 * (threadIdx.x % C::kRowVecs);
  const float* src = x + (first + row0) * pos + head_off + col;
  float* dst = tile + row0 * Tiles<DH>::kStride + col;
#pragma unroll
  for (int u = 0; u < C::kIters; ++u) {
    const int row = row0 + u * C::kRowStep;
    if (row >= Rows) break;
    const bool valid = first + row < end;
    CopyAsync16(dst + u * C::kRowStep * Tiles<DH>::kStride,
                valid ? src + u * C::kRowStep * pos : x, valid);
  }
}

template <int DH>
__device__ __forceinline__ void ScaleCopiedTile(float* tile, float mul) {
  using C = TileCopy<DH>;
  const int row0 = threadIdx.x / C::kRowVecs, col = 4 * (threadIdx.x % C::kRowVecs);
#pragma unroll
  for (int u = 0; u < C::kIters; ++u) {
    const int row = row0 + u * C::kRowStep;
    if (row >= kTile) break;
    float4* t = reinterpret_cast<float4*>(tile + row * Tiles<DH>::kStride + col);
    const float4 w = *t;
    *t = make_float4(w.x * mul, w.y * mul, w.z * mul, w.w * mul);
  }
}

// What the kernels load per tile, by role (fp32 and TF32 alike). Each has all its loads in
// flight at once: the tiles inside a kernel's loop by cp.async, the block's first tiles in
// registers (FetchTile) while warp 0 searches the line starts. Each returns with its tiles
// ready after the caller's next __syncthreads.

// Keys and values [first, first + kTile) of head h (rows from `end` on zero), both tiles'
// copies in flight at once and no registers held for them.
template <int DH>
__device__ __forceinline__ void LoadKeysValues(float* ks, float* vs, const float* k,
                                               const float* v, const LineAttentionShape& sh,
                                               int64_t h, int64_t first, int64_t end) {
  CopyTileAsync<DH>(ks, k, sh.k_pos, h * sh.k_head, first, end);
  CopyTileAsync<DH>(vs, v, sh.v_pos, h * sh.v_head, first, end);
  WaitAsyncCopies();
}

// The forward's query tile q0: Q times the scale, and each query's line start (row_start),
// searched while Q's loads are in flight.
template <int DH>
__device__ __forceinline__ void LoadQueries(float* qs, const float* q, const int32_t* starts,
                                            const LineAttentionShape& sh, int64_t h, int64_t q0,
                                            int64_t* row_start, LineWindow* window) {
  const int64_t M = sh.positions;
  const TileFetch<DH> qf = FetchTile<DH>(q, sh.q_pos, h * sh.q_head, q0, M);
  TileLineStarts(starts, sh.lines, q0, M, M, row_start, window);
  StoreTile<DH>(qs, qf, sh.scale);
}

// dQ's query tile q0: as LoadQueries, with dO, each query's lse, and delta = dO . O (also
// written to delta[h * M + i] for dK and dV). o_scratch: a free operand tile, for O.
template <int DH>
__device__ __forceinline__ void LoadQueryGrads(float* qs, float* dos, float* o_scratch,
                                               const float* q, const float* out,
                                               const float* dout, const float* lse,
                                               const int32_t* starts,
                                               const LineAttentionShape& sh, int64_t h,
                                               int64_t q0, float* delta, int64_t* row_start,
                                               float* row_lse, float* row_delta,
                                               LineWindow* window) {
  using T = Tiles<DH>;
  const int64_t M = sh.positions, H = sh.heads;
  const TileFetch<DH> qf = FetchTile<DH>(q, sh.q_pos, h * sh.q_head, q0, M);
  const TileFetch<DH> df = FetchTile<DH>(dout, H * DH, h * DH, q0, M);
  const TileFetch<DH> of = FetchTile<DH>(out, H * DH, h * DH, q0, M);
  TileLineStarts(starts, sh.lines, q0, M, M, row_start, window);
  StoreTile<DH>(qs, qf, sh.scale);
  StoreTile<DH>(dos, df, 1.0f);
  StoreTile<DH>(o_scratch, of, 1.0f);
  __syncthreads();
  // delta: each row's dot over the 4 lanes of a quad, a quarter of the dims each.
  static_assert(kThreads == 4 * kTile, "a quad of threads per row");
  const int r = threadIdx.x / 4, part = threadIdx.x % 4;
  constexpr int kPart = (DH + 3) / 4;
  float dot = 0.0f;
#pragma unroll
  for (int d = part * kPart; d < (part + 1) * kPart && d < DH; ++d) {
    dot = fmaf(dos[r * T::kStride + d], o_scratch[r * T::kStride + d], dot);
  }
  dot += __shfl_xor_sync(kAllLanes, dot, 1);
  dot += __shfl_xor_sync(kAllLanes, dot, 2);
  const int64_t i = q0 + r;
  if (part == 0) {
    row_delta[r] = dot;
    row_lse[r] = i < M ? lse[h * M + i] : 0.0f;
    if (i < M) delta[h * M + i] = dot;
  }
}

// dK's and dV's key tile k0 (Rows keys): K and V, the window of line starts from k0's line
// (window), and the end of the last key's line (past the last query attending to these keys).
// Every query of the block, in [k0, end), is in the window's lines (a tile of keys meets at
// most kTile lines, and the queries past it are in its last key's line), so the query tiles
// need no search in global memory. Includes a __syncthreads.
template <int DH, int Rows = kTile>
__device__ __forceinline__ int64_t LoadKeyTile(float* ks, float* vs, const float* k,
                                               const float* v, const int32_t* starts,
                                               const LineAttentionShape& sh, int64_t h,
                                               int64_t k0, LineWindow* window,
                                               int64_t* block_end) {
  const int64_t M = sh.positions;
  const int64_t last_key = (k0 + Rows < M ? k0 + Rows : M) - 1;
  CopyTileAsync<DH, Rows>(ks, k, sh.k_pos, h * sh.k_head, k0, M);
  CopyTileAsync<DH, Rows>(vs, v, sh.v_pos, h * sh.v_head, k0, M);
  LoadLineWindow(starts, sh.lines, k0, window);
  WaitAsyncCopies();
  __syncthreads();
  if (threadIdx.x == 0) {
    const int e = WindowEntry(*window, last_key);
    *block_end = e < kTile ? window->starts[e + 1]
                           : starts[LineOf(starts, sh.lines, last_key) + 1];
  }
  __syncthreads();
  return *block_end;
}

// One query tile (from qb) of dK's and dV's: Q times the scale and dO by cp.async (every copy
// in flight at once, while dK's and dV's sums keep their registers), each query's lse and
// delta, and its line start (M from end on) from the block's window. Ready after the caller's
// next __syncthreads.
template <int DH>
__device__ __forceinline__ void LoadKeyGradQueries(float* qs, float* dos, const float* q,
                                                   const float* dout, const float* lse,
                                                   const float* delta, const int32_t* starts,
                                                   const LineAttentionShape& sh, int64_t h,
                                                   int64_t qb, int64_t end,
                                                   const LineWindow& window, int64_t* col_start,
                                                   float* col_lse, float* col_delta) {
  const int64_t M = sh.positions, H = sh.heads;
  CopyTileAsync<DH>(qs, q, sh.q_pos, h * sh.q_head, qb, end);
  CopyTileAsync<DH>(dos, dout, H * DH, h * DH, qb, end);
  for (int c = threadIdx.x; c < kTile; c += kThreads) {
    const int64_t i = qb + c;
    const bool in = i < end;
    CopyAsync4(col_lse + c, lse + h * M + (in ? i : 0), in);
    CopyAsync4(col_delta + c, delta + h * M + (in ? i : 0), in);
    col_start[c] = in ? LineStartOf(starts, sh.lines, window, i) : M;
  }
  WaitAsyncCopies();
  ScaleCopiedTile<DH>(qs, sh.scale);
}

// One query row of the forward's online softmax over a key tile: s, the thread's kPer scores
// of query i (columns tx + 16 b, from key kb); m and l, the row's running max and sum. Writes
// the row's dropped probabilities to p_row (its kTile columns in shared memory) and returns
// the factor by which the row's earlier weighted sums scale.
__device__ __forceinline__ float SoftmaxRow(const float (&s)[kPer], int64_t i, int64_t kb,
                                            int64_t line_start, int tx, int64_t h,
                                            const Dropper& drop, float* p_row, float& m,
                                            float& l) {
  bool valid[kPer];
  float mt = -INFINITY;
#pragma unroll
  for (int b = 0; b < kPer; ++b) {
    const int64_t j = kb + tx + b * kSide;
    valid[b] = j <= i && j >= line_start;
    if (valid[b]) mt = fmaxf(mt, s[b]);
  }
  const float m_new = fmaxf(m, RowMax(mt));
  const bool any = m_new != -INFINITY;  // else nothing of this row in this tile yet
  const float corr = any ? expf(m - m_new) : 1.0f;
  float sum = 0.0f;
#pragma unroll
  for (int b = 0; b < kPer; ++b) {
    const float p = valid[b] ? expf(s[b] - m_new) : 0.0f;
    sum += p;
    const int64_t j = kb + tx + b * kSide;
    p_row[tx + b * kSide] =
        valid[b] && (!drop.on || drop.Keep(h, i, j)) ? p * drop.inv_keep : 0.0f;
  }
  l = l * corr + RowSum(sum);
  m = m_new;
  return corr;
}

// The forward's outputs of the thread's rows: acc / l into out, and each row's lse.
template <int DH>
__device__ __forceinline__ void StoreForwardRows(const float (&acc)[kPer][Tiles<DH>::kDims],
                                                 const float (&m)[kPer], const float (&l)[kPer],
                                                 const LineAttentionShape& sh, int64_t h,
                                                 int64_t q0, int r0, int tx, float* out,
                                                 float* lse) {
  const int64_t M = sh.positions;
#pragma unroll
  for (int a = 0; a < kPer; ++a) {
    const int64_t i = q0 + r0 + a;
    if (i >= M) continue;
    float o[Tiles<DH>::kDims];
#pragma unroll
    for (int c = 0; c < Tiles<DH>::kDims; ++c) o[c] = acc[a][c] / l[a];
    StoreDims<DH>(out + (i * sh.heads + h) * DH, FirstDim<DH>(tx), o, 1.0f);
    if (tx == 0) lse[h * M + i] = m[a] + logf(l[a]);
  }
}

}  // namespace line_tiles
}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_LINE_ATTENTION_TILES_CUH_
