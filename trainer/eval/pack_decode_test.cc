#include "trainer/eval/pack_decode.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <set>

#include "trainer/trainer_test_util.h"

namespace sg {
namespace {

using testing_util::kNumIds;
using testing_util::kSos;

// Random prompts (SOS + 0..max_words words in 1..9) of varied lengths.
std::vector<TokenIds> RandomPrompts(int n, int max_words, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<TokenIds> out;
  for (int i = 0; i < n; ++i) {
    TokenIds p = {kSos};
    const int words = static_cast<int>(rng() % static_cast<uint64_t>(max_words + 1));
    for (int w = 0; w < words; ++w) p.push_back(1 + static_cast<int32_t>(rng() % 9));
    out.push_back(p);
  }
  return out;
}

// The decode cache that a prompt forward's keys and values start: C slots, the first T filled.
std::vector<torch::Tensor> CacheFrom(const std::vector<torch::Tensor>& kv, int64_t C) {
  std::vector<torch::Tensor> cache;
  for (const torch::Tensor& t : kv) {
    std::vector<int64_t> shape = t.sizes().vec();
    shape[3] = C;
    torch::Tensor c = torch::zeros(shape, t.options());
    c.narrow(3, 0, t.size(3)).copy_(t);
    cache.push_back(c);
  }
  return cache;
}

using testing_util::ReferenceDecode;
using testing_util::SharpModel;
using testing_util::UpToFirstStop;

// The previous PackScorer::GreedyDecode (batched, padded, the full forward re-run per token):
// the baseline of the benchmark below.
std::vector<std::vector<TokenIds>> FullRecomputeDecode(const PackModel& model,
                                                       const std::vector<TokenIds>& prompts,
                                                       int max_new, int64_t rows) {
  torch::NoGradGuard no_grad;
  const int64_t S = model.num_seeds(), steps = max_new + 1;
  const PackParams& p = model.params();
  std::vector<std::vector<TokenIds>> out(S, std::vector<TokenIds>(prompts.size()));
  for (size_t start = 0; start < prompts.size(); start += rows) {
    const size_t end = std::min(prompts.size(), start + static_cast<size_t>(rows));
    const int64_t B = static_cast<int64_t>(end - start);
    int64_t max_len = 0;
    for (size_t i = start; i < end; ++i) {
      max_len = std::max<int64_t>(max_len, prompts[i].size());
    }
    torch::Tensor ids = torch::zeros({S, B, max_len + max_new}, torch::kInt64);
    torch::Tensor len = torch::zeros({B}, torch::kInt64);
    for (int64_t b = 0; b < B; ++b) {
      for (size_t t = 0; t < prompts[start + b].size(); ++t) ids[0][b][t] = prompts[start + b][t];
      len[b] = static_cast<int64_t>(prompts[start + b].size());
    }
    ids.copy_(ids[0].unsqueeze(0).expand_as(ids).clone());
    torch::Tensor generated = torch::zeros({S, B, steps}, torch::kInt64);
    for (int64_t i = 0; i < steps; ++i) {
      const int64_t T = max_len + i;
      torch::Tensor hidden = model.Hidden(p, ids.slice(2, 0, T).contiguous(),
                                          len.unsqueeze(0).expand({S, B}), {});
      torch::Tensor last = torch::arange(B, torch::kInt64) * T + len - 1;
      torch::Tensor tok = model.Logits(p, hidden.index_select(1, last)).argmax(-1);
      generated.select(2, i).copy_(tok);
      if (i + 1 < steps) {
        ids.scatter_(2, len.view({1, B, 1}).expand({S, B, 1}), tok.unsqueeze(2));
        len = len + 1;
      }
    }
    for (int64_t s = 0; s < S; ++s) {
      for (int64_t b = 0; b < B; ++b) {
        torch::Tensor row = generated[s][b];
        out[s][start + b].assign(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + steps);
      }
    }
  }
  return out;
}

TEST(PackDecodeTest, CachedStepsReproduceTheFullForwardsHiddenStates) {
  // Prefill padded prompts of different lengths, then feed a fixed continuation through
  // DecodeStep: every step's hidden state must be Hidden's at that position of the whole
  // sequence (float rounding only).
  PackModel model = SharpModel({5, 6, 7}, 1.0);
  torch::NoGradGuard g;
  const int64_t S = 3, B = 3, H = model.shape().heads, dh = model.shape().d_model / H;
  const std::vector<TokenIds> prompts = {{kSos, 4, 2}, {kSos}, {kSos, 9, 9, 1, 3, 5}};
  const std::vector<TokenIds> feed = {{7, 1, 1, 8}, {2, 3, 4, 5}, {10, 6, 6, 6}};
  const int64_t T = 6, steps = 4, C = T + steps;
  torch::Tensor ids = torch::zeros({S, B, T}, torch::kInt64);
  torch::Tensor len = torch::zeros({B}, torch::kInt64);
  for (int64_t b = 0; b < B; ++b) {
    for (size_t t = 0; t < prompts[b].size(); ++t) {
      ids.select(1, b).select(1, t).fill_(prompts[b][t]);
    }
    len[b] = static_cast<int64_t>(prompts[b].size());
  }
  std::vector<torch::Tensor> kv;
  ForwardOptions fo;
  fo.keys_values = &kv;
  model.Hidden(model.params(), ids, len.unsqueeze(0).expand({S, B}), fo);
  ASSERT_EQ(kv.size(), static_cast<size_t>(2 * model.shape().layers));
  for (const torch::Tensor& t : kv) {
    ASSERT_EQ(t.sizes(), (std::vector<int64_t>{S, B, H, T, dh}));
  }
  std::vector<torch::Tensor> cache = CacheFrom(kv, C);
  torch::Tensor pos = len.clone();
  for (int64_t i = 0; i < steps; ++i) {
    torch::Tensor tok = torch::zeros({S, B}, torch::kInt64);
    for (int64_t b = 0; b < B; ++b) tok.select(1, b).fill_(feed[b][i]);
    torch::Tensor h = model.DecodeStep(model.params(), tok, pos, T + i + 1, cache);  // [S,B,d]
    for (int64_t b = 0; b < B; ++b) {
      TokenIds full = prompts[b];
      full.insert(full.end(), feed[b].begin(), feed[b].begin() + i + 1);
      const int64_t n = static_cast<int64_t>(full.size());
      torch::Tensor one = torch::zeros({S, 1, n}, torch::kInt64);
      for (int64_t t = 0; t < n; ++t) one.select(2, t).fill_(full[t]);
      torch::Tensor want = model.Hidden(model.params(), one, torch::full({S, 1}, n, torch::kInt64),
                                        {}).select(1, n - 1);
      EXPECT_TRUE(torch::allclose(h.select(1, b), want, 1e-5, 1e-5))
          << "step " << i << " row " << b << " max diff "
          << (h.select(1, b) - want).abs().max().item<float>();
    }
    pos = pos + 1;
  }
}

TEST(PackDecodeTest, EqualsTheUnbatchedFullRecomputeForEverySeedAndBudget) {
  PackModel model = SharpModel({11, 12, 13}, 3.0);
  const std::vector<TokenIds> prompts = RandomPrompts(23, 9, 99);
  constexpr int kMaxNew = 12;
  std::vector<std::vector<TokenIds>> want(3);
  for (int64_t s = 0; s < 3; ++s) {
    for (const TokenIds& p : prompts) want[s].push_back(ReferenceDecode(model, s, p, kMaxNew));
  }
  // The continuations must differ between prompts and seeds, or the test proves little.
  std::set<TokenIds> distinct;
  for (const auto& per_seed : want) distinct.insert(per_seed.begin(), per_seed.end());
  EXPECT_GT(distinct.size(), 20u);

  EvalBudget tiny;  // chunks of 1..3 rows
  tiny.max_rows = 3;
  EvalBudget bytes;  // the byte budget alone cuts chunks
  bytes.max_bytes = 4 * DecodeRowsPerChunk(model.shape(), 1, 10, kMaxNew, EvalBudget{1, 1}) *
                    4 * 3 * (10 + kMaxNew) * (2 * 2 * 16 + 2 * 2);
  for (const EvalBudget& budget : {EvalBudget(), tiny, bytes, EvalBudget{1, 1 << 30}}) {
    DecodeOptions o;
    o.max_new_tokens = kMaxNew;
    EXPECT_EQ(GreedyDecodePack(model, prompts, o, budget), want)
        << "max_rows " << budget.max_rows << " max_bytes " << budget.max_bytes;
  }
  DecodeOptions none;
  none.max_new_tokens = 0;  // t0 only
  auto t0 = GreedyDecodePack(model, prompts, none, tiny);
  for (int64_t s = 0; s < 3; ++s) {
    for (size_t i = 0; i < prompts.size(); ++i) {
      EXPECT_EQ(t0[s][i], TokenIds{want[s][i][0]});
    }
  }
  EXPECT_EQ(FullRecomputeDecode(model, prompts, kMaxNew, 4), want);
}

TEST(PackDecodeTest, StoppingAtTheStopIdKeepsEveryTruncatedOutput) {
  const std::vector<TokenIds> prompts = RandomPrompts(17, 7, 5);
  constexpr int kMaxNew = 20;
  bool stopped_early = false;
  // One seed (its rows share stop ids often enough to end chunks early) and two (a chunk ends
  // only when both seeds' rows have stopped).
  for (const std::vector<int64_t>& seeds : {std::vector<int64_t>{21}, {21, 22}}) {
    PackModel model = SharpModel(seeds, 3.0);
    DecodeOptions full;
    full.max_new_tokens = kMaxNew;
    int64_t steps = 0;
    full.steps_run = &steps;
    const auto all = GreedyDecodePack(model, prompts, full, EvalBudget());
    EXPECT_EQ(steps, kMaxNew);  // one chunk, no stop id
    for (int32_t stop = 0; stop < kNumIds; ++stop) {
      for (int every : {1, 3, 8}) {
        EvalBudget budget;  // chunks of 1 to 4 prompts, so some chunks stop early
        budget.max_rows = every == 1 ? 1 : every == 3 ? 2 : 4;
        const int64_t chunks =
            (static_cast<int64_t>(prompts.size()) + budget.max_rows - 1) / budget.max_rows;
        DecodeOptions o = full;
        o.stop_id = stop;
        o.stop_check_every = every;
        const auto got = GreedyDecodePack(model, prompts, o, budget);
        EXPECT_LE(steps, chunks * kMaxNew);
        if (steps < chunks * kMaxNew) stopped_early = true;
        for (size_t s = 0; s < all.size(); ++s) {
          for (size_t i = 0; i < prompts.size(); ++i) {
            ASSERT_EQ(got[s][i].size(), static_cast<size_t>(kMaxNew + 1));
            EXPECT_EQ(UpToFirstStop(got[s][i], stop), UpToFirstStop(all[s][i], stop))
                << "stop " << stop << " seed " << s << " prompt " << i;
          }
        }
      }
    }
  }
  EXPECT_TRUE(stopped_early);
}

TEST(PackDecodeTest, PerSeedPositionsReproduceTheFullForwardsHiddenStates) {
  // Each seed prefills its own prompts (different lengths per seed and row) and feeds its own
  // continuation, so DecodeStep gets pos [S,B] with a different position in every cell.
  PackModel model = SharpModel({5, 6, 7}, 1.0);
  torch::NoGradGuard g;
  const int64_t S = 3, B = 2;
  const std::vector<std::vector<TokenIds>> prompts = {
      {{kSos, 4, 2}, {kSos}},
      {{kSos, 9, 9, 1, 3, 5}, {kSos, 1}},
      {{kSos}, {kSos, 8, 7, 6, 5}}};
  const std::vector<std::vector<TokenIds>> feed = {
      {{7, 1, 1}, {2, 3, 4}}, {{10, 6, 6}, {1, 1, 9}}, {{3, 3, 2}, {5, 4, 8}}};
  const int64_t T = 6, steps = 3, C = T + steps;
  torch::Tensor ids = torch::zeros({S, B, T}, torch::kInt64);
  torch::Tensor len = torch::zeros({S, B}, torch::kInt64);
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t b = 0; b < B; ++b) {
      for (size_t t = 0; t < prompts[s][b].size(); ++t) ids[s][b][t] = prompts[s][b][t];
      len[s][b] = static_cast<int64_t>(prompts[s][b].size());
    }
  }
  std::vector<torch::Tensor> kv;
  ForwardOptions fo;
  fo.keys_values = &kv;
  model.Hidden(model.params(), ids, len, fo);
  std::vector<torch::Tensor> cache = CacheFrom(kv, C);
  torch::Tensor pos = len.clone();
  for (int64_t i = 0; i < steps; ++i) {
    torch::Tensor tok = torch::zeros({S, B}, torch::kInt64);
    for (int64_t s = 0; s < S; ++s) {
      for (int64_t b = 0; b < B; ++b) tok[s][b] = feed[s][b][i];
    }
    torch::Tensor h = model.DecodeStep(model.params(), tok, pos, T + i + 1, cache);  // [S,B,d]
    ASSERT_EQ(h.sizes(), (std::vector<int64_t>{S, B, model.shape().d_model}));
    for (int64_t s = 0; s < S; ++s) {
      PackParams one = model.params().Slice(s, s + 1);
      for (int64_t b = 0; b < B; ++b) {
        TokenIds full = prompts[s][b];
        full.insert(full.end(), feed[s][b].begin(), feed[s][b].begin() + i + 1);
        const int64_t n = static_cast<int64_t>(full.size());
        torch::Tensor row = torch::zeros({1, 1, n}, torch::kInt64);
        for (int64_t t = 0; t < n; ++t) row[0][0][t] = full[t];
        torch::Tensor want =
            model.Hidden(one, row, torch::full({1, 1}, n, torch::kInt64), {})[0][n - 1];
        torch::Tensor got = h[s][b];
        EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-5))
            << "step " << i << " seed " << s << " row " << b << " max diff "
            << (got - want).abs().max().item<float>();
      }
    }
    pos = pos + 1;
  }
}

