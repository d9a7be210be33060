#include "analysis/report.h"

#include "gtest/gtest.h"

namespace sg {
namespace analysis {
namespace {

// A run whose val_acc peaks (1.0) at `early_stop_step`, with gen_acc `gen_at_stop` there and
// the given later gen_acc values, evaluated every 1000 steps.
ReportRun MakeRun(int64_t run_id, double depth, bool finished, double gen_at_stop,
                  std::vector<double> later_gen) {
  Curve val, gen;
  int64_t step = 1000;
  val.push_back({step, 1.0});
  gen.push_back({step, gen_at_stop});
  for (double g : later_gen) {
    step += 1000;
    val.push_back({step, 0.99});
    gen.push_back({step, g});
  }
  absl::StatusOr<RunAnalysis> a = AnalyzeRun(val, gen, finished, GrokOptions{});
  EXPECT_TRUE(a.ok()) << a.status();
  ReportRun run;
  run.run_id = run_id;
  run.seed = run_id;
  run.cell = {{"depth", depth}};
  run.analysis = *a;
  return run;
}

TEST(ReportTest, RowsPerDepth) {
  std::vector<ReportRun> runs = {
      // depth 10 first in input: rows still come out in numeric order.
      MakeRun(1, 10, true, 0.1, {0.2, 0.3}),        // never groks
      MakeRun(2, 2, true, 0.3, {0.5, 0.9}),         // groks at 3000, final 0.9
      MakeRun(3, 2, true, 0.2, {0.85, 0.5}),        // crosses and drops back: final 0.5
      MakeRun(4, 2, true, 0.4, {0.82, 0.9, 0.95}),  // groks at 2000, final 0.95
      MakeRun(5, 4, true, 0.5, {0.9}),              // groks at 2000
      MakeRun(6, 4, false, 0.5, {0.9, 0.99}),       // unfinished (grokked so far)
      MakeRun(7, 4, true, 0.6, {0.7}),              // not grokked
  };
  absl::StatusOr<std::vector<ReportRow>> rows = BuildReport(runs, {});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);

  const ReportRow& d2 = (*rows)[0];
  EXPECT_EQ(d2.cell_key, "depth=2");
  EXPECT_EQ(d2.seeds_total, 3);
  EXPECT_EQ(d2.seeds_finished, 3);
  EXPECT_EQ(d2.seeds_counted, 3);
  EXPECT_EQ(d2.seeds_grokked, 2);
  EXPECT_DOUBLE_EQ(*d2.mean_final_gen_acc, (0.9 + 0.5 + 0.95) / 3);
  EXPECT_DOUBLE_EQ(*d2.median_final_gen_acc, 0.9);
  EXPECT_DOUBLE_EQ(*d2.mean_gen_acc_at_early_stop, 0.3);
  EXPECT_DOUBLE_EQ(*d2.median_gen_acc_at_early_stop, 0.3);
  EXPECT_DOUBLE_EQ(*d2.median_grok_step, 2500);  // grokked at 3000 and 2000

  const ReportRow& d4 = (*rows)[1];
  EXPECT_EQ(d4.cell_key, "depth=4");
  EXPECT_EQ(d4.seeds_total, 3);
  EXPECT_EQ(d4.seeds_finished, 2);
  EXPECT_EQ(d4.seeds_counted, 2);  // the unfinished seed is left out by default
  EXPECT_EQ(d4.seeds_grokked, 1);
  EXPECT_DOUBLE_EQ(*d4.mean_final_gen_acc, 0.8);
  EXPECT_DOUBLE_EQ(*d4.median_final_gen_acc, 0.8);
  EXPECT_DOUBLE_EQ(*d4.mean_gen_acc_at_early_stop, 0.55);
  EXPECT_DOUBLE_EQ(*d4.median_grok_step, 2000);

  const ReportRow& d10 = (*rows)[2];
  EXPECT_EQ(d10.cell_key, "depth=10");
  EXPECT_EQ(d10.seeds_grokked, 0);
  EXPECT_FALSE(d10.median_grok_step.has_value());  // no seed grokked
  EXPECT_DOUBLE_EQ(*d10.mean_final_gen_acc, 0.3);

