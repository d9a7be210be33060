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

}  // namespace
}  // namespace sg
