// The bounds on what a sweep spec may cost (SpecLimits and the per-field bounds): each hostile
// input of issue 16 is refused with a message naming the field or limit.
#include <string>

#include <limits>

#include "absl/strings/str_cat.h"
#include "common/sweep_spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sg {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(const std::string& yaml, const SpecLimits& limits = SpecLimits()) {
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec(yaml, "t.yaml", limits);
  if (spec.ok()) return "";
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << spec.status();
  return std::string(spec.status().message());
}

constexpr char kHead[] = "name: s\ntask: dyck\n";

TEST(SpecLimitsTest, TwentyAxisGridIsCountedNotExpanded) {
  // 20 axes of 2 values (2^20 cells) x 2 seeds: the count is refused before any cell exists.
  std::string yaml = absl::StrCat(kHead, "seeds: 2\ngrid:\n");
  const char* axes[] = {"depth", "steps", "eval_every", "checkpoint_every", "batch_size", "lr",
                        "warmup_steps", "decay_steps", "clip", "d_model", "heads", "ff",
                        "dropout", "adam_beta1", "adam_beta2", "adam_eps", "weight_decay",
                        "dyck_min_distance", "tense_test_lines", "tie_embeddings"};
  for (const std::string axis : axes) {
    const char* values = axis == "tie_embeddings"                   ? "[true, false]"
                         : axis == "dropout" || axis.rfind("adam_beta", 0) == 0 ? "[0.1, 0.2]"
                                                                    : "[1, 2]";
    absl::StrAppend(&yaml, "  ", axis, ": ", values, "\n");
  }
  SpecLimits limits;
  limits.max_runs = 10000;
  std::string message = ErrorOf(yaml, limits);
  EXPECT_THAT(message, HasSubstr("grid: grid cells x seeds = 2 x 2 x"));
  EXPECT_THAT(message, HasSubstr("x 2 runs is more than the limit of 10000 runs per sweep"));
  // The default (absolute) cap refuses it too.
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("more than the limit of 1000000 runs per sweep"));
  // A seed count past the limit is named as such.
  EXPECT_THAT(ErrorOf(absl::StrCat(kHead, "seeds: 1000000\n"), limits),
              HasSubstr("seeds: must be a count 1..10000"));
}

TEST(SpecLimitsTest, SeedListsAreBoundedAndCheckedBySorting) {
  std::string seeds = "seeds: [";
  for (int i = 0; i < 20000; ++i) absl::StrAppend(&seeds, i == 0 ? "" : ",", i);
  absl::StrAppend(&seeds, "]\n");
  SpecLimits limits;
  limits.max_runs = 10000;
  EXPECT_THAT(ErrorOf(absl::StrCat(kHead, seeds), limits),
              HasSubstr("seeds: has 20000 entries, more than the limit of 10000 runs"));
  // A long list with one repeat: the message names the later entry.
  std::string repeat = "seeds: [";
  for (int i = 0; i < 9000; ++i) absl::StrAppend(&repeat, i == 0 ? "" : ",", i == 7000 ? 17 : i);
  absl::StrAppend(&repeat, "]\n");
  EXPECT_THAT(ErrorOf(absl::StrCat(kHead, repeat), limits),
              HasSubstr("seeds[7000]: duplicate seed 17"));
}

TEST(SpecLimitsTest, MillionSeedListIsRefusedBySize) {
  std::string seeds = "seeds: [";
  for (int i = 0; i < 1000000; ++i) absl::StrAppend(&seeds, i == 0 ? "" : ",", i);
  absl::StrAppend(&seeds, "]\n");
  EXPECT_THAT(ErrorOf(absl::StrCat(kHead, seeds)),
              HasSubstr("more than the limit of 1048576 bytes"));
}

