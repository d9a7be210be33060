#include "analysis/smooth.h"

#include <cmath>

#include "gtest/gtest.h"

namespace sg {
namespace analysis {
namespace {

TEST(SmoothTest, ExponentialMovingAverage) {
  absl::StatusOr<std::vector<double>> s = ExponentialMovingAverage({0, 1, 1, 0}, 0.5);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (std::vector<double>{0, 0.5, 0.75, 0.375}));
  s = ExponentialMovingAverage({0.2, 0.9, 0.4}, 1);
  EXPECT_EQ(*s, (std::vector<double>{0.2, 0.9, 0.4}));  // alpha 1: unchanged
}

TEST(SmoothTest, NaNCarriesTheAverageForward) {
  absl::StatusOr<std::vector<double>> s =
      ExponentialMovingAverage({std::nan(""), 1, std::nan(""), 0}, 0.5);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(std::isnan((*s)[0]));
  EXPECT_EQ((*s)[1], 1);
  EXPECT_EQ((*s)[2], 1);
  EXPECT_EQ((*s)[3], 0.5);
}

TEST(SmoothTest, AlphaOutsideTheUnitIntervalIsRefused) {
  for (double alpha : {0.0, -0.1, 1.5, std::nan("")}) {
    absl::Status s = ExponentialMovingAverage({1}, alpha).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << alpha;
    EXPECT_NE(s.message().find("--smooth"), std::string::npos);
  }
}

}  // namespace
}  // namespace analysis
}  // namespace sg