  ReportOptions all;
  all.include_unfinished = true;
  rows = BuildReport(runs, all);
  ASSERT_TRUE(rows.ok());
  const ReportRow& d4_all = (*rows)[1];
  EXPECT_EQ(d4_all.seeds_finished, 2);
  EXPECT_EQ(d4_all.seeds_counted, 3);
  EXPECT_EQ(d4_all.seeds_grokked, 2);
  EXPECT_DOUBLE_EQ(*d4_all.median_final_gen_acc, 0.9);
  EXPECT_DOUBLE_EQ(*d4_all.median_grok_step, 2000);
}

TEST(ReportTest, FinalTreeMetricsMeanAndSpreadOverCountedSeeds) {
  std::vector<ReportRun> runs = {
      MakeRun(1, 2, true, 0.3, {0.9}), MakeRun(2, 2, true, 0.3, {0.9}),
      MakeRun(3, 2, true, 0.3, {0.9}),   // no tree metrics (tree_sentences 0)
      MakeRun(4, 2, false, 0.3, {0.9}),  // unfinished: not counted by default
      MakeRun(5, 4, true, 0.3, {0.9}),
  };
  runs[0].final_t_score = 0.4;
  runs[0].final_t_parseval = 0.5;
  runs[1].final_t_score = 0.6;
  runs[3].final_t_score = 100;
  runs[4].final_t_score = 0.25;
  absl::StatusOr<std::vector<ReportRow>> rows = BuildReport(runs, {});
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  const ReportRow& d2 = (*rows)[0];
  EXPECT_EQ(d2.final_t_score.n, 2);
  EXPECT_DOUBLE_EQ(*d2.final_t_score.mean, 0.5);
  EXPECT_NEAR(*d2.final_t_score.sd, 0.1414213562, 1e-9);  // sample sd of {0.4, 0.6}
  EXPECT_EQ(d2.final_t_parseval.n, 1);
  EXPECT_DOUBLE_EQ(*d2.final_t_parseval.mean, 0.5);
  EXPECT_DOUBLE_EQ(*d2.final_t_parseval.sd, 0);  // one seed: no spread
  const ReportRow& d4 = (*rows)[1];
  EXPECT_EQ(d4.final_t_score.n, 1);
  EXPECT_EQ(d4.final_t_parseval.n, 0);
  EXPECT_FALSE(d4.final_t_parseval.mean.has_value());
  EXPECT_FALSE(d4.final_t_parseval.sd.has_value());
  ReportOptions with_unfinished;
  with_unfinished.include_unfinished = true;
  rows = BuildReport(runs, with_unfinished);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].final_t_score.n, 3);
}

