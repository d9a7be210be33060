// The query layer over a real Coordinator and MemoryStore: full-resolution pages read windows
// and put back together equal the whole answer (run curves, exact-step and carry-forward
// aggregates, seeds with different steps and lengths); kept answers are reused while nothing
// changed and never after a write that changes them.
#include "coordinator/curve_query.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "analysis/grokking.h"
#include "common/clock.h"
#include "coordinator/coordinator.h"
#include "coordinator/memory_store.h"
#include "gtest/gtest.h"

namespace sg {
namespace {

class CurveQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CoordinatorOptions options;
    options.policy.lease_ms = 3'600'000;
    coordinator_ = std::make_unique<Coordinator>(&store_, &clock_, options);
    auto submitted = coordinator_->SubmitSweep(
        "name: q\ntask: question_formation\ngrid:\n  depth: [2, 4]\nseeds: 3\n", "q.yaml",
        Caller{});
    ASSERT_TRUE(submitted.ok()) << submitted.status();
    sweep_id_ = submitted->sweep.sweep_id;
    WorkerRecord worker;
    worker.worker_id = "w";
    worker.devices.push_back(WorkerDevice{"cpu", 0, 1});
    ASSERT_TRUE(coordinator_->RegisterWorker(worker, Caller{}).ok());
    for (int pack = 0; pack < 2; ++pack) {
      auto claim = coordinator_->ClaimJobs("w", 3, Caller{});
      ASSERT_TRUE(claim.ok()) << claim.status();
      for (const RunRecord& run : claim->runs) {
        leases_.push_back(Lease{run.run_id, run.lease_token, run.lease_holder});
      }
    }
    ASSERT_EQ(leases_.size(), 6u);
    // In run order (depth=2's seeds first), whichever pack the claims handed out first.
    std::sort(leases_.begin(), leases_.end(),
              [](const Lease& a, const Lease& b) { return a.run_id < b.run_id; });
    // Each run its own cadence and length, a NaN and a jump, so windows cut seeds unevenly.
    for (size_t i = 0; i < leases_.size(); ++i) {
      std::vector<MetricPointRecord> points;
      const int64_t every = 1 + static_cast<int64_t>(i % 3);
      const int64_t last = 900 + 37 * static_cast<int64_t>(i);
      for (int64_t step = 3 + static_cast<int64_t>(i); step <= last; step += every) {
        double value = std::sin(0.01 * step * (i + 1)) + (step > 400 ? 2.0 : 0.0);
        if (step == 500 + static_cast<int64_t>(i)) value = std::numeric_limits<double>::quiet_NaN();
        points.push_back({leases_[i].run_id, "train_loss", step, value});
      }
      ASSERT_TRUE(coordinator_->RecordMetrics({leases_[i]}, points).ok());
    }
  }

  // Every page from start_step 0 with a small budget, appended; pages must advance, stay in
  // their window and their budget, and carry the same headers.
  v1::GetCurvesResponse Paged(v1::GetCurvesRequest request, int64_t page_bytes, int* pages) {
    v1::GetCurvesResponse merged;
    *pages = 0;
    int64_t start = 0;
    while (true) {
      request.set_start_step(start);
      v1::GetCurvesResponse page;
      absl::Status status = QueryCurves(*coordinator_, request, page_bytes, &page);
      EXPECT_TRUE(status.ok()) << status;
      if (!status.ok() || ++*pages > 10000) return merged;
      if (*pages == 1) {
        merged = page;
        merged.clear_next_start_step();
      } else {
        EXPECT_EQ(page.curves_size(), merged.curves_size());
        EXPECT_EQ(page.aggregates_size(), merged.aggregates_size());
        for (int c = 0; c < page.curves_size() && c < merged.curves_size(); ++c) {
          for (const auto& p : page.curves(c).points()) {
            *merged.mutable_curves(c)->add_points() = p;
          }
        }
        for (int a = 0; a < page.aggregates_size() && a < merged.aggregates_size(); ++a) {
          v1::AggregateCurve header = page.aggregates(a);
          header.clear_points();
          v1::AggregateCurve kept = merged.aggregates(a);
          kept.clear_points();
          EXPECT_EQ(header.SerializeAsString(), kept.SerializeAsString()) << "page " << *pages;
          for (const auto& p : page.aggregates(a).points()) {
            *merged.mutable_aggregates(a)->add_points() = p;
          }
        }
      }
      int64_t bytes = 0;
      for (const auto& c : page.curves()) {
        bytes += c.points_size() * 24;
        for (const auto& p : c.points()) {
          EXPECT_GE(p.step(), start);
          if (page.next_start_step() != 0) {
            EXPECT_LT(p.step(), page.next_start_step());
          }
        }
      }
      for (const auto& a : page.aggregates()) {
        bytes += a.points_size() * 96;
        for (const auto& p : a.points()) {
          EXPECT_GE(p.step(), start);
          if (page.next_start_step() != 0) {
            EXPECT_LT(p.step(), page.next_start_step());
          }
        }
      }
      EXPECT_LE(bytes, std::max<int64_t>(page_bytes, 96 * 2)) << "page " << *pages;
      if (page.next_start_step() == 0) return merged;
      EXPECT_GT(page.next_start_step(), start);
      start = page.next_start_step();
    }
  }