TEST(PackDecodeTest, SharedPositionsGiveTheSameStepAsPerSeedPositions) {
  // pos [B] and the same positions spelled out per seed ([S,B]) are one computation.
  PackModel model = SharpModel({5, 6, 7}, 1.0);
  torch::NoGradGuard g;
  const int64_t S = 3, B = 2, H = model.shape().heads, dh = model.shape().d_model / H, C = 6;
  std::vector<torch::Tensor> a, b;
  torch::manual_seed(3);
  for (int64_t i = 0; i < 2 * model.shape().layers; ++i) {
    a.push_back(torch::randn({S, B, H, C, dh}));
    b.push_back(a.back().clone());
  }
  torch::Tensor tok = torch::tensor({4, 9, 2, 2, 7, 1}, torch::kInt64).view({S, B});
  torch::Tensor pos = torch::tensor({3, 1}, torch::kInt64);
  torch::Tensor shared = model.DecodeStep(model.params(), tok, pos, 4, a);
  torch::Tensor per_seed =
      model.DecodeStep(model.params(), tok, pos.unsqueeze(0).expand({S, B}), 4, b);
  EXPECT_TRUE(torch::allclose(shared, per_seed, 1e-6, 1e-6));
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "cache " << i;
  EXPECT_THROW(model.DecodeStep(model.params(), tok, torch::zeros({S}, torch::kInt64), 4, a),
               c10::Error);
  EXPECT_THROW(model.DecodeStep(model.params(), tok, torch::zeros({S + 1, B}, torch::kInt64), 4,
                                a),
               c10::Error);
}

