// sg-coordinator's HTTP port (issue 21) as a process: a real sg-coordinator with a token file and
// --http-listen on 127.0.0.1:0, the test playing sgctl and the worker over gRPC to hold a small
// sweep with curves, a failed run, a cancelled run and a checkpoint, then speaking HTTP to it:
//   - every read route's JSON, parsed back into the gRPC response message, equals the gRPC reply
//     to the same request (the JSON API is the gRPC API, not a second implementation);
//   - tokens: none or a wrong one is 401, a reader reads but may not cancel (403), login sets an
//     HttpOnly SameSite=Strict cookie that then works, a wrong token sets none, logout clears it;
//   - a query parameter the request does not have, or a value of the wrong type, is 400 naming it;
//   - the dashboard's files: index.html for / and client routes, assets with their content
//     types, no way out of the directory (.., encoded .., a link pointing out);
//   - with --tls-cert/--tls-key the HTTP port speaks HTTPS (the cookie is Secure) and plain HTTP
//     to it fails; with --tls-client-ca it needs a client certificate; without a dashboard, /
//     answers a page naming --dashboard-dir.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sg/v1/sg.grpc.pb.h"
#include "tests/process_util.h"

namespace {

namespace fs = std::filesystem;
namespace v1 = sg::v1;
using google::protobuf::Message;
using sg_test::EnvOr;
using sg_test::ReadFile;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSpec[] =
    "name: http-api\n"
    "task: question_formation\n"
    "tags: [paper, web]\n"
    "notes: the JSON API test\n"
    "grid:\n"
    "  depth: [2, 4]\n"
    "seeds: 2\n"
    "train:\n"
    "  steps: 20\n"
    "  eval_every: 10\n"
    "  checkpoint_every: 10\n"
    "  tree_sentences: 0\n";

struct Proc {
  int exit_code = -1;
  std::string out, err;
};

// One run of a binary, its output in DIR/cmd.{out,err}.
Proc RunProcess(const std::string& dir, const std::vector<std::string>& argv) {
  pid_t pid = sg_test::Spawn(argv, dir + "/cmd.out", dir + "/cmd.err");
  Proc r;
  r.exit_code = sg_test::WaitExit(pid, std::chrono::seconds(60));
  r.out = ReadFile(dir + "/cmd.out");
  r.err = ReadFile(dir + "/cmd.err");
  return r;
}

// A coordinator process with its HTTP port.
struct Coordinator {
  pid_t pid = -1;
  std::string grpc_address;
  int http_port = 0;
};

class HttpApiProcessTest : public ::testing::Test {
 protected:
  // The coordinator and its sweep, made once per process (CTest runs each test in its own) in
  // SetUp, so that a failure there fails the test instead of skipping it.
  void SetUp() override {
    // A server that refuses the TLS handshake closes the socket under an OpenSSL write.
    signal(SIGPIPE, SIG_IGN);
    if (main_ != nullptr) return;
    bin_ = new std::string(EnvOr("SG_BINARY_DIR", "."));
    std::string tmpl = EnvOr("TMPDIR", "/tmp") + "/http_api_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = new std::string(tmpl);
    tokens_ = new std::map<std::string, std::string>();
    ASSERT_NO_FATAL_FAILURE(CreateToken("ada", "admin"));
    ASSERT_NO_FATAL_FAILURE(CreateToken("rita", "researcher"));
    ASSERT_NO_FATAL_FAILURE(CreateToken("rob", "reader"));
    ASSERT_NO_FATAL_FAILURE(CreateToken("wendy", "worker"));
    MakeDashboard();
    main_ = new Coordinator();
    ASSERT_NO_FATAL_FAILURE(StartCoordinator(
        *dir_ + "/main", {"--auth-tokens", *dir_ + "/tokens", "--dashboard-dir", *dir_ + "/dash"},
        main_));
    ASSERT_NO_FATAL_FAILURE(PopulateSweep());
  }

  static void TearDownTestSuite() {
    Stop(main_);
    delete main_;
    if (dir_ == nullptr) return;
    fs::remove_all(*dir_);
    delete dir_;
    delete bin_;
    delete tokens_;
  }

  static void Stop(Coordinator* c) {
    if (c == nullptr || c->pid <= 0) return;
    kill(c->pid, SIGTERM);
    EXPECT_EQ(sg_test::WaitExit(c->pid, std::chrono::seconds(20)), 0);
    c->pid = -1;
  }

  // `sg-coordinator token create`: the token into tokens_, its line into DIR/tokens.
  static void CreateToken(const std::string& name, const std::string& role) {
    Proc r = RunProcess(*dir_, {*bin_ + "/coordinator/sg-coordinator", "token", "create",
                                "--name", name, "--role", role});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::smatch token, line;
    ASSERT_TRUE(std::regex_search(r.out, token, std::regex("token: (\\S+)")));
    ASSERT_TRUE(std::regex_search(r.out, line, std::regex("line:  ([^\\n]+)")));
    (*tokens_)[name] = token[1];
    std::ofstream(*dir_ + "/tokens", std::ios::app) << line[1] << "\n";
  }

