#include "sgctl/watch_view.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sgctl/output.h"
#include "sgctl/views.h"

namespace sg {
namespace ctl {
namespace {

// Accumulates runs into a GroupProgress; Finish() turns the sums into means.
struct Accumulator {
  GroupProgress group;
  double step_sum = 0;
  double fraction_sum = 0;
  bool all_steps_known = true;
  bool steps_agree = true;

  void Add(const v1::Run& run, std::optional<int64_t> steps) {
    ++group.total;
    switch (run.state()) {
      case v1::RUN_STATE_QUEUED: ++group.queued; break;
      case v1::RUN_STATE_RUNNING: ++group.running; break;
      case v1::RUN_STATE_SUCCEEDED: ++group.succeeded; break;
      case v1::RUN_STATE_FAILED: ++group.failed; break;
      case v1::RUN_STATE_CANCELLED: ++group.cancelled; break;
      default: break;
    }
    step_sum += static_cast<double>(run.step());
    if (!steps || *steps <= 0) {
      all_steps_known = false;
      steps_agree = false;
      return;
    }
    if (group.total == 1) {
      group.steps = steps;
    } else if (group.steps != steps) {
      steps_agree = false;
    }
    fraction_sum += run.state() == v1::RUN_STATE_SUCCEEDED
                        ? 1.0
                        : std::min(1.0, static_cast<double>(run.step()) / *steps);
  }

