#include "trainer/model/ragged_layers.h"

#include <limits>

namespace sg {
namespace {

int64_t NumSeeds(const std::vector<int64_t>& seed_begin, const torch::Tensor& x) {
  TORCH_CHECK(seed_begin.size() >= 2 && seed_begin.front() == 0 && seed_begin.back() == x.size(0),
              "seed_begin must run from 0 to the activation's ", x.size(0), " rows");
  return static_cast<int64_t>(seed_begin.size()) - 1;
}

torch::Tensor Rows(const torch::Tensor& x, const std::vector<int64_t>& seed_begin, int64_t s) {
  return x.narrow(0, seed_begin[s], seed_begin[s + 1] - seed_begin[s]);
}

}  // namespace

torch::Tensor SegmentLinear(const torch::Tensor& x, const torch::Tensor& wt,
                            const torch::Tensor& bias, const std::vector<int64_t>& seed_begin) {
  const int64_t S = NumSeeds(seed_begin, x);
  TORCH_CHECK(wt.size(0) == S, "weights of ", wt.size(0), " seeds for ", S, " segments");
  // unbind, not a select per seed: its backward stacks the seeds' gradients in one tensor
  // where S selects would each add a full-size one.
  const std::vector<torch::Tensor> w = wt.unbind(0);
  std::vector<torch::Tensor> b;
  if (bias.defined()) b = bias.unbind(0);
  std::vector<torch::Tensor> out;
  for (int64_t s = 0; s < S; ++s) {
    torch::Tensor xs = Rows(x, seed_begin, s);
    out.push_back(bias.defined() ? torch::addmm(b[s], xs, w[s]) : torch::mm(xs, w[s]));
  }
  return torch::cat(out, 0);
}

torch::Tensor SegmentResidualLayerNorm(const torch::Tensor& x, const torch::Tensor& r,
                                       const torch::Tensor& g, const torch::Tensor& b,
                                       const std::vector<int64_t>& seed_begin) {
  const int64_t S = NumSeeds(seed_begin, x);
  torch::Tensor n = at::layer_norm(x + r, {x.size(-1)}, {}, {}, 1e-5);
  const std::vector<torch::Tensor> gs = g.unbind(0), bs = b.unbind(0);
  std::vector<torch::Tensor> out;
  for (int64_t s = 0; s < S; ++s) {
    out.push_back(torch::addcmul(bs[s], Rows(n, seed_begin, s), gs[s]));
  }
  return torch::cat(out, 0);
}

torch::Tensor SegmentLineAttention(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, const torch::Tensor& line_start,
                                   const std::vector<int64_t>& seed_begin, double scale,
                                   double dropout) {
  const int64_t S = NumSeeds(seed_begin, q);
  const int64_t H = q.size(1), dh = q.size(2);
  std::vector<torch::Tensor> out;
  for (int64_t s = 0; s < S; ++s) {
    const int64_t begin = seed_begin[s], L = seed_begin[s + 1] - begin;
    // [H, L, dh] per head.
    torch::Tensor qs = Rows(q, seed_begin, s).permute({1, 0, 2});
    torch::Tensor ks = Rows(k, seed_begin, s).permute({1, 0, 2});
    torch::Tensor vs = Rows(v, seed_begin, s).permute({1, 0, 2});
    // Key j is blocked for query i after i or before i's line start.
    torch::Tensor pos = torch::arange(L, line_start.options());
    torch::Tensor first = Rows(line_start, seed_begin, s) - begin;  // [L]
    torch::Tensor blocked =
        (pos.view({1, L}) > pos.view({L, 1})).logical_or(pos.view({1, L}) < first.view({L, 1}));
    torch::Tensor scores = torch::bmm(qs, ks.transpose(1, 2)) * scale;
    scores = scores.masked_fill(blocked.unsqueeze(0), -std::numeric_limits<float>::infinity());
    torch::Tensor probs = torch::softmax(scores, -1);
    if (dropout > 0.0) probs = torch::dropout(probs, dropout, /*train=*/true);
    out.push_back(torch::bmm(probs, vs).permute({1, 0, 2}).reshape({L, H * dh}));
  }
  return torch::cat(out, 0);
}

torch::Tensor SegmentSums(const torch::Tensor& v, const std::vector<int64_t>& seed_begin) {
  const int64_t S = NumSeeds(seed_begin, v);
  std::vector<torch::Tensor> out;
  for (int64_t s = 0; s < S; ++s) out.push_back(Rows(v, seed_begin, s).sum());
  return torch::stack(out);
}

}  // namespace sg