  // DIR/dash: index.html and assets; DIR/secret beside it, and dash/assets/leak -> ../../secret.
  static void MakeDashboard() {
    const std::string dash = *dir_ + "/dash";
    fs::create_directories(dash + "/assets");
    std::ofstream(dash + "/index.html") << "<!doctype html><title>sg dashboard</title>INDEX\n";
    std::ofstream(dash + "/assets/app.js") << "console.log('sg');\n";
    std::ofstream(dash + "/assets/app.css") << "body { margin: 0 }\n";
    std::ofstream(*dir_ + "/secret") << "SECRET\n";
    fs::create_symlink("../../secret", dash + "/assets/leak.txt");
  }

  // Starts sg-coordinator in `dir` with --http-listen 127.0.0.1:0 and waits for its HTTP port.
  static void StartCoordinator(const std::string& dir, std::vector<std::string> extra,
                               Coordinator* c) {
    fs::create_directories(dir);
    const std::string http_port_file = dir + "/http-port";
    extra.insert(extra.end(),
                 {"--http-listen", "127.0.0.1:0", "--http-port-file", http_port_file});
    ASSERT_EQ(sg_test::StartCoordinatorProcess(*bin_, dir, extra, &c->pid, &c->grpc_address), "");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (access(http_port_file.c_str(), R_OK) != 0) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline)
          << "no --http-port-file: " << ReadFile(dir + "/coordinator.err");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    c->http_port = std::atoi(ReadFile(http_port_file).c_str());
    ASSERT_GT(c->http_port, 0);
  }

