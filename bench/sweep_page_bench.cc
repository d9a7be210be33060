// Sweep page benchmark (prints numbers; not a test). What the dashboard's sweep page asks the
// coordinator for, timed end to end against a real sg-coordinator process on a big sweep:
// 5 depths x 10 seeds = 50 runs, each with `--points` points (default 300,000: one per step) of
// train_loss, val_acc and gen_acc (gen_acc jumps at a seed-dependent step, as grokking does).
//
// One page load is the requests the page makes at once, sent concurrently as a browser does:
// ListRuns, GetReport (grouped by depth), ListSweepMetrics, and GetCurves for each of
// `--curve-metrics` (group_by depth, aggregate, max_points 400, log_steps). The first load after
// the coordinator starts is "cold" (nothing of the sweep computed or cached in the process;
// the OS file cache is as the fill left it); the next `--loads` are "warm". Each request's time and
// the page's wall time are printed as min/median/max.
//
// The same page is then loaded through the JSON API (`--http-listen`, one HTTP client per
// request, as a browser's parallel connections): its cold load is the first HTTP one, after the
// gRPC loads (so it shows the HTTP layer's cost over kept answers, not a cold coordinator).
//
//   sg-sweep-page-bench [--dir DIR] [--points 300000] [--loads 5] [--coordinator PATH]
//                       [--curve-metrics train_loss,val_acc,gen_acc] [--keep]
//
// DIR keeps the database between invocations: a database already there (filled with the same
// --points) is reused, since filling 45 million points takes minutes.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/flag_names.h"
#include "coordinator/coordinator.h"
#include "coordinator/evaluation_check.h"
#include "coordinator/sqlite_store.h"
#include "sg/v1/sg.grpc.pb.h"

ABSL_FLAG(std::string, dir, "", "folder for the database (default: a fresh temp folder)");
ABSL_FLAG(int64_t, points, 300000, "points per run of each of train_loss, val_acc, gen_acc");
ABSL_FLAG(int, loads, 5, "warm page loads after the cold one");
ABSL_FLAG(std::string, coordinator, "",
          "the sg-coordinator binary (default: sg-coordinator beside this program)");
ABSL_FLAG(std::string, curve_metrics, "train_loss,val_acc,gen_acc",
          "the curve panels of the page: one GetCurves per metric");
ABSL_FLAG(bool, keep, false, "keep the database folder (a temp one is removed otherwise)");

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kSeeds = 10;

double Ms(SteadyClock::time_point since) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - since).count();
}

