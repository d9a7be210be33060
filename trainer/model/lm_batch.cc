#include "trainer/model/lm_batch.h"

#include <algorithm>
#include <utility>

#include "trainer/model/graph_buckets.h"

namespace sg {
namespace {

std::vector<std::vector<int64_t>> LineTokens(
    const std::vector<std::vector<const TokenIds*>>& lines) {
  std::vector<std::vector<int64_t>> tokens(lines.size());
  for (size_t s = 0; s < lines.size(); ++s) {
    for (const TokenIds* l : lines[s]) tokens[s].push_back(static_cast<int64_t>(l->size()) + 1);
  }
  return tokens;
}

}  // namespace

PackedShape PackedBatchShape(const std::vector<std::vector<const TokenIds*>>& lines,
                             bool one_row, int64_t one_row_granule) {
  return one_row ? OneRowShapeOf(LineTokens(lines), one_row_granule)
                 : PackedShapeOf(LineTokens(lines));
}

LmBatch MakeLmBatch(const std::vector<std::vector<const TokenIds*>>& lines, int32_t sos,
                    int32_t eos, torch::Device device, const LmBatchLayout& layout) {
  const int64_t S = static_cast<int64_t>(lines.size());
  const std::vector<std::vector<int64_t>> tokens = LineTokens(lines);
  int64_t B = std::max<int64_t>(1, layout.rows);
  int64_t T = std::max(layout.len, LongestRow(lines));
  // Packed: each seed's slots in rows of T positions.
  std::vector<std::vector<PackedSlot>> slots(S);
  if (layout.packed) {
    if (layout.len <= 0) {
      T = layout.one_row ? OneRowShapeOf(tokens, layout.one_row_granule).len
                         : PackedRowLength(LongestRow(lines));
    }
    for (int64_t s = 0; s < S; ++s) {
      int64_t rows = 0;
      slots[s] = PackIntoRows(tokens[s], T, &rows);
      B = std::max(B, rows);
    }
  } else {
    for (const auto& seed_lines : lines) {
      B = std::max<int64_t>(B, static_cast<int64_t>(seed_lines.size()));
    }
  }
  auto host = [&](torch::ScalarType type) {
    return torch::TensorOptions().dtype(type).pinned_memory(layout.pinned);
  };
  torch::Tensor ids = torch::zeros({S, B, T}, host(torch::kInt64));
  torch::Tensor targets = torch::full({S, B, T}, -100, host(torch::kInt64));
  torch::Tensor lengths = torch::zeros({S, B}, host(torch::kInt64));
  torch::Tensor counts = torch::zeros({S}, host(torch::kFloat32));
  torch::Tensor line_start;
  if (layout.packed) {
    lengths.fill_(T);
    line_start = torch::zeros({S, B, T}, host(torch::kInt64));
  }
  auto ids_a = ids.accessor<int64_t, 3>();
  auto tgt_a = targets.accessor<int64_t, 3>();
  auto len_a = lengths.accessor<int64_t, 2>();
  auto cnt_a = counts.accessor<float, 1>();
  LmBatch out;
  for (int64_t s = 0; s < S; ++s) {
    if (layout.packed) {
      out.rows.push_back(B);
      out.max_len.push_back(T);
    } else {
      // The same clamps as B and T above, so a single-seed batch gets rows == B, max_len == T.
      int64_t len = 1;
      for (int64_t t : tokens[s]) len = std::max(len, t);
      out.rows.push_back(std::max<int64_t>(1, static_cast<int64_t>(lines[s].size())));
      out.max_len.push_back(len);
    }
    std::vector<int64_t> row_end(layout.packed ? B : 0, 0);
    for (size_t b = 0; b < lines[s].size(); ++b) {
      const TokenIds& w = *lines[s][b];
      const int64_t n = static_cast<int64_t>(w.size());
      const int64_t row = layout.packed ? slots[s][b].row : static_cast<int64_t>(b);
      const int64_t at = layout.packed ? slots[s][b].offset : 0;
      ids_a[s][row][at] = sos;
      for (int64_t t = 0; t < n; ++t) {
        ids_a[s][row][at + t + 1] = w[t];
        tgt_a[s][row][at + t] = w[t];
      }
      tgt_a[s][row][at + n] = eos;
      if (layout.packed) {
        auto start_a = line_start.accessor<int64_t, 3>();
        for (int64_t t = 0; t <= n; ++t) start_a[s][row][at + t] = at;
        row_end[row] = std::max(row_end[row], at + n + 1);
      } else {
        len_a[s][b] = n + 1;
      }
      cnt_a[s] += static_cast<float>(n + 1);
    }
    if (layout.packed) {
      // Each padding position after a row's lines is a "line" of its own: it sees itself
      // only, so attention per line spends one diagonal tile on a run of padding where one
      // padding line would cost its length squared (Dyck: 63.5% of a step's positions).
      auto start_a = line_start.accessor<int64_t, 3>();
      for (int64_t r = 0; r < B; ++r) {
        for (int64_t t = row_end[r]; t < T; ++t) start_a[s][r][t] = t;
      }
    }
  }
  torch::Tensor line_seqstarts;
  if (layout.packed && layout.line_slots >= 0) {
    // A line starts wherever a position is its own line start (line_start == t).
    std::vector<int32_t> starts;
    auto start_a = line_start.accessor<int64_t, 3>();
    for (int64_t s = 0; s < S; ++s) {
      for (int64_t r = 0; r < B; ++r) {
        for (int64_t t = 0; t < T; ++t) {
          if (start_a[s][r][t] == t) starts.push_back(static_cast<int32_t>((s * B + r) * T + t));
        }
      }
    }
    line_seqstarts = LineStartsTensor(std::move(starts), layout.line_slots, S * B * T,
                                      layout.pinned);
  }
  auto move = [&](const torch::Tensor& t) { return BatchTensorTo(t, device, layout.pinned); };
  out.ids = move(ids);
  out.targets = move(targets);
  out.lengths = move(lengths);
  out.counts = move(counts);
  out.line_start = move(line_start);
  out.line_seqstarts = move(line_seqstarts);
  return out;
}

torch::Tensor LineStartsTensor(std::vector<int32_t> starts, int64_t line_slots, int64_t total,
                               bool pinned) {
  const int64_t found = static_cast<int64_t>(starts.size());
  TORCH_CHECK(line_slots == 0 || found <= line_slots, "a batch of ", found,
              " lines (padding included) exceeds its ", line_slots, " line slots");
  starts.resize(std::max(line_slots, found) + 1, static_cast<int32_t>(total));
  const auto options = torch::TensorOptions().dtype(torch::kInt32).pinned_memory(pinned);
  torch::Tensor out = torch::empty({static_cast<int64_t>(starts.size())}, options);
  std::copy(starts.begin(), starts.end(), out.data_ptr<int32_t>());
  return out;
}

torch::Tensor BatchTensorTo(const torch::Tensor& t, torch::Device device, bool pinned) {
  if (!device.is_cuda() || !t.defined()) return t;
  return (pinned ? t : t.pin_memory()).to(device, /*non_blocking=*/true);
}

int64_t LongestRow(const std::vector<std::vector<const TokenIds*>>& lines) {
  int64_t tokens = 1;
  for (const auto& seed_lines : lines) {
    for (const TokenIds* l : seed_lines) tokens = std::max<int64_t>(tokens, l->size() + 1);
  }
  return tokens;
}

}  // namespace sg
