// The claim order through real processes: sg-coordinator (SQLite), sgctl submitting a grid
// whose YAML lists its depths shallow first, and sg-worker claiming its packs one at a time. The
// trainer is a script that records the runs it was given and exits 2 (bad input: the runs fail
// at once, not retried), so the worker claims the next pack at once and no LibTorch is needed.
// The packs must come deepest first (docs/performance.md, "Claim order").
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/process_util.h"

namespace {

namespace fs = std::filesystem;

TEST(ClaimOrderProcess, AWorkerGetsTheDeepestPacksFirst) {
  const fs::path bin = sg_test::EnvOr("SG_BINARY_DIR", "");
  ASSERT_FALSE(bin.empty()) << "run through ctest";
  const fs::path dir =
      fs::temp_directory_path() / ("sg_claim_order_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);

  pid_t coordinator = -1;
  std::string address;
  const std::string started =
      sg_test::StartCoordinatorProcess(bin.string(), dir.string(), {}, &coordinator, &address);
  ASSERT_EQ(started, "");

  // Depths 1, 3, 2 (run ids 1-2, 3-4, 5-6), two seeds each, 100 steps.
  std::ofstream(dir / "grid.yaml")
      << "name: grid\ntask: question_formation\ngrid:\n  depth: [1, 3, 2]\nseeds: 2\n"
      << "train:\n  steps: 100\n  eval_every: 50\n  tree_sentences: 0\n";
  const pid_t submit = sg_test::Spawn({(bin / "sgctl/sgctl").string(), "--coordinator", address,
                                       "submit", (dir / "grid.yaml").string()},
                                      (dir / "sgctl.out").string(), (dir / "sgctl.err").string());
  ASSERT_EQ(sg_test::WaitExit(submit, std::chrono::seconds(60)), 0)
      << sg_test::ReadFile((dir / "sgctl.err").string());

  const fs::path trainer = dir / "trainer.sh";
  std::ofstream(trainer) << "#!/bin/sh\necho \"$@\" >> " << (dir / "launches.txt").string()
                         << "\necho 'sg-train: recorded, not trained' >&2\nexit 2\n";
  ::chmod(trainer.c_str(), 0755);
  const pid_t worker = sg_test::Spawn(
      {(bin / "worker/sg-worker").string(), "--coordinator", address, "--devices", "cpu",
       "--device-memory-gb", "2", "--pack-size", "2", "--packs-per-device", "auto",
       "--work-dir", (dir / "work").string(), "--sg-train", trainer.string(),
       "--claim-interval-ms", "100", "--exit-when-idle", "2"},
      (dir / "worker.log").string(), "");
  EXPECT_EQ(sg_test::WaitExit(worker, std::chrono::seconds(120)), 0)
      << sg_test::ReadFile((dir / "worker.log").string());

  // The --run-ids of each launch, in launch order.
  std::vector<std::string> packs;
  for (absl::string_view line :
       absl::StrSplit(sg_test::ReadFile((dir / "launches.txt").string()), '\n', absl::SkipEmpty())) {
    const std::vector<std::string> args = absl::StrSplit(line, ' ');
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "--run-ids") packs.push_back(args[i + 1]);
    }
  }
  EXPECT_EQ(packs, (std::vector<std::string>{"3,4", "5,6", "1,2"}))
      << sg_test::ReadFile((dir / "worker.log").string());
  const std::string log = sg_test::ReadFile((dir / "worker.log").string());
  EXPECT_NE(log.find("--packs-per-device auto: cpu keeps 1 pack(s)"), std::string::npos) << log;

  ::kill(coordinator, SIGTERM);
  sg_test::WaitExit(coordinator, std::chrono::seconds(30));
  fs::remove_all(dir);
}

}  // namespace
