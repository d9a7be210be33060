// Helpers around tasks/task_dataset.h: the authors' file names, line reading, generation,
// and the conversion of lines to LM token ids.
#ifndef SG_TASKS_TASK_DATA_H_
#define SG_TASKS_TASK_DATA_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sweep_spec.h"
#include "tasks/task_dataset.h"
#include "tasks/vocabulary.h"

namespace sg {

// The file name of a split in the authors' layout (as in shared/data/reference):
// question.{train,val,test}, tense.{train,val,test}, k-20_d-10_{train,val,test}.txt.
std::string ReferenceFileName(TaskKind task, Split split);

// The vocabulary of generated data: the task's whole lexicon, which is what the reference's
// train ∪ val ∪ test yields (experiment.md §1.3), whatever the split sizes.
Vocabulary LexiconVocabulary(TaskKind task);

// Generates the three splits' lines (deterministic for data.seed and the sizes).
absl::Status GenerateTaskLines(TaskKind task, const DataConfig& data,
                               std::vector<std::string>* train, std::vector<std::string>* val,
                               std::vector<std::string>* test);

// Lines of a text file without their line ends; kNotFound names the path.
absl::StatusOr<std::vector<std::string>> ReadLines(const std::string& path);

// LM token ids of each line (TAB -> space; Dyck's END dropped).
absl::StatusOr<std::vector<TokenIds>> EncodeLines(TaskKind task, const Vocabulary& vocab,
                                                  const std::vector<std::string>& lines,
                                                  const char* split_name);

}  // namespace sg

#endif  // SG_TASKS_TASK_DATA_H_
