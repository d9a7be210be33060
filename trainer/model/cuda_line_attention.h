// Attention per line for packed rows (line_packing.h, ForwardOptions::line_seqstarts), each
// line of each row its own causal sequence: LineAttention by LibTorch's memory-efficient
// kernel in its variable-length form, OwnLineAttention by our kernels. The masked path
// computes every query-key pair of a row (the other lines' blocks included) and reads a
// [T, T] bias per row; these compute each line's triangle only, so a step's attention costs
// the sum of its lines' squared lengths, and q, k, v and the output keep the token-major
// layout of the projections (no head reshapes). Trainer-internal (LibTorch).
// cuda_line_attention.cc implements both against a CUDA LibTorch; the CPU build compiles
// cuda_line_attention_unavailable.cc, where neither is available.
//
// OwnLineAttention is the trainer's default for packed rows of every length, with or without
// dropout (QF's rows of 64 included since its loads, line starts and TF32 products were
// reworked: 1,979 against the masked path's 1,924 model-steps/s at 6 layers on the H200,
// docs/performance.md). LineAttention is opt-in (PackTrainerOptions::own_line_attention
// off), for training without dropout only, and not reproducible bit for bit: its backward gave
// different gradients from one run to the next on the H200 (a resumed pack left the straight one's
// path in one call of two on the same code, 2026-12-04: its backward splits long sequences'
// keys among blocks and adds their shares of dQ with atomics, LibTorch's num_splits_key,
// unless deterministic algorithms are on process-wide; the masked path's fused attention for
// rows past kMaxGraphLength is the same kernel, 2 of 5 resumes parted in session 25). With
// dropout on the probabilities, LibTorch 2.11's kernel's backward does not drop what its
// forward dropped when sequences have different lengths (on the H200 its gradients disagreed
// with finite differences of its own forward, 2026-12-04; by our reading of its source, the
// forward and backward derive each (sequence, head)'s random offset from different sequence
// lengths), so the trainer uses it only for training without dropout (docs/performance.md).
#ifndef SG_TRAINER_MODEL_CUDA_LINE_ATTENTION_H_
#define SG_TRAINER_MODEL_CUDA_LINE_ATTENTION_H_

#include <torch/torch.h>

#include <cstdint>
#include <limits>

#include "trainer/model/graph_buckets.h"

namespace sg {

// True in a CUDA build whose LibTorch has the variable-length memory-efficient attention.
bool LineAttentionAvailable();

// q, k, v: [S, N, H, dh] float32 on a CUDA device, unit stride along dh and S mergeable with N
// without a copy (views of the projections' outputs). seq_starts: int32 [L+1] on the same
// device: line l covers positions [seq_starts[l], seq_starts[l+1]) of the flattened S*N, the
// first entry 0, the lines in order and back to back up to S*N, then S*N repeated for slots
// without a line (empty lines, so a captured graph keeps one L for every step). max_len: no
// line is longer. Each query attends to the keys of its own line up to itself, scores scaled
// by `scale`. Returns [S, N, H*dh], with gradients for q, k and v.
torch::Tensor LineAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                            const torch::Tensor& seq_starts, int64_t max_len, double scale);

// The same attention by our own kernels (cuda_line_attention_kernels.h), with dropout:
// probability (i, j) of a head is dropped with probability `dropout` by a hash of a key drawn
// from the device's default generator (graph-safe, so SeedPackDropout's reseeding replays the
// masks) and of h, i, j, the same in the forward and the backward; deterministic (no atomics).
// The products in TF32 on the tensor cores where cuBLAS may use TF32
// (at::globalContext().allowTF32CuBLAS(), as for the masked path's bmm), in fp32 otherwise.
// q, k, v and seq_starts as for LineAttention, head widths 8, 16, 32 or 64. Returns
// [S, N, H*dh], with gradients for q, k and v.
bool OwnLineAttentionAvailable();
torch::Tensor OwnLineAttention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& seq_starts,
                               double dropout, double scale);

