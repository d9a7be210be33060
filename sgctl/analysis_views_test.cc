#include "sgctl/analysis_views.h"

#include <limits>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sgctl/plot_input.h"

namespace sg {
namespace ctl {
namespace {

using ::testing::HasSubstr;

std::string Render(const View& view, OutputFormat format) {
  std::ostringstream out;
  Emit(view, format, out);
  return out.str();
}

void SetDepth(google::protobuf::RepeatedPtrField<v1::AxisValue>* axes, double depth) {
  v1::AxisValue* a = axes->Add();
  a->set_axis("depth");
  a->set_value(depth);
}

v1::AggregatePoint* AddPoint(v1::AggregateCurve* c, int64_t step, int64_t n, double median) {
  v1::AggregatePoint* p = c->add_points();
  p->set_step(step);
  p->set_n(n);
  p->set_mean(median + 0.01);
  p->set_median(median);
  p->set_p10(median - 0.2);
  p->set_p25(median - 0.1);
  p->set_p75(median + 0.1);
  p->set_p90(median + 0.2);
  p->set_min(median - 0.3);
  p->set_max(median + 0.3);
  return p;
}

v1::GetCurvesResponse TwoDepths() {
  v1::GetCurvesResponse response;
  for (double depth : {2.0, 6.0}) {
    v1::AggregateCurve* c = response.add_aggregates();
    SetDepth(c->mutable_group(), depth);
    c->set_label(depth == 2 ? "depth=2" : "depth=6");
    c->set_metric("gen_acc");
    v1::AggregateSeed* s = c->add_seeds();
    s->set_run_id(depth == 2 ? 1 : 2);
    s->set_seed(0);
    s->set_finished(depth == 2);
    s->set_last_step(200);
    c->set_unfinished_seeds(depth == 2 ? 0 : 1);
    AddPoint(c, 100, 3, 0.5);
    AddPoint(c, 200, 2, 0.75);
  }
  return response;
}

TEST(AnalysisViewsTest, ParseAggregateFields) {
  EXPECT_EQ(ParseAggregateFields("").value(), AggregateFieldNames());
  EXPECT_EQ(ParseAggregateFields("all").value(), AggregateFieldNames());
  EXPECT_EQ(ParseAggregateFields("median, p25,p75,median").value(),
            (std::vector<std::string>{"median", "p25", "p75"}));
  absl::StatusOr<std::vector<std::string>> bad = ParseAggregateFields("median,p99");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(),
              HasSubstr("--agg: unknown statistic 'p99'; use a comma-separated list of mean, "
                        "median, p10, p25, p75, p90, min, max"));
}

TEST(AnalysisViewsTest, AggregateCurvesWithChosenFields) {
  View view = AggregateCurvesView(TwoDepths(), {"median", "p25", "p75"});
  nlohmann::json j = view.json;
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[1]["label"], "depth=6");
  EXPECT_EQ(j[1]["group"].dump(), R"({"depth":6})");
  EXPECT_EQ(j[1]["metric"], "gen_acc");
  EXPECT_EQ(j[1]["unfinished_seeds"], 1);
  EXPECT_EQ(j[1]["seeds"][0]["finished"], false);
  EXPECT_EQ(j[1]["points"][1].dump(),
            R"({"median":0.75,"n":2,"non_finite":0,"p25":0.65,"p75":0.85,"step":200})");
  EXPECT_EQ(Render(view, OutputFormat::kCsv),
            "group,depth,metric,step,n,non_finite,median,p25,p75\n"
            "depth=2,2,gen_acc,100,3,0,0.5,0.4,0.6\n"
            "depth=2,2,gen_acc,200,2,0,0.75,0.65,0.85\n"
            "depth=6,6,gen_acc,100,3,0,0.5,0.4,0.6\n"
            "depth=6,6,gen_acc,200,2,0,0.75,0.65,0.85\n");
  // Every field by default, in the documented order.
  View all = AggregateCurvesView(TwoDepths(), AggregateFieldNames());
  EXPECT_EQ(all.table.columns,
            (std::vector<std::string>{"group", "depth", "metric", "step", "n", "non_finite",
                                      "mean", "median", "p10", "p25", "p75", "p90", "min",
                                      "max"}));
  EXPECT_DOUBLE_EQ(all.json[0]["points"][0]["max"].get<double>(), 0.8);
}

TEST(AnalysisViewsTest, AggregateStepsWithoutFiniteValues) {
  // Every seed diverged at step 300: n = 0, the count in non_finite, the statistics NaN.
  v1::GetCurvesResponse response = TwoDepths();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  v1::AggregatePoint* p = AddPoint(response.mutable_aggregates(0), 300, 0, nan);
  p->set_non_finite(3);
  View view = AggregateCurvesView(response, {"median", "max"});
  EXPECT_EQ(view.json[0]["points"][2].dump(),
            R"({"max":"NaN","median":"NaN","n":0,"non_finite":3,"step":300})");
  EXPECT_THAT(Render(view, OutputFormat::kCsv),
              HasSubstr("\ndepth=2,2,gen_acc,300,0,3,nan,nan\n"));
}

TEST(AnalysisViewsTest, AggregatesGroupedBySweepShowTheSweepsNameAndRoundInTables) {
  v1::GetCurvesResponse response;
  v1::AggregateCurve* curve = response.add_aggregates();
  v1::AxisValue* sweep = curve->add_group();
  sweep->set_axis("sweep");
  sweep->set_value(4);
  SetDepth(curve->mutable_group(), 2);
  curve->set_label("sweep=qf-tied,depth=2");
  curve->set_sweep_id(4);
  curve->set_sweep("qf-tied");
  curve->set_metric("gen_acc");
  AddPoint(curve, 100, 3, 0.29000000000000004);
  View view = AggregateCurvesView(response, {"median"});
  EXPECT_EQ(Render(view, OutputFormat::kCsv),
            "group,sweep,depth,metric,step,n,non_finite,median\n"
            "\"sweep=qf-tied,depth=2\",qf-tied,2,gen_acc,100,3,0,0.29000000000000004\n");
  EXPECT_THAT(Render(view, OutputFormat::kTable), HasSubstr("  0.29\n"));
  EXPECT_EQ(view.json[0]["group"].dump(), R"({"depth":2,"sweep":"qf-tied"})");
}

v1::GetReportResponse PaperReport() {
  v1::GetReportResponse response;
  v1::ReportRow* row = response.add_rows();
  SetDepth(row->mutable_group(), 2);
  row->set_label("depth=2");
  row->set_seeds_total(10);
  row->set_seeds_finished(10);
  row->set_seeds_counted(10);
  row->set_seeds_grokked(0);
  row->set_mean_final_gen_acc(0.3125);
  row->set_median_final_gen_acc(0.3);
  row->set_mean_gen_acc_at_early_stop(0.25);
  row->set_median_gen_acc_at_early_stop(0.2);
  row = response.add_rows();
  SetDepth(row->mutable_group(), 6);
  row->set_label("depth=6");
  row->set_seeds_total(10);
  row->set_seeds_finished(8);
  row->set_seeds_counted(8);
  row->set_seeds_grokked(6);
  row->set_mean_final_gen_acc(0.8);
  row->set_median_final_gen_acc(0.91);
  row->set_mean_gen_acc_at_early_stop(0.4);
  row->set_median_gen_acc_at_early_stop(0.35);
  row->set_median_grok_step(16500.5);
  row->set_mean_final_gen_acc_ci_low(0.65);
  row->set_mean_final_gen_acc_ci_high(0.93);
  row->set_mean_gen_acc_at_early_stop_ci_low(0.3);
  row->set_mean_gen_acc_at_early_stop_ci_high(0.5);
  row->set_seeds_paired(8);
  row->set_mean_final_minus_early_stop_gen_acc(0.4);
  row->set_mean_final_minus_early_stop_gen_acc_ci_low(0.25);
  row->set_mean_final_minus_early_stop_gen_acc_ci_high(0.55);
  row->set_median_final_minus_early_stop_gen_acc(0.5);
  row->set_seeds_crossed(7);
  row->set_median_first_cross_step(12000);
  row->set_median_stay_above_step(300000);
  row->set_median_stay_above_step_censored(true);
  row = response.add_rows();
  SetDepth(row->mutable_group(), 10);
  row->set_label("depth=10");
  row->set_seeds_total(10);  // nothing finished yet: every statistic absent

  v1::RunAnalysis* run = response.add_runs();
  run->set_run_id(7);
  run->set_seed(3);
  SetDepth(run->mutable_config(), 6);
  run->set_finished(true);
  run->set_last_step(300000);
  run->set_best_val_acc(0.99);
  run->set_early_stop_step(9000);
  run->set_gen_acc_at_early_stop(0.41);
  run->set_final_gen_acc(0.95);
  run->set_grok_step(120000);
  run->set_grokked(true);
  run = response.add_runs();
  run->set_run_id(8);
  run->set_seed(4);
  SetDepth(run->mutable_config(), 6);
  run->set_last_step(60000);
  run->set_final_gen_acc(0.2);
  run = response.add_runs();
  run->set_run_id(9);
  run->set_seed(5);
  SetDepth(run->mutable_config(), 6);
  run->set_finished(true);
  run->set_last_step(300000);
  run->set_final_gen_acc(0.5);
  run->set_last_gen_step(300000);  // never crossed: censored at its last evaluation
  response.set_bootstrap_resamples(10000);
  response.set_bootstrap_seed(20230101);
  response.set_bootstrap_confidence(0.95);
  return response;
}

TEST(AnalysisViewsTest, ReportTable) {
  View view = ReportView(PaperReport(), ReportSettings());
  std::string text = Render(view, OutputFormat::kTable);
  EXPECT_THAT(text, HasSubstr(
      "depth  finished  grokked  mean_final (95% CI)   median_final  mean_at_early_stop (95% CI)  "
      "median_at_early_stop  final-early_stop (95% CI)  median_first_cross  median_stays_above\n"
      "2      10/10     0/10     0.312                 0.300         0.250                        "
      "0.200                 -                          -                   -\n"
      "6      8/10      6/8      0.800 [0.650, 0.930]  0.910         0.400 [0.300, 0.500]         "
      "0.350                 +0.400 [+0.250, +0.550]    12k                 >300k\n"
      "10     0/10      0/0      -                     -             -                            "
      "-                     -                          -                   -\n"));
  EXPECT_THAT(text, HasSubstr("(10000 resamples, seed 20230101)"));
  EXPECT_THAT(text, HasSubstr("grokked: final gen_acc > 0.8, of the finished seeds"));
  EXPECT_THAT(text, HasSubstr("first_best"));

  nlohmann::json j = view.json;
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[1]["group"].dump(), R"({"depth":6})");
  EXPECT_EQ(j[1]["seeds_total"], 10);
  EXPECT_EQ(j[1]["seeds_finished"], 8);
  EXPECT_EQ(j[1]["seeds_grokked"], 6);
  EXPECT_EQ(j[1]["mean_final_gen_acc"], 0.8);
  EXPECT_EQ(j[1]["median_final_gen_acc"], 0.91);
  EXPECT_EQ(j[1]["mean_gen_acc_at_early_stop"], 0.4);
  EXPECT_EQ(j[1]["median_grok_step"], 16500.5);
  EXPECT_TRUE(j[0]["median_grok_step"].is_null());
  EXPECT_TRUE(j[2]["mean_final_gen_acc"].is_null());
  EXPECT_EQ(j[1]["mean_final_gen_acc_ci_low"], 0.65);
  EXPECT_EQ(j[1]["mean_final_gen_acc_ci_high"], 0.93);
  EXPECT_EQ(j[1]["mean_gen_acc_at_early_stop_ci_low"], 0.3);
  EXPECT_EQ(j[1]["mean_gen_acc_at_early_stop_ci_high"], 0.5);
  EXPECT_EQ(j[1]["seeds_paired"], 8);
  EXPECT_EQ(j[1]["mean_final_minus_early_stop_gen_acc"], 0.4);
  EXPECT_EQ(j[1]["mean_final_minus_early_stop_gen_acc_ci_low"], 0.25);
  EXPECT_EQ(j[1]["mean_final_minus_early_stop_gen_acc_ci_high"], 0.55);
  EXPECT_EQ(j[1]["median_final_minus_early_stop_gen_acc"], 0.5);
  EXPECT_EQ(j[1]["seeds_crossed"], 7);
  EXPECT_EQ(j[1]["median_first_cross_step"], 12000);
  EXPECT_EQ(j[1]["median_first_cross_step_censored"], false);
  EXPECT_EQ(j[1]["median_stay_above_step"], 300000);
  EXPECT_EQ(j[1]["median_stay_above_step_censored"], true);
  EXPECT_TRUE(j[2]["mean_final_gen_acc_ci_low"].is_null());
  EXPECT_TRUE(j[2]["median_first_cross_step"].is_null());

