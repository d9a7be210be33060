#include "trainer/eval/seed_row_chunks.h"

#include <algorithm>
#include <numeric>

namespace sg {

SeedRowChunks::SeedRowChunks(const std::vector<std::vector<TokenIds>>& rows)
    : rows_(rows), n_(rows.empty() ? 0 : static_cast<int64_t>(rows[0].size())) {
  order_.assign(rows.size(), std::vector<int64_t>(n_));
  for (size_t s = 0; s < rows.size(); ++s) {
    std::iota(order_[s].begin(), order_[s].end(), 0);
    std::stable_sort(order_[s].begin(), order_[s].end(), [&](int64_t a, int64_t b) {
      return rows[s][a].size() < rows[s][b].size();
    });
  }
}

int64_t SeedRowChunks::Longest(int64_t k) const {
  size_t m = 1;
  for (size_t s = 0; s < rows_.size(); ++s) m = std::max(m, rows_[s][order_[s][k]].size());
  return static_cast<int64_t>(m);
}

int64_t SeedRowChunks::ChunkEnd(int64_t start,
                                const std::function<int64_t(int64_t)>& rows_for_length) const {
  int64_t end = start + 1;
  while (end < n_ && end - start + 1 <= rows_for_length(Longest(end))) ++end;
  return end;
}

void SeedRowChunks::Batch(int64_t start, int64_t end, torch::Tensor* ids,
                          torch::Tensor* lengths) const {
  const int64_t S = static_cast<int64_t>(rows_.size()), B = end - start, T = Longest(end - 1);
  *ids = torch::zeros({S, B, T}, torch::kInt64);
  *lengths = torch::zeros({S, B}, torch::kInt64);
  auto ids_a = ids->accessor<int64_t, 3>();
  auto len_a = lengths->accessor<int64_t, 2>();
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t b = 0; b < B; ++b) {
      const TokenIds& seq = rows_[s][order_[s][start + b]];
      for (size_t t = 0; t < seq.size(); ++t) ids_a[s][b][t] = seq[t];
      len_a[s][b] = static_cast<int64_t>(seq.size());
    }
  }
}

}  // namespace sg
