#include "analysis/aggregate.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace sg {
namespace analysis {
namespace {

SeedCurve Seed(int64_t run_id, double depth, bool finished, Curve points) {
  SeedCurve s;
  s.run_id = run_id;
  s.seed = run_id * 10;
  s.cell = {{"depth", depth}};
  s.finished = finished;
  s.points = std::move(points);
  return s;
}

const AggregatePoint* At(const AggregateCurve& c, int64_t step) {
  for (const AggregatePoint& p : c.points) {
    if (p.step == step) return &p;
  }
  return nullptr;
}

TEST(AggregateTest, StatisticsAtAStepAreExact) {
  // At step 100 the values are {0.5, 0.9, 0.1, 0.7}, sorted {0.1, 0.5, 0.7, 0.9}: h = 3q.
  std::vector<SeedCurve> runs = {
      Seed(1, 6, true, {{100, 0.5}, {200, 1.0}}), Seed(2, 6, true, {{100, 0.9}, {200, 1.0}}),
      Seed(3, 6, true, {{100, 0.1}, {200, 1.0}}), Seed(4, 6, true, {{100, 0.7}, {200, 1.0}})};
  absl::StatusOr<std::vector<AggregateCurve>> out = AggregateByGroup(runs, {});
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 1u);
  const AggregateCurve& c = (*out)[0];
  EXPECT_EQ(c.label, "depth=6");
  EXPECT_EQ(c.unfinished_seeds, 0);
  ASSERT_EQ(c.points.size(), 2u);
  const AggregatePoint& p = c.points[0];
  EXPECT_EQ(p.step, 100);
  EXPECT_EQ(p.n, 4);
  EXPECT_DOUBLE_EQ(p.mean, 0.55);
  EXPECT_DOUBLE_EQ(p.median, 0.6);
  EXPECT_DOUBLE_EQ(p.p10, 0.22);  // 0.1 + 0.3 * 0.4
  EXPECT_DOUBLE_EQ(p.p25, 0.4);   // 0.1 + 0.75 * 0.4
  EXPECT_DOUBLE_EQ(p.p75, 0.75);  // 0.7 + 0.25 * 0.2
  EXPECT_DOUBLE_EQ(p.p90, 0.84);  // 0.7 + 0.7 * 0.2
  EXPECT_DOUBLE_EQ(p.min, 0.1);
  EXPECT_DOUBLE_EQ(p.max, 0.9);
  const AggregatePoint& q = c.points[1];
  EXPECT_EQ(q.n, 4);
  EXPECT_DOUBLE_EQ(q.median, 1.0);
  EXPECT_DOUBLE_EQ(q.p10, 1.0);
}

TEST(AggregateTest, UnfinishedSeedsAreFlaggedAndCountedOnlyWhereTheyHaveValues) {
  std::vector<SeedCurve> runs = {
      Seed(1, 2, true, {{100, 0.2}, {200, 0.4}, {300, 0.6}}),
      Seed(2, 2, false, {{100, 0.4}, {200, 0.8}}),  // still running, last step 200
      Seed(3, 2, true, {{100, 0.0}, {200, 0.0}, {300, 0.9}})};
  absl::StatusOr<std::vector<AggregateCurve>> out = AggregateByGroup(runs, {});
  ASSERT_TRUE(out.ok());
  const AggregateCurve& c = (*out)[0];
  EXPECT_EQ(c.unfinished_seeds, 1);
  ASSERT_EQ(c.seeds.size(), 3u);
  EXPECT_EQ(c.seeds[1].run_id, 2);
  EXPECT_FALSE(c.seeds[1].finished);
  EXPECT_EQ(c.seeds[1].last_step, 200);
  EXPECT_EQ(c.seeds[1].num_points, 2);
  EXPECT_TRUE(c.seeds[0].finished);
  EXPECT_EQ(c.seeds[0].last_step, 300);
  ASSERT_EQ(c.points.size(), 3u);
  EXPECT_EQ(At(c, 200)->n, 3);
  EXPECT_DOUBLE_EQ(At(c, 200)->median, 0.4);
  EXPECT_DOUBLE_EQ(At(c, 200)->mean, 0.4);
  // The unfinished seed is not carried past its last point.
  EXPECT_EQ(At(c, 300)->n, 2);
  EXPECT_DOUBLE_EQ(At(c, 300)->median, 0.75);
  EXPECT_DOUBLE_EQ(At(c, 300)->min, 0.6);
  EXPECT_DOUBLE_EQ(At(c, 300)->max, 0.9);
}

TEST(AggregateTest, ExactStepVersusCarryForwardOnOffsetGrids) {
  std::vector<SeedCurve> runs = {Seed(1, 4, true, {{100, 1.0}, {300, 3.0}}),
                                 Seed(2, 4, true, {{200, 20.0}, {400, 40.0}})};
  absl::StatusOr<std::vector<AggregateCurve>> exact = AggregateByGroup(runs, {});
  ASSERT_TRUE(exact.ok());
  ASSERT_EQ((*exact)[0].points.size(), 4u);
  for (const AggregatePoint& p : (*exact)[0].points) EXPECT_EQ(p.n, 1) << p.step;

  AggregateOptions carry;
  carry.alignment = Alignment::kCarryForward;
  absl::StatusOr<std::vector<AggregateCurve>> cf = AggregateByGroup(runs, carry);
  ASSERT_TRUE(cf.ok());
  const AggregateCurve& c = (*cf)[0];
  ASSERT_EQ(c.points.size(), 4u);
  EXPECT_EQ(At(c, 100)->n, 1);  // seed 2 has not started
  EXPECT_EQ(At(c, 200)->n, 2);  // seed 1 carries 1.0
  EXPECT_DOUBLE_EQ(At(c, 200)->mean, 10.5);
  EXPECT_EQ(At(c, 300)->n, 2);  // seed 2 carries 20.0
  EXPECT_DOUBLE_EQ(At(c, 300)->median, 11.5);
  EXPECT_EQ(At(c, 400)->n, 1);  // seed 1 ended at 300
  EXPECT_DOUBLE_EQ(At(c, 400)->mean, 40.0);
}

TEST(AggregateTest, NonFiniteValuesAreCountedNotAveraged) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<SeedCurve> runs = {Seed(1, 2, true, {{1, nan}, {2, 1.0}, {3, 2.0}}),
                                 Seed(2, 2, true, {{1, nan}, {2, 3.0}, {3, -inf}}),
                                 Seed(3, 2, true, {{1, inf}, {2, nan}, {3, 4.0}})};
  absl::StatusOr<std::vector<AggregateCurve>> out = AggregateByGroup(runs, {});
  ASSERT_TRUE(out.ok());
  const AggregateCurve& c = (*out)[0];
  ASSERT_EQ(c.points.size(), 3u);
  // Step 1: no seed is finite: kept, with n = 0 and NaN statistics.
  EXPECT_EQ(c.points[0].step, 1);
  EXPECT_EQ(c.points[0].n, 0);
  EXPECT_EQ(c.points[0].non_finite, 3);
  EXPECT_TRUE(std::isnan(c.points[0].mean));
  EXPECT_TRUE(std::isnan(c.points[0].median));
  EXPECT_TRUE(std::isnan(c.points[0].max));
  // Steps 2 and 3: statistics over the finite values, the others counted.
  EXPECT_EQ(c.points[1].n, 2);
  EXPECT_EQ(c.points[1].non_finite, 1);
  EXPECT_DOUBLE_EQ(c.points[1].mean, 2.0);
  EXPECT_EQ(c.points[2].n, 2);
  EXPECT_EQ(c.points[2].non_finite, 1);
  EXPECT_DOUBLE_EQ(c.points[2].min, 2.0);
  EXPECT_DOUBLE_EQ(c.points[2].max, 4.0);
  // Carried forward, a diverged seed stays counted as non-finite until its last point.
  AggregateOptions carry;
  carry.alignment = Alignment::kCarryForward;
  std::vector<SeedCurve> diverged = {Seed(1, 2, true, {{1, 1.0}, {2, nan}, {4, nan}}),
                                     Seed(2, 2, true, {{1, 1.0}, {3, 2.0}, {4, 2.0}})};
  out = AggregateByGroup(diverged, carry);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ((*out)[0].points.size(), 4u);
  EXPECT_EQ((*out)[0].points[2].step, 3);
  EXPECT_EQ((*out)[0].points[2].n, 1);
  EXPECT_EQ((*out)[0].points[2].non_finite, 1);
  // Thinned aggregates keep the all-NaN steps too (the median curve is NaN there).
  AggregateOptions thin;
  thin.max_points = 4;
  out = AggregateByGroup(runs, thin);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].points.size(), 3u);
}

