// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see
// cuda_side_stream_linear.h.
#include "trainer/model/cuda_side_stream_linear.h"

#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime_api.h>

#include <map>
#include <mutex>
#include <vector>

#include "trainer/model/cuda_priority_stream.h"
#include "trainer/model/cuda_seed_column_sums.h"
#include "trainer/model/cuda_seed_gemm.h"
#include "trainer/model/grad_destination.h"

namespace sg {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// One stream per device that we create ourselves, so it is never the stream a caller captures
// on (LibTorch's pool hands its streams out round-robin). Lowest priority: the chain of the
// backward goes first where both have blocks waiting. With it, per device, the tensors the
// side stream reads, held until JoinSideStream (see RunOnSideStream).
struct SideState {
  cudaStream_t stream = nullptr;
  std::vector<torch::Tensor> held;
};

std::mutex& SideMutex() {
  static std::mutex* mu = new std::mutex();
  return *mu;
}

// Call with SideMutex() held.
SideState& SideStateOf(c10::DeviceIndex index) {
  // Never destroyed: the streams outlive every use, and tensors must not be freed at exit.
  static auto* states = new std::map<c10::DeviceIndex, SideState>();
  SideState& state = (*states)[index];
  if (state.stream == nullptr) state.stream = OwnPriorityStream(index, PriorityEnd::kLeast);
  return state;
}

// The products, by cuBLASLt's first-ranked algorithm where `lt` asks and it serves
// (cuda_seed_gemm.h), else by LibTorch's bmm.
torch::Tensor Forward(const torch::Tensor& x, const torch::Tensor& wt, const torch::Tensor& bias,
                      bool lt) {
  torch::Tensor y;
  if (lt && SeedGemmForward(x, wt, bias, &y)) return y;
  if (bias.defined()) return torch::baddbmm(bias.unsqueeze(1), x, wt);
  return torch::bmm(x, wt);
}

// The backward of x @ wt (+ bias): dx on the current stream, dw (and db) on the side stream.
// lt_xt (with lt): dw's product from x transposed (SeedGemmWeightGrad's transpose_x). skip
// (where defined): a residual's gradient of x, relayed (residual_grad_relay.h), added to dx.
// bias: the bias parameter (defined with a bias).
variable_list SideStreamBackward(const torch::Tensor& x, const torch::Tensor& wt,
                                 const torch::Tensor& dy, const torch::Tensor& bias, bool lt,
                                 bool lt_xt, const torch::Tensor& skip) {
  c10::cuda::CUDAGuard device_guard(x.device());
  const bool has_bias = bias.defined();
  // Where a scope asks (grad_destination.h: the update beside the next forward), into its
  // buffer; else allocated on the current stream (the caching allocator's bookkeeping stays
  // that stream's). Filled on the side stream alongside the input gradient's GEMM.
  torch::Tensor dw = GradDestinationFor(wt);
  if (!dw.defined()) dw = torch::empty(wt.sizes(), wt.options());
  torch::Tensor db;
  if (has_bias) {
    db = GradDestinationFor(bias);
    if (!db.defined()) db = torch::empty({dy.size(0), dy.size(2)}, dy.options());
  }
  // x and dy are held for the side stream; with lt_xt, the transposed copy of x is allocated
  // inside SeedGemmWeightGrad while the side stream is current, so it is that stream's block
  // and needs no holding: the allocator reuses it only for that stream's later work.
  RunOnSideStream(x.device(), {x, dy}, [&] {
    // Our wgmma kernel, where it serves, writes db too (dy's column sums from the stages it holds).
    bool wrote_db = false;
    if (!lt || !SeedGemmWeightGrad(x, dy, dw, lt_xt, has_bias ? &db : nullptr, &wrote_db)) {
      torch::bmm_out(dw, x.transpose(1, 2), dy);
    }
    if (has_bias && !wrote_db) SeedBiasGradient(dy, db);
  });
  // The chain's gradient, on the current stream; with a relayed skip gradient, their sum (a
  // tensor of its own: skip may be another node's gradient as well).
  torch::Tensor dx;
  if (!lt || !SeedGemmInputGrad(dy, wt, &dx, skip)) {
    dx = skip.defined() ? torch::baddbmm(skip, dy, wt.transpose(1, 2))
                        : torch::bmm(dy, wt.transpose(1, 2));
  }
  // dw and db: the caller reads them after JoinSideStream only, and autograd keeps them as the
  // parameters' gradients (a reference held here would make it copy them instead).
  if (has_bias) return {dx, dw, db};
  return {dx, dw};
}

// x @ wt. Two functions rather than one with an optional bias: an autograd function's inputs
// must all be defined tensors.
class SideStreamMatmulFunction : public torch::autograd::Function<SideStreamMatmulFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& wt, bool lt, bool lt_xt,
                               const ResidualGradRelayPtr& relay) {
    ctx->save_for_backward({x, wt});
    ctx->saved_data["lt"] = lt;
    ctx->saved_data["lt_xt"] = lt_xt;
    SaveRelay(ctx, "relay", relay);
    return Forward(x, wt, {}, lt);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    variable_list out =
        SideStreamBackward(saved[0], saved[1], grads[0], /*bias=*/torch::Tensor(),
                           ctx->saved_data["lt"].toBool(), ctx->saved_data["lt_xt"].toBool(),
                           TakeRelayedGrad(ctx, "relay"));
    out.resize(out.size() + 3);  // no gradient for the flags and the relay
    return out;
  }
};

