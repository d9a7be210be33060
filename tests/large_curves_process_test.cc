// The curve queries of a paper-sized sweep at full resolution, through a real sg-coordinator
// process and sgctl as a process (issue 16, "consistent limits"): 5 depths x 10 seeds, each run
// with 300,000 per-step train_loss points (15 million points, about 40x one gRPC message). The
// grouped query (median/IQR per depth at every step) and the ungrouped one (every point of every
// run) must both come back whole, paged, with every step once; the coordinator's peak memory is
// printed so a regression to building whole answers in memory shows.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "coordinator/coordinator.h"
#include "coordinator/sqlite_store.h"
#include "gtest/gtest.h"
#include "tests/process_util.h"

namespace {

using sg_test::EnvOr;
using sg_test::ReadFile;
using sg_test::Spawn;
using sg_test::WaitExit;

constexpr int64_t kTrainPoints = 300000;
constexpr int kRuns = 50;

// Fills `db` the way 50 finished runs would: every evaluation metric at each multiple of 3,000
// (the spec's defaults) and train_loss at every step, then completes each run.
void FillDatabase(const std::string& db) {
  auto store = sg::SqliteStore::Open(db);
  ASSERT_TRUE(store.ok()) << store.status();
  sg::CoordinatorOptions options;
  options.policy.lease_ms = 3'600'000;
  sg::Coordinator coordinator(store->get(), sg::RealClock::Get(), options);
  auto submitted = coordinator.SubmitSweep(
      "name: big\ntask: question_formation\ngrid:\n  depth: [2, 4, 6, 8, 10]\nseeds: 10\n",
      "big.yaml", sg::Caller{});
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  sg::WorkerRecord worker;
  worker.worker_id = "filler";
  worker.devices.push_back(sg::WorkerDevice{"cpu", 0, 1});
  ASSERT_TRUE(coordinator.RegisterWorker(worker, sg::Caller{}).ok());
  const char* kEvalMetrics[] = {"val_loss", "test_loss", "val_acc", "gen_acc", "weight_norm",
                                "weight_norm_ref"};
  int completed = 0;
  while (completed < kRuns) {
    auto claim = coordinator.ClaimJobs("filler", 10, sg::Caller{});
    ASSERT_TRUE(claim.ok()) << claim.status();
    ASSERT_FALSE(claim->runs.empty());
    for (const sg::RunRecord& run : claim->runs) {
      std::vector<sg::Lease> leases = {{run.run_id, run.lease_token, run.lease_holder}};
      std::vector<sg::MetricPointRecord> points;
      for (int e = 1; e <= 100; ++e) {
        for (const char* metric : kEvalMetrics) points.push_back({run.run_id, metric, e * 3000, 0.5});
      }
      for (int64_t step = 1; step <= kTrainPoints; ++step) {
        // A value that differs per seed and step, so the per-step statistics are checkable.
        points.push_back({run.run_id, "train_loss", step, run.seed + 1.0 / step});
        if (points.size() >= 100000) {
          ASSERT_TRUE(coordinator.RecordMetrics(leases, points).ok());
          points.clear();
        }
      }
      ASSERT_TRUE(coordinator.RecordMetrics(leases, points).ok());
      ASSERT_TRUE(coordinator.CompleteJob(leases[0], kTrainPoints).ok());
      ++completed;
    }
  }
}

int64_t PeakResidentKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      int64_t kb = 0;
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kb)) return kb;
    }
  }
  return -1;
}

