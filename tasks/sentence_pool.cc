#include "tasks/sentence_pool.h"

#include <algorithm>

namespace sg {

std::vector<TokenIds> AnalysisSentencePool(const TaskDataset& data, size_t max_dyck_length) {
  std::vector<TokenIds> pool;
  std::vector<int32_t> markers;
  switch (data.task) {
    case TaskKind::kQuestionFormation:
      markers = {data.vocab.Id("quest")};  // decl lines are not analysed
      break;
    case TaskKind::kTenseInflection:
      markers = {data.vocab.Id("PRESENT"), data.vocab.Id("PAST")};
      break;
    case TaskKind::kDyck:
      break;
  }
  const int32_t period = data.vocab.Id(".");
  for (const TokenIds& line : data.train) {
    if (data.task == TaskKind::kDyck) {
      if (!line.empty() && (max_dyck_length == 0 || line.size() < max_dyck_length)) {
        pool.push_back(line);
      }
      continue;
    }
    auto marker = std::find_if(line.begin(), line.end(), [&](int32_t id) {
      return id >= 0 && std::find(markers.begin(), markers.end(), id) != markers.end();
    });
    if (marker == line.end()) continue;
    TokenIds sentence(line.begin(), marker);
    if (!sentence.empty() && sentence.back() == period) sentence.pop_back();
    if (!sentence.empty()) pool.push_back(std::move(sentence));
  }
  return pool;
}

}  // namespace sg
