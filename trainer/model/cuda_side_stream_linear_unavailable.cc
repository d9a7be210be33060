// The CPU build's cuda_side_stream_linear.h: no second stream; the model uses plain bmm.
#include "trainer/model/cuda_side_stream_linear.h"

namespace sg {

bool SideStreamLinearAvailable() { return false; }

torch::Tensor SideStreamLinear(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                               bool, bool, const ResidualGradRelayPtr&) {
  TORCH_CHECK(false, "SideStreamLinear exists only in the CUDA build");
  return {};
}

void RunOnSideStream(const torch::Device&, std::vector<torch::Tensor>,
                     const std::function<void()>&) {
  TORCH_CHECK(false, "RunOnSideStream exists only in the CUDA build");
}

void JoinSideStream(const torch::Device&) {}

void SeedBiasGradient(const torch::Tensor& dy, torch::Tensor& db) {
  const int64_t rows_dim[] = {1};
  torch::sum_out(db, dy, at::IntArrayRef(rows_dim));
}

}  // namespace sg
