// Our own CUDA kernel for the layers' bias gradients: out[s, c] = sum over r of dy[s, r, c],
// the sum over a seed's rows of the output gradient. LibTorch's sum over the middle dimension
// took 32 us for one [10, 256, 2048] gradient on the H200 (21 MB: 5 us at the bandwidth), this
// one about 15 us beside the backward's other kernels (docs/performance.md, "Measured
// (2026-12-04, session 13 ...)"). Each warp sums a strided share of the rows for 128 columns
// (a float4 per lane), and the warps' sums are added in a fixed order: the same bits on every
// run, capturable in a CUDA graph.
//
// Torch-free (raw device pointers, sizes, a stream) so that cuda_seed_column_sums.cu compiles
// with plain nvcc; cuda_side_stream_linear.cc is the LibTorch side. Compiled only in the CUDA
// build.
#ifndef SG_TRAINER_MODEL_CUDA_SEED_COLUMN_SUMS_H_
#define SG_TRAINER_MODEL_CUDA_SEED_COLUMN_SUMS_H_

#include <cuda_runtime_api.h>

#include <cstdint>

namespace sg {
namespace cuda_kernels {

// dy: [seeds, rows, cols] contiguous floats; out: [seeds, cols] contiguous floats. seeds in
// [1, 65535], rows >= 1, cols >= 1.
cudaError_t LaunchSeedColumnSums(const float* dy, int64_t seeds, int64_t rows, int64_t cols,
                                 float* out, cudaStream_t stream);

// The same over a token-major dy [rows, cols]: seed s's rows are [offsets[s], offsets[s+1]),
// offsets [seeds + 1] int64 on the device (the ragged step's bias gradients over each seed's
// own rows, cuda_seed_weight_grad.h). A seed of no rows sums to zeros.
cudaError_t LaunchSeedSegmentColumnSums(const float* dy, const int64_t* offsets, int64_t seeds,
                                        int64_t cols, float* out, cudaStream_t stream);

}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_SEED_COLUMN_SUMS_H_