// OwnLineAttention on a layer's fused query-key-value product (qkv_views.h): qkv [S, N, 3d]
// float32, d = heads x dh, on a CUDA device, its seeds and positions mergeable. The same
// kernels, masks and bits as OwnLineAttention on SplitQkv's three views; its backward writes
// the gradient of qkv as one [S, N, 3d] tensor (each kernel into its own columns), where
// the three views' gradients would be stacked and concatenated by autograd, and the product's
// backward is then one GEMM each for the input and the weight gradient.
torch::Tensor OwnLineAttentionQkv(const torch::Tensor& qkv, int64_t heads,
                                  const torch::Tensor& seq_starts, double dropout, double scale);

// Whether a packed training step (graph or eager) with rows of `row_len` positions attends per
// line: asked for (PackTrainerOptions::line_attention), available, no dropout, and rows past
// kMaxGraphLength (shorter rows take the masked math path, as fast for QF's rows of 64).
inline bool TrainStepUsesLineAttention(bool asked, double dropout, int64_t row_len) {
  return asked && dropout <= 0.0 && row_len > kMaxGraphLength && LineAttentionAvailable();
}

// The shortest row that attends per line by our kernels by default
// (PackTrainerOptions::own_line_attention_from): every row. Until 2026-12-04 (session 14) rows
// of up to kMaxGraphLength took the masked path, then as fast for QF's rows of 64; our kernels
// are now 2.7-3.0% faster there (docs/performance.md).
constexpr int64_t kOwnLineAttentionFrom = 1;

// Whether a packed training step with rows of `row_len` positions attends per line by our
// kernels: asked for (PackTrainerOptions::own_line_attention), built, rows of at least
// `from_len` positions, and either no dropout or the pack-level dropout stream
// (ForwardOptions::pack_dropout), which the kernels' key comes from. Takes precedence over
// TrainStepUsesLineAttention.
inline bool TrainStepUsesOwnLineAttention(bool asked, int64_t from_len, double dropout,
                                          bool pack_dropout, int64_t row_len) {
  return asked && row_len >= from_len && (dropout <= 0.0 || pack_dropout) &&
         OwnLineAttentionAvailable();
}

// Rows of any length, for decisions taken before the row length is known.
constexpr int64_t kAnyRowLength = std::numeric_limits<int64_t>::max();

// Whether a packed training step attends per line at all: by our kernels or by LibTorch's.
inline bool TrainStepAttendsPerLine(bool own_asked, int64_t own_from, bool libtorch_asked,
                                    double dropout, bool pack_dropout, int64_t row_len) {
  return TrainStepUsesOwnLineAttention(own_asked, own_from, dropout, pack_dropout, row_len) ||
         TrainStepUsesLineAttention(libtorch_asked, dropout, row_len);
}

// The shortest usual row (PackedRowLength of a step's longest line) whose step takes one row
// per seed by default (PackTrainerOptions::one_row_from): rows past kMaxGraphLength.
constexpr int64_t kOneRowFrom = kMaxGraphLength + 1;

// Whether a packed CUDA step lays its lines out one row per seed
// (PackTrainerOptions::one_row_per_seed): asked for, its usual rows (PackedRowLength of its
// longest line, `usual_row_len`) at least `from_len` long (kOneRowFrom: past
// kMaxGraphLength), and attending per line. Such a step's cost follows its lines, not its
// rows, so one row per seed drops the empty ends of its long rows. By default a step of
// shorter rows keeps them, per line or masked: QF's rows of 64 attending per line were slower
// as one row per seed of 256 positions (1,868 against 1,959 model-steps/s at 6 layers on the
// H200, 2026-12-04), since a tile of 64 queries then starts inside a line and reads two tiles
// of keys; in multiples of 16 positions instead of 256 such rows would hold 16% fewer
// positions (docs/performance.md, "Session 15"; not yet measured on a GPU). kAnyRowLength:
// whether any step may.
inline bool TrainStepUsesOneRow(bool asked, int64_t from_len, bool own_asked, int64_t own_from,
                                bool libtorch_asked, double dropout, bool pack_dropout,
                                int64_t usual_row_len) {
  return asked && usual_row_len >= from_len &&
         TrainStepAttendsPerLine(own_asked, own_from, libtorch_asked, dropout, pack_dropout,
                                 usual_row_len);
}

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_LINE_ATTENTION_H_
