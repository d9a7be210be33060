// The gradient of a residual's skip path, handed to the linear that also reads the residual's
// input, so that autograd's add of the two disappears.
//
// In a layer, x feeds two nodes: the linear x @ W_qkv (u @ W1 for the feed-forward) and the
// residual y = LN(x + r). Autograd sums their gradients of x with an add kernel of its own,
// which reads two [S, N, d] tensors and writes one: 13 launches in a 6-layer QF step, 138 us a
// step on an H100, on the backward's chain (sg-bench --profile, session 30). With a relay,
// the residual's backward (cuda_fused_layers.h) hands x's skip gradient to the relay instead
// of returning it, and the linear's backward (cuda_side_stream_linear.h) adds it to its input
// gradient in the product's epilogue (cuBLASLt's beta = 1; cuda_seed_gemm.h): the same sum of
// the same two fp32 values, one rounding, so the same bits as autograd's add.
//
// Only where both nodes are those functions (pack_model.cc decides): the residual's backward
// always runs first, since the linear's output gradient comes through r. Trainer-internal.
#ifndef SG_TRAINER_MODEL_RESIDUAL_GRAD_RELAY_H_
#define SG_TRAINER_MODEL_RESIDUAL_GRAD_RELAY_H_

#include <torch/torch.h>

#include <atomic>
#include <cstdint>

namespace sg {

struct ResidualGradRelay : torch::CustomClassHolder {
  // Set by the residual's forward: its backward will hand the skip gradient here, so the
  // linear's backward must find it (a missing one would be a lost gradient, not a zero).
  bool armed = false;
  torch::Tensor skip_grad;  // set by the residual's backward, taken by the linear's
};

using ResidualGradRelayPtr = c10::intrusive_ptr<ResidualGradRelay>;

// How many skip gradients linears' backwards have taken in this process: tests check that the
// path they compare really ran.
inline std::atomic<int64_t>& ResidualGradsRelayed() {
  static std::atomic<int64_t> count{0};
  return count;
}

}  // namespace sg

#endif  // SG_TRAINER_MODEL_RESIDUAL_GRAD_RELAY_H_
