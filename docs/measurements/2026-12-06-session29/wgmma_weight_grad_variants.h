// The layers' weight gradients dw[s] = x_s^T dy_s by Hopper's tensor-core instructions (wgmma,
// TF32), our own kernel. Both operands lie with the summed positions outermost (x_s [rows, p],
// dy_s [rows, q]): an "nt" product in cuBLAS's column-major terms, which Hopper's TF32 wgmma
// cannot read from memory as it lies (its operands must be laid along the summed dimension), so
// cuBLAS runs Ampere's kernels for it (about 1.4 ms of a 10-seed, 6-layer QF step on the side
// stream; docs/performance.md, sessions 22-28), and copying x transposed first costs more than
// the faster product saves (session 27). Here each thread loads a 4 x 4 block of x (and of dy)
// with four 16-byte loads, transposes it in registers, rounds it to TF32 and stores it into
// shared memory laid along the positions, in the 128-byte swizzle that wgmma reads; the next
// stage's loads fly while this stage's products run.
//
// Each 128 x 128 output tile is one block's, summed over its rows 32 at a time in a fixed
// order: the same bits on every run, no atomics, no split over the rows.
//
// Torch-free (raw device pointers, sizes, a stream) so that the .cu compiles with plain nvcc;
// cuda_seed_gemm.cc (the graph steps' weight gradients) and cuda_seed_weight_grad.cc (the
// ragged step's) are the LibTorch side. The .cu is compiled for sm_90a only (wgmma is not in
// plain sm_90), in the CUDA build only; on any other device the launch answers
// cudaErrorNoKernelImageForDevice before it queues anything, and the callers take another path.
#ifndef SG_SESSION29_WGMMA_WEIGHT_GRAD_VARIANTS_H_
#define SG_SESSION29_WGMMA_WEIGHT_GRAD_VARIANTS_H_

#include <cuda_runtime_api.h>

#include <cstdint>

namespace sg {
namespace cuda_kernels {
// Session 29's measurement copy (variants); the tree's header is
// trainer/model/cuda_wgmma_weight_grad_kernel.h.

// The output tile's side: p and q must be multiples of it.
constexpr int64_t kWgmmaWeightGradTile = 128;

// Where seed s's rows are, and where its gradient goes. All in floats.
struct WgmmaWeightGradArgs {
  const float* x = nullptr;   // seed s's row r at x + s * x_seed_stride + r * x_ld (p floats)
  int64_t x_seed_stride = 0;
  int64_t x_ld = 0;
  const float* dy = nullptr;  // likewise, q floats a row
  int64_t dy_seed_stride = 0;
  int64_t dy_ld = 0;
  // Device int64 [seeds + 1] or null. Set: seed s's rows are [offsets[s], offsets[s + 1]) of x
  // and dy (the seed strides must be 0). Null: rows [0, rows) of each seed's block.
  const int64_t* offsets = nullptr;
  int64_t rows = 0;
  int64_t seeds = 0;
  int64_t p = 0, q = 0;
  float* dw = nullptr;        // seed s's [p, q] gradient, row-major, at dw + s * dw_seed_stride
  int64_t dw_seed_stride = 0;
  int variant = 1;  // measurement only: 0 registers, 1 raw 2 + 1 swizzled, 2 raw 3 + 2
};

// Whether the kernel can run on `device` (compute capability 9.0, the sm_90a build present).
bool WgmmaWeightGradRunsOn(int device);

// Queues the product on `stream`. cudaErrorInvalidValue, nothing queued, unless: seeds in
// [1, 65535]; p and q positive multiples of kWgmmaWeightGradTile (p / tile, q / tile at most
// 65535); x and dy 16-byte aligned with x_ld, dy_ld and both seed strides multiples of 4 floats,
// x_ld >= p and dy_ld >= q; dw 16-byte aligned, dw_seed_stride a multiple of 4 and at least
// p * q; rows >= 0. cudaErrorNoKernelImageForDevice where WgmmaWeightGradRunsOn is false for the
// current device.
cudaError_t LaunchWgmmaWeightGrad(const WgmmaWeightGradArgs& args, cudaStream_t stream);

}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_SESSION29_WGMMA_WEIGHT_GRAD_VARIANTS_H_
