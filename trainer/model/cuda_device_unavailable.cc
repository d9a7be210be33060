// The CPU-only build's cuda_device.h: there is no CUDA device to describe.
#include "trainer/model/cuda_device.h"

namespace sg {

absl::StatusOr<CudaMemoryFigures> CudaMemory(int) {
  return absl::UnimplementedError("this LibTorch has no CUDA");
}

void ResetCudaMemoryPeaks(int) {}

void ReleaseCudaCache() {}

absl::Status StartKernelProfile() { return absl::UnimplementedError("this LibTorch has no CUDA"); }

absl::StatusOr<std::vector<KernelTime>> StopKernelProfile(std::vector<KernelInterval>*) {
  return absl::UnimplementedError("this LibTorch has no CUDA");
}

}  // namespace sg
