// The train-split sentences that the attention-entropy metric reads (experiment.md §5): QF and
// Tense lines cut before the task marker (quest / PRESENT / PAST) without the final ".", Dyck
// strings shorter than 200 tokens. Torch-free.
#ifndef SG_TRAINER_EVAL_EVAL_SENTENCES_H_
#define SG_TRAINER_EVAL_EVAL_SENTENCES_H_

#include <cstdint>
#include <vector>

#include "tasks/task_dataset.h"

namespace sg {

// A fixed sample of at most max_sentences (uniform without replacement, seeded by sample_seed),
// the same at every evaluation so the curve is not noisy from resampling. The reference draws a
// fresh 10,000 (Dyck: 500) per checkpoint; see docs/trainer.md.
std::vector<TokenIds> AttentionSentences(const TaskDataset& data, int64_t max_sentences,
                                         uint64_t sample_seed);

}  // namespace sg

#endif  // SG_TRAINER_EVAL_EVAL_SENTENCES_H_
