// The seeds' padded view of a ragged activation on CUDA (ragged_table_ops.h, SeedPaddedView):
// one kernel of ours that writes every slot of the view once, the row the slot holds or zeros,
// from a device table (RaggedBatch::slot_row). LibTorch's form, zeros and then index_copy_,
// writes the view twice; the weight gradients of a ragged step read such views for each of a
// layer's linears (docs/performance.md, "Ragged steps"). Trainer-internal (LibTorch).
// cuda_padded_rows.cc implements it against a CUDA LibTorch; the CPU build compiles
// cuda_padded_rows_unavailable.cc, where it never serves.
#ifndef SG_TRAINER_MODEL_CUDA_PADDED_ROWS_H_
#define SG_TRAINER_MODEL_CUDA_PADDED_ROWS_H_

#include <torch/torch.h>

namespace sg {

// out[r] = x[slot_row[r]] where slot_row[r] >= 0, else zeros, for r < slot_row.size(0); out
// is [slot_row.size(0), x's other dimensions...]. Serves (returns true, *out set) a contiguous
// fp32 x of at least one dimension and an int64 contiguous 1-D slot_row, both on one CUDA
// device; the rows slot_row names must be rows of x (the caller's table says so). False
// otherwise: nothing done.
bool GatherPaddedRows(const torch::Tensor& x, const torch::Tensor& slot_row, torch::Tensor* out);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_PADDED_ROWS_H_