  static std::unique_ptr<grpc::ClientContext> As(const std::string& who) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + (*tokens_)[who]);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return context;
  }

  static std::shared_ptr<grpc::Channel> Channel() {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    return grpc::CreateCustomChannel(main_->grpc_address, grpc::InsecureChannelCredentials(),
                                     args);
  }

  // The sweep: depth=2's pack reports curves and a checkpoint and succeeds; in depth=4's pack
  // one run fails for good ("out of patience") and the other is cancelled while running.
  static void PopulateSweep() {
    auto sweeps = v1::SweepService::NewStub(Channel());
    auto workers = v1::WorkerService::NewStub(Channel());
    v1::SubmitSweepRequest submit;
    submit.set_spec_yaml(kSpec);
    v1::SubmitSweepResponse submitted;
    grpc::Status s = sweeps->SubmitSweep(As("rita").get(), submit, &submitted);
    ASSERT_TRUE(s.ok()) << s.error_message();
    sweep_id_ = submitted.sweep().sweep_id();
    v1::RegisterWorkerRequest reg;
    reg.set_hostname("test-host");
    v1::Device* device = reg.add_devices();
    device->set_name("cpu");
    device->set_slots(1);
    v1::RegisterWorkerResponse registered;
    s = workers->RegisterWorker(As("wendy").get(), reg, &registered);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (int pack_index = 0; pack_index < 2; ++pack_index) {
      v1::ClaimJobsRequest claim;
      claim.set_worker_id(registered.worker_id());
      claim.set_max_runs(2);
      claim.set_device("cpu");
      v1::ClaimJobsResponse pack;
      s = workers->ClaimJobs(As("wendy").get(), claim, &pack);
      ASSERT_TRUE(s.ok()) << s.error_message();
      ASSERT_EQ(pack.runs_size(), 2);
      v1::ReportMetricsRequest report;
      report.set_worker_id(registered.worker_id());
      for (const v1::ClaimedRun& run : pack.runs()) {
        const int64_t id = run.run().run_id();
        v1::LeaseRef* lease = report.add_leases();
        lease->set_run_id(id);
        lease->set_lease_token(run.lease_token());
        for (int64_t step : {5, 10, 15, 20}) {
          for (const char* metric : {"train_loss", "val_loss", "val_acc", "gen_acc", "test_loss",
                                     "weight_norm", "weight_norm_ref"}) {
            v1::MetricPoint* p = report.add_points();
            p->set_run_id(id);
            p->set_metric(metric);
            p->set_step(step);
            // Distinct, long-decimal values per run, step and metric.
            p->set_value(0.1 * static_cast<double>(id) + 0.01 * static_cast<double>(step) +
                         (metric[0] == 'g' ? 0.3 : 0.0));
          }
        }
      }
      v1::ReportMetricsResponse reported;
      s = workers->ReportMetrics(As("wendy").get(), report, &reported);
      ASSERT_TRUE(s.ok()) << s.error_message();
      if (pack.cell_key() == "depth=2") {
        // The first run's first attempt checkpoints at step 10 and fails; a retry by hand
        // queues it again and the same worker claims it again (attempt 2), which goes on below.
        v1::ClaimedRun* first = pack.mutable_runs(0);
        retried_run_ = first->run().run_id();
        v1::ReportCheckpointRequest early;
        early.mutable_lease()->set_run_id(retried_run_);
        early.mutable_lease()->set_lease_token(first->lease_token());
        early.set_step(10);
        early.set_path("/ckpt/run-" + std::to_string(retried_run_) + "-10.pt");
        v1::ReportCheckpointResponse early_done;
        s = workers->ReportCheckpoint(As("wendy").get(), early, &early_done);
        ASSERT_TRUE(s.ok()) << s.error_message();
        v1::FailJobRequest crash;
        *crash.mutable_lease() = early.lease();
        crash.set_reason("trainer crashed: simulated");
        crash.set_retryable(false);
        v1::FailJobResponse crashed;
        s = workers->FailJob(As("wendy").get(), crash, &crashed);
        ASSERT_TRUE(s.ok()) << s.error_message();
        v1::RetryRunsRequest retry;
        retry.set_sweep_id(sweep_id_);
        retry.set_failed(true);
        retry.set_run_id(retried_run_);
        v1::RetryRunsResponse retried;
        s = sweeps->RetryRuns(As("rita").get(), retry, &retried);
        ASSERT_TRUE(s.ok()) << s.error_message();
        v1::ClaimJobsRequest reclaim = claim;
        reclaim.set_max_runs(1);
        v1::ClaimJobsResponse again;
        s = workers->ClaimJobs(As("wendy").get(), reclaim, &again);
        ASSERT_TRUE(s.ok()) << s.error_message();
        ASSERT_EQ(again.runs_size(), 1);
        ASSERT_EQ(again.runs(0).run().run_id(), retried_run_);
        *first = again.runs(0);
        for (const v1::ClaimedRun& run : pack.runs()) {
          v1::ReportCheckpointRequest checkpoint;
          checkpoint.mutable_lease()->set_run_id(run.run().run_id());
          checkpoint.mutable_lease()->set_lease_token(run.lease_token());
          checkpoint.set_step(20);
          checkpoint.set_path("/ckpt/run-" + std::to_string(run.run().run_id()) + "-20.pt");
          v1::ReportCheckpointResponse checkpointed;
          s = workers->ReportCheckpoint(As("wendy").get(), checkpoint, &checkpointed);
          ASSERT_TRUE(s.ok()) << s.error_message();
          v1::CompleteJobRequest complete;
          *complete.mutable_lease() = checkpoint.lease();
          complete.set_final_step(20);
          v1::CompleteJobResponse completed;
          s = workers->CompleteJob(As("wendy").get(), complete, &completed);
          ASSERT_TRUE(s.ok()) << s.error_message();
          succeeded_run_ = run.run().run_id();
        }
      } else {
        v1::FailJobRequest fail;
        fail.mutable_lease()->set_run_id(pack.runs(0).run().run_id());
        fail.mutable_lease()->set_lease_token(pack.runs(0).lease_token());
        fail.set_reason("out of patience");
        fail.set_retryable(false);
        v1::FailJobResponse failed;
        s = workers->FailJob(As("wendy").get(), fail, &failed);
        ASSERT_TRUE(s.ok()) << s.error_message();
        failed_run_ = pack.runs(0).run().run_id();
        v1::CancelRunRequest cancel;
        cancel.set_run_id(pack.runs(1).run().run_id());
        v1::CancelRunResponse cancelled;
        s = sweeps->CancelRun(As("rita").get(), cancel, &cancelled);
        ASSERT_TRUE(s.ok()) << s.error_message();
        cancelled_run_ = pack.runs(1).run().run_id();
      }
    }
  }

  // An HTTP client for the main coordinator.
  static httplib::Client Http() {
    httplib::Client client("127.0.0.1", main_->http_port);
    client.set_read_timeout(30, 0);
    return client;
  }

  static httplib::Headers Bearer(const std::string& who) {
    return {{"Authorization", "Bearer " + (*tokens_)[who]}};
  }

  static std::string* bin_;
  static std::string* dir_;
  static std::map<std::string, std::string>* tokens_;
  static Coordinator* main_;
  static int64_t sweep_id_, succeeded_run_, failed_run_, cancelled_run_;
  static int64_t retried_run_;  // depth=2: failed once, retried, then succeeded
};

std::string* HttpApiProcessTest::bin_ = nullptr;
std::string* HttpApiProcessTest::dir_ = nullptr;
std::map<std::string, std::string>* HttpApiProcessTest::tokens_ = nullptr;
Coordinator* HttpApiProcessTest::main_ = nullptr;
int64_t HttpApiProcessTest::sweep_id_ = 0;
int64_t HttpApiProcessTest::succeeded_run_ = 0;
int64_t HttpApiProcessTest::failed_run_ = 0;
int64_t HttpApiProcessTest::cancelled_run_ = 0;
int64_t HttpApiProcessTest::retried_run_ = 0;