// Per-seed prompt lists with different counts of words per seed (so seeds' lengths and length
// orders differ).
std::vector<std::vector<TokenIds>> PerSeedPrompts(int n) {
  return {RandomPrompts(n, 3, 41), RandomPrompts(n, 9, 42), RandomPrompts(n, 14, 43),
          RandomPrompts(n, 6, 44)};
}

TEST(PackDecodeTest, PerSeedPromptsEqualTheUnbatchedFullRecompute) {
  PackModel model = SharpModel({31, 32, 33, 34}, 3.0);
  const auto prompts = PerSeedPrompts(13);
  constexpr int kMaxNew = 10;
  std::vector<std::vector<TokenIds>> want(prompts.size());
  for (size_t s = 0; s < prompts.size(); ++s) {
    for (const TokenIds& p : prompts[s]) {
      want[s].push_back(ReferenceDecode(model, static_cast<int64_t>(s), p, kMaxNew));
    }
  }
  std::set<TokenIds> distinct;
  for (const auto& per_seed : want) distinct.insert(per_seed.begin(), per_seed.end());
  EXPECT_GT(distinct.size(), 20u);

  EvalBudget tiny;  // chunks of 1..2 rows: 7 chunks
  tiny.max_rows = 2;
  for (const EvalBudget& budget : {EvalBudget(), tiny, EvalBudget{1, 1 << 30}}) {
    DecodeOptions o;
    o.max_new_tokens = kMaxNew;
    int64_t steps = 0;
    o.steps_run = &steps;
    EXPECT_EQ(GreedyDecodePackPerSeed(model, prompts, o, budget), want)
        << "max_rows " << budget.max_rows;
    const int64_t chunks = (13 + budget.max_rows - 1) / budget.max_rows;
    EXPECT_EQ(steps, chunks * kMaxNew) << "max_rows " << budget.max_rows;
  }
  DecodeOptions none;
  none.max_new_tokens = 0;
  const auto t0 = GreedyDecodePackPerSeed(model, prompts, none, tiny);
  for (size_t s = 0; s < prompts.size(); ++s) {
    for (size_t i = 0; i < prompts[s].size(); ++i) EXPECT_EQ(t0[s][i], TokenIds{want[s][i][0]});
  }
  // Seed s alone decoding its list with the shared-prompt decoder gives the same tokens.
  DecodeOptions o;
  o.max_new_tokens = kMaxNew;
  EXPECT_EQ(GreedyDecodePack(model, prompts[2], o, tiny)[2], want[2]);
}