  v1::GetCurvesResponse Whole(const v1::GetCurvesRequest& request) {
    v1::GetCurvesResponse whole;
    absl::Status status = QueryCurves(*coordinator_, request, int64_t{1} << 40, &whole);
    EXPECT_TRUE(status.ok()) << status;
    EXPECT_EQ(whole.next_start_step(), 0);
    return whole;
  }

  FakeClock clock_;
  MemoryStore store_;
  std::unique_ptr<Coordinator> coordinator_;
  int64_t sweep_id_ = 0;
  std::vector<Lease> leases_;
};

TEST_F(CurveQueryTest, FullResolutionRunCurvesPageToTheWholeAnswer) {
  v1::GetCurvesRequest request;
  request.set_sweep_id(sweep_id_);
  request.set_metric("train_loss");
  const v1::GetCurvesResponse whole = Whole(request);
  ASSERT_EQ(whole.curves_size(), 6);
  int pages = 0;
  const v1::GetCurvesResponse merged = Paged(request, 24 * 60, &pages);
  EXPECT_GT(pages, 20);
  EXPECT_EQ(merged.SerializeAsString(), whole.SerializeAsString());
}

TEST_F(CurveQueryTest, FullResolutionAggregatesPageToTheWholeAnswer) {
  for (bool carry : {false, true}) {
    SCOPED_TRACE(carry ? "carry_forward" : "exact step");
    v1::GetCurvesRequest request;
    request.set_sweep_id(sweep_id_);
    request.set_metric("train_loss");
    request.add_group_by("depth");
    request.set_carry_forward(carry);
    const v1::GetCurvesResponse whole = Whole(request);
    ASSERT_EQ(whole.aggregates_size(), 2);
    EXPECT_GT(whole.aggregates(0).points_size(), 500);
    // Each seed's last_step is its whole curve's, on every page.
    for (const auto& seed : whole.aggregates(1).seeds()) EXPECT_GT(seed.last_step(), 900);
    int pages = 0;
    const v1::GetCurvesResponse merged = Paged(request, 96 * 40, &pages);
    EXPECT_GT(pages, 20);
    EXPECT_EQ(merged.SerializeAsString(), whole.SerializeAsString());
  }
}

