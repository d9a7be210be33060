// What an orchestrator and a Prometheus server see of the coordinator: the standard health check
// (NOT_SERVING on the health port while the database opens, SERVING once the coordinator
// serves), server reflection, and /metrics, scraped over HTTP and parsed, whose counters and gauges follow a
// tiny sweep driven through the real gRPC services (real SQLite file, ephemeral loopback ports).
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/metrics_http.h"
#include "common/prometheus_parse.h"
#include "coordinator/coordinator.h"
#include "coordinator/coordinator_metrics.h"
#include "coordinator/health_endpoint.h"
#include "coordinator/server.h"
#include "coordinator/sqlite_store.h"
#include "grpc_std/health.grpc.pb.h"
#include "grpc_std/reflection.pb.h"
#include "gtest/gtest.h"
#include "sg/v1/sg.grpc.pb.h"

namespace sg {
namespace {

using grpc::health::v1::HealthCheckResponse;

constexpr char kSpec[] = R"(name: tiny-ops
task: question_formation
grid:
  depth: [2]
seeds: 2
train:
  steps: 20
  eval_every: 10
)";

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(10);
}

// grpc.health.v1.Health/Check for `service`; UNKNOWN with the status text on an RPC error.
HealthCheckResponse::ServingStatus Check(const std::shared_ptr<grpc::Channel>& channel,
                                         const std::string& service, std::string* error) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&ctx, request, &response);
  if (!status.ok()) {
    *error = absl::StrCat(status.error_code(), ": ", status.error_message());
    return HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

// The services the server lists through reflection (one list_services round trip over a
// generic bidirectional stream).
std::set<std::string> ListServices(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  auto wait = [&cq](intptr_t want) {
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), want);
    return ok;
  };
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call = stub.PrepareCall(
      &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  EXPECT_TRUE(wait(1));
  grpc_std::reflection::ServerReflectionRequest request;
  request.set_list_services("*");
  grpc::Slice slice(request.SerializeAsString());
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  EXPECT_TRUE(wait(2));
  call->WritesDone(reinterpret_cast<void*>(3));
  EXPECT_TRUE(wait(3));
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(4));
  const bool got = wait(4);
  std::set<std::string> names;
  if (got) {
    std::vector<grpc::Slice> slices;
    EXPECT_TRUE(in.Dump(&slices).ok());
    std::string bytes;
    for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    grpc_std::reflection::ServerReflectionResponse response;
    EXPECT_TRUE(response.ParseFromString(bytes));
    for (const auto& service : response.list_services_response().service()) {
      names.insert(service.name());
    }
  }
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  wait(5);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return names;
}

class OperabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("sg_operability_test_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string db_path() const { return (dir_ / "coordinator.db").string(); }
  std::filesystem::path dir_;
};

TEST_F(OperabilityTest, HealthIsNotServingBeforeTheDatabaseOpensThenServing) {
  // sg-coordinator's order: the health port first, then the database, then the main port.
  HealthEndpoint endpoint;
  ASSERT_TRUE(endpoint.Start("127.0.0.1:0").ok());
  auto health = grpc::CreateChannel(absl::StrCat("127.0.0.1:", endpoint.port()),
                                    grpc::InsecureChannelCredentials());
  ASSERT_FALSE(std::filesystem::exists(db_path()));  // not even created yet
  std::string error;
  EXPECT_EQ(Check(health, "", &error), HealthCheckResponse::NOT_SERVING) << error;
  EXPECT_EQ(Check(health, "sg.v1.WorkerService", &error), HealthCheckResponse::NOT_SERVING)
      << error;
  EXPECT_EQ(Check(health, "sg.v1.SweepService", &error), HealthCheckResponse::NOT_SERVING)
      << error;

  auto store = SqliteStore::Open(db_path());
  ASSERT_TRUE(store.ok()) << store.status();
  Coordinator coordinator(store->get(), RealClock::Get(), CoordinatorOptions{});
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  CoordinatorServer server(&coordinator, options);
  ASSERT_TRUE(server.Start().ok());
  endpoint.SetServing(true);
  EXPECT_EQ(Check(health, "", &error), HealthCheckResponse::SERVING) << error;

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.port()),
                                     grpc::InsecureChannelCredentials());
  EXPECT_EQ(Check(channel, "", &error), HealthCheckResponse::SERVING) << error;
  EXPECT_EQ(Check(channel, "sg.v1.WorkerService", &error), HealthCheckResponse::SERVING) << error;
  EXPECT_EQ(Check(channel, "sg.v1.SweepService", &error), HealthCheckResponse::SERVING) << error;
  // An unknown service name is an error (NOT_FOUND), not a silent SERVING.
  EXPECT_EQ(Check(channel, "no.such.Service", &error), HealthCheckResponse::UNKNOWN);

  std::set<std::string> services = ListServices(channel);
  for (const char* want : {"sg.v1.SweepService", "sg.v1.WorkerService", "grpc.health.v1.Health",
                           "grpc.reflection.v1alpha.ServerReflection"}) {
    EXPECT_TRUE(services.count(want)) << want << " not listed by reflection";
  }
  EXPECT_TRUE(ListServices(health).count("grpc.health.v1.Health"));

  // Shutting down: NOT_SERVING before the port closes.
  endpoint.SetServing(false);
  EXPECT_EQ(Check(health, "", &error), HealthCheckResponse::NOT_SERVING) << error;
  server.Shutdown(0);
}