TEST(PackDecodeTest, PerSeedPromptsStopAtTheStopId) {
  PackModel model = SharpModel({31, 32, 33}, 3.0);
  auto prompts = PerSeedPrompts(11);
  prompts.pop_back();  // 3 seeds
  constexpr int kMaxNew = 16;
  DecodeOptions full;
  full.max_new_tokens = kMaxNew;
  const auto all = GreedyDecodePackPerSeed(model, prompts, full, EvalBudget());
  for (size_t s = 0; s < prompts.size(); ++s) {  // spot-check the full decode too
    EXPECT_EQ(all[s][4], ReferenceDecode(model, static_cast<int64_t>(s), prompts[s][4], kMaxNew));
  }
  bool stopped_early = false;
  for (int32_t stop = 0; stop < kNumIds; ++stop) {
    for (int64_t rows : {1, 3}) {
      EvalBudget budget;
      budget.max_rows = rows;
      const int64_t chunks = (11 + rows - 1) / rows;
      DecodeOptions o = full;
      o.stop_id = stop;
      o.stop_check_every = 2;
      int64_t steps = 0;
      o.steps_run = &steps;
      const auto got = GreedyDecodePackPerSeed(model, prompts, o, budget);
      EXPECT_LE(steps, chunks * kMaxNew);
      if (steps < chunks * kMaxNew) stopped_early = true;
      for (size_t s = 0; s < prompts.size(); ++s) {
        for (size_t i = 0; i < prompts[s].size(); ++i) {
          ASSERT_EQ(got[s][i].size(), static_cast<size_t>(kMaxNew + 1));
          const TokenIds cut = UpToFirstStop(got[s][i], stop);
          EXPECT_EQ(cut, UpToFirstStop(all[s][i], stop))
              << "stop " << stop << " seed " << s << " prompt " << i;
        }
      }
    }
  }
  EXPECT_TRUE(stopped_early);
}

