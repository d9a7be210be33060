// Issue 15's checks against a real coordinator (SQLite file, gRPC server on an ephemeral loopback
// port) serving real TLS with certificates from deploy/make-certs.sh and bearer tokens from a
// token file: every RPC of sg.v1 for every role, stale and stolen lease tokens, worker ids that
// cannot be taken over, the audit trail, TLS and mutual TLS failures with sgctl's messages, and
// token reload. The table of who may call what is written here again, from the issue, so that a
// drift in coordinator/access_policy.cc or a new RPC without roles fails this test.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/client_security.h"
#include "common/clock.h"
#include "common/secrets.h"
#include "coordinator/authorizer.h"
#include "coordinator/coordinator.h"
#include "coordinator/server.h"
#include "coordinator/server_security.h"
#include "coordinator/sqlite_store.h"
#include "coordinator/token_table.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sg/v1/sg.grpc.pb.h"
#include "tests/process_util.h"

namespace sg {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// Who may call what, from the issue: admin everything; researcher submit, cancel, read;
// worker the WorkerService only; reader queries only (issue 17: researchers record offline
// analyses). "" is a caller with no token.
const std::set<std::string> kRead = {"admin", "researcher", "reader"};
const std::set<std::string> kWrite = {"admin", "researcher"};
const std::set<std::string> kAdmin = {"admin"};
const std::set<std::string> kWorker = {"admin", "worker"};
const std::map<std::string, std::set<std::string>>& Expected() {
  static const auto* table = new std::map<std::string, std::set<std::string>>{
      {"/sg.v1.SweepService/SubmitSweep", kWrite},
      {"/sg.v1.SweepService/GetSweep", kRead},
      {"/sg.v1.SweepService/ListSweeps", kRead},
      {"/sg.v1.SweepService/ListRuns", kRead},
      {"/sg.v1.SweepService/CancelSweep", kWrite},
      {"/sg.v1.SweepService/CancelRun", kWrite},
      {"/sg.v1.SweepService/ExtendSweep", kWrite},
      {"/sg.v1.SweepService/RetryRuns", kWrite},
      {"/sg.v1.SweepService/GetCurves", kRead},
      {"/sg.v1.SweepService/ListWorkers", kRead},
      {"/sg.v1.SweepService/GetReport", kRead},
      {"/sg.v1.SweepService/ListSweepMetrics", kRead},
      {"/sg.v1.SweepService/ListAuditEvents", kAdmin},
      {"/sg.v1.SweepService/RecordAnalysisMetrics", kWrite},
      {"/sg.v1.SweepService/GetRun", kRead},
      {"/sg.v1.WorkerService/RegisterWorker", kWorker},
      {"/sg.v1.WorkerService/ClaimJobs", kWorker},
      {"/sg.v1.WorkerService/Heartbeat", kWorker},
      {"/sg.v1.WorkerService/ReportMetrics", kWorker},
      {"/sg.v1.WorkerService/ReportCheckpoint", kWorker},
      {"/sg.v1.WorkerService/CompleteJob", kWorker},
      {"/sg.v1.WorkerService/FailJob", kWorker},
      {"/sg.v1.WorkerService/ReleaseJob", kWorker},
  };
  return *table;
}

// Every method of every service in sg.proto, by full gRPC name, from the generated descriptors.
std::vector<std::string> ProtoMethods() {
  // Linking the generated code registers the file in the generated pool.
  (void)v1::SweepService::service_full_name();
  std::vector<std::string> out;
  const google::protobuf::FileDescriptor* proto =
      google::protobuf::DescriptorPool::generated_pool()->FindFileByName("sg/v1/sg.proto");
  EXPECT_NE(proto, nullptr);
  if (proto == nullptr) return out;
  for (int s = 0; s < proto->service_count(); ++s) {
    const google::protobuf::ServiceDescriptor* service = proto->service(s);
    for (int m = 0; m < service->method_count(); ++m) {
      out.push_back(absl::StrCat("/", service->full_name(), "/", service->method(m)->name()));
    }
  }
  return out;
}

std::string Shell(const std::string& command) {
  const std::string out = (fs::temp_directory_path() / "sg_security_shell.out").string();
  int rc = std::system((command + " > " + out + " 2>&1").c_str());
  std::string text = sg_test::ReadFile(out);
  EXPECT_EQ(rc, 0) << command << "\n" << text;
  return text;
}

class SecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string source = sg_test::EnvOr("SG_SOURCE_DIR", "");
    ASSERT_FALSE(source.empty()) << "SG_SOURCE_DIR is not set (run through ctest)";
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("sg_security_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    const std::string script = source + "/deploy/make-certs.sh";
    Shell(absl::StrCat(script, " ", (*dir_ / "pki").string(),
                       " --server localhost,127.0.0.1 --client w1 --client alice"));
    // A second, unrelated CA: a client that trusts it does not have the coordinator's CA.
    Shell(absl::StrCat(script, " ", (*dir_ / "other").string(), " --server elsewhere"));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  void SetUp() override {
    tokens_.clear();
    std::string file;
    for (const auto& [name, role] : std::vector<std::pair<std::string, std::string>>{
             {"root", "admin"}, {"alice", "researcher"}, {"w1", "worker"}, {"w2", "worker"},
             {"rita", "reader"}}) {
      absl::StatusOr<NewToken> t = CreateToken(name, *ParseRole(role), SystemRandom());
      ASSERT_TRUE(t.ok()) << t.status();
      tokens_[name] = t->token;
      absl::StrAppend(&file, t->line, "\n");
    }
    token_file_ = (*dir_ / "tokens").string();
    std::ofstream(token_file_) << "# name role sha256\n" << file;
    db_ = *dir_ / (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
                   ".db");
    fs::remove(db_);
    StartServer(/*mutual=*/false);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(0);
    server_.reset();
    coordinator_.reset();
    store_.reset();
  }

  void StartServer(bool mutual) {
    if (server_ != nullptr) server_->Shutdown(0);
    server_.reset();
    coordinator_.reset();
    store_.reset();
    auto store = SqliteStore::Open(db_.string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    CoordinatorOptions options;
    options.policy.backoff_base_ms = 0;
    coordinator_ = std::make_unique<Coordinator>(store_.get(), RealClock::Get(), options);
    auto authorizer = Authorizer::FromFile(token_file_);
    ASSERT_TRUE(authorizer.ok()) << authorizer.status();
    authorizer_ = *std::move(authorizer);
    const fs::path pki = *dir_ / "pki";
    auto tls = LoadServerTls((pki / "server.pem").string(), (pki / "server.key").string(),
                             mutual ? (pki / "ca.pem").string() : "");
    ASSERT_TRUE(tls.ok()) << tls.status();
    ServerOptions server_options;
    server_options.listen = "127.0.0.1:0";
    server_options.tls = *tls;
    server_options.authorizer = authorizer_.get();
    server_ = std::make_unique<CoordinatorServer>(coordinator_.get(), server_options);
    ASSERT_TRUE(server_->Start().ok());
    address_ = absl::StrCat("127.0.0.1:", server_->port());
  }

  // Client security: the coordinator's CA unless `ca` says otherwise, and `who`'s token.
  ClientSecurity Security(const std::string& who, const std::string& ca = "pki",
                          const std::string& client_cert = "") {
    ClientSecurityFlags flags;
    if (!ca.empty()) flags.tls_ca = (*dir_ / ca / "ca.pem").string();
    if (!client_cert.empty()) {
      flags.tls_cert = (*dir_ / "pki" / ("client-" + client_cert + ".pem")).string();
      flags.tls_key = (*dir_ / "pki" / ("client-" + client_cert + ".key")).string();
    }
    if (!who.empty()) flags.env_token = tokens_.count(who) ? tokens_[who] : who;
    absl::StatusOr<ClientSecurity> security = LoadClientSecurity(flags);
    EXPECT_TRUE(security.ok()) << security.status();
    return security.ok() ? *security : ClientSecurity();
  }
  std::shared_ptr<grpc::Channel> Channel(const ClientSecurity& security) {
    return NewCoordinatorChannel(address_, security, grpc::ChannelArguments());
  }
  std::unique_ptr<v1::SweepService::Stub> Sweeps(const std::string& who) {
    return v1::SweepService::NewStub(Channel(Security(who)));
  }
  std::unique_ptr<v1::WorkerService::Stub> Workers(const std::string& who) {
    return v1::WorkerService::NewStub(Channel(Security(who)));
  }
  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return context;
  }

  // Calls `method` with an empty request through a generic stub; returns the status.
  grpc::Status CallEmpty(const std::shared_ptr<grpc::Channel>& channel, const std::string& method) {
    grpc::GenericStub stub(channel);
    // Zero bytes are every request message with all fields at their defaults.
    grpc::Slice empty(std::string{});
    grpc::ByteBuffer request(&empty, 1), response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    grpc::Status result;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                   [&](grpc::Status status) {
                     std::lock_guard<std::mutex> lock(mu);
                     result = std::move(status);
                     done = true;
                     cv.notify_all();
                   });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
    return result;
  }