TEST_F(OperabilityTest, PlaintextHealthEndpointMirrorsTheCoordinator) {
  HealthEndpoint endpoint;
  ASSERT_TRUE(endpoint.Start("127.0.0.1:0").ok());
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", endpoint.port()),
                                     grpc::InsecureChannelCredentials());
  std::string error;
  EXPECT_EQ(Check(channel, "", &error), HealthCheckResponse::NOT_SERVING) << error;
  endpoint.SetServing(true);
  EXPECT_EQ(Check(channel, "", &error), HealthCheckResponse::SERVING) << error;
  EXPECT_EQ(Check(channel, "sg.v1.WorkerService", &error), HealthCheckResponse::SERVING) << error;
  // Nothing but health (and reflection) is served there.
  auto sweeps = v1::SweepService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  v1::ListSweepsResponse listed;
  EXPECT_EQ(sweeps->ListSweeps(&ctx, v1::ListSweepsRequest(), &listed).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  endpoint.SetServing(false);
  EXPECT_EQ(Check(channel, "", &error), HealthCheckResponse::NOT_SERVING) << error;
}

TEST_F(OperabilityTest, MetricsFollowATinySweep) {
  FakeClock clock;
  auto store = SqliteStore::Open(db_path());
  ASSERT_TRUE(store.ok()) << store.status();
  CoordinatorOptions coordinator_options;
  coordinator_options.policy.lease_ms = 10'000;
  Coordinator coordinator(store->get(), &clock, coordinator_options);
  CoordinatorMetrics metrics(db_path(), &clock);
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.metrics = &metrics;
  options.expiry_scan_ms = 3'600'000;  // the test expires leases itself
  CoordinatorServer server(&coordinator, options);
  ASSERT_TRUE(server.Start().ok());
  MetricsHttpServer http([&] { return metrics.Render(&coordinator); });
  ASSERT_TRUE(http.Start("127.0.0.1:0").ok());

  auto scrape = [&] {
    absl::StatusOr<std::string> body = ScrapeMetrics("127.0.0.1", http.port());
    EXPECT_TRUE(body.ok()) << body.status();
    absl::StatusOr<ParsedExposition> parsed = ParseExposition(body.ok() ? *body : "");
    EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << (body.ok() ? *body : "");
    return parsed.ok() ? *parsed : ParsedExposition{};
  };

  ParsedExposition before = scrape();
  EXPECT_EQ(before.types["sg_coordinator_runs"], "gauge");
  EXPECT_EQ(before.types["sg_coordinator_rpc_latency_seconds"], "histogram");
  EXPECT_EQ(before.Sum("sg_coordinator_points_acknowledged_total"), 0);
  EXPECT_GT(before.Sum("sg_coordinator_database_bytes"), 0);

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.port()),
                                     grpc::InsecureChannelCredentials());
  auto sweeps = v1::SweepService::NewStub(channel);
  auto workers = v1::WorkerService::NewStub(channel);
  auto ctx = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(Deadline());
    return c;
  };
  v1::SubmitSweepRequest submit;
  submit.set_spec_yaml(kSpec);
  submit.set_source_name("tiny.yaml");
  v1::SubmitSweepResponse submitted;
  ASSERT_TRUE(sweeps->SubmitSweep(ctx().get(), submit, &submitted).ok());

  ParsedExposition queued = scrape();
  EXPECT_EQ(queued.Sum("sg_coordinator_runs", {"state=\"queued\""}), 2);
  EXPECT_EQ(queued.Sum("sg_coordinator_workers_online"), 0);

  v1::RegisterWorkerRequest reg;
  reg.set_hostname("host-a");
  reg.add_devices()->set_name("cpu");
  v1::RegisterWorkerResponse registered;
  ASSERT_TRUE(workers->RegisterWorker(ctx().get(), reg, &registered).ok());
  v1::ClaimJobsRequest claim;
  claim.set_worker_id(registered.worker_id());
  claim.set_max_runs(2);
  v1::ClaimJobsResponse pack;
  ASSERT_TRUE(workers->ClaimJobs(ctx().get(), claim, &pack).ok());
  ASSERT_EQ(pack.runs_size(), 2);

  v1::ReportMetricsRequest report;
  report.set_worker_id(registered.worker_id());
  for (const v1::ClaimedRun& run : pack.runs()) {
    v1::LeaseRef* lease = report.add_leases();
    lease->set_run_id(run.run().run_id());
    lease->set_lease_token(run.lease_token());
    for (int step : {10, 20}) {
      v1::MetricPoint* p = report.add_points();
      p->set_run_id(run.run().run_id());
      p->set_metric("val_acc");
      p->set_step(step);
      p->set_value(0.5);
    }
  }
  v1::ReportMetricsResponse reported;
  ASSERT_TRUE(workers->ReportMetrics(ctx().get(), report, &reported).ok());

  ParsedExposition running = scrape();
  EXPECT_EQ(running.Sum("sg_coordinator_runs", {"state=\"running\""}), 2);
  EXPECT_EQ(running.Sum("sg_coordinator_leases_held"), 2);
  EXPECT_EQ(running.Sum("sg_coordinator_workers_online"), 1);
  EXPECT_EQ(running.Sum("sg_coordinator_points_acknowledged_total"), 4);
  EXPECT_EQ(running.Sum("sg_coordinator_ack_latency_seconds_count"), 1);
  EXPECT_EQ(running.Sum("sg_coordinator_rpcs_total", {"method=\"ClaimJobs\"", "code=\"OK\""}), 1);
  EXPECT_EQ(running.Sum("sg_coordinator_rpc_latency_seconds_count", {"method=\"SubmitSweep\""}), 1);

  // A refused write is counted under its code, and acknowledges nothing.
  v1::ReportMetricsRequest forged = report;
  forged.mutable_leases(0)->set_lease_token("not-the-token");
  forged.mutable_leases(1)->set_lease_token("not-the-token");
  EXPECT_FALSE(workers->ReportMetrics(ctx().get(), forged, &reported).ok());

  // The first run completes; the second one's lease expires (the worker "died").
  v1::CompleteJobRequest complete;
  complete.mutable_lease()->set_run_id(pack.runs(0).run().run_id());
  complete.mutable_lease()->set_lease_token(pack.runs(0).lease_token());
  // Before the first evaluation step (10), so CompleteJob asks for no evaluation metrics.
  complete.set_final_step(5);
  v1::CompleteJobResponse completed;
  ASSERT_TRUE(workers->CompleteJob(ctx().get(), complete, &completed).ok());
  clock.AdvanceMillis(10'001);
  ParsedExposition overdue = scrape();
  EXPECT_EQ(overdue.Sum("sg_coordinator_leases_overdue"), 1);
  EXPECT_EQ(overdue.Sum("sg_coordinator_workers_online"), 0);
  absl::StatusOr<int64_t> expired = coordinator.RequeueExpired();
  ASSERT_TRUE(expired.ok());
  metrics.AddLeasesExpired(*expired);

  ParsedExposition after = scrape();
  EXPECT_EQ(after.Sum("sg_coordinator_runs", {"state=\"succeeded\""}), 1);
  EXPECT_EQ(after.Sum("sg_coordinator_runs", {"state=\"queued\""}), 1);
  EXPECT_EQ(after.Sum("sg_coordinator_leases_expired_total"), 1);
  EXPECT_EQ(after.Sum("sg_coordinator_points_acknowledged_total"), 4);
  EXPECT_GE(after.Sum("sg_coordinator_rpcs_total",
                      {"method=\"ReportMetrics\"", "code=\"FAILED_PRECONDITION\""}) +
                after.Sum("sg_coordinator_rpcs_total",
                          {"method=\"ReportMetrics\"", "code=\"PERMISSION_DENIED\""}) +
                after.Sum("sg_coordinator_rpcs_total",
                          {"method=\"ReportMetrics\"", "code=\"INVALID_ARGUMENT\""}),
            1);
  EXPECT_EQ(after.Sum("sg_coordinator_rpcs_total", {"method=\"CompleteJob\"", "code=\"OK\""}), 1);

  http.Stop();
  server.Shutdown(0);
}

}  // namespace
}  // namespace sg
