// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_line_attention.h.
// Two implementations: LineAttention (LibTorch's kernel, below) and OwnLineAttention (the
// autograd function around our kernels of cuda_line_attention_kernels.cu, further down).
//
// LibTorch's kernel is aten::_efficient_attention_forward, whose argument list has grown from one
// LibTorch release to the next. It is called through the dispatcher by argument name, so the
// same code serves every release that has the variable-length form, and the dispatcher's
// autograd kernel records its backward (_efficient_attention_backward) as for any ATen op.
#include "trainer/model/cuda_line_attention.h"

#include <ATen/Context.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <optional>
#include <string>
#include <vector>

#include "trainer/model/cuda_dropout_key.h"
#include "trainer/model/cuda_line_attention_kernels.h"
#include "trainer/model/qkv_views.h"

namespace sg {
namespace {

constexpr const char* kOp = "aten::_efficient_attention_forward";
constexpr int64_t kCausalFromTopLeft = 1;  // the kernel's custom_mask_type for causal

std::optional<c10::OperatorHandle> FindOp() {
  auto found = c10::Dispatcher::singleton().findSchema({kOp, ""});  // c10:: or std::optional
  if (!found.has_value()) return std::nullopt;
  return *found;
}

// The schema has every argument LineAttention fills: the variable-length form.
bool HasVarlenForm(const c10::OperatorHandle& op) {
  int found = 0;
  for (const c10::Argument& a : op.schema().arguments()) {
    const std::string& n = a.name();
    if (n == "cu_seqlens_q" || n == "cu_seqlens_k" || n == "max_seqlen_q" ||
        n == "max_seqlen_k" || n == "custom_mask_type" || n == "scale") {
      ++found;
    }
  }
  return found == 6;
}

// What both implementations take (cuda_line_attention.h).
void CheckInputs(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                 const torch::Tensor& starts) {
  TORCH_CHECK(q.dim() == 4 && k.sizes() == q.sizes() && v.sizes() == q.sizes(),
              "q, k, v must be [S, N, H, dh] of one shape");
  for (const torch::Tensor* t : {&q, &k, &v}) {
    TORCH_CHECK(t->is_cuda() && t->scalar_type() == torch::kFloat32 && t->stride(3) == 1 &&
                    (t->size(0) == 1 || t->stride(0) == t->size(1) * t->stride(1)),
                "q, k, v must be float32 CUDA views with unit stride along dh whose seeds "
                "and positions merge");
  }
  TORCH_CHECK(starts.is_cuda() && starts.scalar_type() == torch::kInt32 && starts.dim() == 1 &&
                  starts.size(0) >= 2,
              "seq_starts must be int32 [L+1] on the device");
}

}  // namespace

bool LineAttentionAvailable() {
  static const bool available = [] {
    std::optional<c10::OperatorHandle> op = FindOp();
    return op.has_value() && HasVarlenForm(*op);
  }();
  return available;
}

torch::Tensor LineAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                            const torch::Tensor& seq_starts, int64_t max_len, double scale) {
  TORCH_CHECK(LineAttentionAvailable(), "this LibTorch has no variable-length ", kOp);
  CheckInputs(q, k, v, seq_starts);
  const int64_t S = q.size(0), N = q.size(1), H = q.size(2), dh = q.size(3);
  // One batch of S*N positions (the variable-length form takes batch 1); views, no copies.
  const torch::Tensor q1 = q.view({1, S * N, H, dh});
  const torch::Tensor k1 = k.view({1, S * N, H, dh});
  const torch::Tensor v1 = v.view({1, S * N, H, dh});
  const bool grads = torch::GradMode::is_enabled() &&
                     (q.requires_grad() || k.requires_grad() || v.requires_grad());

  const c10::OperatorHandle op = *FindOp();
  torch::jit::Stack stack;
  for (const c10::Argument& a : op.schema().arguments()) {
    const std::string& n = a.name();
    if (n == "query") {
      stack.emplace_back(q1);
    } else if (n == "key") {
      stack.emplace_back(k1);
    } else if (n == "value") {
      stack.emplace_back(v1);
    } else if (n == "cu_seqlens_q" || n == "cu_seqlens_k") {
      stack.emplace_back(seq_starts);
    } else if (n == "max_seqlen_q" || n == "max_seqlen_k") {
      stack.emplace_back(max_len);
    } else if (n == "dropout_p") {
      stack.emplace_back(0.0);  // cuda_line_attention.h says why
    } else if (n == "custom_mask_type") {
      stack.emplace_back(kCausalFromTopLeft);
    } else if (n == "compute_log_sumexp") {
      stack.emplace_back(grads);  // the backward needs it
    } else if (n == "scale") {
      stack.emplace_back(scale);
    } else if (a.default_value().has_value()) {
      stack.push_back(*a.default_value());
    } else if (a.type()->kind() == c10::TypeKind::OptionalType) {
      stack.emplace_back();  // bias, seqlen_k and later additions: none
    } else {
      TORCH_CHECK(false, kOp, " has an argument this build does not know: ", n);
    }
  }
  op.callBoxed(&stack);
  return stack.at(0).toTensor().view({S, N, H * dh});
}

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

