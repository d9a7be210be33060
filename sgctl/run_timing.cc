#include "sgctl/run_timing.h"

#include <algorithm>
#include <vector>

#include "common/status_macros.h"
#include "common/sweep_spec.h"
#include "sgctl/views.h"

namespace sg {
namespace ctl {

absl::StatusOr<std::map<std::string, int64_t>> StepsByCell(const std::string& spec_yaml) {
  SG_ASSIGN_OR_RETURN(SweepSpec spec, ParseSweepSpec(spec_yaml, "the sweep's stored spec"));
  std::map<std::string, int64_t> steps;
  for (const GridCell& cell : ExpandGrid(spec)) {
    SG_ASSIGN_OR_RETURN(TrainConfig config, ApplyCell(spec.train, cell));
    steps[CellKey(cell)] = config.steps;
  }
  return steps;
}

ProgressContext ProgressContextFor(const v1::Sweep& sweep, int64_t now_ms, std::ostream* notes) {
  ProgressContext context;
  context.now_ms = now_ms;
  absl::StatusOr<std::map<std::string, int64_t>> steps = StepsByCell(sweep.spec_yaml());
  if (steps.ok()) {
    context.steps_by_cell = *std::move(steps);
  } else if (notes != nullptr) {
    *notes << "sgctl: note: no ETAs for sweep " << sweep.name()
           << ": its stored spec does not parse here (" << steps.status().message() << ")\n";
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

}  // namespace ctl
}  // namespace sg
