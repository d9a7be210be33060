#include "sgctl/views.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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
          {"cancelled_runs", s.cancelled_runs()},
          {"tags", std::vector<std::string>(s.tags().begin(), s.tags().end())},
          {"notes", s.notes()}};
}

std::string TagsText(const v1::Sweep& s) { return absl::StrJoin(s.tags(), ","); }

// The notes' first line, at most 40 characters, for a table column ("..." marks a cut line
// or further lines).
std::string NotesSummary(const std::string& notes) {
  const size_t end = notes.find('\n');
  std::string line = notes.substr(0, end);
  const bool more = end != std::string::npos && end + 1 < notes.size();
  if (line.size() > 40) return line.substr(0, 37) + "...";
  return more ? line + " ..." : line;
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

nlohmann::json OptionalJson(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

std::string OptionalText(const std::optional<double>& v, std::string (*format)(double)) {
  return v ? format(*v) : "-";
}

// CSV and the machine-readable table: seconds, empty when unknown.
std::string OptionalCsv(const std::optional<double>& v) { return v ? FormatCellValue(*v) : ""; }

nlohmann::json ChangeJson(const v1::RunChange& c) {
  return {{"change_id", c.change_id()},     {"run_id", c.run_id()},
          {"at_ms", c.at_ms()},             {"actor", c.actor()},
          {"role", c.role()},               {"action", c.action()},
          {"from_step", c.from_step()},     {"steps_before", c.steps_before()},
          {"steps_after", c.steps_after()}, {"state_before", RunStateName(c.state_before())},
          {"state_after", RunStateName(c.state_after())}, {"detail", c.detail()}};
}

// "extend 200->400 at step 200 by alice": one change in a table cell.
std::string ChangeText(const v1::RunChange& c) {
  std::string text = c.action();
  if (c.steps_before() != c.steps_after()) {
    absl::StrAppend(&text, " ", c.steps_before(), "->", c.steps_after());
  }
  absl::StrAppend(&text, " at step ", c.from_step(), " by ",
                  c.actor().empty() ? "anonymous" : c.actor());
  return text;
}

std::string SpeedText(double v) { return FormatFixed(v, 1); }
std::string AgeText(double v) { return FormatDuration(v) + " ago"; }

// The timing fields every per-run JSON object carries.
void AddTimingJson(const v1::Run& r, const RunTiming& t, nlohmann::json& out) {
  out["steps_per_second"] = r.steps_per_second();
  out["eta_seconds"] = OptionalJson(t.eta_seconds);
  out["worker_id"] = r.worker_id();
  out["heartbeat_age_seconds"] = OptionalJson(t.heartbeat_age_seconds);
  out["checkpoint_step"] = r.checkpoint_step();
  out["total_steps"] = t.total_steps ? nlohmann::json(*t.total_steps) : nlohmann::json(nullptr);
}

// The run's stored resolved config as a JSON object (null when it has none or it does not
// parse): the document itself, not a string holding it.
nlohmann::json ResolvedConfigJson(const v1::Run& r) {
  if (r.resolved_config_json().empty()) return nullptr;
  nlohmann::json config =
      nlohmann::json::parse(r.resolved_config_json(), nullptr, /*allow_exceptions=*/false);
  return config.is_object() ? config : nlohmann::json(nullptr);
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
    // What exists, and the commands that continue it: a name is never re-queued by a submit.
    std::vector<std::string> counts;
    for (const auto& [n, state] : std::vector<std::pair<int64_t, const char*>>{
             {s.queued(), "queued"}, {s.running(), "running"}, {s.succeeded(), "succeeded"},
             {s.failed(), "failed"}, {s.cancelled_runs(), "cancelled"}}) {
      if (n > 0) counts.push_back(absl::StrCat(n, " ", state));
    }
    const bool live = s.queued() + s.running() > 0;
    view.text = absl::StrCat(
        "sweep ", s.name(), " already exists (id ", s.sweep_id(), ", ", s.total_runs(),
        " runs); returned it unchanged, nothing new queued.\n",
        "  it is ", live ? "in progress" : "finished", s.cancelled() ? " (cancelled)" : "", ": ",
        counts.empty() ? "no runs" : absl::StrJoin(counts, ", "), "\n",
        "  to train its runs longer: sgctl extend ", s.name(), " --steps N [--cell AXIS=V,...]\n",
        "  to queue its failed or cancelled runs again: sgctl retry ", s.name(),
        " [--failed] [--cancelled] [--run R]\n",
        "  to submit this spec as a new sweep: give it another name\n");
  }
  return view;
}

View SweepsView(const v1::ListSweepsResponse& response) {
  View view;
  view.json = nlohmann::json::array();
  view.table.columns = {"id",      "name",      "task",   "runs",      "queued", "running",
                        "succeeded", "failed", "cancelled", "created", "tags", "notes"};
  Table text;
  text.columns = view.table.columns;
  for (const v1::Sweep& s : response.sweeps()) {
    view.json.push_back(SweepJson(s));
    std::vector<std::string> row = {
        absl::StrCat(s.sweep_id()),   s.name() + (s.cancelled() ? " (cancelled)" : ""),
        s.task(),                     absl::StrCat(s.total_runs()),
        absl::StrCat(s.queued()),     absl::StrCat(s.running()),
        absl::StrCat(s.succeeded()),  absl::StrCat(s.failed()),
        absl::StrCat(s.cancelled_runs()), FormatTimeMillis(s.created_ms()),
        TagsText(s)};
    text.rows.push_back(row);
    text.rows.back().push_back(NotesSummary(s.notes()));
    row.push_back(s.notes());
    view.table.rows.push_back(std::move(row));
  }
  view.text = RenderText(text);
  return view;
}

View SweepSpecView(const v1::Sweep& sweep) {
  View view;
  view.json = SweepJson(sweep);
  view.json["spec_yaml"] = sweep.spec_yaml();
  view.table.columns = {"id", "name", "task", "tags", "notes", "spec_yaml"};
  view.table.rows.push_back({absl::StrCat(sweep.sweep_id()), sweep.name(), sweep.task(),
                             TagsText(sweep), sweep.notes(), sweep.spec_yaml()});
  view.text = sweep.spec_yaml();
  if (!view.text.empty() && view.text.back() != '\n') view.text += '\n';
  return view;
}

View SweepMetricsView(const v1::ListSweepMetricsResponse& response) {
  View view;
  view.json = nlohmann::json::array();
  view.table.columns = {"metric", "points", "runs", "last_step"};
  for (const v1::SweepMetric& m : response.metrics()) {
    view.json.push_back({{"metric", m.metric()},
                         {"points", m.points()},
                         {"runs", m.runs()},
                         {"last_step", m.last_step()}});
    view.table.rows.push_back({m.metric(), absl::StrCat(m.points()), absl::StrCat(m.runs()),
                               absl::StrCat(m.last_step())});
  }
  if (response.metrics().empty()) view.text = "no metrics recorded yet\n";
  return view;
}

namespace {

// "remaining: 30 runs, 8.1e+15 multiply-adds; at the running runs' 2.0e+13 a second, about
// 6m45s": the sweep's ETA line, or why it has none.
std::string RemainingText(const SweepTiming& left) {
  std::string text = absl::StrFormat("remaining: %d run%s", left.unfinished_runs,
                                     left.unfinished_runs == 1 ? "" : "s");
  if (left.unpriced_runs == left.unfinished_runs) {
    return text + " (no readable resolved config: no estimate)\n";
  }
  absl::StrAppend(&text, absl::StrFormat(", %.3g multiply-adds", left.remaining_multiply_adds));
  if (left.unpriced_runs > 0) {
    absl::StrAppend(&text, " (", left.unpriced_runs, " without a readable config not counted)");
  }
  if (left.eta_seconds) {
    absl::StrAppend(&text,
                    absl::StrFormat("; at the running runs' %.3g a second, about %s (an "
                                    "estimate: the rate falls when fewer packs are left than "
                                    "devices)",
                                    left.multiply_adds_per_second,
                                    FormatDuration(*left.eta_seconds)));
  } else {
    absl::StrAppend(&text, "; no ETA until a running run reports its speed");
  }
  return text + "\n";
}

}  // namespace

View StatusView(const v1::Sweep& sweep, const std::vector<v1::Run>& runs,
                const ProgressContext& progress) {
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
  // The running runs, for a person.
  Table running;
  running.columns = {"cell", "seed", "run_id", "step", "of",       "steps/s",
                     "eta",  "worker", "heartbeat", "checkpoint"};
  view.table.columns = {"cell",   "seed",     "run_id",           "state",
                        "step",   "attempts", "steps_per_second", "eta_seconds",
                        "worker", "heartbeat_age_seconds", "checkpoint_step"};
  for (const std::string& cell : cells) {
    std::vector<const v1::Run*> cell_runs = by_cell[cell];
    std::sort(cell_runs.begin(), cell_runs.end(),
              [](const v1::Run* a, const v1::Run* b) { return a->seed() < b->seed(); });
    std::vector<std::string> row(seeds.size() + 1, "-");
    row[0] = cell.empty() ? "(all)" : cell;
    nlohmann::json runs_json = nlohmann::json::array();
    for (const v1::Run* run : cell_runs) {
      const RunTiming timing = TimingOf(*run, progress);
      size_t column = std::find(seeds.begin(), seeds.end(), run->seed()) - seeds.begin() + 1;
      row[column] = run->step() > 0
                        ? absl::StrCat(StateCode(run->state()), " ", CompactStep(run->step()))
                        : StateCode(run->state());
      nlohmann::json run_json = {{"seed", run->seed()},
                                 {"run_id", run->run_id()},
                                 {"state", RunStateName(run->state())},
                                 {"step", run->step()},
                                 {"attempts", run->attempts()},
                                 {"non_finite_step", run->non_finite_step()}};
      AddTimingJson(*run, timing, run_json);
      runs_json.push_back(std::move(run_json));
      view.table.rows.push_back(
          {cell, absl::StrCat(run->seed()), absl::StrCat(run->run_id()),
           RunStateName(run->state()), absl::StrCat(run->step()), absl::StrCat(run->attempts()),
           OptionalCsv(timing.steps_per_second),
           OptionalCsv(timing.eta_seconds), run->worker_id(),
           OptionalCsv(timing.heartbeat_age_seconds),
           absl::StrCat(run->checkpoint_step())});
      if (run->state() == v1::RUN_STATE_RUNNING) {
        running.rows.push_back(
            {row[0], absl::StrCat(run->seed()), absl::StrCat(run->run_id()),
             CompactStep(run->step()),
             timing.total_steps ? CompactStep(*timing.total_steps) : "-",
             OptionalText(timing.steps_per_second, SpeedText),
             OptionalText(timing.eta_seconds, FormatDuration),
             run->worker_id().empty() ? "-" : run->worker_id(),
             OptionalText(timing.heartbeat_age_seconds, AgeText),
             run->checkpoint_step() > 0 ? CompactStep(run->checkpoint_step()) : "-"});
      }
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
  const SweepTiming left = SweepTimingOf(runs, progress);
  view.json["remaining"] = {
      {"runs", left.unfinished_runs},
      {"unpriced_runs", left.unpriced_runs},
      {"multiply_adds", left.remaining_multiply_adds},
      {"multiply_adds_per_second", left.multiply_adds_per_second},
      {"eta_seconds", left.eta_seconds ? nlohmann::json(*left.eta_seconds) : nlohmann::json()}};
  if (left.unfinished_runs > 0) absl::StrAppend(&view.text, RemainingText(left));
  if (!running.rows.empty()) absl::StrAppend(&view.text, "\nrunning:\n", RenderText(running));
  return view;
}

View RunsView(const std::vector<v1::Run>& runs, const ProgressContext& progress) {
  View view;
  view.json = nlohmann::json::array();
  Table text;
  text.columns = {"run_id",    "sweep_id",   "cell",       "seed",     "state",
                  "step",      "steps/s",    "eta",        "attempts", "worker",
                  "heartbeat", "checkpoint", "non_finite", "error"};
  view.table.columns = {"run_id",           "sweep_id",    "cell",     "seed",
                        "state",            "step",        "steps_per_second",
                        "eta_seconds",      "attempts",    "worker",
                        "heartbeat_age_seconds", "checkpoint", "non_finite_step", "error",
                        "last_change"};
  text.columns.push_back("last_change");
  for (const v1::Run& r : runs) {
    const RunTiming timing = TimingOf(r, progress);
    // The newest change a user made (extend, retry, cancel); the whole history is in JSON
    // ("history") and in `sgctl runs --history`.
    const std::string last_change =
        r.history().empty() ? "" : ChangeText(r.history(r.history_size() - 1));
    nlohmann::json history = nlohmann::json::array();
    for (const v1::RunChange& c : r.history()) history.push_back(ChangeJson(c));
    nlohmann::json run_json = {{"run_id", r.run_id()},
                               {"sweep_id", r.sweep_id()},
                               {"state", RunStateName(r.state())},
                               {"seed", r.seed()},
                               {"config", ConfigJson(r)},
                               {"cell_key", r.cell_key()},
                               {"step", r.step()},
                               {"attempts", r.attempts()},
                               {"last_error", r.last_error()},
                               {"started_ms", r.started_ms()},
                               {"finished_ms", r.finished_ms()},
                               {"last_heartbeat_ms", r.last_heartbeat_ms()},
                               {"non_finite_step", r.non_finite_step()},
                               {"resolved_config", ResolvedConfigJson(r)},
                               {"history", history}};
    AddTimingJson(r, timing, run_json);
    view.json.push_back(std::move(run_json));
    view.table.rows.push_back(
        {absl::StrCat(r.run_id()), absl::StrCat(r.sweep_id()), ConfigText(r),
         absl::StrCat(r.seed()), RunStateName(r.state()), absl::StrCat(r.step()),
         OptionalCsv(timing.steps_per_second),
         OptionalCsv(timing.eta_seconds), absl::StrCat(r.attempts()),
         r.worker_id(), OptionalCsv(timing.heartbeat_age_seconds),
         absl::StrCat(r.checkpoint_step()), absl::StrCat(r.non_finite_step()), r.last_error(),
         last_change});
    text.rows.push_back(
        {absl::StrCat(r.run_id()), absl::StrCat(r.sweep_id()), ConfigText(r),
         absl::StrCat(r.seed()), RunStateName(r.state()), absl::StrCat(r.step()),
         OptionalText(timing.steps_per_second, SpeedText),
         OptionalText(timing.eta_seconds, FormatDuration), absl::StrCat(r.attempts()),
         r.worker_id().empty() ? "-" : r.worker_id(),
         OptionalText(timing.heartbeat_age_seconds, AgeText), absl::StrCat(r.checkpoint_step()),
         r.non_finite_step() > 0 ? absl::StrCat("at ", r.non_finite_step()) : "-",
         r.last_error(), last_change.empty() ? "-" : last_change});
  }
  view.text = RenderText(text);
  return view;
}

View WorkersView(const v1::ListWorkersResponse& response, int64_t now_ms) {
  View view;
  view.json = nlohmann::json::array();
  Table text;
  text.columns = {"worker", "hostname", "devices", "running", "heartbeat", "registered"};
  view.table.columns = {"worker_id",     "hostname",          "devices",
                        "running_runs",  "heartbeat_age_seconds", "registered_ms"};
  for (const v1::Worker& w : response.workers()) {
    nlohmann::json devices = nlohmann::json::array();
    std::vector<std::string> device_text;
    for (const v1::Device& d : w.devices()) {
      devices.push_back(
          {{"name", d.name()}, {"memory_bytes", d.memory_bytes()}, {"slots", d.slots()}});
      std::vector<std::string> parts;
      if (d.memory_bytes() > 0) parts.push_back(FormatBytes(d.memory_bytes()));
      parts.push_back(absl::StrCat(d.slots(), d.slots() == 1 ? " slot" : " slots"));
      device_text.push_back(absl::StrCat(d.name(), " (", absl::StrJoin(parts, ", "), ")"));
    }
    std::optional<double> age;
    if (now_ms > 0 && w.last_heartbeat_ms() > 0) {
      age = std::max<double>(0, static_cast<double>(now_ms - w.last_heartbeat_ms()) / 1000);
    }
    view.json.push_back({{"worker_id", w.worker_id()},
                         {"hostname", w.hostname()},
                         {"devices", devices},
                         {"running_runs", w.running_runs()},
                         {"registered_ms", w.registered_ms()},
                         {"last_heartbeat_ms", w.last_heartbeat_ms()},
                         {"heartbeat_age_seconds", OptionalJson(age)}});
    const std::string devices_joined = absl::StrJoin(device_text, "; ");
    view.table.rows.push_back({w.worker_id(), w.hostname(), devices_joined,
                               absl::StrCat(w.running_runs()), OptionalCsv(age),
                               absl::StrCat(w.registered_ms())});
    text.rows.push_back({w.worker_id(), w.hostname(),
                         devices_joined.empty() ? "-" : devices_joined,
                         absl::StrCat(w.running_runs()), OptionalText(age, AgeText),
                         FormatTimeMillis(w.registered_ms())});
  }
  view.text = response.workers().empty() ? "no workers registered\n" : RenderText(text);
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
  if (cancelled_runs > 0) {
    view.text = absl::StrCat("cancelled sweep ", sweep.sweep_id(), " (", sweep.name(), "): ",
                             cancelled_runs, " runs cancelled now\n");
  } else {
    view.text = absl::StrCat(
        "sweep ", sweep.sweep_id(), " (", sweep.name(), ") has no queued or running run (",
        sweep.succeeded(), " succeeded, ", sweep.failed(), " failed, ", sweep.cancelled_runs(),
        " cancelled): nothing to cancel, nothing changed\n");
  }
  return view;
}

namespace {

// The changes as rows: when, who (role), what, from which step, horizon and state before/after.
View ChangesView(const std::vector<v1::RunChange>& changes, const std::string& empty_text) {
  View view;
  view.json = nlohmann::json::array();
  Table text;
  text.columns = {"run_id", "at", "who", "action", "from_step", "steps", "state", "detail"};
  view.table.columns = {"run_id",      "at_ms",       "actor",        "role",
                        "action",      "from_step",   "steps_before", "steps_after",
                        "state_before", "state_after", "detail"};
  for (const v1::RunChange& c : changes) {
    view.json.push_back(ChangeJson(c));
    const std::string who = c.actor().empty() ? "anonymous"
                                              : absl::StrCat(c.actor(), " (", c.role(), ")");
    view.table.rows.push_back({absl::StrCat(c.run_id()), absl::StrCat(c.at_ms()), c.actor(),
                               c.role(), c.action(), absl::StrCat(c.from_step()),
                               absl::StrCat(c.steps_before()), absl::StrCat(c.steps_after()),
                               RunStateName(c.state_before()),
                               RunStateName(c.state_after()), c.detail()});
    text.rows.push_back(
        {absl::StrCat(c.run_id()), FormatTimeMillis(c.at_ms()), who, c.action(),
         absl::StrCat(c.from_step()),
         c.steps_before() == c.steps_after()
             ? absl::StrCat(c.steps_after())
             : absl::StrCat(c.steps_before(), "->", c.steps_after()),
         absl::StrCat(RunStateName(c.state_before()), "->", RunStateName(c.state_after())),
         c.detail()});
  }
  view.text = changes.empty() ? empty_text : RenderText(text);
  return view;
}

}  // namespace

View ExtendView(const v1::Sweep& sweep, int64_t steps, const v1::ExtendSweepResponse& response) {
  std::vector<v1::RunChange> changes(response.changes().begin(), response.changes().end());
  int64_t requeued = 0, running = 0;
  for (const v1::RunChange& c : changes) {
    requeued += c.state_before() == v1::RUN_STATE_SUCCEEDED &&
                c.state_after() == v1::RUN_STATE_QUEUED;
    running += c.state_after() == v1::RUN_STATE_RUNNING;
  }
  View view = ChangesView(changes, "");
  nlohmann::json list = view.json;
  view.json = {{"sweep_id", sweep.sweep_id()}, {"name", sweep.name()},
               {"steps", steps},               {"matched_runs", response.matched_runs()},
               {"changed_runs", changes.size()}, {"requeued_runs", requeued},
               {"changes", list}};
  const std::string table = view.text;
  view.text = absl::StrCat(
      "sweep ", sweep.sweep_id(), " (", sweep.name(), "): horizon ", steps, " for ",
      changes.size(), " of ", response.matched_runs(), " run(s)",
      changes.empty() ? " (all were at it already; nothing changed)" : "", "; ", requeued,
      " succeeded run(s) queued again to resume from their final checkpoint",
      running > 0 ? absl::StrCat("; ", running,
                                 " running run(s) train to their old horizon, then resume")
                  : "",
      "\n", table);
  return view;
}

View RetryView(const v1::Sweep& sweep, const v1::RetryRunsResponse& response) {
  std::vector<v1::RunChange> changes(response.changes().begin(), response.changes().end());
  View view = ChangesView(changes, "");
  nlohmann::json list = view.json;
  view.json = {{"sweep_id", sweep.sweep_id()},
               {"name", sweep.name()},
               {"matched_runs", response.matched_runs()},
               {"requeued_runs", changes.size()},
               {"changes", list}};
  const std::string table = view.text;
  view.text = changes.empty()
                  ? absl::StrCat("sweep ", sweep.sweep_id(), " (", sweep.name(),
                                 "): no such run to retry; nothing changed\n")
                  : absl::StrCat("sweep ", sweep.sweep_id(), " (", sweep.name(), "): ",
                                 changes.size(), " run(s) queued again with a fresh attempt "
                                 "count, each resuming from its newest checkpoint\n",
                                 table);
  return view;
}

View HistoryView(const std::vector<v1::Run>& runs) {
  std::vector<v1::RunChange> changes;
  for (const v1::Run& r : runs) changes.insert(changes.end(), r.history().begin(), r.history().end());
  std::sort(changes.begin(), changes.end(), [](const v1::RunChange& a, const v1::RunChange& b) {
    return a.change_id() < b.change_id();
  });
  return ChangesView(changes, "no run of this sweep was extended, retried or cancelled\n");
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

View CurvesView(const v1::GetCurvesResponse& response, const CurveLabels& labels) {
  // The grid axes of the runs shown, in first-seen order.
  std::vector<std::string> axes;
  for (const v1::Curve& curve : response.curves()) {
    auto run = labels.runs.find(curve.run_id());
    if (run == labels.runs.end()) continue;
    for (const v1::AxisValue& a : run->second.config()) {
      if (std::find(axes.begin(), axes.end(), a.axis()) == axes.end()) axes.push_back(a.axis());
    }
  }
  View view;
  view.json = nlohmann::json::array();
  view.table.columns = {"run_id", "sweep"};
  view.table.columns.insert(view.table.columns.end(), axes.begin(), axes.end());
  for (const char* c : {"seed", "metric", "step", "value"}) view.table.columns.push_back(c);
  view.table.value_columns = {view.table.columns.size() - 1};
  for (const v1::Curve& curve : response.curves()) {
    auto run = labels.runs.find(curve.run_id());
    const v1::Run* r = run == labels.runs.end() ? nullptr : &run->second;
    const int64_t sweep_id = curve.sweep_id() != 0 ? curve.sweep_id() : r ? r->sweep_id() : 0;
    auto name = labels.sweeps.find(sweep_id);
    const std::string sweep = name == labels.sweeps.end() ? "" : name->second;
    std::vector<std::string> head = {absl::StrCat(curve.run_id()), sweep};
    for (const std::string& axis : axes) {
      std::string value;
      if (r != nullptr) {
        for (const v1::AxisValue& a : r->config()) {
          if (a.axis() == axis) value = FormatCellValue(a.value());
        }
      }
      head.push_back(value);
    }
    head.push_back(r != nullptr ? absl::StrCat(r->seed()) : "");
    head.push_back(curve.metric());
    nlohmann::json points = nlohmann::json::array();
    for (const v1::CurvePoint& p : curve.points()) {
      points.push_back({{"step", p.step()}, {"value", JsonMetricValue(p.value())}});
      std::vector<std::string> row = head;
      row.push_back(absl::StrCat(p.step()));
      row.push_back(FormatMetricValue(p.value()));
      view.table.rows.push_back(std::move(row));
    }
    nlohmann::json object = {{"run_id", curve.run_id()}, {"sweep_id", sweep_id},
                             {"sweep", sweep}};
    object["seed"] = r != nullptr ? nlohmann::json(r->seed()) : nlohmann::json(nullptr);
    object["config"] = r != nullptr ? ConfigJson(*r) : nlohmann::json::object();
    object["metric"] = curve.metric();
    object["points"] = std::move(points);
    view.json.push_back(std::move(object));
  }
  return view;
}

}  // namespace ctl
}  // namespace sg
