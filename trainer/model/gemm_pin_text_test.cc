// The pin table's text (gemm_pin_text.h): sg-gemm-bench's lines read back, every field kept,
// and each kind of bad line refused with its line number and what the field takes.
#include "trainer/model/gemm_pin_text.h"

#include <gtest/gtest.h>

#include <string>

namespace sg {
namespace {

TEST(GemmPinTextTest, ReadsASearchLineAfterTheShape) {
  // The configuration as sg-gemm-bench --search prints it (session 38's H200 search).
  const auto pins = ParseGemmPins(
      "# the output projection's input gradient, 10 seeds\n"
      "T N 512 256 512 10  id 21 tile 20 stages 9 split-k 1 reduction 0 swizzle 0 custom 0 "
      "inner 0 cluster 0\n"
      "\n"
      "N N 1536 256 512 10 id 43 tile 21 stages 34 split-k 1 reduction 0 swizzle 1 custom 0 "
      "inner 0 cluster 5   # a comment after a pin\n");
  ASSERT_TRUE(pins.ok()) << pins.status();
  ASSERT_EQ(pins->size(), 2u);
  const GemmPinText& a = (*pins)[0];
  EXPECT_TRUE(a.transpose_a);
  EXPECT_FALSE(a.transpose_b);
  EXPECT_EQ(a.m, 512);
  EXPECT_EQ(a.n, 256);
  EXPECT_EQ(a.k, 512);
  EXPECT_EQ(a.batch, 10);
  EXPECT_EQ(a.id, 21);
  EXPECT_EQ(a.tile, 20);
  EXPECT_EQ(a.stages, 9);
  const GemmPinText& b = (*pins)[1];
  EXPECT_FALSE(b.transpose_a);
  EXPECT_EQ(b.m, 1536);
  EXPECT_EQ(b.swizzle, 1);
  EXPECT_EQ(b.cluster, 5);
}

TEST(GemmPinTextTest, FormatReadsBackTheSamePin) {
  GemmPinText p;
  p.transpose_a = true;
  p.m = 2048, p.n = 256, p.k = 512, p.batch = 16;
  p.id = 43, p.tile = 24, p.stages = 34, p.split_k = 1, p.reduction = 0, p.swizzle = 1;
  p.custom = 3, p.inner = 2, p.cluster = 12;
  const std::string line = FormatGemmPin(p);
  EXPECT_EQ(line,
            "T N 2048 256 512 16 id 43 tile 24 stages 34 split-k 1 reduction 0 swizzle 1 "
            "custom 3 inner 2 cluster 12");
  const auto back = ParseGemmPins(line);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 1u);
  EXPECT_TRUE((*back)[0] == p);
}

TEST(GemmPinTextTest, OmittedKeysTakeTheirDefaults) {
  const auto pins = ParseGemmPins("N N 512 256 2048 10 cluster 6 id 43");
  ASSERT_TRUE(pins.ok()) << pins.status();
  ASSERT_EQ(pins->size(), 1u);
  EXPECT_EQ((*pins)[0].id, 43);
  EXPECT_EQ((*pins)[0].cluster, 6);
  EXPECT_EQ((*pins)[0].tile, 0);
  EXPECT_EQ((*pins)[0].split_k, 1);
}

TEST(GemmPinTextTest, AnEmptyTablePinsNothing) {
  for (const char* text : {"", "\n\n", "# nothing pinned: the heuristic's first everywhere\n"}) {
    const auto pins = ParseGemmPins(text);
    ASSERT_TRUE(pins.ok()) << pins.status();
    EXPECT_TRUE(pins->empty());
  }
}

void ExpectRefused(const std::string& text, const std::string& says) {
  const auto pins = ParseGemmPins(text);
  ASSERT_FALSE(pins.ok()) << text;
  EXPECT_EQ(pins.status().code(), absl::StatusCode::kInvalidArgument) << text;
  EXPECT_NE(std::string(pins.status().message()).find(says), std::string::npos)
      << "'" << pins.status().message() << "' does not say '" << says << "'";
}

TEST(GemmPinTextTest, BadLinesAreRefusedByLineAndField) {
  ExpectRefused("\nX N 512 256 512 10 id 43", "line 2: op_a: expected N or T, got 'X'");
  ExpectRefused("N t 512 256 512 10 id 43", "op_b: expected N or T, got 't'");
  ExpectRefused("N N 0 256 512 10 id 43", "m: expected a whole number from 1 to 2147483647");
  ExpectRefused("N N 512 256 5x2 10 id 43", "k: expected a whole number from 1 to 2147483647, "
                                            "got '5x2'");
  ExpectRefused("N N 512 256 512 -1 id 43", "seeds: expected a whole number");
  ExpectRefused("N N 512 256 512", "expected op_a op_b m n k seeds and then the configuration");
  ExpectRefused("N N 512 256 512 10", "needs its algorithm's id");
  ExpectRefused("N N 512 256 512 10 id 43 tile", "one is missing its number");
  ExpectRefused("N N 512 256 512 10 id 43 tiles 20", "unknown configuration key 'tiles'");
  ExpectRefused("N N 512 256 512 10 id 43 id 21", "'id' given twice");
  ExpectRefused("N N 512 256 512 10 id 43 split-k 0", "split-k: expected a whole number from 1");
  ExpectRefused("N N 512 256 512 10 id 43 cluster 70000", "cluster: expected a whole number "
                                                          "from 0 to 65535");
  ExpectRefused("N N 512 256 512 10 id 43\n# again\nN N 512 256 512 10 id 21 tile 20",
                "line 3: a second pin for the same shape and seeds");
}

// The H200's table compiled into CUDA builds (cuda_seed_gemm_pins.cc checks it as it starts):
// checked here too, so that a table that does not parse fails the CPU build's tests first.
TEST(GemmPinTextTest, TheH200TableCompiledInParses) {
  static constexpr char kText[] =
#include "trainer/model/cuda_seed_gemm_pins_h200.inc"
      ;
  const auto pins = ParseGemmPins(kText);
  ASSERT_TRUE(pins.ok()) << pins.status();
  for (const GemmPinText& p : *pins) EXPECT_GE(p.id, 0) << FormatGemmPin(p);
}

TEST(GemmPinTextTest, OneShapeMayHaveAPinForEachSeedCount) {
  const auto pins =
      ParseGemmPins("N N 512 256 512 10 id 43\nN N 512 256 512 16 id 21\nT N 512 256 512 10 id 43");
  ASSERT_TRUE(pins.ok()) << pins.status();
  EXPECT_EQ(pins->size(), 3u);
}

}  // namespace
}  // namespace sg
