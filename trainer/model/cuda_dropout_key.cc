// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_dropout_key.h.
#include "trainer/model/cuda_dropout_key.h"

#include <ATen/cuda/CUDAGeneratorImpl.h>

#include <mutex>

namespace sg {

cuda_kernels::DropoutKey NextDropoutKey(int device_index) {
  auto* gen = at::check_generator<at::CUDAGeneratorImpl>(
      at::cuda::detail::getDefaultCUDAGenerator(static_cast<c10::DeviceIndex>(device_index)));
  at::PhiloxCudaState state;
  {
    std::lock_guard<std::mutex> lock(gen->mutex_);
    state = gen->philox_cuda_state(4);  // any increment: each call gets its own offset
  }
  cuda_kernels::DropoutKey key;
  key.captured = state.captured_;
  if (state.captured_) {
    key.seed_ptr = state.seed_.ptr;
    key.offset_ptr = state.offset_.ptr;
    key.offset_intragraph = state.offset_intragraph_;
  } else {
    key.seed = state.seed_.val;
    key.offset = state.offset_.val;
  }
  return key;
}

std::vector<int64_t> DropoutKeyToInts(const cuda_kernels::DropoutKey& k) {
  return {static_cast<int64_t>(k.seed), static_cast<int64_t>(k.offset),
          reinterpret_cast<int64_t>(k.seed_ptr), reinterpret_cast<int64_t>(k.offset_ptr),
          static_cast<int64_t>(k.offset_intragraph), k.captured ? 1 : 0};
}

cuda_kernels::DropoutKey DropoutKeyFromInts(const std::vector<int64_t>& v) {
  cuda_kernels::DropoutKey k;
  k.seed = static_cast<uint64_t>(v.at(0));
  k.offset = static_cast<uint64_t>(v.at(1));
  k.seed_ptr = reinterpret_cast<const int64_t*>(v.at(2));
  k.offset_ptr = reinterpret_cast<const int64_t*>(v.at(3));
  k.offset_intragraph = static_cast<uint64_t>(v.at(4));
  k.captured = v.at(5) != 0;
  return k;
}

}  // namespace sg
