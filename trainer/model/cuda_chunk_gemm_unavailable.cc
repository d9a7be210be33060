// The CPU build's side of cuda_chunk_gemm.h: no batched GEMM over chunks.
#include "trainer/model/cuda_chunk_gemm.h"

namespace sg {

bool ChunkGemmAvailable() { return false; }

bool ChunkGemm(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&, int64_t, bool,
               torch::Tensor*) {
  return false;
}

}  // namespace sg
