// Padded lengths for CUDA-graph training. A captured graph replays fixed shapes, so a batch is
// padded to the bucket of its longest line; buckets are fine-grained where most batches fall
// (short lines: padding is wasted compute) and coarse further out. Torch-free.
#ifndef SG_TRAINER_MODEL_GRAPH_BUCKETS_H_
#define SG_TRAINER_MODEL_GRAPH_BUCKETS_H_

#include <cstdint>

namespace sg {

// Longest padded length a graph is captured for; longer batches take the eager step (they are
// rare in every task: Dyck's long tail, docs/performance.md).
constexpr int64_t kMaxGraphLength = 256;

// The bucket of a batch whose longest row has `tokens` positions (SOS included): a multiple of
// 8 up to 64, of 32 up to kMaxGraphLength; 0 above that (no graph). tokens < 1 counts as 1.
int64_t GraphLengthBucket(int64_t tokens);

// Packed rows (line_packing.h): the row length of a step whose longest line has `tokens`
// positions is the smallest of 64, 128, 256, 512 and 1024 that holds it, past that the next
// multiple of 64 (such steps run eagerly). Few lengths keep the (rows, length) shapes of a
// pack few, so a handful of graphs serves nearly every step; for Dyck's train split (simulated
// in docs/performance.md) 12 shapes occur, 8 of them in 99.5% of the steps.
constexpr int64_t kMaxPackedRowLength = 1024;
int64_t PackedRowLength(int64_t tokens);

// Whether a packed step of `rows` rows of `len` positions is captured in a graph: rows no
// longer than kMaxPackedRowLength and no more positions per seed than the largest padded
// bucket holds (batch_size x kMaxGraphLength), so a packed graph needs no more activation
// memory per seed than the padded graphs trainer/api/pack_memory.h budgets for.
bool PackedGraphFits(int64_t rows, int64_t len, int64_t batch_size);

// One row per seed (PackTrainerOptions::one_row_per_seed): every seed's lines back to back in
// one row whose length is the step's largest per-seed total, `tokens`, rounded up to a multiple
// of `granule` (at least 1; kOneRowGranule by default). Only attention per line makes long
// such rows cheap (a row's cost then follows its lines, not its length). At batch 8 the
// graphs' cap (8 x kMaxGraphLength = 2048) leaves 8 lengths of kOneRowGranule, as many as a
// pack captures graphs. Short lines (QF, Tense) vary less per seed: in 16s their steps take 5
// and 4 lengths (docs/performance.md, "Session 15").
constexpr int64_t kOneRowGranule = 256;
int64_t OneRowLength(int64_t tokens, int64_t granule = kOneRowGranule);
// Whether a one-row step of `len` positions is captured: no more positions per seed than the
// largest padded bucket holds, as PackedGraphFits.
bool OneRowGraphFits(int64_t len, int64_t batch_size);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_GRAPH_BUCKETS_H_
