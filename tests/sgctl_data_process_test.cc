// "What is there" and across-sweep comparisons (issue 18) with every part but the worker a real
// process: sg-coordinator on a loopback port 0 with a token file (tokens from `sg-coordinator
// token create`), sgctl as a process with a researcher's or a reader's token. The test plays
// the worker over gRPC with a worker token: it claims the packs of two tagged sweeps (the
// default and a tied-embeddings variant), reports known curves and completes the runs. Then
// sgctl must say what is there (sweeps with tags and notes, --tag, get, metrics, runs' resolved
// config, curves of several metrics with the grid axes and seed), refuse an unknown metric
// listing the sweep's metrics (exit 2), compare the sweeps (report A B, curves --sweep A,B
// --group-by sweep,depth), and follow the conventions (sgctl alone exits 2, --version, tables
// at 6 significant digits, every binary's --help lists its flags).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "sg/v1/sg.grpc.pb.h"
#include "tests/process_util.h"

namespace {

namespace fs = std::filesystem;
using sg_test::EnvOr;
using sg_test::ReadFile;
using sg_test::Spawn;
using sg_test::WaitExit;
using ::testing::HasSubstr;
using ::testing::Not;

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Two sweeps of one grid, evaluated at steps 10 and 20. gen_acc: 0.29000000000000004 (a value
// whose shortest exact form is long) everywhere, except 0.9 in the tied sweep at depth 4.
constexpr char kDefaultSpec[] =
    "name: qf-default\n"
    "task: question_formation\n"
    "tags: [paper, default]\n"
    "notes: the code's untied output layer\n"
    "grid:\n"
    "  depth: [2, 4]\n"
    "seeds: 2\n"
    "train:\n"
    "  steps: 20\n"
    "  eval_every: 10\n"
    "  checkpoint_every: 10\n"
    "  tree_sentences: 0\n";
constexpr char kTiedSpec[] =
    "name: qf-tied\n"
    "task: question_formation\n"
    "tags: [paper, tied]\n"
    "notes: |\n"
    "  tied embeddings, as the paper says\n"
    "  against qf-default\n"
    "grid:\n"
    "  depth: [2, 4]\n"
    "seeds: 2\n"
    "train:\n"
    "  steps: 20\n"
    "  eval_every: 10\n"
    "  checkpoint_every: 10\n"
    "  tree_sentences: 0\n"
    "  tie_embeddings: true\n";
constexpr double kLow = 0.29000000000000004;

class SgctlDataProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = EnvOr("SG_BINARY_DIR", ".");
    std::string tmpl = EnvOr("TMPDIR", "/tmp") + "/sgctl_data_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    CreateToken("rita", "researcher");
    CreateToken("rob", "reader");
    CreateToken("wendy", "worker");
    StartCoordinator();
  }

  void TearDown() override {
    if (coordinator_ > 0) {
      kill(coordinator_, SIGTERM);
      EXPECT_EQ(WaitExit(coordinator_, std::chrono::seconds(20)), 0)
          << ReadFile(dir_ + "/coordinator.err");
    }
    fs::remove_all(dir_);
  }

  ProcessResult Run(const std::vector<std::string>& argv) {
    pid_t pid = Spawn(argv, dir_ + "/cmd.out", dir_ + "/cmd.err");
    ProcessResult r;
    r.exit_code = WaitExit(pid, std::chrono::seconds(60));
    r.out = ReadFile(dir_ + "/cmd.out");
    r.err = ReadFile(dir_ + "/cmd.err");
    return r;
  }

  // `sg-coordinator token create`: the token goes to DIR/token-NAME, its line to DIR/tokens.
  void CreateToken(const std::string& name, const std::string& role) {
    ProcessResult r = Run({bin_ + "/coordinator/sg-coordinator", "token", "create", "--name",
                           name, "--role", role});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::smatch token, line;
    ASSERT_TRUE(std::regex_search(r.out, token, std::regex("token: (\\S+)")));
    ASSERT_TRUE(std::regex_search(r.out, line, std::regex("line:  ([^\\n]+)")));
    tokens_[name] = token[1];
    std::ofstream(dir_ + "/token-" + name) << token[1] << "\n";
    fs::permissions(dir_ + "/token-" + name, fs::perms::owner_read | fs::perms::owner_write);
    std::ofstream(dir_ + "/tokens", std::ios::app) << line[1] << "\n";
  }

