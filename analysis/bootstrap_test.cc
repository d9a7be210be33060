#include "analysis/bootstrap.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"

namespace sg {
namespace analysis {
namespace {

// Standard normal draws by Box-Muller from a fixed generator, so the test sees the same
// samples on every machine.
double Normal(std::mt19937_64& rng) {
  const double scale = 1.0 / 18446744073709551616.0;  // 2^-64
  const double u1 = (static_cast<double>(rng()) + 1) * scale;
  const double u2 = static_cast<double>(rng()) * scale;
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
}

TEST(BootstrapTest, CoversTheTrueMeanOfANormalAboutNinetyFivePercentOfTheTime) {
  // 400 samples of 20 seeds from N(0.6, 0.1^2): the interval should hold 0.6 in about 95% of
  // them (the percentile bootstrap runs a little under nominal for small samples).
  std::mt19937_64 rng(7);
  BootstrapOptions options;
  options.resamples = 2000;
  int covered = 0;
  double width = 0;
  constexpr int kTrials = 400;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::vector<double> sample;
    for (int i = 0; i < 20; ++i) sample.push_back(0.6 + 0.1 * Normal(rng));
    options.seed = static_cast<uint64_t>(trial);
    absl::StatusOr<Interval> ci = BootstrapMeanInterval(sample, options);
    ASSERT_TRUE(ci.ok()) << ci.status();
    ASSERT_LE(ci->low, ci->high);
    if (ci->low <= 0.6 && 0.6 <= ci->high) ++covered;
    width += ci->high - ci->low;
  }
  const double coverage = static_cast<double>(covered) / kTrials;
  EXPECT_GE(coverage, 0.90);
  EXPECT_LE(coverage, 0.98);
  // The normal-theory width is 2 * 1.96 * 0.1 / sqrt(20) = 0.0877.
  EXPECT_NEAR(width / kTrials, 0.0877, 0.01);
}

TEST(BootstrapTest, TheConfidenceLevelSetsTheCoverage) {
  std::mt19937_64 rng(11);
  BootstrapOptions options;
  options.resamples = 2000;
  options.confidence = 0.5;
  int covered = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<double> sample;
    for (int i = 0; i < 20; ++i) sample.push_back(Normal(rng));
    options.seed = static_cast<uint64_t>(trial);
    absl::StatusOr<Interval> ci = BootstrapMeanInterval(sample, options);
    ASSERT_TRUE(ci.ok());
    if (ci->low <= 0 && 0 <= ci->high) ++covered;
  }
  EXPECT_NEAR(covered / 400.0, 0.5, 0.08);
}

TEST(BootstrapTest, ReproducibleBySeed) {
  const std::vector<double> seeds = {0.31, 0.95, 0.42, 0.97, 0.88, 0.35, 0.99, 0.41, 0.93, 0.5};
  BootstrapOptions a;
  absl::StatusOr<Interval> first = BootstrapMeanInterval(seeds, a);
  absl::StatusOr<Interval> again = BootstrapMeanInterval(seeds, a);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->low, again->low);  // bit for bit
  EXPECT_EQ(first->high, again->high);
  BootstrapOptions b = a;
  b.seed = a.seed + 1;
  absl::StatusOr<Interval> other = BootstrapMeanInterval(seeds, b);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->low != first->low || other->high != first->high);
  // Either seed gives an interval around the mean (0.671), inside the sample's range.
  for (const Interval& ci : {*first, *other}) {
    EXPECT_LT(ci.low, 0.671);
    EXPECT_GT(ci.high, 0.671);
    EXPECT_GE(ci.low, 0.31);
    EXPECT_LE(ci.high, 0.99);
  }
}

TEST(BootstrapTest, ExactOnTinySamples) {
  // Two values: resampled means are 0, 0.5 and 1 with chances 1/4, 1/2, 1/4, so the 2.5% and
  // 97.5% quantiles of 10000 of them are 0 and 1.
  absl::StatusOr<Interval> ci = BootstrapMeanInterval({0, 1}, BootstrapOptions{});
  ASSERT_TRUE(ci.ok());
  EXPECT_EQ(ci->low, 0);
  EXPECT_EQ(ci->high, 1);
  ci = BootstrapMeanInterval({0.7}, BootstrapOptions{});
  ASSERT_TRUE(ci.ok());
  EXPECT_EQ(ci->low, 0.7);
  EXPECT_EQ(ci->high, 0.7);
  ci = BootstrapMeanInterval({0.4, 0.4, 0.4}, BootstrapOptions{});
  ASSERT_TRUE(ci.ok());
  EXPECT_EQ(ci->low, 0.4);
  EXPECT_EQ(ci->high, 0.4);
}

TEST(BootstrapTest, BadInputIsRefused) {
  EXPECT_EQ(BootstrapMeanInterval({}, {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BootstrapMeanInterval({1, std::nan("")}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  BootstrapOptions o;
  o.resamples = 10;
  absl::Status s = BootstrapMeanInterval({1, 2}, o).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("resamples"), std::string::npos);
  o = BootstrapOptions{};
  o.confidence = 1;
  EXPECT_EQ(ValidateBootstrapOptions(o).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace analysis
}  // namespace sg
