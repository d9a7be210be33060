// The CPU build's side of cuda_seed_gemm.h: no cuBLASLt; LibTorch's bmm serves every product.
#include "trainer/model/cuda_seed_gemm.h"

namespace sg {

bool SeedGemmAvailable() { return false; }

bool SeedGemmForward(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                     torch::Tensor*) {
  return false;
}

bool SeedGemmInputGrad(const torch::Tensor&, const torch::Tensor&, torch::Tensor*,
                       const torch::Tensor&) {
  return false;
}

bool SeedGemmWeightGrad(const torch::Tensor&, const torch::Tensor&, torch::Tensor&, bool,
                        torch::Tensor*, bool* wrote_db) {
  if (wrote_db != nullptr) *wrote_db = false;
  return false;
}

absl::Status ReplaceSeedGemmPins(const std::vector<GemmPinText>&) {
  return absl::FailedPreconditionError(
      "this build has no cuBLASLt products to pin (a CPU build): gemm pins need a CUDA build");
}

void RestoreSeedGemmPins() {}

std::vector<GemmPinText> SeedGemmPinsInForce(const torch::Device&) { return {}; }

}  // namespace sg
