#include "sgctl/plot_input.h"

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
  return out;
}

}  // namespace ctl
}  // namespace sg
