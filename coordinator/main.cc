// sg-coordinator: the gRPC server that owns the sweep queue and the curve store.
//   sg-coordinator --listen HOST:PORT --db PATH [--lease-seconds N] [--port-file FILE]
//                  [--auth-tokens FILE] [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]
//                  [--insecure] [--metrics-listen HOST:PORT] [--health-listen HOST:PORT]
//                  [--http-listen HOST:PORT [--http-port-file FILE] [--dashboard-dir DIR]]
//   sg-coordinator token create --name N --role admin|researcher|worker|reader
// SIGINT/SIGTERM stop it; SIGHUP re-reads the --auth-tokens file.
// With --health-listen, that port answers health checks NOT_SERVING while the database opens
// (and migrates), SERVING once the coordinator serves; --listen is bound once the database is open.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/flag_files.h"
#include "common/flag_names.h"
#include "common/flags_usage.h"
#include "common/secrets.h"
#include "coordinator/authorizer.h"
#include "common/metrics_http.h"
#include "coordinator/coordinator.h"
#include "coordinator/coordinator_metrics.h"
#include "coordinator/health_endpoint.h"
#include "coordinator/http_gateway.h"
#include "coordinator/server.h"
#include "coordinator/server_security.h"
#include "coordinator/sqlite_store.h"
#include "coordinator/token_table.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7431", "HOST:PORT to serve on (port 0: any free port)");
ABSL_FLAG(std::string, db, "",
          "SQLite database file (default: $XDG_DATA_HOME/sg/coordinator.db, else "
          "~/.local/share/sg/coordinator.db)");
ABSL_FLAG(int64_t, lease_seconds, 60, "how long a worker's lease lives without a heartbeat");
ABSL_FLAG(int64_t, max_runs_per_sweep, 10000, "refuse sweeps that expand to more runs");
ABSL_FLAG(std::string, port_file, "", "write the bound port to this file once serving");
ABSL_FLAG(std::string, auth_tokens, "",
          "token file: one 'name role sha256-hex-of-token' line per token (reloaded on SIGHUP); "
          "without it every caller is anonymous and allowed everything");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain of this server (enables TLS)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls-cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA: require client certificates signed by it (mutual TLS)");
ABSL_FLAG(bool, insecure, false,
          "serve a non-loopback address without TLS and/or a token file (never on a network "
          "you do not trust completely)");
// `token create` only.
ABSL_FLAG(std::string, name, "", "token create: the token's name (who holds it)");
ABSL_FLAG(std::string, role, "", "token create: admin, researcher, worker or reader");
ABSL_FLAG(std::string, metrics_listen, "",
          "HOST:PORT to serve Prometheus metrics on at /metrics (port 0: any free port; empty: "
          "no metrics server)");
ABSL_FLAG(std::string, health_listen, "",
          "HOST:PORT for a plaintext gRPC port serving only grpc.health.v1 (for probes that cannot "
          "use TLS or tokens, such as the kubelet's); empty: none");
ABSL_FLAG(std::string, metrics_port_file, "",
          "write the bound metrics port to this file once serving");
ABSL_FLAG(std::string, http_listen, "",
          "HOST:PORT for the dashboard and the JSON API under /api/v1/ (port 0: any free port; "
          "empty: none). Same tokens as gRPC; HTTPS with --tls-cert/--tls-key when TLS is on");
ABSL_FLAG(std::string, http_port_file, "", "write the bound HTTP port to this file once serving");
ABSL_FLAG(std::string, dashboard_dir, "",
          "the built dashboard to serve at / (the directory holding index.html; default: "
          "dashboard/ or ../share/sg/dashboard/ beside the binary)");

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

