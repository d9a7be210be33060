#include "trainer/model/update_share.h"

#include <string>

namespace sg {

bool IsUpdateKernel(const std::string& name) {
  for (const char* part : {"AdamWKernel", "GradSquaredSumsKernel", "ClipScaleKernel",
                           "multi_tensor_apply_kernel", "lpnorm_cleanup"}) {
    if (name.find(part) != std::string::npos) return true;
  }
  return false;
}

bool HasWeightGradSumsKernel(const std::vector<KernelTime>& kernels) {
  for (const KernelTime& k : kernels) {
    if (k.name.find("WgmmaWeightGradKernel") != std::string::npos && k.count > 0) return true;
  }
  return false;
}

UpdateShare SummarizeUpdate(const std::vector<KernelTime>& kernels, int steps,
                            int64_t parameters) {
  UpdateShare u;
  if (steps <= 0) return u;
  double us = 0, launches = 0;
  for (const KernelTime& k : kernels) {
    if (!IsUpdateKernel(k.name)) continue;
    us += k.total_us;
    launches += static_cast<double>(k.count);
  }
  u.us_per_step = us / steps;
  if (HasWeightGradSumsKernel(kernels)) u.bytes_per_param = kUpdateBytesPerParamWithSums;
  u.launches_per_step = launches / steps;
  if (u.us_per_step > 0) {
    // bytes / us = MB/s; / 1e3 = GB/s.
    u.gb_per_s = static_cast<double>(u.bytes_per_param * parameters) / u.us_per_step / 1e3;
  }
  return u;
}

}  // namespace sg