TEST(PackDecodeTest, StopCountsT0StopsRowsWhoseFirstTokenIsTheStopId) {
  PackModel model = SharpModel({31, 32, 33}, 3.0);
  auto prompts = PerSeedPrompts(1);  // one row per seed, so some stop ids end the chunk early
  prompts.pop_back();
  constexpr int kMaxNew = 12;
  DecodeOptions full;
  full.max_new_tokens = kMaxNew;
  const auto all = GreedyDecodePackPerSeed(model, prompts, full, EvalBudget());
  // t0 up to and including the first stop among t0..tN.
  auto cut = [](const TokenIds& tokens, int32_t stop) {
    for (size_t k = 0; k < tokens.size(); ++k) {
      if (tokens[k] == stop) return TokenIds(tokens.begin(), tokens.begin() + k + 1);
    }
    return tokens;
  };
  bool saved = false;
  for (int32_t stop = 0; stop < kNumIds; ++stop) {
    DecodeOptions o = full;
    o.stop_id = stop;
    o.stop_counts_t0 = true;
    o.stop_check_every = 1;
    int64_t steps = 0;
    o.steps_run = &steps;
    const auto got = GreedyDecodePackPerSeed(model, prompts, o, EvalBudget());
    for (size_t s = 0; s < prompts.size(); ++s) {
      for (size_t i = 0; i < prompts[s].size(); ++i) {
        EXPECT_EQ(cut(got[s][i], stop), cut(all[s][i], stop)) << "stop " << stop;
      }
    }
    // Rows done at t0 do not hold the chunk open: it runs until the last row's first stop.
    int64_t need = 0;
    for (size_t s = 0; s < prompts.size(); ++s) {
      for (size_t i = 0; i < prompts[s].size(); ++i) {
        need = std::max<int64_t>(need, static_cast<int64_t>(cut(all[s][i], stop).size()) - 1);
      }
    }
    EXPECT_EQ(steps, std::min<int64_t>(need, kMaxNew)) << "stop " << stop;
    if (steps < kMaxNew) saved = true;
  }
  EXPECT_TRUE(saved);
  // Every row's t0 is the stop id (one seed, one prompt): no step runs at all.
  PackModel single = SharpModel({31}, 3.0);
  DecodeOptions o = full;
  o.stop_id = all[0][0][0];  // seed 31's t0 for this prompt
  o.stop_counts_t0 = true;
  int64_t steps = -1;
  o.steps_run = &steps;
  const auto got = GreedyDecodePackPerSeed(single, {{prompts[0][0]}}, o, EvalBudget());
  EXPECT_EQ(steps, 0);
  EXPECT_EQ(got[0][0], TokenIds(kMaxNew + 1, o.stop_id));
}

