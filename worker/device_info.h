// What the daemon registers about its devices: parsing --devices, each device's memory, and
// the default pack size (runs trained at once by one sg-train child) derived from it.
#ifndef SG_WORKER_DEVICE_INFO_H_
#define SG_WORKER_DEVICE_INFO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sg {

// "cpu" or "cuda:0,cuda:1" -> the names, validated. kInvalidArgument naming the bad entry.
absl::StatusOr<std::vector<std::string>> ParseDeviceList(const std::string& text);

// Memory of a device in bytes: MemTotal of /proc/meminfo for "cpu", nvidia-smi's
// memory.total for "cuda:N". 0 when it cannot be found out (the caller then needs a flag).
int64_t ProbeDeviceMemoryBytes(const std::string& device);

// The default pack size. CPU: 4 (a CPU trains a pack as one batched computation; more seeds
// per pack stop paying off once the cores are busy). CUDA: one run per 2 GiB of device memory,
// between 1 and 16: a paper-sized run (d_model 512, 10 layers, batch 8, AdamW state) needs well
// under 1 GiB, so 2 GiB per run leaves headroom for activations and the CUDA context.
int32_t DefaultPackSize(const std::string& device, int64_t memory_bytes);

}  // namespace sg

#endif  // SG_WORKER_DEVICE_INFO_H_
