// The CPU build's cuda_line_attention.h: no CUDA, so packed rows take the masked attention.
#include "trainer/model/cuda_line_attention.h"

namespace sg {

bool LineAttentionAvailable() { return false; }

torch::Tensor LineAttention(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                            const torch::Tensor&, int64_t, double) {
  TORCH_CHECK(false, "attention per line exists only in the CUDA build");
  return {};
}

bool OwnLineAttentionAvailable() { return false; }

torch::Tensor OwnLineAttention(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                               const torch::Tensor&, double, double) {
  TORCH_CHECK(false, "attention per line exists only in the CUDA build");
  return {};
}

torch::Tensor OwnLineAttentionQkv(const torch::Tensor&, int64_t, const torch::Tensor&, double,
                                  double) {
  TORCH_CHECK(false, "attention per line exists only in the CUDA build");
  return {};
}

}  // namespace sg
