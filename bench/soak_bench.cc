// Soak benchmark (prints numbers; not a test). A real sg-coordinator process (SQLite file,
// loopback port) under N streaming workers (each its own connection, registered, holding one
// run, sending metric batches and heartbeats) plus Q query threads doing what sgctl does
// (ListSweeps, ListRuns, ListWorkers, a downsampled run curve, a grouped aggregate) for a set
// time. Prints acknowledged points/s, query latency p50/p99 per kind, the coordinator's
// resident memory over time (from /proc), and lost points: every acknowledged point is read
// back at the end (GetCurves, paged) and counted.
//
//   sg-soak-bench [--workers 64] [--queriers 4] [--seconds 60] [--batch 500]
//                 [--coordinator PATH (default: sg-coordinator beside this binary)]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "common/flag_names.h"
#include "common/message_limits.h"
#include "sg/v1/sg.grpc.pb.h"

ABSL_FLAG(int, workers, 64, "concurrent streaming workers");
ABSL_FLAG(int, queriers, 4, "concurrent sgctl-style query threads");
ABSL_FLAG(double, seconds, 60, "how long to run");
ABSL_FLAG(int, batch, 500, "points per ReportMetrics call");
ABSL_FLAG(std::string, coordinator, "", "sg-coordinator binary (default: beside this binary)");
ABSL_FLAG(std::string, dir, "", "folder for the database (default: a fresh temp folder)");

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::unique_ptr<grpc::ClientContext> Ctx(int seconds) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

std::shared_ptr<grpc::Channel> Channel(const std::string& target, bool own_connection) {
  grpc::ChannelArguments args;
  if (own_connection) args.SetInt("grpc.use_local_subchannel_pool", 1);
  args.SetMaxReceiveMessageSize(sg::kMaxMessageBytes);
  args.SetMaxSendMessageSize(sg::kMaxRequestBytes);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

int64_t ResidentKiB(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))];
}

constexpr const char* kMetrics[] = {"train_loss", "val_loss", "val_acc", "gen_acc", "lr"};

}  // namespace

