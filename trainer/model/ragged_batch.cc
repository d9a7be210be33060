#include "trainer/model/ragged_batch.h"

#include <algorithm>
#include <array>
#include <utility>

#include "trainer/model/lm_batch.h"

namespace sg {

int64_t RaggedSeedChunks(const std::vector<int64_t>& tokens, int64_t chunk) {
  int64_t total = 0;
  for (int64_t t : tokens) total += t;
  return std::max<int64_t>(1, (total + chunk - 1) / chunk);
}

std::vector<int64_t> RaggedSeedChunkCounts(const std::vector<std::vector<const TokenIds*>>& lines,
                                           int64_t chunk) {
  std::vector<int64_t> counts;
  for (const auto& seed_lines : lines) {
    std::vector<int64_t> tokens;
    for (const TokenIds* l : seed_lines) tokens.push_back(static_cast<int64_t>(l->size()) + 1);
    counts.push_back(RaggedSeedChunks(tokens, chunk));
  }
  return counts;
}

namespace {

// Every tensor of a ragged batch (const or not), for what treats them alike.
template <typename Batch>
auto TensorsOf(Batch& b) {
  return std::array{&b.ids,      &b.targets,    &b.line_pos, &b.line_start,   &b.line_seqstarts,
                    &b.counts,   &b.chunk_seed, &b.row_seed, &b.seed_offsets, &b.padded_slot,
                    &b.slot_row, &b.seed_own_offsets};
}

}  // namespace

RaggedBatch StaticRaggedBatch(const RaggedBatch& like, torch::Device device) {
  RaggedBatch out = like;
  out.seed_begin.clear();
  for (torch::Tensor* t : TensorsOf(out)) {
    if (t->defined()) {
      *t = torch::empty(t->sizes(), t->options().device(device).pinned_memory(false));
    }
  }
  return out;
}

void CopyRaggedBatch(const RaggedBatch& from, RaggedBatch* to) {
  const auto in = TensorsOf(from);
  const auto out = TensorsOf(*to);
  for (size_t i = 0; i < in.size(); ++i) {
    TORCH_CHECK(in[i]->defined() == out[i]->defined(), "ragged batches of other layouts");
    if (in[i]->defined()) out[i]->copy_(*in[i], /*non_blocking=*/true);
  }
}

int64_t RaggedChunksOf(const std::vector<std::vector<const TokenIds*>>& lines, int64_t chunk) {
  int64_t chunks = 0;
  for (int64_t n : RaggedSeedChunkCounts(lines, chunk)) chunks += n;
  return chunks;
}

RaggedBatch MakeRaggedBatch(const std::vector<std::vector<const TokenIds*>>& lines, int32_t sos,
                            int32_t eos, torch::Device device, const RaggedLayout& layout) {
  TORCH_CHECK(layout.chunk > 0 && layout.chunk % 8 == 0, "ragged chunk of ", layout.chunk,
              " positions: it must be a positive multiple of 8");
  TORCH_CHECK(!lines.empty(), "a ragged batch needs at least one seed");
  const int64_t S = static_cast<int64_t>(lines.size());
  const int64_t C = layout.chunk;
  RaggedBatch out;
  out.chunk = C;
  out.seed_begin.push_back(0);
  std::vector<int64_t> chunk_seed;
  const std::vector<int64_t> seed_chunks = RaggedSeedChunkCounts(lines, C);
  for (int64_t s = 0; s < S; ++s) {
    chunk_seed.insert(chunk_seed.end(), seed_chunks[s], s);
    out.seed_begin.push_back(out.seed_begin.back() + seed_chunks[s] * C);
  }
  const int64_t own = static_cast<int64_t>(chunk_seed.size());
  TORCH_CHECK(layout.chunks == 0 || layout.chunks >= own, "a ragged batch of ", own,
              " chunks exceeds its layout's ", layout.chunks);
  // The seeds' own segments set the padded view's slots; the chunks past them are padding of
  // the last seed, outside the view (their rows are never a real line's).
  int64_t most = 0;
  for (int64_t s = 0; s < S; ++s) most = std::max(most, out.seed_begin[s + 1] - out.seed_begin[s]);
  const int64_t own_end = own * C;
  chunk_seed.resize(std::max(own, layout.chunks), S - 1);
  const int64_t N = static_cast<int64_t>(chunk_seed.size()) * C;
  out.seed_begin.back() = N;
  TORCH_CHECK(layout.seed_chunks == 0 || layout.seed_chunks * C >= most,
              "a ragged batch's seed of ", most / C, " chunks exceeds its layout's ",
              layout.seed_chunks, " chunks per seed");
  out.seed_slots = std::max(most, layout.seed_chunks * C);
  out.padded_rows = S * out.seed_slots + 1;  // the view, then one row the padding goes to

  auto host = [&](torch::ScalarType type) {
    return torch::TensorOptions().dtype(type).pinned_memory(layout.pinned);
  };
  torch::Tensor ids = torch::zeros({N}, host(torch::kInt64));
  torch::Tensor targets = torch::full({N}, -100, host(torch::kInt64));
  torch::Tensor line_pos = torch::zeros({N}, host(torch::kInt64));
  torch::Tensor line_start = torch::arange(N, host(torch::kInt64));  // padding: itself
  torch::Tensor counts = torch::zeros({S}, host(torch::kFloat32));
  int64_t* ids_p = ids.data_ptr<int64_t>();
  int64_t* tgt_p = targets.data_ptr<int64_t>();
  int64_t* pos_p = line_pos.data_ptr<int64_t>();
  int64_t* start_p = line_start.data_ptr<int64_t>();
  std::vector<int32_t> starts;
  for (int64_t s = 0; s < S; ++s) {
    int64_t at = out.seed_begin[s];
    for (const TokenIds* line : lines[s]) {
      const int64_t n = static_cast<int64_t>(line->size());
      starts.push_back(static_cast<int32_t>(at));
      ids_p[at] = sos;
      for (int64_t t = 0; t < n; ++t) {
        ids_p[at + t + 1] = (*line)[t];
        tgt_p[at + t] = (*line)[t];
      }
      tgt_p[at + n] = eos;
      for (int64_t t = 0; t <= n; ++t) {
        pos_p[at + t] = t;
        start_p[at + t] = at;
      }
      counts.data_ptr<float>()[s] += static_cast<float>(n + 1);
      at += n + 1;
    }
    for (; at < out.seed_begin[s + 1]; ++at) starts.push_back(static_cast<int32_t>(at));
  }
  torch::Tensor line_seqstarts;
  if (layout.line_slots >= 0) {
    line_seqstarts = LineStartsTensor(std::move(starts), layout.line_slots, N, layout.pinned);
  }
  torch::Tensor seeds =
      torch::empty({static_cast<int64_t>(chunk_seed.size())}, host(torch::kInt64));
  std::copy(chunk_seed.begin(), chunk_seed.end(), seeds.data_ptr<int64_t>());
  torch::Tensor row_seed = torch::empty({N}, host(torch::kInt64));
  // seed_begin on the host, the last seed ending at `end` (N, or own_end for its own chunks).
  auto offsets_to = [&](int64_t end) {
    torch::Tensor t = torch::empty({S + 1}, host(torch::kInt64));
    std::copy(out.seed_begin.begin(), out.seed_begin.end(), t.data_ptr<int64_t>());
    t.data_ptr<int64_t>()[S] = end;
    return t;
  };
  torch::Tensor seed_offsets = offsets_to(N);
  torch::Tensor padded_slot = torch::empty({N}, host(torch::kInt64));
  torch::Tensor slot_row = torch::full({S * out.seed_slots}, -1, host(torch::kInt64));
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t r = out.seed_begin[s]; r < out.seed_begin[s + 1]; ++r) {
      row_seed.data_ptr<int64_t>()[r] = s;
      const int64_t slot =
          r < own_end ? s * out.seed_slots + r - out.seed_begin[s] : S * out.seed_slots;
      padded_slot.data_ptr<int64_t>()[r] = slot;
      if (r < own_end) slot_row.data_ptr<int64_t>()[slot] = r;
    }
  }

  auto move = [&](const torch::Tensor& t) { return BatchTensorTo(t, device, layout.pinned); };
  out.ids = move(ids);
  out.targets = move(targets);
  out.line_pos = move(line_pos);
  out.line_start = move(line_start);
  out.line_seqstarts = move(line_seqstarts);
  out.counts = move(counts);
  out.chunk_seed = move(seeds);
  out.row_seed = move(row_seed);
  out.seed_offsets = move(seed_offsets);
  out.padded_slot = move(padded_slot);
  if (layout.slot_rows) out.slot_row = move(slot_row);
  if (layout.own_offsets) out.seed_own_offsets = move(offsets_to(own_end));
  return out;
}

}  // namespace sg
