// sg-coordinator: the gRPC server that owns the sweep queue and the curve store.
//   sg-coordinator --listen HOST:PORT --db PATH [--lease-seconds N] [--port-file FILE]
//                  [--metrics-listen HOST:PORT] [--health-listen HOST:PORT]
// With --health-listen, that port answers health checks NOT_SERVING while the database opens
// (and migrates), SERVING once the coordinator serves; --listen is bound once the database is open.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/flag_names.h"
#include "common/metrics_http.h"
#include "coordinator/coordinator.h"
#include "coordinator/coordinator_metrics.h"
#include "coordinator/health_endpoint.h"
#include "coordinator/server.h"
#include "coordinator/sqlite_store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7431", "HOST:PORT to serve on (port 0: any free port)");
ABSL_FLAG(std::string, db, "",
          "SQLite database file (default: $XDG_DATA_HOME/sg/coordinator.db, else "
          "~/.local/share/sg/coordinator.db)");
ABSL_FLAG(int64_t, lease_seconds, 60, "how long a worker's lease lives without a heartbeat");
ABSL_FLAG(int64_t, max_runs_per_sweep, 10000, "refuse sweeps that expand to more runs");
ABSL_FLAG(std::string, port_file, "", "write the bound port to this file once serving");
ABSL_FLAG(std::string, metrics_listen, "",
          "HOST:PORT to serve Prometheus metrics on at /metrics (port 0: any free port; empty: "
          "no metrics server)");
ABSL_FLAG(std::string, health_listen, "",
          "HOST:PORT for a plaintext gRPC port serving only grpc.health.v1 (for probes that cannot "
          "use TLS or tokens, such as the kubelet's); empty: none");
ABSL_FLAG(std::string, metrics_port_file, "",
          "write the bound metrics port to this file once serving");

namespace {

std::string DefaultDbPath() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  const char* home = std::getenv("HOME");
  std::string dir = (xdg != nullptr && *xdg != '\0') ? std::string(xdg)
                    : (home != nullptr)                 ? absl::StrCat(home, "/.local/share")
                                                        : std::string(".");
  return absl::StrCat(dir, "/sg/coordinator.db");
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "sg-coordinator: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "sg-coordinator --listen HOST:PORT --db PATH [--lease-seconds N] [--port-file FILE] "
      "[--metrics-listen HOST:PORT] [--health-listen HOST:PORT]");
  sg::DashedArgv dashed(argc, argv);  // --lease-seconds as well as --lease_seconds
  absl::ParseCommandLine(dashed.argc(), dashed.argv());

  if (absl::GetFlag(FLAGS_lease_seconds) < 1) {
    return Fail("--lease-seconds: must be at least 1");
  }
  std::string db_path = absl::GetFlag(FLAGS_db);
  if (db_path.empty()) db_path = DefaultDbPath();
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(db_path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  sg::ServerOptions server_options;
  server_options.listen = absl::GetFlag(FLAGS_listen);
  // Health checks answer NOT_SERVING while the database opens and migrates.
  sg::HealthEndpoint health_endpoint;
  if (!absl::GetFlag(FLAGS_health_listen).empty()) {
    absl::Status health_started = health_endpoint.Start(absl::GetFlag(FLAGS_health_listen));
    if (!health_started.ok()) return Fail(std::string(health_started.message()));
  }
  std::fprintf(stderr, "sg-coordinator: opening database %s\n", db_path.c_str());
  absl::StatusOr<std::unique_ptr<sg::SqliteStore>> store = sg::SqliteStore::Open(db_path);
  if (!store.ok()) return Fail(absl::StrCat("--db ", db_path, ": ", store.status().message()));

  sg::CoordinatorOptions options;
  options.policy.lease_ms = absl::GetFlag(FLAGS_lease_seconds) * 1000;
  options.max_runs_per_sweep = absl::GetFlag(FLAGS_max_runs_per_sweep);
  sg::Coordinator coordinator(store->get(), sg::RealClock::Get(), options);

  sg::CoordinatorMetrics metrics(db_path, sg::RealClock::Get());
  server_options.metrics = &metrics;
  sg::CoordinatorServer server(&coordinator, server_options);
  absl::Status started = server.Start();
  if (!started.ok()) return Fail(std::string(started.message()));

  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty()) {
    // Written to a temporary name and renamed, so a reader never sees a partial number.
    const std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << server.port() << "\n";
    std::filesystem::rename(tmp, port_file, ec);
    if (ec) return Fail(absl::StrCat("--port-file ", port_file, ": ", ec.message()));
  }
  health_endpoint.SetServing(true);
  std::fprintf(stderr, "sg-coordinator: serving on port %d, database %s\n", server.port(),
               db_path.c_str());

  sg::MetricsHttpServer metrics_http([&metrics, &coordinator] { return metrics.Render(&coordinator); });
  const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  if (!metrics_listen.empty()) {
    absl::Status serving = metrics_http.Start(metrics_listen);
    if (!serving.ok()) {
      server.Shutdown();
      return Fail(std::string(serving.message()));
    }
    std::fprintf(stderr, "sg-coordinator: metrics on port %d at /metrics\n", metrics_http.port());
    const std::string metrics_port_file = absl::GetFlag(FLAGS_metrics_port_file);
    if (!metrics_port_file.empty()) {
      const std::string tmp = metrics_port_file + ".tmp";
      std::ofstream(tmp) << metrics_http.port() << "\n";
      std::filesystem::rename(tmp, metrics_port_file, ec);
      if (ec) return Fail(absl::StrCat("--metrics-port-file ", metrics_port_file, ": ", ec.message()));
    }
  }

  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::fprintf(stderr, "sg-coordinator: signal %d, shutting down\n", signal);
  health_endpoint.SetServing(false);
  metrics_http.Stop();
  server.Shutdown();
  health_endpoint.Stop();
  return 0;
}
