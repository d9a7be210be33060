// Our own CUDA kernels for the pack's optimizer step (docs/performance.md, "Our own kernels"):
// the per-seed gradient norm, the clip factor, and an AdamW update over the flat [S, P] weights
// and moments that reads each seed's clip factor from device memory and does not write the
// gradient back (28 bytes per parameter where LibTorch's fused AdamW with a grad_scale moves 32).
//
// Torch-free (raw device pointers, sizes and a stream) so that cuda_pack_adamw.cu compiles with
// plain nvcc; cuda_pack_optimizer.h is the LibTorch side. Compiled only in the CUDA build.
//
// Every launch is capturable in a CUDA graph: no host synchronisation, no allocation, and the
// learning rate, step and clip factors are read from device memory when the kernel runs. Every
// reduction has a fixed order (no atomics), so a replay gives bit-identical results: what a
// bit-exact resume needs. Not thread-safe only in the sense of the stream: launches go to
// `stream` in call order.
#ifndef SG_TRAINER_MODEL_CUDA_PACK_ADAMW_H_
#define SG_TRAINER_MODEL_CUDA_PACK_ADAMW_H_

#include <cuda_runtime_api.h>

#include <cstdint>

namespace sg {
namespace cuda_kernels {

// One parameter of the pack: where its gradient lives and where its weights and moments sit
// in a row of the flat [S, P] buffers.
struct PackGradSlot {
  const float* grad = nullptr;   // seed s's gradient starts at grad + s * grad_seed_stride
  int64_t grad_seed_stride = 0;  // numel for a [S, ...] gradient tensor, P for a flat one
  int64_t offset = 0;            // into a row of the flat buffers
  int64_t numel = 0;
};

// Elements one block handles: gradients are cut into chunks of this many per (slot, seed).
constexpr int64_t kPackChunk = 8192;

// Chunks per seed over all slots: the length of a seed's row of partial sums.
int64_t PackGradChunks(const PackGradSlot* slots, int num_slots);

// partials[s * chunks + c] = sum of squares of chunk c of seed s's gradient, chunks =
// PackGradChunks(slots, num_slots), in slot order. partials: [seeds, chunks] floats.
cudaError_t LaunchPackGradSquaredSums(const PackGradSlot* slots, int num_slots, int64_t seeds,
                                      float* partials, cudaStream_t stream);

// Per seed: norm[s] = sqrt(sum of its partials) (summed in double, fixed order); if grad_scale,
// grad_scale[s] = max(1, (norm[s] + 1e-6) / clip), computed in float as LibTorch's
// `((norm + 1e-6) / clip).clamp_min(1)` is (AdamW divides the gradient by it: torch
// clip_grad_norm_'s min(1, clip / (norm + 1e-6)) as a divisor); if norm_acc (float64 [S]),
// norm_acc[s] += norm[s]. clip > 0 when grad_scale is given.
cudaError_t LaunchPackClipScale(const float* partials, int64_t chunks, int64_t seeds,
                                double clip, float* norm, float* grad_scale, double* norm_acc,
                                cudaStream_t stream);

// The same with more sums of squares: seed s's sum is its partials' then extra[s *
// extra_seed_stride + c] for c < extra_count (the weight gradients' tile sums that their own
// kernel wrote: cuda_weight_grad_sums.h), each thread's share in order, then a fixed tree.
// With no extra, the same bits as LaunchPackClipScale.
cudaError_t LaunchPackClipScaleWithSums(const float* partials, int64_t chunks,
                                        const float* extra, int64_t extra_count,
                                        int64_t extra_seed_stride, int64_t seeds, double clip,
                                        float* norm, float* grad_scale, double* norm_acc,
                                        cudaStream_t stream);

struct PackAdamWArgs {
  float* param = nullptr;       // [seeds, row_length]
  float* exp_avg = nullptr;     // [seeds, row_length]
  float* exp_avg_sq = nullptr;  // [seeds, row_length]
  int64_t row_length = 0;       // P
  int64_t seeds = 0;
  const PackGradSlot* slots = nullptr;  // host array, num_slots entries
  int num_slots = 0;
  const float* lr = nullptr;          // device scalar
  const float* step = nullptr;        // device scalar: the 1-based update count
  const float* grad_scale = nullptr;  // device [seeds] or null: seed s's gradient / grad_scale[s]
  // Device scalar or null: where it reads 0 the launch changes nothing (a captured graph's
  // deferred update when none is pending: cuda_graph_step.h, update_beside_forward).
  const float* enabled = nullptr;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
};

// One AdamW update of every slot of every seed with LibTorch's fused AdamW arithmetic
// (`_fused_adamw_`, amsgrad and maximize off: the same mix of double and float operations, bias
// corrections from the step read as a float). Gradients are only read. Bytes outside the slots
// (the row padding) are not touched.
cudaError_t LaunchPackAdamW(const PackAdamWArgs& args, cudaStream_t stream);

}  // namespace cuda_kernels
}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_PACK_ADAMW_H_
