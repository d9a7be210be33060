// See cuda_chunk_gemm_pointers.h.
#include "trainer/model/cuda_chunk_gemm_pointers.h"

namespace sg {
namespace cuda_kernels {
namespace {

__global__ void ChunkPointersKernel(const int64_t* chunk_seed, int64_t chunks, const float* w,
                                    int64_t w_seed_stride, const float* x, int64_t x_chunk_stride,
                                    float* y, int64_t y_chunk_stride, const float** w_ptrs,
                                    const float** x_ptrs, float** y_ptrs) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= chunks) return;
  w_ptrs[c] = w + chunk_seed[c] * w_seed_stride;
  x_ptrs[c] = x + c * x_chunk_stride;
  y_ptrs[c] = y + c * y_chunk_stride;
}

}  // namespace

cudaError_t LaunchChunkPointers(const int64_t* chunk_seed, int64_t chunks, const float* w,
                                int64_t w_seed_stride, const float* x, int64_t x_chunk_stride,
                                float* y, int64_t y_chunk_stride, const float** w_ptrs,
                                const float** x_ptrs, float** y_ptrs, cudaStream_t stream) {
  if (chunks < 1) return cudaErrorInvalidValue;
  constexpr int kThreads = 128;
  const unsigned blocks = static_cast<unsigned>((chunks + kThreads - 1) / kThreads);
  ChunkPointersKernel<<<blocks, kThreads, 0, stream>>>(chunk_seed, chunks, w, w_seed_stride, x,
                                                      x_chunk_stride, y, y_chunk_stride, w_ptrs,
                                                      x_ptrs, y_ptrs);
  return cudaGetLastError();
}

}  // namespace cuda_kernels
}  // namespace sg
