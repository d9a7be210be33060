// sg-worker: the node daemon. Registers this machine's devices with the coordinator, claims
// packs of runs, trains each pack in an sg-train child process and streams its curves.
//   sg-worker --coordinator HOST:PORT --devices cpu|cuda:0,cuda:1,... [--slots-per-device N]
//             [--packs-per-device auto|N] --work-dir DIR [--checkpoint-dir DIR] [--pack-size N] [--sg-train PATH]
//             [--token-file FILE] [--tls-ca FILE [--tls-cert FILE --tls-key FILE]]
// The token comes from --token-file, else $SG_TOKEN_FILE, else $SG_TOKEN (docs/security.md).
//             [--metrics-listen HOST:PORT] [--exit-when-idle SECONDS]
// SIGTERM/SIGINT: the trainers checkpoint, the points are flushed, the leases are released,
// and the daemon exits 0.
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/flag_files.h"
#include "common/flags_usage.h"
#include "common/metrics_http.h"
#include "worker/coordinator_client.h"
#include "worker/idle_exit.h"
#include "worker/device_info.h"
#include "worker/process_launcher.h"
#include "worker/worker_daemon.h"
#include "worker/worker_metrics.h"

ABSL_FLAG(std::string, coordinator, "127.0.0.1:7431", "the coordinator's HOST:PORT");
ABSL_FLAG(std::string, devices, "cpu", "devices to train on: cpu, or cuda:0,cuda:1,...");
ABSL_FLAG(int32_t, slots_per_device, 1, "packs trained at once on each device");
ABSL_FLAG(std::string, packs_per_device, "",
          "packs trained at once on each device: auto (CUDA: chosen from the measured "
          "throughput, up to 8; cpu: --slots-per-device) or N (as --slots-per-device N)");
ABSL_FLAG(int32_t, pack_size, 0,
          "max runs (seeds) per pack; 0: automatic (cpu: 4; cuda: as many of a claimed cell's "
          "seeds as fit in the device's memory per slot, at most 16)");
ABSL_FLAG(double, device_memory_gb, 0,
          "memory per device to register, in GiB; 0: probe (/proc/meminfo, nvidia-smi)");
ABSL_FLAG(std::string, work_dir, "", "local folder for pack logs, specs and the metric spool");
ABSL_FLAG(std::string, checkpoint_dir, "",
          "folder for checkpoints and curves (shared between workers on a cluster); default "
          "WORK_DIR/checkpoints");
ABSL_FLAG(std::string, sg_train, "",
          "the sg-train binary; default: next to sg-worker, then ../trainer/sg-train, then PATH");
ABSL_FLAG(std::string, train_args, "", "extra arguments for every sg-train, space separated");
ABSL_FLAG(int64_t, claim_interval_ms, 1000, "wait after an empty claim before asking again");
ABSL_FLAG(int64_t, stop_grace_seconds, 30, "SIGTERM -> SIGKILL grace period for a trainer");
ABSL_FLAG(std::string, token_file, "",
          "file holding this worker's token (role worker); default $SG_TOKEN_FILE, else $SG_TOKEN");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA that signed the coordinator's certificate (TLS)");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate (coordinators requiring mutual TLS)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls-cert");
ABSL_FLAG(std::string, metrics_listen, "",
          "HOST:PORT to serve Prometheus metrics on at /metrics (port 0: any free port; empty: "
          "no metrics server)");
ABSL_FLAG(std::string, metrics_port_file, "", "write the bound metrics port to this file");
ABSL_FLAG(int64_t, exit_when_idle, 0,
          "exit (gracefully, status 0) once no work has been claimable and nothing has run for "
          "this many seconds; 0: run until signalled");

namespace {

std::atomic<bool> g_stop{false};

void OnStopSignal(int) { g_stop.store(true); }

int Fail(const std::string& message) {
  std::fprintf(stderr, "sg-worker: %s\n", message.c_str());
  return 2;
}

std::string FindSgTrain() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path dir = self.parent_path();
    for (const fs::path& candidate : {dir / "sg-train", dir / ".." / "trainer" / "sg-train"}) {
      if (::access(candidate.c_str(), X_OK) == 0) return fs::weakly_canonical(candidate).string();
    }
  }
  return "sg-train";  // searched in PATH at launch
}

