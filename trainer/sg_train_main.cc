// sg-train: trains one pack of seeds of one grid cell (see docs/trainer.md). Its flags, their
// parsing and its exit codes are trainer/api's (train_options.h, exit_codes.h), the definitions
// sg-worker links too; `sg-train --help` lists the flags.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/version.h"
#include "trainer/api/exit_codes.h"
#include "trainer/api/train_options.h"
#include "trainer/train_pack.h"

namespace {

std::atomic<int> g_stop{0};

extern "C" void OnSignal(int signo) { g_stop.store(signo); }

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::fprintf(stdout, "%s", sg::TrainUsage().c_str());
      return 0;
    }
    if (a == "--version") {
      std::fprintf(stdout, "sg-train %s\n", sg::kSgVersion);
      return 0;
    }
  }
  absl::StatusOr<sg::TrainPackOptions> options = sg::ParseTrainArgs(args);
  absl::Status valid = options.ok() ? sg::ValidateTrainOptions(*options) : options.status();
  if (!valid.ok()) {
    std::fprintf(stderr, "sg-train: %s\n%s", std::string(valid.message()).c_str(),
                 sg::TrainUsage().c_str());
    return sg::kTrainExitBadInput;
  }
  options->stop = &g_stop;

  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  const absl::Status status = sg::TrainPack(*options);
  if (!status.ok()) std::fprintf(stderr, "sg-train: %s\n", status.ToString().c_str());
  return sg::TrainExitCode(status, g_stop.load());
}
