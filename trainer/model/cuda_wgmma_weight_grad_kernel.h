// The layers' weight gradients dw[s] = x_s^T dy_s by Hopper's tensor-core instructions (wgmma,
// TF32), our own kernel. Both operands lie with the summed positions outermost (x_s [rows, p],
// dy_s [rows, q]): an "nt" product in cuBLAS's column-major terms. Hopper's TF32 wgmma takes B
// only from shared memory laid along the summed dimension, so cuBLAS runs Ampere's kernels for
// it (about 1.3 ms of a 10-seed, 6-layer QF step on the H200's side stream), and copying x
// transposed first costs more than the faster product saves (docs/performance.md, session 27).
// Here the copy engine brings each stage's rows as they lie (cp.async, three stages deep); x^T's
// fragments go from shared memory straight into registers (wgmma's A), and dy's block is
// transposed in shared memory into the 128-byte swizzle that wgmma reads as B. Inputs are not
// rounded: wgmma reads a TF32 operand's upper 19 bits, as cuBLAS's sm90 TF32 kernels do.
//
// Each 128 x 128 output tile is one block's, summed over its rows 32 at a time in a fixed order:
// the same bits on every run, no atomics, no split over the rows.
//
// Measured apart from sg (docs/measurements/2026-12-06-session29/wgmma_wgrad_probe.cu, 10 seeds
// x 256 rows, a QF layer's four shapes): about as fast as cuBLAS's "nt" kernels (H200 130.0
// against 126.4 us a layer), and in the step too. What it adds is tile_sums: the sums of squares
// of what it writes, so the gradient norm needs no pass of its own over these gradients
// (cuda_weight_grad_sums.h; +4.2-4.4% a QF step on the H100; docs/performance.md, session 29).
// SeedGemmWeightGrad (cuda_seed_gemm.h) calls it in the graph step's backward.
//
// Torch-free (raw device pointers, sizes, a stream) so that the .cu compiles with plain nvcc.
// Compiled for sm_90a only (wgmma is not in plain sm_90), in the CUDA build only; on any other
// device the launch answers cudaErrorNoKernelImageForDevice before it queues anything.
#ifndef SG_TRAINER_MODEL_CUDA_WGMMA_WEIGHT_GRAD_KERNEL_H_
#define SG_TRAINER_MODEL_CUDA_WGMMA_WEIGHT_GRAD_KERNEL_H_

#include <cuda_runtime_api.h>

#include <cstdint>

namespace sg {
namespace cuda_kernels {

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
  // Set: tile_sums[s * tile_sums_seed_stride + (i * q / tile + j)] = the sum of squares of
  // seed s's output tile (i, j) (rows i * tile .., columns j * tile ..), summed in a fixed order
  // from the values written to dw, so a gradient's norm needs no pass of its own over dw.
  float* tile_sums = nullptr;
  int64_t tile_sums_seed_stride = 0;
  // Set: db[s * db_seed_stride + j] = the sum of dy_s's column j over the seed's rows (the
  // bias gradient), from the raw stages the blocks of the first row of tiles already hold, in
  // a fixed order.
  float* db = nullptr;
  int64_t db_seed_stride = 0;
};

// Output tiles of a [p, q] gradient a seed: the row length tile_sums needs.
constexpr int64_t WgmmaWeightGradTiles(int64_t p, int64_t q) {
  return (p / kWgmmaWeightGradTile) * (q / kWgmmaWeightGradTile);
}

// Whether the kernel can run on `device` (compute capability 9.0, the sm_90a build present).
bool WgmmaWeightGradRunsOn(int device);

// Queues the product on `stream`. cudaErrorInvalidValue, nothing queued, unless: seeds in
// [1, 65535]; p and q positive multiples of kWgmmaWeightGradTile (p / tile, q / tile at most
// 65535); x and dy 16-byte aligned with x_ld, dy_ld and both seed strides multiples of 4 floats,
// x_ld >= p and dy_ld >= q; dw 16-byte aligned, dw_seed_stride a multiple of 4 and at least
// p * q; rows >= 0; with tile_sums, tile_sums_seed_stride >= WgmmaWeightGradTiles(p, q); with
// db, db_seed_stride >= q.
// cudaErrorNoKernelImageForDevice where WgmmaWeightGradRunsOn is false for the
// current device.
cudaError_t LaunchWgmmaWeightGrad(const WgmmaWeightGradArgs& args, cudaStream_t stream);

}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_WGMMA_WEIGHT_GRAD_KERNEL_H_