void CheckLaunch(cudaError_t err, const char* what) {
  TORCH_CHECK(err == cudaSuccess, what, ": ", cudaGetErrorString(err));
}

cuda_kernels::LineAttentionShape ShapeOf(const torch::Tensor& q, const torch::Tensor& k,
                                         const torch::Tensor& v, const torch::Tensor& starts,
                                         double dropout, double scale, bool tf32) {
  cuda_kernels::LineAttentionShape sh;
  sh.positions = q.size(0) * q.size(1);
  sh.heads = q.size(2);
  sh.head_dim = q.size(3);
  sh.lines = starts.size(0) - 1;
  sh.q_pos = q.stride(1);
  sh.q_head = q.stride(2);
  sh.k_pos = k.stride(1);
  sh.k_head = k.stride(2);
  sh.v_pos = v.stride(1);
  sh.v_head = v.stride(2);
  sh.scale = static_cast<float>(scale);
  sh.dropout = static_cast<float>(dropout);
  sh.tf32 = tf32;
  // The backward's gradients of their own, [M, H, dh] contiguous, unless the caller says else.
  sh.dq_pos = sh.dk_pos = sh.dv_pos = sh.heads * sh.head_dim;
  sh.dq_head = sh.dk_head = sh.dv_head = sh.head_dim;
  return sh;
}

// Whether the kernels can read x four floats at a time.
bool IsAligned(const torch::Tensor& x) {
  return cuda_kernels::LineAttentionOperandsAligned(x.data_ptr<float>(), x.stride(1),
                                                    x.stride(2));
}
// x itself where they can, else an aligned copy (a view at an odd offset; the projections'
// views always qualify).
torch::Tensor Aligned(const torch::Tensor& x) {
  return IsAligned(x) ? x : x.clone(at::MemoryFormat::Contiguous);
}

// The forward's outputs and what the backward needs besides the operands.
struct ForwardResult {
  torch::Tensor out, lse;
  cuda_kernels::DropoutKey key;
  bool tf32 = false;
};

// q, k, v: aligned views (Aligned).
ForwardResult RunForward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                         const torch::Tensor& starts, double dropout, double scale) {
  ForwardResult r;
  // TF32 products where cuBLAS may use TF32, as the masked path's bmm (and so the backward as
  // its forward).
  r.tf32 = at::globalContext().allowTF32CuBLAS();
  const cuda_kernels::LineAttentionShape sh = ShapeOf(q, k, v, starts, dropout, scale, r.tf32);
  r.key = dropout > 0.0 ? NextDropoutKey(q.device().index()) : cuda_kernels::DropoutKey{};
  r.out = torch::empty({q.size(0), q.size(1), sh.heads * sh.head_dim}, q.options());
  r.lse = torch::empty({sh.heads, sh.positions}, q.options());
  CheckLaunch(cuda_kernels::LaunchLineAttentionForward(
                  q.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>(),
                  starts.data_ptr<int32_t>(), sh, r.key, r.out.data_ptr<float>(),
                  r.lse.data_ptr<float>(),
                  c10::cuda::getCurrentCUDAStream(q.device().index()).stream()),
              "attention per line, forward");
  return r;
}

void SaveForward(AutogradContext* ctx, const ForwardResult& r, double dropout, double scale) {
  ctx->saved_data["key"] = DropoutKeyToInts(r.key);
  ctx->saved_data["dropout"] = dropout;
  ctx->saved_data["scale"] = scale;
  ctx->saved_data["tf32"] = r.tf32;
}

// The backward into dq, dk, dv (views of any strides the kernels can store to).
void RunBackward(AutogradContext* ctx, const torch::Tensor& q, const torch::Tensor& k,
                 const torch::Tensor& v, const torch::Tensor& starts, const torch::Tensor& out,
                 const torch::Tensor& lse, const torch::Tensor& grad_out, torch::Tensor& dq,
                 torch::Tensor& dk, torch::Tensor& dv) {
  c10::cuda::CUDAGuard device_guard(q.device());
  cuda_kernels::LineAttentionShape sh =
      ShapeOf(q, k, v, starts, ctx->saved_data["dropout"].toDouble(),
              ctx->saved_data["scale"].toDouble(), ctx->saved_data["tf32"].toBool());
  sh.dq_pos = dq.stride(1);
  sh.dq_head = dq.stride(2);
  sh.dk_pos = dk.stride(1);
  sh.dk_head = dk.stride(2);
  sh.dv_pos = dv.stride(1);
  sh.dv_head = dv.stride(2);
  const cuda_kernels::DropoutKey key = DropoutKeyFromInts(ctx->saved_data["key"].toIntVector());
  const torch::Tensor dout =
      Aligned(grad_out.contiguous().view({q.size(0), q.size(1), sh.heads, sh.head_dim}));
  torch::Tensor delta = torch::empty({sh.heads, sh.positions}, q.options());
  CheckLaunch(cuda_kernels::LaunchLineAttentionBackward(
                  q.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>(),
                  starts.data_ptr<int32_t>(), sh, key, out.data_ptr<float>(),
                  lse.data_ptr<float>(), dout.data_ptr<float>(), delta.data_ptr<float>(),
                  dq.data_ptr<float>(), dk.data_ptr<float>(), dv.data_ptr<float>(),
                  c10::cuda::getCurrentCUDAStream(q.device().index()).stream()),
              "attention per line, backward");
}

