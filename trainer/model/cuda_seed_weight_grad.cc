// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_seed_weight_grad.h.
#include "trainer/model/cuda_seed_weight_grad.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <atomic>
#include <cstdint>

#include "trainer/model/cuda_seed_column_sums.h"
#include "trainer/model/cuda_seed_weight_grad_kernel.h"

namespace sg {
namespace {

std::atomic<int64_t> served{0};

bool Aligned(const torch::Tensor& t, uintptr_t bytes) {
  return reinterpret_cast<uintptr_t>(t.data_ptr()) % bytes == 0;
}

bool FloatOn(const torch::Tensor& t, const torch::Device& device, int64_t dim) {
  return t.defined() && t.device() == device && t.scalar_type() == torch::kFloat32 &&
         t.dim() == dim && t.is_contiguous();
}

}  // namespace

bool SeedRowsLinearGrads(const torch::Tensor& x, const torch::Tensor& dy,
                         const torch::Tensor& offsets, torch::Tensor& dw, torch::Tensor* db) {
  if (!x.defined() || !x.is_cuda() || !at::globalContext().allowTF32CuBLAS()) return false;
  const torch::Device device = x.device();
  if (!FloatOn(x, device, 2) || !FloatOn(dy, device, 2) || !FloatOn(dw, device, 3) ||
      (db != nullptr && !FloatOn(*db, device, 2))) {
    return false;
  }
  if (!offsets.defined() || offsets.device() != device ||
      offsets.scalar_type() != torch::kInt64 || offsets.dim() != 1 || !offsets.is_contiguous()) {
    return false;
  }
  const int64_t S = offsets.size(0) - 1, p = x.size(1), q = dy.size(1);
  const int64_t tile = cuda_kernels::kSeedWeightGradTile;
  if (S < 1 || S > 65535 || x.size(0) != dy.size(0) || p < tile || q < tile || p % tile != 0 ||
      q % tile != 0 || dw.size(0) != S || dw.size(1) != p || dw.size(2) != q ||
      (db != nullptr && (db->size(0) != S || db->size(1) != q))) {
    return false;
  }
  if (!Aligned(x, 16) || !Aligned(dy, 16) || !Aligned(dw, 32)) return false;
  c10::cuda::CUDAGuard guard(device);
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream(device.index()).stream();
  cudaError_t err = cuda_kernels::LaunchSeedWeightGrad(
      x.data_ptr<float>(), dy.data_ptr<float>(), offsets.data_ptr<int64_t>(), S, p, q,
      dw.data_ptr<float>(), stream);
  TORCH_CHECK(err == cudaSuccess, "seed weight gradient kernel: ", cudaGetErrorString(err));
  served.fetch_add(1);
  if (db != nullptr) {
    err = cuda_kernels::LaunchSeedSegmentColumnSums(dy.data_ptr<float>(),
                                                    offsets.data_ptr<int64_t>(), S, q,
                                                    db->data_ptr<float>(), stream);
    TORCH_CHECK(err == cudaSuccess, "seed bias gradient kernel: ", cudaGetErrorString(err));
  }
  return true;
}

int64_t SeedRowsLinearGradsServed() { return served.load(); }

}  // namespace sg
