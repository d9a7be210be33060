// PackConcurrency on synthetic measurements: no clock, no device.
#include "worker/pack_concurrency.h"

#include <optional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sg {
namespace {

using ::testing::HasSubstr;

PackConcurrencyOptions Options() {
  PackConcurrencyOptions o;
  o.max_packs = 6;
  o.min_gain = 0.10;
  o.samples_per_level = 3;
  o.reprobe_after_samples = 5;
  return o;
}

// Feeds `n` steady samples at the current target with the rate `rate_of(target)` and returns
// the last decision made (if any).
template <typename RateOf>
std::optional<PackConcurrency::Decision> Feed(PackConcurrency* c, int n, RateOf rate_of,
                                              bool memory = true) {
  std::optional<PackConcurrency::Decision> last;
  for (int i = 0; i < n; ++i) {
    std::optional<PackConcurrency::Decision> d =
        c->Observe(c->target(), rate_of(c->target()), memory);
    if (d.has_value()) last = d;
  }
  return last;
}

TEST(PackConcurrencyTest, RaisesWhileEachPackMorePaysThenStepsBack) {
  PackConcurrency c(Options());
  EXPECT_EQ(c.target(), 1);
  // A device that saturates at 3 packs: 100, 170, 220, 225 (+2%), ...
  auto rate = [](int packs) { return packs == 1 ? 100.0 : packs == 2 ? 170.0 : packs == 3 ? 220.0 : 225.0; };
  // Two samples are not a measurement yet.
  EXPECT_FALSE(c.Observe(1, 100, true).has_value());
  EXPECT_FALSE(c.Observe(1, 100, true).has_value());
  std::optional<PackConcurrency::Decision> d = c.Observe(1, 100, true);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->from, 1);
  EXPECT_EQ(d->to, 2);
  EXPECT_THAT(d->reason, HasSubstr("trying 2"));
  d = Feed(&c, 3, rate);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->to, 3);
  EXPECT_THAT(d->reason, HasSubstr("+70%"));
  d = Feed(&c, 3, rate);
  EXPECT_EQ(d->to, 4);
  // The fourth pack added 2%: back to 3, and 3 is now the ceiling.
  d = Feed(&c, 3, rate);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->from, 4);
  EXPECT_EQ(d->to, 3);
  EXPECT_THAT(d->reason, HasSubstr("not more than 10% better"));
  EXPECT_EQ(c.ceiling(), 3);
  EXPECT_DOUBLE_EQ(c.MeasuredRate(1), 100);
  EXPECT_DOUBLE_EQ(c.MeasuredRate(4), 225);
}

TEST(PackConcurrencyTest, ASmallGainIsNotEnough) {
  PackConcurrency c(Options());
  Feed(&c, 3, [](int) { return 100.0; });
  ASSERT_EQ(c.target(), 2);
  // +10% exactly is not more than 10%.
  std::optional<PackConcurrency::Decision> d = Feed(&c, 3, [](int) { return 110.0; });
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->to, 1);
}

TEST(PackConcurrencyTest, SamplesAtAnotherCountOrUnsteadyOnesDoNotCount) {
  PackConcurrency c(Options());
  Feed(&c, 3, [](int) { return 100.0; });
  ASSERT_EQ(c.target(), 2);
  // One pack running under a target of 2 (the queue ran short: the tail of a grid): no evidence.
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(c.Observe(1, 50, true).has_value());
  EXPECT_EQ(c.target(), 2);
  // Two samples, a pack starts (unsteady), two more: still not measured (needs 3 in a row).
  EXPECT_FALSE(c.Observe(2, 300, true).has_value());
  EXPECT_FALSE(c.Observe(2, 300, true).has_value());
  c.ObserveUnsteady();
  EXPECT_FALSE(c.Observe(2, 300, true).has_value());
  EXPECT_FALSE(c.Observe(2, 300, true).has_value());
  std::optional<PackConcurrency::Decision> d = c.Observe(2, 300, true);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->to, 3);
}

