// Our own CUDA kernels for causal attention within each line of packed rows, with dropout on
// the probabilities (cuda_line_attention.h, OwnLineAttention). Tiles of 64 queries by 64 keys
// of one head per block, as flash attention: the forward runs an online softmax over the key
// tiles of its queries' lines, the backward one kernel per query tile (dQ, and delta = dO . O)
// and one per key tile (dK, dV), each summing in a fixed order: no atomics, the same bits on
// every run and in a graph replay. In fp32 FMAs, or with LineAttentionShape::tf32 (head widths
// 16 to 64) the tiles' products on the tensor cores in TF32 (cuda_line_attention_tf32.h).
//
// Dropout: whether probability (i, j) of head h is kept is a hash of the call's random key, h,
// i and j, the same function in the forward and both backward kernels, so the backward drops
// exactly what the forward dropped. The key comes from the device's default generator (its
// Philox seed and offset, read on the device when a graph is being captured), so a reseeded
// generator replays the same masks, as every other dropout site of the graph step.
//
// Torch-free (raw device pointers, sizes, a stream) so that cuda_line_attention_kernels.cu
// compiles with plain nvcc; cuda_line_attention.cc is the LibTorch side. Compiled only in the
// CUDA build.
#ifndef SG_TRAINER_MODEL_CUDA_LINE_ATTENTION_KERNELS_H_
#define SG_TRAINER_MODEL_CUDA_LINE_ATTENTION_KERNELS_H_

#include <cuda_runtime_api.h>

#include <cstdint>

#include "trainer/model/cuda_dropout_key.h"

namespace sg {
namespace cuda_kernels {

struct LineAttentionShape {
  int64_t positions = 0;  // M: the flattened S*N positions
  int64_t heads = 0;
  int64_t head_dim = 0;   // 8, 16, 32 or 64
  int64_t lines = 0;      // L: seq_starts has L+1 entries
  // Element strides of q, k, v between positions and between heads (unit stride along dh).
  int64_t q_pos = 0, q_head = 0, k_pos = 0, k_head = 0, v_pos = 0, v_head = 0;
  // The same for the backward's dq, dk and dv: [M, H, dh] contiguous (H * dh, dh) for
  // gradients of their own, or the strides of q, k and v where the backward writes into one
  // gradient of the fused query-key-value product (OwnLineAttentionQkv).
  int64_t dq_pos = 0, dq_head = 0, dk_pos = 0, dk_head = 0, dv_pos = 0, dv_head = 0;
  float scale = 1.0f;
  float dropout = 0.0f;
  // The tiles' products on the tensor cores in TF32 (cuda_line_attention_tf32.h) for head
  // widths 16, 32 and 64; fp32 FMAs otherwise.
  bool tf32 = false;
};

inline bool LineAttentionHeadDimOk(int64_t head_dim) {
  return head_dim == 8 || head_dim == 16 || head_dim == 32 || head_dim == 64;
}

// The kernels read and write four floats at a time: q, k, v, out, dout, dq, dk and dv must
// start on 16 bytes and their position and head strides be multiples of 4 elements (the
// launches return cudaErrorMisalignedAddress otherwise). Whether x with those strides is.
bool LineAttentionOperandsAligned(const float* x, int64_t pos_stride, int64_t head_stride);

// out: [M, H, dh] contiguous; lse: [H, M] (log-sum-exp of each query's scaled scores, before
// dropout).
cudaError_t LaunchLineAttentionForward(const float* q, const float* k, const float* v,
                                       const int32_t* seq_starts, const LineAttentionShape& shape,
                                       const DropoutKey& key, float* out, float* lse,
                                       cudaStream_t stream);

// dout, out: [M, H, dh] contiguous; delta: [H, M] scratch (dout . out per query); dq, dk, dv
// with the strides of LineAttentionShape (dq_pos, ...), aligned as the operands.
cudaError_t LaunchLineAttentionBackward(const float* q, const float* k, const float* v,
                                        const int32_t* seq_starts, const LineAttentionShape& shape,
                                        const DropoutKey& key, const float* out, const float* lse,
                                        const float* dout, float* delta, float* dq, float* dk,
                                        float* dv, cudaStream_t stream);

}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_LINE_ATTENTION_KERNELS_H_