// One read: the HTTP request and the gRPC call it must equal.
struct ReadCase {
  std::string http;  // path and query ("POST " first: a POST /api/v1/rpc/ with `body`)
  std::string body;
  std::string who;
  std::function<grpc::Status(v1::SweepService::Stub&, grpc::ClientContext*, Message*)> grpc;
  std::function<std::unique_ptr<Message>()> response;
};

template <typename Request, typename Response>
ReadCase Read(std::string http, std::string who, Request request,
              grpc::Status (v1::SweepService::Stub::*call)(grpc::ClientContext*, const Request&,
                                                           Response*),
              std::string body = "") {
  ReadCase c;
  c.http = std::move(http);
  c.body = std::move(body);
  c.who = std::move(who);
  c.grpc = [request, call](v1::SweepService::Stub& stub, grpc::ClientContext* context,
                           Message* out) {
    return (stub.*call)(context, request, static_cast<Response*>(out));
  };
  c.response = [] { return std::make_unique<Response>(); };
  return c;
}

TEST_F(HttpApiProcessTest, TheJsonApiAndGrpcReturnTheSameDataForEveryQuery) {
  const std::string sweep = std::to_string(sweep_id_);
  using Stub = v1::SweepService::Stub;
  v1::ListSweepsRequest tagged;
  tagged.add_tags("paper");
  tagged.add_tags("web");
  v1::GetSweepRequest get_sweep;
  get_sweep.set_sweep_id(sweep_id_);
  v1::ListRunsRequest runs;
  runs.set_sweep_id(sweep_id_);
  v1::ListRunsRequest failed_runs = runs;
  failed_runs.set_state(v1::RUN_STATE_FAILED);
  v1::ListSweepMetricsRequest metrics;
  metrics.set_sweep_id(sweep_id_);
  v1::GetCurvesRequest grouped;
  grouped.set_sweep_id(sweep_id_);
  grouped.set_metric("gen_acc");
  grouped.add_group_by("depth");
  grouped.set_aggregate(true);
  grouped.set_max_points(400);
  grouped.set_log_steps(true);
  v1::GetCurvesRequest several;
  several.set_sweep_id(sweep_id_);
  several.add_metrics("val_acc");
  several.add_metrics("train_loss");
  v1::GetReportRequest report;
  report.set_sweep_id(sweep_id_);
  v1::GetReportRequest report_by_depth = report;
  report_by_depth.add_group_by("depth");
  report_by_depth.set_include_unfinished(true);
  v1::GetRunRequest get_run;
  get_run.set_run_id(succeeded_run_);
  v1::GetRunRequest get_failed = get_run;
  get_failed.set_run_id(failed_run_);
  v1::GetRunRequest get_cancelled = get_run;
  get_cancelled.set_run_id(cancelled_run_);
  v1::GetRunRequest get_retried = get_run;
  get_retried.set_run_id(retried_run_);
  v1::GetCurvesRequest run_curves;
  run_curves.set_run_id(succeeded_run_);
  run_curves.set_metric("val_loss");
  v1::ListAuditEventsRequest audit;
  v1::ListAuditEventsRequest audit_last = audit;
  audit_last.set_limit(2);
  const std::string ok_run = std::to_string(succeeded_run_);
  const std::vector<ReadCase> cases = {
      Read("/api/v1/sweeps", "rob", v1::ListSweepsRequest(), &Stub::ListSweeps),
      Read("/api/v1/sweeps?tags=paper&tags=web", "rob", tagged, &Stub::ListSweeps),
      Read("/api/v1/sweeps/" + sweep, "rob", get_sweep, &Stub::GetSweep),
      Read("/api/v1/sweeps/" + sweep + "/runs", "rob", runs, &Stub::ListRuns),
      Read("/api/v1/sweeps/" + sweep + "/runs?state=failed", "rob", failed_runs, &Stub::ListRuns),
      Read("/api/v1/sweeps/" + sweep + "/metrics", "rob", metrics, &Stub::ListSweepMetrics),
      Read("/api/v1/sweeps/" + sweep +
               "/curves?metric=gen_acc&group_by=depth&aggregate=true&max_points=400&log_steps=true",
           "rob", grouped, &Stub::GetCurves),
      Read("/api/v1/sweeps/" + sweep + "/curves?metrics=val_acc&metrics=train_loss", "rob",
           several, &Stub::GetCurves),
      Read("/api/v1/sweeps/" + sweep + "/report", "rob", report, &Stub::GetReport),
      Read("/api/v1/sweeps/" + sweep + "/report?group_by=depth&include_unfinished=true", "rob",
           report_by_depth, &Stub::GetReport),
      Read("/api/v1/runs/" + ok_run, "rob", get_run, &Stub::GetRun),
      Read("/api/v1/runs/" + std::to_string(failed_run_), "rob", get_failed, &Stub::GetRun),
      Read("/api/v1/runs/" + std::to_string(cancelled_run_), "rob", get_cancelled, &Stub::GetRun),
      Read("/api/v1/runs/" + std::to_string(retried_run_), "rob", get_retried, &Stub::GetRun),
      Read("/api/v1/runs/" + ok_run + "/curves?metric=val_loss", "rob", run_curves,
           &Stub::GetCurves),
      Read("/api/v1/workers", "rob", v1::ListWorkersRequest(), &Stub::ListWorkers),
      Read("/api/v1/audit", "ada", audit, &Stub::ListAuditEvents),
      Read("/api/v1/audit?limit=2", "ada", audit_last, &Stub::ListAuditEvents),
      Read("POST /api/v1/rpc/GetReport", "rob", report_by_depth, &Stub::GetReport,
           "{\"sweep_id\":\"" + sweep + "\",\"group_by\":[\"depth\"],\"include_unfinished\":true}"),
      Read("POST /api/v1/rpc/ListRuns", "rob", runs, &Stub::ListRuns,
           "{\"sweep_id\":" + sweep + "}"),
  };
  auto stub = v1::SweepService::NewStub(Channel());
  httplib::Client http = Http();
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);  // a statistic over no seeds is NaN on both sides
  for (const ReadCase& c : cases) {
    SCOPED_TRACE(c.http);
    httplib::Result res = c.http.rfind("POST ", 0) == 0
                              ? http.Post(c.http.substr(5).c_str(), Bearer(c.who), c.body,
                                          "application/json")
                              : http.Get(c.http.c_str(), Bearer(c.who));
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    ASSERT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    std::unique_ptr<Message> from_http = c.response();
    google::protobuf::util::JsonParseOptions strict;  // an unknown field would fail the parse
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(res->body, from_http.get(), strict)
                    .ok())
        << res->body;
    std::unique_ptr<Message> from_grpc = c.response();
    grpc::Status s = c.grpc(*stub, As(c.who).get(), from_grpc.get());
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_GT(from_grpc->ByteSizeLong(), 0u) << "an empty reply proves nothing";
    google::protobuf::util::MessageDifferencer differencer;
    differencer.set_field_comparator(&comparator);
    std::string differences;
    differencer.ReportDifferencesToString(&differences);
    EXPECT_TRUE(differencer.Compare(*from_grpc, *from_http)) << differences;
  }
}