TEST(SpecLimitsTest, ModelAndDataBoundsNameFieldAndBound) {
  EXPECT_THAT(ErrorOf(absl::StrCat(kHead, "seeds: 1\ngrid: {depth: [10000]}\n")),
              HasSubstr("grid.depth[0]: must be an integer in 1..64, got '10000'"));
  EXPECT_THAT(ErrorOf(absl::StrCat(kHead, "seeds: 1\ntrain: {d_model: 16384}\n")),
              HasSubstr("train.d_model: must be an integer in 1..8192"));
  EXPECT_THAT(ErrorOf(absl::StrCat(kHead, "seeds: 1\ntrain: {heads: 512}\n")),
              HasSubstr("train.heads: must be an integer in 1..256"));
  EXPECT_THAT(ErrorOf(absl::StrCat(kHead, "seeds: 1\ntrain: {ff: 100000}\n")),
              HasSubstr("train.ff: must be an integer in 1..65536"));
  EXPECT_THAT(ErrorOf(absl::StrCat(kHead, "seeds: 1\ntrain: {steps: 1e9}\n")),
              HasSubstr("train.steps: must be an integer in 1..100000000"));
  EXPECT_THAT(ErrorOf(absl::StrCat(kHead, "seeds: 1\ndata: {train_size: 20000000}\n")),
              HasSubstr("data.train_size: must be an integer in 1..10000000"));
  EXPECT_THAT(ErrorOf(absl::StrCat(kHead, "seeds: 1\ndata: {val_size: 2000000}\n")),
              HasSubstr("data.val_size: must be an integer in 1..1000000"));
  EXPECT_THAT(ErrorOf(absl::StrCat(kHead, "seeds: 1\ndata: {test_size: 2000000}\n")),
              HasSubstr("data.test_size: must be an integer in 1..1000000"));
  // The bounds themselves are allowed.
  EXPECT_EQ(ErrorOf(absl::StrCat(kHead, "seeds: 1\ntrain: {depth: 64, d_model: 8192, heads: 256, "
                                        "ff: 65536, steps: 100000000, eval_every: 10000}\n")),
            "");
}

TEST(SpecLimitsTest, HugeCommentIsRefusedBySize) {
  std::string yaml = absl::StrCat(kHead, "seeds: 1\n# ", std::string(50 << 20, 'x'), "\n");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("t.yaml: spec: is 52428831 bytes, more than the limit"));
}

TEST(SpecLimitsTest, NonUtf8NamesByteAndLine) {
  EXPECT_EQ(ErrorOf(absl::StrCat(kHead, "seeds: 1\n# caf\xe9\n")),
            "t.yaml:4: spec: byte 33 (0xe9) is not valid UTF-8; save the file as UTF-8");
  // Overlong and surrogate forms are not UTF-8 either; real multi-byte text is fine.
  EXPECT_THAT(ErrorOf(absl::StrCat(kHead, "seeds: 1\n# \xc0\xaf\n")), HasSubstr("not valid UTF-8"));
  EXPECT_THAT(ErrorOf(absl::StrCat(kHead, "seeds: 1\n# \xed\xa0\x80\n")),
              HasSubstr("not valid UTF-8"));
  EXPECT_EQ(ErrorOf(absl::StrCat(kHead, "seeds: 1\n# caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\n")),
            "");
}

TEST(SpecLimitsTest, DeepNestingIsRefusedEarly) {
  std::string deep = absl::StrCat(kHead, "seeds: ", std::string(100000, '['),
                                  std::string(100000, ']'), "\n");
  EXPECT_THAT(ErrorOf(deep), HasSubstr("t.yaml:3: spec: is nested more than 32 levels deep"));
  std::string block;  // a block sequence nested 50,000 deep on one line
  for (int i = 0; i < 50000; ++i) block += "- ";
  block += "1\n";
  EXPECT_THAT(ErrorOf(block), HasSubstr("is nested more than 32 levels deep"));
}

TEST(SpecLimitsTest, AliasBombIsRefusedBeforeExpansion) {
  std::string yaml = absl::StrCat(kHead, "seeds: 1\n");
  absl::StrAppend(&yaml, "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]\n");
  for (int i = 1; i < 10; ++i) {
    absl::StrAppend(&yaml, "a", i, ": &a", i, " [");
    for (int k = 0; k < 9; ++k) absl::StrAppend(&yaml, k == 0 ? "" : ", ", "*a", i - 1);
    absl::StrAppend(&yaml, "]\n");
  }
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("spec: has more than 100000 YAML nodes"));
}

TEST(SpecLimitsTest, CountRunsSaturates) {
  SweepSpec spec;
  spec.seeds.assign(1000, 0);
  for (int i = 0; i < 30; ++i) spec.grid.push_back({"depth", std::vector<double>(100, 1.0)});
  EXPECT_EQ(CountRuns(spec), std::numeric_limits<int64_t>::max());
  spec.grid.resize(1);
  EXPECT_EQ(CountRuns(spec), 100000);
}

}  // namespace
}  // namespace sg
