#include "coordinator/curve_pages.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace sg {
namespace {

// Three run curves (steps 1..n with different gaps) and one aggregate, paged with a small
// budget and put back together: the same points, each once, no step split between pages.
TEST(CurvePagesTest, PagesReassembleToTheWholeAnswer) {
  v1::GetCurvesResponse full;
  for (int c = 0; c < 3; ++c) {
    v1::Curve* curve = full.add_curves();
    curve->set_run_id(c + 1);
    for (int64_t step = 1 + c; step <= 30000; step += 1 + c) {
      v1::CurvePoint* p = curve->add_points();
      p->set_step(step);
      p->set_value(static_cast<double>(step) / 7);
    }
  }
  v1::AggregateCurve* agg = full.add_aggregates();
  agg->set_label("depth=2");
  for (int64_t step = 10; step <= 30000; step += 10) agg->add_points()->set_step(step);

  v1::GetCurvesResponse merged = full;
  for (auto& c : *merged.mutable_curves()) c.clear_points();
  merged.mutable_aggregates(0)->clear_points();
  int64_t start = 0;
  int pages = 0;
  while (true) {
    v1::GetCurvesResponse page = full;
    CutCurvePage(start, /*page_bytes=*/100'000, &page);
    ++pages;
    ASSERT_LT(pages, 1000);
    ASSERT_EQ(page.curves_size(), 3);
    ASSERT_EQ(page.aggregates_size(), 1);
    EXPECT_EQ(page.aggregates(0).label(), "depth=2");
    int64_t points = 0;
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(page.curves(c).run_id(), c + 1);
      points += page.curves(c).points_size();
      for (const auto& p : page.curves(c).points()) {
        EXPECT_GE(p.step(), start);
        if (page.next_start_step() != 0) EXPECT_LT(p.step(), page.next_start_step());
        *merged.mutable_curves(c)->add_points() = p;
      }
    }
    for (const auto& p : page.aggregates(0).points()) *merged.mutable_aggregates(0)->add_points() = p;
    EXPECT_LE(points * 24 + page.aggregates(0).points_size() * 96, 100'000);
    if (page.next_start_step() == 0) break;
    EXPECT_GT(page.next_start_step(), start);
    start = page.next_start_step();
  }
  EXPECT_GT(pages, 10);
  EXPECT_EQ(merged.SerializeAsString(), full.SerializeAsString());
}

TEST(CurvePagesTest, SmallAnswerIsOnePageAndStartStepFilters) {
  v1::GetCurvesResponse r;
  v1::Curve* c = r.add_curves();
  for (int64_t s : {10, 20, 30}) c->add_points()->set_step(s);
  v1::GetCurvesResponse whole = r;
  CutCurvePage(0, 1 << 20, &whole);
  EXPECT_EQ(whole.next_start_step(), 0);
  EXPECT_EQ(whole.curves(0).points_size(), 3);
  CutCurvePage(20, 1 << 20, &r);
  ASSERT_EQ(r.curves(0).points_size(), 2);
  EXPECT_EQ(r.curves(0).points(0).step(), 20);
  // A budget smaller than one step still makes progress: one step per page.
  v1::GetCurvesResponse tiny;
  for (int64_t s : {5, 6}) tiny.add_curves()->add_points()->set_step(s);
  CutCurvePage(0, 1, &tiny);
  EXPECT_EQ(tiny.next_start_step(), 6);
  EXPECT_EQ(tiny.curves(0).points_size(), 1);
  EXPECT_EQ(tiny.curves(1).points_size(), 0);
}

}  // namespace
}  // namespace sg
