#include "sgctl/plot_input.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "analysis/grouping.h"
#include "common/status_macros.h"

namespace sg {
namespace ctl {
namespace {

GridCell CellFromWire(const google::protobuf::RepeatedPtrField<v1::AxisValue>& axes) {
  GridCell cell;
  for (const v1::AxisValue& a : axes) cell.emplace_back(a.axis(), a.value());
  return cell;
}

}  // namespace

analysis::AggregateCurve AggregateFromWire(const v1::AggregateCurve& curve) {
  analysis::AggregateCurve out;
  out.group = CellFromWire(curve.group());
  out.label = curve.label();
  out.unfinished_seeds = curve.unfinished_seeds();
  for (const v1::AggregateSeed& s : curve.seeds()) {
    analysis::SeedInfo seed;
    seed.run_id = s.run_id();
    seed.seed = s.seed();
    seed.finished = s.finished();
    seed.last_step = s.last_step();
    out.seeds.push_back(seed);
  }
  out.points.reserve(curve.points_size());
  for (const v1::AggregatePoint& p : curve.points()) {
    analysis::AggregatePoint point;
    point.step = p.step();
    point.n = p.n();
    point.mean = p.mean();
    point.median = p.median();
    point.p10 = p.p10();
    point.p25 = p.p25();
    point.p75 = p.p75();
    point.p90 = p.p90();
    point.min = p.min();
    point.max = p.max();
    point.non_finite = p.non_finite();
    out.points.push_back(point);
  }
  return out;
}

analysis::ReportRow ReportRowFromWire(const v1::ReportRow& row) {
  analysis::ReportRow out;
  out.cell = CellFromWire(row.group());
  out.cell_key = row.label();
  out.seeds_total = row.seeds_total();
  out.seeds_finished = row.seeds_finished();
  out.seeds_counted = row.seeds_counted();
  out.seeds_grokked = row.seeds_grokked();
  if (row.has_mean_final_gen_acc()) out.mean_final_gen_acc = row.mean_final_gen_acc();
  if (row.has_median_final_gen_acc()) out.median_final_gen_acc = row.median_final_gen_acc();
  if (row.has_mean_gen_acc_at_early_stop()) {
    out.mean_gen_acc_at_early_stop = row.mean_gen_acc_at_early_stop();
  }
  if (row.has_median_gen_acc_at_early_stop()) {
    out.median_gen_acc_at_early_stop = row.median_gen_acc_at_early_stop();
  }
  if (row.has_median_grok_step()) out.median_grok_step = row.median_grok_step();
  if (row.has_mean_final_gen_acc_ci_low()) {
    out.mean_final_gen_acc_ci =
        analysis::Interval{row.mean_final_gen_acc_ci_low(), row.mean_final_gen_acc_ci_high()};
  }
  if (row.has_mean_gen_acc_at_early_stop_ci_low()) {
    out.mean_gen_acc_at_early_stop_ci = analysis::Interval{
        row.mean_gen_acc_at_early_stop_ci_low(), row.mean_gen_acc_at_early_stop_ci_high()};
  }
  out.seeds_paired = row.seeds_paired();
  if (row.has_mean_final_minus_early_stop_gen_acc()) {
    out.mean_final_minus_early_stop = row.mean_final_minus_early_stop_gen_acc();
  }
  if (row.has_mean_final_minus_early_stop_gen_acc_ci_low()) {
    out.mean_final_minus_early_stop_ci =
        analysis::Interval{row.mean_final_minus_early_stop_gen_acc_ci_low(),
                           row.mean_final_minus_early_stop_gen_acc_ci_high()};
  }
  if (row.has_median_final_minus_early_stop_gen_acc()) {
    out.median_final_minus_early_stop = row.median_final_minus_early_stop_gen_acc();
  }
  out.seeds_crossed = row.seeds_crossed();
  if (row.has_median_first_cross_step()) {
    out.median_first_cross_step = analysis::CensoredMedian{
        row.median_first_cross_step(), row.median_first_cross_step_censored()};
  }
  if (row.has_median_stay_above_step()) {
    out.median_stay_above_step = analysis::CensoredMedian{
        row.median_stay_above_step(), row.median_stay_above_step_censored()};
  }
  out.final_t_score.n = row.t_score_seeds();
  if (row.has_t_score_mean()) out.final_t_score.mean = row.t_score_mean();
  if (row.has_t_score_sd()) out.final_t_score.sd = row.t_score_sd();
  out.final_t_parseval.n = row.t_parseval_seeds();
  if (row.has_t_parseval_mean()) out.final_t_parseval.mean = row.t_parseval_mean();
  if (row.has_t_parseval_sd()) out.final_t_parseval.sd = row.t_parseval_sd();
  return out;
}

analysis::Curve CurveFromWire(const v1::Curve& curve) {
  analysis::Curve out;
  out.reserve(curve.points_size());
  for (const v1::CurvePoint& p : curve.points()) out.push_back({p.step(), p.value()});
  return out;
}

namespace {

// What GroupRuns needs of a run: its id and grid cell.
struct AnalyzedRun {
  int64_t run_id = 0;
  GridCell cell;
  const v1::RunAnalysis* analysis = nullptr;
};

// The report's runs grouped by `group_by`, each finished run (or every run, with
// include_unfinished) handed to `add` with its group; one Group per group, in order.
template <typename Group, typename Add>
absl::StatusOr<std::vector<Group>> GroupsOfAnalyzedRuns(const v1::GetReportResponse& report,
                                                         const std::vector<std::string>& group_by,
                                                         bool include_unfinished, Add add) {
  std::vector<AnalyzedRun> runs;
  for (const v1::RunAnalysis& a : report.runs()) {
    runs.push_back({a.run_id(), CellFromWire(a.config()), &a});
  }
  SG_ASSIGN_OR_RETURN(std::vector<analysis::RunGroup<AnalyzedRun>> groups,
                      analysis::GroupRuns(runs, group_by));
  std::vector<Group> out;
  for (const analysis::RunGroup<AnalyzedRun>& group : groups) {
    Group g;
    g.label = group.label;
    for (const AnalyzedRun* run : group.runs) {
      const v1::RunAnalysis& a = *run->analysis;
      if (!a.finished() && !include_unfinished) continue;
      add(a, &g);
    }
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<analysis::EarlyStopGroup>> EarlyStopGroupsFromWire(
    const v1::GetReportResponse& report, const std::vector<std::string>& group_by,
    bool include_unfinished) {
  return GroupsOfAnalyzedRuns<analysis::EarlyStopGroup>(
      report, group_by, include_unfinished,
      [](const v1::RunAnalysis& a, analysis::EarlyStopGroup* g) {
        if (!a.has_gen_acc_at_early_stop() || !a.has_final_gen_acc()) return;
        g->seeds.push_back({a.seed(), a.gen_acc_at_early_stop(), a.final_gen_acc()});
      });
}

absl::StatusOr<std::vector<analysis::TScoreGenGroup>> TScoreGenGroupsFromWire(
    const v1::GetReportResponse& report, const std::vector<std::string>& group_by,
    bool include_unfinished) {
  return GroupsOfAnalyzedRuns<analysis::TScoreGenGroup>(
      report, group_by, include_unfinished,
      [](const v1::RunAnalysis& a, analysis::TScoreGenGroup* g) {
        if (!a.has_final_t_score() || !a.has_final_gen_acc()) return;
        if (!std::isfinite(a.final_gen_acc())) return;  // a NaN accuracy has no place
        g->runs.push_back({a.run_id(), a.final_t_score(), a.final_gen_acc()});
      });
}

std::string RunLabel(const v1::Run& run) {
  const GridCell cell = CellFromWire(run.config());
  return absl::StrCat("run ", run.run_id(), " (", cell.empty() ? "" : CellKey(cell) + ", ",
                      "seed ", run.seed(), ")");
}

}  // namespace ctl
}  // namespace sg