TEST(AggregateTest, GroupsAreOrderedNumericallyAndByTheRequestedAxes) {
  std::vector<SeedCurve> runs;
  int64_t id = 0;
  for (double depth : {10.0, 2.0, 6.0}) {
    for (double lr : {1e-4, 5e-4}) {
      SeedCurve s = Seed(++id, depth, true, {{1, depth + lr}});
      s.cell = {{"depth", depth}, {"lr", lr}};
      runs.push_back(s);
    }
  }
  AggregateOptions by_depth;
  by_depth.group_by = {"depth"};
  absl::StatusOr<std::vector<AggregateCurve>> out = AggregateByGroup(runs, by_depth);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[0].label, "depth=2");
  EXPECT_EQ((*out)[1].label, "depth=6");
  EXPECT_EQ((*out)[2].label, "depth=10");  // numeric, not text, order
  EXPECT_EQ((*out)[2].points[0].n, 2);     // both learning rates pooled
  EXPECT_DOUBLE_EQ((*out)[2].points[0].mean, 10.0003);

  absl::StatusOr<std::vector<AggregateCurve>> cells = AggregateByGroup(runs, {});
  ASSERT_TRUE(cells.ok());
  ASSERT_EQ(cells->size(), 6u);
  EXPECT_EQ((*cells)[0].label, "depth=2,lr=0.0001");

  AggregateOptions by_width;
  by_width.group_by = {"width"};
  absl::StatusOr<std::vector<AggregateCurve>> bad = AggregateByGroup(runs, by_width);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'width' is not a grid axis of run 1"), std::string::npos)
      << bad.status();
}

