#include "sgctl/sweep_plan.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/pack_cost.h"
#include "common/run_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "trainer/api/pack_memory.h"

namespace sg {
namespace ctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kGrid[] =
    "name: grid\n"
    "task: question_formation\n"
    "grid:\n"
    "  depth: [2, 4, 6, 8, 10]\n"
    "seeds: 10\n"
    "train:\n"
    "  steps: 24000\n"
    "  eval_every: 3000\n";

SweepSpec Parse(const std::string& yaml) {
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec(yaml, "plan.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

// What the worker would compute for one cell of `spec`: its resolved config's memory model.
PackMemoryEstimate CellMemory(const SweepSpec& spec, const GridCell& cell) {
  const RunConfig config = *ResolveRunConfig(spec, cell);
  const TaskSizeBounds b = TaskSizeBoundsFor(spec.task);
  return EstimatePackMemory(config.train, b.num_ids, b.max_tokens, b.graph_buckets,
                            pack_memory::kDefaultEvalBytes, b.eager_line_tokens);
}

TEST(SweepPlanTest, EachCellCostsItsSeedsTimesTheClaimOrdersRunCost) {
  const SweepSpec spec = Parse(kGrid);
  PlanOptions options;
  options.rate = 2e13;
  absl::StatusOr<SweepPlan> plan = PlanSweep(spec, options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->name, "grid");
  EXPECT_EQ(plan->task, "question_formation");
  ASSERT_EQ(plan->cells.size(), 5u);
  EXPECT_EQ(plan->runs, 50);
  EXPECT_EQ(plan->packs, 5);
  double total = 0;
  const std::vector<GridCell> cells = ExpandGrid(spec);
  for (size_t i = 0; i < cells.size(); ++i) {
    const CellPlan& c = plan->cells[i];
    const RunConfig config = *ResolveRunConfig(spec, cells[i]);
    EXPECT_EQ(c.cell, CellKey(cells[i]));
    EXPECT_EQ(c.seeds, 10);
    EXPECT_THAT(c.pack_seeds, ElementsAre(10));
    EXPECT_EQ(c.steps, 24000);
    EXPECT_EQ(c.params_per_seed, ModelParamCount(config.train, pack_memory::kNumIdsBound));
    EXPECT_EQ(c.pack_bytes, CellMemory(spec, cells[i]).Bytes(10));
    const double run = ExpectedRunCost(RunCostInputsOf(config, 0));
    EXPECT_DOUBLE_EQ(c.multiply_adds, 10 * run);
    EXPECT_DOUBLE_EQ(c.device_seconds, 10 * run / 2e13);
    total += c.device_seconds;
  }
  // The depth-6 pack: 3 x 8 rows x 22 tokens x (6 x (4 d^2 + 2 d ff + 2 x 22 d) + 2 x 128 d)
  // multiply-adds a model-step, 24,000 steps, 10 seeds.
  EXPECT_DOUBLE_EQ(plan->cells[2].multiply_adds, 10106241024.0 * 24000 * 10);
  EXPECT_DOUBLE_EQ(plan->device_seconds, total);
  // One device trains the packs one after another.
  EXPECT_NEAR(plan->wall_seconds, total, 1e-9 * total);
}

TEST(SweepPlanTest, ASecondDeviceTakesTheNextPackLongestFirst) {
  EXPECT_EQ(LongestFirstWallSeconds({}, 2), 0);
  EXPECT_EQ(LongestFirstWallSeconds({2, 4, 6, 8, 10}, 1), 30);
  // 10 | 8, then 6 on the device free at 8 (14), 4 on the one free at 10 (14), 2 after it.
  EXPECT_EQ(LongestFirstWallSeconds({2, 4, 6, 8, 10}, 2), 16);
  // 10 | 8 | 6, then 4 after the 6 (10), 2 after the 8 (10).
  EXPECT_EQ(LongestFirstWallSeconds({6, 2, 10, 4, 8}, 3), 10);
  // Never under the longest pack, however many devices.
  EXPECT_EQ(LongestFirstWallSeconds({2, 4, 6, 8, 10}, 100), 10);

  PlanOptions two;
  two.devices = 2;
  absl::StatusOr<SweepPlan> plan = PlanSweep(Parse(kGrid), two);
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::vector<double> packs;
  for (const CellPlan& c : plan->cells) packs.push_back(c.device_seconds);
  EXPECT_DOUBLE_EQ(plan->wall_seconds, LongestFirstWallSeconds(packs, 2));
  EXPECT_LT(plan->wall_seconds, plan->device_seconds);
  EXPECT_GT(plan->wall_seconds, plan->device_seconds / 2);
}

TEST(SweepPlanTest, PacksHoldAtMostPackSizeSeedsAsTheQueueHandsThemOut) {
  PlanOptions options;
  options.pack_size = 4;
  absl::StatusOr<SweepPlan> plan = PlanSweep(Parse(kGrid), options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->packs, 15);
  for (const CellPlan& c : plan->cells) EXPECT_THAT(c.pack_seeds, ElementsAre(4, 4, 2));
  const SweepSpec spec = Parse(kGrid);
  EXPECT_EQ(plan->cells[0].pack_bytes, CellMemory(spec, ExpandGrid(spec)[0]).Bytes(4));
}

TEST(SweepPlanTest, DeviceMemoryLimitsThePacksAsTheWorkerSizesThem) {
  const SweepSpec spec = Parse(kGrid);
  const PackMemoryEstimate deepest = CellMemory(spec, ExpandGrid(spec).back());
  // Room for 3.5 seeds of the depth-10 cell in the usable share: packs of 3.
  PlanOptions options;
  options.device_bytes = static_cast<int64_t>(
      (deepest.fixed_bytes + 3.5 * deepest.per_seed_bytes) / pack_memory::kDefaultUsableFraction);
  absl::StatusOr<SweepPlan> plan = PlanSweep(spec, options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->cells.back().pack_seeds, ElementsAre(3, 3, 3, 1));
  EXPECT_EQ(plan->cells.back().pack_bytes, deepest.Bytes(3));
  EXPECT_LE(plan->cells.back().pack_bytes,
            options.device_bytes * pack_memory::kDefaultUsableFraction);
  // The shallowest cell fits more seeds, up to the pack size.
  EXPECT_GT(plan->cells.front().pack_seeds.front(), 3);
}

TEST(SweepPlanTest, ACellWithoutRoomForOneSeedIsAnErrorNamingIt) {
  const SweepSpec spec = Parse(kGrid);
  const PackMemoryEstimate shallow = CellMemory(spec, ExpandGrid(spec).front());
  // One depth-2 seed fits, one depth-4 seed does not: the first cell without room is named.
  PlanOptions options;
  options.device_bytes =
      static_cast<int64_t>(shallow.Bytes(1) / pack_memory::kDefaultUsableFraction) + 1;
  absl::StatusOr<SweepPlan> plan = PlanSweep(spec, options);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(plan.status().message(), HasSubstr("cell depth=4: one seed needs"));
  EXPECT_THAT(plan.status().message(), HasSubstr("(--device-memory-gib)"));
}

TEST(SweepPlanTest, AnAxisOverStepsScalesItsCellsCost) {
  const SweepSpec spec = Parse(
      "name: steps\ntask: dyck\ngrid:\n  steps: [10000, 20000]\nseeds: [3, 7]\n"
      "train:\n  eval_every: 10000\n");
  absl::StatusOr<SweepPlan> plan = PlanSweep(spec, PlanOptions());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->cells.size(), 2u);
  EXPECT_EQ(plan->cells[0].cell, "steps=10000");
  EXPECT_EQ(plan->cells[1].steps, 20000);
  EXPECT_THAT(plan->cells[0].pack_seeds, ElementsAre(2));
  EXPECT_DOUBLE_EQ(plan->cells[1].multiply_adds, 2 * plan->cells[0].multiply_adds);
  EXPECT_EQ(plan->task, "dyck");
}

TEST(SweepPlanTest, OptionsOutOfRangeNameTheirFlag) {
  const SweepSpec spec = Parse(kGrid);
  const auto message = [&](PlanOptions o) {
    absl::StatusOr<SweepPlan> plan = PlanSweep(spec, o);
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(plan.status().message());
  };
  const std::string kRateError =
      "--rate: must be a number of multiply-adds per second per device in [1, 1e18]";
  PlanOptions o;
  o.pack_size = 0;
  EXPECT_THAT(message(o), HasSubstr("--pack-size: must be at least 1"));
  o = PlanOptions();
  o.rate = 0;
  EXPECT_THAT(message(o), HasSubstr(kRateError));
  o.rate = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(message(o), HasSubstr(kRateError));
  o.rate = 1e-300;  // would make every time infinite
  EXPECT_THAT(message(o), HasSubstr(kRateError));
  o.rate = std::numeric_limits<double>::infinity();
  EXPECT_THAT(message(o), HasSubstr(kRateError));
  o = PlanOptions();
  o.devices = 0;
  EXPECT_THAT(message(o), HasSubstr("--devices: must be in 1..1000000, got 0"));
  o.devices = int64_t{1} << 40;  // would cost a heap entry each
  EXPECT_THAT(message(o), HasSubstr("--devices: must be in 1..1000000"));
  // The most devices cost no more than the packs: the longest pack bounds the wall.
  o.devices = kMaxPlanDevices;
  absl::StatusOr<SweepPlan> plan = PlanSweep(spec, o);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_DOUBLE_EQ(plan->wall_seconds, plan->cells.back().device_seconds);
}

}  // namespace
}  // namespace ctl
}  // namespace sg