// The fill: a finished sweep, written through the coordinator's own store code (no trainer).
// Values are deterministic per (seed, step) so two fills give the same database.
bool FillDatabase(const std::string& db_path, int64_t points_per_run) {
  auto store = sg::SqliteStore::Open(db_path);
  if (!store.ok()) {
    std::fprintf(stderr, "open %s: %s\n", db_path.c_str(), store.status().ToString().c_str());
    return false;
  }
  sg::CoordinatorOptions options;
  options.policy.lease_ms = 3'600'000;
  sg::Coordinator coordinator(store->get(), sg::RealClock::Get(), options);
  auto submitted = coordinator.SubmitSweep(
      "name: page-bench\ntask: question_formation\ngrid:\n  depth: [2, 4, 6, 8, 10]\n"
      "seeds: 10\n",
      "page-bench.yaml", sg::Caller{});
  if (!submitted.ok()) {
    std::fprintf(stderr, "submit: %s\n", submitted.status().ToString().c_str());
    return false;
  }
  sg::WorkerRecord worker;
  worker.worker_id = "page-bench-filler";
  worker.devices.push_back(sg::WorkerDevice{"cpu", 0, 1});
  if (!coordinator.RegisterWorker(worker, sg::Caller{}).ok()) return false;
  const auto start = SteadyClock::now();
  int64_t written = 0;
  int completed = 0;
  while (completed < kSeeds * 5) {
    auto claim = coordinator.ClaimJobs(worker.worker_id, kSeeds, sg::Caller{});
    if (!claim.ok() || claim->runs.empty()) {
      std::fprintf(stderr, "claim: %s\n", claim.status().ToString().c_str());
      return false;
    }
    for (const sg::RunRecord& run : claim->runs) {
      std::vector<sg::Lease> leases = {{run.run_id, run.lease_token, run.lease_holder}};
      std::vector<sg::MetricPointRecord> batch;
      const int64_t grok_step = points_per_run / 10 * (1 + run.seed % 7);
      auto flush = [&] {
        absl::Status status = coordinator.RecordMetrics(leases, batch);
        if (!status.ok()) std::fprintf(stderr, "record: %s\n", status.ToString().c_str());
        written += static_cast<int64_t>(batch.size());
        batch.clear();
        return status.ok();
      };
      for (int64_t step = 1; step <= points_per_run; ++step) {
        // A little per-step noise, so the curves are not straight lines a downsampler could
        // cheat on.
        const double noise = 0.01 * std::sin(static_cast<double>(step * (run.seed + 3)));
        batch.push_back({run.run_id, "train_loss", step, 2.0 / std::sqrt(step) + noise});
        batch.push_back({run.run_id, "val_acc", step, std::min(1.0, 0.5 + step * 1e-4) + noise});
        batch.push_back(
            {run.run_id, "gen_acc", step, (step >= grok_step ? 0.9 : 0.2) + noise});
        // The other metrics an evaluation writes, at the spec's default cadence (every 3,000
        // steps), so that CompleteJob's completeness check passes.
        if (step % 3000 == 0) {
          for (const std::string& metric : sg::EvaluationMetrics()) {
            if (metric != "val_acc" && metric != "gen_acc") {
              batch.push_back({run.run_id, metric, step, 0.5 + noise});
            }
          }
        }
        if (batch.size() >= 150000 && !flush()) return false;
      }
      if (!flush()) return false;
      absl::Status done = coordinator.CompleteJob(leases[0], points_per_run);
      if (!done.ok()) {
        std::fprintf(stderr, "complete: %s\n", done.ToString().c_str());
        return false;
      }
      ++completed;
    }
    std::printf("  filled %d of 50 runs (%.0f s)\n", completed, Ms(start) / 1000);
    std::fflush(stdout);
  }
  std::printf("fill: %lld points in %.1f s\n", static_cast<long long>(written),
              Ms(start) / 1000);
  return true;
}

pid_t StartCoordinator(const std::string& binary, const std::string& dir, std::string* address,
                       int* http_port) {
  const std::string port_file = dir + "/port";
  const std::string http_port_file = dir + "/http_port";
  unlink(port_file.c_str());
  unlink(http_port_file.c_str());
  pid_t pid = fork();
  if (pid == 0) {
    const std::string log = dir + "/coordinator.log";
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    const std::string db = dir + "/coordinator.db";
    execl(binary.c_str(), binary.c_str(), "--listen", "127.0.0.1:0", "--db", db.c_str(),
          "--port-file", port_file.c_str(), "--http-listen", "127.0.0.1:0", "--http-port-file",
          http_port_file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = SteadyClock::now() + std::chrono::seconds(120);
  while (access(port_file.c_str(), R_OK) != 0 || access(http_port_file.c_str(), R_OK) != 0) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) != 0 || SteadyClock::now() > deadline) {
      std::fprintf(stderr, "sg-coordinator did not start; see %s/coordinator.log\n", dir.c_str());
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::ifstream in(port_file);
  int port = 0;
  in >> port;
  *address = absl::StrCat("127.0.0.1:", port);
  std::ifstream http_in(http_port_file);
  http_in >> *http_port;
  return pid;
}

int64_t ResidentKb(pid_t pid, const char* field) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (parts.size() >= 2) return std::atoll(parts[1].c_str());
    }
  }
  return -1;
}

struct Request {
  std::string name;
  std::function<grpc::Status(grpc::ClientContext*)> call;
  std::string http_path;  // the same query through the JSON API
};

