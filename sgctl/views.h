// What each sgctl command shows, built from wire messages without a server: a View holds the
// JSON value (--output json), the table (--output csv, and --output table unless `text` is set)
// and, for --output table, optional free text. Pure functions: unit-tested in views_test.cc.
#ifndef SG_SGCTL_VIEWS_H_
#define SG_SGCTL_VIEWS_H_

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "sg/v1/sg.pb.h"
#include "sgctl/output.h"
#include "sgctl/run_timing.h"

namespace sg {
namespace ctl {

struct View {
  nlohmann::json json;
  Table table;
  std::string text;  // --output table: printed instead of `table` when not empty
};

// Writes the view in the chosen format.
void Emit(const View& view, OutputFormat format, std::ostream& out);

// "queued", "running", "succeeded", "failed", "cancelled" ("unspecified" for 0).
const char* RunStateName(v1::RunState state);
// The inverse, for --state; kInvalidArgument listing the five names.
absl::StatusOr<v1::RunState> ParseRunState(absl::string_view name);

// A run's grid axes: {"depth": 6} and "depth=6" ("" when the sweep has no grid).
nlohmann::json ConfigJson(const v1::Run& run);
std::string ConfigText(const v1::Run& run);

View SubmitView(const v1::SubmitSweepResponse& response);
// One row per sweep with its run counts, tags (comma-separated in the table and CSV, a list in
// JSON) and notes (the table shows their first line, cut at 40 characters).
View SweepsView(const v1::ListSweepsResponse& response);
// `sgctl get`: the stored spec. The table form prints the spec text exactly as submitted (so
// it can be saved and submitted again under a new name); JSON and CSV carry it with the sweep's
// id, name, task, tags and notes.
View SweepSpecView(const v1::Sweep& sweep);
// `sgctl metrics`: each metric the sweep has recorded with its point count, the runs that have
// it and its highest step.
View SweepMetricsView(const v1::ListSweepMetricsResponse& response);
// A cell x seed matrix of states and steps plus counts by state, and a table of the running
// runs' speed, ETA, worker, heartbeat age and checkpoint. `runs`: every run of `sweep`.
View StatusView(const v1::Sweep& sweep, const std::vector<v1::Run>& runs,
                const ProgressContext& progress = {});
// One row per run; running runs get steps/s, ETA and heartbeat age (from `progress`). The
// table text shows durations for a person; CSV and JSON carry seconds. non_finite_step (text
// "at N", "-" when 0) marks a run whose train_loss or val_loss went NaN or infinite. JSON also
// carries each run's stored config as the object `resolved_config` (null when it has none).
View RunsView(const std::vector<v1::Run>& runs, const ProgressContext& progress = {});
// Workers with their devices, running runs and heartbeat age at `now_ms`.
View WorkersView(const v1::ListWorkersResponse& response, int64_t now_ms);
View CancelSweepView(const v1::Sweep& sweep, int64_t cancelled_runs);
View CancelRunView(int64_t run_id, bool cancelled);
// What the curves' rows are labelled with: each run (its seed and grid axes) and each sweep's
// name, by id. A curve whose run is missing here gets empty labels.
struct CurveLabels {
  std::map<int64_t, v1::Run> runs;
  std::map<int64_t, std::string> sweeps;
};
// One row per point: run_id, sweep, one column per grid axis (the union over the runs, in
// first-seen order; "" where a run lacks the axis), seed, metric, step, value. JSON: one object
// per curve {run_id, sweep_id, sweep, seed, config: {axis: value}, metric, points: [{step,
// value}]}. Non-finite values: "nan", "inf", "-inf" in the table and CSV; "NaN", "Infinity",
// "-Infinity" (strings) in JSON (JsonMetricValue). The table rounds values (%.6g); CSV and JSON
// are exact.
View CurvesView(const v1::GetCurvesResponse& response, const CurveLabels& labels = {});

}  // namespace ctl
}  // namespace sg

#endif  // SG_SGCTL_VIEWS_H_