  // No token, token value or token hash may appear in `text`.
  void ExpectNoSecret(const std::string& text, const std::string& what) {
    for (const auto& [name, token] : tokens_) {
      EXPECT_THAT(text, Not(HasSubstr(token))) << what << " names " << name << "'s token";
      EXPECT_THAT(text, Not(HasSubstr(Sha256Hex(token)))) << what << " names a token hash";
    }
  }

  v1::Sweep Submit(const std::string& name, int seeds) {
    v1::SubmitSweepRequest request;
    request.set_spec_yaml(absl::StrCat("name: ", name, "\ntask: dyck\ngrid:\n  depth: [2]\nseeds: ",
                                       seeds, "\ntrain:\n  steps: 100\n  eval_every: 10\n"));
    v1::SubmitSweepResponse response;
    grpc::Status status = Sweeps("alice")->SubmitSweep(Ctx().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.sweep();
  }
  std::string Register(const std::string& who, const std::string& id = "") {
    v1::RegisterWorkerRequest request;
    request.set_hostname(who + "-host");
    request.set_worker_id(id);
    request.add_devices()->set_name("cpu");
    v1::RegisterWorkerResponse response;
    grpc::Status status = Workers(who)->RegisterWorker(Ctx().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.worker_id();
  }
  v1::ClaimJobsResponse Claim(const std::string& who, const std::string& worker_id, int n) {
    v1::ClaimJobsRequest request;
    request.set_worker_id(worker_id);
    request.set_max_runs(n);
    request.set_device("cpu");
    v1::ClaimJobsResponse response;
    grpc::Status status = Workers(who)->ClaimJobs(Ctx().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }
  static v1::LeaseRef Ref(const v1::ClaimedRun& run) {
    v1::LeaseRef ref;
    ref.set_run_id(run.run().run_id());
    ref.set_lease_token(run.lease_token());
    return ref;
  }
  std::vector<v1::Run> Runs(int64_t sweep_id) {
    v1::ListRunsRequest request;
    request.set_sweep_id(sweep_id);
    v1::ListRunsResponse response;
    EXPECT_TRUE(Sweeps("rita")->ListRuns(Ctx().get(), request, &response).ok());
    return {response.runs().begin(), response.runs().end()};
  }
  size_t Points(int64_t run_id, const std::string& metric) {
    v1::GetCurvesRequest request;
    request.set_run_id(run_id);
    request.set_metric(metric);
    v1::GetCurvesResponse response;
    grpc::Status status = Sweeps("rita")->GetCurves(Ctx().get(), request, &response);
    // A metric the run never recorded is refused (INVALID_ARGUMENT): no points.
    if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
        status.error_message().find("not recorded") != std::string::npos) {
      return 0;
    }
    EXPECT_TRUE(status.ok()) << status.error_message();
    size_t n = 0;
    for (const v1::Curve& c : response.curves()) n += c.points_size();
    return n;
  }

  // Runs the sgctl binary; returns its exit code, stderr in *err.
  int Sgctl(const std::vector<std::string>& args, std::string* err, std::string* out = nullptr) {
    const std::string bin = sg_test::EnvOr("SG_BINARY_DIR", "") + "/sgctl/sgctl";
    std::vector<std::string> argv = {bin, "--coordinator", address_};
    argv.insert(argv.end(), args.begin(), args.end());
    sg_test::SpawnOptions o;
    o.out_path = (*dir_ / "sgctl.out").string();
    o.err_path = (*dir_ / "sgctl.err").string();
    pid_t pid = sg_test::SpawnProcess(argv, o);
    int status = 0;
    ::waitpid(pid, &status, 0);
    *err = sg_test::ReadFile(o.err_path);
    if (out != nullptr) *out = sg_test::ReadFile(o.out_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string TokenFileFor(const std::string& who) {
    const std::string path = (*dir_ / ("token-" + who)).string();
    std::ofstream(path) << tokens_[who] << "\n";
    return path;
  }

  static fs::path* dir_;
  std::map<std::string, std::string> tokens_;
  std::string token_file_;
  fs::path db_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Coordinator> coordinator_;
  std::unique_ptr<Authorizer> authorizer_;
  std::unique_ptr<CoordinatorServer> server_;
  std::string address_;
};

fs::path* SecurityTest::dir_ = nullptr;

TEST_F(SecurityTest, EveryMethodOfTheProtoIsAllowedOrRefusedByRole) {
  const std::vector<std::string> methods = ProtoMethods();
  ASSERT_GE(methods.size(), Expected().size());
  for (const std::string& method : methods) {
    SCOPED_TRACE(method);
    auto expected = Expected().find(method);
    ASSERT_NE(expected, Expected().end())
        << method << " has no roles in this test's table: assign it roles in "
        << "coordinator/access_policy.cc and here (docs/security.md lists them)";
    EXPECT_NE(AllowedRoles(method), nullptr) << "the coordinator's policy has no entry";
    for (const std::string who : {"root", "alice", "w1", "rita"}) {
      const std::string role = who == "root"    ? "admin"
                               : who == "alice" ? "researcher"
                               : who == "w1"    ? "worker"
                                                : "reader";
      grpc::Status status = CallEmpty(Channel(Security(who)), method);
      ExpectNoSecret(status.error_message(), method);
      if (expected->second.count(role) != 0) {
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << role;
        EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << role << ": " << status.error_message();
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNIMPLEMENTED) << role;
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << role;
        EXPECT_THAT(status.error_message(), HasSubstr("needs role")) << role;
        EXPECT_THAT(status.error_message(), HasSubstr(absl::StrCat("has role ", role)));
      }
    }
    grpc::Status none = CallEmpty(Channel(Security("")), method);
    EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_THAT(none.error_message(), HasSubstr("requires a token"));
    grpc::Status unknown = CallEmpty(Channel(Security("sg_not-a-real-token")), method);
    EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_THAT(unknown.error_message(), HasSubstr("not known"));
    EXPECT_THAT(unknown.error_message(), Not(HasSubstr("sg_not-a-real-token")));
  }
  // And the policy assigns nothing the proto does not have.
  for (const std::string& method : PolicyMethods()) {
    EXPECT_NE(std::find(methods.begin(), methods.end(), method), methods.end()) << method;
  }
}

TEST_F(SecurityTest, StaleTokenWriteIsRefusedChangesNothingAndNamesNoToken) {
  v1::Sweep sweep = Submit("stale", 1);
  const std::string w1 = Register("w1");
  v1::ClaimJobsResponse first = Claim("w1", w1, 1);
  ASSERT_EQ(first.runs_size(), 1);
  const std::string old_token = first.runs(0).lease_token();
  // At least 128 random bits (hex), never a counter.
  EXPECT_GE(old_token.size(), 32u);
  v1::ReleaseJobRequest release;
  *release.mutable_lease() = Ref(first.runs(0));
  v1::ReleaseJobResponse released;
  ASSERT_TRUE(Workers("w1")->ReleaseJob(Ctx().get(), release, &released).ok());
  v1::ClaimJobsResponse second = Claim("w1", w1, 1);
  ASSERT_EQ(second.runs_size(), 1);
  const std::string current = second.runs(0).lease_token();
  EXPECT_NE(current, old_token);
  EXPECT_GE(current.size(), 32u);
  const std::vector<v1::Run> before = Runs(sweep.sweep_id());

  v1::ReportMetricsRequest forged;
  forged.set_worker_id(w1);
  *forged.add_leases() = Ref(first.runs(0));
  for (int step = 10; step <= 100; step += 10) {
    v1::MetricPoint* p = forged.add_points();
    p->set_run_id(first.runs(0).run().run_id());
    p->set_metric("gen_acc");
    p->set_step(step);
    p->set_value(1.0);
  }
  v1::ReportMetricsResponse ack;
  grpc::Status status = Workers("w1")->ReportMetrics(Ctx().get(), forged, &ack);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("not current"));
  EXPECT_THAT(status.error_message(), Not(HasSubstr(old_token)));
  EXPECT_THAT(status.error_message(), Not(HasSubstr(current)));
  EXPECT_THAT(status.error_message(), Not(HasSubstr(Sha256Hex(current))));
  v1::CompleteJobRequest complete;
  *complete.mutable_lease() = Ref(first.runs(0));
  v1::CompleteJobResponse completed;
  status = Workers("w1")->CompleteJob(Ctx().get(), complete, &completed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), Not(HasSubstr(current)));

  EXPECT_EQ(Points(first.runs(0).run().run_id(), "gen_acc"), 0u);
  const std::vector<v1::Run> after = Runs(sweep.sweep_id());
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].SerializeAsString(), before[i].SerializeAsString()) << "run changed";
    // No reply carries a lease token except ClaimJobs' to its holder.
    EXPECT_THAT(after[i].SerializeAsString(), Not(HasSubstr(current)));
  }
}

