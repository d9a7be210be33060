#include "analysis/downsample.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sg {
namespace analysis {
namespace {

// A deterministic noisy curve: a slow trend plus a pseudo-random wiggle.
Curve Noisy(int64_t first_step, int64_t last_step) {
  Curve c;
  uint32_t state = 12345;
  for (int64_t s = first_step; s <= last_step; ++s) {
    state = state * 1664525u + 1013904223u;
    const double noise = static_cast<double>(state >> 8) / static_cast<double>(1u << 24);
    c.push_back({s, std::sin(static_cast<double>(s) * 1e-3) + noise});
  }
  return c;
}

bool Contains(const Curve& c, const Point& p) {
  return std::any_of(c.begin(), c.end(),
                     [&](const Point& q) { return q.step == p.step && q.value == p.value; });
}

// Checks that `out` is a subset of `in` in step order, keeps in's first and last points, and
// for every bucket (computed here independently from the documented rule) keeps exactly the
// bucket's minimum and maximum values.
void ExpectEnvelope(const Curve& in, const Curve& out, int64_t buckets, bool log_steps) {
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.front().step, in.front().step);
  EXPECT_EQ(out.front().value, in.front().value);
  EXPECT_EQ(out.back().step, in.back().step);
  EXPECT_EQ(out.back().value, in.back().value);
  for (size_t i = 1; i < out.size(); ++i) ASSERT_LT(out[i - 1].step, out[i].step);
  for (const Point& p : out) ASSERT_TRUE(Contains(in, p)) << "invented point at " << p.step;

  auto coord = [&](int64_t s) {
    return log_steps ? std::log(static_cast<double>(std::max<int64_t>(s, 1)))
                     : static_cast<double>(s);
  };
  const double lo = coord(in.front().step), hi = coord(in.back().step);
  auto bucket_of = [&](int64_t s) {
    return std::min<int64_t>(buckets - 1,
                             static_cast<int64_t>((coord(s) - lo) / (hi - lo) * buckets));
  };
  std::map<int64_t, std::pair<double, double>> in_range, out_range;  // bucket -> (min, max)
  auto add = [](std::map<int64_t, std::pair<double, double>>* m, int64_t b, double v) {
    auto it = m->find(b);
    if (it == m->end()) {
      (*m)[b] = {v, v};
    } else {
      it->second.first = std::min(it->second.first, v);
      it->second.second = std::max(it->second.second, v);
    }
  };
  for (const Point& p : in) add(&in_range, bucket_of(p.step), p.value);
  for (const Point& p : out) add(&out_range, bucket_of(p.step), p.value);
  ASSERT_EQ(in_range.size(), out_range.size());
  for (const auto& [b, range] : in_range) {
    ASSERT_TRUE(out_range.count(b)) << "bucket " << b << " lost";
    EXPECT_EQ(out_range[b].first, range.first) << "bucket " << b << " min";
    EXPECT_EQ(out_range[b].second, range.second) << "bucket " << b << " max";
  }
}

TEST(DownsampleTest, ZeroOrEnoughRoomReturnsTheCurveUnchanged) {
  const Curve c = Noisy(1, 50);
  for (int64_t k : {int64_t{0}, int64_t{50}, int64_t{1000}}) {
    absl::StatusOr<Curve> out = Downsample(c, {k, false});
    ASSERT_TRUE(out.ok()) << out.status();
    ASSERT_EQ(out->size(), c.size());
    for (size_t i = 0; i < c.size(); ++i) EXPECT_EQ((*out)[i].step, c[i].step);
  }
}

TEST(DownsampleTest, RejectsTooFewPointsAndUnsortedCurves) {
  const Curve c = Noisy(1, 50);
  for (int64_t k : {int64_t{-1}, int64_t{1}, int64_t{3}}) {
    absl::StatusOr<Curve> out = Downsample(c, {k, false});
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(out.status().message().find("max_points"), std::string::npos);
  }
  Curve unsorted = {{1, 0}, {3, 0}, {2, 0}, {4, 0}, {5, 0}, {6, 0}};
  absl::StatusOr<Curve> out = Downsample(unsorted, {4, false});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("strictly increasing"), std::string::npos);
  Curve repeated = {{1, 0}, {1, 1}};
  EXPECT_FALSE(Downsample(repeated, {0, false}).ok());
}

TEST(DownsampleTest, LinearBucketsKeepEachBucketsMinMaxAndTheEnds) {
  // Steps 0..9999 in 25 buckets of width 399.96: no step falls on a boundary.
  const Curve c = Noisy(0, 9999);
  absl::StatusOr<Curve> out = Downsample(c, {100, false});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_LE(out->size(), 100u);
  ExpectEnvelope(c, *out, 25, false);
}

TEST(DownsampleTest, LogBucketsKeepEachBucketsMinMaxAndTheEnds) {
  // Steps 1..100000 in 11 log buckets (boundaries 10^(5b/11), never an integer).
  const Curve c = Noisy(1, 100000);
  absl::StatusOr<Curve> log_out = Downsample(c, {44, true});
  ASSERT_TRUE(log_out.ok()) << log_out.status();
  EXPECT_LE(log_out->size(), 44u);
  ExpectEnvelope(c, *log_out, 11, true);

  // Log buckets spend points on early steps; linear ones put steps 1..9091 in one bucket.
  absl::StatusOr<Curve> lin_out = Downsample(c, {44, false});
  ASSERT_TRUE(lin_out.ok());
  auto early = [](const Curve& x) {
    return std::count_if(x.begin(), x.end(), [](const Point& p) { return p.step < 100; });
  };
  EXPECT_GE(early(*log_out), 8);  // four buckets (>= 2 points each) end below step 66
  EXPECT_EQ(early(*lin_out), 1);  // only the first point
  // Steps 1 and 2 are the whole first log bucket [1, 10^(5/11) = 2.85): both are kept.
  EXPECT_EQ((*log_out)[0].step, 1);
  EXPECT_EQ((*log_out)[1].step, 2);
}

