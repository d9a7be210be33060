// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_line_attention.h.
//
// The kernel is aten::_efficient_attention_forward, whose argument list has grown from one
// LibTorch release to the next. It is called through the dispatcher by argument name, so the
// same code serves every release that has the variable-length form, and the dispatcher's
// autograd kernel records its backward (_efficient_attention_backward) as for any ATen op.
#include "trainer/model/cuda_line_attention.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>

#include <optional>
#include <string>

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
  TORCH_CHECK(q.dim() == 4 && k.sizes() == q.sizes() && v.sizes() == q.sizes(),
              "q, k, v must be [S, N, H, dh] of one shape; got ", q.sizes(), k.sizes(),
              v.sizes());
  TORCH_CHECK(q.is_cuda() && q.scalar_type() == torch::kFloat32,
              "attention per line takes float32 CUDA tensors");
  TORCH_CHECK(seq_starts.is_cuda() && seq_starts.scalar_type() == torch::kInt32 &&
                  seq_starts.dim() == 1 && seq_starts.size(0) >= 2,
              "seq_starts must be int32 [L+1] on the device");
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

}  // namespace sg
