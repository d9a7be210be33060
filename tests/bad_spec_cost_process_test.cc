// What a hostile spec costs (issue 16, "bounded cost for any input"): each of the reported
// specs (a 20-axis grid, a list of 10^6 seeds, depth 10000, a 50 MB comment, non-UTF-8 text, a
// YAML alias bomb) is refused with a message naming the problem, by sgctl (which validates
// before sending) and by a real sg-coordinator process sent the text directly over gRPC. The
// peak resident memory of both is measured: each must stay under 50 MB above what it had before
// (sgctl: its whole peak; the coordinator: the growth of its peak, less the request's own bytes,
// which gRPC holds before it compares their length with its 4 MiB limit), and the coordinator
// must still answer afterwards. Wall times are printed, not asserted.
//
// Measuring a child's peak: a forked child starts with its parent's peak and Linux keeps it
// across exec, so this test holds no spec text when it starts sgctl (each is written to a file
// and freed first, and the coordinator is sent the texts only after every sgctl has run); the
// figure is an upper bound of sgctl's own.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sg/v1/sg.grpc.pb.h"
#include "tests/process_util.h"

namespace {

using sg_test::EnvOr;
using sg_test::ReadFile;
using sg_test::Spawn;
using sg_test::WaitExit;
using ::testing::AnyOf;
using ::testing::HasSubstr;

constexpr int64_t kBudgetKb = 50 * 1024;

struct BadSpec {
  std::string name;
  std::string text;
  bool sent_to_coordinator = true;
  std::string sgctl_says;        // in sgctl's stderr
  std::string coordinator_says;  // in the coordinator's status message
};

std::vector<BadSpec> BadSpecs() {
  const std::string head = "name: hostile\ntask: dyck\n";
  std::vector<BadSpec> specs;

  std::string grid = head + "seeds: 2\ngrid:\n";
  const char* axes[] = {"depth", "steps", "eval_every", "checkpoint_every", "batch_size", "lr",
                        "warmup_steps", "decay_steps", "clip", "d_model", "heads", "ff",
                        "dropout", "adam_beta1", "adam_beta2", "adam_eps", "weight_decay",
                        "dyck_min_distance", "tense_test_lines", "tie_embeddings"};
  for (const std::string axis : axes) {
    const char* values = axis == "tie_embeddings" ? "[true, false]"
                         : axis == "dropout" || axis.rfind("adam_beta", 0) == 0 ? "[0.1, 0.2]"
                                                                                 : "[1, 2]";
    absl::StrAppend(&grid, "  ", axis, ": ", values, "\n");
  }
  specs.push_back({"twenty_axis_grid", grid, true, "runs per sweep", "runs per sweep"});

  std::string seeds = head + "seeds: [";
  for (int i = 0; i < 1000000; ++i) absl::StrAppend(&seeds, i == 0 ? "" : ",", i);
  absl::StrAppend(&seeds, "]\n");
  specs.push_back({"million_seeds", seeds, true, "more than the limit of 1048576 bytes",
                   "larger than max"});

  specs.push_back({"depth_10000", head + "seeds: 1\ngrid: {depth: [10000]}\n", true, "depth",
                   "depth"});

  specs.push_back({"fifty_mb_comment", head + "seeds: 1\n# " + std::string(50 << 20, 'x') + "\n", true,
                   "more than the limit of 1048576 bytes", "larger than max"});

  // Not sent to the coordinator: protobuf's own clients refuse to serialize a string field that
  // is not UTF-8, and the coordinator runs the same check as sgctl (common_test, SpecLimitsTest).
  specs.push_back({"non_utf8", head + "seeds: 1\n# caf\xe9\n", false, "is not valid UTF-8", ""});

  std::string bomb = head + "seeds: 1\na0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int i = 1; i < 10; ++i) {
    absl::StrAppend(&bomb, "a", i, ": &a", i, " [");
    for (int k = 0; k < 9; ++k) absl::StrAppend(&bomb, k == 0 ? "" : ", ", "*a", i - 1);
    absl::StrAppend(&bomb, "]\n");
  }
  specs.push_back({"alias_bomb", bomb, true, "more than 100000 YAML nodes",
                   "more than 100000 YAML nodes"});
  return specs;
}

// A field of /proc/PID/status in kB ("VmHWM", "VmRSS"); -1 if unreadable.
int64_t StatusKb(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      int64_t kb = 0;
      if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kb)) return kb;
    }
  }
  return -1;
}

class BadSpecCostProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_dir_ = EnvOr("SG_BINARY_DIR", ".");
    char pattern[] = "/tmp/sg_bad_spec_cost_XXXXXX";
    dir_ = mkdtemp(pattern);
    ASSERT_EQ(sg_test::StartCoordinatorProcess(binary_dir_, dir_, {}, &coordinator_, &address_),
              "");
    // A client that sends anything (up to 128 MiB), as a hostile one would.
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(128 << 20);
    stub_ = sg::v1::SweepService::NewStub(
        grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args));
  }

  void TearDown() override {
    if (coordinator_ > 0) {
      kill(coordinator_, SIGTERM);
      EXPECT_EQ(WaitExit(coordinator_, std::chrono::seconds(20)), 0);
    }
    std::filesystem::remove_all(dir_);
  }

  std::string binary_dir_, dir_, address_;
  pid_t coordinator_ = -1;
  std::unique_ptr<sg::v1::SweepService::Stub> stub_;
};

TEST_F(BadSpecCostProcessTest, EachHostileSpecIsRefusedCheaplyBySgctlAndTheCoordinator) {
  // The coordinator's peak before any hostile input, after one ordinary call has warmed it up.
  {
    grpc::ClientContext context;
    sg::v1::ListSweepsResponse listed;
    ASSERT_TRUE(stub_->ListSweeps(&context, sg::v1::ListSweepsRequest(), &listed).ok());
  }
  const int64_t coordinator_before_kb = StatusKb(coordinator_, "VmHWM");
  ASSERT_GT(coordinator_before_kb, 0);

  int64_t largest_request_kb = 0;  // the peak is cumulative: allow the largest request so far
  std::vector<BadSpec> specs = BadSpecs();
  for (BadSpec& spec : specs) {
    const std::string path = dir_ + "/" + spec.name + ".yaml";
    std::ofstream(path, std::ios::binary) << spec.text;
    std::string().swap(spec.text);  // freed (large strings go back to the system at once)
  }
  for (BadSpec& spec : specs) {
    SCOPED_TRACE(spec.name);
    const std::string path = dir_ + "/" + spec.name + ".yaml";

    // sgctl validates before sending: its whole process stays small.
    const auto sgctl_start = std::chrono::steady_clock::now();
    pid_t pid = Spawn({binary_dir_ + "/sgctl/sgctl", "--coordinator", address_, "submit", path},
                      dir_ + "/sgctl.out", dir_ + "/sgctl.err");
    int status = 0;
    struct rusage usage {};
    ASSERT_EQ(wait4(pid, &status, 0, &usage), pid);
    const double sgctl_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sgctl_start).count();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_NE(WEXITSTATUS(status), 0);
    const std::string sgctl_err = ReadFile(dir_ + "/sgctl.err");
    EXPECT_THAT(sgctl_err, HasSubstr(spec.sgctl_says));
    EXPECT_LT(usage.ru_maxrss, kBudgetKb) << "sgctl's peak resident memory, kB";
    std::printf("%-18s sgctl %.3f s, peak %ld kB, exit %d\n", spec.name.c_str(), sgctl_s,
                usage.ru_maxrss, WEXITSTATUS(status));
  }
  // Then the coordinator (this process now reads the large texts back, so no sgctl is started
  // after this: a forked child inherits its parent's peak).
  for (BadSpec& spec : specs) {
    if (!spec.sent_to_coordinator) continue;
    SCOPED_TRACE(spec.name);
    const std::string path = dir_ + "/" + spec.name + ".yaml";

    // The coordinator, sent the text as it is.
    const auto rpc_start = std::chrono::steady_clock::now();
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    sg::v1::SubmitSweepRequest request;
    request.set_spec_yaml(ReadFile(path));
    const int64_t request_kb = static_cast<int64_t>(request.spec_yaml().size()) / 1024;
    largest_request_kb = std::max(largest_request_kb, request_kb);
    sg::v1::SubmitSweepResponse response;
    grpc::Status refused = stub_->SubmitSweep(&context, request, &response);
    const double rpc_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - rpc_start).count();
    EXPECT_FALSE(refused.ok());
    EXPECT_THAT(refused.error_code(),
                AnyOf(grpc::StatusCode::INVALID_ARGUMENT, grpc::StatusCode::RESOURCE_EXHAUSTED));
    EXPECT_THAT(refused.error_message(), HasSubstr(spec.coordinator_says));
    const int64_t coordinator_peak_kb = StatusKb(coordinator_, "VmHWM");
    std::printf("%-18s coordinator %.3f s for %lld kB, peak %+lld kB: %s\n", spec.name.c_str(),
                rpc_s, static_cast<long long>(request_kb),
                static_cast<long long>(coordinator_peak_kb - coordinator_before_kb),
                refused.error_message().substr(0, 100).c_str());
    request.Clear();
    EXPECT_LT(coordinator_peak_kb - coordinator_before_kb - largest_request_kb, kBudgetKb)
        << "growth of sg-coordinator's peak resident memory beyond the request's bytes, kB";
  }

  // Nothing was stored, and the coordinator still answers.
  grpc::ClientContext context;
  sg::v1::ListSweepsResponse listed;
  ASSERT_TRUE(stub_->ListSweeps(&context, sg::v1::ListSweepsRequest(), &listed).ok());
  EXPECT_EQ(listed.sweeps_size(), 0);
}

}  // namespace
