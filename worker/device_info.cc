#include "worker/device_info.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace sg {

absl::StatusOr<std::vector<std::string>> ParseDeviceList(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::string name(absl::StripAsciiWhitespace(part));
    int index = 0;
    bool ok = name == "cpu" || (absl::StartsWith(name, "cuda:") &&
                                absl::SimpleAtoi(name.substr(5), &index) && index >= 0);
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--devices: '", name, "' is not a device; use cpu or cuda:N, e.g. --devices cuda:0,cuda:1"));
    }
    for (const std::string& seen : out) {
      if (seen == name) {
        return absl::InvalidArgumentError(absl::StrCat("--devices: '", name, "' is listed twice"));
      }
    }
    out.push_back(name);
  }
  if (out.empty()) {
    return absl::InvalidArgumentError("--devices: empty; use cpu or cuda:0[,cuda:1,...]");
  }
  return out;
}

int64_t ProbeDeviceMemoryBytes(const std::string& device) {
  if (device == "cpu") {
    std::ifstream in("/proc/meminfo");
    std::string key, unit;
    int64_t kb = 0;
    while (in >> key >> kb >> unit) {
      if (key == "MemTotal:") return kb * 1024;
    }
    return 0;
  }
  if (absl::StartsWith(device, "cuda:")) {
    std::string cmd = absl::StrCat("nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits -i ",
                                   device.substr(5), " 2>/dev/null");
    FILE* pipe = ::popen(cmd.c_str(), "r");
    if (pipe == nullptr) return 0;
    char buf[128] = {0};
    std::string out;
    while (std::fgets(buf, sizeof(buf), pipe) != nullptr) out += buf;
    ::pclose(pipe);
    int64_t mib = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(out), &mib)) return mib * 1024 * 1024;
  }
  return 0;
}

absl::StatusOr<PacksPerDevice> ParsePacksPerDevice(const std::string& text) {
  PacksPerDevice out;
  if (text.empty()) return out;
  if (text == "auto") {
    out.automatic = true;
    return out;
  }
  int32_t n = 0;
  if (!absl::SimpleAtoi(text, &n) || n < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--packs-per-device ", text, ": give auto (chosen from measured throughput) or a number >= 1"));
  }
  out.fixed = n;
  return out;
}

bool MeasuresPacksPerDevice(const std::string& device) { return absl::StartsWith(device, "cuda:"); }

int32_t DefaultPackSize(const std::string& device) {
  return device == "cpu" ? kCpuPackSize : kMaxAutoPackSize;
}

bool FitsPackToMemory(const std::string& device, int32_t pack_size_flag) {
  return pack_size_flag == 0 && absl::StartsWith(device, "cuda:");
}

PackFit FitPackToMemory(const RunConfig& config, int64_t slot_bytes, int64_t eval_bytes,
                        double usable_fraction) {
  PackFit fit;
  fit.config = config.train;
  fit.bounds = TaskSizeBoundsFor(config.task);
  fit.estimate = EstimatePackMemory(fit.config, fit.bounds.num_ids, fit.bounds.max_tokens,
                                    fit.bounds.graph_buckets, eval_bytes,
                                    fit.bounds.eager_line_tokens);
  fit.seeds = SeedsThatFit(fit.estimate, slot_bytes, usable_fraction);
  return fit;
}

absl::StatusOr<PackFit> FitPackToMemory(absl::string_view resolved_config_json,
                                        int64_t slot_bytes, int64_t eval_bytes,
                                        double usable_fraction) {
  SG_ASSIGN_OR_RETURN(RunConfig config, ParseRunConfigJson(resolved_config_json));
  return FitPackToMemory(config, slot_bytes, eval_bytes, usable_fraction);
}


}  // namespace sg
