// sg-analyze: recomputes one run's analysis metrics from its kept checkpoints and writes them
// as metric lines (docs/analysis.md). Its flags are trainer/api's (analyze_options.h), the
// definition `sgctl analyze` links too; `sg-analyze --help` lists them. Exit codes: 0 done,
// 2 bad input (flags, config, another run's checkpoints), 1 any other failure.
#include <cstdio>
#include <string>
#include <vector>

#include "trainer/analyze_checkpoints.h"
#include "trainer/api/analyze_options.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::fprintf(stdout, "%s", sg::AnalyzeUsage().c_str());
      return 0;
    }
  }
  absl::StatusOr<sg::AnalyzeOptions> options = sg::ParseAnalyzeArgs(args);
  if (!options.ok()) {
    std::fprintf(stderr, "sg-analyze: %s\n%s", std::string(options.status().message()).c_str(),
                 sg::AnalyzeUsage().c_str());
    return 2;
  }
  const absl::Status status = sg::AnalyzeCheckpoints(*options);
  if (status.ok()) return 0;
  std::fprintf(stderr, "sg-analyze: %s\n", status.ToString().c_str());
  const bool bad_input = absl::IsInvalidArgument(status) || absl::IsNotFound(status) ||
                         absl::IsFailedPrecondition(status);
  return bad_input ? 2 : 1;
}
