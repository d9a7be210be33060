#include "sgctl/run_timing.h"

#include <algorithm>
#include <vector>

#include "common/run_config.h"
#include "sgctl/views.h"

namespace sg {
namespace ctl {

std::map<std::string, int64_t> StepsByCell(const std::vector<v1::Run>& runs,
                                           std::ostream* notes) {
  std::map<std::string, int64_t> steps;
  std::map<std::string, std::string> unreadable;  // cell -> why its config could not be read
  for (const v1::Run& run : runs) {
    const std::string cell = ConfigText(run);
    if (steps.count(cell) != 0) continue;
    absl::StatusOr<RunConfig> config = ParseRunConfigJson(run.resolved_config_json());
    if (config.ok()) {
      steps[cell] = config->train.steps;
      unreadable.erase(cell);
    } else {
      unreadable.emplace(cell, std::string(config.status().message()));
    }
  }
  if (!unreadable.empty() && notes != nullptr) {
    const auto& [cell, why] = *unreadable.begin();
    *notes << "sgctl: note: no ETAs for " << unreadable.size() << " grid cell"
           << (unreadable.size() == 1 ? "" : "s") << " (e.g. '" << cell
           << "'): the coordinator sent no readable resolved config (" << why << ")\n";
  }
  return steps;
}

ProgressContext ProgressContextFor(const std::vector<v1::Run>& runs, int64_t now_ms,
                                   std::ostream* notes) {
  ProgressContext context;
  context.now_ms = now_ms;
  context.steps_by_cell = StepsByCell(runs, notes);
  return context;
}

RunTiming TimingOf(const v1::Run& run, const ProgressContext& context) {
  RunTiming timing;
  auto it = context.steps_by_cell.find(ConfigText(run));
  if (it != context.steps_by_cell.end()) timing.total_steps = it->second;
  if (run.state() != v1::RUN_STATE_RUNNING) return timing;
  if (run.steps_per_second() > 0) {
    timing.steps_per_second = run.steps_per_second();
    if (timing.total_steps) {
      const int64_t left = std::max<int64_t>(0, *timing.total_steps - run.step());
      timing.eta_seconds = static_cast<double>(left) / run.steps_per_second();
    }
  }
  if (context.now_ms > 0 && run.last_heartbeat_ms() > 0) {
    // A clock slightly behind the coordinator's would give a negative age; say 0.
    timing.heartbeat_age_seconds =
        std::max<double>(0, static_cast<double>(context.now_ms - run.last_heartbeat_ms()) / 1000);
  }
  return timing;
}

}  // namespace ctl
}  // namespace sg
