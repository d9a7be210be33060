#include "sgctl/run_timing.h"

#include <algorithm>
#include <vector>

#include "common/pack_cost.h"
#include "common/run_config.h"
#include "sgctl/views.h"

namespace sg {
namespace ctl {

namespace {

// Each cell's config, read once from the first of its runs that carries a readable one; a line
// on `notes` for the cells none of whose runs does.
std::map<std::string, RunConfig> ConfigByCell(const std::vector<v1::Run>& runs,
                                              std::ostream* notes) {
  std::map<std::string, RunConfig> configs;
  std::map<std::string, std::string> unreadable;  // cell -> why its config could not be read
  for (const v1::Run& run : runs) {
    const std::string cell = ConfigText(run);
    if (configs.count(cell) != 0) continue;
    absl::StatusOr<RunConfig> config = ParseRunConfigJson(run.resolved_config_json());
    if (config.ok()) {
      configs.emplace(cell, *std::move(config));
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
  return configs;
}

}  // namespace

ProgressContext ProgressContextFor(const std::vector<v1::Run>& runs, int64_t now_ms,
                                   std::ostream* notes) {
  ProgressContext context;
  context.now_ms = now_ms;
  for (const auto& [cell, config] : ConfigByCell(runs, notes)) {
    context.steps_by_cell[cell] = config.train.steps;
    RunCostInputs one_step = RunCostInputsOf(config, /*resume_step=*/0);
    one_step.steps_left = 1;
    context.step_cost_by_cell[cell] = ExpectedRunCost(one_step);
  }
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

SweepTiming SweepTimingOf(const std::vector<v1::Run>& runs, const ProgressContext& context) {
  SweepTiming timing;
  for (const v1::Run& run : runs) {
    const bool running = run.state() == v1::RUN_STATE_RUNNING;
    if (!running && run.state() != v1::RUN_STATE_QUEUED) continue;
    ++timing.unfinished_runs;
    const std::string cell = ConfigText(run);
    auto cost = context.step_cost_by_cell.find(cell);
    auto steps = context.steps_by_cell.find(cell);
    if (cost == context.step_cost_by_cell.end() || steps == context.steps_by_cell.end()) {
      ++timing.unpriced_runs;
      continue;
    }
    // A queued run trains again from its checkpoint, whatever step it last reported.
    const int64_t from = running ? run.step() : run.checkpoint_step();
    timing.remaining_multiply_adds +=
        cost->second * static_cast<double>(std::max<int64_t>(0, steps->second - from));
    if (running && run.steps_per_second() > 0) {
      timing.multiply_adds_per_second += cost->second * run.steps_per_second();
    }
  }
  if (timing.multiply_adds_per_second > 0) {
    timing.eta_seconds = timing.remaining_multiply_adds / timing.multiply_adds_per_second;
  }
  return timing;
}

}  // namespace ctl
}  // namespace sg
