// The train sentences both analysis samples draw from (experiment.md §5): attention entropy
// (trainer/eval/eval_sentences.h) and the tree projections (tree_sentences.h). One definition,
// so the two metrics read the same kind of sentence. Torch-free.
#ifndef SG_TASKS_SENTENCE_POOL_H_
#define SG_TASKS_SENTENCE_POOL_H_

#include <cstddef>
#include <vector>

#include "tasks/task_dataset.h"

namespace sg {

// The train lines in file order, as the analyses read them: QF's `quest` lines and every Tense
// line cut before the task marker (quest / PRESENT / PAST) without the final "." (the bare
// declarative); lines without a marker (QF's decl lines) are left out. Dyck strings whole,
// those of max_dyck_length tokens or more left out (0: no limit). Empty sentences are left out.
std::vector<TokenIds> AnalysisSentencePool(const TaskDataset& data, size_t max_dyck_length);

}  // namespace sg

#endif  // SG_TASKS_SENTENCE_POOL_H_