  EXPECT_THAT(Render(view, OutputFormat::kCsv),
              HasSubstr("depth,label,seeds_total,seeds_finished,seeds_counted,seeds_grokked,"
                        "mean_final_gen_acc,median_final_gen_acc,mean_gen_acc_at_early_stop,"
                        "median_gen_acc_at_early_stop,median_grok_step,"
                        "mean_final_gen_acc_ci_low,mean_final_gen_acc_ci_high,"
                        "mean_gen_acc_at_early_stop_ci_low,mean_gen_acc_at_early_stop_ci_high,"
                        "seeds_paired,mean_final_minus_early_stop_gen_acc,"
                        "mean_final_minus_early_stop_gen_acc_ci_low,"
                        "mean_final_minus_early_stop_gen_acc_ci_high,"
                        "median_final_minus_early_stop_gen_acc,seeds_crossed,"
                        "median_first_cross_step,median_first_cross_step_censored,"
                        "median_stay_above_step,median_stay_above_step_censored\n"
                        "2,depth=2,10,10,10,0,0.3125,0.3,0.25,0.2,,,,,,0,,,,,0,,false,,false\n"));

  ReportSettings settings;
  settings.grok_threshold = 0.9;
  settings.include_unfinished = true;
  settings.early_stop = "within_0.01";
  text = Render(ReportView(PaperReport(), settings), OutputFormat::kTable);
  EXPECT_THAT(text, HasSubstr("final gen_acc > 0.9, of every seed"));
  EXPECT_THAT(text, HasSubstr("within_0.01"));
}

