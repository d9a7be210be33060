// Helpers shared by the trainer's tests: tiny configs and synthetic token data.
#ifndef SG_TRAINER_TRAINER_TEST_UTIL_H_
#define SG_TRAINER_TRAINER_TEST_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <random>
#include <utility>
#include <vector>

#include "common/sweep_spec.h"
#include "tasks/model_scorer.h"
#include "trainer/model/pack_model.h"
#include "trainer/model/pack_trainer.h"

namespace sg {
namespace testing_util {

// Words 1..9 (0 is padding); EOS 10, SOS 11: 12 ids.
constexpr int32_t kNumIds = 12, kEos = 10, kSos = 11;

// A trainer's options for the tiny vocabulary above: `seeds` training `config` on `device`;
// everything else at PackTrainerOptions' defaults.
inline PackTrainerOptions TinyTrainerOptions(std::vector<int64_t> seeds, TrainConfig config,
                                             torch::Device device = torch::kCPU) {
  PackTrainerOptions o;
  o.config = std::move(config);
  o.seeds = std::move(seeds);
  o.num_ids = kNumIds;
  o.sos_id = kSos;
  o.eos_id = kEos;
  o.device = device;
  return o;
}

// A tensor's values as doubles, for EXPECT_THAT(..., Pointwise(...)) comparisons.
inline std::vector<double> ToVector(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kFloat64).cpu().contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// Lines of lengths 3..max_len with a learnable pattern (each word is the previous + 1 mod 9).
inline std::vector<TokenIds> SyntheticLines(int n, uint64_t seed, int max_len = 14) {
  std::mt19937_64 rng(seed);
  std::vector<TokenIds> out;
  for (int i = 0; i < n; ++i) {
    const int len = 3 + static_cast<int>(rng() % static_cast<uint64_t>(max_len - 2));
    int32_t w = 1 + static_cast<int32_t>(rng() % 9);
    TokenIds line;
    for (int t = 0; t < len; ++t) {
      line.push_back(w);
      w = 1 + (w % 9);
    }
    out.push_back(line);
  }
  return out;
}

// Dyck-like lines, mostly short with a long tail: SyntheticLines(n, 21, 12) with every seventh
// line 40-339 tokens long (rows of 64 to 512 positions when packed).
inline std::vector<TokenIds> TailedLines(int n = 120) {
  std::vector<TokenIds> out = SyntheticLines(n, 21, 12);
  for (int i = 0; i < n; i += 7) out[i].resize(40 + (i * 37) % 300, 1 + i % 9);
  return out;
}

inline TrainConfig TinyConfig() {
  TrainConfig c;
  c.depth = 2;
  c.d_model = 16;
  c.heads = 2;
  c.ff = 32;
  c.dropout = 0.0;
  c.batch_size = 4;
  c.lr = 3e-3;
  c.warmup_steps = 3;
  c.decay_steps = 1000;
  c.clip = 1.0;
  return c;
}

// The GPU tests' graph steps: `seeds` on CUDA device 0, TinyConfig widened to d_model (ff twice
// that) over `heads`, batch 8, `dropout`, lines packed into rows attending per line by our
// kernels; everything else at PackTrainerOptions' defaults for the caller to set.
inline PackTrainerOptions CudaPackedOptions(std::vector<int64_t> seeds, int64_t d_model,
                                            int64_t heads, double dropout) {
  TrainConfig config = TinyConfig();
  config.d_model = d_model;
  config.heads = heads;
  config.ff = 2 * d_model;
  config.batch_size = 8;
  config.dropout = dropout;
  PackTrainerOptions o =
      TinyTrainerOptions(std::move(seeds), std::move(config), torch::Device(torch::kCUDA, 0));
  o.pack_lines = true;
  o.line_attention = true;
  o.own_line_attention = true;
  return o;
}

// For the disabled CPU timing tests: an integer from the environment, or `fallback`.
inline int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::atoll(v) : fallback;
}

// The disabled timing tests' pack: d SG_BENCH_D (256), 8 heads, FF 4d, SG_BENCH_LAYERS (6)
// layers, seeds 1..SG_BENCH_SEEDS (2), on the CPU.
inline PackModel BenchPackFromEnv(int64_t num_ids) {
  TrainConfig c = TinyConfig();
  c.d_model = EnvInt("SG_BENCH_D", 256);
  c.heads = 8;
  c.ff = 4 * c.d_model;
  c.depth = EnvInt("SG_BENCH_LAYERS", 6);
  std::vector<int64_t> seeds;
  for (int64_t s = 0; s < EnvInt("SG_BENCH_SEEDS", 2); ++s) seeds.push_back(s + 1);
  return PackModel(ModelShape::FromConfig(c, num_ids), seeds, torch::kCPU);
}

// What any first-stop truncation (tasks' TruncateDecoded) reads: t0 up to and including the
// first `stop` among t1..tN, or everything when there is none.
inline TokenIds UpToFirstStop(const TokenIds& tokens, int32_t stop) {
  for (size_t k = 1; k < tokens.size(); ++k) {
    if (tokens[k] == stop) return TokenIds(tokens.begin(), tokens.begin() + k + 1);
  }
  return tokens;
}

// A tiny model whose weights are scaled up so its greedy continuations depend on the prompt
// and vary along the sequence (a freshly initialised tiny model mostly repeats one token).
inline PackModel SharpModel(const std::vector<int64_t>& seeds, double gain) {
  PackModel model(ModelShape::FromConfig(TinyConfig(), kNumIds), seeds,
                  torch::kCPU);
  torch::NoGradGuard g;
  model.flat().mul_(gain);
  return model;
}

// The straightforward reference: for one seed and one prompt, no batching and no padding,
// re-run the full causal forward on the grown sequence for every token.
inline TokenIds ReferenceDecode(const PackModel& model, int64_t seed, const TokenIds& prompt,
                         int max_new) {
  torch::NoGradGuard g;
  PackParams one = model.params().Slice(seed, seed + 1);
  TokenIds seq = prompt, out;
  for (int step = 0; step <= max_new; ++step) {
    const int64_t T = static_cast<int64_t>(seq.size());
    torch::Tensor ids = torch::zeros({1, 1, T}, torch::kInt64);
    for (int64_t t = 0; t < T; ++t) ids[0][0][t] = seq[t];
    torch::Tensor h = model.Hidden(one, ids, torch::full({1, 1}, T, torch::kInt64), {});
    const int32_t tok =
        static_cast<int32_t>(model.Logits(one, h)[0][T - 1].argmax().item<int64_t>());
    out.push_back(tok);
    seq.push_back(tok);
  }
  return out;
}

}  // namespace testing_util
}  // namespace sg

#endif  // SG_TRAINER_TRAINER_TEST_UTIL_H_