TEST(LargeCurvesProcessTest, FullResolutionQueriesOfFiftyRunsWithThreeHundredThousandPoints) {
  const std::string binary_dir = EnvOr("SG_BINARY_DIR", ".");
  char pattern[] = "/tmp/sg_large_curves_XXXXXX";
  const std::string dir = mkdtemp(pattern);
  const std::string db = dir + "/coordinator.db";
  FillDatabase(db);
  if (HasFatalFailure()) return;

  pid_t coordinator = -1;
  std::string address;
  ASSERT_EQ(sg_test::StartCoordinatorProcess(binary_dir, dir, {}, &coordinator, &address), "");
  auto sgctl = [&](const std::vector<std::string>& args, const std::string& out) {
    std::vector<std::string> argv = {binary_dir + "/sgctl/sgctl", "--coordinator", address};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_t pid = Spawn(argv, out, out + ".err");
    return WaitExit(pid, std::chrono::seconds(600));
  };

  // Grouped: one aggregate per depth, each with every one of the 300,000 steps over 10 seeds.
  const std::string grouped = dir + "/grouped.csv";
  ASSERT_EQ(sgctl({"curves", "--sweep", "big", "--metric", "train_loss", "--group-by", "depth",
                   "--agg", "median", "-o", "csv"},
                  grouped),
            0)
      << ReadFile(grouped + ".err");
  {
    std::ifstream in(grouped);
    std::string header;
    std::getline(in, header);
    const std::vector<std::string> columns = absl::StrSplit(header, ',');
    int step_col = -1, n_col = -1, median_col = -1, group_col = -1;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (columns[i] == "step") step_col = static_cast<int>(i);
      if (columns[i] == "n") n_col = static_cast<int>(i);
      if (columns[i] == "median") median_col = static_cast<int>(i);
      if (columns[i] == "group" || columns[i] == "depth") group_col = static_cast<int>(i);
    }
    ASSERT_GE(step_col, 0) << header;
    ASSERT_GE(n_col, 0) << header;
    ASSERT_GE(median_col, 0) << header;
    ASSERT_GE(group_col, 0) << header;
    std::map<std::string, int64_t> rows_per_group, last_step;
    std::string line;
    int64_t bad_n = 0, out_of_order = 0;
    while (std::getline(in, line)) {
      const std::vector<std::string> f = absl::StrSplit(line, ',');
      ASSERT_GT(f.size(), static_cast<size_t>(std::max({step_col, n_col, group_col})));
      int64_t step = 0, n = 0;
      ASSERT_TRUE(absl::SimpleAtoi(f[step_col], &step)) << line;
      ASSERT_TRUE(absl::SimpleAtoi(f[n_col], &n)) << line;
      if (n != 10) ++bad_n;
      int64_t& last = last_step[f[group_col]];
      if (step != last + 1) ++out_of_order;
      last = step;
      ++rows_per_group[f[group_col]];
    }
    ASSERT_EQ(rows_per_group.size(), 5u);
    for (const auto& [group, rows] : rows_per_group) {
      EXPECT_EQ(rows, kTrainPoints) << "group " << group << ": every step exactly once";
    }
    EXPECT_EQ(bad_n, 0) << "steps whose statistics are over fewer than the 10 seeds";
    EXPECT_EQ(out_of_order, 0) << "steps missing, repeated or out of order across pages";
  }

  // Ungrouped: every point of every run, 15 million CSV rows.
  const std::string all = dir + "/all.csv";
  ASSERT_EQ(sgctl({"curves", "--sweep", "big", "--metric", "train_loss", "-o", "csv"}, all), 0)
      << ReadFile(all + ".err");
  {
    std::ifstream in(all);
    std::string line;
    std::getline(in, line);  // header
    int64_t rows = 0;
    std::map<std::string, int64_t> per_run;
    while (std::getline(in, line)) {
      ++rows;
      ++per_run[line.substr(0, line.find(','))];
    }
    EXPECT_EQ(rows, kRuns * kTrainPoints);
    EXPECT_EQ(per_run.size(), static_cast<size_t>(kRuns));
  }

  const int64_t peak_kb = PeakResidentKb(coordinator);
  std::printf("sg-coordinator peak resident memory after both queries: %lld MB\n",
              static_cast<long long>(peak_kb / 1024));
  kill(coordinator, SIGTERM);
  EXPECT_EQ(WaitExit(coordinator, std::chrono::seconds(30)), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
