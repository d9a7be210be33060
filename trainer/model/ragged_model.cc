#include "trainer/model/ragged_model.h"

#include <cmath>

#include "trainer/model/cuda_fused_layers.h"
#include "trainer/model/cuda_line_attention.h"
#include "trainer/model/ragged_layers.h"

namespace sg {
namespace {

torch::Tensor Dropout(const torch::Tensor& x, const RaggedForwardOptions& o) {
  if (!o.train || o.dropout <= 0.0) return x;
  return torch::dropout(x, o.dropout, /*train=*/true);
}

torch::Tensor ReluDropout(const torch::Tensor& h, const RaggedForwardOptions& o) {
  if (o.fused_relu_dropout && o.train && FusedReluDropoutServes(h, o.dropout)) {
    return FusedReluDropout(h, o.dropout);
  }
  return Dropout(torch::relu(h), o);
}

}  // namespace

torch::Tensor RaggedHidden(const PackModel& model, const PackParams& p, const RaggedBatch& batch,
                           const RaggedForwardOptions& o) {
  const ModelShape& shape = model.shape();
  const int64_t S = p.num_seeds(), N = batch.ids.size(0);
  const int64_t d = shape.d_model, H = shape.heads, dh = d / H, V = shape.num_ids;
  const std::vector<int64_t>& seg = batch.seed_begin;
  TORCH_CHECK(static_cast<int64_t>(seg.size()) == S + 1, "a ragged batch of ",
              static_cast<int64_t>(seg.size()) - 1, " seeds for params of ", S);
  const auto fopts = torch::TensorOptions().dtype(torch::kFloat32).device(batch.ids.device());
  // sqrt(d) E[ids] as a one-hot product, as the padded step's (deterministic on every device).
  torch::Tensor one_hot = torch::zeros({N, V}, fopts).scatter_(1, batch.ids.view({N, 1}), 1.0);
  torch::Tensor x =
      SegmentLinear(one_hot, p.embedding, {}, seg) * std::sqrt(static_cast<double>(d));
  x = Dropout(x + model.positions().index_select(0, batch.line_pos), o);

  const double p_drop = o.train ? o.dropout : 0.0;
  const bool own = o.own_line_attention && batch.ids.is_cuda() &&
                   batch.line_seqstarts.defined() && OwnLineAttentionAvailable();
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  for (const PackParams::Layer& l : p.layers) {
    torch::Tensor q = SegmentLinear(x, l.wq, {}, seg).view({N, H, dh});
    // unbind: its backward stacks K's and V's gradients in one copy.
    std::vector<torch::Tensor> kv = SegmentLinear(x, l.wkv, {}, seg).view({N, H, 2, dh}).unbind(2);
    torch::Tensor a;
    if (own) {
      // Under bf16 autocast the projections are bf16; our kernels take fp32.
      auto f32 = [](const torch::Tensor& t) { return t.unsqueeze(0).to(torch::kFloat32); };
      a = OwnLineAttention(f32(q), f32(kv[0]), f32(kv[1]), batch.line_seqstarts, p_drop, scale)
              .view({N, d});
    } else {
      a = SegmentLineAttention(q, kv[0], kv[1], batch.line_start, seg, scale, p_drop);
    }
    torch::Tensor u = SegmentResidualLayerNorm(x, Dropout(SegmentLinear(a, l.wo, {}, seg), o),
                                               l.ln1_g, l.ln1_b, seg);
    torch::Tensor f = ReluDropout(SegmentLinear(u, l.w1, l.b1, seg), o);
    f = SegmentLinear(f, l.w2, l.b2, seg);
    x = SegmentResidualLayerNorm(u, Dropout(f, o), l.ln2_g, l.ln2_b, seg);
  }
  return x;
}

torch::Tensor RaggedLogits(const PackParams& p, const torch::Tensor& hidden,
                           const RaggedBatch& batch) {
  return SegmentLinear(hidden, p.OutputWeight(), p.out_b, batch.seed_begin);
}

torch::Tensor RaggedLossPerSeed(const torch::Tensor& logits, const RaggedBatch& batch) {
  torch::Tensor ce = at::cross_entropy_loss(logits, batch.targets, {}, at::Reduction::None, -100);
  return SegmentSums(ce, batch.seed_begin) / batch.counts;
}

}  // namespace sg
