#include "trainer/pack_decode.h"

#include <algorithm>
#include <numeric>

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

std::vector<std::vector<TokenIds>> GreedyDecodePack(const PackModel& model,
                                                    const std::vector<TokenIds>& prompts,
                                                    const DecodeOptions& options,
                                                    const EvalBudget& budget) {
  const int64_t S = model.num_seeds();
  const int64_t max_new = options.max_new_tokens;
  const int64_t steps = max_new + 1;  // t0 .. t_max_new
  const bool stop = options.stop_id >= 0;
  const int64_t check_every = std::max(1, options.stop_check_every);
  std::vector<std::vector<TokenIds>> out(S, std::vector<TokenIds>(prompts.size()));
  if (options.steps_run != nullptr) *options.steps_run = 0;
  torch::NoGradGuard no_grad;
  const PackParams& p = model.params();
  const torch::Device dev = model.device();
  const int64_t L = model.shape().layers, H = model.shape().heads;
  const int64_t dh = model.shape().d_model / H;

  // Rows of similar length share a chunk (less padding in the prompt forward).
  std::vector<size_t> order(prompts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return prompts[a].size() < prompts[b].size();
  });
  size_t start = 0;
  while (start < order.size()) {
    size_t end = start + 1;
    while (end < order.size() &&
           static_cast<int64_t>(end - start + 1) <=
               DecodeRowsPerChunk(model.shape(), S, prompts[order[end]].size(), max_new,
                                  budget)) {
      ++end;
    }
    const int64_t B = static_cast<int64_t>(end - start);
    const int64_t T = static_cast<int64_t>(prompts[order[end - 1]].size());  // longest prompt
    torch::Tensor ids_cpu = torch::zeros({1, B, T}, torch::kInt64);
    torch::Tensor len_cpu = torch::zeros({B}, torch::kInt64);
    auto ids_a = ids_cpu.accessor<int64_t, 3>();
    auto len_a = len_cpu.accessor<int64_t, 1>();
    for (int64_t b = 0; b < B; ++b) {
      const TokenIds& seq = prompts[order[start + b]];
      for (size_t t = 0; t < seq.size(); ++t) ids_a[0][b][t] = seq[t];
      len_a[b] = static_cast<int64_t>(seq.size());
    }
    torch::Tensor len = len_cpu.to(dev);

    // Prompt forward (padded keys masked by length), keeping every layer's K and V.
    std::vector<torch::Tensor> kv;
    ForwardOptions fo;
    fo.keys_values = &kv;
    torch::Tensor hidden =
        model.Hidden(p, ids_cpu.to(dev).expand({S, B, T}), len.unsqueeze(0).expand({S, B}), fo);
    // Slot t_i of row b is len[b] + i - 1 (t_i is fed after being generated), so a row never
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

    torch::Tensor last = torch::arange(B, len.options()) * T + len - 1;
    torch::Tensor tok = model.Logits(p, hidden.index_select(1, last)).argmax(-1);  // [S,B]
    hidden = torch::Tensor();
    torch::Tensor generated = stop ? torch::full({S, B, steps}, options.stop_id, tok.options())
                                   : torch::empty({S, B, steps}, tok.options());
    generated.select(2, 0).copy_(tok);
    torch::Tensor done;  // [S,B] bool: produced stop_id among t1..ti
    if (stop) done = torch::zeros({S, B}, tok.options().dtype(torch::kBool));
    torch::Tensor pos = len;  // where t_{i-1} is fed
    for (int64_t i = 1; i < steps; ++i) {
      // Keys 0..pos[b] of every row lie below T + i.
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
        out[s][order[start + b]].assign(row, row + steps);
      }
    }
    start = end;
  }
  return out;
}

}  // namespace sg
