#include "trainer/eval/eval_sentences.h"

#include <algorithm>

#include "trainer/model/data_order.h"

namespace sg {

std::vector<TokenIds> AttentionSentences(const TaskDataset& data, int64_t max_sentences,
                                         uint64_t sample_seed) {
  std::vector<TokenIds> pool;
  const int32_t period = data.vocab.Id(".");
  std::vector<int32_t> markers;
  switch (data.task) {
    case TaskKind::kQuestionFormation:
      markers = {data.vocab.Id("quest")};
      break;
    case TaskKind::kTenseInflection:
      markers = {data.vocab.Id("PRESENT"), data.vocab.Id("PAST")};
      break;
    case TaskKind::kDyck:
      break;
  }
  for (const TokenIds& line : data.train) {
    if (data.task == TaskKind::kDyck) {
      if (!line.empty() && line.size() < 200) pool.push_back(line);
      continue;
    }
    auto it = std::find_if(line.begin(), line.end(), [&](int32_t id) {
      return id >= 0 && std::find(markers.begin(), markers.end(), id) != markers.end();
    });
    if (it == line.end()) continue;  // QF: only `quest` lines
    TokenIds sentence(line.begin(), it);
    if (!sentence.empty() && sentence.back() == period) sentence.pop_back();
    if (!sentence.empty()) pool.push_back(std::move(sentence));
  }
  if (max_sentences <= 0) return {};
  if (static_cast<int64_t>(pool.size()) <= max_sentences) return pool;
  const std::vector<int64_t> perm =
      EpochPermutation(static_cast<int64_t>(sample_seed), 0, static_cast<int64_t>(pool.size()));
  std::vector<TokenIds> out;
  for (int64_t i = 0; i < max_sentences; ++i) out.push_back(pool[perm[i]]);
  return out;
}

}  // namespace sg
