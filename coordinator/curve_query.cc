#include "coordinator/curve_query.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "analysis/aggregate.h"
#include "analysis/downsample.h"
#include "analysis/grokking.h"
#include "analysis/grouping.h"
#include "analysis/report.h"
#include "common/run_config.h"
#include "common/status_macros.h"
#include "common/sweep_spec.h"
#include "coordinator/block_downsample.h"
#include "coordinator/curve_pages.h"
#include "coordinator/proto_convert.h"

namespace sg {

namespace {

// The group-by key that keeps sweeps apart (never a grid axis: axes are train keys).
constexpr char kSweepKey[] = "sweep";

analysis::Curve ToAnalysisCurve(const std::vector<Point>& points) {
  analysis::Curve curve;
  curve.reserve(points.size());
  for (const Point& p : points) curve.push_back(analysis::Point{p.step, p.value});
  return curve;
}

void AddAxes(const GridCell& cell, google::protobuf::RepeatedPtrField<v1::AxisValue>* out) {
  for (const auto& [axis, value] : cell) {
    v1::AxisValue* axis_value = out->Add();
    axis_value->set_axis(axis);
    axis_value->set_value(value);
  }
}

// How an answer reads each run's curve: whole (a downsampled answer needs every point), or a
// page's window of steps (a full-resolution answer is sent a page at a time, and a page reads
// only its window, so the coordinator's memory stays bounded by the page, not the curves).
struct CurveRead {
  bool windowed = false;
  int64_t start = 0;  // windowed: points with step >= start,
  int64_t limit = 0;  // at most this many (>= 1) per curve;
  // and the last point before start (a carry-forward aggregate carries it into the window).
  bool with_point_before = false;
};

// One run's curve as read.
struct ReadCurve {
  // Whole: every point. Windowed: [the point before start,] the window's points, and the first
  // point past them when the curve goes on (its step is window_end).
  std::vector<Point> points;
  int64_t window_end = std::numeric_limits<int64_t>::max();  // the first step not read
  int64_t last_step = 0;  // the curve's highest step (0: no points)
};

absl::StatusOr<ReadCurve> ReadRunCurve(Store& store, int64_t run_id, const std::string& metric,
                                       const CurveRead& read) {
  ReadCurve out;
  if (!read.windowed) {
    SG_ASSIGN_OR_RETURN(out.points, store.GetCurve(run_id, metric));
    if (!out.points.empty()) out.last_step = out.points.back().step;
    return out;
  }
  if (read.with_point_before) {
    SG_ASSIGN_OR_RETURN(std::optional<Point> before,
                        store.GetPointBefore(run_id, metric, read.start));
    if (before) out.points.push_back(*before);
  }
  SG_ASSIGN_OR_RETURN(std::vector<Point> window,
                      store.GetCurveWindow(run_id, metric, read.start, read.limit + 1));
  const bool goes_on = static_cast<int64_t>(window.size()) > read.limit;
  if (goes_on) out.window_end = window.back().step;
  if (!goes_on && !window.empty()) {
    out.last_step = window.back().step;
  } else {
    SG_ASSIGN_OR_RETURN(std::optional<Point> last,
                        store.GetPointBefore(run_id, metric, std::numeric_limits<int64_t>::max()));
    if (last) out.last_step = last->step;
  }
  out.points.insert(out.points.end(), window.begin(), window.end());
  return out;
}

// Appends the run's curve of `metric`: downsampled whole, or at full resolution the window's
// points (those in [read.start, window_end)). Lowers *window_end to where this curve's read
// stopped.
absl::Status AppendCurve(Store& store, const RunRecord& run, const std::string& metric,
                         const analysis::DownsampleOptions& downsample, const CurveRead& read,
                         int64_t* window_end, v1::GetCurvesResponse* response) {
  if (downsample.max_points > 0) {
    // From the curve's block summaries (block_downsample.h), not its every point.
    SG_ASSIGN_OR_RETURN(std::vector<PointBlock> blocks, store.GetPointBlocks(run.run_id, metric));
    SG_ASSIGN_OR_RETURN(analysis::Curve kept,
                        DownsampleFromBlocks(store, run.run_id, metric, blocks, downsample));
    v1::Curve* curve = response->add_curves();
    curve->set_run_id(run.run_id);
    curve->set_sweep_id(run.sweep_id);
    curve->set_metric(metric);
    for (const analysis::Point& p : kept) {
      v1::CurvePoint* out = curve->add_points();
      out->set_step(p.step);
      out->set_value(p.value);
    }
    return absl::OkStatus();
  }
  SG_ASSIGN_OR_RETURN(ReadCurve read_curve, ReadRunCurve(store, run.run_id, metric, read));
  std::vector<Point>& points = read_curve.points;
  *window_end = std::min(*window_end, read_curve.window_end);
  v1::Curve* curve = response->add_curves();
  curve->set_run_id(run.run_id);
  curve->set_sweep_id(run.sweep_id);
  curve->set_metric(metric);
  auto add = [curve](int64_t step, double value) {
    v1::CurvePoint* out = curve->add_points();
    out->set_step(step);
    out->set_value(value);
  };
  if (downsample.max_points == 0) {
    curve->mutable_points()->Reserve(static_cast<int>(points.size()));
    for (const Point& p : points) {
      if (p.step < read_curve.window_end) add(p.step, p.value);
    }
    return absl::OkStatus();
  }
  SG_ASSIGN_OR_RETURN(analysis::Curve kept,
                      analysis::Downsample(ToAnalysisCurve(points), downsample));
  for (const analysis::Point& p : kept) add(p.step, p.value);
  return absl::OkStatus();
}

// The sweeps a query is over, with their runs (ordered by run id).
struct QueriedSweep {
  SweepRecord sweep;
  std::vector<RunRecord> runs;
};

// `first` (when > 0) then `more`, each once, in the order given; kNotFound for an unknown id.
absl::StatusOr<std::vector<QueriedSweep>> LoadSweeps(
    Store& store, int64_t first, const google::protobuf::RepeatedField<int64_t>& more) {
  std::vector<int64_t> ids;
  if (first > 0) ids.push_back(first);
  for (int64_t id : more) {
    if (id <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("sweep_ids: every id must be > 0, got ", id));
    }
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  std::vector<QueriedSweep> out;
  for (int64_t id : ids) {
    QueriedSweep queried;
    SG_ASSIGN_OR_RETURN(queried.sweep, store.GetSweep(id));
    SG_ASSIGN_OR_RETURN(queried.runs, store.ListRuns(id, {}));
    out.push_back(std::move(queried));
  }
  return out;
}

// "sweep 3 (qf-depth)" or "sweeps 3 (qf-depth), 4 (qf-tied)".
std::string DescribeSweeps(const std::vector<QueriedSweep>& sweeps) {
  std::vector<std::string> parts;
  for (const QueriedSweep& s : sweeps) {
    parts.push_back(absl::StrCat(s.sweep.sweep_id, " (", s.sweep.name, ")"));
  }
  return absl::StrCat(sweeps.size() == 1 ? "sweep " : "sweeps ", absl::StrJoin(parts, ", "));
}

// The metrics asked for: `metric`, then `metrics`, each once.
absl::StatusOr<std::vector<std::string>> RequestedMetrics(const v1::GetCurvesRequest& request) {
  std::vector<std::string> out;
  if (!request.metric().empty()) out.push_back(request.metric());
  for (const std::string& metric : request.metrics()) {
    if (metric.empty()) {
      return absl::InvalidArgumentError("metrics: an empty name; give names such as val_acc");
    }
    if (std::find(out.begin(), out.end(), metric) == out.end()) out.push_back(metric);
  }
  if (out.empty()) {
    return absl::InvalidArgumentError("metric: required, e.g. val_acc, gen_acc or train_loss");
  }
  return out;
}

// kInvalidArgument naming every asked metric that none of `runs` has recorded, and listing
// those that were (a misspelt name is an error, not an empty answer). Reads runs' metric names
// until every asked one is seen (usually the first run), every run's only to write the error.
absl::Status CheckMetricsRecorded(Store& store, const std::vector<const RunRecord*>& runs,
                                  const std::vector<std::string>& asked, const std::string& what) {
  std::set<std::string> recorded;
  auto all_seen = [&] {
    for (const std::string& metric : asked) {
      if (recorded.count(metric) == 0) return false;
    }
    return true;
  };
  for (const RunRecord* run : runs) {
    SG_ASSIGN_OR_RETURN(std::vector<std::string> names, store.ListMetrics(run->run_id));
    recorded.insert(names.begin(), names.end());
    if (all_seen()) return absl::OkStatus();
  }
  std::vector<std::string> unknown;
  for (const std::string& metric : asked) {
    if (recorded.count(metric) == 0) unknown.push_back(absl::StrCat("'", metric, "'"));
  }
  if (unknown.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      unknown.size() == 1 ? "metric " : "metrics ", absl::StrJoin(unknown, ", "),
      ": not recorded by ", what, "; ",
      recorded.empty() ? "it has recorded no metrics yet"
                       : absl::StrCat("its metrics: ", absl::StrJoin(recorded, ", "))));
}

// Whether runs are told apart by sweep: "sweep" is a group-by key, or, grouping by every axis,
// the query spans several sweeps (a grid cell belongs to its sweep).
bool GroupsBySweep(const google::protobuf::RepeatedPtrField<std::string>& group_by,
                   size_t sweeps) {
  if (group_by.empty()) return sweeps > 1;
  return std::find(group_by.begin(), group_by.end(), kSweepKey) != group_by.end();
}

// The run's grid cell, led by {"sweep", sweep_id} when grouping by sweep.
absl::StatusOr<GridCell> GroupingCell(const RunRecord& run, bool by_sweep) {
  SG_ASSIGN_OR_RETURN(GridCell cell, ParseCell(run.cell_key));
  if (by_sweep) cell.insert(cell.begin(), {kSweepKey, static_cast<double>(run.sweep_id)});
  return cell;
}

// A group's sweep (when grouped by sweep) and its label with the sweep's name for its id:
// "sweep=qf-tied,depth=6".
struct GroupSweep {
  int64_t sweep_id = 0;
  std::string sweep;
  std::string label;
};
GroupSweep SweepOfGroup(const GridCell& group, const std::string& label,
                        const std::vector<QueriedSweep>& sweeps) {
  GroupSweep out;
  out.label = label;
  std::vector<std::string> parts;
  for (const auto& [axis, value] : group) {
    if (axis != kSweepKey) {
      parts.push_back(absl::StrCat(axis, "=", FormatCellValue(value)));
      continue;
    }
    out.sweep_id = static_cast<int64_t>(value);
    for (const QueriedSweep& s : sweeps) {
      if (s.sweep.sweep_id == out.sweep_id) out.sweep = s.sweep.name;
    }
    parts.push_back(absl::StrCat(kSweepKey, "=", out.sweep));
  }
  if (out.sweep_id != 0) out.label = absl::StrJoin(parts, ",");
  return out;
}

// Appends the aggregates of `metric`. Windowed (full resolution), each seed's curve is its
// window with the points around it (ReadRunCurve), so the statistics at the window's steps are
// those of the whole curves; the caller keeps only the window's steps. Lowers *window_end to
// the first step some seed's read stopped at.
absl::Status Aggregate(Store& store, const v1::GetCurvesRequest& request,
                       const std::vector<QueriedSweep>& sweeps, const std::string& metric,
                       const analysis::DownsampleOptions& downsample, const CurveRead& read,
                       int64_t* window_end, v1::GetCurvesResponse* response) {
  const bool by_sweep = GroupsBySweep(request.group_by(), sweeps.size());
  std::vector<analysis::SeedCurve> seeds;
  std::map<int64_t, int64_t> last_step;  // run -> its curve's highest step
  analysis::AggregateOptions options;
  options.group_by.assign(request.group_by().begin(), request.group_by().end());
  options.alignment = request.carry_forward() ? analysis::Alignment::kCarryForward
                                              : analysis::Alignment::kExactStep;
  options.max_points = downsample.max_points;
  options.log_steps = downsample.log_steps;
  std::vector<analysis::AggregateCurve> groups;
  // Downsampled: from the seeds' block summaries when the curves are long (block_downsample.h),
  // else from every point as before.
  std::map<int64_t, std::vector<PointBlock>> blocks;  // run -> its curve's blocks
  int64_t total_points = 0;
  if (downsample.max_points > 0) {
    for (const QueriedSweep& queried : sweeps) {
      for (const RunRecord& run : queried.runs) {
        SG_ASSIGN_OR_RETURN(std::vector<PointBlock> b, store.GetPointBlocks(run.run_id, metric));
        for (const PointBlock& block : b) total_points += block.points;
        last_step[run.run_id] = b.empty() ? 0 : b.back().last.step;
        blocks[run.run_id] = std::move(b);
      }
    }
  }
  const bool from_blocks = downsample.max_points > 0 && total_points > kExactDownsamplePoints;
  for (const QueriedSweep& queried : sweeps) {
    for (const RunRecord& run : queried.runs) {
      analysis::SeedCurve seed;
      seed.run_id = run.run_id;
      seed.seed = run.seed;
      SG_ASSIGN_OR_RETURN(seed.cell, GroupingCell(run, by_sweep));
      seed.finished = run.state == RunState::kSucceeded;
      if (from_blocks) {
        seeds.push_back(std::move(seed));
        continue;
      }
      SG_ASSIGN_OR_RETURN(ReadCurve curve, ReadRunCurve(store, run.run_id, metric, read));
      *window_end = std::min(*window_end, curve.window_end);
      last_step[run.run_id] = curve.last_step;
      seed.points = ToAnalysisCurve(curve.points);
      seeds.push_back(std::move(seed));
    }
  }
  if (from_blocks) {
    SG_ASSIGN_OR_RETURN(std::vector<analysis::RunGroup<analysis::SeedCurve>> grouped,
                        analysis::GroupRuns(seeds, options.group_by));
    for (analysis::RunGroup<analysis::SeedCurve>& group : grouped) {
      std::vector<const std::vector<PointBlock>*> group_blocks;
      for (const analysis::SeedCurve* seed : group.runs) {
        group_blocks.push_back(&blocks[seed->run_id]);
      }
      SG_ASSIGN_OR_RETURN(analysis::AggregateCurve curve,
                          AggregateFromBlocks(store, metric, group.runs, group_blocks, downsample));
      curve.group = std::move(group.key);
      curve.label = std::move(group.label);
      groups.push_back(std::move(curve));
    }
  } else {
    SG_ASSIGN_OR_RETURN(groups, analysis::AggregateByGroup(seeds, options));
  }
  for (const analysis::AggregateCurve& group : groups) {
    v1::AggregateCurve* out = response->add_aggregates();
    AddAxes(group.group, out->mutable_group());
    const GroupSweep sweep = SweepOfGroup(group.group, group.label, sweeps);
    out->set_label(sweep.label);
    out->set_sweep_id(sweep.sweep_id);
    out->set_sweep(sweep.sweep);
    out->set_metric(metric);
    out->set_unfinished_seeds(group.unfinished_seeds);
    for (const analysis::SeedInfo& s : group.seeds) {
      v1::AggregateSeed* seed = out->add_seeds();
      seed->set_run_id(s.run_id);
      seed->set_seed(s.seed);
      seed->set_finished(s.finished);
      seed->set_last_step(last_step[s.run_id]);
    }
    out->mutable_points()->Reserve(static_cast<int>(group.points.size()));
    for (const analysis::AggregatePoint& p : group.points) {
      v1::AggregatePoint* point = out->add_points();
      point->set_step(p.step);
      point->set_n(p.n);
      point->set_mean(p.mean);
      point->set_median(p.median);
      point->set_p10(p.p10);
      point->set_p25(p.p25);
      point->set_p75(p.p75);
      point->set_p90(p.p90);
      point->set_min(p.min);
      point->set_max(p.max);
      point->set_non_finite(p.non_finite);
    }
  }
  return absl::OkStatus();
}

// The sweep's own early-stopping rule: train.early_stop of its runs' resolved config (a string
// key, so never a grid axis: every run of a sweep has the same). "" when no run has a stored
// config.
std::string SweepEarlyStop(const std::vector<RunRecord>& runs) {
  for (const RunRecord& run : runs) {
    absl::StatusOr<RunConfig> config = ParseRunConfigJson(run.resolved_config_json);
    if (config.ok()) return config->train.early_stop;
  }
  return "";
}

// The rule the sweeps chose, when they agree; sweeps whose rules differ cannot share one report
// without the caller choosing one.
absl::StatusOr<std::string> SweepsEarlyStop(const std::vector<QueriedSweep>& sweeps) {
  std::string rule;
  const QueriedSweep* chooser = nullptr;
  for (const QueriedSweep& s : sweeps) {
    std::string own = SweepEarlyStop(s.runs);
    if (own.empty()) continue;
    if (chooser != nullptr && own != rule) {
      return absl::InvalidArgumentError(absl::StrCat(
          "early_stop: sweep ", chooser->sweep.sweep_id, " (", chooser->sweep.name,
          ") uses train.early_stop ", rule, " but sweep ", s.sweep.sweep_id, " (", s.sweep.name,
          ") uses ", own, "; name the rule to compare them under (first_best or within_0.01)"));
    }
    rule = own;
    chooser = &s;
  }
  return rule;
}

// A curve's value at its last finite point: the tree metrics' final value (their curves are
// short, one point per tree evaluation, so reading them per report is cheap).
absl::StatusOr<std::optional<double>> FinalValue(Store& store, int64_t run_id,
                                                 const std::string& metric) {
  SG_ASSIGN_OR_RETURN(std::vector<Point> curve, store.GetCurve(run_id, metric));
  for (auto it = curve.rbegin(); it != curve.rend(); ++it) {
    if (std::isfinite(it->value)) return std::optional<double>(it->value);
  }
  return std::optional<double>();
}

// The report's interval, paired, tree-metric and censored-time statistics.
void SetReportStatistics(const analysis::ReportRow& row, v1::ReportRow* out) {
  if (row.mean_final_gen_acc_ci) {
    out->set_mean_final_gen_acc_ci_low(row.mean_final_gen_acc_ci->low);
    out->set_mean_final_gen_acc_ci_high(row.mean_final_gen_acc_ci->high);
  }
  if (row.mean_gen_acc_at_early_stop_ci) {
    out->set_mean_gen_acc_at_early_stop_ci_low(row.mean_gen_acc_at_early_stop_ci->low);
    out->set_mean_gen_acc_at_early_stop_ci_high(row.mean_gen_acc_at_early_stop_ci->high);
  }
  out->set_seeds_paired(row.seeds_paired);
  if (row.mean_final_minus_early_stop) {
    out->set_mean_final_minus_early_stop_gen_acc(*row.mean_final_minus_early_stop);
  }
  if (row.mean_final_minus_early_stop_ci) {
    out->set_mean_final_minus_early_stop_gen_acc_ci_low(row.mean_final_minus_early_stop_ci->low);
    out->set_mean_final_minus_early_stop_gen_acc_ci_high(
        row.mean_final_minus_early_stop_ci->high);
  }
  if (row.median_final_minus_early_stop) {
    out->set_median_final_minus_early_stop_gen_acc(*row.median_final_minus_early_stop);
  }
  out->set_t_score_seeds(row.final_t_score.n);
  if (row.final_t_score.mean) out->set_t_score_mean(*row.final_t_score.mean);
  if (row.final_t_score.sd) out->set_t_score_sd(*row.final_t_score.sd);
  out->set_t_parseval_seeds(row.final_t_parseval.n);
  if (row.final_t_parseval.mean) out->set_t_parseval_mean(*row.final_t_parseval.mean);
  if (row.final_t_parseval.sd) out->set_t_parseval_sd(*row.final_t_parseval.sd);
  out->set_seeds_crossed(row.seeds_crossed);
  if (row.median_first_cross_step) {
    out->set_median_first_cross_step(row.median_first_cross_step->value);
    out->set_median_first_cross_step_censored(row.median_first_cross_step->censored);
  }
  if (row.median_stay_above_step) {
    out->set_median_stay_above_step(row.median_stay_above_step->value);
    out->set_median_stay_above_step_censored(row.median_stay_above_step->censored);
  }
}

// At full resolution, the page from request.start_step; downsampled, the whole answer (which
// the caller keeps and cuts).
absl::Status ComputeCurves(Coordinator& coordinator, const v1::GetCurvesRequest& request,
                           int64_t page_bytes, v1::GetCurvesResponse* response);

// The sweeps an answer to `request` is computed from, for its cache stamp.
std::vector<int64_t> SweepsOf(Coordinator& coordinator, const v1::GetCurvesRequest& request) {
  const bool aggregate = request.aggregate() || !request.group_by().empty();
  if (!aggregate && request.run_id() > 0) {
    return {coordinator.answers().SweepOfRun(request.run_id())};
  }
  std::vector<int64_t> ids(request.sweep_ids().begin(), request.sweep_ids().end());
  ids.push_back(request.sweep_id());
  return ids;
}

}  // namespace

