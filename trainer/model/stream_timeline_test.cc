#include "trainer/model/stream_timeline.h"

#include <gtest/gtest.h>

namespace sg {
namespace {

TEST(StreamTimelineTest, NothingProfiledIsAnEmptyWindow) {
  const StreamTimeline t = SummarizeStreams({});
  EXPECT_EQ(t.window_ns, 0);
  EXPECT_TRUE(t.streams.empty());
}

// Main runs [0, 10) and [20, 30); the side stream [5, 25) and then [40, 50), which main waits
// for (a join); nothing runs in [30, 40).
TEST(StreamTimelineTest, BusyWaitingAndIdleTimeOfTwoStreams) {
  const StreamTimeline t =
      SummarizeStreams({{7, 0, 10}, {7, 20, 30}, {9, 5, 25}, {9, 40, 50}});
  EXPECT_EQ(t.window_ns, 50);
  EXPECT_EQ(t.idle_ns, 10);
  EXPECT_EQ(t.parallel_ns, 10);  // [5, 10) and [20, 25)
  ASSERT_EQ(t.streams.size(), 2u);
  const StreamActivity& side = t.streams[0];  // busiest first: 30 against 20
  const StreamActivity& main = t.streams[1];
  EXPECT_EQ(side.stream, 9);
  EXPECT_EQ(side.kernels, 2);
  EXPECT_EQ(side.busy_ns, 30);
  EXPECT_EQ(side.waiting_ns, 10);  // [0, 5) and [25, 30)
  EXPECT_EQ(main.stream, 7);
  EXPECT_EQ(main.busy_ns, 20);
  EXPECT_EQ(main.waiting_ns, 20);  // [10, 20) and [40, 50)
  EXPECT_EQ(main.stacked_ns, 0);
}

// A replayed graph's branches reported on one stream: its busy time counts the overlap once,
// and the overlap shows as stacked time.
TEST(StreamTimelineTest, OverlappingKernelsOfOneStreamCountOnceAndStack) {
  const StreamTimeline t = SummarizeStreams({{3, 0, 10}, {3, 4, 12}, {3, 12, 15}, {3, 6, 8}});
  ASSERT_EQ(t.streams.size(), 1u);
  EXPECT_EQ(t.streams[0].busy_ns, 15);
  EXPECT_EQ(t.streams[0].stacked_ns, 6);  // [4, 10): two or three at once
  EXPECT_EQ(t.streams[0].waiting_ns, 0);
  EXPECT_EQ(t.parallel_ns, 6);
  EXPECT_EQ(t.idle_ns, 0);
}

// Kernels that only touch (one ends as the next starts) are not running together.
TEST(StreamTimelineTest, TouchingKernelsDoNotOverlap) {
  const StreamTimeline t = SummarizeStreams({{1, 0, 5}, {2, 5, 9}});
  EXPECT_EQ(t.parallel_ns, 0);
  EXPECT_EQ(t.idle_ns, 0);
  ASSERT_EQ(t.streams.size(), 2u);
  EXPECT_EQ(t.streams[0].stream, 1);
  EXPECT_EQ(t.streams[0].waiting_ns, 4);  // while stream 2 runs [5, 9)
  EXPECT_EQ(t.streams[1].waiting_ns, 5);
}

// Idle time split by gap length: [10, 11.5 us) is a short gap, [20, 45 us) a long one.
TEST(StreamTimelineTest, IdleGapsByLength) {
  const StreamTimeline t =
      SummarizeStreams({{1, 0, 10000}, {2, 11500, 20000}, {1, 45000, 60000}, {1, 160000, 161000}});
  EXPECT_EQ(t.idle_ns, 1500 + 25000 + 100000);
  ASSERT_EQ(t.gaps.size(), 4u);
  EXPECT_EQ(t.gaps[0].count, 1);
  EXPECT_EQ(t.gaps[0].total_ns, 1500);
  EXPECT_EQ(t.gaps[1].count, 0);
  EXPECT_EQ(t.gaps[2].count, 1);
  EXPECT_EQ(t.gaps[2].total_ns, 25000);
  EXPECT_EQ(t.gaps[3].count, 1);
  EXPECT_EQ(t.gaps[3].total_ns, 100000);
  double sum = 0;
  for (const IdleGaps& g : t.gaps) sum += g.total_ns;
  EXPECT_EQ(sum, t.idle_ns);
}

}  // namespace
}  // namespace sg