TEST(PackDecodeTest, PerSeedRejectsMismatchedPromptLists) {
  PackModel model = SharpModel({1, 2, 3}, 1.0);
  const auto prompts = PerSeedPrompts(4);  // 4 lists for 3 seeds
  DecodeOptions o;
  o.max_new_tokens = 2;
  EXPECT_THROW(GreedyDecodePackPerSeed(model, prompts, o, EvalBudget()), c10::Error);
  std::vector<std::vector<TokenIds>> uneven(prompts.begin(), prompts.begin() + 3);
  uneven[1].pop_back();
  EXPECT_THROW(GreedyDecodePackPerSeed(model, uneven, o, EvalBudget()), c10::Error);
  std::vector<std::vector<TokenIds>> empty(3);
  EXPECT_EQ(GreedyDecodePackPerSeed(model, empty, o, EvalBudget()),
            std::vector<std::vector<TokenIds>>(3));
}

// Throwaway timing of the cached decoder against the full recompute (the previous
// implementation), CPU. Run with --gtest_also_run_disabled_tests; shape from env
// SG_BENCH_{SEEDS,D,LAYERS,PROMPTS,NEW}.
TEST(PackDecodeTest, DISABLED_Benchmark) {
  PackModel model = testing_util::BenchPackFromEnv(kNumIds);
  const std::vector<TokenIds> prompts =
      RandomPrompts(static_cast<int>(testing_util::EnvInt("SG_BENCH_PROMPTS", 128)), 14, 3);
  const int max_new = static_cast<int>(testing_util::EnvInt("SG_BENCH_NEW", 50));
  EvalBudget budget;  // 128 rows, as the evaluator's batches
  DecodeOptions o;
  o.max_new_tokens = max_new;
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  auto cached = GreedyDecodePack(model, prompts, o, budget);
  auto t1 = Clock::now();
  auto full = FullRecomputeDecode(model, prompts, max_new, budget.max_rows);
  auto t2 = Clock::now();
  std::printf("seeds %zu d %lld layers %lld prompts %zu max_new %d: cached %.2fs full %.2fs\n",
              static_cast<size_t>(model.num_seeds()), static_cast<long long>(model.shape().d_model),
              static_cast<long long>(model.shape().layers),
              prompts.size(), max_new, std::chrono::duration<double>(t1 - t0).count(),
              std::chrono::duration<double>(t2 - t1).count());
  EXPECT_EQ(cached, full);
}

}  // namespace
}  // namespace sg
