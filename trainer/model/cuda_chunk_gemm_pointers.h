// The kernel behind cuda_chunk_gemm.h: writes, for each chunk c, the pointers cuBLAS's batched
// GEMM reads: its seed's weights w + chunk_seed[c] * w_seed_stride, its rows of x
// (x + c * x_chunk_stride) and of y (y + c * y_chunk_stride). On the device, from the device's
// chunk -> seed table, so a captured graph needs no host work per step. Torch-free (raw
// pointers, sizes, a stream) so that cuda_chunk_gemm_pointers.cu compiles with plain nvcc.
// Compiled only in the CUDA build.
#ifndef SG_TRAINER_MODEL_CUDA_CHUNK_GEMM_POINTERS_H_
#define SG_TRAINER_MODEL_CUDA_CHUNK_GEMM_POINTERS_H_

#include <cuda_runtime_api.h>

#include <cstdint>

namespace sg {
namespace cuda_kernels {

// w_ptrs, x_ptrs, y_ptrs: `chunks` pointers each in device memory. chunk_seed: `chunks` seeds
// (int64) in device memory. chunks >= 1.
cudaError_t LaunchChunkPointers(const int64_t* chunk_seed, int64_t chunks, const float* w,
                                int64_t w_seed_stride, const float* x, int64_t x_chunk_stride,
                                float* y, int64_t y_chunk_stride, const float** w_ptrs,
                                const float** x_ptrs, float** y_ptrs, cudaStream_t stream);

}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_CHUNK_GEMM_POINTERS_H_
