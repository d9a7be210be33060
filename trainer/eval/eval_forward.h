// The evaluation forward of a pack: PackModel::Hidden's math for inference only, laid out for
// speed. Trainer-internal (LibTorch).
//
// Evaluation runs the model over every val and test line (tens of thousands of rows per pack)
// at the paper's cadence, and its cost is held to a few percent of training
// (docs/performance.md, "Evaluation cost"). The training forward is shaped by what backward
// needs; this one is not:
//  - the weights are prepared once per evaluation: Q, K and V projections fused into one
//    [d, 3d] matrix per seed (one GEMM instead of two), and with bf16 every weight cast once,
//    not once per chunk as autocast does;
//  - attention reads the heads as strided views of that GEMM's output and writes its output in
//    the token-major layout W_o reads, through LibTorch's fused attention (flash attention in
//    bf16 on CUDA), instead of copying q, k, v and the heads' output into per-head layout;
//  - only the causal mask: rows are right-padded, so a valid query (position < length) never
//    sees a padded key anyway. Outputs at padded positions differ from Hidden's and must not
//    be read (losses mask them, argmaxes are read only at valid positions);
//  - bias + ReLU in place, no dropout, no autograd.
// In fp32 it equals Hidden at valid positions up to float rounding (tested); in bf16 the
// activations and weights carry bf16 rounding, the output layer and everything after it stay
// fp32 (docs/performance.md measures what that changes in the metrics).
#ifndef SG_TRAINER_EVAL_EVAL_FORWARD_H_
#define SG_TRAINER_EVAL_EVAL_FORWARD_H_

#include <torch/torch.h>

#include <vector>

#include "trainer/model/pack_model.h"

namespace sg {

struct EvalForwardOptions {
  // bf16 weights and activations (CUDA only: elsewhere the forward stays fp32).
  bool bf16 = false;
};

// Holds prepared copies of the model's weights: valid while the model's weights do not change
// (one evaluation). Not thread-safe.
class EvalForward {
 public:
  EvalForward(const PackModel& model, const EvalForwardOptions& options = {});

  const PackModel& model() const { return *model_; }
  // The compute dtype of Hidden's output (float or bfloat16).
  torch::ScalarType dtype() const { return dtype_; }

  // ids [S,B,T] int64 (SOS first, right-padded) -> final hidden states [S, B*T, d] in dtype().
  // Valid at positions below each row's length only.
  torch::Tensor Hidden(const torch::Tensor& ids) const;
  // hidden [S,N,d] (any dtype) -> fp32 logits [S,N,V+2] through the fp32 output layer.
  torch::Tensor Logits(const torch::Tensor& hidden) const;

 private:
  struct Layer {
    torch::Tensor wqkv;  // [S,d,3d]: Q, then K of every head, then V of every head
    torch::Tensor wo, w1, b1, w2, b2;
    torch::Tensor ln1_g, ln1_b, ln2_g, ln2_b;  // [S,1,d]
  };
  torch::Tensor LayerNorm(const torch::Tensor& x, const torch::Tensor& g,
                          const torch::Tensor& b) const;

  const PackModel* model_;
  torch::ScalarType dtype_;
  torch::Tensor embedding_;  // [S*(V+2), d]: sqrt(d) E, one row per (seed, id)
  torch::Tensor positions_;  // [max_len, d]
  std::vector<Layer> layers_;
};

}  // namespace sg

#endif  // SG_TRAINER_EVAL_EVAL_FORWARD_H_
