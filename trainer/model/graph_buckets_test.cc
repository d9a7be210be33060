#include "trainer/model/graph_buckets.h"

#include <gtest/gtest.h>

namespace sg {
namespace {

TEST(GraphBucketsTest, RoundsUpByRegion) {
  EXPECT_EQ(GraphLengthBucket(0), 8);
  EXPECT_EQ(GraphLengthBucket(1), 8);
  EXPECT_EQ(GraphLengthBucket(8), 8);
  EXPECT_EQ(GraphLengthBucket(9), 16);
  EXPECT_EQ(GraphLengthBucket(37), 40);  // a long QF line: 35 words + SOS + EOS target slot
  EXPECT_EQ(GraphLengthBucket(64), 64);
  EXPECT_EQ(GraphLengthBucket(65), 96);
  EXPECT_EQ(GraphLengthBucket(256), 256);
  EXPECT_EQ(GraphLengthBucket(257), 0);
  for (int64_t t = 1; t <= kMaxGraphLength; ++t) {
    const int64_t b = GraphLengthBucket(t);
    EXPECT_GE(b, t);
    EXPECT_LE(b, t <= 64 ? t + 7 : t + 31);
  }
}

TEST(GraphBucketsTest, OneRowLengthsAndTheirGraphs) {
  EXPECT_EQ(OneRowLength(0), 256);
  EXPECT_EQ(OneRowLength(256), 256);
  EXPECT_EQ(OneRowLength(257), 512);
  EXPECT_EQ(OneRowLength(2048), 2048);
  EXPECT_EQ(OneRowLength(2049), 2304);
  // At batch 8 the graphs take rows up to the largest padded bucket's 8 x 256 positions: the
  // eight lengths 256 .. 2048.
  int lengths = 0;
  for (int64_t len = 256; len <= 4096; len += 256) lengths += OneRowGraphFits(len, 8) ? 1 : 0;
  EXPECT_EQ(lengths, 8);
  EXPECT_FALSE(OneRowGraphFits(2304, 8));
}

TEST(GraphBucketsTest, OneRowLengthsInAFinerGranule) {
  EXPECT_EQ(OneRowLength(0, 16), 16);
  EXPECT_EQ(OneRowLength(183, 16), 192);
  EXPECT_EQ(OneRowLength(192, 16), 192);
  EXPECT_EQ(OneRowLength(193, 16), 208);
  EXPECT_EQ(OneRowLength(193, 8), 200);
  EXPECT_EQ(OneRowLength(193, 0), 193);  // a granule below 1 counts as 1
}

}  // namespace
}  // namespace sg
