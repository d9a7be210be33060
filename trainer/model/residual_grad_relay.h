// The gradient of a residual's skip path handed past autograd, so that autograd's add of it
// and the other gradient of the residual's input disappears.
//
// In a layer, x feeds two nodes: the linear x @ W_qkv (u @ W1 for the feed-forward) and the
// residual y = LN(x + r). Autograd sums their gradients of x with an add kernel of its own,
// which reads two [S, N, d] tensors and writes one: 13 launches in a 6-layer QF step, 138 us a
// step on an H100, on the backward's chain (sg-bench --profile, session 30). With a relay,
// the residual's backward (cuda_fused_layers.h) hands x's skip gradient to the relay instead
// of returning it, and one of two nodes adds it:
// - the residual that wrote x (FusedResidualLayerNorm's out_relay; the default), whose
//   backward kernels add it to the gradient autograd hands them as they read it;
// - or the linear that also reads x (SideStreamLinear's relay), in its input gradient's
//   product's epilogue (cuBLASLt's beta = 1; cuda_seed_gemm.h).
// Either way it is the same sum of the same two fp32 values, one rounding: the same bits as
// autograd's add.
//
// Only where those nodes are our functions (pack_model.cc decides). The residual's backward
// always runs first: the linear's output gradient comes through r, and the writer of x comes
// before it in the forward. Trainer-internal.
#ifndef SG_TRAINER_MODEL_RESIDUAL_GRAD_RELAY_H_
#define SG_TRAINER_MODEL_RESIDUAL_GRAD_RELAY_H_

#include <torch/torch.h>

#include <atomic>
#include <cstdint>
#include <utility>

namespace sg {

struct ResidualGradRelay : torch::CustomClassHolder {
  // Set by the reading residual's forward: its backward will hand the skip gradient here, so
  // the adding node's backward must find it (a missing one would be a lost gradient, not a
  // zero).
  bool armed = false;
  torch::Tensor skip_grad;  // set by the reading residual's backward, taken by the adding node's
};

using ResidualGradRelayPtr = c10::intrusive_ptr<ResidualGradRelay>;

// How many skip gradients backwards have taken from relays in this process: tests check that
// the path they compare really ran.
inline std::atomic<int64_t>& ResidualGradsRelayed() {
  static std::atomic<int64_t> count{0};
  return count;
}

// Keeps `relay` (if any) with an autograd function's context under `key`.
inline void SaveRelay(torch::autograd::AutogradContext* ctx, const char* key,
                      const ResidualGradRelayPtr& relay) {
  if (relay) ctx->saved_data[key] = c10::IValue::make_capsule(relay);
}

// The relay SaveRelay kept under `key`, or null. The context's entry holds it.
inline ResidualGradRelay* SavedRelay(torch::autograd::AutogradContext* ctx, const char* key) {
  auto it = ctx->saved_data.find(key);
  if (it == ctx->saved_data.end()) return nullptr;
  return static_cast<ResidualGradRelay*>(it->second.toCapsule().get());
}

// The skip gradient handed to the relay kept under `key`, taken out of it (contiguous);
// undefined where none is kept. The residual that hands it over runs its backward first (it
// comes later in the forward), so a kept relay without one is a fault, not a zero.
inline torch::Tensor TakeRelayedGrad(torch::autograd::AutogradContext* ctx, const char* key) {
  ResidualGradRelay* relay = SavedRelay(ctx, key);
  if (relay == nullptr) return {};
  TORCH_CHECK(relay->armed && relay->skip_grad.defined(),
              "residual gradient relay: the residual's backward has not handed its gradient "
              "over (residual_grad_relay.h)");
  torch::Tensor skip = std::move(relay->skip_grad);
  relay->skip_grad = torch::Tensor();
  relay->armed = false;
  ++ResidualGradsRelayed();
  return skip.contiguous();
}

}  // namespace sg

#endif  // SG_TRAINER_MODEL_RESIDUAL_GRAD_RELAY_H_