absl::Status QueryCurves(Coordinator& coordinator, const v1::GetCurvesRequest& request,
                         int64_t page_bytes, v1::GetCurvesResponse* response) {
  if (request.start_step() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "start_step: must be >= 0 (a next_start_step), got ", request.start_step()));
  }
  // A downsampled answer is small and costs a read of every curve it covers: kept whole in the
  // answer cache (by the request without its start_step), and cut into a page from there.
  if (request.max_points() > 0) {
    SweepAnswerCache& answers = coordinator.answers();
    v1::GetCurvesRequest whole = request;
    whole.clear_start_step();
    const std::string key = "GetCurves " + whole.SerializeAsString();
    if (std::optional<std::string> kept = answers.Find(key)) {
      if (response->ParseFromString(*kept)) {
        CutCurvePage(request.start_step(), page_bytes, response);
        return absl::OkStatus();
      }
      response->Clear();
    }
    SweepAnswerCache::Stamp stamp = answers.StampOf(SweepsOf(coordinator, request));
    SG_RETURN_IF_ERROR(ComputeCurves(coordinator, whole, page_bytes, response));
    answers.Put(key, std::move(stamp), response->SerializeAsString());
    CutCurvePage(request.start_step(), page_bytes, response);
    return absl::OkStatus();
  }
  return ComputeCurves(coordinator, request, page_bytes, response);
}