  GroupProgress Finish() {
    if (group.total > 0) {
      group.mean_step = step_sum / group.total;
      group.fraction = all_steps_known ? fraction_sum / group.total
                                       : static_cast<double>(group.done()) / group.total;
    }
    if (!steps_agree) group.steps.reset();
    return group;
  }
};

int Percent(double fraction) {
  return static_cast<int>(std::floor(std::clamp(fraction, 0.0, 1.0) * 100 + 1e-9));
}

std::string Bar(double fraction, int width) {
  const int filled =
      static_cast<int>(std::floor(std::clamp(fraction, 0.0, 1.0) * width + 1e-9));
  return absl::StrCat("[", std::string(filled, '#'), std::string(width - filled, '.'), "]");
}

std::string BarLine(const GroupProgress& g, size_t label_width, int bar_width) {
  std::string percent = absl::StrCat(Percent(g.fraction), "%");
  std::string line = absl::StrCat(g.label, std::string(label_width - g.label.size(), ' '), "  ",
                                  Bar(g.fraction, bar_width), "  ",
                                  std::string(4 - std::min<size_t>(4, percent.size()), ' '),
                                  percent, "  done ", g.done(), "/", g.total);
  if (g.running > 0) absl::StrAppend(&line, "  running ", g.running);
  if (g.failed > 0) absl::StrAppend(&line, "  failed ", g.failed);
  if (g.cancelled > 0) absl::StrAppend(&line, "  cancelled ", g.cancelled);
  const std::string mean = CompactStep(static_cast<int64_t>(std::llround(g.mean_step)));
  absl::StrAppend(&line, "  mean step ", mean);
  if (g.steps) absl::StrAppend(&line, "/", CompactStep(*g.steps));
  return line;
}

nlohmann::json GroupJson(const GroupProgress& g) {
  return {{"label", g.label},
          {"total", g.total},
          {"done", g.done()},
          {"queued", g.queued},
          {"running", g.running},
          {"succeeded", g.succeeded},
          {"failed", g.failed},
          {"cancelled", g.cancelled},
          {"mean_step", g.mean_step},
          {"steps", g.steps ? nlohmann::json(*g.steps) : nlohmann::json(nullptr)},
          {"fraction", g.fraction}};
}

// ", about 6m45s left" while the sweep runs and its ETA is known; "" otherwise.
std::string EtaText(const SweepProgress& progress) {
  if (progress.ended() || !progress.eta_seconds) return "";
  return absl::StrCat(", about ", FormatDuration(*progress.eta_seconds), " left");
}

}  // namespace

SweepProgress BuildProgress(const v1::Sweep& sweep, const std::vector<v1::Run>& runs,
                            const std::map<std::string, int64_t>& steps_by_cell) {
  std::vector<std::string> order;
  std::map<std::string, Accumulator> cells;
  Accumulator overall;
  overall.group.label = "overall";
  for (const v1::Run& run : runs) {
    const std::string key = ConfigText(run);
    std::optional<int64_t> steps;
    auto it = steps_by_cell.find(key);
    if (it != steps_by_cell.end()) steps = it->second;
    if (cells.count(key) == 0) {
      order.push_back(key);
      cells[key].group.label = key.empty() ? "(all)" : key;
    }
    cells[key].Add(run, steps);
    overall.Add(run, steps);
  }
  SweepProgress progress;
  progress.name = sweep.name();
  progress.sweep_id = sweep.sweep_id();
  for (const std::string& key : order) progress.cells.push_back(cells[key].Finish());
  progress.overall = overall.Finish();
  return progress;
}

std::string ProgressBlock(const SweepProgress& progress, int bar_width) {
  size_t label_width = progress.overall.label.size();
  for (const GroupProgress& g : progress.cells) label_width = std::max(label_width, g.label.size());
  const GroupProgress& o = progress.overall;
  std::string out = absl::StrCat("sweep ", progress.name, " (id ", progress.sweep_id, "): ",
                                 o.done(), "/", o.total, " runs done, ", o.running,
                                 " running, ", o.queued, " queued", EtaText(progress),
                                 progress.ended() ? " - ended" : "", "\n");
  for (const GroupProgress& g : progress.cells) {
    absl::StrAppend(&out, BarLine(g, label_width, bar_width), "\n");
  }
  absl::StrAppend(&out, BarLine(o, label_width, bar_width), "\n");
  return out;
}

std::string ProgressLine(const SweepProgress& progress) {
  const GroupProgress& o = progress.overall;
  return absl::StrCat("sweep ", progress.name, " (id ", progress.sweep_id, "): ",
                      Percent(o.fraction), "% of steps, ", o.done(), "/", o.total,
                      " runs done (succeeded ", o.succeeded, ", failed ", o.failed,
                      ", cancelled ", o.cancelled, "), running ", o.running, ", queued ",
                      o.queued, EtaText(progress), "\n");
}

nlohmann::json ProgressJson(const SweepProgress& progress) {
  nlohmann::json cells = nlohmann::json::array();
  for (const GroupProgress& g : progress.cells) cells.push_back(GroupJson(g));
  return {{"sweep_id", progress.sweep_id},
          {"name", progress.name},
          {"ended", progress.ended()},
          {"eta_seconds", progress.eta_seconds && !progress.ended()
                              ? nlohmann::json(*progress.eta_seconds)
                              : nlohmann::json()},
          {"overall", GroupJson(progress.overall)},
          {"cells", cells}};
}

std::string Redraw(const std::string& block, int previous_lines) {
  std::string out;
  if (previous_lines > 0) absl::StrAppend(&out, "\x1b[", previous_lines, "A");
  for (absl::string_view line : absl::StrSplit(block, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&out, "\x1b[2K", line, "\n");
  }
  absl::StrAppend(&out, "\x1b[J");
  return out;
}

absl::Status WatchOutcome(const SweepProgress& progress, const std::vector<v1::Run>& runs) {
  const GroupProgress& o = progress.overall;
  if (o.failed == 0 && o.cancelled == 0) return absl::OkStatus();
  constexpr size_t kListed = 10;
  std::vector<std::string> listed;
  size_t bad = 0;
  for (const v1::Run& run : runs) {
    if (run.state() != v1::RUN_STATE_FAILED && run.state() != v1::RUN_STATE_CANCELLED) continue;
    if (++bad > kListed) continue;
    std::string cell = ConfigText(run);
    std::string text = absl::StrCat("run ", run.run_id(), " (", cell.empty() ? "" : cell + ", ",
                                    "seed ", run.seed(), ") ", RunStateName(run.state()));
    if (!run.last_error().empty()) absl::StrAppend(&text, ": ", run.last_error());
    listed.push_back(std::move(text));
  }
  std::string message = absl::StrCat("sweep ", progress.name, " ended with ", o.failed,
                                     " failed and ", o.cancelled, " cancelled of ", o.total,
                                     " runs: ", absl::StrJoin(listed, "; "));
  if (bad > kListed) absl::StrAppend(&message, "; and ", bad - kListed, " more");
  absl::StrAppend(&message, " ('sgctl runs ", progress.name, " --state ",
                  o.failed > 0 ? "failed" : "cancelled", "' lists them)");
  return absl::AbortedError(message);
}

}  // namespace ctl
}  // namespace sg