TEST_F(CurveQueryTest, KeptAnswersAreReusedUntilTheSweepChanges) {
  v1::GetCurvesRequest curves;
  curves.set_sweep_id(sweep_id_);
  curves.set_metric("train_loss");
  curves.add_group_by("depth");
  curves.set_max_points(40);
  curves.set_log_steps(true);
  v1::GetReportRequest report;
  report.set_sweep_id(sweep_id_);
  report.add_group_by("depth");
  SweepAnswerCache& answers = coordinator_->answers();

  v1::GetCurvesResponse first, again;
  ASSERT_TRUE(QueryCurves(*coordinator_, curves, 1 << 20, &first).ok());
  const int64_t hits = answers.hits();
  ASSERT_TRUE(QueryCurves(*coordinator_, curves, 1 << 20, &again).ok());
  EXPECT_EQ(answers.hits(), hits + 1);
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  v1::GetReportResponse report_first, report_again;
  ASSERT_TRUE(QueryReport(*coordinator_, report, &report_first).ok());
  ASSERT_TRUE(QueryReport(*coordinator_, report, &report_again).ok());
  EXPECT_EQ(report_again.SerializeAsString(), report_first.SerializeAsString());

  // A new point far above the others: the next answer has it (a kept one would not).
  ASSERT_TRUE(
      coordinator_->RecordMetrics({leases_[0]}, {{leases_[0].run_id, "train_loss", 5000, 99.0}})
          .ok());
  v1::GetCurvesResponse after;
  ASSERT_TRUE(QueryCurves(*coordinator_, curves, 1 << 20, &after).ok());
  ASSERT_EQ(after.aggregates_size(), 2);
  EXPECT_EQ(after.aggregates(0).points(after.aggregates(0).points_size() - 1).step(), 5000);
  EXPECT_EQ(after.aggregates(0).seeds(0).last_step(), 5000);

  // Points of another sweep's run leave this sweep's answers kept.
  auto other = coordinator_->SubmitSweep(
      "name: other\ntask: question_formation\ngrid:\n  depth: [2]\nseeds: 1\n", "o.yaml",
      Caller{});
  ASSERT_TRUE(other.ok());
  auto claim = coordinator_->ClaimJobs("w", 1, Caller{});
  ASSERT_TRUE(claim.ok());
  ASSERT_EQ(claim->runs.size(), 1u);
  const RunRecord& run = claim->runs[0];
  ASSERT_NE(run.sweep_id, sweep_id_);
  ASSERT_TRUE(coordinator_
                  ->RecordMetrics({Lease{run.run_id, run.lease_token, run.lease_holder}},
                                  {{run.run_id, "train_loss", 1, 1.0}})
                  .ok());
  const int64_t before_other = answers.hits();
  ASSERT_TRUE(QueryCurves(*coordinator_, curves, 1 << 20, &again).ok());
  EXPECT_EQ(answers.hits(), before_other + 1);
  EXPECT_EQ(again.SerializeAsString(), after.SerializeAsString());

  // Completing a run changes no point but its seed's `finished`: the next answers show it.
  int64_t unfinished = 0;
  for (const auto& a : after.aggregates()) unfinished += a.unfinished_seeds();
  EXPECT_EQ(unfinished, 6);
  ASSERT_TRUE(coordinator_->CompleteJob(leases_[2], 1000).ok());
  v1::GetCurvesResponse after_complete;
  ASSERT_TRUE(QueryCurves(*coordinator_, curves, 1 << 20, &after_complete).ok());
  unfinished = 0;
  for (const auto& a : after_complete.aggregates()) unfinished += a.unfinished_seeds();
  EXPECT_EQ(unfinished, 5);
  v1::GetReportResponse report_after;
  ASSERT_TRUE(QueryReport(*coordinator_, report, &report_after).ok());
  int finished = 0;
  for (const auto& r : report_after.runs()) finished += r.finished();
  EXPECT_EQ(finished, 1);
}

