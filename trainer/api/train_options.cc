#include "trainer/api/train_options.h"

#include <functional>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace sg {

namespace {

// One flag. `get` returns the flag's value text for `o` (for a switch: "1" when on); `set`
// applies a value (a switch gets ""). Encode writes a flag when get(o) != get(defaults).
struct Flag {
  const char* name;   // without "--"
  const char* value;  // the value's shape in the usage text; nullptr: a switch
  const char* help;
  std::function<std::string(const TrainPackOptions&)> get;
  std::function<absl::Status(const std::string&, TrainPackOptions*)> set;
};

absl::Status BadValue(const std::string& flag, const std::string& expected,
                      const std::string& got) {
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, ": expected ", expected, ", got '", got, "'"));
}

Flag StringFlag(const char* name, const char* value, const char* help,
                std::string TrainPackOptions::*field) {
  return Flag{name, value, help, [field](const TrainPackOptions& o) { return o.*field; },
              [name, field](const std::string& v, TrainPackOptions* o) {
                if (v.empty()) return BadValue(name, "a value", v);
                o->*field = v;
                return absl::OkStatus();
              }};
}

// A whole number >= min_value.
Flag IntFlag(const char* name, const char* help, int64_t TrainPackOptions::*field,
             int64_t min_value = 0) {
  return Flag{name, "N", help,
              [field](const TrainPackOptions& o) { return absl::StrCat(o.*field); },
              [name, field, min_value](const std::string& v, TrainPackOptions* o) {
                int64_t n = 0;
                if (!absl::SimpleAtoi(v, &n) || n < min_value) {
                  return BadValue(name, absl::StrCat("a whole number >= ", min_value), v);
                }
                o->*field = n;
                return absl::OkStatus();
              }};
}

Flag ChoiceFlag(const char* name, const char* value, const char* help,
                std::string TrainPackOptions::*field, std::vector<std::string> allowed) {
  return Flag{name, value, help, [field](const TrainPackOptions& o) { return o.*field; },
              [name, field, allowed](const std::string& v, TrainPackOptions* o) {
                for (const std::string& a : allowed) {
                  if (a == v) {
                    o->*field = v;
                    return absl::OkStatus();
                  }
                }
                return BadValue(name, absl::StrCat("one of ", absl::StrJoin(allowed, ", ")), v);
              }};
}

absl::StatusOr<std::vector<int64_t>> ParseIntList(const std::string& flag, const std::string& v) {
  std::vector<int64_t> out;
  for (absl::string_view piece : absl::StrSplit(v, ',')) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(piece, &n)) {
      return BadValue(flag, "comma-separated integers (e.g. 0,1,2)", v);
    }
    out.push_back(n);
  }
  return out;
}

