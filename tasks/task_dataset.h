// A task's data as the trainer uses it: the three splits as LM token ids, the vocabulary, and
// the evaluators. Data is generated (deterministic for DataConfig::seed) unless DataConfig::dir
// names a folder of the authors' files (reference names), which are then read instead.
#ifndef SG_TASKS_TASK_DATASET_H_
#define SG_TASKS_TASK_DATASET_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sweep_spec.h"
#include "tasks/model_scorer.h"
#include "tasks/vocabulary.h"

namespace sg {

enum class Split { kTrain, kVal, kTest };  // kTest is the generalisation set
const char* SplitName(Split split);        // "train", "val", "test"

struct TaskDataset {
  TaskKind task = TaskKind::kQuestionFormation;
  Vocabulary vocab;
  // Lines as in the reference files (TAB kept; Dyck lines end with END).
  std::vector<std::string> train_lines, val_lines, test_lines;
  // LM token ids w1..wn of each line (TAB -> space, END dropped); no SOS/EOS (the trainer adds
  // SOS in front of the input and EOS after the target, experiment.md §2.1).
  std::vector<TokenIds> train, val, test;
};

// Generated data (dir empty) is deterministic for data.seed and the sizes; its vocabulary is the
// task's whole lexicon (= the reference ids). With data.dir, the authors' files are read as they
// are (sizes and seed ignored) and the vocabulary is built from their union, as the reference does.
absl::StatusOr<TaskDataset> LoadTaskDataset(TaskKind task, const DataConfig& data);

// The paper's sizes for `task` (Table 1): QF and Tense 100,000 / 1,000 / 10,000; Dyck 200,000 /
// 20,000 / 20,000; seed 0, no dir.
DataConfig DefaultDataConfig(TaskKind task);

// Scores a model (or pack) on one split with the task's metric (experiment.md §4.2-4.4):
// QF first-word accuracy, Tense main-verb accuracy, Dyck closing-bracket accuracy.
class TaskEvaluator {
 public:
  virtual ~TaskEvaluator() = default;
  // One accuracy in [0, 1] per model of the scorer.
  virtual absl::StatusOr<std::vector<double>> Evaluate(ModelScorer& scorer) const = 0;
  // How many items (prefixes or lines) one evaluation scores.
  virtual int64_t num_items() const = 0;
};

// The evaluator of `split` (kVal: in-distribution accuracy, kTest: generalisation accuracy),
// with the disputed options (TrainConfig::dyck_min_distance, tense_test_lines, qf_first_word,
// tense_drop_before_eos; see tasks/evaluators.h) applied. The evaluator copies what it needs and
// does not refer to `data` afterwards.
absl::StatusOr<std::unique_ptr<TaskEvaluator>> MakeTaskEvaluator(const TaskDataset& data,
                                                                 Split split,
                                                                 const TrainConfig& options);

}  // namespace sg

#endif  // SG_TASKS_TASK_DATASET_H_
