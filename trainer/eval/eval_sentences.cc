#include "trainer/eval/eval_sentences.h"

#include <algorithm>

#include "tasks/sentence_pool.h"
#include "trainer/model/data_order.h"

namespace sg {

std::vector<TokenIds> AttentionSentences(const TaskDataset& data, int64_t max_sentences,
                                         uint64_t sample_seed) {
  // The reference leaves Dyck strings of 200 tokens or more out of this metric.
  std::vector<TokenIds> pool = AnalysisSentencePool(data, /*max_dyck_length=*/200);
  if (max_sentences <= 0) return {};
  if (static_cast<int64_t>(pool.size()) <= max_sentences) return pool;
  const std::vector<int64_t> perm =
      EpochPermutation(static_cast<int64_t>(sample_seed), 0, static_cast<int64_t>(pool.size()));
  std::vector<TokenIds> out;
  for (int64_t i = 0; i < max_sentences; ++i) out.push_back(pool[perm[i]]);
  return out;
}

}  // namespace sg
