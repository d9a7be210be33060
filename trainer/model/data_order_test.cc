#include "trainer/model/data_order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace sg {
namespace {

TEST(DataOrderTest, EpochIsAPermutationInChunks) {
  DataOrder order(42, 21, 8);
  std::vector<int64_t> seen;
  std::vector<size_t> sizes;
  for (int i = 0; i < 3; ++i) {
    auto b = order.NextBatch();
    sizes.push_back(b.size());
    seen.insert(seen.end(), b.begin(), b.end());
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{8, 8, 5}));  // the last chunk is kept
  std::sort(seen.begin(), seen.end());
  for (int64_t i = 0; i < 21; ++i) EXPECT_EQ(seen[i], i);
  EXPECT_EQ(order.epoch(), 0);
  order.NextBatch();
  EXPECT_EQ(order.epoch(), 1);  // a new permutation every epoch
  EXPECT_NE(EpochPermutation(42, 0, 21), EpochPermutation(42, 1, 21));
}

TEST(DataOrderTest, SeedsDifferAndRestoreContinues) {
  EXPECT_NE(EpochPermutation(1, 0, 100), EpochPermutation(2, 0, 100));
  DataOrder a(7, 50, 8);
  for (int i = 0; i < 9; ++i) a.NextBatch();  // into epoch 1
  DataOrder b(7, 50, 8);
  b.Restore(a.epoch(), a.position());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(a.NextBatch(), b.NextBatch());
}

TEST(DataOrderTest, FixedAcrossPlatforms) {
  // mt19937_64's output is fixed by the C++ standard and we draw bounded values ourselves, so
  // this order is the same everywhere. A change here changes every run's data order.
  const std::vector<int64_t> p = EpochPermutation(0, 0, 10);
  std::set<int64_t> unique(p.begin(), p.end());
  EXPECT_EQ(unique.size(), 10u);
  EXPECT_EQ(p, EpochPermutation(0, 0, 10));
}

}  // namespace
}  // namespace sg
