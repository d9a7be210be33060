#include "sgctl/sweep_plan.h"

#include <algorithm>
#include <functional>
#include <queue>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/pack_cost.h"
#include "common/run_config.h"
#include "common/status_macros.h"
#include "sgctl/output.h"
#include "trainer/api/pack_memory.h"

namespace sg {
namespace ctl {
namespace {

absl::Status CheckOptions(const PlanOptions& o) {
  if (o.pack_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--pack-size: must be at least 1 seed per pack, got ", o.pack_size));
  }
  if (o.device_bytes < 0) {
    return absl::InvalidArgumentError("--device-memory-gib: must be > 0 (or left out)");
  }
  // Bounds that keep every result finite and the work small: no device is slower than one
  // multiply-add a second or faster than 1e18, and a sweep has at most 1e6 runs to place.
  if (!(o.rate >= 1 && o.rate <= 1e18)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--rate: must be a number of multiply-adds per second per device in [1, 1e18], e.g. "
        "2e13, got ", o.rate));
  }
  if (o.devices < 1 || o.devices > kMaxPlanDevices) {
    return absl::InvalidArgumentError(absl::StrCat("--devices: must be in 1..",
                                                   kMaxPlanDevices, ", got ", o.devices));
  }
  return absl::OkStatus();
}

// Seeds per pack for a cell of `seeds` runs: the queue hands a claim up to `per_pack` runs of
// one cell, in seed order, so every pack is full but the last.
std::vector<int64_t> SplitIntoPacks(int64_t seeds, int64_t per_pack) {
  std::vector<int64_t> packs;
  for (int64_t left = seeds; left > 0; left -= per_pack) {
    packs.push_back(std::min(left, per_pack));
  }
  return packs;
}

}  // namespace

double LongestFirstWallSeconds(std::vector<double> seconds, int64_t devices) {
  if (seconds.empty() || devices < 1) return 0;
  // More devices than packs leave the rest idle.
  devices = std::min<int64_t>(devices, static_cast<int64_t>(seconds.size()));
  std::sort(seconds.begin(), seconds.end(), std::greater<double>());
  // Each device's time when it frees up; the earliest takes the next pack.
  std::priority_queue<double, std::vector<double>, std::greater<double>> free_at;
  for (int64_t d = 0; d < devices; ++d) free_at.push(0);
  double end = 0;
  for (double s : seconds) {
    const double start = free_at.top();
    free_at.pop();
    free_at.push(start + s);
    end = std::max(end, start + s);
  }
  return end;
}

absl::StatusOr<SweepPlan> PlanSweep(const SweepSpec& spec, const PlanOptions& options) {
  SG_RETURN_IF_ERROR(CheckOptions(options));
  SweepPlan plan;
  plan.name = spec.name;
  plan.task = TaskName(spec.task);
  const TaskSizeBounds bounds = TaskSizeBoundsFor(spec.task);
  const int64_t seeds = static_cast<int64_t>(spec.seeds.size());
  std::vector<double> pack_seconds;
  for (const GridCell& cell : ExpandGrid(spec)) {
    SG_ASSIGN_OR_RETURN(RunConfig config, ResolveRunConfig(spec, cell));
    CellPlan c;
    c.cell = CellKey(cell);
    c.seeds = seeds;
    c.steps = config.train.steps;
    const PackMemoryEstimate memory =
        EstimatePackMemory(config.train, bounds.num_ids, bounds.max_tokens, bounds.graph_buckets,
                           pack_memory::kDefaultEvalBytes, bounds.eager_line_tokens);
    c.params_per_seed = memory.params_per_seed;
    int64_t per_pack = options.pack_size;
    if (options.device_bytes > 0) {
      const int32_t fit =
          SeedsThatFit(memory, options.device_bytes, pack_memory::kDefaultUsableFraction);
      if (fit < 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "cell ", c.cell.empty() ? "(no grid)" : c.cell, ": one seed needs ",
            FormatBytes(memory.Bytes(1)), " (", memory.ToString(), "), more than ",
            absl::StrFormat("%.0f%%", 100 * pack_memory::kDefaultUsableFraction), " of ",
            FormatBytes(options.device_bytes),
            " (--device-memory-gib); give the device's memory, or lower train.depth, d_model, ",
            "ff or batch_size"));
      }
      per_pack = std::min<int64_t>(per_pack, fit);
    }
    c.pack_seeds = SplitIntoPacks(seeds, per_pack);
    c.pack_bytes = c.pack_seeds.empty() ? 0 : memory.Bytes(c.pack_seeds.front());
    const double run_cost = ExpectedRunCost(RunCostInputsOf(config, /*resume_step=*/0));
    c.multiply_adds = run_cost * static_cast<double>(seeds);
    c.device_seconds = c.multiply_adds / options.rate;
    for (int64_t n : c.pack_seeds) {
      pack_seconds.push_back(run_cost * static_cast<double>(n) / options.rate);
    }
    plan.runs += seeds;
    plan.packs += static_cast<int64_t>(c.pack_seeds.size());
    plan.multiply_adds += c.multiply_adds;
    plan.device_seconds += c.device_seconds;
    plan.cells.push_back(std::move(c));
  }
  plan.wall_seconds = LongestFirstWallSeconds(std::move(pack_seconds), options.devices);
  return plan;
}

}  // namespace ctl
}  // namespace sg
