// The CPU build's cuda_fused_layers.h: no CUDA kernels, so nothing is served and the model
// takes LibTorch's path.
#include "trainer/model/cuda_fused_layers.h"

namespace sg {

bool FusedResidualLayerNormServes(const torch::Tensor&, const torch::Tensor&,
                                  const torch::Tensor&, const torch::Tensor&) {
  return false;
}

torch::Tensor FusedResidualLayerNorm(const torch::Tensor&, const torch::Tensor&,
                                     const torch::Tensor&, const torch::Tensor&, bool, double,
                                     const ResidualGradRelayPtr&, const ResidualGradRelayPtr&) {
  TORCH_CHECK(false, "fused LayerNorm kernels exist only in the CUDA build");
  return {};
}

bool FusedRaggedResidualLayerNormServes(const torch::Tensor&, const torch::Tensor&,
                                        const torch::Tensor&, const torch::Tensor&,
                                        const torch::Tensor&, const torch::Tensor&) {
  return false;
}

torch::Tensor FusedRaggedResidualLayerNorm(const torch::Tensor&, const torch::Tensor&,
                                           const torch::Tensor&, const torch::Tensor&,
                                           const torch::Tensor&, const torch::Tensor&, bool,
                                           double) {
  TORCH_CHECK(false, "fused LayerNorm kernels exist only in the CUDA build");
  return {};
}

bool FusedReluDropoutServes(const torch::Tensor&, double) { return false; }

torch::Tensor FusedReluDropout(const torch::Tensor&, double) {
  TORCH_CHECK(false, "the fused ReLU + dropout kernel exists only in the CUDA build");
  return {};
}

}  // namespace sg
