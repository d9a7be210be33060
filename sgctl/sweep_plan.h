// What a sweep spec will ask of the GPUs before it is submitted (`sgctl plan FILE`): its cells,
// the packs the queue will hand out for each, their memory as sg-worker sizes it, their work
// in the unit the claim order and the worker already use (common/pack_cost.h), and the device
// time that work takes at a given rate. Offline: no coordinator, no LibTorch.
//
// The time is an estimate, not a promise: multiply-adds / rate, where the rate is what a
// device sustains on 10-seed packs of the paper's model (sgctl's default is the one measured
// on one H200: docs/performance.md, "What a sweep costs"). The cost model leaves out
// evaluations; packs sharing a GPU (sg-worker --packs-per-device auto) may add a little
// throughput.
#ifndef SG_SGCTL_SWEEP_PLAN_H_
#define SG_SGCTL_SWEEP_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sweep_spec.h"

namespace sg {
namespace ctl {

// Multiply-adds per second of one H200 training 10-seed packs of the paper's model, TF32:
// sg-bench's measured model-steps/s x the cost model's multiply-adds per model-step (QF at
// 2 / 6 / 10 layers: 1.89e13 / 1.99e13 / 2.02e13; Dyck at 6 layers: 2.26e13; session 14 and
// 18's tables in docs/performance.md, "What a sweep costs", which shows the arithmetic).
inline constexpr double kDefaultPlanRate = 2.0e13;
// The most seeds sg-worker puts in one CUDA pack by default (worker/main.cc, --pack-size 0).
inline constexpr int64_t kDefaultPlanPackSize = 16;
// --devices at most (a million GPUs).
inline constexpr int64_t kMaxPlanDevices = 1'000'000;

struct PlanOptions {
  int64_t pack_size = kDefaultPlanPackSize;  // seeds per pack at most (sg-worker --pack-size)
  // Device memory in bytes; > 0 also limits a pack to the seeds that fit in
  // pack_memory::kDefaultUsableFraction of it, as sg-worker's automatic pack size does.
  int64_t device_bytes = 0;
  double rate = kDefaultPlanRate;  // multiply-adds per second per device, in [1, 1e18]
  int64_t devices = 1;  // devices training the sweep, one pack each at a time; at most 1e6
};

struct CellPlan {
  std::string cell;                 // CellKey: "depth=6" ("" without a grid)
  int64_t seeds = 0;                // runs of the cell
  std::vector<int64_t> pack_seeds;  // seeds per pack, in the order the queue hands them out
  int64_t params_per_seed = 0;      // ModelParamCount with the worker's id bound
  int64_t pack_bytes = 0;           // memory of the cell's largest pack, as the worker sizes it
  int64_t steps = 0;                // train.steps of the cell
  double multiply_adds = 0;         // all the cell's runs to train.steps
  double device_seconds = 0;        // multiply_adds / rate
};

struct SweepPlan {
  std::string name;
  std::string task;
  std::vector<CellPlan> cells;  // in the grid's order
  int64_t runs = 0;
  int64_t packs = 0;
  double multiply_adds = 0;
  double device_seconds = 0;  // the sum over the cells
  // The packs dealt longest first (the claim order) to whichever device frees first, one pack
  // per device at a time: when the last one ends. At least the longest pack's time, however
  // many devices.
  double wall_seconds = 0;
};

// kInvalidArgument naming the flag for options out of range, and naming the cell and the memory
// it needs when device_bytes cannot hold even one seed of it.
absl::StatusOr<SweepPlan> PlanSweep(const SweepSpec& spec, const PlanOptions& options);

// When `devices` machines that each take the next pack as they free up end, for packs of
// `seconds` dealt longest first. 0 for no packs.
double LongestFirstWallSeconds(std::vector<double> seconds, int64_t devices);

}  // namespace ctl
}  // namespace sg

#endif  // SG_SGCTL_SWEEP_PLAN_H_
