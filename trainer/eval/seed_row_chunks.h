// Per-seed rows of token ids cut into length-sorted chunks for one batched forward each.
// Trainer-internal (LibTorch). Each seed sorts its own rows by length (stably), and chunk row b
// of seed s is that seed's b-th row of the chunk: rows of similar length share a chunk in every
// seed, so padding stays small even when the seeds' rows differ (per-seed decoding prompts,
// speculative verification sequences).
#ifndef SG_TRAINER_EVAL_SEED_ROW_CHUNKS_H_
#define SG_TRAINER_EVAL_SEED_ROW_CHUNKS_H_

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "tasks/model_scorer.h"

namespace sg {

class SeedRowChunks {
 public:
  // rows[s][i]: seed s's rows, every seed the same count (the caller checks). Not owned: it
  // must outlive this object.
  explicit SeedRowChunks(const std::vector<std::vector<TokenIds>>& rows);

  int64_t size() const { return n_; }
  // Seed s's k-th row in length order (an index into rows[s]).
  int64_t Row(int64_t s, int64_t k) const { return order_[s][k]; }
  // The longest row at sorted position k over all seeds (at least 1; non-decreasing in k).
  int64_t Longest(int64_t k) const;
  // The end of the chunk that starts at sorted position `start`: as many rows as
  // rows_for_length(longest row) allows, at least one.
  int64_t ChunkEnd(int64_t start, const std::function<int64_t(int64_t)>& rows_for_length) const;
  // Host tensors for sorted positions [start, end): ids [S, B, T] (padding 0) and lengths
  // [S, B], with T = Longest(end - 1).
  void Batch(int64_t start, int64_t end, torch::Tensor* ids, torch::Tensor* lengths) const;

 private:
  const std::vector<std::vector<TokenIds>>& rows_;
  int64_t n_ = 0;
  std::vector<std::vector<int64_t>> order_;  // [seed][sorted position] -> row
};

}  // namespace sg

#endif  // SG_TRAINER_EVAL_SEED_ROW_CHUNKS_H_
