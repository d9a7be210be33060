#include "analysis/stats.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace sg {
namespace analysis {
namespace {

// Expected values are numpy.percentile's default (linear) for the same samples, by hand:
// h = (n - 1) q; x[floor h] + frac(h) (x[floor h + 1] - x[floor h]).
TEST(StatsTest, QuantilesInterpolateBetweenOrderStatistics) {
  const std::vector<double> x = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(SortedQuantile(x, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(SortedQuantile(x, 0.10), 1.3);
  EXPECT_DOUBLE_EQ(SortedQuantile(x, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(SortedQuantile(x, 0.50), 2.5);
  EXPECT_DOUBLE_EQ(SortedQuantile(x, 0.75), 3.25);
  EXPECT_DOUBLE_EQ(SortedQuantile(x, 0.90), 3.7);
  EXPECT_DOUBLE_EQ(SortedQuantile(x, 1.0), 4.0);
}

TEST(StatsTest, OddCountMedianIsTheMiddleValue) {
  EXPECT_DOUBLE_EQ(Median({5, 1, 3}), 3.0);
  EXPECT_DOUBLE_EQ(Median({7}), 7.0);
  EXPECT_DOUBLE_EQ(SortedQuantile({7}, 0.9), 7.0);
}

TEST(StatsTest, MeanAndEmptySamples) {
  EXPECT_DOUBLE_EQ(Mean({1, 2, 6}), 3.0);
  EXPECT_TRUE(std::isnan(Mean({})));
  EXPECT_TRUE(std::isnan(Median({})));
  EXPECT_TRUE(std::isnan(SortedQuantile({}, 0.5)));
}

}  // namespace
}  // namespace analysis
}  // namespace sg
