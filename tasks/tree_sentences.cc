#include "tasks/tree_sentences.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "tasks/gold_tree.h"
#include "tasks/rng.h"
#include "tasks/sentence_pool.h"

namespace sg {

absl::StatusOr<TreeSentenceSet> TreeSentences(const TaskDataset& data, int64_t max_sentences,
                                              uint64_t sample_seed) {
  TreeSentenceSet out;
  if (max_sentences <= 0) return out;
  std::vector<TokenIds> pool = AnalysisSentencePool(data, /*max_dyck_length=*/0);
  // A partial Fisher-Yates shuffle: the first max_sentences of a seeded permutation.
  std::vector<size_t> index(pool.size());
  std::iota(index.begin(), index.end(), 0);
  const size_t take = std::min(index.size(), static_cast<size_t>(max_sentences));
  Rng rng(sample_seed);
  for (size_t i = 0; i < take; ++i) {
    std::swap(index[i], index[i + rng.Below(index.size() - i)]);
  }
  for (size_t i = 0; i < take; ++i) {
    TokenIds& sentence = pool[index[i]];
    if (data.task != TaskKind::kDyck) {
      std::vector<std::string> words;
      for (int32_t id : sentence) words.push_back(data.vocab.Word(id));
      absl::StatusOr<BinaryTree> gold = GoldTree(data.task, words);
      if (!gold.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("train sentence '", data.vocab.Decode(sentence),
                         "' has no gold tree: ", gold.status().message()));
      }
      out.gold.push_back(*std::move(gold));
    }
    out.sentences.push_back(std::move(sentence));
  }
  return out;
}

bool TreeMetricsDue(const TrainConfig& config, int64_t step) {
  if (config.tree_sentences <= 0 || config.eval_every <= 0) return false;
  if (step == config.eval_every || step == config.steps) return true;
  if (step % config.eval_every != 0) return false;
  const int64_t every = std::max<int64_t>(1, config.tree_every_evals);
  return (step / config.eval_every) % every == 0;
}

}  // namespace sg
