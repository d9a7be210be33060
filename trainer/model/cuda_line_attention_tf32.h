// The TF32 tensor-core form of our attention-per-line kernels (cuda_line_attention_kernels.h),
// for head widths 16, 32 and 64: the same tiles, line bounds, dropout hash, online softmax and
// fixed summation order as the fp32 kernels, with the four products of a tile (scores, dO . V,
// and the weighted sums) on the tensor cores in TF32 (wmma 16 x 16 x 8, and mma.sync m16n8k8
// for the backward's scores and dO . V) instead of fp32 FMAs; the dK and dV kernel takes
// half tiles of 32 keys.
// LaunchLineAttentionForward/Backward take these where LineAttentionShape::tf32 asks for it,
// as the masked path's bmm takes TF32 where cuBLAS may. Deterministic (no atomics; the same
// instructions on the same tiles); not bit-equal to the fp32 kernels. Internal to
// cuda_line_attention_kernels.cu and cuda_line_attention_tf32.cu; compiled only in the CUDA
// build.
#ifndef SG_TRAINER_MODEL_CUDA_LINE_ATTENTION_TF32_H_
#define SG_TRAINER_MODEL_CUDA_LINE_ATTENTION_TF32_H_

#include <cuda_runtime_api.h>

#include <cstdint>

#include "trainer/model/cuda_dropout_key.h"
#include "trainer/model/cuda_line_attention_kernels.h"

namespace sg {
namespace cuda_kernels {

inline bool LineAttentionTf32HeadDimOk(int64_t head_dim) {
  return head_dim == 16 || head_dim == 32 || head_dim == 64;
}

// As LaunchLineAttentionForward/Backward, for head widths LineAttentionTf32HeadDimOk.
cudaError_t LaunchLineAttentionTf32Forward(const float* q, const float* k, const float* v,
                                           const int32_t* seq_starts,
                                           const LineAttentionShape& shape, const DropoutKey& key,
                                           float* out, float* lse, cudaStream_t stream);
cudaError_t LaunchLineAttentionTf32Backward(const float* q, const float* k, const float* v,
                                            const int32_t* seq_starts,
                                            const LineAttentionShape& shape,
                                            const DropoutKey& key, const float* out,
                                            const float* lse, const float* dout, float* delta,
                                            float* dq, float* dk, float* dv, cudaStream_t stream);

}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_LINE_ATTENTION_TF32_H_
