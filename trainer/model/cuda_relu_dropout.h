// Our own CUDA kernels for the feed-forward's ReLU and the dropout after it, in one pass each
// way (docs/performance.md, "ReLU + dropout in one kernel"): y = keep(i) && h > 0 ? h / (1 - p)
// : 0, where LibTorch runs relu, a dropout kernel that also writes a mask, and in the backward
// a masked scale and the ReLU's threshold. keep(i) is a hash of the call's key and the
// element's index (cuda_dropout_hash.cuh), so no mask is stored; the backward needs none
// either: the gradient passes exactly where y > 0, scaled by 1 / (1 - p). Where n is whole
// groups of 128 and the pointers 16-byte aligned (ReluDropoutMaskWords), the forward can also
// write where y > 0 as bits (n / 32 words), which the backward then reads instead of y: a
// 32nd of y's bytes (session 31).
//
// Torch-free (raw device pointers, sizes, a stream) so that cuda_relu_dropout.cu compiles with
// plain nvcc; cuda_fused_layers.h is the LibTorch side. Compiled only in the CUDA build. No
// reductions: the same bits on every run; capturable in a CUDA graph.
#ifndef SG_TRAINER_MODEL_CUDA_RELU_DROPOUT_H_
#define SG_TRAINER_MODEL_CUDA_RELU_DROPOUT_H_

#include <cuda_runtime_api.h>

#include <cstdint>

#include "trainer/model/cuda_dropout_key.h"

namespace sg {
namespace cuda_kernels {

// h, y: n contiguous floats; 0 < p < 1. mask (where not null; ReluDropoutMaskWords(n, h, y)
// words): y > 0 as bits, in an order of the kernels' own.
cudaError_t LaunchReluDropoutForward(const float* h, int64_t n, float p, const DropoutKey& key,
                                     float* y, cudaStream_t stream, uint32_t* mask = nullptr);

// y: the forward's output; dy, dh: n contiguous floats. dh = y > 0 ? dy / (1 - p) : 0.
cudaError_t LaunchReluDropoutBackward(const float* y, const float* dy, int64_t n, float p,
                                      float* dh, cudaStream_t stream);

// The words of the forward's mask for n elements at h and y, or 0 where the kernels keep none:
// n not a multiple of 128, or h or y not 16-byte aligned.
int64_t ReluDropoutMaskWords(int64_t n, const float* h, const float* y);

// The backward from the forward's mask: dh = bit ? dy / (1 - p) : 0, the same values as
// LaunchReluDropoutBackward's from y. dy and dh 16-byte aligned, n a multiple of 128.
cudaError_t LaunchReluDropoutBackwardFromMask(const uint32_t* mask, const float* dy, int64_t n,
                                              float p, float* dh, cudaStream_t stream);

}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_RELU_DROPOUT_H_
