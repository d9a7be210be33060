#include "trainer/eval/eval_forward.h"

#include <torch/version.h>

#include <cmath>
#include <limits>

namespace sg {
namespace {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
#define SG_HAVE_SDPA_SCALE 1
#else
#define SG_HAVE_SDPA_SCALE 0
#endif
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define SG_HAVE_SDPA_CUDNN_SWITCH 1
#else
#define SG_HAVE_SDPA_CUDNN_SWITCH 0
#endif

// LibTorch 2.11 prefers cuDNN's attention for bf16 on an H100, and cuDNN builds an execution
// plan for every new shape. An evaluation's chunks come in dozens of shapes (rows x length),
// so the plan builds cost more than the attention: measured, the first split's forward took
// 1.49 s instead of 0.21 s and the kernels were a third of the evaluation's time. Flash
// attention has no per-shape setup. The switch is process-wide (LibTorch has no other); the
// training step's fused attention is fp32, which cuDNN's does not serve anyway.
void PreferFlashAttention() {
#if SG_HAVE_SDPA_CUDNN_SWITCH
  at::globalContext().setSDPUseCuDNN(false);
#endif
}

// Causal attention over q, k, v [SB,H,T,dh] (any strides with a contiguous last dimension) ->
// [SB,T,H,dh]: each token's heads side by side, the layout W_o reads.
torch::Tensor CausalAttention(const torch::Tensor& q, const torch::Tensor& k,
                              const torch::Tensor& v, double scale) {
#if SG_HAVE_SDPA_SCALE
  return at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                          /*is_causal=*/true, scale)
      .transpose(1, 2);
#else
  // LibTorch before 2.1 (the CPU build): the same math with library matmuls.
  const int64_t T = q.size(2);
  torch::Tensor pos = torch::arange(T, q.options().dtype(torch::kInt64));
  torch::Tensor scores = torch::matmul(q, k.transpose(-2, -1)) * scale;
  scores.masked_fill_(pos.view({T, 1}) < pos.view({1, T}), -std::numeric_limits<float>::infinity());
  return torch::matmul(torch::softmax(scores, -1), v).transpose(1, 2);
#endif
}

}  // namespace

EvalForward::EvalForward(const PackModel& model, const EvalForwardOptions& options)
    : model_(&model),
      dtype_(options.bf16 && model.device().is_cuda() ? torch::kBFloat16 : torch::kFloat32) {
  torch::NoGradGuard no_grad;
  if (model.device().is_cuda()) PreferFlashAttention();
  const ModelShape& shape = model.shape();
  const PackParams& p = model.params();
  const int64_t S = model.num_seeds(), d = shape.d_model, H = shape.heads, dh = d / H;
  // Casting to the own dtype returns the tensor itself: fp32 keeps views of the weights.
  auto cast = [&](const torch::Tensor& t) { return t.detach().to(dtype_); };
  embedding_ = (p.embedding.detach() * std::sqrt(static_cast<double>(d)))
                   .to(dtype_)
                   .reshape({S * shape.num_ids, d});
  positions_ = cast(model.positions());
  for (const PackParams::Layer& l : p.layers) {
    Layer out;
    // W_kv interleaves K and V per head (§1.5): head h owns columns [2dh h, 2dh h + 2dh).
    torch::Tensor kv = l.Wkv().detach().view({S, d, H, 2, dh});
    out.wqkv = torch::cat({l.Wq().detach(), kv.select(3, 0).reshape({S, d, d}),
                           kv.select(3, 1).reshape({S, d, d})},
                          2)
                   .to(dtype_);
    out.wo = cast(l.wo);
    out.w1 = cast(l.w1);
    out.b1 = cast(l.b1).unsqueeze(1);
    out.w2 = cast(l.w2);
    out.b2 = cast(l.b2).unsqueeze(1);
    out.ln1_g = cast(l.ln1_g).unsqueeze(1);
    out.ln1_b = cast(l.ln1_b).unsqueeze(1);
    out.ln2_g = cast(l.ln2_g).unsqueeze(1);
    out.ln2_b = cast(l.ln2_b).unsqueeze(1);
    layers_.push_back(std::move(out));
  }
}

torch::Tensor EvalForward::LayerNorm(const torch::Tensor& x, const torch::Tensor& g,
                                     const torch::Tensor& b) const {
  return torch::addcmul(b, at::layer_norm(x, {x.size(-1)}, {}, {}, 1e-5), g);
}

torch::Tensor EvalForward::Hidden(const torch::Tensor& ids) const {
  torch::NoGradGuard no_grad;
  const ModelShape& shape = model_->shape();
  const int64_t S = ids.size(0), B = ids.size(1), T = ids.size(2);
  const int64_t d = shape.d_model, H = shape.heads, dh = d / H;
  TORCH_CHECK(S == model_->num_seeds(), "ids have ", S, " seeds, the pack ", model_->num_seeds());
  TORCH_CHECK(T <= positions_.size(0), "sequence of ", T,
              " tokens exceeds the position table (", positions_.size(0), ")");

  // Seed s's id i is row s * (V+2) + i of the stacked embeddings.
  torch::Tensor rows =
      ids + torch::arange(S, ids.options()).mul_(shape.num_ids).view({S, 1, 1});
  torch::Tensor x = embedding_.index_select(0, rows.reshape({-1})).view({S, B, T, d});
  x = (x + positions_.slice(0, 0, T)).view({S, B * T, d});

  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  for (const Layer& l : layers_) {
    // [S, B*T, 3d] -> q, k, v as [S*B, H, T, dh] views (no copies).
    torch::Tensor qkv = torch::bmm(x, l.wqkv).view({S * B, T, 3, H, dh});
    torch::Tensor a = CausalAttention(qkv.select(2, 0).transpose(1, 2),
                                      qkv.select(2, 1).transpose(1, 2),
                                      qkv.select(2, 2).transpose(1, 2), scale)
                          .reshape({S, B * T, d});
    torch::Tensor u = LayerNorm(x + torch::bmm(a, l.wo), l.ln1_g, l.ln1_b);
    torch::Tensor f = torch::baddbmm(l.b1, u, l.w1).relu_();
    x = LayerNorm(torch::baddbmm(l.b2, f, l.w2).add_(u), l.ln2_g, l.ln2_b);
  }
  return x;
}

torch::Tensor EvalForward::Logits(const torch::Tensor& hidden) const {
  torch::NoGradGuard no_grad;
  return model_->Logits(model_->params(), hidden.to(torch::kFloat32));
}

}  // namespace sg