TEST_F(SecurityTest, AWorkerCannotWriteCheckpointOrCompleteAnotherWorkersLease) {
  v1::Sweep sweep = Submit("stolen", 1);
  const std::string w1 = Register("w1");
  const std::string w2 = Register("w2");
  v1::ClaimJobsResponse claim = Claim("w1", w1, 1);
  ASSERT_EQ(claim.runs_size(), 1);
  const v1::LeaseRef stolen = Ref(claim.runs(0));  // w2 learnt w1's token
  const int64_t run_id = stolen.run_id();
  const std::vector<v1::Run> before = Runs(sweep.sweep_id());
  auto thief = Workers("w2");
  auto expect_denied = [&](const grpc::Status& status, const char* what) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << what;
    EXPECT_THAT(status.error_message(), Not(HasSubstr(stolen.lease_token()))) << what;
    ExpectNoSecret(status.error_message(), what);
  };

  v1::ReportMetricsRequest metrics;
  metrics.set_worker_id(w2);
  *metrics.add_leases() = stolen;
  v1::MetricPoint* p = metrics.add_points();
  p->set_run_id(run_id);
  p->set_metric("gen_acc");
  p->set_step(10);
  p->set_value(1.0);
  v1::ReportMetricsResponse ack;
  expect_denied(thief->ReportMetrics(Ctx().get(), metrics, &ack), "ReportMetrics");
  v1::ReportCheckpointRequest checkpoint;
  *checkpoint.mutable_lease() = stolen;
  checkpoint.set_step(10);
  checkpoint.set_path("/tmp/planted.pt");
  v1::ReportCheckpointResponse checkpointed;
  expect_denied(thief->ReportCheckpoint(Ctx().get(), checkpoint, &checkpointed),
                "ReportCheckpoint");
  v1::CompleteJobRequest complete;
  *complete.mutable_lease() = stolen;
  v1::CompleteJobResponse completed;
  expect_denied(thief->CompleteJob(Ctx().get(), complete, &completed), "CompleteJob");
  v1::FailJobRequest fail;
  *fail.mutable_lease() = stolen;
  v1::FailJobResponse failed;
  expect_denied(thief->FailJob(Ctx().get(), fail, &failed), "FailJob");
  v1::ReleaseJobRequest release;
  *release.mutable_lease() = stolen;
  v1::ReleaseJobResponse released;
  expect_denied(thief->ReleaseJob(Ctx().get(), release, &released), "ReleaseJob");
  v1::HeartbeatRequest beat;
  beat.set_worker_id(w2);
  *beat.add_leases() = stolen;
  v1::HeartbeatResponse beaten;
  ASSERT_TRUE(thief->Heartbeat(Ctx().get(), beat, &beaten).ok());
  EXPECT_EQ(beaten.renewed_run_ids_size(), 0);
  ASSERT_EQ(beaten.lost_run_ids_size(), 1);

  // Nor can it pose as w1: claims and heartbeats under w1's id, or re-registering it.
  v1::ClaimJobsRequest pose;
  pose.set_worker_id(w1);
  pose.set_max_runs(1);
  v1::ClaimJobsResponse posed;
  expect_denied(thief->ClaimJobs(Ctx().get(), pose, &posed), "ClaimJobs as w1");
  beat.set_worker_id(w1);
  expect_denied(thief->Heartbeat(Ctx().get(), beat, &beaten), "Heartbeat as w1");
  v1::RegisterWorkerRequest takeover;
  takeover.set_worker_id(w1);
  takeover.set_hostname("attacker");
  takeover.add_devices()->set_name("cpu");
  v1::RegisterWorkerResponse registered;
  expect_denied(thief->RegisterWorker(Ctx().get(), takeover, &registered), "RegisterWorker");
  // A worker id nobody registered cannot claim.
  pose.set_worker_id("w-ghost");
  grpc::Status ghost = thief->ClaimJobs(Ctx().get(), pose, &posed);
  EXPECT_EQ(ghost.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(ghost.error_message(), HasSubstr("not registered"));

  // Nothing changed: the run, its curves, the workers list.
  const std::vector<v1::Run> after = Runs(sweep.sweep_id());
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].SerializeAsString(), before[0].SerializeAsString());
  EXPECT_EQ(Points(run_id, "gen_acc"), 0u);
  v1::ListWorkersResponse workers;
  ASSERT_TRUE(Sweeps("rita")->ListWorkers(Ctx().get(), v1::ListWorkersRequest(), &workers).ok());
  for (const v1::Worker& w : workers.workers()) {
    if (w.worker_id() == w1) EXPECT_EQ(w.hostname(), "w1-host");
  }
  // The holder itself still writes and completes.
  metrics.set_worker_id(w1);
  ASSERT_TRUE(Workers("w1")->ReportMetrics(Ctx().get(), metrics, &ack).ok());
  ASSERT_TRUE(Workers("w1")->ReportCheckpoint(Ctx().get(), checkpoint, &checkpointed).ok());
  ASSERT_TRUE(Workers("w1")->CompleteJob(Ctx().get(), complete, &completed).ok());
  EXPECT_EQ(Runs(sweep.sweep_id())[0].state(), v1::RUN_STATE_SUCCEEDED);
}