class OwnLineAttentionFunction : public torch::autograd::Function<OwnLineAttentionFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& q_in,
                               const torch::Tensor& k_in, const torch::Tensor& v_in,
                               const torch::Tensor& starts, double dropout, double scale) {
    c10::cuda::CUDAGuard device_guard(q_in.device());
    const torch::Tensor q = Aligned(q_in), k = Aligned(k_in), v = Aligned(v_in);
    const ForwardResult r = RunForward(q, k, v, starts, dropout, scale);
    ctx->save_for_backward({q, k, v, starts, r.out, r.lse});
    SaveForward(ctx, r, dropout, scale);
    return r.out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const torch::Tensor& q = saved[0];
    torch::Tensor dq = torch::empty(q.sizes(), q.options());
    torch::Tensor dk = torch::empty(q.sizes(), q.options());
    torch::Tensor dv = torch::empty(q.sizes(), q.options());
    RunBackward(ctx, q, saved[1], saved[2], saved[3], saved[4], saved[5], grads[0], dq, dk, dv);
    return {dq, dk, dv, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

// The same on the fused product: one input, one gradient (cuda_line_attention.h).
class OwnLineAttentionQkvFunction
    : public torch::autograd::Function<OwnLineAttentionQkvFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& qkv_in, int64_t heads,
                               const torch::Tensor& starts, double dropout, double scale) {
    c10::cuda::CUDAGuard device_guard(qkv_in.device());
    QkvViews in = SplitQkv(qkv_in, heads);
    // A product at an odd offset (not the projections' own output) is copied once, whole.
    const bool aligned = IsAligned(in.q) && IsAligned(in.k) && IsAligned(in.v);
    const torch::Tensor qkv = aligned ? qkv_in : qkv_in.clone(at::MemoryFormat::Contiguous);
    if (!aligned) in = SplitQkv(qkv, heads);
    const ForwardResult r = RunForward(in.q, in.k, in.v, starts, dropout, scale);
    ctx->save_for_backward({qkv, starts, r.out, r.lse});
    SaveForward(ctx, r, dropout, scale);
    ctx->saved_data["heads"] = heads;
    return r.out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const torch::Tensor& qkv = saved[0];
    const int64_t heads = ctx->saved_data["heads"].toInt();
    const QkvViews in = SplitQkv(qkv, heads);
    torch::Tensor dqkv = torch::empty(qkv.sizes(), qkv.options());  // contiguous
    QkvViews d = SplitQkv(dqkv, heads);
    RunBackward(ctx, in.q, in.k, in.v, saved[1], saved[2], saved[3], grads[0], d.q, d.k, d.v);
    return {dqkv, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool OwnLineAttentionAvailable() { return true; }

namespace {

// What our kernels take on top of CheckInputs.
void CheckOwnInputs(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                    const torch::Tensor& seq_starts, double dropout) {
  CheckInputs(q, k, v, seq_starts);
  TORCH_CHECK(cuda_kernels::LineAttentionHeadDimOk(q.size(3)),
              "our attention per line takes head widths 8, 16, 32 or 64, not ", q.size(3));
  TORCH_CHECK(dropout >= 0.0 && dropout < 1.0, "dropout must be in [0, 1), not ", dropout);
}

}  // namespace

torch::Tensor OwnLineAttention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& seq_starts,
                               double dropout, double scale) {
  CheckOwnInputs(q, k, v, seq_starts, dropout);
  return OwnLineAttentionFunction::apply(q, k, v, seq_starts, dropout, scale);
}

torch::Tensor OwnLineAttentionQkv(const torch::Tensor& qkv, int64_t heads,
                                  const torch::Tensor& seq_starts, double dropout, double scale) {
  TORCH_CHECK(qkv.dim() == 3 && heads > 0 && qkv.size(2) % (3 * heads) == 0,
              "qkv must be [S, N, 3d] with d a multiple of the ", heads, " heads");
  const QkvViews views = SplitQkv(qkv, heads);
  CheckOwnInputs(views.q, views.k, views.v, seq_starts, dropout);
  return OwnLineAttentionQkvFunction::apply(qkv, heads, seq_starts, dropout, scale);
}

}  // namespace sg
