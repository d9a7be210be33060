// A strict reader of Prometheus text exposition, for tests that scrape sg's /metrics and for
// anyone checking an exposition by hand: every sample must belong to a family declared by a
// # TYPE line before it, names must start with "sg_", values must parse.
#ifndef SG_COMMON_PROMETHEUS_PARSE_H_
#define SG_COMMON_PROMETHEUS_PARSE_H_

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sg {

struct ParsedExposition {
  std::map<std::string, std::string> types;  // family -> counter|gauge|histogram
  // Series key as written ("sg_rpcs_total{method=\"...\",code=\"OK\"}") -> value.
  std::map<std::string, double> samples;

  // Sum of every sample whose name (before '{') is `name` and whose label text contains each
  // of `label_parts` (e.g. "method=\"ClaimJobs\""). 0 when none.
  double Sum(const std::string& name, const std::vector<std::string>& label_parts = {}) const;
  bool Has(const std::string& name) const;
};

// kInvalidArgument naming the line for anything malformed.
absl::StatusOr<ParsedExposition> ParseExposition(const std::string& text);

}  // namespace sg

#endif  // SG_COMMON_PROMETHEUS_PARSE_H_