// Long curves (more than kExactDownsamplePoints points) are downsampled and analysed from
// their block summaries: the report's analysis equals AnalyzeRun over every point (with NaN, a
// crossing that drops back, and a best reached twice), and a downsampled curve or aggregate
// still shows a one-step spike and a jump.
TEST_F(CurveQueryTest, LongCurvesComeFromBlockSummariesWithTheSameAnswers) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const int64_t kSteps = 30000;
  for (size_t i = 0; i < 3; ++i) {  // the depth=2 group
    std::vector<MetricPointRecord> points;
    for (int64_t step = 1; step <= kSteps; ++step) {
      const double t = static_cast<double>(step);
      double val = std::min(0.99, t / 20000.0) + 0.001 * std::sin(t);
      if (step == 21000 + 1000 * static_cast<int64_t>(i) || step == 25000) val = 0.9995;
      double gen = step < 12000 + 2000 * static_cast<int64_t>(i) ? 0.1 : 0.9;
      if (step == 15000) gen = 0.5;  // back below the threshold once
      if (step == 7777) gen = 0.95;  // a one-step spike
      if (step % 5000 == 3) gen = nan;
      points.push_back({leases_[i].run_id, "val_acc", step, val});
      points.push_back({leases_[i].run_id, "gen_acc", step, gen});
    }
    ASSERT_TRUE(coordinator_->RecordMetrics({leases_[i]}, points).ok());
  }
  for (size_t i = 0; i < 3; ++i) {
    auto run = store_.GetRun(leases_[i].run_id);
    ASSERT_TRUE(run.ok());
    auto to_curve = [&](const std::string& metric) {
      analysis::Curve curve;
      const std::vector<Point> points = *store_.GetCurve(run->run_id, metric);
      for (const Point& p : points) {
        curve.push_back(analysis::Point{p.step, p.value});
      }
      return curve;
    };
    for (const char* rule : {"first_best", "within_0.01"}) {
      analysis::GrokOptions options = coordinator_->analysis_cache().default_options();
      ASSERT_TRUE(analysis::ParseEarlyStop(rule, &options).ok());
      auto from_blocks = coordinator_->analysis_cache().Analyze(*run, options);
      ASSERT_TRUE(from_blocks.ok()) << from_blocks.status();
      auto exact = analysis::AnalyzeRun(to_curve("val_acc"), to_curve("gen_acc"), false, options);
      ASSERT_TRUE(exact.ok());
      SCOPED_TRACE(rule);
      EXPECT_EQ(from_blocks->last_step, exact->last_step);
      EXPECT_EQ(from_blocks->best_val_acc, exact->best_val_acc);
      EXPECT_EQ(from_blocks->val_saturation_step, exact->val_saturation_step);
      EXPECT_EQ(from_blocks->early_stop_step, exact->early_stop_step);
      EXPECT_EQ(from_blocks->gen_acc_at_early_stop, exact->gen_acc_at_early_stop);
      EXPECT_EQ(from_blocks->final_gen_acc, exact->final_gen_acc);
      EXPECT_EQ(from_blocks->grok_step, exact->grok_step);
      EXPECT_EQ(from_blocks->first_cross_step, exact->first_cross_step);
      EXPECT_EQ(from_blocks->last_gen_step, exact->last_gen_step);
    }
  }
  // One run's downsampled curve keeps the spike at 7777 and both sides of its jump at 12000.
  for (bool log_steps : {false, true}) {
    SCOPED_TRACE(log_steps);
    v1::GetCurvesRequest request;
    request.set_run_id(leases_[0].run_id);
    request.set_metric("gen_acc");
    request.set_max_points(400);
    request.set_log_steps(log_steps);
    v1::GetCurvesResponse response;
    ASSERT_TRUE(QueryCurves(*coordinator_, request, 1 << 20, &response).ok());
    ASSERT_EQ(response.curves_size(), 1);
    const auto& points = response.curves(0).points();
    EXPECT_LE(points.size(), 400);
    int64_t previous = -1;
    bool spike = false, low = false, high = false;
    for (const auto& p : points) {
      EXPECT_GT(p.step(), previous);
      previous = p.step();
      if (p.step() == 7777) spike = p.value() == 0.95;
      // The bucket holding the jump keeps its low first point and the jump's first step.
      if (p.value() == 0.1 && p.step() > 10000 && p.step() < 12000) low = true;
      if (p.step() == 12000) high = p.value() == 0.9;
    }
    EXPECT_TRUE(spike && low && high) << spike << low << high;
    EXPECT_EQ(points.begin()->step(), 1);
    EXPECT_EQ(points.rbegin()->step(), kSteps);

    // The depth=2 aggregate: the spike shows in its maximum, each seed's jump in the median.
    request.clear_run_id();
    request.set_sweep_id(sweep_id_);
    request.add_group_by("depth");
    v1::GetCurvesResponse grouped;
    ASSERT_TRUE(QueryCurves(*coordinator_, request, 1 << 20, &grouped).ok());
    ASSERT_GE(grouped.aggregates_size(), 1);
    const v1::AggregateCurve& depth2 = grouped.aggregates(0);
    EXPECT_EQ(depth2.seeds_size(), 3);
    EXPECT_LE(depth2.points_size(), 400);
    bool spike_max = false, median_low = false, median_high = false;
    previous = -1;
    for (const auto& p : depth2.points()) {
      EXPECT_GT(p.step(), previous);
      previous = p.step();
      if (p.max() == 0.95) spike_max = true;
      if (p.median() == 0.1 && p.step() > 12000) median_low = true;
      if (p.median() == 0.9 && p.step() < 20000) median_high = true;
    }
    EXPECT_TRUE(spike_max && median_low && median_high);
  }
}

TEST(SweepAnswerCacheTest, AnAnswerComputedAcrossAWriteIsNeverKept) {
  MemoryStore store;
  SweepAnswerCache cache(&store);
  SweepAnswerCache::Stamp stamp = cache.StampOf({7, 3, 7});
  ASSERT_EQ(stamp.size(), 2u);
  cache.InvalidateSweep(7);  // a write committed while the answer was computed
  cache.Put("k", stamp, "old");
  EXPECT_FALSE(cache.Find("k").has_value());
  cache.Put("k", cache.StampOf({3, 7}), "new");
  EXPECT_EQ(cache.Find("k").value_or(""), "new");
  cache.InvalidateSweep(4);
  EXPECT_EQ(cache.Find("k").value_or(""), "new") << "another sweep's write";
  cache.InvalidateSweep(3);
  EXPECT_FALSE(cache.Find("k").has_value());
}

TEST(SweepAnswerCacheTest, MemoryIsBounded) {
  MemoryStore store;
  SweepAnswerCache cache(&store, /*max_bytes=*/4000);
  for (int i = 0; i < 100; ++i) {
    cache.Put("key" + std::to_string(i), cache.StampOf({1}), std::string(500, 'x'));
  }
  int kept = 0;
  for (int i = 0; i < 100; ++i) kept += cache.Find("key" + std::to_string(i)).has_value();
  EXPECT_GT(kept, 0);
  EXPECT_LE(kept, 8);
  EXPECT_TRUE(cache.Find("key99").has_value()) << "the newest answers stay";
}

}  // namespace
}  // namespace sg
