// The ragged layout of a pack step (docs/performance.md, "Session 15" and "Ragged steps"):
// every seed's lines back to back in a segment of its own length, rounded up to whole chunks
// of `chunk` positions, the segments one after another in one token-major array. Packed rows
// ([S, rows, len], line_packing.h) give every seed the positions of the seed that needs most:
// Dyck's steps then compute 2.3 positions per real one, since a step's longest seed holds
// twice the tokens of its mean seed. Here a seed computes its own positions only (4,473 per
// 10-seed Dyck step against 9,497, by simulation); the linears then run per chunk with its
// seed's weights (ragged_table_ops.h). Positions restart at each line and attention stays
// inside a line, as in packed rows, so the loss and its gradients are the padded batch's.
// Trainer-internal (LibTorch).
#ifndef SG_TRAINER_MODEL_RAGGED_BATCH_H_
#define SG_TRAINER_MODEL_RAGGED_BATCH_H_

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "tasks/model_scorer.h"

namespace sg {

// The chunk a seed's segment is a multiple of, by default: a tile of our attention kernels'
// queries and a row block of the GEMMs.
constexpr int64_t kRaggedChunk = 64;

// A captured graph's rounding of a step's chunks and of its largest seed's chunks, by default
// (PackTrainerOptions::ragged_chunks_granule, ragged_seed_chunks_granule): for Dyck, 20 shapes,
// the 8 a pack captures 98% of the steps (docs/performance.md, "Ragged steps").
constexpr int64_t kRaggedChunksGranule = 16;
constexpr int64_t kRaggedSeedChunksGranule = 8;

struct RaggedLayout {
  int64_t chunk = kRaggedChunk;  // positions per chunk, a multiple of 8
  // At least this many chunks in all (0: the seeds' own); the chunks past the seeds' own are
  // padding of the last seed's segment, so a captured graph can keep one size for many steps.
  int64_t chunks = 0;
  // As LmBatchLayout::line_slots: >= 0 makes `line_seqstarts` with that many entries besides
  // the final one, at least the batch's lines (0: exactly them); -1: not made.
  int64_t line_slots = -1;
  // At least this many chunks per seed in the seeds' padded view (padded_slot; 0: as many as
  // the seed with most chunks has), so a captured graph keeps one view for many steps.
  int64_t seed_chunks = 0;
  bool pinned = false;  // host tensors in pinned memory (with device kCPU)
  // Whether to make RaggedBatch::slot_row (the padded view by our kernel on CUDA); false
  // leaves it undefined, and the views take LibTorch's copies (sg-bench's comparison).
  bool slot_rows = true;
  // Whether to make RaggedBatch::seed_own_offsets (the weight gradients over each seed's own
  // rows by our kernels on CUDA, PackTrainerOptions::ragged_own_weight_grads); false leaves it
  // undefined, and the weight gradients multiply the padded views.
  bool own_offsets = false;
};

// A ragged LM batch on a device: seed s's positions are [seed_begin[s], seed_begin[s+1]) of
// the N = chunks x chunk positions; within it, its lines in line order, each [SOS, w1..wn]
// with targets [w1..wn, EOS] (experiment.md §2.1), then padding.
struct RaggedBatch {
  torch::Tensor ids;         // [N] int64, padding 0
  torch::Tensor targets;     // [N] int64, -100 at padding
  torch::Tensor line_pos;    // [N] int64: the position in its line (the encoding's row)
  torch::Tensor line_start;  // [N] int64: where its line starts in N (padding: itself)
  // layout.line_slots >= 0 only: int32 [L+1], where each line of N starts (every padding
  // position a line of its own), then N repeated (OwnLineAttention's seq_starts).
  torch::Tensor line_seqstarts;
  torch::Tensor counts;      // [S] float, valid targets per seed
  torch::Tensor chunk_seed;  // [chunks] int64: the seed whose weights each chunk uses
  torch::Tensor row_seed;    // [N] int64: the same per position
  torch::Tensor seed_offsets;  // [S+1] int64: seed_begin on the device
  // [S+1] int64: seed_offsets, but the last seed ends at its own chunks (the layout's padding
  // chunks past them excluded): where each seed's rows of a weight gradient are
  // (cuda_seed_weight_grad.h).
  torch::Tensor seed_own_offsets;
  // The seeds' padded view [S, seed_slots] (each seed's positions, then zeros): [N] int64,
  // each position's slot in it, s * seed_slots + (its index - seed_begin[s]); the chunks past
  // the seeds' own (layout.chunks) go to one row after the view, S * seed_slots, which nothing
  // reads. What a weight gradient and a per-seed sum read (ragged_table_ops.h): one batched
  // product or sum over seeds with a fixed order, no atomics.
  torch::Tensor padded_slot;
  // The same table the other way: [S * seed_slots] int64, the position each slot of the view
  // holds, -1 for its zeros; what our kernel writes the view from in one pass
  // (cuda_padded_rows.h).
  torch::Tensor slot_row;
  int64_t seed_slots = 0;
  int64_t padded_rows = 0;  // S * seed_slots + 1: the rows padded_slot points into
  // Host-side: S+1 entries, seed_begin[0] = 0, seed_begin[S] = N; each a multiple of chunk.
  // Empty in a captured graph's batch (its segments change with every replay): the model then
  // reads the device tables only, which needs attention per line by our kernels.
  std::vector<int64_t> seed_begin;
  int64_t chunk = kRaggedChunk;
  int64_t num_positions() const { return seed_begin.empty() ? 0 : seed_begin.back(); }
};

// The chunks seed s's lines take: their positions (SOS included) rounded up to `chunk`, at
// least one chunk (a seed without lines keeps a segment, so every seed has weights in use).
int64_t RaggedSeedChunks(const std::vector<int64_t>& tokens, int64_t chunk);

// Each seed's chunks in a step of these lines (lines[s]: seed s's), RaggedSeedChunks of its own.
std::vector<int64_t> RaggedSeedChunkCounts(const std::vector<std::vector<const TokenIds*>>& lines,
                                           int64_t chunk);

// The chunks of a step of these lines, each seed's own summed (no layout.chunks rounding).
int64_t RaggedChunksOf(const std::vector<std::vector<const TokenIds*>>& lines, int64_t chunk);

// A captured graph's static batch: `like`'s tensors (on any device) as uninitialised tensors
// of their shapes on `device`, its sizes and chunk kept and seed_begin left empty (a replay's
// segments are in the tables only).
RaggedBatch StaticRaggedBatch(const RaggedBatch& like, torch::Device device);
// Copies every tensor of `from` into `to`'s (the same shapes), without waiting.
void CopyRaggedBatch(const RaggedBatch& from, RaggedBatch* to);

// lines[s] = the lines of seed s. Checks the layout (chunk a positive multiple of 8, chunks,
// seed_chunks and line_slots enough for these lines) with TORCH_CHECK.
RaggedBatch MakeRaggedBatch(const std::vector<std::vector<const TokenIds*>>& lines, int32_t sos,
                            int32_t eos, torch::Device device, const RaggedLayout& layout = {});

}  // namespace sg

#endif  // SG_TRAINER_MODEL_RAGGED_BATCH_H_