struct Stats {
  std::vector<double> ms;
  std::string Line() const {
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    if (sorted.empty()) return "-";
    char buf[128];
    std::snprintf(buf, sizeof buf, "min %8.1f  median %8.1f  max %8.1f ms", sorted.front(),
                  sorted[sorted.size() / 2], sorted.back());
    return buf;
  }
};

// Sends every request at once (one thread each, one channel) and returns each one's time and
// the page's wall time (the last reply).
// The same through the JSON API on 127.0.0.1:http_port (one client, i.e. connection, each).
bool LoadPageHttp(const std::vector<Request>& requests, int http_port, std::vector<double>* each,
                  double* page) {
  each->assign(requests.size(), 0);
  std::vector<std::string> errors(requests.size());
  const auto start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (size_t i = 0; i < requests.size(); ++i) {
    threads.emplace_back([&, i] {
      httplib::Client client("127.0.0.1", http_port);
      client.set_read_timeout(300, 0);
      const auto t0 = SteadyClock::now();
      httplib::Result result = client.Get(requests[i].http_path.c_str());
      (*each)[i] = Ms(t0);
      if (!result) {
        errors[i] = "no reply";
      } else if (result->status != 200) {
        errors[i] = absl::StrCat("HTTP ", result->status, ": ", result->body.substr(0, 300));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  *page = Ms(start);
  for (size_t i = 0; i < requests.size(); ++i) {
    if (!errors[i].empty()) {
      std::fprintf(stderr, "GET %s: %s\n", requests[i].http_path.c_str(), errors[i].c_str());
      return false;
    }
  }
  return true;
}

bool LoadPage(const std::vector<Request>& requests, std::vector<double>* each, double* page) {
  each->assign(requests.size(), 0);
  std::vector<grpc::Status> status(requests.size());
  const auto start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (size_t i = 0; i < requests.size(); ++i) {
    threads.emplace_back([&, i] {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(300));
      const auto t0 = SteadyClock::now();
      status[i] = requests[i].call(&context);
      (*each)[i] = Ms(t0);
    });
  }
  for (std::thread& t : threads) t.join();
  *page = Ms(start);
  for (size_t i = 0; i < requests.size(); ++i) {
    if (!status[i].ok()) {
      std::fprintf(stderr, "%s: %s\n", requests[i].name.c_str(),
                   status[i].error_message().c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  sg::DashedArgv dashed(argc, argv);
  absl::ParseCommandLine(dashed.argc(), dashed.argv());
  const int64_t points = absl::GetFlag(FLAGS_points);
  std::string dir = absl::GetFlag(FLAGS_dir);
  const bool temp_dir = dir.empty();
  if (temp_dir) {
    dir = (std::filesystem::temp_directory_path() / absl::StrCat("sg_page_bench_", getpid()))
              .string();
  }
  std::filesystem::create_directories(dir);
  std::string binary = absl::GetFlag(FLAGS_coordinator);
  if (binary.empty()) {
    binary = (std::filesystem::canonical("/proc/self/exe").parent_path() / "sg-coordinator")
                 .string();
  }

  // A database is reused only when the marker says it was filled completely with these points.
  const std::string db = dir + "/coordinator.db";
  const std::string marker = dir + "/filled";
  const std::string expected = absl::StrCat("points ", points);
  std::string found;
  std::getline(std::ifstream(marker), found);
  if (found != expected) {
    for (const char* suffix : {"", "-wal", "-shm", ".lock"}) {
      std::filesystem::remove(db + suffix);
    }
    std::printf("filling %s: 50 runs x %lld points x 3 metrics\n", db.c_str(),
                static_cast<long long>(points));
    if (!FillDatabase(db, points)) return 1;
    std::ofstream(marker) << expected << "\n";
  } else {
    std::printf("reusing %s (50 runs x %lld points x 3 metrics)\n", db.c_str(),
                static_cast<long long>(points));
  }

  std::string address;
  const auto start_time = SteadyClock::now();
  int http_port = 0;
  const pid_t coordinator = StartCoordinator(binary, dir, &address, &http_port);
  if (coordinator <= 0) return 1;
  std::printf("sg-coordinator started in %.0f ms, resident %lld MB\n", Ms(start_time),
              static_cast<long long>(ResidentKb(coordinator, "VmRSS:") / 1024));
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                           channel_args);
  auto stub = sg::v1::SweepService::NewStub(channel);

  int64_t sweep_id = 0;
  {
    grpc::ClientContext context;
    sg::v1::ListSweepsRequest request;
    sg::v1::ListSweepsResponse response;
    grpc::Status status = stub->ListSweeps(&context, request, &response);
    if (!status.ok() || response.sweeps_size() == 0) {
      std::fprintf(stderr, "ListSweeps: %s\n", status.error_message().c_str());
      return 1;
    }
    sweep_id = response.sweeps(0).sweep_id();
  }

  std::vector<Request> requests;
  int64_t answer_points = 0;  // of the last load, to show what came back
  requests.push_back({"ListRuns", [&](grpc::ClientContext* c) {
                        sg::v1::ListRunsRequest r;
                        r.set_sweep_id(sweep_id);
                        sg::v1::ListRunsResponse out;
                        grpc::Status s = stub->ListRuns(c, r, &out);
                        if (s.ok() && out.runs_size() != 50) {
                          return grpc::Status(grpc::StatusCode::INTERNAL, "not 50 runs");
                        }
                        return s;
                      },
                      absl::StrCat("/api/v1/sweeps/", sweep_id, "/runs")});
  requests.push_back({"GetReport", [&](grpc::ClientContext* c) {
                        sg::v1::GetReportRequest r;
                        r.set_sweep_id(sweep_id);
                        r.add_group_by("depth");
                        sg::v1::GetReportResponse out;
                        grpc::Status s = stub->GetReport(c, r, &out);
                        if (s.ok() && out.rows_size() != 5) {
                          return grpc::Status(grpc::StatusCode::INTERNAL, "not 5 rows");
                        }
                        return s;
                      },
                      absl::StrCat("/api/v1/sweeps/", sweep_id, "/report?group_by=depth")});
  requests.push_back({"ListSweepMetrics", [&](grpc::ClientContext* c) {
                        sg::v1::ListSweepMetricsRequest r;
                        r.set_sweep_id(sweep_id);
                        sg::v1::ListSweepMetricsResponse out;
                        return stub->ListSweepMetrics(c, r, &out);
                      },
                      absl::StrCat("/api/v1/sweeps/", sweep_id, "/metrics")});
  std::vector<std::string> metrics =
      absl::StrSplit(absl::GetFlag(FLAGS_curve_metrics), ',', absl::SkipEmpty());
  std::vector<int64_t> metric_points(metrics.size(), 0);
  for (size_t m = 0; m < metrics.size(); ++m) {
    requests.push_back({"GetCurves " + metrics[m], [&, m](grpc::ClientContext* c) {
                          sg::v1::GetCurvesRequest r;
                          r.set_sweep_id(sweep_id);
                          r.set_metric(metrics[m]);
                          r.add_group_by("depth");
                          r.set_aggregate(true);
                          r.set_max_points(400);
                          r.set_log_steps(true);
                          sg::v1::GetCurvesResponse out;
                          grpc::Status s = stub->GetCurves(c, r, &out);
                          if (s.ok() && (out.aggregates_size() != 5 || out.next_start_step())) {
                            return grpc::Status(grpc::StatusCode::INTERNAL,
                                                "not 5 aggregates on one page");
                          }
                          int64_t n = 0;
                          for (const auto& a : out.aggregates()) n += a.points_size();
                          metric_points[m] = n;
                          return s;
                        },
                        absl::StrCat("/api/v1/sweeps/", sweep_id, "/curves?metric=", metrics[m],
                                     "&group_by=depth&aggregate=true&max_points=400",
                                     "&log_steps=true")});
  }

  std::vector<Stats> per_request(requests.size());
  Stats page;
  std::vector<double> each;
  double wall = 0;
  if (!LoadPage(requests, &each, &wall)) return 1;
  std::printf("\ncold page load (first after start): %.1f ms\n", wall);
  for (size_t i = 0; i < requests.size(); ++i) {
    std::printf("  %-22s %8.1f ms\n", requests[i].name.c_str(), each[i]);
  }
  const int loads = absl::GetFlag(FLAGS_loads);
  for (int load = 0; load < loads; ++load) {
    if (!LoadPage(requests, &each, &wall)) return 1;
    page.ms.push_back(wall);
    for (size_t i = 0; i < requests.size(); ++i) per_request[i].ms.push_back(each[i]);
  }
  std::printf("\nwarm page loads (%d):\n  %-22s %s\n", loads, "page (all at once)",
              page.Line().c_str());
  for (size_t i = 0; i < requests.size(); ++i) {
    std::printf("  %-22s %s\n", requests[i].name.c_str(), per_request[i].Line().c_str());
  }
  for (size_t m = 0; m < metrics.size(); ++m) {
    answer_points += metric_points[m];
    std::printf("  %s: %lld aggregate points in 5 groups\n", metrics[m].c_str(),
                static_cast<long long>(metric_points[m]));
  }
  std::printf("  all metrics: %lld aggregate points a load\n",
              static_cast<long long>(answer_points));

  // A live sweep changes every few seconds, and every change makes the kept answers stale: the
  // next load computes them all again, as the cold one did (with the database in the page
  // cache). The change here: depth=2's horizon raised (ExtendSweep), which re-queues its runs.
  {
    grpc::ClientContext context;
    sg::v1::ExtendSweepRequest r;
    r.set_sweep_id(sweep_id);
    // A horizon not used before, so that a reused database changes too.
    r.set_steps(points + 3000 + static_cast<int64_t>(std::time(nullptr) % 100000));
    r.set_cell("depth=2");
    sg::v1::ExtendSweepResponse out;
    grpc::Status s = stub->ExtendSweep(&context, r, &out);
    if (!s.ok()) {
      std::fprintf(stderr, "ExtendSweep: %s\n", s.error_message().c_str());
      return 1;
    }
    if (!LoadPage(requests, &each, &wall)) return 1;
    std::printf("\npage load after the sweep changed (ExtendSweep of depth=2): %.1f ms\n", wall);
    for (size_t i = 0; i < requests.size(); ++i) {
      std::printf("  %-22s %8.1f ms\n", requests[i].name.c_str(), each[i]);
    }
  }

  // The same page through the JSON API.
  std::vector<Stats> http_request(requests.size());
  Stats http_page;
  if (!LoadPageHttp(requests, http_port, &each, &wall)) return 1;
  std::printf("\nfirst JSON API page load: %.1f ms\n", wall);
  for (int load = 0; load < loads; ++load) {
    if (!LoadPageHttp(requests, http_port, &each, &wall)) return 1;
    http_page.ms.push_back(wall);
    for (size_t i = 0; i < requests.size(); ++i) http_request[i].ms.push_back(each[i]);
  }
  std::printf("warm JSON API page loads (%d):\n  %-22s %s\n", loads, "page (all at once)",
              http_page.Line().c_str());
  for (size_t i = 0; i < requests.size(); ++i) {
    std::printf("  %-22s %s\n", requests[i].name.c_str(), http_request[i].Line().c_str());
  }
  std::printf("sg-coordinator peak resident memory: %lld MB\n",
              static_cast<long long>(ResidentKb(coordinator, "VmHWM:") / 1024));
  kill(coordinator, SIGTERM);
  int status = 0;
  waitpid(coordinator, &status, 0);
  if (temp_dir && !absl::GetFlag(FLAGS_keep)) std::filesystem::remove_all(dir);
  return 0;
}