  void StartCoordinator() {
    ASSERT_EQ(sg_test::StartCoordinatorProcess(bin_, dir_, {"--auth-tokens", dir_ + "/tokens"},
                                               &coordinator_, &address_),
              "");
    workers_ = sg::v1::WorkerService::NewStub(
        grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }

  // sgctl as `who` (a token name).
  ProcessResult Sgctl(const std::vector<std::string>& args, const std::string& who = "rita") {
    std::vector<std::string> argv = {bin_ + "/sgctl/sgctl", "--coordinator", address_,
                                     "--token-file", dir_ + "/token-" + who};
    argv.insert(argv.end(), args.begin(), args.end());
    return Run(argv);
  }

  nlohmann::json SgctlJson(std::vector<std::string> args, const std::string& who = "rita") {
    args.insert(args.begin(), {"-o", "json"});
    ProcessResult r = Sgctl(args, who);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out;
    return j;
  }

  // A call as the worker token's holder.
  std::unique_ptr<grpc::ClientContext> WorkerCall() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + tokens_["wendy"]);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  // Submits both sweeps with sgctl, then claims, reports and completes every pack.
  void RunBothSweeps() {
    for (const auto& [file, text] : {std::pair<std::string, std::string>{"default.yaml",
                                                                         kDefaultSpec},
                                     {"tied.yaml", kTiedSpec}}) {
      std::ofstream(dir_ + "/" + file) << text;
      ProcessResult r = Sgctl({"submit", dir_ + "/" + file});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    sg::v1::RegisterWorkerRequest reg;
    reg.set_hostname("test-host");
    sg::v1::Device* device = reg.add_devices();
    device->set_name("cpu");
    device->set_slots(1);
    sg::v1::RegisterWorkerResponse registered;
    grpc::Status s = workers_->RegisterWorker(WorkerCall().get(), reg, &registered);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (int pack_index = 0; pack_index < 4; ++pack_index) {
      sg::v1::ClaimJobsRequest claim;
      claim.set_worker_id(registered.worker_id());
      claim.set_max_runs(2);
      claim.set_device("cpu");
      sg::v1::ClaimJobsResponse pack;
      s = workers_->ClaimJobs(WorkerCall().get(), claim, &pack);
      ASSERT_TRUE(s.ok()) << s.error_message();
      ASSERT_EQ(pack.runs_size(), 2);
      const bool tied_deep = pack.cell_key() == "depth=4" &&
                             pack.runs(0).run().resolved_config_json().find(
                                 "\"tie_embeddings\":true") != std::string::npos;
      sg::v1::ReportMetricsRequest report;
      report.set_worker_id(registered.worker_id());
      auto add = [&](int64_t run_id, const std::string& metric, int64_t step, double value) {
        sg::v1::MetricPoint* p = report.add_points();
        p->set_run_id(run_id);
        p->set_metric(metric);
        p->set_step(step);
        p->set_value(value);
      };
      for (const sg::v1::ClaimedRun& run : pack.runs()) {
        sg::v1::LeaseRef* lease = report.add_leases();
        lease->set_run_id(run.run().run_id());
        lease->set_lease_token(run.lease_token());
        for (int64_t step : {5, 10, 15, 20}) add(run.run().run_id(), "train_loss", step, 2.0);
        for (int64_t step : {10, 20}) {
          add(run.run().run_id(), "val_acc", step, 1.0);
          add(run.run().run_id(), "gen_acc", step, tied_deep ? 0.9 : kLow);
          for (const char* metric : {"val_loss", "test_loss", "weight_norm", "weight_norm_ref"}) {
            add(run.run().run_id(), metric, step, 1.0);
          }
        }
      }
      sg::v1::ReportMetricsResponse reported;
      s = workers_->ReportMetrics(WorkerCall().get(), report, &reported);
      ASSERT_TRUE(s.ok()) << s.error_message();
      for (const sg::v1::ClaimedRun& run : pack.runs()) {
        sg::v1::CompleteJobRequest complete;
        complete.mutable_lease()->set_run_id(run.run().run_id());
        complete.mutable_lease()->set_lease_token(run.lease_token());
        complete.set_final_step(20);
        sg::v1::CompleteJobResponse completed;
        s = workers_->CompleteJob(WorkerCall().get(), complete, &completed);
        ASSERT_TRUE(s.ok()) << s.error_message();
      }
    }
  }

  std::string bin_;
  std::string dir_;
  std::string address_;
  pid_t coordinator_ = -1;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<sg::v1::WorkerService::Stub> workers_;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_F(SgctlDataProcessTest, SweepsTagsGetMetricsAndResolvedConfig) {
  ASSERT_NO_FATAL_FAILURE(RunBothSweeps());

  // sweeps: tags and notes, and --tag.
  ProcessResult r = Sgctl({"sweeps"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("paper,default  the code's untied output layer\n"));
  EXPECT_THAT(r.out, HasSubstr("paper,tied     tied embeddings, as the paper says ...\n"));
  nlohmann::json tied = SgctlJson({"sweeps", "--tag", "tied"});
  ASSERT_EQ(tied.size(), 1u);
  EXPECT_EQ(tied[0]["name"], "qf-tied");
  EXPECT_EQ(tied[0]["tags"], nlohmann::json({"paper", "tied"}));
  EXPECT_EQ(tied[0]["notes"], "tied embeddings, as the paper says\nagainst qf-default\n");
  EXPECT_EQ(SgctlJson({"sweeps", "--tag", "paper"}).size(), 2u);
  EXPECT_EQ(SgctlJson({"sweeps", "--tag", "paper,default"}).size(), 1u);
  EXPECT_EQ(SgctlJson({"sweeps", "--tag", "nothing"}).size(), 0u);

  // get: the stored spec, exactly as submitted.
  r = Sgctl({"get", "qf-tied"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, kTiedSpec);
  EXPECT_EQ(SgctlJson({"get", "qf-default"})["spec_yaml"], kDefaultSpec);
  r = Sgctl({"get", "no-such-sweep"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no-such-sweep"));

  // metrics: names with point counts (4 runs x 2 evaluations; train_loss 4 steps), for a reader
  // too.
  r = Sgctl({"metrics", "qf-default"}, "rob");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("metric"));
  EXPECT_THAT(r.out, HasSubstr("gen_acc          8       4     20\n"));
  EXPECT_THAT(r.out, HasSubstr("train_loss       16      4     20\n"));
  nlohmann::json metrics = SgctlJson({"metrics", "qf-default"});
  ASSERT_EQ(metrics.size(), 7u);
  EXPECT_EQ(metrics[0]["metric"], "gen_acc");
  EXPECT_EQ(metrics[0]["points"], 8);
  EXPECT_EQ(metrics[0]["runs"], 4);
  r = Sgctl({"metrics", "no-such-sweep"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("sweep named 'no-such-sweep' not found"));

  // runs -o json: each run's resolved config, not only its grid axes.
  nlohmann::json runs = SgctlJson({"runs", "qf-tied"});
  ASSERT_EQ(runs.size(), 4u);
  for (const nlohmann::json& run : runs) {
    ASSERT_TRUE(run["resolved_config"].is_object()) << run.dump();
    EXPECT_EQ(run["resolved_config"]["task"], "question_formation");
    EXPECT_EQ(run["resolved_config"]["train"]["tie_embeddings"], true);
    EXPECT_EQ(run["resolved_config"]["train"]["eval_every"], 10);
    EXPECT_EQ(run["resolved_config"]["train"]["lr"], 0.0001);
    EXPECT_EQ(run["resolved_config"]["train"]["depth"], run["config"]["depth"]);
  }
}

TEST_F(SgctlDataProcessTest, CurvesOfSeveralMetricsCarryAxesAndSeedUnknownMetricIsAnError) {
  ASSERT_NO_FATAL_FAILURE(RunBothSweeps());

  // A misspelt metric: exit 2, naming it and listing what the sweep has.
  ProcessResult r = Sgctl({"curves", "--sweep", "qf-default", "--metric", "val_accuracy"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("metric 'val_accuracy': not recorded by sweep"));
  EXPECT_THAT(r.err, HasSubstr("its metrics: gen_acc, test_loss, train_loss, val_acc, val_loss, "
                               "weight_norm, weight_norm_ref"));
  r = Sgctl({"curves", "--sweep", "qf-default", "--metric", "val_acc,gen_ac", "-o", "csv"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("metric 'gen_ac'"));
  r = Sgctl({"curves", "--sweep", "qf-default", "--metric", "val_accuracy", "--group-by",
             "depth"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("its metrics: gen_acc"));

  // Two metrics at once; CSV with the sweep, every grid axis and the seed, values exact.
  r = Sgctl({"curves", "--sweep", "qf-default", "--metric", "val_acc,gen_acc", "-o", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 1u + 4 * 2 * 2);  // header + 4 runs x 2 metrics x 2 steps
  EXPECT_EQ(lines[0], "run_id,sweep,depth,seed,metric,step,value");
  EXPECT_THAT(r.out, HasSubstr(",qf-default,2,0,val_acc,10,1\n"));
  EXPECT_THAT(r.out, HasSubstr(",qf-default,4,1,gen_acc,20,0.29000000000000004\n"));
  // The table rounds to 6 significant digits; JSON stays exact.
  r = Sgctl({"curves", "--sweep", "qf-default", "--metric", "gen_acc"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("gen_acc  20    0.29\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("0.29000000000000004")));
  nlohmann::json curves = SgctlJson({"curves", "--sweep", "qf-default", "--metric", "gen_acc"});
  ASSERT_EQ(curves.size(), 4u);
  EXPECT_EQ(curves[0]["sweep"], "qf-default");
  EXPECT_TRUE(curves[0]["seed"].is_number());
  EXPECT_TRUE(curves[0]["config"]["depth"].is_number());
  EXPECT_EQ(curves[0]["points"][0]["value"].get<double>(), kLow);
  // One run, with --metric given twice.
  const int64_t run_id = curves[3]["run_id"];
  r = Sgctl({"curves", "--run", std::to_string(run_id), "--metric", "val_acc", "--metric",
             "train_loss", "-o", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 1u + 2 + 4);
  EXPECT_THAT(r.out, HasSubstr(std::to_string(run_id) + ",qf-default,4,1,train_loss,15,2\n"));
}

TEST_F(SgctlDataProcessTest, ReportsAndCurvesCompareSweeps) {
  ASSERT_NO_FATAL_FAILURE(RunBothSweeps());

  // report A B: one row per sweep and grid cell.
  nlohmann::json report = SgctlJson({"report", "qf-default", "qf-tied"});
  ASSERT_EQ(report.size(), 4u);
  std::vector<std::string> labels;
  for (const nlohmann::json& row : report) labels.push_back(row["label"]);
  EXPECT_THAT(labels, ::testing::ElementsAre("sweep=qf-default,depth=2",
                                             "sweep=qf-default,depth=4", "sweep=qf-tied,depth=2",
                                             "sweep=qf-tied,depth=4"));
  EXPECT_EQ(report[3]["group"]["sweep"], "qf-tied");
  EXPECT_EQ(report[3]["seeds_grokked"], 2);
  EXPECT_EQ(report[1]["seeds_grokked"], 0);
  ProcessResult r = Sgctl({"report", "qf-default", "qf-tied"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("sweep       depth"));
  EXPECT_THAT(r.out, HasSubstr("qf-tied     4      2/2"));
  // Grouped by depth alone, the sweeps' seeds are pooled.
  report = SgctlJson({"report", "qf-default", "qf-tied", "--group-by", "depth"});
  ASSERT_EQ(report.size(), 2u);
  EXPECT_EQ(report[1]["seeds_total"], 4);
  EXPECT_EQ(report[1]["seeds_grokked"], 2);
  // Per run (--runs), each names its sweep.
  r = Sgctl({"report", "qf-default", "qf-tied", "--runs", "-o", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> run_lines = Lines(r.out);
  ASSERT_EQ(run_lines.size(), 1u + 8);
  // sweep_id, then the final tree metrics (empty: these runs streamed none).
  EXPECT_THAT(run_lines[0],
              ::testing::EndsWith(",last_gen_step,sweep_id,final_t_score,final_t_parseval"));
  EXPECT_THAT(run_lines[1], ::testing::EndsWith(",1,,"));
  EXPECT_THAT(run_lines[8], ::testing::EndsWith(",2,,"));
  r = Sgctl({"report", "qf-default", "no-such-sweep"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no-such-sweep"));

  // curves across sweeps, aggregated per sweep and depth.
  r = Sgctl({"curves", "--sweep", "qf-default,qf-tied", "--metric", "gen_acc", "--group-by",
             "sweep,depth", "--agg", "mean", "-o", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 1u + 4 * 2);  // header + 4 groups x 2 steps
  EXPECT_EQ(lines[0], "group,sweep,depth,metric,step,n,non_finite,mean");
  EXPECT_EQ(lines[8], "\"sweep=qf-tied,depth=4\",qf-tied,4,gen_acc,20,2,0,0.9");
  EXPECT_EQ(lines[1], "\"sweep=qf-default,depth=2\",qf-default,2,gen_acc,10,2,0,"
                      "0.29000000000000004");
  // Raw curves of both sweeps name each run's sweep.
  r = Sgctl({"curves", "--sweep", "qf-default,qf-tied", "--metric", "val_acc", "-o", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 1u + 8 * 2);
  EXPECT_THAT(r.out, HasSubstr(",qf-tied,4,1,val_acc,20,1\n"));
}

TEST_F(SgctlDataProcessTest, ConventionsNoCommandVersionAndEveryBinarysHelp) {
  ProcessResult r = Run({bin_ + "/sgctl/sgctl"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("usage: sgctl"));
  EXPECT_THAT(r.err, HasSubstr("metrics SWEEP"));
  r = Run({bin_ + "/sgctl/sgctl", "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, ::testing::MatchesRegex("sgctl [0-9]+\\.[0-9]+\\.[0-9]+\n"));
  r = Run({bin_ + "/sgctl/sgctl", "curves", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("--metric M[,M]"));
  EXPECT_THAT(r.out, HasSubstr("--sweep SWEEP[,SWEEP]"));

  r = Run({bin_ + "/coordinator/sg-coordinator", "--help"});
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("No flags matched")));
  EXPECT_THAT(r.out + r.err, HasSubstr("--listen"));
  EXPECT_THAT(r.out + r.err, HasSubstr("--auth_tokens"));
  r = Run({bin_ + "/coordinator/sg-coordinator", "--version"});
  EXPECT_THAT(r.out, HasSubstr("sg-coordinator "));
  r = Run({bin_ + "/worker/sg-worker", "--help"});
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("No flags matched")));
  EXPECT_THAT(r.out + r.err, HasSubstr("--work_dir"));
  EXPECT_THAT(r.out + r.err, HasSubstr("--devices"));
  r = Run({bin_ + "/worker/sg-worker", "--version"});
  EXPECT_THAT(r.out, HasSubstr("sg-worker "));
  r = Run({bin_ + "/tasks/sg-data", "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("sg-data "));
}

}  // namespace
