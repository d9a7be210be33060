#include "trainer/model/lm_batch.h"

#include <algorithm>

namespace sg {

LmBatch MakeLmBatch(const std::vector<std::vector<const TokenIds*>>& lines, int32_t sos,
                    int32_t eos, torch::Device device, const LmBatchLayout& layout) {
  const int64_t S = static_cast<int64_t>(lines.size());
  int64_t B = std::max<int64_t>(1, layout.rows);
  const int64_t T = std::max(layout.len, LongestRow(lines));
  for (const auto& seed_lines : lines) {
    B = std::max<int64_t>(B, static_cast<int64_t>(seed_lines.size()));
  }
  auto host = [&](torch::ScalarType type) {
    return torch::TensorOptions().dtype(type).pinned_memory(layout.pinned);
  };
  torch::Tensor ids = torch::zeros({S, B, T}, host(torch::kInt64));
  torch::Tensor targets = torch::full({S, B, T}, -100, host(torch::kInt64));
  torch::Tensor lengths = torch::zeros({S, B}, host(torch::kInt64));
  torch::Tensor counts = torch::zeros({S}, host(torch::kFloat32));
  auto ids_a = ids.accessor<int64_t, 3>();
  auto tgt_a = targets.accessor<int64_t, 3>();
  auto len_a = lengths.accessor<int64_t, 2>();
  auto cnt_a = counts.accessor<float, 1>();
  LmBatch out;
  for (int64_t s = 0; s < S; ++s) {
    // The same clamps as B and T above, so a single-seed batch gets rows == B, max_len == T.
    int64_t len = 1;
    for (const TokenIds* l : lines[s]) len = std::max<int64_t>(len, l->size() + 1);
    out.rows.push_back(std::max<int64_t>(1, static_cast<int64_t>(lines[s].size())));
    out.max_len.push_back(len);
    for (size_t b = 0; b < lines[s].size(); ++b) {
      const TokenIds& w = *lines[s][b];
      const int64_t n = static_cast<int64_t>(w.size());
      ids_a[s][b][0] = sos;
      for (int64_t t = 0; t < n; ++t) {
        ids_a[s][b][t + 1] = w[t];
        tgt_a[s][b][t] = w[t];
      }
      tgt_a[s][b][n] = eos;
      len_a[s][b] = n + 1;
      cnt_a[s] += static_cast<float>(n + 1);
    }
  }
  const bool cuda = device.is_cuda();
  auto move = [&](torch::Tensor t) {
    if (!cuda) return t;
    return (layout.pinned ? t : t.pin_memory()).to(device, /*non_blocking=*/true);
  };
  out.ids = move(ids);
  out.targets = move(targets);
  out.lengths = move(lengths);
  out.counts = move(counts);
  return out;
}


int64_t LongestRow(const std::vector<std::vector<const TokenIds*>>& lines) {
  int64_t tokens = 1;
  for (const auto& seed_lines : lines) {
    for (const TokenIds* l : seed_lines) tokens = std::max<int64_t>(tokens, l->size() + 1);
  }
  return tokens;
}

}  // namespace sg
