#include "worker/device_info.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

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

int32_t DefaultPackSize(const std::string& device, int64_t memory_bytes) {
  if (device == "cpu") return 4;
  const int64_t per_run = int64_t{2} << 30;
  int64_t n = memory_bytes / per_run;
  if (n < 1) n = 1;
  if (n > 16) n = 16;
  return static_cast<int32_t>(n);
}

}  // namespace sg
