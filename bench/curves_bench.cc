// Curves benchmark (prints numbers; not a test). Fills a real coordinator's SQLite store with
// the paper's shape of data: 5 depths x 10 seeds, 100 evaluation points of 10 metrics per run,
// plus per-step train_loss (300k points per run by default). Then, over gRPC on loopback, times
// a grouped median/IQR query (GetCurves aggregate by depth), a downsampled single long curve,
// and the report (GetReport), each repeated; prints p50/p99.
//
//   sg-curves-bench [--train-loss-points 300000] [--repeats 100] [--dir DIR] [--sgctl PATH]
#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
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

ABSL_FLAG(int64_t, train_loss_points, 300000, "per-step train_loss points per run");
ABSL_FLAG(int, repeats, 100, "times each query is repeated");
ABSL_FLAG(std::string, dir, "", "folder for the database (default: a fresh temp folder)");
ABSL_FLAG(std::string, sgctl, "", "also time `sgctl report` as a process (path of the sgctl binary)");

namespace {

using Clock = std::chrono::steady_clock;

struct Timing {
  double p50 = 0, p99 = 0, max = 0;
};

template <typename F>
Timing Time(int repeats, F&& call) {
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    auto t0 = Clock::now();
    if (!call()) {
      std::fprintf(stderr, "query failed\n");
      std::exit(1);
    }
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, size_t(q * (ms.size() - 1) + 0.5))]; };
  return Timing{at(0.5), at(0.99), ms.back()};
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return ctx;
}

}  // namespace

int main(int argc, char** argv) {
  sg::DashedArgv dashed(argc, argv);
  absl::ParseCommandLine(dashed.argc(), dashed.argv());
  const int64_t train_points = absl::GetFlag(FLAGS_train_loss_points);
  const int repeats = absl::GetFlag(FLAGS_repeats);
  std::filesystem::path dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) {
    dir = std::filesystem::temp_directory_path() / absl::StrCat("sg_curves_bench_", getpid());
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = sg::SqliteStore::Open((dir / "coordinator.db").string());
  if (!store.ok()) return 1;
  sg::CoordinatorOptions options;
  options.policy.lease_ms = 3'600'000;
  sg::Coordinator coordinator(store->get(), sg::RealClock::Get(), options);

  auto submitted = coordinator.SubmitSweep(
      "name: bench\ntask: question_formation\ngrid:\n  depth: [2, 4, 6, 8, 10]\nseeds: 10\n",
      "bench.yaml", sg::Caller{});
  if (!submitted.ok()) return 1;
  const int64_t sweep_id = submitted->sweep.sweep_id;

  // --- Load: claim every pack and write its points straight into the store.
  const auto load_start = Clock::now();
  int64_t loaded = 0;
  const char* kMetrics[] = {"val_loss", "test_loss", "val_acc",      "gen_acc", "weight_norm",
                            "attn_entropy", "lr",    "grad_norm", "train_loss_eval", "weight_norm_ref"};
  sg::WorkerRecord bench_worker;
  bench_worker.worker_id = "bench-worker";
  bench_worker.devices.push_back(sg::WorkerDevice{"cpu", 0, 1});
  if (!coordinator.RegisterWorker(bench_worker, sg::Caller{}).ok()) return 1;
  for (int pack = 0; pack < 5; ++pack) {
    auto claim = coordinator.ClaimJobs("bench-worker", 10, sg::Caller{});
    if (!claim.ok() || claim->runs.size() != 10) return 1;
    for (const sg::RunRecord& run : claim->runs) {
      std::vector<sg::Lease> leases = {{run.run_id, run.lease_token, run.lease_holder}};
      std::vector<sg::MetricPointRecord> points;
      for (int e = 1; e <= 100; ++e) {
        for (const char* metric : kMetrics) {
          double value = (std::string(metric) == "gen_acc" && e > 30 + run.seed * 5) ? 0.95 : 0.3;
          points.push_back({run.run_id, metric, e * 3000, value});
        }
      }
      for (int64_t step = 1; step <= train_points; ++step) {
        points.push_back({run.run_id, "train_loss", step, 1.0 / step});
        if (points.size() >= 100000) {
          if (!coordinator.RecordMetrics(leases, points).ok()) return 1;
          loaded += points.size();
          points.clear();
        }
      }
      if (!coordinator.RecordMetrics(leases, points).ok()) return 1;
      loaded += points.size();
      if (!coordinator.CompleteJob(leases[0], 300000).ok()) return 1;
    }
  }
  const double load_s = std::chrono::duration<double>(Clock::now() - load_start).count();
  std::printf("load: %lld points into SQLite in %.1f s (%.0f points/s)\n",
              static_cast<long long>(loaded), load_s, loaded / load_s);

  sg::ServerOptions server_options;
  server_options.listen = "127.0.0.1:0";
  sg::CoordinatorServer server(&coordinator, server_options);
  if (!server.Start().ok()) return 1;
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server.port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = sg::v1::SweepService::NewStub(channel);

  sg::v1::GetCurvesRequest grouped;
  grouped.set_sweep_id(sweep_id);
  grouped.set_metric("gen_acc");
  grouped.add_group_by("depth");
  Timing g = Time(repeats, [&] {
    sg::v1::GetCurvesResponse response;
    return stub->GetCurves(Ctx().get(), grouped, &response).ok() && response.aggregates_size() == 5;
  });
  std::printf("grouped median/IQR query (gen_acc, 5 depths x 10 seeds x 100 points): "
              "p50 %.2f ms, p99 %.2f ms\n", g.p50, g.p99);

  sg::v1::GetCurvesRequest single;
  single.set_run_id(1);
  single.set_metric("train_loss");
  single.set_max_points(1000);
  single.set_log_steps(true);
  Timing s = Time(std::max(10, repeats / 10), [&] {
    sg::v1::GetCurvesResponse response;
    return stub->GetCurves(Ctx().get(), single, &response).ok() && response.curves_size() == 1;
  });
  std::printf("downsampled single curve (%lld train_loss points -> <= 1000, log buckets): "
              "p50 %.2f ms, p99 %.2f ms\n", static_cast<long long>(train_points), s.p50, s.p99);

  sg::v1::GetReportRequest report;
  report.set_sweep_id(sweep_id);
  report.add_group_by("depth");
  Timing r = Time(repeats, [&] {
    sg::v1::GetReportResponse response;
    return stub->GetReport(Ctx().get(), report, &response).ok() && response.rows_size() == 5;
  });
  std::printf("report (GetReport, 50 runs): p50 %.2f ms, p99 %.2f ms\n", r.p50, r.p99);

  const std::string sgctl = absl::GetFlag(FLAGS_sgctl);
  if (!sgctl.empty()) {
    const std::string command = absl::StrCat(sgctl, " --coordinator 127.0.0.1:", server.port(),
                                             " report ", sweep_id, " > /dev/null");
    Timing p = Time(std::max(5, repeats / 10), [&] { return std::system(command.c_str()) == 0; });
    std::printf("sgctl report (whole process, 50 runs): p50 %.2f ms, p99 %.2f ms\n", p.p50, p.p99);
  }
  server.Shutdown(1000);
  std::filesystem::remove_all(dir);
  return 0;
}
