// Fused layer pieces that run our own CUDA kernels (docs/performance.md, "Our own kernels"),
// as LibTorch autograd functions the pack model calls when ForwardOptions asks for them.
// Trainer-internal (LibTorch). cuda_fused_layers.cc implements them against a CUDA LibTorch;
// the CPU build compiles cuda_fused_layers_unavailable.cc, where nothing is served.
#ifndef SG_TRAINER_MODEL_CUDA_FUSED_LAYERS_H_
#define SG_TRAINER_MODEL_CUDA_FUSED_LAYERS_H_

#include <torch/torch.h>

#include "trainer/model/residual_grad_relay.h"

namespace sg {

// True when FusedResidualLayerNorm serves these tensors: a CUDA build; x and r float32 CUDA
// tensors [S, N, d] of one shape with d a multiple of 32 up to 1024; g and b float32 [S, d]
// with unit stride along d and one seed stride.
bool FusedResidualLayerNormServes(const torch::Tensor& x, const torch::Tensor& r,
                                  const torch::Tensor& g, const torch::Tensor& b);

// LayerNorm(x + r) over the last dim (eps 1e-5) * g[s] + b[s], with gradients for all four:
// what SeedLayerNorm(x + r, g, b) computes, in one kernel forward and two backward.
// side_stream_affine: the backward's g and b gradients on the side stream
// (cuda_side_stream_linear.h, RunOnSideStream: join before reading them). dropout (0 <= p < 1):
// r is dropped out first, in the same kernels (cuda_seed_layer_norm.h, ResidualDropout), its
// mask a hash of a key from the device's default generator as FusedReluDropout's is.
// relay (residual_grad_relay.h): the backward hands x's gradient to it instead of returning
// it, for the node that adds it: the one linear that also reads x (SideStreamLinear with the
// same relay) or the residual whose output x is (out_relay). out_relay: this output's relay,
// whose gradient the backward adds to the one autograd hands it, in its kernels.
torch::Tensor FusedResidualLayerNorm(const torch::Tensor& x, const torch::Tensor& r,
                                     const torch::Tensor& g, const torch::Tensor& b,
                                     bool side_stream_affine = false, double dropout = 0.0,
                                     const ResidualGradRelayPtr& relay = {},
                                     const ResidualGradRelayPtr& out_relay = {});

// FusedResidualLayerNorm for the ragged layout (trainer/model/ragged_batch.h): x, r [N, d], row
// i normalised with seed row_seed[i]'s affine ([N] int64), seed s's rows [seed_row_begin[s],
// seed_row_begin[s + 1]) ([S + 1] int64; its affine gradients sum those), both on x's device.
// Served where FusedResidualLayerNormServes would serve the [S, N, d] form and the tables are
// such tensors.
bool FusedRaggedResidualLayerNormServes(const torch::Tensor& x, const torch::Tensor& r,
                                        const torch::Tensor& g, const torch::Tensor& b,
                                        const torch::Tensor& row_seed,
                                        const torch::Tensor& seed_row_begin);
torch::Tensor FusedRaggedResidualLayerNorm(const torch::Tensor& x, const torch::Tensor& r,
                                           const torch::Tensor& g, const torch::Tensor& b,
                                           const torch::Tensor& row_seed,
                                           const torch::Tensor& seed_row_begin,
                                           bool side_stream_affine = false, double dropout = 0.0);

// True when FusedReluDropout serves h with dropout p: a CUDA build, h a float32 CUDA tensor,
// 0 < p < 1.
bool FusedReluDropoutServes(const torch::Tensor& h, double p);

// dropout(relu(h), p) in one kernel each way (cuda_relu_dropout.h), its mask a hash of a key
// drawn from the device's default generator, as torch::dropout draws its own: a reseeded
// generator replays it, other (identically distributed) masks than torch::dropout's.
torch::Tensor FusedReluDropout(const torch::Tensor& h, double p);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_FUSED_LAYERS_H_
