#include "trainer/model/ragged_model.h"

#include <cmath>

#include "trainer/model/cuda_fused_layers.h"
#include "trainer/model/cuda_line_attention.h"
#include "trainer/model/qkv_views.h"
#include "trainer/model/ragged_layers.h"
#include "trainer/model/ragged_table_ops.h"

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
  TORCH_CHECK(batch.counts.size(0) == S, "a ragged batch of ", batch.counts.size(0),
              " seeds for params of ", S);
  const auto fopts = torch::TensorOptions().dtype(torch::kFloat32).device(batch.ids.device());
  const RaggedTables tables = RaggedTables::Of(batch);
  // The layers' linears (each weight used once: their gradients may go to the side stream).
  auto linear = [&](const torch::Tensor& in, const torch::Tensor& wt,
                    const torch::Tensor& bias = {}) {
    return ChunkLinear(in, wt, bias, tables, o.side_stream_weight_grads,
                       o.transposed_weight_grads);
  };
  // LayerNorm(x + dropout(r)) with each seed's affine, eps 1e-5 as the padded step's.
  auto residual_norm = [&](const torch::Tensor& in, const torch::Tensor& r,
                           const torch::Tensor& g, const torch::Tensor& b) {
    if (o.fused_layer_norm && FusedRaggedResidualLayerNormServes(in, r, g, b, batch.row_seed,
                                                                 batch.seed_offsets)) {
      const bool inside = o.fused_residual_dropout && o.train && o.dropout > 0.0;
      return FusedRaggedResidualLayerNorm(in, inside ? r : Dropout(r, o), g, b, batch.row_seed,
                                          batch.seed_offsets, o.side_stream_weight_grads,
                                          inside ? o.dropout : 0.0);
    }
    return SeedAffine(at::layer_norm(in + Dropout(r, o), {d}, {}, {}, 1e-5), g, b, tables);
  };
  // sqrt(d) E[ids] as a one-hot product, as the padded step's (deterministic on every device).
  torch::Tensor one_hot = torch::zeros({N, V}, fopts).scatter_(1, batch.ids.view({N, 1}), 1.0);
  // The embedding may be the output layer's too (tied): its gradient sums two uses.
  torch::Tensor x =
      ChunkLinear(one_hot, p.embedding, {}, tables) * std::sqrt(static_cast<double>(d));
  x = Dropout(x + model.positions().index_select(0, batch.line_pos), o);

  const double p_drop = o.train ? o.dropout : 0.0;
  const bool own = o.own_line_attention && batch.ids.is_cuda() &&
                   batch.line_seqstarts.defined() && OwnLineAttentionAvailable();
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  for (const PackParams::Layer& l : p.layers) {
    torch::Tensor qkv = linear(x, l.wqkv);  // [N, 3d] (qkv_views.h)
    torch::Tensor a;
    if (own) {
      // Under bf16 autocast the product is bf16; our kernels take fp32.
      a = OwnLineAttentionQkv(qkv.unsqueeze(0).to(torch::kFloat32), H, batch.line_seqstarts,
                              p_drop, scale)
              .view({N, d});
    } else {
      TORCH_CHECK(static_cast<int64_t>(seg.size()) == S + 1,
                  "the masked attention of a ragged batch needs its seed_begin");
      const QkvViews v = SplitQkv(qkv, H);  // [N, H, dh] each
      a = SegmentLineAttention(v.q, v.k, v.v, batch.line_start, seg, scale, p_drop);
    }
    torch::Tensor u = residual_norm(x, linear(a, l.wo), l.ln1_g, l.ln1_b);
    torch::Tensor f = linear(ReluDropout(linear(u, l.w1, l.b1), o), l.w2, l.b2);
    x = residual_norm(u, f, l.ln2_g, l.ln2_b);
  }
  return x;
}

torch::Tensor RaggedLogits(const PackParams& p, const torch::Tensor& hidden,
                           const RaggedBatch& batch) {
  return ChunkLinear(hidden, p.OutputWeight(), p.out_b, RaggedTables::Of(batch));
}

torch::Tensor RaggedLossPerSeed(const torch::Tensor& logits, const RaggedBatch& batch) {
  torch::Tensor ce = at::cross_entropy_loss(logits, batch.targets, {}, at::Reduction::None, -100);
  return SeedRowSums(ce, RaggedTables::Of(batch)) / batch.counts;
}

}  // namespace sg
