// Several lines of one seed in one row (docs/performance.md, "Dyck: lines packed into rows").
// A pack step pads every seed's batch to one [S, rows, len] shape; padding all S x batch_size
// lines to the longest of them wastes most of a Dyck step (mean ~51 tokens, p99 ~370, max
// ~1,100). Packed, each seed's lines share rows of one length: the model sees a row as several
// sequences (positions restart at each line, attention stays inside a line: pack_model.h,
// ForwardOptions::line_start), so the loss and its gradient are those of the padded batch.
// Torch-free.
#ifndef SG_TRAINER_MODEL_LINE_PACKING_H_
#define SG_TRAINER_MODEL_LINE_PACKING_H_

#include <cstdint>
#include <vector>

#include "trainer/model/graph_buckets.h"

namespace sg {

// Where one line sits in its seed's packed rows.
struct PackedSlot {
  int64_t row = 0;
  int64_t offset = 0;  // first position of the line (its SOS) in the row
};

// First-fit decreasing of one seed's lines (`tokens[i]`: positions of line i, SOS included;
// each at most row_len) into rows of row_len positions: lines longest first (ties in line
// order), each into the first row with room. Deterministic. Returns each line's slot, in line
// order; *rows receives the number of rows used (0 for no lines).
std::vector<PackedSlot> PackIntoRows(const std::vector<int64_t>& tokens, int64_t row_len,
                                     int64_t* rows);

// The packed shape of a step: every seed's lines in `rows` rows of `len` positions.
struct PackedShape {
  int64_t rows = 0;
  int64_t len = 0;
};

// tokens[s]: the positions of seed s's lines. len = PackedRowLength(longest line) and rows the
// most rows any seed needs at that length (at least 1).
PackedShape PackedShapeOf(const std::vector<std::vector<int64_t>>& tokens);

// One row per seed: rows 1, len = OneRowLength(the largest per-seed sum of tokens, granule).
PackedShape OneRowShapeOf(const std::vector<std::vector<int64_t>>& tokens,
                          int64_t granule = kOneRowGranule);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_LINE_PACKING_H_