const std::vector<Flag>& Flags() {
  static const std::vector<Flag>* flags = new std::vector<Flag>{
      StringFlag("config", "FILE", "the resolved run config (JSON) the coordinator stored",
                 &TrainPackOptions::config_path),
      StringFlag("spec", "FILE", "a YAML sweep spec (standalone use; with --cell)",
                 &TrainPackOptions::spec_path),
      StringFlag("cell", "AXIS=VALUE[,AXIS=VALUE]", "the grid cell of --spec",
                 &TrainPackOptions::cell),
      Flag{"seeds", "S[,S...]", "the pack's seeds (required)",
           [](const TrainPackOptions& o) { return absl::StrJoin(o.seeds, ","); },
           [](const std::string& v, TrainPackOptions* o) -> absl::Status {
             absl::StatusOr<std::vector<int64_t>> seeds = ParseIntList("seeds", v);
             if (!seeds.ok()) return seeds.status();
             std::set<int64_t> distinct(seeds->begin(), seeds->end());
             if (distinct.size() != seeds->size()) {
               return BadValue("seeds", "distinct seeds", v);
             }
             o->seeds = *seeds;
             return absl::OkStatus();
           }},
      StringFlag("out", "DIR", "output folder (required; resumed from if it holds a checkpoint)",
                 &TrainPackOptions::out_dir),
      Flag{"device", "cpu|cuda|cuda:N", "where to train (default cpu)",
           [](const TrainPackOptions& o) { return o.device; },
           [](const std::string& v, TrainPackOptions* o) -> absl::Status {
             int64_t ordinal = 0;
             if (v != "cpu" && v != "cuda" &&
                 !(v.rfind("cuda:", 0) == 0 && absl::SimpleAtoi(v.substr(5), &ordinal) &&
                   ordinal >= 0)) {
               return BadValue("device", "cpu, cuda or cuda:N", v);
             }
             o->device = v;
             return absl::OkStatus();
           }},
      ChoiceFlag("precision", "tf32|fp32|bf16", "CUDA matmul precision (default tf32)",
                 &TrainPackOptions::precision, {"tf32", "fp32", "bf16"}),
      ChoiceFlag("eval-precision", "auto|train|bf16",
                 "CUDA evaluation precision (default auto: bf16 unless --precision fp32)",
                 &TrainPackOptions::eval_precision, {"auto", "train", "bf16"}),
      Flag{"no-cuda-graphs", nullptr, "train with eager steps only",
           [](const TrainPackOptions& o) { return std::string(o.cuda_graphs ? "" : "1"); },
           [](const std::string&, TrainPackOptions* o) {
             o->cuda_graphs = false;
             return absl::OkStatus();
           }},
      IntFlag("steps", "> 0 overrides train.steps", &TrainPackOptions::steps),
      IntFlag("train-loss-every", "train_loss/grad_norm/lr every N steps; 0: eval steps only",
              &TrainPackOptions::train_loss_every),
      IntFlag("eval-max-lines", "val_loss/test_loss on the first N lines; 0: all",
              &TrainPackOptions::eval_max_lines),
      IntFlag("attn-sentences", "train sentences for attn_entropy; 0: off",
              &TrainPackOptions::attn_sentences),
      IntFlag("threads", "LibTorch CPU threads; 0: LibTorch's default", &TrainPackOptions::threads),
      IntFlag("keep-checkpoints", "newest checkpoint files kept per folder",
              &TrainPackOptions::keep_checkpoints, 1),
      Flag{"seed-checkpoint-dirs", "S=DIR[,S=DIR...]", "per-seed checkpoint folders",
           [](const TrainPackOptions& o) {
             std::vector<std::string> parts;
             for (size_t i = 0; i < o.seed_checkpoint_dirs.size() && i < o.seeds.size(); ++i) {
               parts.push_back(absl::StrCat(o.seeds[i], "=", o.seed_checkpoint_dirs[i]));
             }
             return absl::StrJoin(parts, ",");
           },
           // Kept by seed until the seeds are known (ParseTrainArgs aligns them at the end).
           [](const std::string& v, TrainPackOptions* o) -> absl::Status {
             o->seed_checkpoint_dirs.clear();
             for (absl::string_view piece : absl::StrSplit(v, ',')) {
               const size_t eq = piece.find('=');
               int64_t seed = 0;
               if (eq == absl::string_view::npos || eq + 1 == piece.size() ||
                   !absl::SimpleAtoi(piece.substr(0, eq), &seed)) {
                 return BadValue("seed-checkpoint-dirs", "SEED=DIR[,SEED=DIR...]",
                                 std::string(piece));
               }
               o->seed_checkpoint_dirs.push_back(std::string(piece));
             }
             return absl::OkStatus();
           }},
      Flag{"checkpoint-dir", "ROOT", "per-seed checkpoint folders ROOT/seed-S",
           // Never encoded: EncodeTrainArgs writes the folders as --seed-checkpoint-dirs.
           [](const TrainPackOptions&) { return std::string(); },
           [](const std::string& v, TrainPackOptions* o) -> absl::Status {
             if (v.empty()) return BadValue("checkpoint-dir", "a folder", v);
             o->seed_checkpoint_dirs = {"ROOT=" + v};
             return absl::OkStatus();
           }},
      IntFlag("sweep-id", "the sweep written into checkpoint headers", &TrainPackOptions::sweep_id),
      Flag{"run-ids", "R[,R...]", "each seed's run id, written into its checkpoint headers",
           [](const TrainPackOptions& o) { return absl::StrJoin(o.run_ids, ","); },
           [](const std::string& v, TrainPackOptions* o) -> absl::Status {
             absl::StatusOr<std::vector<int64_t>> ids = ParseIntList("run-ids", v);
             if (!ids.ok()) return ids.status();
             o->run_ids = *ids;
             return absl::OkStatus();
           }},
      IntFlag("eval-memory-mb", "activation budget per eval forward; 0: 512 cpu, 4096 cuda",
              &TrainPackOptions::eval_memory_mb),
      IntFlag("progress-interval", "seconds between progress lines off a terminal",
              &TrainPackOptions::progress_interval_s, 1),
      Flag{"quiet", nullptr, "no progress on stderr",
           [](const TrainPackOptions& o) { return std::string(o.show_progress ? "" : "1"); },
           [](const std::string&, TrainPackOptions* o) {
             o->show_progress = false;
             return absl::OkStatus();
           }},
  };
  return *flags;
}

