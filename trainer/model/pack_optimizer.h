// Batched AdamW and per-seed gradient clipping over the pack's flat [S, P] buffers
// (experiment.md §2.3, §2.5). Trainer-internal (LibTorch). Every operation is elementwise or a
// per-row reduction, so seeds never mix: one seed's gradient never scales another's.
#ifndef SG_TRAINER_MODEL_PACK_OPTIMIZER_H_
#define SG_TRAINER_MODEL_PACK_OPTIMIZER_H_

#include <torch/torch.h>

namespace sg {

// Per-seed global L2 norm of the gradient rows [S], before clipping; if clip > 0, scales each
// row by min(1, clip / (norm + 1e-6)) as torch clip_grad_norm_ does. No host sync.
torch::Tensor ClipPerSeed(torch::Tensor& flat_grad, double clip);

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-7;
  double weight_decay = 0.0;
};

// torch.optim.AdamW semantics (amsgrad off). Not thread-safe.
class PackAdamW {
 public:
  PackAdamW(const torch::Tensor& flat, const AdamWOptions& options);

  // One update with learning rate lr; `update` is the 1-based update count (bias correction).
  void Step(torch::Tensor& flat, const torch::Tensor& flat_grad, double lr, int64_t update);

  const AdamWOptions& options() const { return options_; }
  torch::Tensor& exp_avg() { return m_; }
  torch::Tensor& exp_avg_sq() { return v_; }

 private:
  AdamWOptions options_;
  torch::Tensor m_, v_;
};

}  // namespace sg

#endif  // SG_TRAINER_MODEL_PACK_OPTIMIZER_H_
