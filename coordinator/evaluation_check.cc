#include "coordinator/evaluation_check.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace sg {

const std::vector<std::string>& EvaluationMetrics() {
  static const std::vector<std::string>* metrics = new std::vector<std::string>{
      "val_loss", "test_loss", "val_acc", "gen_acc", "weight_norm", "weight_norm_ref"};
  return *metrics;
}

std::vector<int64_t> EvaluationSteps(const TrainConfig& config, int64_t final_step) {
  std::vector<int64_t> steps;
  if (config.eval_every < 1 || final_step < 1) return steps;
  const int64_t last = std::min(final_step, config.steps);
  for (int64_t s = config.eval_every; s <= last; s += config.eval_every) steps.push_back(s);
  if (final_step >= config.steps && (steps.empty() || steps.back() != config.steps)) {
    steps.push_back(config.steps);
  }
  return steps;
}

absl::Status CheckEvaluationsComplete(Store* store, const RunRecord& run,
                                      const TrainConfig& config, int64_t final_step) {
  const std::vector<int64_t> wanted = EvaluationSteps(config, final_step);
  if (wanted.empty()) return absl::OkStatus();
  // step -> metrics missing there.
  std::map<int64_t, std::vector<std::string>> missing;
  for (const std::string& metric : EvaluationMetrics()) {
    SG_ASSIGN_OR_RETURN(std::vector<Point> curve, store->GetCurve(run.run_id, metric));
    std::set<int64_t> have;
    for (const Point& p : curve) have.insert(p.step);
    for (int64_t s : wanted) {
      if (have.count(s) == 0) missing[s].push_back(metric);
    }
  }
  if (missing.empty()) return absl::OkStatus();
  // The message stays short whatever the hole: the first steps, then a count.
  constexpr size_t kShown = 10;
  std::vector<std::string> shown;
  for (const auto& [step, metrics] : missing) {
    if (shown.size() == kShown) break;
    shown.push_back(metrics.size() == EvaluationMetrics().size()
                        ? absl::StrCat(step)
                        : absl::StrCat(step, " (", absl::StrJoin(metrics, ","), ")"));
  }
  std::string more =
      missing.size() > kShown ? absl::StrCat(" and ", missing.size() - kShown, " more") : "";
  return absl::FailedPreconditionError(absl::StrCat(
      "run ", run.run_id, ": cannot complete at step ", final_step, ": ", missing.size(), " of ",
      wanted.size(), " evaluation steps lack evaluation metrics: missing steps ",
      absl::StrJoin(shown, ", "), more, "; send the spooled points of these steps, then "
      "CompleteJob again"));
}

}  // namespace sg
