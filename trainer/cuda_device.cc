// Compiled only against a CUDA LibTorch; see cuda_device.h.
#include "trainer/cuda_device.h"

#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>

namespace sg {

absl::StatusOr<CudaMemoryFigures> CudaMemory(int device_index) {
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device_index);
  CudaMemoryFigures out;
  // StatType::AGGREGATE (all pools) is index 0; the enum moved namespaces across 2.x releases.
  const size_t all = 0;
  out.peak_allocated = stats.allocated_bytes[all].peak;
  out.peak_reserved = stats.reserved_bytes[all].peak;
  c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device_index));
  size_t free_bytes = 0, total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) {
    out.device_total = static_cast<int64_t>(total_bytes);
  }
  return out;
}

void ResetCudaMemoryPeaks(int device_index) {
  c10::cuda::CUDACachingAllocator::emptyCache();
  c10::cuda::CUDACachingAllocator::resetPeakStats(device_index);
}

}  // namespace sg
