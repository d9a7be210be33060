// Compiled only against a CUDA LibTorch; see cuda_device.h.
#include "trainer/model/cuda_device.h"

#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>
#include <torch/csrc/autograd/profiler_kineto.h>

#include <algorithm>
#include <map>
#include <set>

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

void ReleaseCudaCache() { c10::cuda::CUDACachingAllocator::emptyCache(); }

void ResetCudaMemoryPeaks(int device_index) {
  c10::cuda::CUDACachingAllocator::emptyCache();
  c10::cuda::CUDACachingAllocator::resetPeakStats(device_index);
}

namespace profiler = torch::autograd::profiler;

absl::Status StartKernelProfile() {
  try {
    profiler::ProfilerConfig config(profiler::ProfilerState::KINETO);
    std::set<profiler::ActivityType> activities = {profiler::ActivityType::CUDA};
    profiler::prepareProfiler(config, activities);
    profiler::enableProfiler(config, activities);
  } catch (const c10::Error& e) {
    return absl::InternalError(e.what_without_backtrace());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<KernelTime>> StopKernelProfile(
    std::vector<KernelInterval>* intervals) {
  std::map<std::string, KernelTime> by_name;
  try {
    auto result = profiler::disableProfiler();
    for (const auto& e : result->events()) {
      if (e.deviceType() != c10::DeviceType::CUDA) continue;
      if (intervals != nullptr) {
        const int64_t start = static_cast<int64_t>(e.startNs());
        intervals->push_back(
            {e.deviceResourceId(), start, start + static_cast<int64_t>(e.durationNs())});
      }
      KernelTime& k = by_name[e.name()];
      k.name = e.name();
      k.total_us += static_cast<double>(e.durationNs()) / 1000.0;
      ++k.count;
    }
  } catch (const c10::Error& e) {
    return absl::InternalError(e.what_without_backtrace());
  }
  std::vector<KernelTime> out;
  for (auto& [name, k] : by_name) out.push_back(std::move(k));
  std::sort(out.begin(), out.end(),
            [](const KernelTime& a, const KernelTime& b) { return a.total_us > b.total_us; });
  return out;
}

}  // namespace sg
