// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_chunk_gemm.h.
#include "trainer/model/cuda_chunk_gemm.h"

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cublas_v2.h>

#include <climits>

#include "trainer/model/cuda_chunk_gemm_pointers.h"

namespace sg {

bool ChunkGemmAvailable() { return true; }

bool ChunkGemm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& chunk_seed,
               int64_t chunk, bool transpose_w, torch::Tensor* y) {
  if (!x.is_cuda() || !w.is_cuda() || !chunk_seed.is_cuda() ||
      x.scalar_type() != torch::kFloat32 || w.scalar_type() != torch::kFloat32 ||
      chunk_seed.scalar_type() != torch::kInt64 || x.dim() != 2 || w.dim() != 3 ||
      chunk_seed.dim() != 1 || !x.is_contiguous() || !chunk_seed.is_contiguous()) {
    return false;
  }
  // Each seed's matrix contiguous; the seeds at any stride (views of the flat [S, P] buffer).
  if (w.stride(2) != 1 || w.stride(1) != w.size(2)) return false;
  const int64_t chunks = chunk_seed.size(0);
  const int64_t q = x.size(1);
  const int64_t p = transpose_w ? w.size(1) : w.size(2);
  if (chunks < 1 || chunk < 1 || x.size(0) != chunks * chunk) return false;
  if ((transpose_w ? w.size(2) : w.size(1)) != q) return false;
  if (chunks > INT_MAX || chunk > INT_MAX || p > INT_MAX || q > INT_MAX) return false;
  c10::cuda::CUDAGuard guard(x.device());
  *y = torch::empty({x.size(0), p}, x.options());
  // The three pointer arrays in one device allocation (8 bytes a pointer, as an int64).
  torch::Tensor pointers = torch::empty({3 * chunks}, chunk_seed.options());
  int64_t* slots = pointers.data_ptr<int64_t>();
  const float** w_ptrs = reinterpret_cast<const float**>(slots);
  const float** x_ptrs = reinterpret_cast<const float**>(slots + chunks);
  float** y_ptrs = reinterpret_cast<float**>(slots + 2 * chunks);
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream(x.device().index()).stream();
  const cudaError_t err = cuda_kernels::LaunchChunkPointers(
      chunk_seed.data_ptr<int64_t>(), chunks, w.data_ptr<float>(), w.stride(0),
      x.data_ptr<float>(), chunk * q, y->data_ptr<float>(), chunk * p, w_ptrs, x_ptrs, y_ptrs,
      stream);
  TORCH_CHECK(err == cudaSuccess, "chunk pointers kernel: ", cudaGetErrorString(err));
  // Row-major y_c [chunk, p] = x_c [chunk, q] W_c. cuBLAS is column-major: y_c^T [p, chunk] =
  // op(A) [p, q] x_c^T [q, chunk], with A the seed's matrix read column-major: w_s [q, p]
  // (row-major) is [p, q] with leading dimension p, no op; w_s [p, q] is [q, p] with leading
  // dimension q, transposed.
  const float one = 1.0f, zero = 0.0f;
  const cublasComputeType_t compute = at::globalContext().allowTF32CuBLAS()
                                          ? CUBLAS_COMPUTE_32F_FAST_TF32
                                          : CUBLAS_COMPUTE_32F;
  // LibTorch's handle for the current stream, with its workspace (no allocation in a capture).
  cublasHandle_t handle = at::cuda::getCurrentCUDABlasHandle();
  const cublasStatus_t status = cublasGemmBatchedEx(
      handle, transpose_w ? CUBLAS_OP_T : CUBLAS_OP_N, CUBLAS_OP_N, static_cast<int>(p),
      static_cast<int>(chunk), static_cast<int>(q), &one,
      reinterpret_cast<const void* const*>(w_ptrs), CUDA_R_32F,
      static_cast<int>(transpose_w ? q : p), reinterpret_cast<const void* const*>(x_ptrs),
      CUDA_R_32F, static_cast<int>(q), &zero, reinterpret_cast<void* const*>(y_ptrs),
      CUDA_R_32F, static_cast<int>(p), static_cast<int>(chunks), compute, CUBLAS_GEMM_DEFAULT);
  TORCH_CHECK(status == CUBLAS_STATUS_SUCCESS, "cublasGemmBatchedEx over ", chunks,
              " chunks failed with status ", static_cast<int>(status));
  return true;
}

}  // namespace sg
