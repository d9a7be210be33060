// Device parsing and the pack size: the default per device kind, and on CUDA the seeds of a
// claimed pack that fit in memory (trainer/api/pack_memory.h does the arithmetic; this checks that
// the worker feeds it the claimed runs' stored config, with no spec to parse).
#include "worker/device_info.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "common/run_config.h"

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

TEST(DeviceInfoTest, PacksPerDeviceIsAutoOrANumber) {
  absl::StatusOr<PacksPerDevice> p = ParsePacksPerDevice("");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->automatic);
  EXPECT_EQ(p->fixed, 0);
  p = ParsePacksPerDevice("auto");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->automatic);
  p = ParsePacksPerDevice("3");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->automatic);
  EXPECT_EQ(p->fixed, 3);
  for (const char* bad : {"0", "-1", "two", "Auto"}) {
    p = ParsePacksPerDevice(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.status().message().find("--packs-per-device"), absl::string_view::npos);
  }
  EXPECT_TRUE(MeasuresPacksPerDevice("cuda:1"));
  EXPECT_FALSE(MeasuresPacksPerDevice("cpu"));
}

TEST(DeviceInfoTest, DefaultPackSizeAndWhenItIsFittedToMemory) {
  EXPECT_EQ(DefaultPackSize("cpu"), kCpuPackSize);
  EXPECT_EQ(DefaultPackSize("cuda:1"), kMaxAutoPackSize);
  EXPECT_TRUE(FitsPackToMemory("cuda:0", 0));
  EXPECT_FALSE(FitsPackToMemory("cuda:0", 8));  // a fixed --pack-size is obeyed
  EXPECT_FALSE(FitsPackToMemory("cpu", 0));     // CPUs keep their default
}

// The resolved config ClaimJobs sends with each run (Run.resolved_config_json).
std::string StoredConfig(int64_t depth) {
  RunConfig config{TaskKind::kQuestionFormation, TrainConfig(), DataConfig()};
  config.train.depth = depth;
  config.train.batch_size = 16;
  return RunConfigJson(config);
}

TEST(DeviceInfoTest, FitUsesTheStoredConfig) {
  absl::StatusOr<PackFit> shallow = FitPackToMemory(StoredConfig(2), 24 * pm::kGiB,
                                                    pm::kDefaultEvalBytes, 0.9);
  absl::StatusOr<PackFit> deep = FitPackToMemory(StoredConfig(10), 24 * pm::kGiB,
                                                 pm::kDefaultEvalBytes, 0.9);
  ASSERT_TRUE(shallow.ok()) << shallow.status();
  ASSERT_TRUE(deep.ok()) << deep.status();
  EXPECT_EQ(deep->config.depth, 10);
  EXPECT_EQ(deep->config.batch_size, 16);  // the stored config's train block applies
  EXPECT_EQ(deep->bounds.max_tokens, pm::kMaxTokensQuestionFormation);
  EXPECT_GT(shallow->seeds, deep->seeds);
  // The same numbers as the estimate computed directly.
  const TaskSizeBounds b = TaskSizeBoundsFor(TaskKind::kQuestionFormation);
  const PackMemoryEstimate e =
      EstimatePackMemory(deep->config, b.num_ids, b.max_tokens, b.graph_buckets);
  EXPECT_EQ(deep->estimate.per_seed_bytes, e.per_seed_bytes);
  EXPECT_EQ(deep->seeds, SeedsThatFit(e, 24 * pm::kGiB, 0.9));
  // A smaller evaluation budget leaves room for more seeds.
  absl::StatusOr<PackFit> small_eval = FitPackToMemory(StoredConfig(10), 24 * pm::kGiB,
                                                       512 * pm::kMiB, 0.9);
  ASSERT_TRUE(small_eval.ok());
  EXPECT_GT(small_eval->seeds, deep->seeds);
  // The stored config's task decides the task bounds, whatever else the pack's sweep says.
  RunConfig dyck = *ParseRunConfigJson(StoredConfig(10));
  dyck.task = TaskKind::kDyck;
  EXPECT_EQ(FitPackToMemory(dyck, 24 * pm::kGiB, pm::kDefaultEvalBytes, 0.9).bounds.max_tokens,
            TaskSizeBoundsFor(TaskKind::kDyck).max_tokens);
}

TEST(DeviceInfoTest, FitNamesWhatItCannotRead) {
  absl::StatusOr<PackFit> none = FitPackToMemory("", pm::kGiB, 0, 0.9);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(none.status().message()), ::testing::HasSubstr("no stored config"));
  // A config without a key is refused naming it, not filled in from defaults.
  std::string partial = StoredConfig(4);
  partial.replace(partial.find("\"batch_size\":16,"), 16, "");
  absl::StatusOr<PackFit> bad = FitPackToMemory(partial, pm::kGiB, 0, 0.9);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("train.batch_size"));
}

}  // namespace
}  // namespace sg