namespace {

absl::Status ComputeCurves(Coordinator& coordinator, const v1::GetCurvesRequest& request,
                           int64_t page_bytes, v1::GetCurvesResponse* response) {
  Store& store = *coordinator.store();
  SG_ASSIGN_OR_RETURN(std::vector<std::string> metrics, RequestedMetrics(request));
  analysis::DownsampleOptions downsample;
  downsample.max_points = request.max_points();
  downsample.log_steps = request.log_steps();
  SG_RETURN_IF_ERROR(analysis::ValidateDownsampleOptions(downsample));
  const bool aggregate = request.aggregate() || !request.group_by().empty();
  const bool by_sweeps = request.sweep_id() > 0 || !request.sweep_ids().empty();
  if (aggregate && !by_sweeps) {
    return absl::InvalidArgumentError(
        "aggregate: needs sweep_id or sweep_ids (aggregates are across seeds)");
  }
  std::vector<QueriedSweep> sweeps;
  std::vector<RunRecord> single_run;
  std::vector<const RunRecord*> runs;
  if (!aggregate && request.run_id() > 0) {
    SG_ASSIGN_OR_RETURN(RunRecord run, store.GetRun(request.run_id()));
    single_run.push_back(std::move(run));
    runs.push_back(&single_run[0]);
    SG_RETURN_IF_ERROR(CheckMetricsRecorded(store, runs, metrics,
                                            absl::StrCat("run ", request.run_id())));
  } else {
    if (!by_sweeps) return absl::InvalidArgumentError("run_id or sweep_id: give one of them");
    SG_ASSIGN_OR_RETURN(sweeps, LoadSweeps(store, request.sweep_id(), request.sweep_ids()));
    for (const QueriedSweep& s : sweeps) {
      for (const RunRecord& run : s.runs) runs.push_back(&run);
    }
    SG_RETURN_IF_ERROR(CheckMetricsRecorded(store, runs, metrics, DescribeSweeps(sweeps)));
  }

  // A downsampled answer is built whole (it is small) and cut like any other. A full-resolution
  // one reads each curve from start_step on, at most `limit` points of each, so that the points
  // read stay within about one page's budget whatever the curves' length; the page then ends
  // at the first step some curve's read stopped at.
  CurveRead read;
  if (downsample.max_points == 0) {
    const int64_t curves =
        std::max<int64_t>(1, static_cast<int64_t>(runs.size() * metrics.size()));
    read.windowed = true;
    read.start = request.start_step();
    read.limit = std::max<int64_t>(1, page_bytes / kCurvePointBytes / curves);
    read.with_point_before = aggregate && request.carry_forward();
  }
  int64_t window_end = std::numeric_limits<int64_t>::max();
  if (aggregate) {
    for (const std::string& metric : metrics) {
      SG_RETURN_IF_ERROR(Aggregate(store, request, sweeps, metric, downsample, read,
                                   &window_end, response));
    }
  } else {
    for (const RunRecord* run : runs) {
      for (const std::string& metric : metrics) {
        SG_RETURN_IF_ERROR(
            AppendCurve(store, *run, metric, downsample, read, &window_end, response));
      }
    }
  }
  if (!read.windowed) return absl::OkStatus();  // whole: the caller keeps it, then cuts it
  KeepCurveWindow(read.start, window_end, response);
  CutCurvePage(request.start_step(), page_bytes, response);
  // Within the window everything fitted: the next page starts where the reads stopped.
  if (response->next_start_step() == 0 && window_end != std::numeric_limits<int64_t>::max()) {
    response->set_next_start_step(window_end);
  }
  return absl::OkStatus();
}

absl::Status ComputeReport(Coordinator& coordinator, const v1::GetReportRequest& request,
                           v1::GetReportResponse* response) {
  if (request.sweep_id() <= 0 && request.sweep_ids().empty()) {
    return absl::InvalidArgumentError(
        "sweep_id: required (a sweep's id or, in sgctl, its name; sweep_ids for several)");
  }
  SG_ASSIGN_OR_RETURN(std::vector<QueriedSweep> sweeps,
                      LoadSweeps(*coordinator.store(), request.sweep_id(), request.sweep_ids()));
  const bool by_sweep = GroupsBySweep(request.group_by(), sweeps.size());
  RunAnalysisCache& cache = coordinator.analysis_cache();
  analysis::GrokOptions options = cache.default_options();
  if (request.grok_threshold() != 0) options.grok_threshold = request.grok_threshold();
  // No rule asked for: the one the sweeps' specs chose (train.early_stop), else the default.
  std::string early_stop = request.early_stop();
  if (early_stop.empty()) {
    SG_ASSIGN_OR_RETURN(early_stop, SweepsEarlyStop(sweeps));
  }
  if (early_stop.empty()) early_stop = "first_best";
  SG_RETURN_IF_ERROR(analysis::ParseEarlyStop(early_stop, &options));
  SG_RETURN_IF_ERROR(analysis::ValidateGrokOptions(options));
  response->set_early_stop(early_stop);

  std::vector<analysis::ReportRun> report_runs;
  for (const QueriedSweep& queried : sweeps) {
    for (const RunRecord& run : queried.runs) {
      analysis::ReportRun report_run;
      report_run.run_id = run.run_id;
      report_run.seed = run.seed;
      SG_ASSIGN_OR_RETURN(report_run.cell, GroupingCell(run, by_sweep));
      SG_ASSIGN_OR_RETURN(report_run.analysis, cache.Analyze(run, options));
      const analysis::RunAnalysis& a = report_run.analysis;
      v1::RunAnalysis* out = response->add_runs();
      out->set_run_id(run.run_id);
      out->set_sweep_id(run.sweep_id);
      out->set_seed(run.seed);
      SG_ASSIGN_OR_RETURN(GridCell axes, ParseCell(run.cell_key));
      AddAxes(axes, out->mutable_config());
      out->set_finished(a.finished);
      out->set_last_step(a.last_step);
      if (a.best_val_acc) out->set_best_val_acc(*a.best_val_acc);
      if (a.val_saturation_step) out->set_val_saturation_step(*a.val_saturation_step);
      if (a.early_stop_step) out->set_early_stop_step(*a.early_stop_step);
      if (a.gen_acc_at_early_stop) out->set_gen_acc_at_early_stop(*a.gen_acc_at_early_stop);
      if (a.final_gen_acc) out->set_final_gen_acc(*a.final_gen_acc);
      if (a.grok_step) out->set_grok_step(*a.grok_step);
      out->set_grokked(a.grokked);
      if (a.first_cross_step) out->set_first_cross_step(*a.first_cross_step);
      if (a.last_gen_step) out->set_last_gen_step(*a.last_gen_step);
      SG_ASSIGN_OR_RETURN(report_run.final_t_score,
                          FinalValue(*coordinator.store(), run.run_id, "t_score"));
      SG_ASSIGN_OR_RETURN(report_run.final_t_parseval,
                          FinalValue(*coordinator.store(), run.run_id, "t_parseval"));
      if (report_run.final_t_score) out->set_final_t_score(*report_run.final_t_score);
      if (report_run.final_t_parseval) out->set_final_t_parseval(*report_run.final_t_parseval);
      report_runs.push_back(std::move(report_run));
    }
  }
  analysis::ReportOptions report_options;
  report_options.group_by.assign(request.group_by().begin(), request.group_by().end());
  report_options.include_unfinished = request.include_unfinished();
  if (request.bootstrap_resamples() != 0) {
    report_options.bootstrap.resamples = request.bootstrap_resamples();
  }
  if (request.has_bootstrap_seed()) report_options.bootstrap.seed = request.bootstrap_seed();
  SG_RETURN_IF_ERROR(analysis::ValidateBootstrapOptions(report_options.bootstrap));
  response->set_bootstrap_resamples(report_options.bootstrap.resamples);
  response->set_bootstrap_seed(report_options.bootstrap.seed);
  response->set_bootstrap_confidence(report_options.bootstrap.confidence);
  SG_ASSIGN_OR_RETURN(std::vector<analysis::ReportRow> rows,
                      analysis::BuildReport(report_runs, report_options));
  for (const analysis::ReportRow& row : rows) {
    v1::ReportRow* out = response->add_rows();
    AddAxes(row.cell, out->mutable_group());
    const GroupSweep sweep = SweepOfGroup(row.cell, row.cell_key, sweeps);
    out->set_label(sweep.label);
    out->set_sweep_id(sweep.sweep_id);
    out->set_sweep(sweep.sweep);
    out->set_seeds_total(row.seeds_total);
    out->set_seeds_finished(row.seeds_finished);
    out->set_seeds_counted(row.seeds_counted);
    out->set_seeds_grokked(row.seeds_grokked);
    if (row.mean_final_gen_acc) out->set_mean_final_gen_acc(*row.mean_final_gen_acc);
    if (row.median_final_gen_acc) out->set_median_final_gen_acc(*row.median_final_gen_acc);
    if (row.mean_gen_acc_at_early_stop) {
      out->set_mean_gen_acc_at_early_stop(*row.mean_gen_acc_at_early_stop);
    }
    if (row.median_gen_acc_at_early_stop) {
      out->set_median_gen_acc_at_early_stop(*row.median_gen_acc_at_early_stop);
    }
    if (row.median_grok_step) out->set_median_grok_step(*row.median_grok_step);
    SetReportStatistics(row, out);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status QueryReport(Coordinator& coordinator, const v1::GetReportRequest& request,
                         v1::GetReportResponse* response) {
  SweepAnswerCache& answers = coordinator.answers();
  const std::string key = "GetReport " + request.SerializeAsString();
  if (std::optional<std::string> kept = answers.Find(key)) {
    if (response->ParseFromString(*kept)) return absl::OkStatus();
    response->Clear();
  }
  std::vector<int64_t> sweeps(request.sweep_ids().begin(), request.sweep_ids().end());
  sweeps.push_back(request.sweep_id());
  SweepAnswerCache::Stamp stamp = answers.StampOf(std::move(sweeps));
  SG_RETURN_IF_ERROR(ComputeReport(coordinator, request, response));
  answers.Put(key, std::move(stamp), response->SerializeAsString());
  return absl::OkStatus();
}

absl::Status QuerySweepMetrics(Coordinator& coordinator, const SweepRecord& sweep,
                               v1::ListSweepMetricsResponse* response) {
  SweepAnswerCache& answers = coordinator.answers();
  const std::string key = absl::StrCat("ListSweepMetrics ", sweep.sweep_id);
  if (std::optional<std::string> kept = answers.Find(key)) {
    if (response->ParseFromString(*kept)) return absl::OkStatus();
    response->Clear();
  }
  SweepAnswerCache::Stamp stamp = answers.StampOf({sweep.sweep_id});
  SG_ASSIGN_OR_RETURN(std::vector<SweepMetricCount> metrics,
                      coordinator.store()->ListSweepMetrics(sweep.sweep_id));
  response->set_sweep_id(sweep.sweep_id);
  for (const SweepMetricCount& count : metrics) {
    v1::SweepMetric* out = response->add_metrics();
    out->set_metric(count.metric);
    out->set_points(count.points);
    out->set_runs(count.runs);
    out->set_last_step(count.last_step);
  }
  answers.Put(key, std::move(stamp), response->SerializeAsString());
  return absl::OkStatus();
}

}  // namespace sg
