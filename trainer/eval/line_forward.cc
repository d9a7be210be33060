#include "trainer/eval/line_forward.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "trainer/model/lm_batch.h"

namespace sg {

LineForward LineForward::Compute(const PackModel& model, const std::vector<TokenIds>& lines,
                                 int32_t sos, int32_t eos, const EvalBudget& budget,
                                 const LineForwardOptions& options) {
  torch::NoGradGuard no_grad;
  LineForward out;
  const int64_t S = model.num_seeds(), V = model.shape().num_ids;
  const int64_t n = static_cast<int64_t>(lines.size());
  out.num_seeds_ = S;
  out.eos_ = eos;
  out.forward_ = options.forward;
  if (out.forward_ == nullptr) {
    EvalForwardOptions fo;
    fo.bf16 = options.bf16;
    out.forward_ = std::make_shared<const EvalForward>(model, fo);
  }
  TORCH_CHECK(&out.forward_->model() == &model, "LineForward: the forward is of another model");
  out.inputs_.reserve(n);
  out.offset_.reserve(n);
  for (const TokenIds& line : lines) {
    TokenIds input = {sos};
    input.insert(input.end(), line.begin(), line.end());
    out.offset_.push_back(out.total_);
    out.total_ += static_cast<int64_t>(input.size());
    out.inputs_.push_back(std::move(input));
  }
  out.lex_.resize(n);
  std::iota(out.lex_.begin(), out.lex_.end(), 0);
  std::sort(out.lex_.begin(), out.lex_.end(),
            [&](int64_t a, int64_t b) { return out.inputs_[a] < out.inputs_[b]; });

  const torch::Device dev = model.device();
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(dev);
  out.line_sum_ = torch::zeros({S, n}, f64);
  if (n == 0) return out;
  const bool keep_logits =
      options.keep_logits && S * out.total_ * V * 4 <= budget.max_bytes;
  if (keep_logits) {
    out.logits_ = torch::empty({S, out.total_, V}, torch::TensorOptions().device(dev));
  }
  torch::Tensor argmax;  // [S, total] on the device while filling
  if (options.keep_argmax) {
    argmax = torch::empty({S, out.total_}, torch::TensorOptions().dtype(torch::kInt64).device(dev));
  }

  // Length-sorted chunks: little padding and few forwards. The loss needs only each line's
  // summed cross-entropy, so file order is restored from those sums (LmLoss).
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return lines[a].size() < lines[b].size(); });
  int64_t start = 0;
  while (start < n) {
    int64_t end = start + 1;
    while (end < n && end - start + 1 <= RowsPerChunk(model.shape(), S,
                                                      lines[order[end]].size() + 1, budget)) {
      ++end;
    }
    std::vector<const TokenIds*> chunk;
    for (int64_t i = start; i < end; ++i) chunk.push_back(&lines[order[i]]);
    LmBatch b =
        MakeLmBatch(std::vector<std::vector<const TokenIds*>>(S, chunk), sos, eos, dev);
    torch::Tensor logits = out.forward_->Logits(out.forward_->Hidden(b.ids));
    const int64_t B = b.ids.size(1), T = b.ids.size(2);
    // Padding targets (-100) contribute 0.
    torch::Tensor ce = at::cross_entropy_loss(logits.reshape({-1, V}), b.targets.reshape({-1}),
                                              {}, at::Reduction::None, -100);
    torch::Tensor index = ToDeviceAsync(
        std::vector<int64_t>(order.begin() + start, order.begin() + end), dev);
    out.line_sum_.index_copy_(1, index, ce.view({S, B, -1}).sum(-1).to(torch::kFloat64));
    if (keep_logits || options.keep_argmax) {
      // Valid positions of the chunk's rows -> their places on the flat token axis.
      std::vector<int64_t> src, dst;
      for (int64_t r = 0; r < B; ++r) {
        const int64_t line = order[start + r];
        const int64_t len = static_cast<int64_t>(out.inputs_[line].size());
        for (int64_t t = 0; t < len; ++t) {
          src.push_back(r * T + t);
          dst.push_back(out.offset_[line] + t);
        }
      }
      torch::Tensor src_t = ToDeviceAsync(src, dev);
      torch::Tensor dst_t = ToDeviceAsync(dst, dev);
      torch::Tensor valid = logits.index_select(1, src_t);  // [S, positions, V]
      if (keep_logits) out.logits_.index_copy_(1, dst_t, valid);
      if (options.keep_argmax) argmax.index_copy_(1, dst_t, valid.argmax(-1));
    }
    start = end;
  }
  if (options.keep_argmax) {
    out.argmax_ = argmax.to(torch::kCPU).contiguous();
    out.argmax_ptr_ = out.argmax_.data_ptr<int64_t>();
  }
  return out;
}

std::vector<double> LineForward::LmLoss(int64_t batch_size) const {
  const int64_t n = num_lines();
  if (n == 0) return std::vector<double>(num_seeds_, std::numeric_limits<double>::quiet_NaN());
  batch_size = std::max<int64_t>(1, batch_size);
  const int64_t num_batches = (n + batch_size - 1) / batch_size;
  std::vector<int64_t> batch_of(n);
  std::vector<double> tokens(num_batches, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    batch_of[i] = i / batch_size;
    tokens[batch_of[i]] += static_cast<double>(inputs_[i].size());  // SOS + n inputs = n + 1 targets
  }
  const torch::Device dev = line_sum_.device();
  torch::Tensor batch_sum =
      torch::zeros({num_seeds_, num_batches}, line_sum_.options())
          .index_add_(1, torch::tensor(batch_of, torch::kInt64).to(dev), line_sum_);
  torch::Tensor batch_tokens = torch::tensor(tokens, torch::kFloat64).to(dev);
  torch::Tensor mean = (batch_sum / batch_tokens).mean(1).cpu();
  return std::vector<double>(mean.data_ptr<double>(), mean.data_ptr<double>() + num_seeds_);
}

std::optional<LineForward::Hit> LineForward::Find(const TokenIds& input) const {
  if (input.empty()) return std::nullopt;
  // The lines that start with `input` form a contiguous run in lexicographic order, beginning
  // at the first line not less than `input`.
  auto it = std::lower_bound(lex_.begin(), lex_.end(), input,
                             [&](int64_t line, const TokenIds& x) { return inputs_[line] < x; });
  if (it == lex_.end()) return std::nullopt;
  const TokenIds& candidate = inputs_[*it];
  if (candidate.size() < input.size() ||
      !std::equal(input.begin(), input.end(), candidate.begin())) {
    return std::nullopt;
  }
  return Hit{*it, static_cast<int64_t>(input.size()) - 1};
}

torch::Tensor LineForward::LogitsAt(const std::vector<Hit>& hits) const {
  TORCH_CHECK(HasLogits(), "LineForward::LogitsAt: the logits were not kept");
  std::vector<int64_t> flat;
  flat.reserve(hits.size());
  for (const Hit& h : hits) flat.push_back(offset_[h.line] + h.pos);
  return logits_.index_select(1, torch::tensor(flat, torch::kInt64).to(logits_.device()));
}

}  // namespace sg