// The documented spelling is --work-dir; absl flags are named work_dir. Rewrites the name part
// of each "--name[=value]" whose underscore form is one of ours, leaving values untouched.
std::vector<char*> NormalizeFlagNames(int argc, char** argv, std::vector<std::string>* storage) {
  static const char* const kFlags[] = {"slots_per_device", "packs_per_device", "pack_size",         "device_memory_gb",
                                       "work_dir",         "checkpoint_dir",    "sg_train",
                                       "train_args",       "claim_interval_ms", "stop_grace_seconds",
                                       "token_file",       "tls_ca",            "tls_cert",
                                       "tls_key",          "metrics_listen",    "metrics_port_file",
                                       "exit_when_idle"};
  storage->reserve(static_cast<size_t>(argc));
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i > 0 && arg.size() > 2 && arg.compare(0, 2, "--") == 0) {
      size_t eq = arg.find('=');
      std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      std::string underscored = name;
      for (char& c : underscored) c = c == '-' ? '_' : c;
      for (const char* known : kFlags) {
        if (underscored == known) {
          arg = "--" + underscored + (eq == std::string::npos ? "" : arg.substr(eq));
        }
      }
    }
    storage->push_back(arg);
  }
  std::vector<char*> out;
  for (std::string& a : *storage) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

