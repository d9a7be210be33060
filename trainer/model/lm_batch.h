// The padded LM batch of a pack (experiment.md §2.1): each seed's lines as one [S,B,T] tensor
// triple. Used by the training step, the CUDA-graph step and the evaluation forwards, so it
// lives with the model, not with the run driver. Trainer-internal (LibTorch).
#ifndef SG_TRAINER_MODEL_LM_BATCH_H_
#define SG_TRAINER_MODEL_LM_BATCH_H_

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "tasks/model_scorer.h"
#include "trainer/model/line_packing.h"

namespace sg {

// The padded shape of a batch: at least `rows` rows and `len` positions (0: fit the lines).
struct LmBatchLayout {
  int64_t rows = 0;
  int64_t len = 0;
  bool pinned = false;  // host tensors in pinned memory (with device kCPU), for async copies
  // Several lines per row (line_packing.h): each seed's lines packed into rows of `len`
  // positions (0: PackedRowLength of the longest line), at least `rows` rows. `line_start`
  // is then set, and `lengths` is the full row (the line starts mask everything else).
  bool packed = false;
  // Packed only: when >= 0, `line_seqstarts` is made with that many entries besides the final
  // one, at least the batch's lines (0: exactly them; the graph step fixes it per shape, so
  // every replay has as many); -1: not made (only attention per line reads it).
  int64_t line_slots = -1;
  // Packed only: every seed's lines back to back in one row (OneRowShapeOf; `len` 0: its
  // length, in multiples of one_row_granule), instead of rows of PackedRowLength.
  bool one_row = false;
  int64_t one_row_granule = kOneRowGranule;
};

// A padded LM batch on a device: input [SOS, w1..wn], target [w1..wn, EOS] (§2.1).
struct LmBatch {
  torch::Tensor ids;      // [S,B,T] int64, padding 0
  torch::Tensor targets;  // [S,B,T] int64, padding -100
  torch::Tensor lengths;  // [S,B] int64, n+1 (0 for a missing row)
  torch::Tensor counts;   // [S] float, valid targets per seed
  // Packed batches only: [S,B,T] int64, the position where each token's line starts in its
  // row (ForwardOptions::line_start). Each padding position after a row's last line is a
  // "line" of its own, so every query sees at least itself and padding costs attention per
  // line one position each.
  torch::Tensor line_start;
  // Packed batches with layout.line_slots >= 0 only: int32 [L+1], where each line of the
  // flattened [S*B*T] positions starts (each padding position counts as a line), then S*B*T,
  // repeated up to layout.line_slots + 1 entries (cuda_line_attention.h).
  torch::Tensor line_seqstarts;
  // Host-side: each seed's own rows and padded length (what its batch alone would be); for a
  // packed batch the batch's rows and row length for every seed.
  std::vector<int64_t> rows, max_len;
};
// lines[s] = the lines of seed s (rows may differ in number; missing rows are empty).
LmBatch MakeLmBatch(const std::vector<std::vector<const TokenIds*>>& lines, int32_t sos,
                    int32_t eos, torch::Device device, const LmBatchLayout& layout = {});

// The [S, rows, len] a packed batch of these lines has (line_packing.h, PackedShapeOf, or
// OneRowShapeOf with one_row, in multiples of one_row_granule).
PackedShape PackedBatchShape(const std::vector<std::vector<const TokenIds*>>& lines,
                             bool one_row = false, int64_t one_row_granule = kOneRowGranule);

// A batch's host tensor on `device`: as it is on the CPU (or when undefined); else copied
// without waiting, from pinned memory (`pinned`: t already is; else a pinned copy first).
torch::Tensor BatchTensorTo(const torch::Tensor& t, torch::Device device, bool pinned);

// The int32 line starts attention per line reads (LmBatch::line_seqstarts): `starts` (where
// each line of `total` positions begins, in order), then `total` repeated up to line_slots + 1
// entries (0: exactly the lines). TORCH_CHECKs that the lines fit the slots. On the host,
// pinned when asked.
torch::Tensor LineStartsTensor(std::vector<int32_t> starts, int64_t line_slots, int64_t total,
                               bool pinned);

// Positions of the longest row of a step's lines (SOS included), at least 1.
int64_t LongestRow(const std::vector<std::vector<const TokenIds*>>& lines);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_LM_BATCH_H_