TEST_F(SecurityTest, AuditRecordsWhoSubmittedCancelledAndRegistered) {
  v1::Sweep sweep = Submit("audited", 2);
  Register("w1");
  v1::CancelSweepRequest cancel;
  cancel.set_sweep_id(sweep.sweep_id());
  v1::CancelSweepResponse cancelled;
  ASSERT_TRUE(Sweeps("alice")->CancelSweep(Ctx().get(), cancel, &cancelled).ok());
  v1::ListAuditEventsResponse audit;
  ASSERT_TRUE(
      Sweeps("root")->ListAuditEvents(Ctx().get(), v1::ListAuditEventsRequest(), &audit).ok());
  ASSERT_EQ(audit.events_size(), 3);
  EXPECT_EQ(audit.events(0).actor(), "alice");
  EXPECT_EQ(audit.events(0).role(), "researcher");
  EXPECT_EQ(audit.events(0).action(), "submit_sweep");
  EXPECT_THAT(audit.events(0).target(), HasSubstr("audited"));
  EXPECT_EQ(audit.events(1).actor(), "w1");
  EXPECT_EQ(audit.events(1).action(), "register_worker");
  EXPECT_EQ(audit.events(2).actor(), "alice");
  EXPECT_EQ(audit.events(2).action(), "cancel_sweep");
  ExpectNoSecret(audit.SerializeAsString(), "the audit trail");

  std::string err, out;
  ASSERT_EQ(Sgctl({"--tls-ca", (*dir_ / "pki" / "ca.pem").string(), "--token-file",
                   TokenFileFor("root"), "--output", "json", "audit", "--limit", "2"},
                  &err, &out),
            0)
      << err;
  EXPECT_THAT(out, HasSubstr("\"register_worker\""));
  EXPECT_THAT(out, HasSubstr("\"cancel_sweep\""));
  EXPECT_THAT(out, Not(HasSubstr("submit_sweep")));
  // A researcher may not read it.
  EXPECT_EQ(Sgctl({"--tls-ca", (*dir_ / "pki" / "ca.pem").string(), "--token-file",
                   TokenFileFor("alice"), "audit"},
                  &err),
            1);
  EXPECT_THAT(err, HasSubstr("needs role admin"));
}

