// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_padded_rows.h.
#include "trainer/model/cuda_padded_rows.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <vector>

#include "trainer/model/cuda_padded_rows_kernel.h"

namespace sg {

bool GatherPaddedRows(const torch::Tensor& x, const torch::Tensor& slot_row, torch::Tensor* out) {
  if (!x.is_cuda() || !slot_row.is_cuda() || x.device() != slot_row.device() ||
      x.scalar_type() != torch::kFloat32 || slot_row.scalar_type() != torch::kInt64 ||
      x.dim() < 1 || slot_row.dim() != 1 || !x.is_contiguous() || !slot_row.is_contiguous() ||
      slot_row.size(0) < 1 || x.size(0) < 1) {
    return false;
  }
  const int64_t width = x.numel() / x.size(0);
  if (width < 1) return false;
  c10::cuda::CUDAGuard guard(x.device());
  std::vector<int64_t> sizes = x.sizes().vec();
  sizes[0] = slot_row.size(0);
  *out = torch::empty(sizes, x.options());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream(x.device().index()).stream();
  const cudaError_t err =
      cuda_kernels::LaunchGatherPaddedRows(x.data_ptr<float>(), slot_row.data_ptr<int64_t>(),
                                           slot_row.size(0), width, out->data_ptr<float>(), stream);
  TORCH_CHECK(err == cudaSuccess, "padded rows kernel: ", cudaGetErrorString(err));
  return true;
}

}  // namespace sg
