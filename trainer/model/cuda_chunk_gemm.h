// The ragged step's linears on CUDA (ragged_table_ops.h): one cuBLAS batched GEMM over the
// step's chunks of positions, each chunk's product with its own seed's weights through an
// array of pointers that a kernel of ours writes on the device from the chunk -> seed table
// (cuda_chunk_gemm_pointers.h). The table is device memory, so a captured graph replays the
// GEMM for any step of the same chunk count; each chunk computes its own positions only, where
// the padded step's strided GEMM computes every seed over the pack's largest. Trainer-internal
// (LibTorch). cuda_chunk_gemm.cc implements it against a CUDA LibTorch; the CPU build compiles
// cuda_chunk_gemm_unavailable.cc, where it never serves (ragged_table_ops.cc then takes
// LibTorch's bmm over gathered weights, the same products).
#ifndef SG_TRAINER_MODEL_CUDA_CHUNK_GEMM_H_
#define SG_TRAINER_MODEL_CUDA_CHUNK_GEMM_H_

#include <torch/torch.h>

#include <cstdint>

namespace sg {

// Whether this build has the batched GEMM over chunks.
bool ChunkGemmAvailable();

// y = x @ w[chunk_seed[c]] for each chunk c of `chunk` rows of x ([N, q], N = chunks x chunk);
// w [S, q, p] (transpose_w: w [S, p, q] and the product takes w[s]^T), so y is [N, p]. Serves
// (returns true, *y set) fp32 x contiguous and w with contiguous inner matrices (any seed
// stride: the pack's weights are views of its flat [S, P] buffer) on a CUDA device, chunk_seed
// int64 on it; the products in TF32 where cuBLAS may use TF32
// (at::globalContext().allowTF32CuBLAS()). False otherwise: nothing done.
bool ChunkGemm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& chunk_seed,
               int64_t chunk, bool transpose_w, torch::Tensor* y);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_CHUNK_GEMM_H_