TEST(DownsampleTest, AOneStepSpikeAndAJumpSurvive) {
  Curve c;
  for (int64_t s = 1; s <= 300000; ++s) {
    double v = s < 150001 ? 0.0 : 1.0;
    if (s == 123457) v = 5.0;   // a one-step spike
    if (s == 200003) v = -3.0;  // a one-step dip after the jump
    c.push_back({s, v});
  }
  for (bool log_steps : {false, true}) {
    absl::StatusOr<Curve> out = Downsample(c, {1000, log_steps});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_LE(out->size(), 1000u);
    EXPECT_TRUE(Contains(*out, {123457, 5.0}));
    EXPECT_TRUE(Contains(*out, {200003, -3.0}));
    EXPECT_TRUE(Contains(*out, {150001, 1.0}));  // the first point after the jump
    // Nothing is averaged: every kept value is one of the curve's values.
    for (const Point& p : *out) {
      EXPECT_TRUE(p.value == 0 || p.value == 1 || p.value == 5 || p.value == -3) << p.value;
    }
    // Before the jump the line stays at 0 (the point kept just before 150001 is a 0).
    auto it =
        std::find_if(out->begin(), out->end(), [](const Point& p) { return p.step == 150001; });
    ASSERT_NE(it, out->begin());
    EXPECT_EQ(std::prev(it)->value, 0.0);
  }
}

TEST(DownsampleTest, NeverReturnsMoreThanMaxPoints) {
  const Curve c = Noisy(0, 20000);
  for (int64_t k : {4, 5, 7, 8, 99, 1001, 19999}) {
    for (bool log_steps : {false, true}) {
      absl::StatusOr<Curve> out = Downsample(c, {k, log_steps});
      ASSERT_TRUE(out.ok()) << out.status();
      EXPECT_LE(static_cast<int64_t>(out->size()), k) << "k=" << k << " log=" << log_steps;
      EXPECT_EQ(out->front().step, 0);
      EXPECT_EQ(out->back().step, 20000);
    }
  }
}

TEST(DownsampleTest, IrregularStepsAndEmptyBuckets) {
  // Dense early, a gap, then sparse: empty buckets are skipped and no point is duplicated.
  Curve c;
  for (int64_t s = 0; s < 100; ++s) c.push_back({s, static_cast<double>(s % 7)});
  for (int64_t s = 10000; s <= 100000; s += 10000) c.push_back({s, static_cast<double>(s)});
  absl::StatusOr<Curve> out = Downsample(c, {40, false});
  ASSERT_TRUE(out.ok());
  EXPECT_LE(out->size(), 40u);
  for (size_t i = 1; i < out->size(); ++i) EXPECT_LT((*out)[i - 1].step, (*out)[i].step);
  // The ten sparse points each sit alone in a bucket and are all kept.
  for (int64_t s = 10000; s <= 100000; s += 10000) {
    EXPECT_TRUE(Contains(*out, {s, static_cast<double>(s)})) << s;
  }
}

TEST(DownsampleTest, NonFiniteValuesAreNeverDropped) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  {
    // One bucket: a NaN in the middle is kept (as the bucket's maximum: NaN ranks above every
    // number), the finite maximum at 60 is not.
    Curve c;
    for (int64_t s = 0; s < 100; ++s) c.push_back({s, s == 50 ? nan : 1.0 + (s == 60 ? 1 : 0)});
    absl::StatusOr<Curve> out = Downsample(c, {4, false});
    ASSERT_TRUE(out.ok());
    ASSERT_EQ(out->size(), 3u);  // first (also the min), the NaN at 50, last
    EXPECT_EQ((*out)[0].step, 0);
    EXPECT_EQ((*out)[1].step, 50);
    EXPECT_TRUE(std::isnan((*out)[1].value));
    EXPECT_EQ((*out)[2].step, 99);
  }
  {
    // Two buckets: +Inf and -Inf are ordinary extremes, NaN beats +Inf as a maximum.
    Curve c;
    for (int64_t s = 0; s < 100; ++s) {
      double v = 1.0;
      if (s == 20) v = inf;
      if (s == 30) v = -inf;
      if (s == 70) v = inf;
      if (s == 80) v = nan;
      c.push_back({s, v});
    }
    absl::StatusOr<Curve> out = Downsample(c, {8, false});
    ASSERT_TRUE(out.ok());
    std::vector<int64_t> steps;
    for (const Point& p : *out) steps.push_back(p.step);
    EXPECT_THAT(steps, ::testing::ElementsAre(0, 20, 30, 49, 50, 80, 99));
    EXPECT_EQ((*out)[1].value, inf);
    EXPECT_EQ((*out)[2].value, -inf);
    EXPECT_TRUE(std::isnan((*out)[5].value));
    EXPECT_LE(out->size(), 8u);
  }
}

}  // namespace
}  // namespace analysis
}  // namespace sg
