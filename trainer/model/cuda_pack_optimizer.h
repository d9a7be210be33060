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
// the norm added in the same kernel.
PackGradNorm CudaPackGradNorm(const std::vector<torch::Tensor>& grads,
                              const std::vector<ParamSlot>& layout, double clip,
                              torch::Tensor* norm_acc);
// CudaPackGradNorm in two parts, for a backward that produces the layers' weight gradients on
// the side stream (cuda_side_stream_linear.h): SumIfLeaf queues a gradient's partial sums on
// the current stream as soon as it is there (the graph step calls it from the side stream's
// WeightGradListener, so the norm's reads of those gradients run beside the rest of the
// backward instead of after it), Finish sums the slots not summed yet and then the norm and
// clip factor. A chunk's partial sum depends on that chunk alone and the final sum's order is
// fixed, so the result is CudaPackGradNorm's, bit for bit. A gradient made on the side stream
// is one autograd keeps as it is (SideStreamLinear's rule: its weights are used once), so
// what was summed early is what Finish gets. Not thread-safe.
class EarlyPackGradNorm {
 public:
  // The partials [S, chunks] allocated on the current stream.
  explicit EarlyPackGradNorm(const PackModel& model);
  // If `weights` is one of the model's leaves (the same data), queues the partial sums of
  // its gradient `grad` ([S, ...] contiguous float32) on the current stream; anything else is
  // left to Finish. The caller keeps grad alive and unchanged until the stream Finish runs on
  // has waited for this one (JoinSideStream).
  void SumIfLeaf(const torch::Tensor& weights, const torch::Tensor& grad);
  // After the join, on the current stream: `grads` one per slot as CudaPackGradNorm takes
  // them. A slot summed early from other data than grads[i] (a gradient autograd copied or
  // added to after) is summed again here.
  PackGradNorm Finish(const std::vector<torch::Tensor>& grads, double clip,
                      torch::Tensor* norm_acc);
  // Slots summed early so far (for tests).
  int summed_early() const;

 private:
  std::vector<ParamSlot> layout_;
  int64_t seeds_ = 0;
  std::vector<int64_t> first_chunk_;  // per slot: its first chunk in a seed's row of partials
  int64_t chunks_ = 0;
  std::vector<const void*> leaf_data_;     // per slot: seed 0's weights in PackModel::flat()
  std::vector<const void*> summed_from_;  // per slot: the gradient summed early, or null
  torch::Tensor partials_;
};

// LibTorch's fused AdamW arithmetic (cuda_pack_adamw.h); gradients are only read.
void CudaPackAdamW(torch::Tensor& flat, torch::Tensor& exp_avg, torch::Tensor& exp_avg_sq,
                   const std::vector<torch::Tensor>& grads, const std::vector<ParamSlot>& layout,
                   const torch::Tensor& step, const torch::Tensor& lr,
                   const torch::Tensor& grad_scale, const AdamWOptions& options);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_PACK_OPTIMIZER_H_
