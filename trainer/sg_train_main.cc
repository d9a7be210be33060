// sg-train: trains one pack of seeds of one grid cell (see docs/trainer.md).
//   sg-train --spec FILE --cell depth=6[,axis=value] --seeds 0,1,2 --out DIR
//            [--device cpu|cuda[:N]] [--steps N] [--train-loss-every N] [--eval-max-lines N]
//            [--attn-sentences N] [--threads N] [--keep-checkpoints N] [--eval-memory-mb N]
//            [--progress-interval SECONDS] [--precision tf32|fp32|bf16]
//            [--eval-precision auto|train|bf16] [--no-cuda-graphs] [--quiet]
// Exit codes: 0 done; 2 bad arguments, spec, cell or output folder; 3 out of memory;
// 1 other errors; 128+signal (143 SIGTERM, 130 SIGINT) when stopped by a signal after writing
// a checkpoint.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <type_traits>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "trainer/train_pack.h"

namespace {

std::atomic<int> g_stop{0};

extern "C" void OnSignal(int signo) { g_stop.store(signo); }

constexpr char kUsage[] =
    "usage: sg-train --spec FILE --cell AXIS=VALUE[,AXIS=VALUE] --seeds S[,S...] --out DIR\n"
    "                [--device cpu|cuda|cuda:N] [--steps N] [--train-loss-every N]\n"
    "                [--eval-max-lines N] [--attn-sentences N] [--threads N]\n"
    "                [--keep-checkpoints N] [--eval-memory-mb N] [--progress-interval SECONDS]\n"
    "                [--checkpoint-dir ROOT | --seed-checkpoint-dirs S=DIR[,S=DIR...]]\n"
    "                [--precision tf32|fp32|bf16] [--eval-precision auto|train|bf16]\n"
    "                [--no-cuda-graphs] [--quiet]\n";

int Usage(const std::string& error) {
  std::fprintf(stderr, "sg-train: %s\n%s", error.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  bool quiet = false, no_graphs = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fprintf(stdout, "%s", kUsage);
      return 0;
    }
    if (arg == "--quiet") {
      quiet = true;
      continue;
    }
    if (arg == "--no-cuda-graphs") {
      no_graphs = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) return Usage("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2), value;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      if (i + 1 >= argc) return Usage("--" + name + " needs a value");
      value = argv[++i];
    }
    flags[name] = value;
  }

  sg::TrainPackOptions o;
  auto take_int = [&](const std::string& name, auto* out) -> bool {
    auto it = flags.find(name);
    if (it == flags.end()) return true;
    int64_t v = 0;
    if (!absl::SimpleAtoi(it->second, &v) || v < 0) {
      Usage("--" + name + ": expected a whole number >= 0, got '" + it->second + "'");
      return false;
    }
    *out = static_cast<std::remove_pointer_t<decltype(out)>>(v);
    flags.erase(it);
    return true;
  };
  auto take_str = [&](const std::string& name, std::string* out) {
    auto it = flags.find(name);
    if (it == flags.end()) return;
    *out = it->second;
    flags.erase(it);
  };
  take_str("spec", &o.spec_path);
  take_str("cell", &o.cell);
  take_str("out", &o.out_dir);
  take_str("device", &o.device);
  take_str("precision", &o.precision);
  take_str("eval-precision", &o.eval_precision);
  o.cuda_graphs = !no_graphs;
  std::string seeds, checkpoint_root, seed_dirs;
  take_str("seeds", &seeds);
  take_str("checkpoint-dir", &checkpoint_root);
  take_str("seed-checkpoint-dirs", &seed_dirs);
  int64_t progress_interval = 30;
  if (!take_int("steps", &o.steps) || !take_int("train-loss-every", &o.train_loss_every) ||
      !take_int("eval-max-lines", &o.eval_max_lines) ||
      !take_int("attn-sentences", &o.attn_sentences) || !take_int("threads", &o.threads) ||
      !take_int("keep-checkpoints", &o.keep_checkpoints) ||
      !take_int("eval-memory-mb", &o.eval_memory_mb) ||
      !take_int("progress-interval", &progress_interval)) {
    return 2;
  }
  if (!flags.empty()) return Usage("unknown flag --" + flags.begin()->first);
  if (o.spec_path.empty()) return Usage("--spec is required");
  if (o.out_dir.empty()) return Usage("--out is required");
  if (seeds.empty()) return Usage("--seeds is required (e.g. --seeds 0,1,2)");
  for (absl::string_view piece : absl::StrSplit(seeds, ',')) {
    int64_t seed = 0;
    if (!absl::SimpleAtoi(piece, &seed)) {
      return Usage("--seeds: expected comma-separated integers, got '" + seeds + "'");
    }
    o.seeds.push_back(seed);
  }
  if (!checkpoint_root.empty() && !seed_dirs.empty()) {
    return Usage("--checkpoint-dir and --seed-checkpoint-dirs: give one of them");
  }
  if (!checkpoint_root.empty()) {
    for (int64_t seed : o.seeds) {
      o.seed_checkpoint_dirs.push_back(checkpoint_root + "/seed-" + std::to_string(seed));
    }
  }
  if (!seed_dirs.empty()) {
    std::map<int64_t, std::string> by_seed;
    for (absl::string_view piece : absl::StrSplit(seed_dirs, ',')) {
      const size_t eq = piece.find('=');
      int64_t seed = 0;
      if (eq == absl::string_view::npos || eq + 1 == piece.size() ||
          !absl::SimpleAtoi(piece.substr(0, eq), &seed)) {
        return Usage("--seed-checkpoint-dirs: expected SEED=DIR[,SEED=DIR...], got '" +
                     std::string(piece) + "'");
      }
      by_seed[seed] = std::string(piece.substr(eq + 1));
    }
    for (int64_t seed : o.seeds) {
      auto it = by_seed.find(seed);
      if (it == by_seed.end()) {
        return Usage("--seed-checkpoint-dirs: no folder for seed " + std::to_string(seed));
      }
      o.seed_checkpoint_dirs.push_back(it->second);
      by_seed.erase(it);
    }
    if (!by_seed.empty()) {
      return Usage("--seed-checkpoint-dirs: seed " + std::to_string(by_seed.begin()->first) +
                   " is not in --seeds");
    }
  }
  o.show_progress = !quiet;
  o.progress_interval_s = static_cast<double>(std::max<int64_t>(1, progress_interval));
  o.stop = &g_stop;

  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  const absl::Status status = sg::TrainPack(o);
  if (status.ok()) return 0;
  std::fprintf(stderr, "sg-train: %s\n", status.ToString().c_str());
  switch (status.code()) {
    case absl::StatusCode::kCancelled:
      return 128 + (g_stop.load() != 0 ? g_stop.load() : SIGTERM);
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
      return 2;
    case absl::StatusCode::kResourceExhausted:
      return 3;
    default:
      return 1;
  }
}