TEST_F(HttpApiProcessTest, RepliesUseProtoFieldNamesWithDefaultsAndInt64AsStrings) {
  httplib::Result res =
      Http().Get(("/api/v1/sweeps/" + std::to_string(sweep_id_)).c_str(), Bearer("rob"));
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->body, HasSubstr("\"sweep_id\":\"" + std::to_string(sweep_id_) + "\""));
  EXPECT_THAT(res->body, HasSubstr("\"cancelled\":false"));  // a default value, printed
  EXPECT_THAT(res->body, HasSubstr("\"tags\":[\"paper\",\"web\"]"));
  EXPECT_THAT(res->body, Not(HasSubstr("sweepId")));
}

TEST_F(HttpApiProcessTest, GetRunHasTheRowHistoryErrorsCheckpointMetricsAndWorker) {
  auto stub = v1::SweepService::NewStub(Channel());
  v1::GetRunRequest request;
  v1::GetRunResponse ok, failed, cancelled;
  request.set_run_id(succeeded_run_);
  ASSERT_TRUE(stub->GetRun(As("rob").get(), request, &ok).ok());
  EXPECT_EQ(ok.run().state(), v1::RUN_STATE_SUCCEEDED);
  EXPECT_EQ(ok.run().checkpoint_step(), 20);
  EXPECT_THAT(ok.run().checkpoint_path(), HasSubstr("-20.pt"));
  EXPECT_EQ(ok.sweep().name(), "http-api");
  EXPECT_TRUE(ok.sweep().spec_yaml().empty());
  EXPECT_THAT(std::vector<std::string>(ok.metrics().begin(), ok.metrics().end()),
              ::testing::ElementsAre("gen_acc", "test_loss", "train_loss", "val_acc", "val_loss",
                                     "weight_norm", "weight_norm_ref"));
  EXPECT_EQ(ok.worker().hostname(), "test-host");
  EXPECT_EQ(ok.worker().worker_id(), ok.run().worker_id());
  request.set_run_id(failed_run_);
  ASSERT_TRUE(stub->GetRun(As("rob").get(), request, &failed).ok());
  EXPECT_EQ(failed.run().state(), v1::RUN_STATE_FAILED);
  EXPECT_THAT(failed.run().last_error(), HasSubstr("out of patience"));
  request.set_run_id(cancelled_run_);
  ASSERT_TRUE(stub->GetRun(As("rob").get(), request, &cancelled).ok());
  ASSERT_EQ(cancelled.run().history_size(), 1);
  EXPECT_EQ(cancelled.run().history(0).action(), "cancel");
  EXPECT_EQ(cancelled.run().history(0).actor(), "rita");
  // Every attempt of the run that failed once and succeeded on retry, with its worker, device,
  // error and the checkpoints each attempt reported.
  v1::GetRunResponse retried;
  request.set_run_id(retried_run_);
  ASSERT_TRUE(stub->GetRun(As("rob").get(), request, &retried).ok());
  EXPECT_EQ(retried.run().state(), v1::RUN_STATE_SUCCEEDED);
  ASSERT_EQ(retried.attempts_size(), 2);
  const v1::RunAttempt& crash = retried.attempts(0);
  EXPECT_EQ(crash.attempt(), 1);
  EXPECT_EQ(crash.outcome(), "failed");
  EXPECT_EQ(crash.error(), "trainer crashed: simulated");
  EXPECT_EQ(crash.worker_id(), retried.run().worker_id());
  EXPECT_EQ(crash.hostname(), "test-host");
  EXPECT_EQ(crash.device(), "cpu");
  EXPECT_EQ(crash.step(), 20);  // its metrics reached step 20 before the checkpoint at 10
  EXPECT_GT(crash.ended_ms(), 0);
  const v1::RunAttempt& rerun = retried.attempts(1);
  EXPECT_EQ(rerun.attempt(), 2);
  EXPECT_EQ(rerun.outcome(), "completed");
  EXPECT_EQ(rerun.error(), "");
  EXPECT_EQ(rerun.start_step(), 20);
  EXPECT_EQ(rerun.step(), 20);
  EXPECT_GE(rerun.claimed_ms(), crash.ended_ms());
  ASSERT_EQ(retried.checkpoints_size(), 2);
  EXPECT_EQ(retried.checkpoints(0).attempt(), 1);
  EXPECT_EQ(retried.checkpoints(0).step(), 10);
  EXPECT_THAT(retried.checkpoints(0).path(), HasSubstr("-10.pt"));
  EXPECT_EQ(retried.checkpoints(1).attempt(), 2);
  EXPECT_EQ(retried.checkpoints(1).step(), 20);
  ASSERT_EQ(retried.run().history_size(), 1);
  EXPECT_EQ(retried.run().history(0).action(), "retry");
  // The failed run's single attempt carries its error too; the cancelled one's says cancelled.
  ASSERT_EQ(failed.attempts_size(), 1);
  EXPECT_EQ(failed.attempts(0).outcome(), "failed");
  EXPECT_EQ(failed.attempts(0).error(), "out of patience");
  ASSERT_EQ(cancelled.attempts_size(), 1);
  EXPECT_EQ(cancelled.attempts(0).outcome(), "cancelled");
  // The JSON API carries them under the proto's names.
  httplib::Result json = Http().Get("/api/v1/runs/" + std::to_string(retried_run_),
                                    Bearer("rob"));
  ASSERT_TRUE(json);
  EXPECT_EQ(json->status, 200);
  EXPECT_THAT(json->body, HasSubstr("\"outcome\":\"failed\""));
  EXPECT_THAT(json->body, HasSubstr("\"error\":\"trainer crashed: simulated\""));
  EXPECT_THAT(json->body, HasSubstr("\"checkpoints\":["));
  request.set_run_id(987654);
  grpc::Status missing = stub->GetRun(As("rob").get(), request, &ok);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  httplib::Result res = Http().Get("/api/v1/runs/987654", Bearer("rob"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_THAT(res->body, HasSubstr("\"code\":\"NOT_FOUND\""));
}

TEST_F(HttpApiProcessTest, TokensRolesAndTheLoginCookie) {
  httplib::Client http = Http();
  // No token, a wrong token.
  httplib::Result res = http.Get("/api/v1/sweeps");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_THAT(res->body, HasSubstr("\"code\":\"UNAUTHENTICATED\""));
  res = http.Get("/api/v1/sweeps", {{"Authorization", "Bearer 0123456789abcdef"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  // A reader reads, may not cancel, may not read the audit trail.
  res = http.Get("/api/v1/workers", Bearer("rob"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  res = http.Post("/api/v1/rpc/CancelSweep", Bearer("rob"),
                  "{\"sweep_id\":\"" + std::to_string(sweep_id_) + "\"}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_THAT(res->body, HasSubstr("\"code\":\"PERMISSION_DENIED\""));
  res = http.Get("/api/v1/audit", Bearer("rob"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  // Login with a wrong token: 401 and no cookie; with no token field: 400.
  res = http.Post("/api/v1/login", "{\"token\":\"0123456789abcdef\"}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_FALSE(res->has_header("Set-Cookie"));
  res = http.Post("/api/v1/login", "{\"name\":\"rob\"}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_FALSE(res->has_header("Set-Cookie"));
  // A worker's token is a known token whose role may not read: 403, no cookie.
  res = http.Post("/api/v1/login", "{\"token\":\"" + (*tokens_)["wendy"] + "\"}",
                  "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_FALSE(res->has_header("Set-Cookie"));
  // The reader's token: the cookie, then reads with it alone.
  res = http.Post("/api/v1/login", "{\"token\":\"" + (*tokens_)["rob"] + "\"}",
                  "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const std::string cookie = res->get_header_value("Set-Cookie");
  EXPECT_THAT(cookie, HasSubstr("sg_token=" + (*tokens_)["rob"] + ";"));
  EXPECT_THAT(cookie, HasSubstr("HttpOnly"));
  EXPECT_THAT(cookie, HasSubstr("SameSite=Strict"));
  EXPECT_THAT(cookie, HasSubstr("Path=/"));
  EXPECT_THAT(cookie, Not(HasSubstr("Secure")));  // plain HTTP: a Secure cookie would be lost
  const httplib::Headers with_cookie = {{"Cookie", "theme=dark; sg_token=" + (*tokens_)["rob"]}};
  res = http.Get("/api/v1/sweeps", with_cookie);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  res = http.Post("/api/v1/rpc/CancelSweep", with_cookie,
                  "{\"sweep_id\":\"" + std::to_string(sweep_id_) + "\"}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  res = http.Get("/api/v1/sweeps", {{"Cookie", "sg_token=0123456789abcdef"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  // Logout clears the cookie.
  res = http.Post("/api/v1/logout", with_cookie, "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Set-Cookie"), HasSubstr("sg_token=;"));
  EXPECT_THAT(res->get_header_value("Set-Cookie"), HasSubstr("Max-Age=0"));
}

TEST_F(HttpApiProcessTest, ABadQueryParameterIs400NamingIt) {
  httplib::Client http = Http();
  const std::string curves = "/api/v1/sweeps/" + std::to_string(sweep_id_) + "/curves";
  httplib::Result res = http.Get((curves + "?metric=gen_acc&maxpoints=5").c_str(), Bearer("rob"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("\"code\":\"INVALID_ARGUMENT\""));
  EXPECT_THAT(res->body, HasSubstr("unknown query parameter 'maxpoints'"));
  EXPECT_THAT(res->body, HasSubstr("max_points"));  // the valid ones are listed
  res = http.Get((curves + "?metric=gen_acc&max_points=many").c_str(), Bearer("rob"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("'max_points': 'many' is not a 32-bit integer"));
  res = http.Get((curves + "?metric=gen_acc&aggregate=yes").c_str(), Bearer("rob"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("'aggregate'"));
  res = http.Get((curves + "?metric=gen_acc&metric=val_acc").c_str(), Bearer("rob"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("'metric' given more than once"));
  res = http.Get(("/api/v1/sweeps/" + std::to_string(sweep_id_) + "/runs?state=sleeping").c_str(),
                 Bearer("rob"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("RUN_STATE_RUNNING"));
  res = http.Get("/api/v1/sweeps/seven", Bearer("rob"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("'sweep_id': 'seven' is not an integer"));
  // The gRPC service's own INVALID_ARGUMENT (an unrecorded metric) arrives as 400 too.
  res = http.Get((curves + "?metric=no_such_metric").c_str(), Bearer("rob"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("no_such_metric"));
  // A misspelt JSON field and an unknown method.
  res = http.Post("/api/v1/rpc/ListRuns", Bearer("rob"), "{\"sweep\":1}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("sweep"));
  res = http.Post("/api/v1/rpc/DropTables", Bearer("rob"), "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_THAT(res->body, HasSubstr("GetCurves"));
  res = http.Get("/api/v1/nothing", Bearer("rob"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
}

TEST_F(HttpApiProcessTest, ServesTheDashboardAndNothingOutsideIt) {
  httplib::Client http = Http();
  for (const char* path : {"/", "/index.html", "/sweeps/7", "/runs/12", "/workers"}) {
    SCOPED_TRACE(path);
    httplib::Result res = http.Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_THAT(res->body, HasSubstr("INDEX"));
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
  }
  httplib::Result res = http.Get("/assets/app.js");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "console.log('sg');\n");
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  res = http.Get("/assets/app.css");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/css; charset=utf-8");
  res = http.Get("/assets/missing.js");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  for (const char* path : {"/assets/../../secret", "/../secret", "/assets/%2e%2e/%2e%2e/secret",
                           "/assets/..%2f..%2fsecret", "/assets/leak.txt"}) {
    SCOPED_TRACE(path);
    res = http.Get(path);
    ASSERT_TRUE(res);
    EXPECT_GE(res->status, 400);
    EXPECT_THAT(res->body, Not(HasSubstr("SECRET")));
  }
}

TEST_F(HttpApiProcessTest, HttpsWithTheGrpcCertificateAndNoPlainHttp) {
  const std::string source = EnvOr("SG_SOURCE_DIR", "");
  ASSERT_FALSE(source.empty()) << "SG_SOURCE_DIR is not set (run through ctest)";
  const std::string pki = *dir_ + "/pki";
  Proc certs = RunProcess(*dir_, {"/bin/bash", source + "/deploy/make-certs.sh", pki, "--server",
                                  "localhost,127.0.0.1"});
  ASSERT_EQ(certs.exit_code, 0) << certs.err;
  Coordinator tls;
  StartCoordinator(*dir_ + "/tls",
                   {"--auth-tokens", *dir_ + "/tokens", "--tls-cert", pki + "/server.pem",
                    "--tls-key", pki + "/server.key",
                    // A directory without index.html, so that the page below does not depend
                    // on whether this build made the dashboard (it sits beside the binary).
                    "--dashboard-dir", *dir_ + "/tls"},
                   &tls);
  {
    httplib::SSLClient https("127.0.0.1", tls.http_port);
    https.set_ca_cert_path((pki + "/ca.pem").c_str());
    https.enable_server_certificate_verification(true);
    https.set_read_timeout(30, 0);
    httplib::Result res = https.Get("/api/v1/sweeps", Bearer("rob"));
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_THAT(res->body, HasSubstr("\"sweeps\":[]"));
    res = https.Get("/api/v1/sweeps");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
    res = https.Post("/api/v1/login", "{\"token\":\"" + (*tokens_)["rob"] + "\"}",
                     "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_THAT(res->get_header_value("Set-Cookie"), HasSubstr("; Secure"));
    // No dashboard in the directory: / says how to give one.
    res = https.Get("/");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_THAT(res->body, HasSubstr("--dashboard-dir"));
    EXPECT_THAT(res->body, HasSubstr("holds no <code>index.html</code>"));

    httplib::Client plain("127.0.0.1", tls.http_port);
    plain.set_read_timeout(10, 0);
    res = plain.Get("/api/v1/sweeps", Bearer("rob"));
    EXPECT_FALSE(res && res->status == 200) << "plain HTTP was answered: " << res->body;
  }
  Stop(&tls);
}

TEST_F(HttpApiProcessTest, MutualTlsHttpsNeedsAClientCertificate) {
  const std::string source = EnvOr("SG_SOURCE_DIR", "");
  ASSERT_FALSE(source.empty()) << "SG_SOURCE_DIR is not set (run through ctest)";
  const std::string pki = *dir_ + "/mpki";
  Proc certs = RunProcess(*dir_, {"/bin/bash", source + "/deploy/make-certs.sh", pki, "--server",
                                  "localhost,127.0.0.1", "--client", "rob"});
  ASSERT_EQ(certs.exit_code, 0) << certs.err;
  Coordinator mtls;
  StartCoordinator(*dir_ + "/mtls",
                   {"--auth-tokens", *dir_ + "/tokens", "--tls-cert", pki + "/server.pem",
                    "--tls-key", pki + "/server.key", "--tls-client-ca", pki + "/ca.pem"},
                   &mtls);
  {
    httplib::SSLClient with_cert("127.0.0.1", mtls.http_port, pki + "/client-rob.pem",
                                 pki + "/client-rob.key");
    with_cert.set_ca_cert_path((pki + "/ca.pem").c_str());
    with_cert.enable_server_certificate_verification(true);
    httplib::Result res = with_cert.Get("/api/v1/workers", Bearer("rob"));
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200) << res->body;

    httplib::SSLClient without_cert("127.0.0.1", mtls.http_port);
    without_cert.set_ca_cert_path((pki + "/ca.pem").c_str());
    without_cert.enable_server_certificate_verification(true);
    res = without_cert.Get("/api/v1/workers", Bearer("rob"));
    EXPECT_FALSE(res && res->status == 200) << "answered without a client certificate";
    // The refused client's hang-up did not stop the coordinator.
    res = with_cert.Get("/api/v1/workers", Bearer("rob"));
    ASSERT_TRUE(res) << httplib::to_string(res.error());
    EXPECT_EQ(res->status, 200);
  }
  Stop(&mtls);
}

TEST_F(HttpApiProcessTest, HttpFlagsWithoutHttpListenAreRefused) {
  Proc r = RunProcess(*dir_, {*bin_ + "/coordinator/sg-coordinator", "--listen", "127.0.0.1:0",
                              "--db", *dir_ + "/refused.db", "--dashboard-dir", *dir_ + "/dash"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("need --http-listen"));
  r = RunProcess(*dir_, {*bin_ + "/coordinator/sg-coordinator", "--listen", "127.0.0.1:0",
                         "--db", *dir_ + "/refused.db", "--http-listen", "0.0.0.0:0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--http-listen 0.0.0.0:0: is not a loopback address"));
}

}  // namespace
