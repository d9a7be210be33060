// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_priority_stream.h.
#include "trainer/model/cuda_priority_stream.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/util/Exception.h>

#include <map>
#include <mutex>
#include <utility>

namespace sg {

cudaStream_t OwnPriorityStream(c10::DeviceIndex index, PriorityEnd end) {
  // Never destroyed: the streams outlive every use, graphs captured on them included.
  static std::mutex* mu = new std::mutex();
  static auto* streams = new std::map<std::pair<c10::DeviceIndex, PriorityEnd>, cudaStream_t>();
  std::lock_guard<std::mutex> lock(*mu);
  cudaStream_t& stream = (*streams)[{index, end}];
  if (stream == nullptr) {
    c10::cuda::CUDAGuard guard(index);
    int least = 0, greatest = 0;
    TORCH_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest) == cudaSuccess,
                "cudaDeviceGetStreamPriorityRange failed");
    const int priority = end == PriorityEnd::kLeast ? least : greatest;
    TORCH_CHECK(
        cudaStreamCreateWithPriority(&stream, cudaStreamNonBlocking, priority) == cudaSuccess,
        "cudaStreamCreateWithPriority failed");
  }
  return stream;
}

}  // namespace sg
