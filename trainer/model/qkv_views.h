// The queries, keys and values of a layer as views of its fused product x @ W_qkv
// (pack_model.h, ParamLayout): per token the H queries (d columns), then keys and values
// interleaved per head as the reference's W_kv rows are (§1.5): head h's key at column
// d + 2 dh h, its value dh after. Views only (no copies): the projections' output is read in
// place by attention, and its gradient is one tensor of the product's shape.
// Trainer-internal (LibTorch).
#ifndef SG_TRAINER_MODEL_QKV_VIEWS_H_
#define SG_TRAINER_MODEL_QKV_VIEWS_H_

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace sg {

struct QkvViews {
  torch::Tensor q, k, v;  // [..., N, H, dh] each
};

// qkv: [..., N, 3d] (the product's last dimension 3d, d = heads x dh). Each view is
// [..., N, H, dh]; q's head stride dh, k's and v's 2 dh, all with the product's stride
// between tokens.
inline QkvViews SplitQkv(const torch::Tensor& qkv, int64_t heads) {
  const int64_t d = qkv.size(-1) / 3, dh = d / heads;
  std::vector<int64_t> q_shape(qkv.sizes().begin(), qkv.sizes().end() - 1);
  std::vector<int64_t> kv_shape = q_shape;
  q_shape.insert(q_shape.end(), {heads, dh});
  kv_shape.insert(kv_shape.end(), {heads, 2, dh});
  // split and unbind rather than narrows and selects: under autograd their backwards are one
  // concatenation and one stack, where each narrow or select would add a zero-filled
  // gradient of the whole product.
  std::vector<torch::Tensor> parts = qkv.split_with_sizes({d, 2 * d}, -1);
  std::vector<torch::Tensor> kv = parts[1].view(kv_shape).unbind(-2);
  return {parts[0].view(q_shape), kv[0], kv[1]};
}

}  // namespace sg

#endif  // SG_TRAINER_MODEL_QKV_VIEWS_H_
