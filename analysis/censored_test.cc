#include "analysis/censored.h"

#include "gtest/gtest.h"

namespace sg {
namespace analysis {
namespace {

EventTime At(double step) { return {step, false}; }
EventTime After(double horizon) { return {horizon, true}; }

TEST(CensoredMedianTest, WithoutCensoringItIsThePlainMedian) {
  std::optional<CensoredMedian> m = MedianWithCensoring({At(3000), At(1000), At(2000)});
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->value, 2000);
  EXPECT_FALSE(m->censored);
  m = MedianWithCensoring({At(1000), At(2000), At(4000), At(3000)});
  EXPECT_EQ(m->value, 2500);
  EXPECT_FALSE(m->censored);
  EXPECT_FALSE(MedianWithCensoring({}).has_value());
}

TEST(CensoredMedianTest, CensoredSeedsRankAfterEveryCrossingAndCount) {
  // Two of five seeds crossed by the shared horizon 24000: the median is not known, only that
  // it is after 24000. Leaving the censored seeds out would have said 3000.
  std::optional<CensoredMedian> m = MedianWithCensoring(
      {At(2000), At(4000), After(24000), After(24000), After(24000)});
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->value, 24000);
  EXPECT_TRUE(m->censored);
  // Three of five crossed: the median is the third crossing, exactly.
  m = MedianWithCensoring({At(2000), At(4000), At(9000), After(24000), After(24000)});
  EXPECT_EQ(m->value, 9000);
  EXPECT_FALSE(m->censored);
  // Even count, the upper middle seed censored: at least the midpoint with the horizon.
  m = MedianWithCensoring({At(2000), At(4000), After(10000), After(10000)});
  EXPECT_EQ(m->value, 7000);
  EXPECT_TRUE(m->censored);
  // Even count, both middle seeds crossed.
  m = MedianWithCensoring({At(2000), At(4000), At(6000), After(10000)});
  EXPECT_EQ(m->value, 5000);
  EXPECT_FALSE(m->censored);
  // Every seed censored.
  m = MedianWithCensoring({After(24000), After(24000)});
  EXPECT_EQ(m->value, 24000);
  EXPECT_TRUE(m->censored);
}

TEST(CensoredMedianTest, AShortHorizonBelowTheMedianMakesItALowerBound) {
  // A seed stopped at 3000 without crossing might cross at any later step, so the median is
  // between 5000 (it crosses before 5000) and 6000 (it crosses late): reported as >5000.
  std::optional<CensoredMedian> m = MedianWithCensoring({After(3000), At(5000), At(6000)});
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->value, 5000);
  EXPECT_TRUE(m->censored);
  // A censored seed beyond the median changes nothing.
  m = MedianWithCensoring({At(1000), At(5000), After(9000)});
  EXPECT_EQ(m->value, 5000);
  EXPECT_FALSE(m->censored);
}

}  // namespace
}  // namespace analysis
}  // namespace sg