TEST(AggregateTest, RejectsUnsortedCurves) {
  std::vector<SeedCurve> runs = {Seed(7, 2, true, {{2, 0}, {1, 0}})};
  absl::StatusOr<std::vector<AggregateCurve>> out = AggregateByGroup(runs, {});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("run 7"), std::string::npos);
}

TEST(AggregateTest, MaxPointsKeepsTheMediansJumpAndWholeRows) {
  // 3 seeds x 2000 steps; the median jumps from 0 to 1 at step 1234.
  std::vector<SeedCurve> runs;
  for (int64_t k = 0; k < 3; ++k) {
    Curve c;
    for (int64_t s = 1; s <= 2000; ++s) {
      c.push_back({s, (s >= 1234 ? 1.0 : 0.0) + 0.01 * static_cast<double>(k)});
    }
    runs.push_back(Seed(k + 1, 2, true, c));
  }
  AggregateOptions options;
  options.max_points = 40;
  absl::StatusOr<std::vector<AggregateCurve>> out = AggregateByGroup(runs, options);
  ASSERT_TRUE(out.ok()) << out.status();
  const AggregateCurve& c = (*out)[0];
  EXPECT_LE(c.points.size(), 40u);
  EXPECT_EQ(c.points.front().step, 1);
  EXPECT_EQ(c.points.back().step, 2000);
  const AggregatePoint* jump = At(c, 1234);
  ASSERT_NE(jump, nullptr);
  EXPECT_DOUBLE_EQ(jump->median, 1.01);
  EXPECT_DOUBLE_EQ(jump->min, 1.0);
  EXPECT_DOUBLE_EQ(jump->max, 1.02);
  EXPECT_EQ(jump->n, 3);

  options.max_points = 2;
  EXPECT_EQ(AggregateByGroup(runs, options).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace analysis
}  // namespace sg