// `sg-coordinator token create --name N --role R`: prints the token once (stdout) and the line
// for the token file (stderr explains). The token is not stored anywhere.
int TokenCreate() {
  const std::string name = absl::GetFlag(FLAGS_name);
  if (name.empty()) return Fail("token create: --name: required (who will hold the token)");
  absl::StatusOr<sg::Role> role = sg::ParseRole(absl::GetFlag(FLAGS_role));
  if (!role.ok()) return Fail(absl::StrCat("token create: --role: ", role.status().message()));
  absl::StatusOr<sg::NewToken> token = sg::CreateToken(name, *role, sg::SystemRandom());
  if (!token.ok()) return Fail(absl::StrCat("token create: ", token.status().message()));
  std::printf("token: %s\nline:  %s\n", token->token.c_str(), token->line.c_str());
  std::fprintf(stderr,
               "sg-coordinator: the token is shown only now. Give it to '%s' (a file readable "
               "only by them, passed with --token-file or SG_TOKEN_FILE), add the line to the "
               "--auth-tokens file and send the coordinator SIGHUP.\n",
               name.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  sg::SetFlagsUsage("sg-coordinator", "coordinator/main.cc");  // --help lists these flags
  absl::SetProgramUsageMessage(
      "sg-coordinator --listen HOST:PORT --db PATH [--lease-seconds N] [--port-file FILE] "
      "[--auth-tokens FILE] [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]] "
      "[--insecure] [--metrics-listen HOST:PORT] [--health-listen HOST:PORT] "
      "[--http-listen HOST:PORT [--http-port-file FILE] [--dashboard-dir DIR]]\n  or: "
      "sg-coordinator token create --name N --role admin|researcher|worker|reader");
  sg::DashedArgv dashed(argc, argv);  // --lease-seconds as well as --lease_seconds
  std::vector<char*> positional = absl::ParseCommandLine(dashed.argc(), dashed.argv());
  if (positional.size() >= 2) {
    if (positional.size() == 3 && std::strcmp(positional[1], "token") == 0 &&
        std::strcmp(positional[2], "create") == 0) {
      return TokenCreate();
    }
    return Fail(absl::StrCat("unknown command '", positional[1],
                             "'; the only command is `token create --name N --role R`"));
  }

  if (absl::GetFlag(FLAGS_lease_seconds) < 1) {
    return Fail("--lease-seconds: must be at least 1");
  }
  const std::string listen = absl::GetFlag(FLAGS_listen);
  absl::StatusOr<sg::ServerTls> tls = sg::LoadServerTls(
      absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key), absl::GetFlag(FLAGS_tls_client_ca));
  if (!tls.ok()) return Fail(std::string(tls.status().message()));
  std::unique_ptr<sg::Authorizer> authorizer;
  if (!absl::GetFlag(FLAGS_auth_tokens).empty()) {
    absl::StatusOr<std::unique_ptr<sg::Authorizer>> loaded =
        sg::Authorizer::FromFile(absl::GetFlag(FLAGS_auth_tokens));
    if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
    authorizer = *std::move(loaded);
  }
  const bool insecure = absl::GetFlag(FLAGS_insecure);
  absl::Status allowed =
      sg::CheckListenSecurity(listen, tls->enabled(), authorizer != nullptr, insecure);
  if (!allowed.ok()) return Fail(std::string(allowed.message()));
  const std::string http_listen = absl::GetFlag(FLAGS_http_listen);
  if (!http_listen.empty()) {
    // The HTTP port carries the same tokens and data: the same rule as --listen.
    absl::Status http_allowed =
        sg::CheckListenSecurity(http_listen, tls->enabled(), authorizer != nullptr, insecure);
    if (!http_allowed.ok()) {
      return Fail(absl::StrCat("--http-", std::string(http_allowed.message()).substr(2)));
    }
  } else if (!absl::GetFlag(FLAGS_http_port_file).empty() ||
             !absl::GetFlag(FLAGS_dashboard_dir).empty()) {
    return Fail("--http-port-file and --dashboard-dir need --http-listen HOST:PORT");
  }
  if (insecure && !sg::IsLoopbackListen(listen) && !(tls->enabled() && authorizer != nullptr)) {
    std::fprintf(stderr,
                 "sg-coordinator: WARNING: --insecure: serving %s %s%s%s. Anyone who can reach "
                 "this port can %s. Use this only on a network you trust completely; see "
                 "docs/security.md.\n",
                 listen.c_str(), tls->enabled() ? "" : "WITHOUT TLS (tokens and data in clear)",
                 !tls->enabled() && authorizer == nullptr ? " and " : "",
                 authorizer == nullptr ? "WITHOUT TOKENS" : "",
                 authorizer == nullptr
                     ? "submit, cancel, register workers and write results"
                     : "read every token and lease sent to it");
  }

  std::string db_path = absl::GetFlag(FLAGS_db);
  if (db_path.empty()) db_path = DefaultDbPath();
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(db_path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);

  // Block the stop and reload signals in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A client that hangs up while an HTTPS reply is written must not stop the coordinator:
  // OpenSSL writes to the socket with write(2), which raises SIGPIPE (gRPC and plain HTTP use
  // send(2) with MSG_NOSIGNAL). The write then fails with EPIPE and only that request ends.
  std::signal(SIGPIPE, SIG_IGN);

  sg::ServerOptions server_options;
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

  server_options.listen = listen;
  server_options.tls = *tls;
  server_options.authorizer = authorizer.get();
  sg::CoordinatorMetrics metrics(db_path, sg::RealClock::Get());
  server_options.metrics = &metrics;
  sg::CoordinatorServer server(&coordinator, server_options);
  absl::Status started = server.Start();
  if (!started.ok()) return Fail(std::string(started.message()));

  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty()) {
    absl::Status written =
        sg::WriteFlagFileAtomically(port_file, absl::StrCat(server.port(), "\n"), "--port-file");
    if (!written.ok()) return Fail(std::string(written.message()));
  }
  health_endpoint.SetServing(true);
  std::fprintf(stderr, "sg-coordinator: serving on port %d (%s, %s), database %s\n",
               server.port(),
               !tls->enabled()                 ? "plaintext"
               : tls->client_ca_pem.empty()    ? "TLS"
                                               : "mutual TLS",
               authorizer != nullptr ? "tokens required" : "no tokens: every caller is admin",
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
      absl::Status written = sg::WriteFlagFileAtomically(
          metrics_port_file, absl::StrCat(metrics_http.port(), "\n"), "--metrics-port-file");
      if (!written.ok()) return Fail(std::string(written.message()));
    }
  }

  std::unique_ptr<sg::HttpGateway> http;
  if (!http_listen.empty()) {
    sg::HttpGatewayOptions http_options;
    http_options.listen = http_listen;
    http_options.tls = *tls;
    http_options.dashboard_dir = sg::FindDashboardDir(absl::GetFlag(FLAGS_dashboard_dir));
    http = std::make_unique<sg::HttpGateway>(server.InProcessChannel(), http_options);
    absl::Status serving = http->Start();
    if (!serving.ok()) {
      server.Shutdown();
      return Fail(std::string(serving.message()));
    }
    std::fprintf(stderr, "sg-coordinator: %s on port %d: dashboard %s, JSON API at /api/v1/\n",
                 tls->enabled() ? "HTTPS" : "HTTP", http->port(),
                 http->dashboard_dir().empty()
                     ? (absl::GetFlag(FLAGS_dashboard_dir).empty()
                            ? "none installed (--dashboard-dir DIR)"
                            : "missing (--dashboard-dir holds no index.html)")
                     : http->dashboard_dir().c_str());
    const std::string http_port_file = absl::GetFlag(FLAGS_http_port_file);
    if (!http_port_file.empty()) {
      absl::Status written = sg::WriteFlagFileAtomically(
          http_port_file, absl::StrCat(http->port(), "\n"), "--http-port-file");
      if (!written.ok()) return Fail(std::string(written.message()));
    }
  }

  while (true) {
    int signal = 0;
    sigwait(&signals, &signal);
    if (signal != SIGHUP) {
      std::fprintf(stderr, "sg-coordinator: signal %d, shutting down\n", signal);
      break;
    }
    if (authorizer == nullptr) {
      std::fprintf(stderr, "sg-coordinator: SIGHUP: no --auth-tokens file to reload\n");
      continue;
    }
    absl::StatusOr<size_t> reloaded = authorizer->Reload();
    if (reloaded.ok()) {
      std::fprintf(stderr, "sg-coordinator: SIGHUP: reloaded %zu token(s) from %s\n", *reloaded,
                   authorizer->token_file().c_str());
    } else {
      std::fprintf(stderr, "sg-coordinator: SIGHUP: kept the previous tokens: %s\n",
                   std::string(reloaded.status().message()).c_str());
    }
  }
  health_endpoint.SetServing(false);
  if (http != nullptr) http->Stop();
  metrics_http.Stop();
  server.Shutdown();
  health_endpoint.Stop();
  return 0;
}