// bias + x @ wt.
class SideStreamAffineFunction : public torch::autograd::Function<SideStreamAffineFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& wt, const torch::Tensor& bias, bool lt,
                               bool lt_xt, const ResidualGradRelayPtr& relay) {
    ctx->save_for_backward({x, wt, bias});  // the bias for its gradient's destination
    ctx->saved_data["lt"] = lt;
    ctx->saved_data["lt_xt"] = lt_xt;
    SaveRelay(ctx, "relay", relay);
    return Forward(x, wt, bias, lt);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    variable_list out =
        SideStreamBackward(saved[0], saved[1], grads[0], saved[2],
                           ctx->saved_data["lt"].toBool(), ctx->saved_data["lt_xt"].toBool(),
                           TakeRelayedGrad(ctx, "relay"));
    out.resize(out.size() + 3);  // no gradient for the flags and the relay
    return out;
  }
};

}  // namespace

bool SideStreamLinearAvailable() { return true; }

torch::Tensor SideStreamLinear(const torch::Tensor& x, const torch::Tensor& wt,
                               const torch::Tensor& bias, bool lt_gemms,
                               bool lt_transposed_weight_grads,
                               const ResidualGradRelayPtr& relay) {
  TORCH_CHECK(x.is_cuda() && wt.is_cuda() && x.dim() == 3 && wt.dim() == 3,
              "SideStreamLinear takes CUDA tensors x [S, N, in] and wt [S, in, out]");
  if (bias.defined()) {
    return SideStreamAffineFunction::apply(x, wt, bias, lt_gemms, lt_transposed_weight_grads,
                                           relay);
  }
  return SideStreamMatmulFunction::apply(x, wt, lt_gemms, lt_transposed_weight_grads, relay);
}

void RunOnSideStream(const torch::Device& device, std::vector<torch::Tensor> held,
                     const std::function<void()>& work) {
  const c10::DeviceIndex index = device.has_index() ? device.index() : c10::cuda::current_device();
  c10::cuda::CUDAGuard device_guard(index);
  cudaStream_t side_stream = nullptr;
  {
    std::lock_guard<std::mutex> lock(SideMutex());
    SideState& state = SideStateOf(index);
    side_stream = state.stream;
    // Held until JoinSideStream, for two reasons. The caching allocator must not hand their
    // memory to the current stream while the side stream still reads it. And autograd must
    // not add into a gradient in place: when one gradient feeds two nodes (a residual's add
    // hands both inputs the same tensor; with dropout off it reaches a linear as it is), the
    // engine sums the other branch's gradient into it in place once it holds the only
    // reference, which on the H200 corrupted the weight gradient while the side stream read
    // it (the graph trainers parted at the second update, 2026-12-04).
    for (torch::Tensor& t : held) state.held.push_back(std::move(t));
  }
  const c10::cuda::CUDAStream side = c10::cuda::getStreamFromExternal(side_stream, index);
  at::cuda::CUDAEvent ready;
  ready.record(c10::cuda::getCurrentCUDAStream(index));
  ready.block(side);
  c10::cuda::CUDAStreamGuard guard(side);
  work();
}

void JoinSideStream(const torch::Device& device) {
  const c10::DeviceIndex index = device.has_index() ? device.index() : c10::cuda::current_device();
  std::vector<torch::Tensor> release;
  {
    std::lock_guard<std::mutex> lock(SideMutex());
    SideState& state = SideStateOf(index);
    at::cuda::CUDAEvent done;
    done.record(c10::cuda::getStreamFromExternal(state.stream, index));
    done.block(c10::cuda::getCurrentCUDAStream(index));
    release.swap(state.held);
  }
  // Freed after the current stream has waited for the side stream: their memory may be reused
  // by the current stream's later work.
}

void SeedBiasGradient(const torch::Tensor& dy, torch::Tensor& db) {
  // Our kernel where dy is contiguous (the backward's usual case, and the ragged step's padded
  // views), else LibTorch's sum.
  if (!dy.is_cuda() || !dy.is_contiguous() || dy.scalar_type() != torch::kFloat32 ||
      dy.dim() != 3 || dy.size(0) > 65535 || dy.size(1) < 1 || dy.size(2) < 1 ||
      !db.is_contiguous()) {
    const int64_t rows_dim[] = {1};
    torch::sum_out(db, dy, at::IntArrayRef(rows_dim));
    return;
  }
  const cudaError_t err = cuda_kernels::LaunchSeedColumnSums(
      dy.data_ptr<float>(), dy.size(0), dy.size(1), dy.size(2), db.data_ptr<float>(),
      c10::cuda::getCurrentCUDAStream(dy.device().index()).stream());
  TORCH_CHECK(err == cudaSuccess, "bias gradient kernel: ", cudaGetErrorString(err));
}

}  // namespace sg
