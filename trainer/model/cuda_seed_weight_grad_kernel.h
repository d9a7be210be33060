// Our own CUDA kernel for the ragged step's weight gradients: dw[s] = x_s^T dy_s, where x_s and
// dy_s are seed s's own rows [offsets[s], offsets[s+1]) of the step's token-major x [N, p] and
// dy [N, q]. LibTorch's form first copies every seed's rows into a padded view [S, seed_slots]
// (x's and dy's, for every linear: 1.16 ms of a 10.6 ms Dyck step on the H200 in session 17)
// and then multiplies the padding's zeros too, up to the longest seed's rows for every seed.
// Here each seed's tiles read its rows in place and stop at its own end; the offsets are
// device memory, so a captured CUDA graph replays the kernel for any step of the same shape.
//
// TF32 tensor cores (wmma m16n16k8, inputs rounded to TF32, fp32 sums): served where cuBLAS
// may use TF32 only. Each output tile is one block's, summed over its rows in a fixed order:
// the same bits on every run, no atomics.
//
// Torch-free (raw device pointers, sizes, a stream) so that the .cu compiles with plain nvcc;
// cuda_seed_weight_grad.cc is the LibTorch side. Compiled only in the CUDA build.
#ifndef SG_TRAINER_MODEL_CUDA_SEED_WEIGHT_GRAD_KERNEL_H_
#define SG_TRAINER_MODEL_CUDA_SEED_WEIGHT_GRAD_KERNEL_H_

#include <cuda_runtime_api.h>

#include <cstdint>

namespace sg {
namespace cuda_kernels {

// The output tile's side: p and q must be multiples of it.
constexpr int64_t kSeedWeightGradTile = 128;

// x [rows, p], dy [rows, q] contiguous floats, 16-byte aligned; offsets [seeds + 1] int64 on the
// device, non-decreasing, within [0, rows]; dw [seeds, p, q] contiguous floats, 32-byte
// aligned. seeds in [1, 65535]; p and q positive multiples of kSeedWeightGradTile.
cudaError_t LaunchSeedWeightGrad(const float* x, const float* dy, const int64_t* offsets,
                                 int64_t seeds, int64_t p, int64_t q, float* dw,
                                 cudaStream_t stream);

}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_SEED_WEIGHT_GRAD_KERNEL_H_
