#include "trainer/eval/pack_decode.h"

#include <algorithm>

#include "trainer/eval/seed_row_chunks.h"

namespace sg {

int64_t DecodeRowsPerChunk(const ModelShape& s, int64_t num_seeds, int64_t prompt_len,
                           int64_t max_new_tokens, const EvalBudget& budget) {
  const int64_t prefill = RowsPerChunk(s, num_seeds, prompt_len, budget);
  const int64_t slots = prompt_len + max_new_tokens;
  // K and V per layer, plus one step's scores/probabilities over the slots.
  const int64_t per_row = 4 * num_seeds * slots * (2 * s.layers * s.d_model + 2 * s.heads);
  const int64_t cache = budget.max_bytes / std::max<int64_t>(1, per_row);
  return std::clamp<int64_t>(std::min(prefill, cache), 1, budget.max_rows);
}

std::vector<std::vector<TokenIds>> GreedyDecodePackPerSeed(
    const PackModel& model, const std::vector<std::vector<TokenIds>>& prompts,
    const DecodeOptions& options, const EvalBudget& budget) {
  const int64_t S = model.num_seeds();
  TORCH_CHECK(static_cast<int64_t>(prompts.size()) == S, "prompts hold ", prompts.size(),
              " seeds' lists, the pack has ", S, " seeds: pass one list per seed");
  const size_t n = prompts.empty() ? 0 : prompts[0].size();
  for (int64_t s = 0; s < S; ++s) {
    TORCH_CHECK(prompts[s].size() == n, "seed ", s, " has ", prompts[s].size(),
                " prompts, seed 0 has ", n, ": every seed needs the same number");
  }
  const int64_t max_new = options.max_new_tokens;
  const int64_t steps = max_new + 1;  // t0 .. t_max_new
  const bool stop = options.stop_id >= 0;
  const int64_t check_every = std::max(1, options.stop_check_every);
  std::vector<std::vector<TokenIds>> out(S, std::vector<TokenIds>(n));
  if (options.steps_run != nullptr) *options.steps_run = 0;
  torch::NoGradGuard no_grad;
  const PackParams& p = model.params();
  const torch::Device dev = model.device();
  const int64_t L = model.shape().layers, H = model.shape().heads;
  const int64_t d = model.shape().d_model, dh = d / H;

  // Rows of similar length share a chunk (less padding in the prompt forward).
  const SeedRowChunks chunks(prompts);
  int64_t start = 0;
  while (start < chunks.size()) {
    const int64_t end = chunks.ChunkEnd(start, [&](int64_t longest) {
      return DecodeRowsPerChunk(model.shape(), S, longest, max_new, budget);
    });
    const int64_t B = end - start, T = chunks.Longest(end - 1);
    torch::Tensor ids_cpu, len_cpu;
    chunks.Batch(start, end, &ids_cpu, &len_cpu);
    torch::Tensor len = len_cpu.to(dev);

    // Prompt forward (padded keys masked by length), keeping every layer's K and V.
    std::vector<torch::Tensor> kv;
    ForwardOptions fo;
    fo.keys_values = &kv;
    torch::Tensor hidden = model.Hidden(p, ids_cpu.to(dev), len, fo);  // [S,B*T,d]
    // Slot t_i of row b is len + i - 1 (t_i is fed after being generated), so a row never
    // needs more than T + max_new slots.
    const int64_t C = T + std::max<int64_t>(max_new, 1);
    std::vector<torch::Tensor> cache;
    cache.reserve(kv.size());
    for (const torch::Tensor& t : kv) {
      // Zeros, not garbage: a blocked key's score is 0 * q + -inf, never NaN.
      torch::Tensor c = torch::zeros({S, B, H, C, dh}, t.options());
      c.narrow(3, 0, T).copy_(t);
      cache.push_back(c);
    }
    kv.clear();
    TORCH_CHECK(static_cast<int64_t>(cache.size()) == 2 * L, "prompt forward gave ",
                cache.size(), " K/V tensors for ", L, " layers");

    // Each seed's row b ends at its own length: gather hidden[s][b*T + len[s][b] - 1].
    torch::Tensor last = torch::arange(B, len.options()).unsqueeze(0) * T + len - 1;  // [S,B]
    torch::Tensor tok =
        model.Logits(p, hidden.gather(1, last.unsqueeze(2).expand({S, B, d}))).argmax(-1);
    hidden = torch::Tensor();
    torch::Tensor generated = stop ? torch::full({S, B, steps}, options.stop_id, tok.options())
                                   : torch::empty({S, B, steps}, tok.options());
    generated.select(2, 0).copy_(tok);
    torch::Tensor done;  // [S,B] bool: produced stop_id among t1..ti (t0..ti if it counts)
    if (stop) {
      done = options.stop_counts_t0 ? tok == options.stop_id
                                    : torch::zeros({S, B}, tok.options().dtype(torch::kBool));
    }
    torch::Tensor pos = len;  // [S,B]: where t_{i-1} is fed
    const bool done_at_t0 = stop && options.stop_counts_t0 && done.all().item<bool>();
    for (int64_t i = 1; i < steps && !done_at_t0; ++i) {
      // Keys 0..pos of every row lie below T + i.
      hidden = model.DecodeStep(p, tok, pos, T + i, cache);
      tok = model.Logits(p, hidden).argmax(-1);
      generated.select(2, i).copy_(tok);
      pos = pos + 1;
      if (options.steps_run != nullptr) ++*options.steps_run;
      if (stop) {
        done.logical_or_(tok == options.stop_id);
        if (i % check_every == 0 && i + 1 < steps && done.all().item<bool>()) break;
      }
    }
    cache.clear();
    torch::Tensor g = generated.to(torch::kCPU).contiguous();
    const int64_t* data = g.data_ptr<int64_t>();
    for (int64_t s = 0; s < S; ++s) {
      for (int64_t b = 0; b < B; ++b) {
        const int64_t* row = data + (s * B + b) * steps;
        out[s][chunks.Row(s, start + b)].assign(row, row + steps);
      }
    }
    start = end;
  }
  return out;
}

std::vector<std::vector<TokenIds>> GreedyDecodePack(const PackModel& model,
                                                    const std::vector<TokenIds>& prompts,
                                                    const DecodeOptions& options,
                                                    const EvalBudget& budget) {
  // Every seed sorts the same list the same way (a stable sort), so the chunks are the ones a
  // shared-prompt decoder would cut.
  return GreedyDecodePackPerSeed(
      model, std::vector<std::vector<TokenIds>>(model.num_seeds(), prompts), options, budget);
}

}  // namespace sg
