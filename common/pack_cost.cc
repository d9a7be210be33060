#include "common/pack_cost.h"

namespace sg {

int64_t MeanRowTokens(TaskKind task) {
  switch (task) {
    case TaskKind::kDyck:
      return pack_cost::kMeanRowTokensDyck;
    case TaskKind::kTenseInflection:
      return pack_cost::kMeanRowTokensTenseInflection;
    case TaskKind::kQuestionFormation:
      break;
  }
  return pack_cost::kMeanRowTokensQuestionFormation;
}

double ExpectedRunCost(const RunCostInputs& run) {
  if (run.steps_left <= 0 || run.depth <= 0 || run.batch_size <= 0 || run.d_model <= 0 ||
      run.ff <= 0) {
    return 0;
  }
  const double d = static_cast<double>(run.d_model);
  const double t = static_cast<double>(MeanRowTokens(run.task));
  const double per_layer = 4 * d * d + 2 * d * static_cast<double>(run.ff) + 2 * t * d;
  const double outside = 2 * static_cast<double>(pack_cost::kCostIds) * d;
  const double per_token = static_cast<double>(run.depth) * per_layer + outside;
  return static_cast<double>(pack_cost::kTrainMultiplier) * static_cast<double>(run.steps_left) *
         static_cast<double>(run.batch_size) * t * per_token;
}

RunCostInputs RunCostInputsOf(const RunConfig& config, int64_t resume_step) {
  RunCostInputs in;
  in.task = config.task;
  in.depth = config.train.depth;
  in.batch_size = config.train.batch_size;
  in.d_model = config.train.d_model;
  in.ff = config.train.ff;
  in.steps_left = StepsLeft(config.train.steps, resume_step);
  return in;
}

}  // namespace sg
