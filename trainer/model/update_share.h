// The update's share of a profiled step: the gradient norm's pass, the clip factor and AdamW,
// picked from a kernel profile by name, with the bandwidth they reached. The update reads every
// gradient twice (the norm, then AdamW; once where the weight gradients' kernel wrote their
// sums) and reads and writes each weight and its two moments: 32 (28) bytes a parameter, all
// of it memory traffic, so its GB/s against the device's copy
// bandwidth says how far it is from its floor (docs/performance.md, session 28: 98.5% on the
// H100, where only hiding it behind other work would shorten the step). sg-bench --profile
// prints it.
//
// Torch-free and CUDA-free (KernelTime comes from cuda_device.h, a torch-free header), so it is
// built and tested in the CPU build.
#ifndef SG_TRAINER_MODEL_UPDATE_SHARE_H_
#define SG_TRAINER_MODEL_UPDATE_SHARE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "trainer/model/cuda_device.h"

namespace sg {

// Bytes the update moves a parameter: the gradient read by the norm's pass and by AdamW (8),
// the weight and both moments read and written (24).
inline constexpr int64_t kUpdateBytesPerParam = 32;
// With the weight gradients by our wgmma kernel, which writes their sums of squares
// (cuda_weight_grad_sums.h), the norm's pass reads only the other gradients (biases,
// LayerNorms, embeddings: 0.5% of a QF pack's parameters), counted here as none.
inline constexpr int64_t kUpdateBytesPerParamWithSums = 28;

// Whether the profile holds our wgmma weight-gradient kernel, whose sums the norm takes.
bool HasWeightGradSumsKernel(const std::vector<KernelTime>& kernels);

// Whether a kernel's name is one of the update's: sg's (cuda_pack_adamw.cu: the squared sums,
// the clip factor, AdamW) or LibTorch's (sg-bench --libtorch-optimizer: the multi-tensor norm
// and its cleanup, the fused AdamW, both multi_tensor_apply kernels).
bool IsUpdateKernel(const std::string& name);

struct UpdateShare {
  double us_per_step = 0;  // the update's kernels, summed
  double launches_per_step = 0;
  int64_t bytes_per_param = kUpdateBytesPerParam;  // or kUpdateBytesPerParamWithSums
  double gb_per_s = 0;     // bytes_per_param x parameters over us_per_step; 0 without it
};

// Over `steps` profiled steps of a pack of `parameters` (all seeds') parameters.
UpdateShare SummarizeUpdate(const std::vector<KernelTime>& kernels, int steps,
                            int64_t parameters);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_UPDATE_SHARE_H_
