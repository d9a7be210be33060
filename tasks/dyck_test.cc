#include "tasks/dyck.h"

#include <chrono>

#include "gtest/gtest.h"
#include "tasks/split_report.h"
#include "tasks/testing/reference.h"

namespace sg {
namespace dyck {
namespace {

using testing::LengthShares;
using testing::MaxShareDifference;
using testing::ReadReference;
using testing::TemplateShares;

struct Splits {
  std::vector<std::string> train, val, test;
  double seconds = 0;
};

const Splits& PaperSplits() {
  static const Splits* s = [] {
    auto* out = new Splits;
    const auto start = std::chrono::steady_clock::now();
    if (!Generate(7, 200000, 20000, 20000, Structure::kBlocks, &out->train, &out->val, &out->test)
             .ok()) {
      std::abort();
    }
    out->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  }();
  return *s;
}

TEST(DyckTest, SamplerObeysDepthAndMinimumLength) {
  Rng rng(1);
  int length4 = 0;
  for (int i = 0; i < 20000; ++i) {
    const DyckString s = Sample(rng);
    ASSERT_GE(s.size(), 4u);
    ASSERT_LE(MaxDepth(s), kMaxDepth);
    absl::StatusOr<DyckString> back = ParseLine(ToLine(s), true);
    ASSERT_TRUE(back.ok()) << ToLine(s);
    ASSERT_EQ(*back, s);
    length4 += s.size() == 4 ? 1 : 0;
  }
  // datasets.md §3.4 [sim]: 18.8% of training strings have length 4.
  EXPECT_NEAR(length4 / 20000.0, 0.188, 0.015);
}

TEST(DyckTest, ShapesFollowBlocksOrTheWholeString) {
  absl::StatusOr<DyckString> s = ParseLine("(h h) (j j) (q (n (r r) n) q) (r r) END", true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(ShapeKeys(*s, Structure::kBlocks),
            (std::vector<std::string>{"\x01", "\x01", std::string("\x01\x02\x03\x02\x01"), "\x01"}));
  EXPECT_EQ(ShapeKeys(*s, Structure::kWholeString).size(), 1u);
  EXPECT_EQ(ShapeKeys(*s, Structure::kWholeString)[0].size(), 12u);
  EXPECT_EQ(NumBlocks(*s), 4);
  EXPECT_EQ(MaxDepth(*s), 3);
  // A new order of known blocks is in-distribution for the code, novel for the paper.
  ShapeSet blocks(Structure::kBlocks), whole(Structure::kWholeString);
  for (const char* t : {"(a a) (b (c c) b) END"}) {
    blocks.AddTrainString(*ParseLine(t, true));
    whole.AddTrainString(*ParseLine(t, true));
  }
  const DyckString reordered = *ParseLine("(d (e e) d) (f f) END", true);
  EXPECT_TRUE(blocks.AllSeen(reordered));
  EXPECT_FALSE(whole.AllSeen(reordered));
  EXPECT_FALSE(ParseLine("(a b) END", true).ok());
  EXPECT_FALSE(ParseLine("(a a)", true).ok());
  EXPECT_FALSE(ParseLine("(a (a (a (a (a (a (a (a (a (a (a a) a) a) a) a) a) a) a) a) a) a) END",
                         true).ok());  // depth 11
}

TEST(DyckTest, ReferenceValPassesChecksWithoutTrain) {
  const SplitReport r =
      AnalyzeSplit(TaskKind::kDyck, Split::kVal, ReadReference("dyck/k-20_d-10_val.txt"));
  EXPECT_EQ(r.violations, 0);
  EXPECT_EQ(r.lines, 20000);
  EXPECT_EQ(r.distinct_lines, 19771);  // datasets.md §3.3
}

TEST(DyckTest, GeneratedSplitsFollowTheStructuralRule) {
  const Splits& s = PaperSplits();
  EXPECT_LT(s.seconds, 10.0);
  ASSERT_EQ(s.train.size(), 200000u);
  ASSERT_EQ(s.val.size(), 20000u);
  ASSERT_EQ(s.test.size(), 20000u);
  const SplitReport val = AnalyzeSplit(TaskKind::kDyck, Split::kVal, s.val, &s.train);
  EXPECT_EQ(val.violations, 0) << FormatReport(val);
  const SplitReport test = AnalyzeSplit(TaskKind::kDyck, Split::kTest, s.test, &s.train);
  EXPECT_EQ(test.violations, 0);
  // The checks fail when the roles are swapped.
  const std::vector<std::string> val_head(s.val.begin(), s.val.begin() + 500);
  const std::vector<std::string> test_head(s.test.begin(), s.test.begin() + 500);
  const std::vector<std::string> train_head(s.train.begin(), s.train.begin() + 20000);
  EXPECT_EQ(AnalyzeSplit(TaskKind::kDyck, Split::kTest, val_head, &s.train).violations, 500);
  EXPECT_EQ(AnalyzeSplit(TaskKind::kDyck, Split::kVal, test_head, &train_head).violations, 500);
  // Generalisation strings are long (datasets.md §3.4 [sim]: mean ~116, min ~18).
  EXPECT_GT(test.mean_length, 100);
  EXPECT_LT(test.mean_length, 135);
  EXPECT_EQ(test.distinct_lines, 20000);
}

TEST(DyckTest, GeneratedValMatchesReferenceVal) {
  const SplitReport gen = AnalyzeSplit(TaskKind::kDyck, Split::kVal, PaperSplits().val);
  const SplitReport ref =
      AnalyzeSplit(TaskKind::kDyck, Split::kVal, ReadReference("dyck/k-20_d-10_val.txt"));
  // 20,000 vs 20,000 strings: ~3 standard deviations of a two-sample difference is 0.013.
  std::string worst;
  EXPECT_LE(MaxShareDifference(LengthShares(gen), LengthShares(ref), &worst), 0.015)
      << "length " << worst;
  EXPECT_LE(MaxShareDifference(TemplateShares(gen), TemplateShares(ref), &worst), 0.015)
      << "max depth " << worst;
  EXPECT_NEAR(gen.mean_length, ref.mean_length, 0.3);
  EXPECT_NEAR(static_cast<double>(gen.distinct_lines), 19771, 60);
}

TEST(DyckTest, WholeStringSplitAndDeterminism) {
  Splits a, b;
  ASSERT_TRUE(Generate(4, 5000, 300, 300, Structure::kWholeString, &a.train, &a.val, &a.test).ok());
  ASSERT_TRUE(Generate(4, 5000, 300, 300, Structure::kWholeString, &b.train, &b.val, &b.test).ok());
  EXPECT_EQ(a.val, b.val);
  EXPECT_EQ(a.test, b.test);
  EXPECT_EQ(AnalyzeSplit(TaskKind::kDyck, Split::kVal, a.val, &a.train, Structure::kWholeString)
                .violations,
            0);
  EXPECT_EQ(AnalyzeSplit(TaskKind::kDyck, Split::kTest, a.test, &a.train,
                         Structure::kWholeString)
                .violations,
            0);
  EXPECT_FALSE(ParseStructure("paper").ok());
}

}  // namespace
}  // namespace dyck
}  // namespace sg
