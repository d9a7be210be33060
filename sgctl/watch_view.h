// `sgctl watch`: a sweep's progress per grid cell and overall, as a block of progress bars
// (redrawn in place on a terminal), one line per poll (elsewhere) or a JSON object per poll,
// and the verdict once the sweep has ended. Pure functions, unit-tested in watch_view_test.cc;
// the polling loop is in watch_commands.cc.
#ifndef SG_SGCTL_WATCH_VIEW_H_
#define SG_SGCTL_WATCH_VIEW_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "sg/v1/sg.pb.h"

namespace sg {
namespace ctl {

// Progress of a set of runs (one grid cell, or the whole sweep).
struct GroupProgress {
  std::string label;  // "depth=6", "(all)" for a grid without axes, "overall"
  int64_t total = 0;
  int64_t queued = 0, running = 0, succeeded = 0, failed = 0, cancelled = 0;
  double mean_step = 0;          // mean last reported step over the runs
  std::optional<int64_t> steps;  // the cell's train.steps (overall: when every cell agrees)
  // In [0, 1]: the mean over runs of step/steps, a succeeded run counting as complete. When
  // `steps` is unknown for some run: the fraction of runs that ended.
  double fraction = 0;

  int64_t done() const { return succeeded + failed + cancelled; }
};

struct SweepProgress {
  std::string name;
  int64_t sweep_id = 0;
  std::vector<GroupProgress> cells;  // in the order the runs are listed (expansion order)
  GroupProgress overall;
  // When the sweep should end at the rate its running runs train at now (SweepTimingOf,
  // run_timing.h); unset when unknown. Set by the caller: BuildProgress leaves it unset.
  std::optional<double> eta_seconds;
  // No run is queued or running (a sweep without runs has ended too).
  bool ended() const { return overall.queued == 0 && overall.running == 0; }
};

// `steps_by_cell`: ProgressContextFor(runs, ...).steps_by_cell (run_timing.h); may be empty.
SweepProgress BuildProgress(const v1::Sweep& sweep, const std::vector<v1::Run>& runs,
                            const std::map<std::string, int64_t>& steps_by_cell);

// A title line, then one bar per cell and one overall, labels aligned, e.g.
//   depth=2  [##########..........]  50%  done 3/10  running 2  step 150k/300k
std::string ProgressBlock(const SweepProgress& progress, int bar_width);

// One line, for a log or a pipe:
//   sweep qf (id 3): 50% of steps, 3/10 runs done (succeeded 3, failed 0, cancelled 0),
//   running 2, queued 5, about 6m45s left
// (the ETA, in the block's title line too, while the sweep runs and its ETA is known)
std::string ProgressLine(const SweepProgress& progress);

// The same numbers as a JSON object (sweep_id, name, ended, eta_seconds or null, overall,
// cells).
nlohmann::json ProgressJson(const SweepProgress& progress);

// What to write to a terminal to replace the `previous_lines` lines just printed with `block`:
// cursor up, each line cleared before it is written, and the rest of the screen cleared.
std::string Redraw(const std::string& block, int previous_lines);

// OK when no run failed or was cancelled; otherwise kAborted naming the sweep, the counts and
// (up to 10) the runs with their cell, seed and last error.
absl::Status WatchOutcome(const SweepProgress& progress, const std::vector<v1::Run>& runs);

}  // namespace ctl
}  // namespace sg

#endif  // SG_SGCTL_WATCH_VIEW_H_
