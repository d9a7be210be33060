#include "trainer/model/lr_schedule.h"

#include <algorithm>

namespace sg {

double LrLambda(int64_t s, int64_t warmup_steps, int64_t decay_steps) {
  if (s < warmup_steps) {
    return static_cast<double>(s) / static_cast<double>(std::max<int64_t>(1, warmup_steps));
  }
  const double span = static_cast<double>(std::max<int64_t>(1, decay_steps - warmup_steps));
  return std::max(0.0, static_cast<double>(decay_steps - s) / span);
}

double LrForUpdate(int64_t update, double peak_lr, int64_t warmup_steps, int64_t decay_steps) {
  return peak_lr * LrLambda(update - 1, warmup_steps, decay_steps);
}

}  // namespace sg
