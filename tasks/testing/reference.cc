#include "tasks/testing/reference.h"

#include <cstdio>
#include <cmath>
#include <cstdlib>

#include "tasks/task_data.h"

namespace sg {
namespace testing {

std::string ReferencePath(const std::string& relative) {
  return std::string(SG_REFERENCE_DATA_DIR) + "/" + relative;
}

std::vector<std::string> ReadReference(const std::string& relative) {
  absl::StatusOr<std::vector<std::string>> lines = ReadLines(ReferencePath(relative));
  if (!lines.ok()) {
    std::fprintf(stderr, "reference file missing: %s\n", std::string(lines.status().message()).c_str());
    std::abort();
  }
  return *lines;
}

}  // namespace testing
}  // namespace sg

namespace sg {
namespace testing {

std::map<std::string, double> LengthShares(const SplitReport& report) {
  std::map<std::string, double> out;
  int64_t total = 0;
  for (const auto& [len, n] : report.lm_lengths) total += n;
  for (const auto& [len, n] : report.lm_lengths) {
    out[std::to_string(len)] = static_cast<double>(n) / total;
  }
  return out;
}

std::map<std::string, double> TemplateShares(const SplitReport& report) {
  std::map<std::string, double> out;
  int64_t total = 0;
  for (const auto& [k, n] : report.templates) total += n;
  for (const auto& [k, n] : report.templates) out[k] = static_cast<double>(n) / total;
  return out;
}

double MaxShareDifference(const std::map<std::string, double>& a,
                          const std::map<std::string, double>& b, std::string* worst) {
  double best = 0;
  auto check = [&](const std::string& k) {
    const double x = a.count(k) ? a.at(k) : 0.0;
    const double y = b.count(k) ? b.at(k) : 0.0;
    if (std::abs(x - y) > best) {
      best = std::abs(x - y);
      if (worst != nullptr) *worst = k;
    }
  };
  for (const auto& [k, v] : a) check(k);
  for (const auto& [k, v] : b) check(k);
  return best;
}

}  // namespace testing
}  // namespace sg