TEST(AnalysisViewsTest, ReportWithoutGridAxes) {
  v1::GetReportResponse response;
  v1::ReportRow* row = response.add_rows();
  row->set_label("all");
  row->set_seeds_total(2);
  EXPECT_THAT(Render(ReportView(response, ReportSettings()), OutputFormat::kTable),
              HasSubstr("cell  finished  grokked"));
}

TEST(AnalysisViewsTest, RunAnalyses) {
  View view = RunAnalysesView(PaperReport());
  std::string text = Render(view, OutputFormat::kTable);
  EXPECT_THAT(text, HasSubstr("7       depth=6  3     yes       300000     0.990         9000"));
  EXPECT_THAT(text, HasSubstr("120000\n"));
  EXPECT_THAT(text, HasSubstr("not yet grokked\n"));  // run 8 is still running
  EXPECT_THAT(text, HasSubstr("not grokked\n"));      // run 9 finished below the threshold
  nlohmann::json j = view.json;
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["grok_step"], 120000);
  EXPECT_EQ(j[0]["final_gen_acc"], 0.95);
  EXPECT_EQ(j[0]["early_stop_step"], 9000);
  EXPECT_EQ(j[0]["gen_acc_at_early_stop"], 0.41);
  EXPECT_EQ(j[0]["grokked"], true);
  EXPECT_EQ(j[0]["config"].dump(), R"({"depth":6})");
  EXPECT_TRUE(j[1]["grok_step"].is_null());
  EXPECT_TRUE(j[1]["early_stop_step"].is_null());
  EXPECT_EQ(j[1]["finished"], false);
  EXPECT_EQ(j[1]["grokked"], false);
  EXPECT_TRUE(j[2]["first_cross_step"].is_null());
  EXPECT_EQ(j[2]["last_gen_step"], 300000);
  EXPECT_THAT(text, HasSubstr("0.500          >300k             not grokked\n"));  // run 9
}