int main(int argc, char** argv) {
  sg::DashedArgv dashed(argc, argv);
  absl::ParseCommandLine(dashed.argc(), dashed.argv());
  const int num_workers = absl::GetFlag(FLAGS_workers);
  const int num_queriers = absl::GetFlag(FLAGS_queriers);
  const int batch = absl::GetFlag(FLAGS_batch);
  std::string binary = absl::GetFlag(FLAGS_coordinator);
  if (binary.empty()) binary = (fs::read_symlink("/proc/self/exe").parent_path() / "sg-coordinator").string();
  fs::path dir = absl::GetFlag(FLAGS_dir);
  if (dir.empty()) dir = fs::temp_directory_path() / absl::StrCat("sg_soak_bench_", getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);

  const fs::path port_file = dir / "port";
  const pid_t coordinator = fork();
  if (coordinator == 0) {
    const std::string db = (dir / "coordinator.db").string(), port = port_file.string();
    freopen((dir / "coordinator.log").c_str(), "w", stderr);
    execl(binary.c_str(), binary.c_str(), "--listen", "127.0.0.1:0", "--db", db.c_str(),
          "--lease-seconds", "600", "--port-file", port.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200 && !fs::exists(port_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!fs::exists(port_file)) {
    std::fprintf(stderr, "soak: %s did not start (see %s)\n", binary.c_str(),
                 (dir / "coordinator.log").c_str());
    return 1;
  }
  std::string port;
  std::ifstream(port_file) >> port;
  const std::string target = absl::StrCat("127.0.0.1:", port);

  int64_t sweep_id = 0;
  {
    auto stub = sg::v1::SweepService::NewStub(Channel(target, false));
    std::string depths;
    for (int i = 1; i <= 4; ++i) absl::StrAppend(&depths, i == 1 ? "" : ", ", i);
    sg::v1::SubmitSweepRequest request;
    request.set_spec_yaml(absl::StrCat("name: soak\ntask: dyck\ngrid: {depth: [", depths,
                                       "]}\nseeds: ", (num_workers + 3) / 4, "\n"));
    sg::v1::SubmitSweepResponse response;
    grpc::Status status = stub->SubmitSweep(Ctx(30).get(), request, &response);
    if (!status.ok()) {
      std::fprintf(stderr, "submit: %s\n", status.error_message().c_str());
      return 1;
    }
    sweep_id = response.sweep().sweep_id();
  }

  std::atomic<bool> stop{false};
  std::atomic<int64_t> acked{0}, errors{0};
  std::mutex mu;
  std::map<int64_t, int64_t> acked_by_run;  // run -> points acknowledged
  std::vector<std::thread> threads;
  for (int w = 0; w < num_workers; ++w) {
    threads.emplace_back([&, w] {
      auto stub = sg::v1::WorkerService::NewStub(Channel(target, true));
      sg::v1::RegisterWorkerRequest reg;
      reg.set_hostname(absl::StrCat("soak-", w));
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
      const int64_t run_id = claimed.runs(0).run().run_id();
      sg::v1::LeaseRef lease;
      lease.set_run_id(run_id);
      lease.set_lease_token(claimed.runs(0).lease_token());
      int64_t step = 0, mine = 0;
      auto last_heartbeat = Clock::now();
      while (!stop.load()) {
        sg::v1::ReportMetricsRequest report;
        report.set_worker_id(registered.worker_id());
        *report.add_leases() = lease;
        for (int i = 0; i < batch; ++i) {
          sg::v1::MetricPoint* p = report.add_points();
          p->set_run_id(run_id);
          p->set_metric(kMetrics[i % 5]);
          p->set_step(step + i / 5 + 1);
          p->set_value(1.0 / (2 + step + i));
        }
        sg::v1::ReportMetricsResponse ack;
        grpc::Status status = stub->ReportMetrics(Ctx(30).get(), report, &ack);
        if (!status.ok()) {
          ++errors;  // resent as is next time round (same keys): at-least-once, as the worker
          continue;
        }
        step += (batch + 4) / 5;
        acked += ack.accepted_points();
        mine += ack.accepted_points();
        if (Clock::now() - last_heartbeat > std::chrono::seconds(5)) {
          sg::v1::HeartbeatRequest hb;
          hb.set_worker_id(registered.worker_id());
          *hb.add_leases() = lease;
          sg::v1::RunProgress* progress = hb.add_progress();
          *progress->mutable_lease() = lease;
          progress->set_step(step);
          sg::v1::HeartbeatResponse hb_reply;
          if (!stub->Heartbeat(Ctx(10).get(), hb, &hb_reply).ok()) ++errors;
          last_heartbeat = Clock::now();
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      acked_by_run[run_id] += mine;
    });
  }

  std::map<std::string, std::vector<double>> latencies;  // kind -> ms
  for (int q = 0; q < num_queriers; ++q) {
    threads.emplace_back([&, q] {
      auto stub = sg::v1::SweepService::NewStub(Channel(target, true));
      std::map<std::string, std::vector<double>> mine;
      for (int i = q; !stop.load(); ++i) {
        const auto t0 = Clock::now();
        grpc::Status status;
        std::string kind;
        switch (i % 5) {
          case 0: {
            kind = "ListSweeps";
            sg::v1::ListSweepsResponse r;
            status = stub->ListSweeps(Ctx(10).get(), sg::v1::ListSweepsRequest(), &r);
            break;
          }
          case 1: {
            kind = "ListRuns";
            sg::v1::ListRunsRequest req;
            req.set_sweep_id(sweep_id);
            sg::v1::ListRunsResponse r;
            status = stub->ListRuns(Ctx(10).get(), req, &r);
            break;
          }
          case 2: {
            kind = "ListWorkers";
            sg::v1::ListWorkersResponse r;
            status = stub->ListWorkers(Ctx(10).get(), sg::v1::ListWorkersRequest(), &r);
            break;
          }
          case 3: {
            kind = "GetCurves(run, 500 points)";
            sg::v1::GetCurvesRequest req;
            req.set_run_id(1 + i % std::max(1, num_workers));
            req.set_metric("train_loss");
            req.set_max_points(500);
            sg::v1::GetCurvesResponse r;
            status = stub->GetCurves(Ctx(30).get(), req, &r);
            break;
          }
          case 4: {
            kind = "GetCurves(sweep, by depth, 500 points)";
            sg::v1::GetCurvesRequest req;
            req.set_sweep_id(sweep_id);
            req.set_metric("val_acc");
            req.set_max_points(500);
            req.set_aggregate(true);
            req.add_group_by("depth");
            sg::v1::GetCurvesResponse r;
            status = stub->GetCurves(Ctx(30).get(), req, &r);
            break;
          }
        }
        if (!status.ok()) ++errors;
        mine[kind].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
      std::lock_guard<std::mutex> lock(mu);
      for (auto& [kind, v] : mine) latencies[kind].insert(latencies[kind].end(), v.begin(), v.end());
    });
  }

  // Memory over time: one sample a second, a line every tenth of the run.
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const auto start = Clock::now();
  std::vector<std::pair<double, int64_t>> memory;
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    memory.emplace_back(std::chrono::duration<double>(Clock::now() - start).count(),
                        ResidentKiB(coordinator));
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  for (auto& t : threads) t.join();
  const int64_t total = acked.load();

  // Lost points: every acknowledged point must be stored (read back page by page).
  auto stub = sg::v1::SweepService::NewStub(Channel(target, false));
  int64_t stored = 0, pages = 0;
  for (const char* metric : kMetrics) {
    sg::v1::GetCurvesRequest req;
    req.set_sweep_id(sweep_id);
    req.set_metric(metric);
    while (true) {
      sg::v1::GetCurvesResponse r;
      grpc::Status status = stub->GetCurves(Ctx(120).get(), req, &r);
      if (!status.ok()) {
        std::fprintf(stderr, "read back: %s\n", status.error_message().c_str());
        return 1;
      }
      ++pages;
      for (const auto& c : r.curves()) stored += c.points_size();
      if (r.next_start_step() == 0) break;
      req.set_start_step(r.next_start_step());
    }
  }

  std::printf("soak: %d workers (batch %d) + %d queriers for %.1f s\n", num_workers, batch,
              num_queriers, elapsed);
  std::printf("  acknowledged: %lld points, %.0f points/s; errors %lld\n",
              static_cast<long long>(total), total / elapsed, static_cast<long long>(errors.load()));
  for (const auto& [kind, v] : latencies) {
    std::printf("  %-40s n=%-6zu p50 %7.2f ms  p99 %7.2f ms\n", kind.c_str(), v.size(),
                Percentile(v, 0.5), Percentile(v, 0.99));
  }
  std::printf("  coordinator resident memory (MiB) over time:");
  const size_t every = std::max<size_t>(1, memory.size() / 10);
  for (size_t i = 0; i < memory.size(); i += every) {
    std::printf(" %.0fs:%.0f", memory[i].first, memory[i].second / 1024.0);
  }
  int64_t peak = 0;
  for (const auto& m : memory) peak = std::max(peak, m.second);
  std::printf("; peak %.0f MiB\n", peak / 1024.0);
  std::printf("  read back: %lld points stored in %lld pages; lost points: %lld\n",
              static_cast<long long>(stored), static_cast<long long>(pages),
              static_cast<long long>(total - stored));
  kill(coordinator, SIGTERM);
  waitpid(coordinator, nullptr, 0);
  fs::remove_all(dir);
  return total == stored ? 0 : 2;
}
