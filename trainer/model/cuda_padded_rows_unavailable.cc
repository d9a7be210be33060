// The CPU build's side of cuda_padded_rows.h: the kernel never serves.
#include "trainer/model/cuda_padded_rows.h"

namespace sg {

bool GatherPaddedRows(const torch::Tensor&, const torch::Tensor&, torch::Tensor*) {
  return false;
}

}  // namespace sg
