// analyze: recomputes a run's analysis metrics from its kept checkpoints with sg-analyze
// (trainer/api/analyze_options.h, the one definition of its command line) and records them on
// the run's curves through RecordAnalysisMetrics. sgctl runs on the machine that holds the
// checkpoints (the worker's node, or wherever they were copied); docs/analysis.md.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "sgctl/commands.h"
#include "sgctl/output.h"
#include "sgctl/rpc.h"
#include "sgctl/views.h"
#include "trainer/api/analyze_options.h"
#include "trainer/api/trainer_lines.h"

extern char** environ;

namespace sg {
namespace ctl {
namespace {

// Points per RecordAnalysisMetrics call: far below the message limit (a point is ~30 bytes).
constexpr size_t kPointsPerCall = 20000;

// A private temporary file (removed when this goes out of scope).
class TempFile {
 public:
  static absl::StatusOr<TempFile> Create(const std::string& stem) {
    const char* dir = std::getenv("TMPDIR");
    std::string path = absl::StrCat(dir != nullptr && *dir != '\0' ? dir : "/tmp", "/", stem,
                                    "-XXXXXX");
    const int fd = ::mkstemp(path.data());
    if (fd < 0) {
      return absl::InternalError(absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
    }
    ::close(fd);
    return TempFile(path);
  }
  TempFile(TempFile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Runs `program` (looked up on PATH unless it has a '/') with `args`, its stdout and stderr
// passed through to sgctl's stderr (sgctl's stdout carries the command's result). Returns its
// exit status; kFailedPrecondition when it cannot be started.
absl::StatusOr<int> RunProgram(const std::string& program, const std::vector<std::string>& args) {
  std::vector<std::string> argv_text = {program};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot start ", program, ": ", std::strerror(rc),
        " (build it with -DSG_WITH_TORCH=ON and put it on PATH, or give --sg-analyze PATH)"));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("waiting for ", program, ": ", std::strerror(errno)));
    }
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

absl::StatusOr<int64_t> ParseCount(const Invocation& inv, const std::string& flag) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(inv.Get(flag), &n) || n < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": expected an integer >= 0, got '",
                                                   inv.Get(flag), "'"));
  }
  return n;
}

