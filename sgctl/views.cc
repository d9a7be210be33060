#include "sgctl/views.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/sweep_spec.h"

namespace sg {
namespace ctl {
namespace {

nlohmann::json SweepJson(const v1::Sweep& s) {
  return {{"sweep_id", s.sweep_id()},
          {"name", s.name()},
          {"task", s.task()},
          {"created_ms", s.created_ms()},
          {"cancelled", s.cancelled()},
          {"runs", s.total_runs()},
          {"queued", s.queued()},
          {"running", s.running()},
          {"succeeded", s.succeeded()},
          {"failed", s.failed()},
          {"cancelled_runs", s.cancelled_runs()}};
}

// One letter per state for the status matrix; X for cancelled (C reads like "completed").
const char* StateCode(v1::RunState state) {
  switch (state) {
    case v1::RUN_STATE_QUEUED: return "Q";
    case v1::RUN_STATE_RUNNING: return "R";
    case v1::RUN_STATE_SUCCEEDED: return "S";
    case v1::RUN_STATE_FAILED: return "F";
    case v1::RUN_STATE_CANCELLED: return "X";
    default: return "?";
  }
}

constexpr v1::RunState kStates[] = {v1::RUN_STATE_QUEUED, v1::RUN_STATE_RUNNING,
                                    v1::RUN_STATE_SUCCEEDED, v1::RUN_STATE_FAILED,
                                    v1::RUN_STATE_CANCELLED};

}  // namespace

void Emit(const View& view, OutputFormat format, std::ostream& out) {
  switch (format) {
    case OutputFormat::kJson: PrintJson(view.json, out); break;
    case OutputFormat::kCsv: out << RenderCsv(view.table); break;
    case OutputFormat::kTable: out << (view.text.empty() ? RenderText(view.table) : view.text);
  }
}

const char* RunStateName(v1::RunState state) {
  switch (state) {
    case v1::RUN_STATE_QUEUED: return "queued";
    case v1::RUN_STATE_RUNNING: return "running";
    case v1::RUN_STATE_SUCCEEDED: return "succeeded";
    case v1::RUN_STATE_FAILED: return "failed";
    case v1::RUN_STATE_CANCELLED: return "cancelled";
    default: return "unspecified";
  }
}

absl::StatusOr<v1::RunState> ParseRunState(absl::string_view name) {
  for (v1::RunState s : kStates) {
    if (name == RunStateName(s)) return s;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--state: must be one of queued, running, succeeded, failed, cancelled, got '", name, "'"));
}

nlohmann::json ConfigJson(const v1::Run& run) {
  nlohmann::json config = nlohmann::json::object();
  for (const v1::AxisValue& a : run.config()) config[a.axis()] = JsonNumber(a.value());
  return config;
}

std::string ConfigText(const v1::Run& run) {
  GridCell cell;
  for (const v1::AxisValue& a : run.config()) cell.emplace_back(a.axis(), a.value());
  return CellKey(cell);
}

View SubmitView(const v1::SubmitSweepResponse& response) {
  const v1::Sweep& s = response.sweep();
  View view;
  view.json = {{"sweep_id", s.sweep_id()}, {"name", s.name()},        {"task", s.task()},
               {"runs", s.total_runs()},   {"created", response.created()}};
  view.table.columns = {"sweep_id", "name", "task", "runs", "created"};
  view.table.rows.push_back({absl::StrCat(s.sweep_id()), s.name(), s.task(),
                             absl::StrCat(s.total_runs()), response.created() ? "true" : "false"});
  if (response.created()) {
    view.text = absl::StrCat("created sweep ", s.sweep_id(), " (", s.name(), "): ",
                             s.total_runs(), " runs queued\n");
  } else {
    view.text = absl::StrCat("sweep ", s.name(), " already exists (id ", s.sweep_id(), ", ",
                             s.total_runs(), " runs); returned it unchanged, nothing new queued\n");
  }
  return view;
}

View SweepsView(const v1::ListSweepsResponse& response) {
  View view;
  view.json = nlohmann::json::array();
  view.table.columns = {"id",      "name",   "task",      "runs",      "queued",
                        "running", "succeeded", "failed", "cancelled", "created"};
  for (const v1::Sweep& s : response.sweeps()) {
    view.json.push_back(SweepJson(s));
    view.table.rows.push_back(
        {absl::StrCat(s.sweep_id()), s.name() + (s.cancelled() ? " (cancelled)" : ""), s.task(),
         absl::StrCat(s.total_runs()), absl::StrCat(s.queued()), absl::StrCat(s.running()),
         absl::StrCat(s.succeeded()), absl::StrCat(s.failed()), absl::StrCat(s.cancelled_runs()),
         FormatTimeMillis(s.created_ms())});
  }
  return view;
}

View StatusView(const v1::Sweep& sweep, const std::vector<v1::Run>& runs) {
  // Cells in the order the server lists runs (expansion order), seeds ascending.
  std::vector<std::string> cells;
  std::map<std::string, std::vector<const v1::Run*>> by_cell;
  std::vector<int64_t> seeds;
  std::map<v1::RunState, int64_t> counts;
  for (const v1::Run& run : runs) {
    std::string key = ConfigText(run);
    if (by_cell.count(key) == 0) cells.push_back(key);
    by_cell[key].push_back(&run);
    if (std::find(seeds.begin(), seeds.end(), run.seed()) == seeds.end()) {
      seeds.push_back(run.seed());
    }
    ++counts[run.state()];
  }
  std::sort(seeds.begin(), seeds.end());

  View view;
  view.json = SweepJson(sweep);
  nlohmann::json count_json = nlohmann::json::object();
  std::vector<std::string> count_text;
  for (v1::RunState s : kStates) {
    count_json[RunStateName(s)] = counts[s];
    count_text.push_back(absl::StrCat(RunStateName(s), " ", counts[s]));
  }
  view.json["counts"] = count_json;
  nlohmann::json cells_json = nlohmann::json::array();

  // The matrix: one row per cell, one column per seed.
  Table matrix;
  matrix.columns = {"cell \\ seed"};
  for (int64_t seed : seeds) matrix.columns.push_back(absl::StrCat(seed));
  view.table.columns = {"cell", "seed", "run_id", "state", "step", "attempts"};
  for (const std::string& cell : cells) {
    std::vector<const v1::Run*> cell_runs = by_cell[cell];
    std::sort(cell_runs.begin(), cell_runs.end(),
              [](const v1::Run* a, const v1::Run* b) { return a->seed() < b->seed(); });
    std::vector<std::string> row(seeds.size() + 1, "-");
    row[0] = cell.empty() ? "(all)" : cell;
    nlohmann::json runs_json = nlohmann::json::array();
    for (const v1::Run* run : cell_runs) {
      size_t column = std::find(seeds.begin(), seeds.end(), run->seed()) - seeds.begin() + 1;
      row[column] = run->step() > 0
                        ? absl::StrCat(StateCode(run->state()), " ", CompactStep(run->step()))
                        : StateCode(run->state());
      runs_json.push_back({{"seed", run->seed()},
                           {"run_id", run->run_id()},
                           {"state", RunStateName(run->state())},
                           {"step", run->step()},
                           {"attempts", run->attempts()}});
      view.table.rows.push_back({cell, absl::StrCat(run->seed()), absl::StrCat(run->run_id()),
                                 RunStateName(run->state()), absl::StrCat(run->step()),
                                 absl::StrCat(run->attempts())});
    }
    matrix.rows.push_back(std::move(row));
    cells_json.push_back(
        {{"cell", cell}, {"config", ConfigJson(*cell_runs.front())}, {"runs", runs_json}});
  }
  view.json["cells"] = cells_json;

  view.text = absl::StrCat("sweep ", sweep.sweep_id(), " (", sweep.name(), "), task ",
                           sweep.task(), ", ", runs.size(), " runs",
                           sweep.cancelled() ? ", cancelled" : "", "\n\n");
  if (!runs.empty()) {
    absl::StrAppend(&view.text, RenderText(matrix),
                    "\nQ queued, R running, S succeeded, F failed, X cancelled; "
                    "the number is the last reported step\n");
  }
  absl::StrAppend(&view.text, "counts: ", absl::StrJoin(count_text, ", "), "\n");
  return view;
}

View RunsView(const std::vector<v1::Run>& runs) {
  View view;
  view.json = nlohmann::json::array();
  view.table.columns = {"run_id", "sweep_id", "cell",   "seed",       "state",
                        "step",   "attempts", "worker", "checkpoint", "error"};
  for (const v1::Run& r : runs) {
    view.json.push_back({{"run_id", r.run_id()},
                         {"sweep_id", r.sweep_id()},
                         {"state", RunStateName(r.state())},
                         {"seed", r.seed()},
                         {"config", ConfigJson(r)},
                         {"cell_key", r.cell_key()},
                         {"step", r.step()},
                         {"attempts", r.attempts()},
                         {"worker_id", r.worker_id()},
                         {"checkpoint_step", r.checkpoint_step()},
                         {"steps_per_second", r.steps_per_second()},
                         {"last_error", r.last_error()},
                         {"started_ms", r.started_ms()},
                         {"finished_ms", r.finished_ms()}});
    view.table.rows.push_back({absl::StrCat(r.run_id()), absl::StrCat(r.sweep_id()),
                               ConfigText(r), absl::StrCat(r.seed()), RunStateName(r.state()),
                               absl::StrCat(r.step()), absl::StrCat(r.attempts()), r.worker_id(),
                               absl::StrCat(r.checkpoint_step()), r.last_error()});
  }
  return view;
}

View CancelSweepView(const v1::Sweep& sweep, int64_t cancelled_runs) {
  View view;
  view.json = {{"sweep_id", sweep.sweep_id()},
               {"name", sweep.name()},
               {"cancelled_runs", cancelled_runs}};
  view.table.columns = {"sweep_id", "name", "cancelled_runs"};
  view.table.rows.push_back(
      {absl::StrCat(sweep.sweep_id()), sweep.name(), absl::StrCat(cancelled_runs)});
  view.text = absl::StrCat("cancelled sweep ", sweep.sweep_id(), " (", sweep.name(), "): ",
                           cancelled_runs, " runs cancelled now\n");
  return view;
}

View CancelRunView(int64_t run_id, bool cancelled) {
  View view;
  view.json = {{"run_id", run_id}, {"cancelled", cancelled}};
  view.table.columns = {"run_id", "cancelled"};
  view.table.rows.push_back({absl::StrCat(run_id), cancelled ? "true" : "false"});
  view.text = cancelled ? absl::StrCat("cancelled run ", run_id, "\n")
                        : absl::StrCat("run ", run_id, " had already ended; nothing to cancel\n");
  return view;
}

View CurvesView(const v1::GetCurvesResponse& response) {
  View view;
  view.json = nlohmann::json::array();
  view.table.columns = {"run_id", "metric", "step", "value"};
  for (const v1::Curve& curve : response.curves()) {
    nlohmann::json points = nlohmann::json::array();
    for (const v1::CurvePoint& p : curve.points()) {
      points.push_back({{"step", p.step()}, {"value", p.value()}});
      view.table.rows.push_back({absl::StrCat(curve.run_id()), curve.metric(),
                                 absl::StrCat(p.step()), FormatCellValue(p.value())});
    }
    view.json.push_back(
        {{"run_id", curve.run_id()}, {"metric", curve.metric()}, {"points", points}});
  }
  return view;
}

}  // namespace ctl
}  // namespace sg