TEST(PlotInputTest, EarlyStopGroupsFromTheRunAnalyses) {
  v1::GetReportResponse report = PaperReport();
  v1::RunAnalysis* run = report.add_runs();
  run->set_run_id(10);
  run->set_seed(0);
  SetDepth(run->mutable_config(), 2);
  run->set_finished(true);
  run->set_gen_acc_at_early_stop(0.3);
  run->set_final_gen_acc(0.25);
  absl::StatusOr<std::vector<analysis::EarlyStopGroup>> groups =
      EarlyStopGroupsFromWire(report, {"depth"}, false);
  ASSERT_TRUE(groups.ok()) << groups.status();
  ASSERT_EQ(groups->size(), 2u);  // depth=2 first, as in the report
  EXPECT_EQ((*groups)[0].label, "depth=2");
  ASSERT_EQ((*groups)[0].seeds.size(), 1u);
  EXPECT_EQ((*groups)[0].seeds[0].at_early_stop, 0.3);
  EXPECT_EQ((*groups)[0].seeds[0].final_value, 0.25);
  // depth=6: run 7 has both values; run 8 is unfinished, run 9 has no early-stop value.
  ASSERT_EQ((*groups)[1].seeds.size(), 1u);
  EXPECT_EQ((*groups)[1].seeds[0].seed, 3);
  EXPECT_EQ((*groups)[1].seeds[0].final_value, 0.95);
  EXPECT_EQ(EarlyStopGroupsFromWire(report, {"lr"}, false).status().code(),
            absl::StatusCode::kInvalidArgument);

  v1::Run r;
  r.set_run_id(12);
  r.set_seed(3);
  SetDepth(r.mutable_config(), 6);
  EXPECT_EQ(RunLabel(r), "run 12 (depth=6, seed 3)");
}

