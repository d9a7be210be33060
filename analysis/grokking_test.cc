#include "analysis/grokking.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace sg {
namespace analysis {
namespace {

// Builds a curve at steps 1000, 2000, ... from values.
Curve Steps(std::vector<double> values, int64_t every = 1000) {
  Curve c;
  for (size_t i = 0; i < values.size(); ++i) {
    c.push_back({static_cast<int64_t>(i + 1) * every, values[i]});
  }
  return c;
}

RunAnalysis Analyze(const Curve& val, const Curve& gen, const GrokOptions& o = {}) {
  absl::StatusOr<RunAnalysis> a = AnalyzeRun(val, gen, /*finished=*/true, o);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *a : RunAnalysis{};
}

TEST(GrokkingTest, ARunThatGroks) {
  // val saturates early; gen crosses 0.8 at step 5000 and stays above.
  const Curve val = Steps({0.5, 0.95, 0.985, 0.99, 1.0, 0.999, 1.0, 0.998});
  const Curve gen = Steps({0.1, 0.2, 0.3, 0.5, 0.85, 0.9, 0.95, 0.97});
  const RunAnalysis a = Analyze(val, gen);
  EXPECT_TRUE(a.finished);
  EXPECT_EQ(a.last_step, 8000);
  EXPECT_EQ(a.best_val_acc, 1.0);
  EXPECT_EQ(a.val_saturation_step, 4000);  // first >= 0.99 * 1.0
  EXPECT_EQ(a.early_stop_step, 5000);      // first step of the best (1.0 again at 7000)
  EXPECT_EQ(a.gen_acc_at_early_stop, 0.85);
  EXPECT_EQ(a.final_gen_acc, 0.97);
  EXPECT_EQ(a.grok_step, 5000);
  EXPECT_TRUE(a.grokked);
}

TEST(GrokkingTest, ARunThatNeverGroks) {
  const Curve val = Steps({0.6, 0.9, 0.97, 0.98});
  const Curve gen = Steps({0.1, 0.3, 0.6, 0.79});
  const RunAnalysis a = Analyze(val, gen);
  EXPECT_FALSE(a.grok_step.has_value());
  EXPECT_FALSE(a.grokked);
  EXPECT_EQ(a.final_gen_acc, 0.79);
  EXPECT_EQ(a.early_stop_step, 4000);
  EXPECT_EQ(a.gen_acc_at_early_stop, 0.79);
  EXPECT_EQ(a.val_saturation_step, 4000);  // 0.97 < 0.99 * 0.98 = 0.9702
}

TEST(GrokkingTest, CrossingAndDroppingBackDoesNotCount) {
  const Curve val = Steps({1, 1, 1, 1, 1, 1});
  const Curve gen = Steps({0.5, 0.85, 0.9, 0.7, 0.85, 0.9});
  const RunAnalysis a = Analyze(val, gen);
  EXPECT_EQ(a.grok_step, 5000);  // not 2000: it dropped to 0.7 at 4000
  EXPECT_TRUE(a.grokked);
  EXPECT_EQ(a.first_cross_step, 2000);  // the first crossing counts whether or not it stays
  EXPECT_EQ(a.last_gen_step, 6000);

  // Dropping back at the very end: not grokked, even though it was above for a while.
  const RunAnalysis b = Analyze(val, Steps({0.5, 0.85, 0.9, 0.95, 0.9, 0.6}));
  EXPECT_FALSE(b.grokked);
  EXPECT_FALSE(b.grok_step.has_value());
  EXPECT_EQ(b.final_gen_acc, 0.6);
  EXPECT_EQ(b.first_cross_step, 2000);

  // Never above: no crossing; censored at the last evaluation, NaN points not counted.
  const RunAnalysis c = Analyze(val, Curve{{1000, 0.5}, {2000, 0.7}, {3000, std::nan("")}});
  EXPECT_FALSE(c.first_cross_step.has_value());
  EXPECT_EQ(c.last_gen_step, 2000);
}

TEST(GrokkingTest, TheThresholdItselfIsNotAbove) {
  const RunAnalysis a = Analyze(Steps({1, 1}), Steps({0.9, 0.8}));
  EXPECT_FALSE(a.grokked);
  GrokOptions low;
  low.grok_threshold = 0.5;
  const RunAnalysis b = Analyze(Steps({1, 1}), Steps({0.9, 0.8}), low);
  EXPECT_EQ(b.grok_step, 1000);
}

TEST(GrokkingTest, SaturationRules) {
  const Curve val = Steps({0.5, 0.95, 0.985, 0.99, 1.0});
  const Curve gen = Steps({0, 0, 0, 0, 0});
  GrokOptions frac;
  frac.saturation_fraction = 0.95;  // first >= 0.95
  EXPECT_EQ(Analyze(val, gen, frac).val_saturation_step, 2000);
  GrokOptions absolute;
  absolute.saturation = SaturationRule::kAbsolute;
  absolute.saturation_threshold = 0.98;
  EXPECT_EQ(Analyze(val, gen, absolute).val_saturation_step, 3000);
  absolute.saturation_threshold = 1.5;  // never reached
  EXPECT_FALSE(Analyze(val, gen, absolute).val_saturation_step.has_value());
  // A run whose val_acc is 0 throughout has not saturated under the relative rule.
  EXPECT_FALSE(Analyze(Steps({0, 0}), gen).val_saturation_step.has_value());
}

TEST(GrokkingTest, BothEarlyStoppingDefinitions) {
  const Curve val = Steps({0.5, 0.97, 0.992, 0.99, 1.0, 0.995});
  const Curve gen = Steps({0.1, 0.2, 0.3, 0.4, 0.5, 0.9});
  const RunAnalysis first_best = Analyze(val, gen);
  EXPECT_EQ(first_best.early_stop_step, 5000);
  EXPECT_EQ(first_best.gen_acc_at_early_stop, 0.5);

  GrokOptions within;
  ASSERT_TRUE(ParseEarlyStop("within_0.01", &within).ok());
  EXPECT_EQ(within.early_stop, EarlyStopRule::kWithinTolerance);
  EXPECT_DOUBLE_EQ(within.early_stop_tolerance, 0.01);
  const RunAnalysis w = Analyze(val, gen, within);
  EXPECT_EQ(w.early_stop_step, 3000);  // 0.992 >= 1.0 - 0.01
  EXPECT_EQ(w.gen_acc_at_early_stop, 0.3);

  GrokOptions wide;
  ASSERT_TRUE(ParseEarlyStop("within_0.05", &wide).ok());
  EXPECT_EQ(Analyze(val, gen, wide).early_stop_step, 2000);
  ASSERT_TRUE(ParseEarlyStop("first_best", &wide).ok());
  EXPECT_EQ(wide.early_stop, EarlyStopRule::kFirstBest);

  for (const char* bad : {"best", "within_", "within_-1", "within_x", ""}) {
    GrokOptions o;
    absl::Status s = ParseEarlyStop(bad, &o);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("early_stop"), std::string::npos);
  }
}

TEST(GrokkingTest, GenAccAtEarlyStopWhenStepsDiffer) {
  // val every 1000, gen every 2000: the early-stopping step 3000 has no gen point; the last
  // gen point before it (2000) is used.
  const Curve val = Steps({0.5, 0.9, 1.0, 0.9});
  const Curve gen = Steps({0.25, 0.45}, 2000);
  const RunAnalysis a = Analyze(val, gen);
  EXPECT_EQ(a.early_stop_step, 3000);
  EXPECT_EQ(a.gen_acc_at_early_stop, 0.25);
  // gen starting after the early-stopping step: no value.
  const RunAnalysis b = Analyze(Steps({1.0, 0.5}), Curve{{5000, 0.9}});
  EXPECT_EQ(b.early_stop_step, 1000);
  EXPECT_FALSE(b.gen_acc_at_early_stop.has_value());
  EXPECT_EQ(b.last_step, 5000);
}

TEST(GrokkingTest, EmptyCurvesAndNan) {
  const RunAnalysis a = Analyze({}, {});
  EXPECT_EQ(a.last_step, 0);
  EXPECT_FALSE(a.best_val_acc.has_value());
  EXPECT_FALSE(a.val_saturation_step.has_value());
  EXPECT_FALSE(a.early_stop_step.has_value());
  EXPECT_FALSE(a.final_gen_acc.has_value());
  EXPECT_FALSE(a.grokked);

  const double nan = std::numeric_limits<double>::quiet_NaN();
  const RunAnalysis b = Analyze(Steps({0.5, nan, 0.9}), Steps({0.9, 0.95, nan}));
  EXPECT_EQ(b.best_val_acc, 0.9);
  EXPECT_EQ(b.early_stop_step, 3000);
  EXPECT_EQ(b.final_gen_acc, 0.95);  // the trailing NaN is skipped
  EXPECT_EQ(b.grok_step, 1000);
}

TEST(GrokkingTest, InvalidOptionsAndCurves) {
  GrokOptions o;
  o.saturation_fraction = 0;
  absl::StatusOr<RunAnalysis> a = AnalyzeRun({}, {}, true, o);
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(a.status().message().find("saturation_fraction"), std::string::npos);
  o = {};
  o.early_stop_tolerance = -0.1;
  EXPECT_FALSE(AnalyzeRun({}, {}, true, o).ok());
  o = {};
  o.grok_threshold = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(AnalyzeRun({}, {}, true, o).ok());
  absl::StatusOr<RunAnalysis> bad = AnalyzeRun({}, Curve{{2, 0}, {2, 1}}, true, {});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("gen_acc"), std::string::npos);
}

