// The layers' weight gradients' sums of squares, written by the kernel that computes those
// gradients (cuda_wgmma_weight_grad_kernel.h's tile_sums) while backward runs, so that the
// gradient norm's pass after backward (cuda_pack_adamw.h) reads only the other gradients: 4 of
// the update's 32 bytes a parameter for nearly all of them (docs/performance.md, session 29).
//
// The graph step owns one WeightGradSums, resets it before each backward and makes it the
// device's active one for the backward (ScopedWeightGradSums); SeedGemmWeightGrad
// (cuda_seed_gemm.h) then takes our kernel and claims columns of the sums for each gradient it
// writes; CudaPackGradNorm (cuda_pack_optimizer.h) leaves out of its pass every gradient whose
// sums were claimed, and adds those sums instead. The active one is per device and process-wide
// (autograd runs backward on its own threads): one graph step's backward at a time per device.
//
// What keeps the norm right: a claim holds its gradient's storage (not the tensor: autograd
// hands a gradient to its parameter without a copy only while nothing else holds it), so the
// memory is not handed to another tensor during the step, and records the view and its
// version, so a gradient changed in place after its kernel (a parameter used twice) no longer
// counts as covered. Unless every claim covers exactly one of the norm's gradients, the norm
// ignores the sums and reads every gradient itself, as without them.
//
// Trainer-internal (LibTorch); compiled only against a CUDA LibTorch.
#ifndef SG_TRAINER_MODEL_CUDA_WEIGHT_GRAD_SUMS_H_
#define SG_TRAINER_MODEL_CUDA_WEIGHT_GRAD_SUMS_H_

#include <torch/torch.h>

#include <cstdint>
#include <mutex>
#include <vector>

#include "trainer/model/pack_model.h"

namespace sg {

class WeightGradSums {
 public:
  // Room for `capacity` tile sums a seed, [seeds, capacity] floats on `device`.
  WeightGradSums(const torch::Device& device, int64_t seeds, int64_t capacity);

  // The tile sums a seed that the layout's weights need: every [in, out] slot with both sides
  // multiples of the kernel's tile.
  static int64_t CapacityFor(const std::vector<ParamSlot>& layout);

  // Forgets the last backward's claims (stream order keeps the last norm's reads of the buffer
  // before this backward's writes: both run after the previous step on the same streams).
  void Reset();

  // Reserves `tiles` columns for the gradient dw ([seeds, in, out]); the address where seed 0's
  // sums go (seed s's at + s * capacity()), or nullptr where the room is used up.
  float* Claim(const torch::Tensor& dw, int64_t tiles);

  // The claimed gradients covered by `grads` (same storage, offset, sizes, strides and
  // version): claim i is covered by grads[covered[i]], or -1.
  std::vector<int> Cover(const std::vector<torch::Tensor>& grads) const;

  const torch::Tensor& sums() const { return sums_; }
  int64_t capacity() const { return sums_.size(1); }
  int64_t used() const;
  int64_t claims() const;

 private:
  struct Claimed {
    c10::Storage storage;
    const void* data = nullptr;
    std::vector<int64_t> sizes, strides;
    int64_t version = 0;
  };
  torch::Tensor sums_;  // [seeds, capacity]
  mutable std::mutex mu_;
  int64_t used_ = 0;
  std::vector<Claimed> claimed_;
};

// The device's active sums while it lives (nullptr: none); restores the one before.
class ScopedWeightGradSums {
 public:
  ScopedWeightGradSums(const torch::Device& device, WeightGradSums* sums);
  ~ScopedWeightGradSums();
  ScopedWeightGradSums(const ScopedWeightGradSums&) = delete;
  ScopedWeightGradSums& operator=(const ScopedWeightGradSums&) = delete;

 private:
  int device_ = 0;
  WeightGradSums* previous_ = nullptr;
};

// The active sums of device `index`, or nullptr.
WeightGradSums* ActiveWeightGradSums(int index);

// How many norms have used the sums in this process (each graph capture counts once, not its
// replays), so that a test can tell the path ran.
int64_t WeightGradSumsUsed();
void CountWeightGradSumsUsed();

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_WEIGHT_GRAD_SUMS_H_
