#include "trainer/eval/pack_eval.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "trainer/eval/line_forward.h"
#include "trainer/model/lm_batch.h"

namespace sg {

torch::Tensor ToDeviceAsync(const torch::Tensor& host, torch::Device device) {
  if (!device.is_cuda()) return host.to(device);
  return (host.is_pinned() ? host : host.pin_memory()).to(device, /*non_blocking=*/true);
}

torch::Tensor ToDeviceAsync(const std::vector<int64_t>& values, torch::Device device) {
  return ToDeviceAsync(torch::tensor(values, torch::kInt64), device);
}

int64_t RowsPerChunk(const ModelShape& s, int64_t num_seeds, int64_t max_len,
                     const EvalBudget& budget) {
  const int64_t T = std::max<int64_t>(1, max_len);
  // Attention scores and probabilities dominate for long rows, FF and projections otherwise.
  const int64_t per_row =
      4 * num_seeds * T * (3 * s.heads * T + 2 * s.ff + 12 * s.d_model + 2 * s.num_ids);
  return std::clamp<int64_t>(budget.max_bytes / std::max<int64_t>(1, per_row), 1,
                             budget.max_rows);
}

std::vector<double> EvalLmLoss(PackModel& model, const std::vector<TokenIds>& lines,
                               int32_t sos, int32_t eos, int64_t batch_size,
                               const EvalBudget& budget) {
  return LineForward::Compute(model, lines, sos, eos, budget).LmLoss(batch_size);
}

std::vector<double> EvalAttentionEntropy(PackModel& model, const std::vector<TokenIds>& sentences,
                                         int32_t sos, const EvalBudget& budget) {
  torch::NoGradGuard no_grad;
  const int64_t S = model.num_seeds();
  const int64_t n = static_cast<int64_t>(sentences.size());
  if (n == 0) return std::vector<double>(S, std::numeric_limits<double>::quiet_NaN());
  const PackParams& p = model.params();
  torch::Tensor total =
      torch::zeros({S}, torch::TensorOptions().dtype(torch::kFloat64).device(model.device()));
  constexpr int64_t kBatch = 32;  // as the reference; batching does not change the value
  for (int64_t start = 0; start < n; start += kBatch) {
    const int64_t end = std::min(n, start + kBatch);
    int64_t max_len = 0;
    for (int64_t i = start; i < end; ++i) {
      max_len = std::max<int64_t>(max_len, sentences[i].size() + 1);
    }
    const int64_t rows = RowsPerChunk(model.shape(), S, max_len, budget);
    for (int64_t c = start; c < end; c += rows) {
      const int64_t c_end = std::min(end, c + rows);
      std::vector<const TokenIds*> chunk;
      for (int64_t i = c; i < c_end; ++i) chunk.push_back(&sentences[i]);
      // The EOS target is irrelevant here; inputs are SOS + words with lengths n+1.
      LmBatch b = MakeLmBatch(std::vector<std::vector<const TokenIds*>>(S, chunk), sos, 0,
                              model.device());
      torch::Tensor ent;
      ForwardOptions o;
      o.entropy_sum = &ent;
      model.Hidden(p, b.ids, b.lengths, o);
      total += ent.sum(1).to(torch::kFloat64);
    }
  }
  torch::Tensor mean =
      (total / static_cast<double>(model.shape().layers) / static_cast<double>(n)).cpu();
  return std::vector<double>(mean.data_ptr<double>(), mean.data_ptr<double>() + S);
}

std::vector<double> WeightNorms(PackModel& model) {
  torch::NoGradGuard no_grad;
  torch::Tensor norms = model.flat().to(torch::kFloat64).pow(2).sum(1).sqrt().cpu();
  return std::vector<double>(norms.data_ptr<double>(), norms.data_ptr<double>() + norms.size(0));
}

double DeadDecoderSquaredNorm(int64_t d_model, int64_t ff_width) {
  // E||U(-b,b)||^2 = n b^2 / 3. Per decoder layer: self- and cross-attention (W_q, W_kv, W_o
  // Xavier, 4d each block), W1 (Xavier, ReLU gain), b1, W2, b2, and three LayerNorm gammas.
  const double d = static_cast<double>(d_model), ff = static_cast<double>(ff_width);
  const double attention = 2 * 4 * d;
  const double w1 = ff * d * 2.0 * 6.0 / (d + ff) / 3.0;
  const double w2 = ff * d * 6.0 / (d + ff) / 3.0;
  const double b1 = ff / d / 3.0;
  const double b2 = d / ff / 3.0;
  const double gammas = 3 * d;
  return 6.0 * (attention + w1 + w2 + b1 + b2 + gammas);
}

}  // namespace sg
