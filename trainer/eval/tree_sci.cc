#include "trainer/eval/tree_sci.h"

#include <algorithm>
#include <numeric>

namespace sg {
namespace {

using torch::indexing::Slice;

// One forward row: sentence k with keys 1 .. start blocked (the inner pass of spans (start, .)).
struct SciRow {
  int64_t sentence = 0;
  int64_t start = 0;
  bool repeat = false;  // a start-0 row added only for its outer vectors (its SCI is not read)
};

// Rows of length T per chunk: the forward's activations (RowsPerChunk's estimate) plus the
// float64 prefix sums, their gathered copy, inner, outer and their product, per seed and token.
int64_t SciRowsPerChunk(const ModelShape& s, int64_t num_seeds, int64_t T,
                        const EvalBudget& budget) {
  const int64_t per_row =
      num_seeds * T * (4 * (3 * s.heads * T + 2 * s.ff + 12 * s.d_model + 2 * s.num_ids) +
                       8 * 5 * s.d_model);
  return std::clamp<int64_t>(budget.max_bytes / std::max<int64_t>(1, per_row), 1,
                             budget.max_rows);
}

// Fills the tables of the chunk's rows (all seeds) from one forward.
void SciChunk(const PackModel& model, const std::vector<TokenIds>& sentences,
              const std::vector<SciRow>& chunk, int32_t sos,
              std::vector<std::vector<SciTable>>& out) {
  const int64_t S = model.num_seeds(), R = static_cast<int64_t>(chunk.size());
  int64_t T = 0;
  for (const SciRow& r : chunk) {
    T = std::max<int64_t>(T, static_cast<int64_t>(sentences[r.sentence].size()) + 1);
  }
  // Host tensors: ids (SOS + words, padded with 0), lengths, the first allowed word key, the
  // span start, and the chunk index of the sentence's start-0 row (its outer vectors).
  torch::Tensor ids = torch::zeros({R, T}, torch::kInt64);
  std::vector<int64_t> lengths(R), first(R), starts(R), base(R);
  auto ids_a = ids.accessor<int64_t, 2>();
  int64_t base_row = 0;
  for (int64_t r = 0; r < R; ++r) {
    const TokenIds& words = sentences[chunk[r].sentence];
    ids_a[r][0] = sos;
    for (size_t t = 0; t < words.size(); ++t) ids_a[r][t + 1] = words[t];
    lengths[r] = static_cast<int64_t>(words.size()) + 1;
    first[r] = chunk[r].start + 1;
    starts[r] = chunk[r].start;
    if (chunk[r].start == 0) base_row = r;  // rows of a sentence follow its start-0 row
    base[r] = base_row;
  }
  const torch::Device device = model.device();
  torch::Tensor ids_d = ToDeviceAsync(ids, device).unsqueeze(0).expand({S, R, T});
  torch::Tensor len_d = ToDeviceAsync(lengths, device).unsqueeze(0).expand({S, R});
  torch::Tensor first_d = ToDeviceAsync(first, device);
  torch::Tensor start_d = ToDeviceAsync(starts, device);
  torch::Tensor base_d = ToDeviceAsync(base, device);
  torch::Tensor rows_d =
      torch::arange(R, torch::TensorOptions().dtype(torch::kInt64).device(device));

  ForwardOptions o;  // eval mode: no dropout
  o.first_key = &first_d;
  const int64_t d = model.shape().d_model;
  torch::Tensor h = model.Hidden(model.params(), ids_d, len_d, o).reshape({S, R, T, d});
  // P[t] = sum of h[0..t] in float64; a span (i, j) sums positions i+1 .. j+1 = P[j+1] - P[i].
  torch::Tensor P = h.to(torch::kFloat64).cumsum(2);
  torch::Tensor inner = P.narrow(2, 1, T - 1) - P.index({Slice(), rows_d, start_d}).unsqueeze(2);
  torch::Tensor Pb = P.index_select(1, base_d);
  torch::Tensor outer = Pb.narrow(2, 1, T - 1) - Pb.index({Slice(), rows_d, start_d}).unsqueeze(2);
  // torch.nn.functional.cosine_similarity's guard against zero norms.
  torch::Tensor cos = (inner * outer).sum(-1) /
                      (inner.pow(2).sum(-1) * outer.pow(2).sum(-1)).clamp_min(1e-16).sqrt();
  torch::Tensor host = cos.cpu().contiguous();  // [S, R, T-1]: entry j is span (start, j)
  auto a = host.accessor<double, 3>();
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t r = 0; r < R; ++r) {
      if (chunk[r].repeat) continue;
      const int64_t n = static_cast<int64_t>(sentences[chunk[r].sentence].size());
      SciTable& table = out[s][chunk[r].sentence];
      for (int64_t j = chunk[r].start; j < n; ++j) {
        table.set(static_cast<int>(chunk[r].start), static_cast<int>(j), a[s][r][j]);
      }
    }
  }
}

}  // namespace

std::vector<std::vector<SciTable>> ComputeSci(const PackModel& model,
                                              const std::vector<TokenIds>& sentences,
                                              int32_t sos, const EvalBudget& budget) {
  torch::NoGradGuard no_grad;
  const int64_t S = model.num_seeds(), K = static_cast<int64_t>(sentences.size());
  std::vector<std::vector<SciTable>> out(S);
  for (int64_t s = 0; s < S; ++s) {
    out[s].reserve(K);
    for (const TokenIds& w : sentences) out[s].emplace_back(static_cast<int>(w.size()));
  }
  // Shortest sentences first, so each chunk's rows have similar lengths.
  std::vector<int64_t> order(K);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) {
    return sentences[x].size() < sentences[y].size();
  });
  std::vector<SciRow> rows;
  for (int64_t k : order) {
    for (int64_t i = 0; i < static_cast<int64_t>(sentences[k].size()); ++i) {
      rows.push_back({k, i, false});
    }
  }
  size_t pos = 0;
  while (pos < rows.size()) {
    std::vector<SciRow> chunk;
    // A chunk that begins inside a sentence repeats its start-0 row for the outer vectors.
    if (rows[pos].start != 0) chunk.push_back({rows[pos].sentence, 0, true});
    chunk.push_back(rows[pos++]);
    while (pos < rows.size()) {
      const int64_t T = static_cast<int64_t>(sentences[rows[pos].sentence].size()) + 1;
      if (static_cast<int64_t>(chunk.size()) + 1 > SciRowsPerChunk(model.shape(), S, T, budget)) {
        break;
      }
      chunk.push_back(rows[pos++]);
    }
    SciChunk(model, sentences, chunk, sos, out);
  }
  return out;
}

absl::StatusOr<std::vector<TreeMetrics>> EvalTreeProjections(
    const PackModel& model, const std::vector<TokenIds>& sentences,
    const std::vector<BinaryTree>& gold, int32_t sos, int64_t step, const EvalBudget& budget) {
  const std::vector<std::vector<SciTable>> sci = ComputeSci(model, sentences, sos, budget);
  std::vector<TreeMetrics> out;
  for (int64_t s = 0; s < model.num_seeds(); ++s) {
    absl::StatusOr<TreeMetrics> m =
        ScoreTreeProjections(sci[s], gold, TreeSplitSeed(model.seeds()[s], step));
    if (!m.ok()) return m.status();
    out.push_back(*m);
  }
  return out;
}

}  // namespace sg
