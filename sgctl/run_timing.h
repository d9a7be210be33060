// Progress of running runs as a person reads it: speed, time left, heartbeat age. The server
// reports each run's step and speed; how many steps a run trains is its stored resolved config's
// train.steps (Run.resolved_config_json, fixed at submit; the grid cell may change `steps`), so
// the ETA is computed here without parsing the sweep's YAML. Pure functions of their inputs (the
// current time is a parameter), unit-tested in run_timing_test.cc.
#ifndef SG_SGCTL_RUN_TIMING_H_
#define SG_SGCTL_RUN_TIMING_H_

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sg/v1/sg.pb.h"

namespace sg {
namespace ctl {

// What timing needs beyond the runs themselves.
struct ProgressContext {
  int64_t now_ms = 0;  // 0: unknown, so no heartbeat ages
  // CellKey (as ConfigText(run) writes it) -> the cell's train.steps. A cell missing here has
  // no ETA.
  std::map<std::string, int64_t> steps_by_cell;
  // CellKey -> multiply-adds of one model-step of the cell (common/pack_cost.h, the claim
  // order's unit), for the sweep's remaining work. A cell missing here is not priced.
  std::map<std::string, double> step_cost_by_cell;
};

// The context for `runs` (of one sweep) at `now_ms`: each grid cell's `steps` and step cost
// from its runs' stored configs (ParseRunConfigJson of Run.resolved_config_json, read once per
// cell). A cell none of whose runs carries a readable config is left out (no ETA, not
// priced), and `notes` (may be null) gets one line saying how many cells and why.
ProgressContext ProgressContextFor(const std::vector<v1::Run>& runs, int64_t now_ms,
                                   std::ostream* notes);

// The derived timing of one run. Unset values are unknown or not applicable.
struct RunTiming {
  std::optional<int64_t> total_steps;           // the cell's steps, when known
  std::optional<double> steps_per_second;       // running runs reporting a speed > 0
  std::optional<double> eta_seconds;            // (total - step) / speed, running runs only
  std::optional<double> heartbeat_age_seconds;  // now - last heartbeat, running runs only
};

RunTiming TimingOf(const v1::Run& run, const ProgressContext& context);

// When the whole sweep should end if the running packs keep their speed: the multiply-adds its
// queued and running runs have left (a queued run resumes from its checkpoint), over the
// multiply-adds per second its running runs train at now (each run's steps/s x its cell's
// step cost). An estimate: the rate falls in a grid's tail, when fewer packs are left than
// devices, and evaluations are not counted.
struct SweepTiming {
  int64_t unfinished_runs = 0;         // queued or running
  int64_t unpriced_runs = 0;           // of those, runs whose cell has no readable config
  double remaining_multiply_adds = 0;  // over the priced unfinished runs
  double multiply_adds_per_second = 0;           // over the running runs reporting a speed
  std::optional<double> eta_seconds;             // remaining / rate, when the rate is > 0
};

SweepTiming SweepTimingOf(const std::vector<v1::Run>& runs, const ProgressContext& context);

}  // namespace ctl
}  // namespace sg

#endif  // SG_SGCTL_RUN_TIMING_H_
