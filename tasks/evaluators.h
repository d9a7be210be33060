// The task metrics of experiment.md §4.2-4.4 behind TaskEvaluator, with every disputed detail
// (experiment.md §7) an explicit option whose default is the reference code's behaviour.
#ifndef SG_TASKS_EVALUATORS_H_
#define SG_TASKS_EVALUATORS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sweep_spec.h"
#include "tasks/task_dataset.h"

namespace sg {

struct EvalOptions {
  // QF (§4.3). kFourWay (code): argmax over {doesn't, does, do, don't}, ties to that order.
  // kFullArgmax (paper's "first word of the greedily decoded question"): argmax over all V+2
  // ids, ties to the lowest id. TrainConfig::qf_first_word "four_way" / "argmax".
  enum class QfRanking { kFourWay, kFullArgmax };
  QfRanking qf_ranking = QfRanking::kFourWay;

  // Tense (§1.9, §4.4). The reference keeps t0..t(k-2) when t(k) is the first EOS among
  // t1..t50, dropping the token just before EOS; false keeps t0..t(k-1).
  bool tense_drop_before_eos = true;
  // 0: every line of the split. N > 0: a fixed subset of N lines of the generalisation split
  // (val is always whole), drawn once with tense_subset_seed so every run and every evaluation
  // sees the same lines. The reference draws a fresh random 2,000 at every evaluation.
  int64_t tense_test_lines = 0;
  uint64_t tense_subset_seed = 20230530;
  int tense_max_new_tokens = 50;

  // Dyck (§4.2). Strings are read in order until at least this many prefixes are collected.
  int64_t dyck_min_prefixes = 5000;
  // 0 (code): score every closing bracket. d > 0 (paper App. A): on the generalisation split
  // only, score closing brackets at least d tokens after their opening bracket.
  int64_t dyck_min_distance = 0;

  // Inputs per NextTokenScores / GreedyDecode call (the reference decodes in batches of 128).
  int batch_size = 128;
};

// TrainConfig's options (dyck_min_distance, tense_test_lines, qf_first_word,
// tense_drop_before_eos); kInvalidArgument names a bad value.
absl::StatusOr<EvalOptions> EvalOptionsFromTrainConfig(const TrainConfig& config);

absl::StatusOr<std::unique_ptr<TaskEvaluator>> MakeTaskEvaluator(const TaskDataset& data,
                                                                 Split split,
                                                                 const EvalOptions& options);

// The reference's decoded-length rule (§1.9) applied to t0..tN.
TokenIds TruncateDecoded(const TokenIds& tokens, int32_t eos_id, bool drop_before_eos);

}  // namespace sg

#endif  // SG_TASKS_EVALUATORS_H_
