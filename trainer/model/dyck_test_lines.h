// Dyck-like lines, batches and small model and trainer options shared by the tests of the
// step's layouts (packed rows, one row per seed, ragged): long and short lines in one step.
#ifndef SG_TRAINER_MODEL_DYCK_TEST_LINES_H_
#define SG_TRAINER_MODEL_DYCK_TEST_LINES_H_

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <vector>

#include "tasks/model_scorer.h"
#include "trainer/model/graph_buckets.h"
#include "trainer/model/pack_model.h"
#include "trainer/model/pack_trainer.h"

namespace sg {
namespace dyck_test {

// Dyck-20's ids: 20 opening and 20 closing brackets (1..40), EOS 41, SOS 42.
constexpr int32_t kNumIds = 43, kEos = 41, kSos = 42;

// A balanced bracket string of `len` tokens (len even), depth at most 10, from `rng`.
inline TokenIds DyckLine(int64_t len, std::mt19937_64& rng) {
  TokenIds out;
  std::vector<int32_t> stack;
  while (static_cast<int64_t>(out.size()) < len) {
    const int64_t left = len - static_cast<int64_t>(out.size());
    const bool must_close = static_cast<int64_t>(stack.size()) >= left || stack.size() >= 10;
    if (!stack.empty() && (must_close || rng() % 2 == 0)) {
      out.push_back(20 + stack.back());
      stack.pop_back();
    } else {
      const int32_t type = 1 + static_cast<int32_t>(rng() % 20);
      out.push_back(type);
      stack.push_back(type);
    }
  }
  return out;
}

// Three seeds' batches of 8 lines, from 4 to 300 tokens: a long line with short ones after it
// in its row, rows of several lines, a seed that needs more rows than the others.
inline std::vector<std::vector<TokenIds>> DyckBatches() {
  std::mt19937_64 rng(2023);
  const std::vector<std::vector<int64_t>> lens = {{4, 300, 6, 12, 90, 8, 34, 4},
                                                  {120, 4, 4, 6, 10, 200, 180, 16},
                                                  {8, 8, 14, 4, 6, 60, 22, 10}};
  std::vector<std::vector<TokenIds>> out;
  for (const auto& seed : lens) {
    out.emplace_back();
    for (int64_t n : seed) out.back().push_back(DyckLine(n, rng));
  }
  return out;
}

inline std::vector<std::vector<const TokenIds*>> Pointers(
    const std::vector<std::vector<TokenIds>>& b) {
  std::vector<std::vector<const TokenIds*>> out(b.size());
  for (size_t s = 0; s < b.size(); ++s) {
    for (const TokenIds& l : b[s]) out[s].push_back(&l);
  }
  return out;
}
// The pointers point into the batches: a temporary would leave them dangling (a test read
// freed memory that way once, and passed here by luck before failing in CI).
void Pointers(std::vector<std::vector<TokenIds>>&& b) = delete;

inline ModelShape SmallShape() {
  ModelShape shape;
  shape.num_ids = kNumIds;
  shape.d_model = 32;
  shape.heads = 4;
  shape.ff = 64;
  shape.layers = 2;
  return shape;
}

// Dyck-like training lines of 2 to 300 tokens (mostly short, as Dyck's train split).
inline std::vector<TokenIds> DyckTrain(int n) {
  std::mt19937_64 rng(7);
  std::vector<TokenIds> out;
  for (int i = 0; i < n; ++i) {
    const int64_t r = static_cast<int64_t>(rng() % 100);
    const int64_t len = r < 80 ? 2 + 2 * (r % 10) : (r < 95 ? 40 + 2 * r : 300);
    out.push_back(DyckLine(len, rng));
  }
  return out;
}

inline PackTrainerOptions TrainerOptions(const torch::Device& device, bool pack_lines,
                                  bool one_row = false, int64_t one_row_granule = kOneRowGranule) {
  PackTrainerOptions o;
  o.config.depth = 2;
  o.config.d_model = 32;
  o.config.heads = 4;
  o.config.ff = 64;
  o.config.dropout = 0.0;
  o.config.batch_size = 8;
  o.config.lr = 3e-3;
  o.config.warmup_steps = 2;
  o.config.decay_steps = 1000;
  o.config.clip = 1.0;
  o.seeds = {3, 7, 11};
  o.device = device;
  o.num_ids = kNumIds;
  o.sos_id = kSos;
  o.eos_id = kEos;
  o.tf32 = false;
  o.pack_lines = pack_lines;
  o.one_row_per_seed = one_row;
  o.one_row_granule = one_row_granule;
  return o;
}

}  // namespace dyck_test
}  // namespace sg

#endif  // SG_TRAINER_MODEL_DYCK_TEST_LINES_H_
