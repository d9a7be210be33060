// The learning-rate schedule of experiment.md §2.4 (HF get_linear_schedule_with_warmup):
// linear warm-up from 0 over warmup_steps, then linear decay reaching 0 at decay_steps.
// Torch-free.
#ifndef SG_TRAINER_MODEL_LR_SCHEDULE_H_
#define SG_TRAINER_MODEL_LR_SCHEDULE_H_

#include <cstdint>

namespace sg {

// lambda(s): s/warmup for s < warmup, else max(0, (decay - s)/(decay - warmup)).
double LrLambda(int64_t s, int64_t warmup_steps, int64_t decay_steps);

// The learning rate of update k (1-based) = peak * lambda(k - 1): the first update has lr 0 and
// the peak comes at update warmup_steps + 1.
double LrForUpdate(int64_t update, double peak_lr, int64_t warmup_steps, int64_t decay_steps);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_LR_SCHEDULE_H_
