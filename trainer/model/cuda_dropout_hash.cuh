// Device side of our dropout kernels (cuda_dropout_key.h): whether an element is kept is a hash
// of the call's key and the element's coordinates, the same function wherever it is evaluated,
// so a backward drops exactly what its forward dropped without storing a mask. Included only
// by .cu files.
#ifndef SG_TRAINER_MODEL_CUDA_DROPOUT_HASH_CUH_
#define SG_TRAINER_MODEL_CUDA_DROPOUT_HASH_CUH_

#include <cstdint>

#include "trainer/model/cuda_dropout_key.h"

namespace sg {
namespace cuda_kernels {

__device__ __forceinline__ uint64_t Mix64(uint64_t z) {  // a 64-bit finalizer (splitmix's)
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The call's hash base: its generator seed and offset (read on the device when captured).
__device__ __forceinline__ uint64_t DropoutBase(const DropoutKey& key) {
  const uint64_t seed = key.captured ? static_cast<uint64_t>(*key.seed_ptr) : key.seed;
  const uint64_t offset =
      key.captured ? static_cast<uint64_t>(*key.offset_ptr) + key.offset_intragraph : key.offset;
  return Mix64(seed ^ Mix64(offset));
}

// Keep iff the 24-bit hash of (base, x) is at least this: p * 2^24.
__host__ __device__ __forceinline__ uint32_t DropoutThreshold(float p) {
  return static_cast<uint32_t>(static_cast<double>(p) * 16777216.0);
}

__device__ __forceinline__ bool DropoutKeeps(uint64_t base, uint64_t x, uint32_t threshold) {
  return static_cast<uint32_t>(Mix64(base ^ x) >> 40) >= threshold;
}

}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_DROPOUT_HASH_CUH_