TEST(PlotInputTest, ConvertsWireToAnalysisTypes) {
  v1::GetCurvesResponse curves = TwoDepths();
  analysis::AggregateCurve curve = AggregateFromWire(curves.aggregates(1));
  EXPECT_EQ(curve.label, "depth=6");
  EXPECT_EQ(curve.group, (GridCell{{"depth", 6}}));
  EXPECT_EQ(curve.unfinished_seeds, 1);
  ASSERT_EQ(curve.seeds.size(), 1u);
  EXPECT_EQ(curve.seeds[0].run_id, 2);
  ASSERT_EQ(curve.points.size(), 2u);
  EXPECT_EQ(curve.points[1].step, 200);
  EXPECT_EQ(curve.points[1].n, 2);
  EXPECT_DOUBLE_EQ(curve.points[1].p25, 0.65);
  EXPECT_DOUBLE_EQ(curve.points[1].p75, 0.85);
  EXPECT_DOUBLE_EQ(curve.points[1].median, 0.75);

  v1::GetReportResponse report = PaperReport();
  analysis::ReportRow row = ReportRowFromWire(report.rows(1));
  EXPECT_EQ(row.cell_key, "depth=6");
  EXPECT_EQ(row.cell, (GridCell{{"depth", 6}}));
  EXPECT_EQ(row.seeds_counted, 8);
  EXPECT_EQ(row.seeds_grokked, 6);
  EXPECT_EQ(row.median_grok_step, 16500.5);
  analysis::ReportRow empty = ReportRowFromWire(report.rows(2));
  EXPECT_FALSE(empty.mean_final_gen_acc.has_value());
  EXPECT_FALSE(empty.median_grok_step.has_value());
}

}  // namespace
}  // namespace ctl
}  // namespace sg
