// sg-train as a real process on a tiny generated Dyck task: metrics and events files, resume
// equal to an uninterrupted run, corrupt-checkpoint fallback, SIGTERM, argument errors, the
// SG_LINE_ATTENTION and SG_RAGGED switches.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "trainer/api/checkpoint_file.h"
#include "trainer/api/trainer_lines.h"

namespace sg {
namespace {

constexpr char kSpec[] = R"(name: tiny-dyck
task: dyck
grid: {depth: [1]}
seeds: 2
train:
  steps: 30
  eval_every: 10
  checkpoint_every: 10
  warmup_steps: 5
  lr: 0.003
  d_model: 32
  heads: 2
  ff: 64
  dropout: 0.1
  tree_sentences: 5
data: {train_size: 400, val_size: 60, test_size: 60}
)";

std::string TempDir() {
  std::string tmpl = "/tmp/sg_train_test_XXXXXX";
  EXPECT_NE(::mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

struct Result {
  int exit_code = -1;
  std::string output;
};

// Runs sg-train with args (and `env`, "NAME=value ...", in its environment); output is
// stdout+stderr.
Result RunTrain(const std::vector<std::string>& args, const std::string& env = "") {
  std::string cmd = env + (env.empty() ? "" : " ") + SG_TRAIN_BINARY + " --threads 1";
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " 2>&1";
  Result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs a shell command line; output is stdout+stderr.
Result RunTrainLike(const std::string& command) {
  Result r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<nlohmann::json> ReadLines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
  return out;
}

// (seed, step, metric) -> value, the last written wins (as the coordinator de-duplicates).
using Points = std::map<std::tuple<int64_t, int64_t, std::string>, double>;
Points ReadPoints(const std::string& dir) {
  Points out;
  std::ifstream in(dir + "/metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    absl::StatusOr<MetricLine> p = ParseMetricLine(line);
    EXPECT_TRUE(p.ok()) << p.status();
    if (p.ok()) out[{p->seed, p->step, p->metric}] = p->value;
  }
  return out;
}

class SgTrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    spec_ = dir_ + "/spec.yaml";
    std::ofstream(spec_) << kSpec;
  }
  std::vector<std::string> Args(const std::string& out, int steps) {
    return {"--spec", spec_, "--cell", "depth=1", "--seeds", "5,6", "--out", out, "--steps",
            std::to_string(steps), "--train-loss-every", "5", "--attn-sentences", "16"};
  }
  std::string dir_, spec_;
};

TEST_F(SgTrainTest, WritesMetricsEventsCheckpointsAndResumesExactly) {
  const std::string full = dir_ + "/full";
  Result r = RunTrain(Args(full, 30));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  Points points = ReadPoints(full);
  for (int64_t seed : {5, 6}) {
    for (const char* m : {"train_loss", "val_loss", "test_loss", "val_acc", "gen_acc",
                          "weight_norm", "weight_norm_ref", "attn_entropy", "lr",
                          "grad_norm"}) {
      for (int64_t step : {10, 20, 30}) {
        EXPECT_EQ(points.count({seed, step, m}), 1u) << seed << " " << step << " " << m;
      }
    }
    EXPECT_EQ(points.count({seed, 5, "train_loss"}), 1u);  // --train-loss-every 5
    EXPECT_EQ(points.count({seed, 5, "val_acc"}), 0u);
    const double acc = points[{seed, 30, "val_acc"}];
    EXPECT_GE(acc, 0.0);
    EXPECT_LE(acc, 1.0);
  }
  const double loss5 = points[{5, 30, "val_loss"}], loss6 = points[{6, 30, "val_loss"}];
  EXPECT_NE(loss5, loss6);  // seeds differ

  auto events = ReadLines(full + "/events.jsonl");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front()["event"], "start");
  EXPECT_EQ(events.back()["event"], "done");
  EXPECT_EQ(events.back()["step"], 30);
  std::vector<int64_t> ckpt_steps, released_steps;
  for (const auto& e : events) {
    if (e["event"] == "checkpoint") ckpt_steps.push_back(e["step"].get<int64_t>());
    if (e["event"] == "released") released_steps.push_back(e["step"].get<int64_t>());
  }
  EXPECT_EQ(ckpt_steps, (std::vector<int64_t>{10, 20, 30}));
  // The device given back once, after the last step, before done (the final file may be
  // announced on either side of it: it is written beside).
  EXPECT_EQ(released_steps, (std::vector<int64_t>{30}));
  auto files = ListCheckpoints(full);
  ASSERT_EQ(files.size(), 2u);  // the newest two are kept
  EXPECT_EQ(files[0].step, 30);

  // Interrupted at 20, resumed to 30: identical metrics at 30 (and train_loss at 25).
  const std::string split = dir_ + "/split";
  ASSERT_EQ(RunTrain(Args(split, 20)).exit_code, 0);
  r = RunTrain(Args(split, 30));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resumed from"), std::string::npos) << r.output;
  Points resumed = ReadPoints(split);
  for (const auto& [key, value] : points) {
    if (std::get<1>(key) > 20) {
      ASSERT_EQ(resumed.count(key), 1u);
      EXPECT_EQ(resumed[key], value) << std::get<2>(key) << " step " << std::get<1>(key);
    }
  }

  // A corrupt newest checkpoint: resume falls back to the previous one (step 20) and still
  // reproduces the uninterrupted run. Re-running a finished folder is a no-op that says done.
  const std::string newest = CheckpointPath(split, 30);
  {
    std::fstream f(newest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
    f.put('\x01');
  }
  r = RunTrain(Args(split, 40));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("skipping unusable checkpoint"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(step 20)"), std::string::npos) << r.output;
  Points again = ReadPoints(split);
  const double again30 = again[{5, 30, "val_loss"}];
  EXPECT_EQ(again30, loss5);
  EXPECT_EQ(again.count({6, 40, "val_acc"}), 1u);
}

TEST_F(SgTrainTest, PerSeedCheckpointsResumeInAnotherPack) {
  // Pack {5,6} with per-seed checkpoint folders, 20 steps; then seed 6 alone continues to 30
  // from its own folder and matches seed 6 of the uninterrupted pack.
  const std::string root = dir_ + "/ckpt";
  std::vector<std::string> args = Args(dir_ + "/pack", 20);
  args.insert(args.end(), {"--checkpoint-dir", root});
  Result r = RunTrain(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(ListCheckpoints(root + "/seed-5").front().step, 20);
  EXPECT_EQ(ListCheckpoints(root + "/seed-6").front().step, 20);
  EXPECT_TRUE(ListCheckpoints(dir_ + "/pack").empty());  // no whole-pack files

  const std::string full = dir_ + "/full";
  ASSERT_EQ(RunTrain(Args(full, 30)).exit_code, 0);
  const std::string alone = dir_ + "/alone";
  r = RunTrain({"--spec", spec_, "--cell", "depth=1", "--seeds", "6", "--out", alone,
                "--steps", "30", "--train-loss-every", "5", "--attn-sentences", "16",
                "--seed-checkpoint-dirs", "6=" + root + "/seed-6"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("step-20 checkpoint"), std::string::npos) << r.output;
  EXPECT_EQ(ReadLines(alone + "/events.jsonl").front()["step"], 20);
  Points want = ReadPoints(full), got = ReadPoints(alone);
  int compared = 0;
  for (const auto& [key, value] : got) {
    ASSERT_EQ(std::get<0>(key), 6);
    EXPECT_GT(std::get<1>(key), 20);
    ASSERT_EQ(want.count(key), 1u);
    const std::string& metric = std::get<2>(key);
    if (metric == "val_loss" || metric == "train_loss" || metric == "weight_norm") {
      EXPECT_NEAR(value, want[key], 1e-4 * std::abs(want[key])) << metric;
      ++compared;
    }
  }
  EXPECT_GE(compared, 4);

  // Seed 5 has checkpoints, seed 7 none: no common step, exit 2 (the worker splits the pack).
  r = RunTrain({"--spec", spec_, "--cell", "depth=1", "--seeds", "5,7", "--out",
                dir_ + "/mixed", "--steps", "40", "--checkpoint-dir", root});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no step in common"), std::string::npos) << r.output;
  // A folder for a seed that is not in the pack is a usage error.
  r = RunTrain({"--spec", spec_, "--seeds", "6", "--out", dir_ + "/x",
                "--seed-checkpoint-dirs", "5=" + root});
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST_F(SgTrainTest, SigtermCheckpointsAndExits143) {
  const std::string out = dir_ + "/term";
  std::vector<std::string> args = Args(out, 100000);
  std::vector<char*> argv;
  std::string bin = SG_TRAIN_BINARY;
  argv.push_back(bin.data());
  std::string quiet = "--quiet";
  argv.push_back(quiet.data());
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  // Wait until training runs (the first checkpoint exists), then ask it to stop.
  for (int i = 0; i < 600 && ListCheckpoints(out).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(ListCheckpoints(out).empty());
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 143);
  auto events = ReadLines(out + "/events.jsonl");
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.back()["event"], "stopped");
  const int64_t stopped_at = events.back()["step"].get<int64_t>();
  EXPECT_EQ(events[events.size() - 2]["event"], "checkpoint");
  EXPECT_EQ(events[events.size() - 2]["step"].get<int64_t>(), stopped_at);
  EXPECT_EQ(ListCheckpoints(out)[0].step, stopped_at);
}

// A checkpoint file is written beside the training; when that write fails, the run stops with
// its error (not training on without checkpoints) and never announces that checkpoint. Here
// the step-20 file cannot be created: a folder holds its temporary name.
TEST_F(SgTrainTest, AFailedCheckpointWriteStopsTheRunWithItsError) {
  const std::string out = dir_ + "/failing";
  std::filesystem::create_directories(out + "/ckpt-000000000020.pt.tmp");
  Result r = RunTrain(Args(out, 40));
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ckpt-000000000020.pt.tmp"), std::string::npos) << r.output;
  std::vector<int64_t> announced;
  bool done = false;
  for (const auto& e : ReadLines(out + "/events.jsonl")) {
    if (e["event"] == "checkpoint") announced.push_back(e["step"].get<int64_t>());
    done = done || e["event"] == "done";
  }
  EXPECT_EQ(announced, (std::vector<int64_t>{10}));
  EXPECT_FALSE(done);
  // The run stopped before its next checkpoint was due (step 30).
  EXPECT_EQ(ListCheckpoints(out).front().step, 10);
}

// A tiny Question-Formation pack: t_score and t_parseval at every 2nd evaluation plus the first
// and the final one; every checkpoint kept (train.keep_checkpoints: all).
TEST_F(SgTrainTest, StreamsTreeMetricsAndKeepsCheckpointsAsAsked) {
  const std::string spec = dir_ + "/qf.yaml";
  std::ofstream(spec) << "name: tiny-qf\ntask: question_formation\nseeds: 2\n"
                         "train:\n  steps: 50\n  eval_every: 10\n  warmup_steps: 5\n"
                         "  lr: 0.003\n  d_model: 32\n  heads: 2\n  ff: 64\n"
                         "  tree_sentences: 30\n  tree_every_evals: 2\n  keep_checkpoints: all\n"
                         "data: {train_size: 300, val_size: 40, test_size: 40}\n";
  const std::string out = dir_ + "/qf";
  Result r = RunTrain({"--spec", spec, "--seeds", "5,6", "--out", out, "--attn-sentences", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  Points points = ReadPoints(out);
  for (int64_t seed : {5, 6}) {
    for (int64_t step : {10, 20, 30, 40, 50}) {
      const bool due = step == 10 || step == 20 || step == 40 || step == 50;
      EXPECT_EQ(points.count({seed, step, "t_score"}), due ? 1u : 0u) << seed << " " << step;
      EXPECT_EQ(points.count({seed, step, "t_parseval"}), due ? 1u : 0u) << seed << " " << step;
      if (!due) continue;
      const double f1 = points[{seed, step, "t_parseval"}];
      EXPECT_GE(f1, 0.0);
      EXPECT_LE(f1, 1.0);
    }
  }
  std::vector<int64_t> kept;
  for (const CheckpointRef& c : ListCheckpoints(out)) kept.push_back(c.step);
  EXPECT_EQ(kept, (std::vector<int64_t>{50, 40, 30, 20, 10}));
  // Beyond the newest two, the kept files are analysis checkpoints: weights only.
  for (const CheckpointRef& c : ListCheckpoints(out)) {
    absl::StatusOr<CheckpointHeader> h = ReadCheckpointHeader(c.path);
    ASSERT_TRUE(h.ok()) << h.status();
    EXPECT_EQ(h->content, c.step >= 40 ? CheckpointContent::kFullState
                                       : CheckpointContent::kWeightsOnly)
        << c.path;
  }

  // sg-analyze recomputes every kept step's analysis metrics, equal to the streamed ones where
  // the trainer computed them (the pack's files, full-state and weights-only alike).
  for (int64_t seed : {5, 6}) {
    const std::string lines = dir_ + "/analyzed-" + std::to_string(seed) + ".jsonl";
    const std::string cmd = std::string(SG_ANALYZE_BINARY) + " --threads 1 --quiet --spec '" +
                            spec + "' --seed " + std::to_string(seed) + " --checkpoints '" + out +
                            "' --out '" + lines + "' --attn-sentences 8 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    Points offline;
    std::ifstream in(lines);
    std::string line;
    while (std::getline(in, line)) {
      absl::StatusOr<MetricLine> p = ParseMetricLine(line);
      ASSERT_TRUE(p.ok()) << p.status();
      EXPECT_EQ(p->seed, seed);
      offline[{p->seed, p->step, p->metric}] = p->value;
    }
    for (int64_t step : {10, 20, 30, 40, 50}) {
      for (const char* metric :
           {"t_score", "t_parseval", "weight_norm", "weight_norm_ref", "attn_entropy"}) {
        const auto key = std::make_tuple(seed, step, std::string(metric));
        ASSERT_EQ(offline.count(key), 1u) << metric << " at " << step;
        if (points.count(key) == 0) continue;  // step 30: no tree evaluation
        const double streamed = points[key];
        EXPECT_NEAR(offline[key], streamed, 1e-9 * std::max(1.0, std::fabs(streamed)))
            << metric << " of seed " << seed << " at step " << step;
      }
    }
  }
  // A file of another seed is refused, naming it.
  Result other = RunTrainLike(std::string(SG_ANALYZE_BINARY) + " --spec '" + spec +
                              "' --seed 7 --checkpoints '" + out + "' --out -");
  EXPECT_EQ(other.exit_code, 2) << other.output;
  EXPECT_NE(other.output.find("holds no weights of seed 7"), std::string::npos) << other.output;

  // Resume never reads a weights-only file: without the full-state ones, the pack starts over.
  ASSERT_EQ(::unlink(CheckpointPath(out, 50).c_str()), 0);
  ASSERT_EQ(::unlink(CheckpointPath(out, 40).c_str()), 0);
  r = RunTrain({"--spec", spec, "--seeds", "5,6", "--out", out, "--attn-sentences", "0",
                "--steps", "10"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("weights only"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("resumed from"), std::string::npos) << r.output;
}

TEST_F(SgTrainTest, ArgumentErrors) {
  Result r = RunTrain({"--spec", spec_, "--cell", "depht=2", "--seeds", "0", "--out",
                       dir_ + "/x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("depht"), std::string::npos) << r.output;
  r = RunTrain({"--spec", spec_, "--cell", "depth=1", "--seeds", "0", "--out", dir_ + "/y",
                "--device", "cuda"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("cuda"), std::string::npos) << r.output;
  r = RunTrain({"--spec", spec_, "--cell", "depth=1", "--out", dir_ + "/z"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--seeds"), std::string::npos) << r.output;
  r = RunTrain({"--spec", spec_, "--seeds", "0", "--out", dir_ + "/w", "--bogus", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--bogus"), std::string::npos) << r.output;
  r = RunTrain({"--spec", spec_, "--cell", "depth=1", "--seeds", "0", "--out", dir_ + "/v",
                "--precision", "fp16"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--precision: expected one of tf32, fp32, bf16"), std::string::npos)
      << r.output;
  r = RunTrain({"--spec", spec_, "--cell", "depth=1", "--seeds", "0", "--out", dir_ + "/u",
                "--eval-precision", "fp16"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--eval-precision: expected one of auto, train, bf16"), std::string::npos)
      << r.output;
}

// A bad SG_LINE_ATTENTION stops sg-train before it trains, naming the variable and its
// values, on any device (the choice matters on CUDA only, but a typo should not wait for one).
TEST_F(SgTrainTest, RefusesAnUnknownLineAttention) {
  const Result r = RunTrain(Args(dir_ + "/run", 10), "SG_LINE_ATTENTION=flash");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("SG_LINE_ATTENTION=flash is not a choice"), std::string::npos)
      << r.output;
  EXPECT_TRUE(ReadPoints(dir_ + "/run").empty()) << "no step may have run";
  // The documented values train; LibTorch's kernel with this spec's dropout says it falls
  // back to the mask rather than leaving the operator to find out from the speed.
  const Result ok = RunTrain(Args(dir_ + "/masked", 10), "SG_LINE_ATTENTION=masked");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_EQ(ok.output.find("SG_LINE_ATTENTION"), std::string::npos) << ok.output;
  const Result lt = RunTrain(Args(dir_ + "/libtorch", 10), "SG_LINE_ATTENTION=libtorch");
  EXPECT_EQ(lt.exit_code, 0) << lt.output;
  EXPECT_NE(lt.output.find("SG_LINE_ATTENTION=libtorch serves training without dropout only"),
            std::string::npos)
      << lt.output;
}

// A bad SG_RAGGED stops sg-train before it trains, naming the variable and the forms it
// takes, on any device; a good one on the CPU trains in its rows and says the layout is for
// CUDA packs.
TEST_F(SgTrainTest, RefusesABadRaggedLayoutAndSaysWhereItApplies) {
  const Result r = RunTrain(Args(dir_ + "/run", 10), "SG_RAGGED=60");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("SG_RAGGED=60 is not a layout"), std::string::npos) << r.output;
  EXPECT_TRUE(ReadPoints(dir_ + "/run").empty()) << "no step may have run";
  const Result cpu = RunTrain(Args(dir_ + "/cpu", 10), "SG_RAGGED=64:16,8");
  EXPECT_EQ(cpu.exit_code, 0) << cpu.output;
  EXPECT_NE(cpu.output.find("SG_RAGGED applies to CUDA packs in fp32 or tf32 only"),
            std::string::npos)
      << cpu.output;
}

}  // namespace
}  // namespace sg