TEST(ReportTest, IntervalsPairedDifferenceAndCensoredGrokTimes) {
  // depth 2: evaluated every 1000 steps up to 4000; early stop at 1000 for every seed.
  std::vector<ReportRun> runs = {
      MakeRun(1, 2, true, 0.3, {0.5, 0.9, 0.95}),  // crosses at 3000 and stays
      MakeRun(2, 2, true, 0.2, {0.85, 0.5, 0.9}),  // crosses at 2000, stays above from 4000
      MakeRun(3, 2, true, 0.4, {0.4, 0.4, 0.4}),   // never crosses: censored at 4000
      MakeRun(4, 2, true, 0.1, {0.2, 0.3, 0.3}),   // never crosses: censored at 4000
      MakeRun(5, 2, true, 0.2, {0.2, 0.2, 0.2}),   // never crosses: censored at 4000
  };
  absl::StatusOr<std::vector<ReportRow>> rows = BuildReport(runs, {});
  ASSERT_TRUE(rows.ok()) << rows.status();
  const ReportRow& r = (*rows)[0];
  EXPECT_EQ(r.seeds_grokked, 2);
  EXPECT_EQ(r.seeds_crossed, 2);
  // Three of five never crossed by 4000: both medians are censored at the horizon. The plain
  // median over grokked seeds (3500) is kept for compatibility.
  ASSERT_TRUE(r.median_first_cross_step.has_value());
  EXPECT_EQ(r.median_first_cross_step->value, 4000);
  EXPECT_TRUE(r.median_first_cross_step->censored);
  ASSERT_TRUE(r.median_stay_above_step.has_value());
  EXPECT_EQ(r.median_stay_above_step->value, 4000);
  EXPECT_TRUE(r.median_stay_above_step->censored);
  EXPECT_DOUBLE_EQ(*r.median_grok_step, 3500);

  // Final minus early-stop gen_acc, per seed: 0.65, 0.7, 0, 0.2, 0.
  EXPECT_EQ(r.seeds_paired, 5);
  EXPECT_NEAR(*r.mean_final_minus_early_stop, 0.31, 1e-12);
  EXPECT_NEAR(*r.median_final_minus_early_stop, 0.2, 1e-12);
  ASSERT_TRUE(r.mean_final_minus_early_stop_ci.has_value());
  EXPECT_LT(r.mean_final_minus_early_stop_ci->low, 0.31);
  EXPECT_GT(r.mean_final_minus_early_stop_ci->high, 0.31);
  EXPECT_GE(r.mean_final_minus_early_stop_ci->low, 0);
  EXPECT_LE(r.mean_final_minus_early_stop_ci->high, 0.7);
  ASSERT_TRUE(r.mean_final_gen_acc_ci.has_value());
  EXPECT_LT(r.mean_final_gen_acc_ci->low, *r.mean_final_gen_acc);
  EXPECT_GT(r.mean_final_gen_acc_ci->high, *r.mean_final_gen_acc);
  ASSERT_TRUE(r.mean_gen_acc_at_early_stop_ci.has_value());

  // The same seed gives the same intervals (bootstrap_test.cc checks other seeds).
  rows = BuildReport(runs, {});
  EXPECT_EQ((*rows)[0].mean_final_gen_acc_ci->low, r.mean_final_gen_acc_ci->low);
  EXPECT_EQ((*rows)[0].mean_final_gen_acc_ci->high, r.mean_final_gen_acc_ci->high);
  ReportOptions other;
  other.bootstrap.resamples = 5;
  EXPECT_EQ(BuildReport(runs, other).status().code(), absl::StatusCode::kInvalidArgument);

  // Two more seeds that cross early: now the median crossing is known exactly.
  runs.push_back(MakeRun(6, 2, true, 0.9, {0.9, 0.9, 0.9}));
  runs.push_back(MakeRun(7, 2, true, 0.95, {0.95, 0.95, 0.95}));
  rows = BuildReport(runs, {});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].median_first_cross_step->value, 3000);
  EXPECT_FALSE((*rows)[0].median_first_cross_step->censored);
}

TEST(ReportTest, ACellWithNoFinishedSeedHasNoStatistics) {
  std::vector<ReportRun> runs = {MakeRun(1, 6, false, 0.5, {0.9})};
  absl::StatusOr<std::vector<ReportRow>> rows = BuildReport(runs, {});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  const ReportRow& r = (*rows)[0];
  EXPECT_EQ(r.seeds_total, 1);
  EXPECT_EQ(r.seeds_finished, 0);
  EXPECT_EQ(r.seeds_counted, 0);
  EXPECT_EQ(r.seeds_grokked, 0);
  EXPECT_FALSE(r.mean_final_gen_acc.has_value());
  EXPECT_FALSE(r.median_final_gen_acc.has_value());
  EXPECT_FALSE(r.mean_gen_acc_at_early_stop.has_value());
  EXPECT_FALSE(r.median_grok_step.has_value());
  EXPECT_FALSE(r.mean_final_gen_acc_ci.has_value());
  EXPECT_FALSE(r.mean_final_minus_early_stop.has_value());
  EXPECT_FALSE(r.median_first_cross_step.has_value());
  EXPECT_FALSE(r.median_stay_above_step.has_value());
}

TEST(ReportTest, GroupByAnAxisTheRunsLack) {
  std::vector<ReportRun> runs = {MakeRun(3, 6, true, 0.5, {0.9})};
  ReportOptions o;
  o.group_by = {"lr"};
  absl::StatusOr<std::vector<ReportRow>> rows = BuildReport(runs, o);
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(rows.status().message().find("'lr' is not a grid axis of run 3 (its axes: depth)"),
            std::string::npos)
      << rows.status();
  EXPECT_TRUE(BuildReport({}, {}).ok());
}

}  // namespace
}  // namespace analysis
}  // namespace sg
