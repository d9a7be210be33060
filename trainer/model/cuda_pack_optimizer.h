// The CUDA-graph step's optimizer (clip by per-seed gradient norm, then AdamW) in its two
// implementations: LibTorch's (a multi-tensor norm and `_fused_adamw_` with the clip factor as
// its grad_scale) and ours (cuda_pack_adamw.h: one norm pass, one clip kernel, one AdamW pass
// that does not write the gradient back). Trainer-internal (LibTorch); compiled only against a
// CUDA LibTorch, like cuda_graph_step.cc. Everything runs on the current CUDA stream without
// host synchronisation, so both can be captured in a graph. Not thread-safe.
//
// `grads` are the gradients backward produced, one per slot of `layout` (PackModel::layout()),
// each [S, ...] and contiguous; `flat`, `exp_avg`, `exp_avg_sq` are the pack's [S, P] buffers;
// `step` and `lr` are float32 device scalars (the 1-based update count and its learning rate).
#ifndef SG_TRAINER_MODEL_CUDA_PACK_OPTIMIZER_H_
#define SG_TRAINER_MODEL_CUDA_PACK_OPTIMIZER_H_

#include <torch/torch.h>

#include <vector>

#include "trainer/model/pack_model.h"
#include "trainer/model/pack_optimizer.h"

namespace sg {

class WeightGradSums;  // cuda_weight_grad_sums.h

// The clip step's outputs: the pre-clip per-seed norm [S] (float32) and, when clipping is on,
// the divisor AdamW applies to each seed's gradient, max(1, (norm + 1e-6) / clip) [S]
// (undefined when clip <= 0).
struct PackGradNorm {
  torch::Tensor norm;
  torch::Tensor grad_scale;
};

// LibTorch's: one _foreach_norm over every (seed, parameter) row. Both LibTorch functions need
// LibTorch 2.4 or newer (they throw before).
PackGradNorm TorchPackGradNorm(const std::vector<torch::Tensor>& grads, int64_t seeds,
                               double clip);
// LibTorch's fused AdamW per seed; it writes each gradient back divided by its grad_scale.
void TorchPackAdamW(torch::Tensor& flat, torch::Tensor& exp_avg, torch::Tensor& exp_avg_sq,
                    const std::vector<torch::Tensor>& grads, const std::vector<ParamSlot>& layout,
                    const torch::Tensor& step, const torch::Tensor& lr,
                    const torch::Tensor& grad_scale, const AdamWOptions& options);

// Ours. The norm is summed in a fixed order (per chunk in float, then over chunks in double),
// so it differs from LibTorch's by rounding only. norm_acc (float64 [S], may be null) gets
// the norm added in the same kernel. With `sums` (cuda_weight_grad_sums.h), the gradients
// whose tile sums of squares their own kernel wrote there are not read again: their sums are
// added after the other chunks' (other bits than without them, by rounding only).
PackGradNorm CudaPackGradNorm(const std::vector<torch::Tensor>& grads,
                              const std::vector<ParamSlot>& layout, double clip,
                              torch::Tensor* norm_acc, const WeightGradSums* sums = nullptr);
// LibTorch's fused AdamW arithmetic (cuda_pack_adamw.h); gradients are only read. `layout`
// names the slots the gradients are of (any subset of the model's, in any order). enabled
// (a float scalar on the device, or undefined): where it reads 0 nothing changes.
void CudaPackAdamW(torch::Tensor& flat, torch::Tensor& exp_avg, torch::Tensor& exp_avg_sq,
                   const std::vector<torch::Tensor>& grads, const std::vector<ParamSlot>& layout,
                   const torch::Tensor& step, const torch::Tensor& lr,
                   const torch::Tensor& grad_scale, const AdamWOptions& options,
                   const torch::Tensor& enabled = torch::Tensor());

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_PACK_OPTIMIZER_H_