TEST_F(SecurityTest, TlsWithMakeCertsWorksAndFailuresSayWhatIsMissing) {
  const std::string ca = (*dir_ / "pki" / "ca.pem").string();
  const std::string token = TokenFileFor("rita");
  std::string err, out;
  // The handshake works with the make-certs.sh CA.
  ASSERT_EQ(Sgctl({"--tls-ca", ca, "--token-file", token, "sweeps"}, &err, &out), 0) << err;
  // A plaintext client against the TLS server.
  EXPECT_EQ(Sgctl({"--token-file", token, "sweeps"}, &err), 1);
  EXPECT_THAT(err, HasSubstr("cannot reach coordinator"));
  EXPECT_THAT(err, HasSubstr("pass --tls-ca"));
  ExpectNoSecret(err, "sgctl's message");
  // A client that does not have the coordinator's CA.
  EXPECT_EQ(Sgctl({"--tls-ca", (*dir_ / "other" / "ca.pem").string(), "--token-file", token,
                   "sweeps"},
                  &err),
            1);
  EXPECT_THAT(err, HasSubstr("TLS handshake"));
  EXPECT_THAT(err, HasSubstr("--tls-ca is the CA that signed"));
  // A token without the CA is refused before anything is sent.
  EXPECT_EQ(Sgctl({"--tls-ca", "/nonexistent/ca.pem", "sweeps"}, &err), 2);
  EXPECT_THAT(err, HasSubstr("--tls-ca /nonexistent/ca.pem: cannot read"));
  // In process: the plaintext channel fails as UNAVAILABLE, a TLS one succeeds.
  v1::ListSweepsResponse sweeps;
  ClientSecurity plain = Security("rita", "");
  auto plain_stub = v1::SweepService::NewStub(Channel(plain));
  EXPECT_EQ(plain_stub->ListSweeps(Ctx().get(), v1::ListSweepsRequest(), &sweeps).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(Sweeps("rita")->ListSweeps(Ctx().get(), v1::ListSweepsRequest(), &sweeps).ok());
}

TEST_F(SecurityTest, MutualTlsRefusesAClientWithoutACertificate) {
  StartServer(/*mutual=*/true);
  const std::string ca = (*dir_ / "pki" / "ca.pem").string();
  v1::ListSweepsResponse sweeps;
  auto no_cert = v1::SweepService::NewStub(Channel(Security("rita")));
  EXPECT_EQ(no_cert->ListSweeps(Ctx().get(), v1::ListSweepsRequest(), &sweeps).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  auto with_cert = v1::SweepService::NewStub(Channel(Security("rita", "pki", "alice")));
  grpc::Status ok = with_cert->ListSweeps(Ctx().get(), v1::ListSweepsRequest(), &sweeps);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  std::string err;
  EXPECT_EQ(Sgctl({"--tls-ca", ca, "--token-file", TokenFileFor("rita"), "sweeps"}, &err), 1);
  EXPECT_THAT(err, HasSubstr("pass --tls-cert and --tls-key"));
  EXPECT_EQ(Sgctl({"--tls-ca", ca, "--tls-cert", (*dir_ / "pki" / "client-alice.pem").string(),
                   "--tls-key", (*dir_ / "pki" / "client-alice.key").string(), "--token-file",
                   TokenFileFor("rita"), "sweeps"},
                  &err),
            0)
      << err;
}

TEST_F(SecurityTest, ReloadedTokenFileRevokesAndAdmitsTokens) {
  auto rita_stub = Sweeps("rita");
  v1::ListSweepsResponse sweeps;
  ASSERT_TRUE(rita_stub->ListSweeps(Ctx().get(), v1::ListSweepsRequest(), &sweeps).ok());
  absl::StatusOr<NewToken> fresh = CreateToken("rob", Role::kReader, SystemRandom());
  ASSERT_TRUE(fresh.ok());
  std::ofstream(token_file_) << fresh->line << "\n";  // rita's line is gone, rob's is new
  auto loaded = authorizer_->Reload();
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, 1u);
  EXPECT_EQ(rita_stub->ListSweeps(Ctx().get(), v1::ListSweepsRequest(), &sweeps).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto rob = v1::SweepService::NewStub(Channel(Security(fresh->token)));
  EXPECT_TRUE(rob->ListSweeps(Ctx().get(), v1::ListSweepsRequest(), &sweeps).ok());
  // A broken file keeps the tokens in force.
  std::ofstream(token_file_) << "rob reader not-a-hash\n";
  EXPECT_FALSE(authorizer_->Reload().ok());
  EXPECT_TRUE(rob->ListSweeps(Ctx().get(), v1::ListSweepsRequest(), &sweeps).ok());
}

}  // namespace
}  // namespace sg
