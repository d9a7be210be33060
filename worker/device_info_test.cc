// Device parsing and the pack size: the default per device kind, and on CUDA the seeds of a
// claimed pack that fit in memory (trainer/api/pack_memory.h does the arithmetic; this checks that
// the worker feeds it the claimed sweep's task and cell).
#include "worker/device_info.h"

#include <gtest/gtest.h>

namespace sg {
namespace {

namespace pm = pack_memory;

TEST(DeviceInfoTest, ParsesDeviceLists) {
  absl::StatusOr<std::vector<std::string>> d = ParseDeviceList("cuda:0, cuda:1");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, (std::vector<std::string>{"cuda:0", "cuda:1"}));
  EXPECT_FALSE(ParseDeviceList("gpu0").ok());
  EXPECT_FALSE(ParseDeviceList("cuda:0,cuda:0").ok());
}

TEST(DeviceInfoTest, DefaultPackSizeAndWhenItIsFittedToMemory) {
  EXPECT_EQ(DefaultPackSize("cpu"), kCpuPackSize);
  EXPECT_EQ(DefaultPackSize("cuda:1"), kMaxAutoPackSize);
  EXPECT_TRUE(FitsPackToMemory("cuda:0", 0));
  EXPECT_FALSE(FitsPackToMemory("cuda:0", 8));  // a fixed --pack-size is obeyed
  EXPECT_FALSE(FitsPackToMemory("cpu", 0));     // CPUs keep their default
}

TEST(DeviceInfoTest, FitUsesTheClaimedTaskAndCell) {
  const std::string spec =
      "name: s\ntask: question_formation\nseeds: 3\ngrid: {depth: [2, 10]}\ntrain: {batch_size: 16}\n";
  absl::StatusOr<PackFit> shallow = FitPackToMemory(spec, "depth=2", 24 * pm::kGiB,
                                                    pm::kDefaultEvalBytes, 0.9);
  absl::StatusOr<PackFit> deep = FitPackToMemory(spec, "depth=10", 24 * pm::kGiB,
                                                 pm::kDefaultEvalBytes, 0.9);
  ASSERT_TRUE(shallow.ok()) << shallow.status();
  ASSERT_TRUE(deep.ok()) << deep.status();
  EXPECT_EQ(deep->config.depth, 10);
  EXPECT_EQ(deep->config.batch_size, 16);  // the spec's train block applies
  EXPECT_EQ(deep->bounds.max_tokens, pm::kMaxTokensQuestionFormation);
  EXPECT_GT(shallow->seeds, deep->seeds);
  // The same numbers as the estimate computed directly.
  const TaskSizeBounds b = TaskSizeBoundsFor(TaskKind::kQuestionFormation);
  const PackMemoryEstimate e =
      EstimatePackMemory(deep->config, b.num_ids, b.max_tokens, b.graph_buckets);
  EXPECT_EQ(deep->estimate.per_seed_bytes, e.per_seed_bytes);
  EXPECT_EQ(deep->seeds, SeedsThatFit(e, 24 * pm::kGiB, 0.9));
  // A smaller evaluation budget leaves room for more seeds.
  absl::StatusOr<PackFit> small_eval = FitPackToMemory(spec, "depth=10", 24 * pm::kGiB,
                                                       512 * pm::kMiB, 0.9);
  ASSERT_TRUE(small_eval.ok());
  EXPECT_GT(small_eval->seeds, deep->seeds);
}

TEST(DeviceInfoTest, FitNamesWhatItCannotRead) {
  absl::StatusOr<PackFit> bad_spec = FitPackToMemory("name: s\n", "depth=2", pm::kGiB, 0, 0.9);
  EXPECT_EQ(bad_spec.status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<PackFit> bad_axis = FitPackToMemory(
      "name: s\ntask: dyck\nseeds: 1\n", "colour=2", pm::kGiB, 0, 0.9);
  EXPECT_EQ(bad_axis.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sg
