// The kernel behind cuda_padded_rows.h. Torch-free (raw pointers, sizes, a stream) so that
// cuda_padded_rows_kernel.cu compiles with plain nvcc. Compiled only in the CUDA build.
#ifndef SG_TRAINER_MODEL_CUDA_PADDED_ROWS_KERNEL_H_
#define SG_TRAINER_MODEL_CUDA_PADDED_ROWS_KERNEL_H_

#include <cuda_runtime_api.h>

#include <cstdint>

namespace sg {
namespace cuda_kernels {

// out [rows, width] row r = x [?, width] row slot_row[r] where slot_row[r] >= 0, else zeros.
// All pointers device memory; rows >= 1, width >= 1.
cudaError_t LaunchGatherPaddedRows(const float* x, const int64_t* slot_row, int64_t rows,
                                   int64_t width, float* out, cudaStream_t stream);

}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_PADDED_ROWS_KERNEL_H_
