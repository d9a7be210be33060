// Ingest benchmark (prints numbers; not a test). A real coordinator (gRPC server + SQLite file)
// on loopback; N simulated workers, each on its own connection, stream metric points for a
// fixed time. Prints acknowledged points/s. Then registers many workers and measures the
// latency of ClaimJobs (p50/p99) while a large sweep is queued.
//
//   sg-ingest-bench [--workers 64] [--seconds 10] [--batch 2000] [--claim-workers 1000]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/flag_names.h"
#include "coordinator/coordinator.h"
#include "coordinator/server.h"
#include "coordinator/sqlite_store.h"
#include "sg/v1/sg.grpc.pb.h"

ABSL_FLAG(int, workers, 64, "concurrent simulated workers streaming points");
ABSL_FLAG(double, seconds, 10, "how long to stream");
ABSL_FLAG(int, batch, 2000, "points per ReportMetrics call");
ABSL_FLAG(int, claim_workers, 1000, "registered workers for the claim-latency phase");
ABSL_FLAG(int, claims, 1000, "ClaimJobs calls timed in the claim-latency phase");
ABSL_FLAG(std::string, dir, "", "folder for the database (default: a fresh temp folder)");

namespace {

using Clock = std::chrono::steady_clock;

std::unique_ptr<grpc::ClientContext> Ctx(int seconds) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

std::string SweepSpec(const std::string& name, int cells, int seeds) {
  std::string depths;
  for (int i = 1; i <= cells; ++i) absl::StrAppend(&depths, i == 1 ? "" : ", ", i);
  // batch_size, not depth: depth is bounded at 64 (sweep_spec.h) and the claim phase has 100.
  return absl::StrCat("name: ", name, "\ntask: dyck\ngrid:\n  batch_size: [", depths, "]\nseeds: ",
                      seeds, "\n");
}

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  sg::DashedArgv dashed(argc, argv);
  absl::ParseCommandLine(dashed.argc(), dashed.argv());
  const int num_workers = absl::GetFlag(FLAGS_workers);
  const int batch = absl::GetFlag(FLAGS_batch);
  std::filesystem::path dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) {
    dir = std::filesystem::temp_directory_path() / absl::StrCat("sg_ingest_bench_", getpid());
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  auto store = sg::SqliteStore::Open((dir / "coordinator.db").string());
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  sg::CoordinatorOptions options;
  options.policy.lease_ms = 600'000;
  options.max_runs_per_sweep = 100'000;
  sg::Coordinator coordinator(store->get(), sg::RealClock::Get(), options);
  sg::ServerOptions server_options;
  server_options.listen = "127.0.0.1:0";
  sg::CoordinatorServer server(&coordinator, server_options);
  if (!server.Start().ok()) return 1;
  const std::string target = absl::StrCat("127.0.0.1:", server.port());

  // --- Phase 1: streaming.
  {
    auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
    auto stub = sg::v1::SweepService::NewStub(channel);
    sg::v1::SubmitSweepRequest request;
    request.set_spec_yaml(SweepSpec("ingest", num_workers, 1));
    sg::v1::SubmitSweepResponse response;
    grpc::Status status = stub->SubmitSweep(Ctx(30).get(), request, &response);
    if (!status.ok()) {
      std::fprintf(stderr, "submit: %s\n", status.error_message().c_str());
      return 1;
    }
  }
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> errors{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < num_workers; ++w) {
    threads.emplace_back([&, w] {
      grpc::ChannelArguments args;
      args.SetInt("grpc.use_local_subchannel_pool", 1);  // one connection per simulated worker
      auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
      auto stub = sg::v1::WorkerService::NewStub(channel);
      sg::v1::RegisterWorkerRequest reg;
      reg.set_hostname(absl::StrCat("bench-", w));
      reg.add_devices()->set_name("cpu");
      sg::v1::RegisterWorkerResponse registered;
      if (!stub->RegisterWorker(Ctx(10).get(), reg, &registered).ok()) return void(++errors);
      sg::v1::ClaimJobsRequest claim;
      claim.set_worker_id(registered.worker_id());
      claim.set_max_runs(1);
      sg::v1::ClaimJobsResponse claimed;
      if (!stub->ClaimJobs(Ctx(10).get(), claim, &claimed).ok() || claimed.runs_size() != 1) {
        return void(++errors);
      }
      const sg::v1::ClaimedRun& run = claimed.runs(0);
      static const char* kMetrics[] = {"train_loss", "val_loss", "test_loss", "val_acc",
                                       "gen_acc",    "weight_norm", "attn_entropy", "lr",
                                       "grad_norm",  "extra"};
      sg::v1::ReportMetricsRequest report;
      report.set_worker_id(registered.worker_id());
      sg::v1::LeaseRef* lease = report.add_leases();
      lease->set_run_id(run.run().run_id());
      lease->set_lease_token(run.lease_token());
      int64_t step = 0;
      while (!stop.load()) {
        report.clear_points();
        for (int i = 0; i < batch; ++i) {
          sg::v1::MetricPoint* p = report.add_points();
          p->set_run_id(run.run().run_id());
          p->set_metric(kMetrics[i % 10]);
          p->set_step(step + i / 10);
          p->set_value(1.0 / (1 + step + i));
        }
        step += (batch + 9) / 10;
        sg::v1::ReportMetricsResponse ack;
        grpc::Status status = stub->ReportMetrics(Ctx(30).get(), report, &ack);
        if (!status.ok()) {
          ++errors;
          continue;
        }
        acked += ack.accepted_points();
      }
    });
  }
  // Measure over a window that starts after every worker has connected and claimed.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const int64_t acked_at_start = acked.load();
  const auto start = Clock::now();
  std::this_thread::sleep_for(
      std::chrono::milliseconds(static_cast<int64_t>(absl::GetFlag(FLAGS_seconds) * 1000)));
  const int64_t acked_in_window = acked.load() - acked_at_start;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  for (auto& t : threads) t.join();
  std::printf("ingest: %d workers, batch %d, %.1f s: %lld points acknowledged, %.0f points/s, "
              "%lld errors\n",
              num_workers, batch, elapsed, static_cast<long long>(acked_in_window),
              acked_in_window / elapsed, static_cast<long long>(errors.load()));

  // --- Phase 2: claim latency with many registered workers and a large queue.
  const int claim_workers = absl::GetFlag(FLAGS_claim_workers);
  const int claims = absl::GetFlag(FLAGS_claims);
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto sweeps = sg::v1::SweepService::NewStub(channel);
  auto workers = sg::v1::WorkerService::NewStub(channel);
  {
    sg::v1::SubmitSweepRequest request;
    request.set_spec_yaml(SweepSpec("claims", 100, std::max(1, claims / 100 + 1)));
    sg::v1::SubmitSweepResponse response;
    grpc::Status status = sweeps->SubmitSweep(Ctx(60).get(), request, &response);
    if (!status.ok()) {
      std::fprintf(stderr, "submit: %s\n", status.error_message().c_str());
      return 1;
    }
  }
  std::vector<std::string> ids;
  for (int w = 0; w < claim_workers; ++w) {
    sg::v1::RegisterWorkerRequest reg;
    reg.set_hostname(absl::StrCat("claimer-", w));
    reg.add_devices()->set_name("cpu");
    sg::v1::RegisterWorkerResponse registered;
    if (!workers->RegisterWorker(Ctx(10).get(), reg, &registered).ok()) return 1;
    ids.push_back(registered.worker_id());
  }
  std::vector<double> latencies_ms;
  int64_t claimed_runs = 0;
  for (int i = 0; i < claims; ++i) {
    sg::v1::ClaimJobsRequest claim;
    claim.set_worker_id(ids[i % ids.size()]);
    claim.set_max_runs(1);
    sg::v1::ClaimJobsResponse response;
    const auto t0 = Clock::now();
    grpc::Status status = workers->ClaimJobs(Ctx(10).get(), claim, &response);
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (!status.ok()) return 1;
    claimed_runs += response.runs_size();
  }
  std::printf("claim: %d registered workers, %d claims (%lld runs): p50 %.2f ms, p99 %.2f ms, "
              "max %.2f ms\n",
              claim_workers, claims, static_cast<long long>(claimed_runs),
              Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.99),
              *std::max_element(latencies_ms.begin(), latencies_ms.end()));
  server.Shutdown(1000);
  std::filesystem::remove_all(dir);
  return 0;
}
