// What the daemon registers about its devices: parsing --devices, each device's memory, and
// the pack size (runs trained at once by one sg-train child): a default per device kind, and on
// CUDA the number of seeds of a claimed pack that fit in the device's memory
// (trainer/api/pack_memory.h).
#ifndef SG_WORKER_DEVICE_INFO_H_
#define SG_WORKER_DEVICE_INFO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/run_config.h"
#include "trainer/api/pack_memory.h"

namespace sg {

// "cpu" or "cuda:0,cuda:1" -> the names, validated. kInvalidArgument naming the bad entry.
absl::StatusOr<std::vector<std::string>> ParseDeviceList(const std::string& text);

// Memory of a device in bytes: MemTotal of /proc/meminfo for "cpu", nvidia-smi's
// memory.total for "cuda:N". 0 when it cannot be found out (the caller then needs a flag).
int64_t ProbeDeviceMemoryBytes(const std::string& device);

// Pack size on a CPU with --pack-size 0: a CPU trains a pack as one batched computation, and
// more seeds per pack stop paying off once the cores are busy.
inline constexpr int32_t kCpuPackSize = 4;
// The most runs one claim asks for on a CUDA device with --pack-size 0. Each claim is then
// trimmed to the seeds that fit in memory (FitPackToMemory); the cap keeps one worker from
// taking a whole large cell while other devices wait.
inline constexpr int32_t kMaxAutoPackSize = 16;

// The pack size with --pack-size 0: kCpuPackSize for "cpu", kMaxAutoPackSize for "cuda:N"
// (a claim cap: see FitsPackToMemory).
int32_t DefaultPackSize(const std::string& device);

// Whether the daemon trims each claim on `device` to what fits in memory: CUDA devices with
// --pack-size 0 (automatic). CPU devices keep kCpuPackSize (host memory is rarely the limit).
bool FitsPackToMemory(const std::string& device, int32_t pack_size_flag);

// --packs-per-device: "auto" (packs per device from measurement, worker/pack_concurrency.h) or
// a number N >= 1 (N packs at once, as --slots-per-device N). "" means the flag was not given.
struct PacksPerDevice {
  bool automatic = false;
  int32_t fixed = 0;  // N; 0 when automatic or not given
};
absl::StatusOr<PacksPerDevice> ParsePacksPerDevice(const std::string& text);
// The most packs one device runs at once in automatic mode (the rule's cap): beyond a few packs
// a GPU's throughput has stopped growing long before, and each pack costs a process and its
// CUDA context.
inline constexpr int32_t kMaxAutoPacksPerDevice = 8;
// Whether automatic mode measures on `device`: CUDA only. A CPU trains one pack with all its
// cores, so more packs compete for them; there the worker keeps --slots-per-device.
bool MeasuresPacksPerDevice(const std::string& device);

// How many seeds of a claimed pack fit on one device slot.
struct PackFit {
  int32_t seeds = 0;  // SeedsThatFit; 0: not even one seed fits
  PackMemoryEstimate estimate;
  TaskSizeBounds bounds;  // what the estimate assumed about the task
  TrainConfig config;     // the cell's config (depth, batch, widths)
};

// The seeds of a pack trained with `config` (its runs' resolved config) that fit in
// usable_fraction of `slot_bytes` of GPU memory, with sg-train's evaluation budget
// `eval_bytes`: EstimatePackMemory with TaskSizeBoundsFor the config's task, then SeedsThatFit.
PackFit FitPackToMemory(const RunConfig& config, int64_t slot_bytes, int64_t eval_bytes,
                        double usable_fraction);
// The same from a claimed run's Run.resolved_config_json (every run of a pack has the same).
// kInvalidArgument (ParseRunConfigJson's, naming the key) when it is empty or does not parse.
absl::StatusOr<PackFit> FitPackToMemory(absl::string_view resolved_config_json,
                                        int64_t slot_bytes, int64_t eval_bytes,
                                        double usable_fraction);
}  // namespace sg

#endif  // SG_WORKER_DEVICE_INFO_H_