TEST(GrokkingTest, RunAnalyzerFollowsArrivingPoints) {
  RunAnalyzer analyzer(GrokOptions{});
  absl::StatusOr<RunAnalysis> empty = analyzer.Analyze(false);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->grokked);
  EXPECT_FALSE(empty->finished);

  // Out of order, with a metric to ignore and a repeated step that overwrites.
  analyzer.Observe("gen_acc", 2000, 0.9);
  analyzer.Observe("val_acc", 2000, 1.0);
  analyzer.Observe("train_loss", 2000, 0.01);
  analyzer.Observe("val_acc", 1000, 0.5);
  analyzer.Observe("gen_acc", 1000, 0.2);
  absl::StatusOr<RunAnalysis> a = analyzer.Analyze(false);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->grok_step, 2000);
  EXPECT_EQ(a->early_stop_step, 2000);
  EXPECT_EQ(a->last_step, 2000);

  analyzer.Observe("gen_acc", 3000, 0.5);  // drops back: no longer grokked
  analyzer.Observe("val_acc", 3000, 1.0);
  a = analyzer.Analyze(true);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->grokked);
  EXPECT_TRUE(a->finished);
  analyzer.Observe("gen_acc", 3000, 0.95);  // the store's "later value wins"
  a = analyzer.Analyze(true);
  EXPECT_EQ(a->grok_step, 2000);
  EXPECT_EQ(a->final_gen_acc, 0.95);
}

}  // namespace
}  // namespace analysis
}  // namespace sg
