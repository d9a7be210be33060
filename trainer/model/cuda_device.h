// CUDA memory figures for benchmarks and pack sizing: the caching allocator's peaks and the
// device's total memory. Torch-free header; the implementation is compiled only against a CUDA
// LibTorch (cuda_device_unavailable.cc otherwise).
#ifndef SG_TRAINER_MODEL_CUDA_DEVICE_H_
#define SG_TRAINER_MODEL_CUDA_DEVICE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trainer/model/stream_timeline.h"

namespace sg {

struct CudaMemoryFigures {
  int64_t peak_allocated = 0;  // bytes in live tensors at the peak since the last reset
  int64_t peak_reserved = 0;   // bytes the allocator held from the driver at its peak
  int64_t device_total = 0;    // the device's memory
};

// Time the device spent in each kernel between StartKernelProfile and StopKernelProfile
// (LibTorch's Kineto profiler, CUDA activity only; kernels replayed from CUDA graphs included).
struct KernelTime {
  std::string name;
  double total_us = 0;
  int64_t count = 0;
};
absl::Status StartKernelProfile();
// Sorted by total time, longest first. intervals (when not null): every kernel's stream, start
// and end, for SummarizeStreams (stream_timeline.h).
absl::StatusOr<std::vector<KernelTime>> StopKernelProfile(
    std::vector<KernelInterval>* intervals = nullptr);

// kUnimplemented without CUDA.
absl::StatusOr<CudaMemoryFigures> CudaMemory(int device_index);
// Returns cached blocks to the driver and restarts the peak counters.
void ResetCudaMemoryPeaks(int device_index);
// Returns the caching allocator's unused blocks to the driver (a process that is done with the
// device lets another have its memory). Nothing without CUDA.
void ReleaseCudaCache();

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_DEVICE_H_