TEST(PackConcurrencyTest, MemoryHoldsTheTargetAndTheCapIsKept) {
  PackConcurrency c(Options());
  std::optional<PackConcurrency::Decision> d = Feed(&c, 3, [](int) { return 100.0; }, false);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->from, 1);
  EXPECT_EQ(d->to, 1);
  EXPECT_THAT(d->reason, HasSubstr("does not fit in memory"));
  EXPECT_EQ(c.target(), 1);
  // Said once: the next measurement with no memory decides nothing.
  EXPECT_FALSE(Feed(&c, 3, [](int) { return 100.0; }, false).has_value());
  EXPECT_EQ(c.target(), 1);
  // Memory frees: up it goes, each pack paying, until max_packs.
  Feed(&c, 100, [](int packs) { return 100.0 * packs; });
  EXPECT_EQ(c.target(), 6);
  EXPECT_FALSE(Feed(&c, 10, [](int packs) { return 100.0 * packs; }).has_value());
}

TEST(PackConcurrencyTest, OutOfMemoryTakesOnePackOffAndCapsThere) {
  PackConcurrency c(Options());
  EXPECT_FALSE(c.OutOfMemory().has_value()) << "never below one pack";
  Feed(&c, 6, [](int packs) { return 100.0 * packs; });
  ASSERT_EQ(c.target(), 3);
  std::optional<PackConcurrency::Decision> d = c.OutOfMemory();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->from, 3);
  EXPECT_EQ(d->to, 2);
  EXPECT_EQ(c.ceiling(), 2);
  // Paying or not, the ceiling holds until it is probed again.
  EXPECT_FALSE(Feed(&c, 3, [](int packs) { return 100.0 * packs; }).has_value());
  EXPECT_EQ(c.target(), 2);
}

TEST(PackConcurrencyTest, ACeilingIsProbedAgainLater) {
  PackConcurrency c(Options());
  Feed(&c, 3, [](int) { return 100.0; });  // -> 2
  Feed(&c, 3, [](int) { return 100.0; });  // 2 did not pay -> 1, ceiling 1
  ASSERT_EQ(c.target(), 1);
  ASSERT_EQ(c.ceiling(), 1);
  // At the ceiling: no change for reprobe_after_samples - 1 samples ...
  EXPECT_FALSE(Feed(&c, 4, [](int) { return 100.0; }).has_value());
  EXPECT_EQ(c.target(), 1);
  // ... then the ceiling is forgotten and the level measured afresh; now two packs pay.
  std::optional<PackConcurrency::Decision> d = Feed(&c, 4, [](int packs) { return 100.0 * packs; });
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->to, 2);
  EXPECT_EQ(c.ceiling(), 0);
  d = Feed(&c, 3, [](int packs) { return 100.0 * packs; });
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->to, 3);
}

// A ceiling's level re-measured on a later mix of packs is not compared with a measurement of
// the level below that is stale: the H200 grid of 2026-12-04 stepped from 2 packs to 1 that
// way and ran its last packs one at a time.
TEST(PackConcurrencyTest, AStaleMeasurementBelowTakesNoPackOff) {
  for (const int stale_after : {5, 1000}) {
    PackConcurrencyOptions o = Options();
    o.stale_after_samples = stale_after;
    PackConcurrency c(o);
    auto first_mix = [](int packs) { return packs == 1 ? 100.0 : packs == 2 ? 150.0 : 155.0; };
    Feed(&c, 3, first_mix);  // 1: 100 -> 2
    Feed(&c, 3, first_mix);  // 2: 150 (+50%) -> 3
    Feed(&c, 3, first_mix);  // 3: 155 (+3%) -> back to 2, the ceiling
    ASSERT_EQ(c.target(), 2);
    ASSERT_EQ(c.ceiling(), 2);
    // Later packs (and evaluations) give two packs 80: below the first mix's single pack.
    std::optional<PackConcurrency::Decision> d = Feed(&c, 8, [](int) { return 80.0; });
    ASSERT_TRUE(d.has_value());
    if (stale_after == 5) {
      EXPECT_EQ(d->to, 3) << d->reason;  // not compared with 1's old 100: the probe goes on
      EXPECT_THAT(d->reason, HasSubstr("older than 5 samples"));
    } else {
      EXPECT_EQ(d->to, 1) << d->reason;  // compared: the step down this rule prevents
    }
  }
}

}  // namespace
}  // namespace sg
