#include "common/clock.h"

#include "gtest/gtest.h"

namespace sg {
namespace {

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.NowMillis(), 1000);
  clock.AdvanceMillis(250);
  EXPECT_EQ(clock.NowMillis(), 1250);
  clock.SetMillis(5);
  EXPECT_EQ(clock.NowMillis(), 5);
}

TEST(RealClockTest, IsAfter2020) {
  EXPECT_GT(RealClock::Get()->NowMillis(), int64_t{1'577'836'800'000});
}

}  // namespace
}  // namespace sg
