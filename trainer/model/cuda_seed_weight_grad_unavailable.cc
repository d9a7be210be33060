// The CPU build's side of cuda_seed_weight_grad.h: the kernels never serve.
#include "trainer/model/cuda_seed_weight_grad.h"

namespace sg {

bool SeedRowsLinearGrads(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                         torch::Tensor&, torch::Tensor*) {
  return false;
}

int64_t SeedRowsLinearGradsServed() { return 0; }

}  // namespace sg
