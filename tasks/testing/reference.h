// Test-only access to shared/data/reference (never used by the product).
#ifndef SG_TASKS_TESTING_REFERENCE_H_
#define SG_TASKS_TESTING_REFERENCE_H_

#include <string>
#include <vector>

namespace sg {
namespace testing {

// <reference dir>/<relative>.
std::string ReferencePath(const std::string& relative);
// The file's lines; aborts the test binary with a message if it cannot be read.
std::vector<std::string> ReadReference(const std::string& relative);

}  // namespace testing
}  // namespace sg



#include <map>

#include "tasks/split_report.h"

namespace sg {
namespace testing {

// Share of each LM length among a report's parsed lines, keyed by the length as text.
std::map<std::string, double> LengthShares(const SplitReport& report);
// Share of each template key.
std::map<std::string, double> TemplateShares(const SplitReport& report);
// The largest |a[k] - b[k]| over the union of keys (a missing key counts as 0); `worst` gets k.
double MaxShareDifference(const std::map<std::string, double>& a,
                          const std::map<std::string, double>& b, std::string* worst = nullptr);

}  // namespace testing
}  // namespace sg
#endif  // SG_TASKS_TESTING_REFERENCE_H_
