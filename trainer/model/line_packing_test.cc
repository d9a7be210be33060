#include "trainer/model/line_packing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "trainer/model/graph_buckets.h"
#include "trainer/model/lm_batch.h"

namespace sg {
namespace {

TEST(LinePackingTest, FirstFitDecreasingPlacesEveryLineOnce) {
  const std::vector<int64_t> tokens = {5, 60, 3, 30, 64, 2, 1};
  int64_t rows = 0;
  const std::vector<PackedSlot> slots = PackIntoRows(tokens, 64, &rows);
  ASSERT_EQ(slots.size(), tokens.size());
  // Longest first: 64 fills row 0, 60 opens row 1, 30 row 2, 5 joins 30, 3 joins 60 (63),
  // 2 joins 30 + 5, 1 ends row 1.
  EXPECT_EQ(rows, 3);
  EXPECT_EQ(slots[4].row, 0);
  EXPECT_EQ(slots[1].row, 1);
  EXPECT_EQ(slots[3].row, 2);
  EXPECT_EQ(slots[0].row, 2);
  EXPECT_EQ(slots[0].offset, 30);
  EXPECT_EQ(slots[2].row, 1);
  EXPECT_EQ(slots[2].offset, 60);
  EXPECT_EQ(slots[6].row, 1);
  EXPECT_EQ(slots[6].offset, 63);
  // No two lines overlap and every line ends inside its row.
  std::vector<std::vector<int>> used(rows, std::vector<int>(64, 0));
  for (size_t i = 0; i < tokens.size(); ++i) {
    ASSERT_LE(slots[i].offset + tokens[i], 64);
    for (int64_t t = 0; t < tokens[i]; ++t) ++used[slots[i].row][slots[i].offset + t];
  }
  for (const auto& row : used) {
    for (int n : row) EXPECT_LE(n, 1);
  }
}

TEST(LinePackingTest, RowLengthsAndGraphShapes) {
  EXPECT_EQ(PackedRowLength(0), 64);
  EXPECT_EQ(PackedRowLength(64), 64);
  EXPECT_EQ(PackedRowLength(65), 128);
  EXPECT_EQ(PackedRowLength(371), 512);
  EXPECT_EQ(PackedRowLength(1024), 1024);
  EXPECT_EQ(PackedRowLength(1025), 1088);
  EXPECT_TRUE(PackedGraphFits(2, 1024, 8));
  EXPECT_TRUE(PackedGraphFits(4, 512, 8));
  EXPECT_FALSE(PackedGraphFits(5, 512, 8));   // more positions per seed than 8 x 256
  EXPECT_FALSE(PackedGraphFits(1, 1088, 8));  // past the longest captured row
  // The most rows any seed needs at the longest line's row length.
  const PackedShape shape = PackedShapeOf({{3, 3, 3}, {200, 100, 100, 4}});
  EXPECT_EQ(shape.len, 256);
  EXPECT_EQ(shape.rows, 2);
}

TEST(LinePackingTest, PackedBatchKeepsTargetsAndMarksLineStarts) {
  const TokenIds a = {1, 2, 3}, b = {4}, c = {5, 6, 7, 8, 9, 1, 2};
  const std::vector<std::vector<const TokenIds*>> lines = {{&a, &b}, {&c, &a}};
  LmBatchLayout layout;
  layout.packed = true;
  layout.len = 16;
  const LmBatch batch = MakeLmBatch(lines, /*sos=*/11, /*eos=*/10, torch::kCPU, layout);
  ASSERT_EQ(batch.ids.sizes(), (std::vector<int64_t>{2, 1, 16}));
  // Seed 0: a (4 positions) at 0, b (2) at 4; each padding position from 6 a line of its own.
  const std::vector<int64_t> ids0 = {11, 1, 2, 3, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<int64_t> tgt0 = {1, 2, 3, 10, 4, 10, -100, -100,
                                     -100, -100, -100, -100, -100, -100, -100, -100};
  const std::vector<int64_t> start0 = {0, 0, 0, 0, 4, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  for (int64_t t = 0; t < 16; ++t) {
    EXPECT_EQ(batch.ids[0][0][t].item<int64_t>(), ids0[t]) << t;
    EXPECT_EQ(batch.targets[0][0][t].item<int64_t>(), tgt0[t]) << t;
    EXPECT_EQ(batch.line_start[0][0][t].item<int64_t>(), start0[t]) << t;
  }
  // Seed 1: c (8 positions) first, then a at 8.
  EXPECT_EQ(batch.line_start[1][0][9].item<int64_t>(), 8);
  EXPECT_EQ(batch.ids[1][0][8].item<int64_t>(), 11);
  // Counts as the padded batch's: every line's words + EOS.
  EXPECT_FLOAT_EQ(batch.counts[0].item<float>(), 6);
  EXPECT_FLOAT_EQ(batch.counts[1].item<float>(), 12);
  EXPECT_EQ(batch.lengths[0][0].item<int64_t>(), 16);
}

std::vector<int32_t> Int32s(const torch::Tensor& t) {
  return std::vector<int32_t>(t.data_ptr<int32_t>(), t.data_ptr<int32_t>() + t.numel());
}

// `starts`, then every position of [from, to) (padding: a line per position).
std::vector<int32_t> With(std::vector<int32_t> starts, int32_t from, int32_t to) {
  for (int32_t t = from; t < to; ++t) starts.push_back(t);
  return starts;
}

TEST(LinePackingTest, LineStartsOfTheFlattenedBatchForAttentionPerLine) {
  const TokenIds a = {1, 2, 3}, b = {4}, c = {5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1};
  // Seed 0: a and b in row 0, row 1 empty; seed 1: c fills row 0 exactly, a in row 1.
  const std::vector<std::vector<const TokenIds*>> lines = {{&a, &b}, {&c, &a}};
  LmBatchLayout layout;
  layout.packed = true;
  layout.len = 16;
  layout.rows = 2;
  layout.line_slots = 0;  // exactly the lines
  const LmBatch exact = MakeLmBatch(lines, /*sos=*/11, /*eos=*/10, torch::kCPU, layout);
  ASSERT_EQ(exact.ids.sizes(), (std::vector<int64_t>{2, 2, 16}));
  // Seed 0 row 0: a at 0, b at 4, padding at 6..15; row 1 (16..31) all padding. Seed 1 row 0
  // (32..47): c alone, no padding; row 1 (48..63): a at 48, padding at 52..63. Then the end.
  std::vector<int32_t> want = With(With({0, 4}, 6, 32), 32, 33);
  want = With(With(want, 48, 49), 52, 65);
  ASSERT_EQ(want.size(), 42u + 1);
  EXPECT_EQ(Int32s(exact.line_seqstarts), want);
  layout.line_slots = 45;  // empty lines up to the slots
  const LmBatch slotted = MakeLmBatch(lines, 11, 10, torch::kCPU, layout);
  want.insert(want.end(), 3, 64);
  EXPECT_EQ(Int32s(slotted.line_seqstarts), want);
  layout.line_slots = 41;  // one fewer than the lines: refused, not cut
  EXPECT_THROW(MakeLmBatch(lines, 11, 10, torch::kCPU, layout), c10::Error);
  // Padded batches have none.
  EXPECT_FALSE(MakeLmBatch(lines, 11, 10, torch::kCPU).line_seqstarts.defined());
}

TEST(LinePackingTest, OneRowPerSeedPutsEverySeedsLinesBackToBack) {
  TokenIds longest(299, 1);  // 300 positions with SOS
  const TokenIds a = {1, 2, 3}, b = {4};
  // Seed 0: 300 + 4 + 2 = 306 positions; seed 1: 4 + 4 = 8.
  const std::vector<std::vector<const TokenIds*>> lines = {{&longest, &a, &b}, {&a, &a}};
  EXPECT_EQ(PackedBatchShape(lines, /*one_row=*/true).rows, 1);
  EXPECT_EQ(PackedBatchShape(lines, /*one_row=*/true).len, 512);
  LmBatchLayout layout;
  layout.packed = true;
  layout.one_row = true;
  layout.line_slots = 0;
  const LmBatch batch = MakeLmBatch(lines, /*sos=*/11, /*eos=*/10, torch::kCPU, layout);
  ASSERT_EQ(batch.ids.sizes(), (std::vector<int64_t>{2, 1, 512}));
  // Longest first (first-fit decreasing), then a at 300, b at 304, padding from 306; seed 1:
  // a at 0 and 4, padding from 8. The second seed's row starts at 512.
  std::vector<int32_t> want = With({0, 300, 304}, 306, 512);  // seed 0, padding to its end
  want = With(With(want, 512, 513), 516, 517);                   // seed 1: a, a
  EXPECT_EQ(Int32s(batch.line_seqstarts), With(want, 520, 1025));
  EXPECT_EQ(batch.line_start[0][0][305].item<int64_t>(), 304);
  EXPECT_EQ(batch.ids[0][0][300].item<int64_t>(), 11);
  EXPECT_FLOAT_EQ(batch.counts[0].item<float>(), 306);
  // Where it saves positions: 300 + 200 + 200 positions take 2 rows of 512 (1,024) packed by
  // the longest line, one row of 768 by the seed's total.
  TokenIds mid(199, 2);
  const std::vector<std::vector<const TokenIds*>> wide = {{&longest, &mid, &mid}, {&a}};
  const PackedShape rows = PackedBatchShape(wide), one = PackedBatchShape(wide, true);
  EXPECT_EQ(rows.rows * rows.len, 1024);
  EXPECT_EQ(one.rows * one.len, 768);
}

// Short lines (QF's: 8 of ~23 positions per seed) fill 4 rows of 64 (256 positions) where one
// row per seed in 16s holds the most positions of any seed: here 3 x 23 + 3 x 22 + 2 x 21 =
// 177 and 4 x 22 + 3 x 21 + 23 = 174, so one row of 192.
TEST(LinePackingTest, OneRowPerSeedInAFinerGranule) {
  const TokenIds l23(22, 1), l22(21, 2), l21(20, 3);
  const std::vector<std::vector<const TokenIds*>> lines = {
      {&l23, &l23, &l23, &l22, &l22, &l22, &l21, &l21},
      {&l22, &l22, &l22, &l22, &l21, &l21, &l21, &l23}};
  const PackedShape rows = PackedBatchShape(lines);
  EXPECT_EQ(rows.len, 64);
  EXPECT_EQ(rows.rows, 4);
  const PackedShape one = PackedBatchShape(lines, /*one_row=*/true, /*one_row_granule=*/16);
  EXPECT_EQ(one.rows, 1);
  EXPECT_EQ(one.len, 192);
  EXPECT_EQ(PackedBatchShape(lines, /*one_row=*/true).len, 256);  // the default granule
  LmBatchLayout layout;
  layout.packed = true;
  layout.one_row = true;
  layout.one_row_granule = 16;
  const LmBatch batch = MakeLmBatch(lines, /*sos=*/11, /*eos=*/10, torch::kCPU, layout);
  ASSERT_EQ(batch.ids.sizes(), (std::vector<int64_t>{2, 1, 192}));
  EXPECT_FLOAT_EQ(batch.counts[0].item<float>(), 177);
  EXPECT_FLOAT_EQ(batch.counts[1].item<float>(), 174);
}

}  // namespace
}  // namespace sg
