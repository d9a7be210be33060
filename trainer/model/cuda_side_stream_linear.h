// A seed-batched linear layer whose weight and bias gradients run on a second CUDA stream, so
// that they overlap the rest of the backward (docs/performance.md, "Weight gradients on a
// side stream"). The backward of a layer's linear yields the input gradient, which the next
// node up the chain waits for, and the weight gradient, which only the optimizer reads. Each
// seed's GEMMs are small (QF: ~256 rows), so one GEMM fills part of the GPU; with the weight
// gradients on their own stream their blocks fill what the chain leaves idle, in a captured
// graph as parallel branches. RunOnSideStream puts other such work there too (the fused
// LayerNorms' affine gradients, cuda_fused_layers.h). Trainer-internal (LibTorch).
// cuda_side_stream_linear.cc implements it against a CUDA LibTorch; the CPU build compiles
// cuda_side_stream_linear_unavailable.cc, where it is never available.
#ifndef SG_TRAINER_MODEL_CUDA_SIDE_STREAM_LINEAR_H_
#define SG_TRAINER_MODEL_CUDA_SIDE_STREAM_LINEAR_H_

#include <torch/torch.h>

#include <functional>
#include <vector>

#include "trainer/model/residual_grad_relay.h"

namespace sg {

// True in a CUDA build.
bool SideStreamLinearAvailable();

// x [S, N, in] @ wt [S, in, out] (+ bias [S, out] on every row): what torch::bmm /
// torch::baddbmm compute, forward on the current stream. With lt_gemms the three products
// (forward, input and weight gradients) are cuBLASLt's where it serves (cuda_seed_gemm.h),
// else LibTorch's bmm; with lt_transposed_weight_grads too, the weight gradient's from a
// transposed copy of x made on the side stream (SeedGemmWeightGrad's transpose_x: an "nn"
// product, which Hopper's TF32 tensor-core kernels take). In the backward the input gradient
// is computed on the current stream and the gradients of wt and bias on the device's side
// stream, into tensors allocated on the current stream; the input and the output's gradient the
// side stream reads are held (kept from the allocator and from autograd's in-place sums) until the
// join. Two rules for the caller, who runs one such backward per device at a time:
// - JoinSideStream(device) after backward() and before anything reads those gradients;
// - wt and bias are used once in the graph, so autograd keeps the gradient tensor as it is
//   (an accumulating add would run on the current stream before the join and race).
// relay (residual_grad_relay.h): x's other reader is a FusedResidualLayerNorm given the same
// relay; the input gradient then adds the skip gradient it relays (in the product's epilogue
// where cuBLASLt serves), which autograd would otherwise add on its own.
torch::Tensor SideStreamLinear(const torch::Tensor& x, const torch::Tensor& wt,
                               const torch::Tensor& bias = {}, bool lt_gemms = false,
                               bool lt_transposed_weight_grads = false,
                               const ResidualGradRelayPtr& relay = {});

// Queues what `work` launches (it runs with the side stream as the current stream) on the
// device's side stream, after everything queued so far on the current stream, and holds
// `held` (what it reads) until JoinSideStream. For gradients only the optimizer reads, with
// the same two rules as SideStreamLinear: write them into tensors allocated on the current
// stream before, and join before reading them.
void RunOnSideStream(const torch::Device& device, std::vector<torch::Tensor> held,
                     const std::function<void()>& work);

// db [S, out] = dy [S, rows, out] summed over each seed's rows, on the current stream (the
// caller's, which RunOnSideStream's work makes the side stream): by our kernel
// (cuda_seed_column_sums.h) where it serves (a CUDA build, dy contiguous fp32 on a CUDA
// device), else LibTorch's sum. The side-stream backward's bias gradients, and the ragged
// step's over its padded views (ragged_table_ops.h).
void SeedBiasGradient(const torch::Tensor& dy, torch::Tensor& db);

// Makes the device's current stream wait for everything queued on its side stream so far, and
// releases the tensors held for it.
void JoinSideStream(const torch::Device& device);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_SIDE_STREAM_LINEAR_H_
