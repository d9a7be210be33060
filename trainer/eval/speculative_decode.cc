#include "trainer/eval/speculative_decode.h"

#include <algorithm>

#include "trainer/eval/seed_row_chunks.h"

namespace sg {
namespace {

// One (seed, prompt) row: the greedy tokens so far and the draft still to check.
struct Row {
  TokenIds decoded;
  TokenIds draft;
  bool done = false;
};

// Appends greedy tokens to `row` while they follow `draft`. am(k), k < num_am, is the argmax
// after the row's decoded tokens plus draft[0..k): the greedy token whenever draft[0..k) were
// all accepted. Stops at the first departure (that argmax is still emitted), at the stop id
// (from t1 on: t0 never stops, as in GreedyDecodePack) or at max_tokens.
template <typename Argmax>
void Accept(Row& row, const TokenIds& draft, int64_t num_am, const Argmax& am, int64_t max_tokens,
            int32_t stop) {
  row.draft.clear();
  for (int64_t k = 0; k < num_am; ++k) {
    const int32_t t = am(k);
    row.decoded.push_back(t);
    if (static_cast<int64_t>(row.decoded.size()) >= max_tokens ||
        (stop >= 0 && t == stop && row.decoded.size() >= 2)) {
      row.done = true;
      return;
    }
    if (k >= static_cast<int64_t>(draft.size())) return;  // past the draft: nothing to follow
    if (t != draft[k]) {
      row.draft.assign(draft.begin() + k + 1, draft.end());  // the line after the departure
      return;
    }
  }
}

// One eval forward per chunk over per-seed sequences (seqs[s][b], every seed the same count):
// the argmax at every position, [s][b][t], as int32 on the host.
std::vector<std::vector<TokenIds>> ArgmaxForward(const EvalForward& forward,
                                                 const std::vector<std::vector<TokenIds>>& seqs,
                                                 const EvalBudget& budget) {
  const PackModel& model = forward.model();
  const int64_t S = model.num_seeds();
  const SeedRowChunks chunks(seqs);
  std::vector<std::vector<TokenIds>> out(S, std::vector<TokenIds>(chunks.size()));
  torch::NoGradGuard no_grad;
  const torch::Device dev = model.device();
  // All chunks are queued before any result is read: the host builds the next chunk while the
  // device runs this one, and waits once at the end.
  struct Done {
    int64_t start, end;
    torch::Tensor argmax;  // [S, B, T] int32 on the device
  };
  std::vector<Done> done;
  int64_t start = 0;
  while (start < chunks.size()) {
    const int64_t end = chunks.ChunkEnd(
        start, [&](int64_t longest) { return RowsPerChunk(model.shape(), S, longest, budget); });
    torch::Tensor ids, lengths;
    chunks.Batch(start, end, &ids, &lengths);
    const torch::Tensor hidden = forward.Hidden(ToDeviceAsync(ids, dev));
    done.push_back({start, end, forward.Logits(hidden).argmax(-1).to(torch::kInt32)});
    start = end;
  }
  for (const Done& chunk : done) {
    const int64_t B = chunk.end - chunk.start, T = chunks.Longest(chunk.end - 1);
    const torch::Tensor am = chunk.argmax.view({S, B, T}).cpu().contiguous();
    const int32_t* data = am.data_ptr<int32_t>();
    for (int64_t s = 0; s < S; ++s) {
      for (int64_t b = 0; b < B; ++b) {
        const int64_t i = chunks.Row(s, chunk.start + b);
        const int32_t* row = data + (s * B + b) * T;
        out[s][i].assign(row, row + seqs[s][i].size());
      }
    }
  }
  return out;
}

}  // namespace

std::vector<std::vector<TokenIds>> SpeculativeGreedyDecode(
    const PackModel& model, const LineForward& lines, const std::vector<TokenIds>& prompts,
    const std::vector<LineForward::Hit>& hits, const SpeculativeOptions& options,
    const EvalBudget& budget) {
  TORCH_CHECK(lines.HasArgmax(), "SpeculativeGreedyDecode: the line forward kept no argmax");
  TORCH_CHECK(&lines.forward().model() == &model,
              "SpeculativeGreedyDecode: the line forward is of another model");
  TORCH_CHECK(hits.size() == prompts.size(), "SpeculativeGreedyDecode: ", hits.size(),
              " hits for ", prompts.size(), " prompts");
  const int64_t S = model.num_seeds(), n = static_cast<int64_t>(prompts.size());
  const int64_t max_tokens = options.decode.max_new_tokens + 1;  // t0 .. t_max_new
  const int32_t stop = options.decode.stop_id;
  SpeculativeStats stats;
  stats.rows = S * n;
  std::vector<std::vector<Row>> rows(S, std::vector<Row>(n));

  // Round 0: the line forward's own argmaxes. The draft is the rest of the line and its EOS;
  // the argmax at the prompt's last position + k predicts draft[k].
  for (int64_t i = 0; i < n; ++i) {
    const TokenIds& input = lines.input(hits[i].line);
    const int64_t p = hits[i].pos + 1;  // prompt length
    TokenIds draft(input.begin() + p, input.end());
    draft.push_back(lines.eos());
    for (int64_t s = 0; s < S; ++s) {
      Accept(
          rows[s][i], draft, static_cast<int64_t>(draft.size()),
          [&](int64_t k) { return lines.ArgmaxAt(s, hits[i].line, p - 1 + k); }, max_tokens,
          stop);
      if (rows[s][i].done) ++stats.from_lines;
    }
  }

  // Per-seed sequences prompt + decoded (+ draft) of the given rows of each seed. Every seed
  // needs the same count: seeds with fewer rows get one-token fillers whose output is not read.
  auto sequences = [&](const std::vector<std::vector<int64_t>>& which, bool with_draft) {
    size_t most = 0;
    for (const auto& w : which) most = std::max(most, w.size());
    std::vector<std::vector<TokenIds>> seqs(S);
    for (int64_t s = 0; s < S; ++s) {
      for (int64_t i : which[s]) {
        const Row& r = rows[s][i];
        TokenIds seq = prompts[i];
        seq.insert(seq.end(), r.decoded.begin(), r.decoded.end());
        if (with_draft) seq.insert(seq.end(), r.draft.begin(), r.draft.end());
        seqs[s].push_back(std::move(seq));
      }
      seqs[s].resize(most, TokenIds{prompts[0][0]});
    }
    return seqs;
  };

  // Verification: one forward over prompt + decoded + draft for the given rows of each seed.
  // The argmax after the whole draft is one more greedy token. Returns the rows settled.
  auto verify = [&](const std::vector<std::vector<int64_t>>& which) {
    const std::vector<std::vector<TokenIds>> seqs = sequences(which, /*with_draft=*/true);
    if (seqs.empty() || seqs[0].empty()) return int64_t{0};
    const std::vector<std::vector<TokenIds>> am = ArgmaxForward(lines.forward(), seqs, budget);
    ++stats.rounds;
    int64_t settled = 0;
    for (int64_t s = 0; s < S; ++s) {
      for (size_t b = 0; b < which[s].size(); ++b) {
        Row& r = rows[s][which[s][b]];
        const TokenIds draft = r.draft;
        const int64_t first =
            static_cast<int64_t>(prompts[which[s][b]].size() + r.decoded.size()) - 1;
        Accept(
            r, draft, static_cast<int64_t>(draft.size()) + 1,
            [&](int64_t k) { return am[s][b][first + k]; }, max_tokens, stop);
        if (r.done) ++settled;
      }
    }
    stats.verified += settled;
    return settled;
  };
  // A round pays only when its rows mostly follow their drafts (a trained model that got one
  // word wrong); a model that departs from the line at every other token would cost a full
  // forward per round for nothing. So each round first verifies a probe of every k-th row
  // and goes on with the others only if enough of the probe settled.
  for (int round = 0; round < options.verify_rounds; ++round) {
    std::vector<std::vector<int64_t>> probe(S), others(S);
    int64_t num_probe = 0, num_pending = 0;
    for (int64_t s = 0; s < S; ++s) {
      for (int64_t i = 0; i < n; ++i) {
        Row& r = rows[s][i];
        if (r.done) continue;
        // Positions stay below |prompt| + max_new_tokens, as in a plain decode.
        const int64_t room = max_tokens - 1 - static_cast<int64_t>(r.decoded.size());
        if (static_cast<int64_t>(r.draft.size()) > room) r.draft.resize(std::max<int64_t>(0, room));
        if (r.draft.empty()) continue;
        const bool in_probe = options.probe_every <= 1 || num_pending % options.probe_every == 0;
        (in_probe ? probe : others)[s].push_back(i);
        num_probe += in_probe ? 1 : 0;
        ++num_pending;
      }
    }
    if (num_pending == 0) break;
    const int64_t settled = verify(probe);
    if (static_cast<double>(settled) < options.min_settled * static_cast<double>(num_probe)) break;
    verify(others);
  }

  // The rest: token by token with the cache, each seed from its own decoded prefix. A pass
  // decodes as many tokens as the most room any row has left (within the position table), so
  // one pass normally finishes every row.
  for (;;) {
    std::vector<std::vector<int64_t>> pending(S);
    int64_t want = 0, longest = 0;
    for (int64_t s = 0; s < S; ++s) {
      for (int64_t i = 0; i < n; ++i) {
        const Row& r = rows[s][i];
        if (r.done) continue;
        pending[s].push_back(i);
        want = std::max<int64_t>(want, max_tokens - static_cast<int64_t>(r.decoded.size()));
        longest = std::max<int64_t>(longest, prompts[i].size() + r.decoded.size());
      }
    }
    if (want == 0) break;  // every row is done
    const std::vector<std::vector<TokenIds>> seqs = sequences(pending, /*with_draft=*/false);
    DecodeOptions d = options.decode;
    d.max_new_tokens = static_cast<int>(
        std::max<int64_t>(0, std::min(want, model.shape().max_len - longest + 1) - 1));
    d.stop_counts_t0 = true;  // t0 here is t_k (k >= 1) of the row
    d.steps_run = nullptr;
    const std::vector<std::vector<TokenIds>> more =
        GreedyDecodePackPerSeed(model, seqs, d, budget);
    for (int64_t s = 0; s < S; ++s) {
      for (size_t b = 0; b < pending[s].size(); ++b) {
        Row& r = rows[s][pending[s][b]];
        for (int32_t t : more[s][b]) {
          r.decoded.push_back(t);
          if (static_cast<int64_t>(r.decoded.size()) >= max_tokens || (stop >= 0 && t == stop)) {
            r.done = true;
            break;
          }
        }
        if (r.done) ++stats.decoded;
      }
    }
  }

  std::vector<std::vector<TokenIds>> out(S, std::vector<TokenIds>(n));
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t i = 0; i < n; ++i) {
      TokenIds& t = rows[s][i].decoded;
      t.resize(max_tokens, stop);  // after a stop: reported as the stop id
      out[s][i] = std::move(t);
    }
  }
  if (options.stats != nullptr) *options.stats = stats;
  return out;
}

}  // namespace sg
