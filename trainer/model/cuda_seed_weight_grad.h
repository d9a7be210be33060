// The ragged step's weight and bias gradients over each seed's own rows, by our kernels
// (cuda_seed_weight_grad_kernel.h for dw, cuda_seed_column_sums.h for db), where LibTorch's
// form copies x and dy into padded views and multiplies those (ragged_table_ops.cc). The
// offsets are a device table (RaggedBatch::seed_own_offsets), so a captured graph replays it.
// Trainer-internal (LibTorch). cuda_seed_weight_grad.cc implements it against a CUDA LibTorch;
// the CPU build compiles cuda_seed_weight_grad_unavailable.cc, where it never serves. Used only
// with PackTrainerOptions::ragged_own_weight_grads (off by default: on the H200 in session 18 a
// Dyck step ran no faster with it, 944 against 955 model-steps/s; docs/performance.md).
#ifndef SG_TRAINER_MODEL_CUDA_SEED_WEIGHT_GRAD_H_
#define SG_TRAINER_MODEL_CUDA_SEED_WEIGHT_GRAD_H_

#include <torch/torch.h>

namespace sg {

// dw[s] = x_s^T dy_s and, with db, db[s] = the column sums of dy_s, where x_s and dy_s are rows
// [offsets[s], offsets[s+1]) of x [N, p] and dy [N, q]; dw [S, p, q] and db [S, q] are written
// in place. Serves (returns true) contiguous fp32 x, dy, dw, db and int64 offsets [S+1] on one
// CUDA device, p and q multiples of 128, where cuBLAS may use TF32
// (at::globalContext().allowTF32CuBLAS(): the kernel's products are TF32). False otherwise:
// nothing written, the caller takes LibTorch's path. On the current stream.
bool SeedRowsLinearGrads(const torch::Tensor& x, const torch::Tensor& dy,
                         const torch::Tensor& offsets, torch::Tensor& dw, torch::Tensor* db);

// How many times SeedRowsLinearGrads has served in this process (launches from the host: a
// captured graph's replays are not counted), so that a test can tell it ran.
int64_t SeedRowsLinearGradsServed();

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_SEED_WEIGHT_GRAD_H_