const Flag* FindFlag(const std::string& name) {
  for (const Flag& f : Flags()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

// Turns the raw "SEED=DIR" / "ROOT=DIR" entries the flags stored into folders aligned with
// `seeds`.
absl::Status AlignSeedDirs(TrainPackOptions* o, bool root_given, bool dirs_given) {
  if (root_given && dirs_given) {
    return absl::InvalidArgumentError(
        "--checkpoint-dir and --seed-checkpoint-dirs: give one of them");
  }
  if (!root_given && !dirs_given) return absl::OkStatus();
  if (o->seeds.empty()) {
    return absl::InvalidArgumentError(
        "--seeds is required with --checkpoint-dir or --seed-checkpoint-dirs");
  }
  std::vector<std::string> raw = std::move(o->seed_checkpoint_dirs);
  o->seed_checkpoint_dirs.clear();
  if (root_given) {
    const std::string root = raw[0].substr(5);
    for (int64_t seed : o->seeds) o->seed_checkpoint_dirs.push_back(root + "/seed-" + std::to_string(seed));
    return absl::OkStatus();
  }
  std::map<int64_t, std::string> by_seed;
  for (const std::string& entry : raw) {
    const size_t eq = entry.find('=');
    by_seed[std::stoll(entry.substr(0, eq))] = entry.substr(eq + 1);
  }
  for (int64_t seed : o->seeds) {
    auto it = by_seed.find(seed);
    if (it == by_seed.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--seed-checkpoint-dirs: no folder for seed ", seed));
    }
    o->seed_checkpoint_dirs.push_back(it->second);
    by_seed.erase(it);
  }
  if (!by_seed.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--seed-checkpoint-dirs: seed ", by_seed.begin()->first, " is not in --seeds"));
  }
  return absl::OkStatus();
}

}  // namespace

int64_t CudaEvalBytes(const TrainPackOptions& options) {
  const int64_t mb = options.eval_memory_mb > 0 ? options.eval_memory_mb : 4096;
  return mb * (int64_t{1} << 20);
}

std::vector<std::string> EncodeTrainArgs(const TrainPackOptions& options) {
  static const TrainPackOptions defaults;
  std::vector<std::string> args;
  for (const Flag& f : Flags()) {
    const std::string value = f.get(options);
    if (value == f.get(defaults)) continue;
    args.push_back(std::string("--") + f.name);
    if (f.value != nullptr) args.push_back(value);
  }
  return args;
}

absl::StatusOr<TrainPackOptions> ParseTrainArgs(const std::vector<std::string>& args,
                                                const TrainPackOptions& base) {
  TrainPackOptions o = base;
  bool root_given = false, dirs_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    const size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const Flag* flag = FindFlag(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, " (sg-train --help lists the flags)"));
    }
    if (flag->value == nullptr) {
      if (has_value) return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
    } else if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value (", flag->value, ")"));
      }
      value = args[++i];
    }
    absl::Status s = flag->set(value, &o);
    if (!s.ok()) return s;
    root_given = root_given || name == "checkpoint-dir";
    dirs_given = dirs_given || name == "seed-checkpoint-dirs";
  }
  absl::Status aligned = AlignSeedDirs(&o, root_given, dirs_given);
  if (!aligned.ok()) return aligned;
  return o;
}

absl::Status ValidateTrainOptions(const TrainPackOptions& o) {
  if (o.config_path.empty() && o.spec_path.empty()) {
    return absl::InvalidArgumentError(
        "--config FILE (a resolved run config) or --spec FILE (a sweep spec) is required");
  }
  if (!o.config_path.empty() && !o.spec_path.empty()) {
    return absl::InvalidArgumentError("--config and --spec: give one of them");
  }
  if (!o.config_path.empty() && !o.cell.empty()) {
    return absl::InvalidArgumentError(
        "--cell: only with --spec (a resolved --config already holds its cell's values)");
  }
  if (o.out_dir.empty()) return absl::InvalidArgumentError("--out is required");
  if (o.seeds.empty()) return absl::InvalidArgumentError("--seeds is required (e.g. --seeds 0,1,2)");
  if (!o.run_ids.empty() && o.run_ids.size() != o.seeds.size()) {
    return absl::InvalidArgumentError(absl::StrCat("--run-ids: ", o.run_ids.size(),
                                                   " ids for ", o.seeds.size(),
                                                   " seeds; give one per seed, in --seeds order"));
  }
  if (!o.seed_checkpoint_dirs.empty() && o.seed_checkpoint_dirs.size() != o.seeds.size()) {
    return absl::InvalidArgumentError("--seed-checkpoint-dirs: give one folder per seed");
  }
  return absl::OkStatus();
}

std::string TrainUsage() {
  std::string out = "usage: sg-train (--config FILE | --spec FILE [--cell AXIS=VALUE,...]) "
                    "--seeds S[,S...] --out DIR [flags]\nflags:\n";
  for (const Flag& f : Flags()) {
    std::string left = absl::StrCat("  --", f.name, f.value != nullptr ? " " : "",
                                    f.value != nullptr ? f.value : "");
    if (left.size() < 34) left.resize(34, ' ');
    absl::StrAppend(&out, left, " ", f.help, "\n");
  }
  return out;
}

}  // namespace sg