absl::Status Analyze(const CommandContext& ctx, const Invocation& inv) {
  if (!inv.Has("run")) {
    return absl::InvalidArgumentError("analyze: --run R is required (the run whose checkpoints "
                                      "are analysed; 'sgctl runs SWEEP' lists them)");
  }
  SG_ASSIGN_OR_RETURN(int64_t run_id, ParseId(inv.Get("run"), "--run"));
  if (inv.Get("checkpoints").empty()) {
    return absl::InvalidArgumentError(
        "analyze: --checkpoints DIR is required (the run's checkpoint folder, e.g. the worker's "
        "WORK_DIR/.../run-R)");
  }
  AnalyzeOptions options;
  options.checkpoint_dir = inv.Get("checkpoints");
  options.out_path = "";  // set below
  options.quiet = inv.Has("quiet");
  if (inv.Has("device")) options.device = inv.Get("device");
  if (inv.Has("attn-sentences")) {
    SG_ASSIGN_OR_RETURN(options.attn_sentences, ParseCount(inv, "attn-sentences"));
  }
  if (inv.Has("tree-sentences")) {
    SG_ASSIGN_OR_RETURN(options.tree_sentences, ParseCount(inv, "tree-sentences"));
  }
  if (inv.Has("threads")) {
    SG_ASSIGN_OR_RETURN(options.threads, ParseCount(inv, "threads"));
  }

  SG_ASSIGN_OR_RETURN(v1::Sweep sweep, ResolveSweep(ctx, inv.args[0]));
  SG_ASSIGN_OR_RETURN(std::vector<v1::Run> runs,
                      ListRuns(ctx, sweep.sweep_id(), v1::RUN_STATE_UNSPECIFIED));
  auto run = std::find_if(runs.begin(), runs.end(),
                          [run_id](const v1::Run& r) { return r.run_id() == run_id; });
  if (run == runs.end()) {
    return absl::InvalidArgumentError(absl::StrCat("--run: run ", run_id, " is not in sweep ",
                                                   sweep.name(), " (list them with 'sgctl runs ",
                                                   sweep.name(), "')"));
  }
  if (run->resolved_config_json().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "analyze: run ", run_id, " has no stored resolved config to rebuild its model from"));
  }
  SG_ASSIGN_OR_RETURN(TempFile config, TempFile::Create("sgctl-analyze-config"));
  SG_ASSIGN_OR_RETURN(TempFile lines, TempFile::Create("sgctl-analyze-metrics"));
  {
    std::ofstream out(config.path(), std::ios::binary | std::ios::trunc);
    out << run->resolved_config_json();
    if (!out.flush()) return absl::InternalError(absl::StrCat("cannot write ", config.path()));
  }
  options.config_path = config.path();
  options.out_path = lines.path();
  options.seed = run->seed();
  options.sweep_id = sweep.sweep_id();
  options.run_id = run_id;
  const std::string program = inv.Has("sg-analyze") ? inv.Get("sg-analyze") : "sg-analyze";
  SG_ASSIGN_OR_RETURN(int code, RunProgram(program, EncodeAnalyzeArgs(options)));
  if (code != 0) {
    return absl::Status(code == 2 ? absl::StatusCode::kFailedPrecondition
                                  : absl::StatusCode::kInternal,
                        absl::StrCat("analyze: ", program, " exited with status ", code,
                                     " (its message is above)"));
  }

  std::vector<v1::MetricPoint> points;
  std::ifstream in(lines.path());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    SG_ASSIGN_OR_RETURN(MetricLine m, ParseMetricLine(line));
    v1::MetricPoint p;
    p.set_run_id(run_id);
    p.set_metric(m.metric);
    p.set_step(m.step);
    p.set_value(m.value);
    points.push_back(std::move(p));
  }
  if (points.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "analyze: ", program, " computed nothing from ", options.checkpoint_dir));
  }
  const bool dry_run = inv.Has("dry-run");
  for (size_t begin = 0; !dry_run && begin < points.size(); begin += kPointsPerCall) {
    v1::RecordAnalysisMetricsRequest request;
    request.set_run_id(run_id);
    const size_t end = std::min(points.size(), begin + kPointsPerCall);
    for (size_t i = begin; i < end; ++i) *request.add_points() = points[i];
    v1::RecordAnalysisMetricsResponse response;
    grpc::ClientContext call;
    SetDeadline(&call, kRecordAnalysisMetricsDeadlineS);
    SG_RETURN_IF_ERROR(CallStatus(ctx.stub->RecordAnalysisMetrics(&call, request, &response),
                                  "RecordAnalysisMetrics", ctx.coordinator));
  }

  View view;
  view.table.columns = {"run_id", "step", "metric", "value"};
  nlohmann::json json_points = nlohmann::json::array();
  std::set<int64_t> steps;
  std::set<std::string> metrics;
  for (const v1::MetricPoint& p : points) {
    view.table.rows.push_back({absl::StrCat(run_id), absl::StrCat(p.step()), p.metric(),
                               FormatMetricValue(p.value())});
    json_points.push_back({{"step", p.step()}, {"metric", p.metric()},
                           {"value", JsonMetricValue(p.value())}});
    steps.insert(p.step());
    metrics.insert(p.metric());
  }
  view.json = {{"run_id", run_id},
               {"sweep_id", sweep.sweep_id()},
               {"recorded", !dry_run},
               {"checkpoints", steps.size()},
               {"points", json_points}};
  view.text = absl::StrCat(dry_run ? "computed (not recorded, --dry-run) " : "recorded ",
                           points.size(), " points of run ", run_id, " (",
                           absl::StrJoin(metrics, ", "), ") at ", steps.size(),
                           " checkpoint steps from ", *steps.begin(), " to ", *steps.rbegin(),
                           "\n");
  Emit(view, ctx.format, *ctx.out);
  return absl::OkStatus();
}

}  // namespace

void AddAnalyzeCommands(std::vector<Command>& commands) {
  commands.push_back(
      {"analyze", "SWEEP",
       "recompute a run's analysis metrics (t_score, t_parseval, attn_entropy, weight norms) "
       "from its kept checkpoints with sg-analyze and record them on its curves",
       {{"run", "R", "the run (required)"},
        {"checkpoints", "DIR", "the run's checkpoint folder on this machine (required)"},
        {"sg-analyze", "PATH", "the sg-analyze program (default: sg-analyze on PATH)"},
        {"device", "D", "cpu (default), cuda or cuda:N"},
        {"attn-sentences", "N", "attn_entropy's train sentences (default 256, as sg-train)"},
        {"tree-sentences", "N", "t_score/t_parseval sentences (default: the run's "
                                "train.tree_sentences)"},
        {"threads", "N", "LibTorch CPU threads (default: LibTorch's)"},
        {"dry-run", "", "compute and print the points without recording them"},
        {"quiet", "", "no per-checkpoint progress lines from sg-analyze"}},
       1, 1, true, Analyze});
}

}  // namespace ctl
}  // namespace sg