int main(int raw_argc, char** raw_argv) {
  std::vector<std::string> arg_storage;
  std::vector<char*> normalized = NormalizeFlagNames(raw_argc, raw_argv, &arg_storage);
  int argc = raw_argc;
  char** argv = normalized.data();
  sg::SetFlagsUsage("sg-worker", "worker/main.cc");  // --help lists these flags
  absl::SetProgramUsageMessage(
      "sg-worker --coordinator HOST:PORT --devices cpu|cuda:0,cuda:1,... [--slots-per-device N] "
      "--work-dir DIR [--checkpoint-dir DIR]");
  absl::ParseCommandLine(argc, argv);

  absl::StatusOr<std::vector<std::string>> devices = sg::ParseDeviceList(absl::GetFlag(FLAGS_devices));
  if (!devices.ok()) return Fail(std::string(devices.status().message()));
  if (absl::GetFlag(FLAGS_work_dir).empty()) {
    return Fail("--work-dir: required (a local folder for pack logs and the metric spool)");
  }
  if (absl::GetFlag(FLAGS_slots_per_device) < 1) return Fail("--slots-per-device: must be >= 1");
  absl::StatusOr<sg::PacksPerDevice> packs_per_device =
      sg::ParsePacksPerDevice(absl::GetFlag(FLAGS_packs_per_device));
  if (!packs_per_device.ok()) return Fail(std::string(packs_per_device.status().message()));
  if (absl::GetFlag(FLAGS_slots_per_device) != 1 &&
      (packs_per_device->automatic ||
       (packs_per_device->fixed != 0 &&
        packs_per_device->fixed != absl::GetFlag(FLAGS_slots_per_device)))) {
    return Fail("--packs-per-device and --slots-per-device disagree: give one of them");
  }
  if (absl::GetFlag(FLAGS_pack_size) < 0) return Fail("--pack-size: must be >= 0 (0: automatic)");
  if (absl::GetFlag(FLAGS_exit_when_idle) < 0) {
    return Fail("--exit-when-idle: must be >= 0 seconds (0: never exit when idle)");
  }

  sg::WorkerDaemonOptions options;
  char host[HOST_NAME_MAX + 1] = {0};
  ::gethostname(host, sizeof(host) - 1);
  options.hostname = host;
  for (const std::string& name : *devices) {
    sg::DeviceSlotSpec d;
    d.name = name;
    double gb = absl::GetFlag(FLAGS_device_memory_gb);
    d.memory_bytes = gb > 0 ? static_cast<int64_t>(gb * (1 << 30)) : sg::ProbeDeviceMemoryBytes(name);
    d.slots = packs_per_device->fixed > 0 ? packs_per_device->fixed
                                          : absl::GetFlag(FLAGS_slots_per_device);
    if (packs_per_device->automatic) {
      if (sg::MeasuresPacksPerDevice(name)) {
        d.auto_packs = true;
        d.slots = sg::kMaxAutoPacksPerDevice;
      } else {
        sg::WorkerLog(absl::StrCat("--packs-per-device auto: ", name, " keeps ", d.slots,
                                   " pack(s) at once (--slots-per-device): a CPU trains one "
                                   "pack with all its cores"));
      }
    }
    d.pack_size = absl::GetFlag(FLAGS_pack_size) > 0 ? absl::GetFlag(FLAGS_pack_size)
                                                     : sg::DefaultPackSize(name);
    d.fit_to_memory = sg::FitsPackToMemory(name, absl::GetFlag(FLAGS_pack_size));
    options.devices.push_back(d);
  }
  options.work_dir = std::filesystem::absolute(absl::GetFlag(FLAGS_work_dir)).string();
  options.checkpoint_dir = absl::GetFlag(FLAGS_checkpoint_dir).empty()
                               ? options.work_dir + "/checkpoints"
                               : std::filesystem::absolute(absl::GetFlag(FLAGS_checkpoint_dir)).string();
  options.sg_train = absl::GetFlag(FLAGS_sg_train).empty() ? FindSgTrain() : absl::GetFlag(FLAGS_sg_train);
  for (absl::string_view a : absl::StrSplit(absl::GetFlag(FLAGS_train_args), ' ', absl::SkipEmpty())) {
    options.extra_train_args.emplace_back(a);
  }
  options.claim_interval_ms = absl::GetFlag(FLAGS_claim_interval_ms);
  options.stop_grace_ms = absl::GetFlag(FLAGS_stop_grace_seconds) * 1000;

  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  sg::ClientSecurityFlags security_flags;
  security_flags.token_file = absl::GetFlag(FLAGS_token_file);
  security_flags.tls_ca = absl::GetFlag(FLAGS_tls_ca);
  security_flags.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  security_flags.tls_key = absl::GetFlag(FLAGS_tls_key);
  const char* env_token_file = std::getenv("SG_TOKEN_FILE");
  security_flags.env_token_file = env_token_file != nullptr ? env_token_file : "";
  const char* env_token = std::getenv("SG_TOKEN");
  security_flags.env_token = env_token != nullptr ? env_token : "";
  absl::StatusOr<sg::ClientSecurity> security = sg::LoadClientSecurity(security_flags);
  if (!security.ok()) return Fail(std::string(security.status().message()));
  const std::string warning =
      sg::PlaintextTokenWarning(absl::GetFlag(FLAGS_coordinator), *security);
  if (!warning.empty()) sg::WorkerLog(warning);

  sg::GrpcCoordinatorClient client(
      sg::NewWorkerServiceStub(absl::GetFlag(FLAGS_coordinator), *security),
      sg::CoordinatorClientOptions{});
  sg::PosixProcessLauncher launcher;
  sg::WorkerDaemon daemon(options, &client, &launcher, sg::RealClock::Get());
  absl::Status init = daemon.Init();
  if (!init.ok()) return Fail(std::string(init.message()));
  std::string summary;
  for (const sg::DeviceSlotSpec& d : options.devices) {
    absl::StrAppend(&summary, summary.empty() ? "" : ", ", d.name, " (", d.memory_bytes >> 20,
                    " MiB, ",
                    d.auto_packs ? absl::StrCat("1 to ", d.slots, " packs from measured throughput")
                                 : absl::StrCat(d.slots, " slot(s)"),
                    ", pack size ",
                    d.fit_to_memory ? absl::StrCat("up to ", d.pack_size, ", fitted to memory per claim")
                                    : absl::StrCat(d.pack_size),
                    ")");
  }
  sg::WorkerLog(absl::StrCat("starting: coordinator ", absl::GetFlag(FLAGS_coordinator), " (",
                             !security->tls()              ? "plaintext"
                             : security->cert_pem.empty()  ? "TLS"
                                                           : "mutual TLS",
                             security->token.empty() ? ", no token" : ", token", ")",
                             ", devices ", summary, ", trainer ", options.sg_train,
                             ", checkpoints ", options.checkpoint_dir));

  sg::WorkerMetrics metrics;
  sg::MetricsHttpServer metrics_http([&metrics] { return metrics.Render(); });
  if (!absl::GetFlag(FLAGS_metrics_listen).empty()) {
    metrics.Update(daemon, 0);
    absl::Status serving = metrics_http.Start(absl::GetFlag(FLAGS_metrics_listen));
    if (!serving.ok()) return Fail(std::string(serving.message()));
    sg::WorkerLog(absl::StrCat("metrics on port ", metrics_http.port(), " at /metrics"));
    const std::string port_file = absl::GetFlag(FLAGS_metrics_port_file);
    if (!port_file.empty()) {
      absl::Status written = sg::WriteFlagFileAtomically(
          port_file, absl::StrCat(metrics_http.port(), "\n"), "--metrics-port-file");
      if (!written.ok()) return Fail(std::string(written.message()));
    }
  }
  sg::IdleExit idle(absl::GetFlag(FLAGS_exit_when_idle) * 1000, sg::RealClock::Get());

  bool heartbeat_deadline_set = false;
  while (!daemon.finished()) {
    if (g_stop.load() && !daemon.shutting_down()) daemon.RequestShutdown();
    daemon.Tick();
    if (idle.Observe(daemon)) {
      sg::WorkerLog(absl::StrCat("no work for ", absl::GetFlag(FLAGS_exit_when_idle),
                                 " s (--exit-when-idle): shutting down"));
      daemon.RequestShutdown();
    }
    if (!absl::GetFlag(FLAGS_metrics_listen).empty()) metrics.Update(daemon, idle.idle_ms());
    if (!heartbeat_deadline_set && daemon.registered()) {
      // The proto's deadline for Heartbeat: a third of the lease (heartbeat_ms is a quarter).
      client.set_heartbeat_deadline_ms(std::max<int64_t>(1000, daemon.heartbeat_ms() * 4 / 3));
      heartbeat_deadline_set = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  metrics_http.Stop();
  sg::WorkerLog("stopped");
  return 0;
}
