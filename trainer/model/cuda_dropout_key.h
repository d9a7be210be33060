// The random key of one call of our dropout kernels (attention per line, ReLU + dropout): the
// device's default generator's Philox seed and offset, as LibTorch's own dropout kernels take
// theirs, so a reseeded generator (SeedPackDropout) replays the same masks, in a captured graph
// too. Torch-free declarations (cuda_*_kernels.cu include it); NextDropoutKey is implemented in
// cuda_dropout_key.cc against a CUDA LibTorch. Compiled only in the CUDA build.
#ifndef SG_TRAINER_MODEL_CUDA_DROPOUT_KEY_H_
#define SG_TRAINER_MODEL_CUDA_DROPOUT_KEY_H_

#include <cstdint>
#include <vector>

namespace sg {
namespace cuda_kernels {

// LibTorch's PhiloxCudaState unpacked. Outside capture the values; during capture pointers the
// replay reads (offset = *offset_ptr + intragraph).
struct DropoutKey {
  uint64_t seed = 0;
  uint64_t offset = 0;
  const int64_t* seed_ptr = nullptr;    // captured: read the seed here
  const int64_t* offset_ptr = nullptr;  // captured: read the offset base here
  uint64_t offset_intragraph = 0;
  bool captured = false;
};

}  // namespace cuda_kernels

// The next key of device `device_index`'s default generator (advances its offset: each call
// gets its own masks).
cuda_kernels::DropoutKey NextDropoutKey(int device_index);

// The key as saved between an autograd function's forward and backward (a graph's backward
// reads the same device slots as its forward).
std::vector<int64_t> DropoutKeyToInts(const cuda_kernels::DropoutKey& key);
cuda_kernels::DropoutKey DropoutKeyFromInts(const std::vector<int64_t>& ints);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_DROPOUT_KEY_H_
