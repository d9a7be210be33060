#include "trainer/api/analyze_options.h"

#include <functional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sg {
namespace {

// One row per flag taking a value, read by both the encoder and the parser.
struct Flag {
  const char* name;
  const char* help;
  std::function<std::string(const AnalyzeOptions&)> get;
  std::function<bool(const std::string&, AnalyzeOptions*)> set;
};

std::function<bool(const std::string&, AnalyzeOptions*)> Int(int64_t AnalyzeOptions::*field) {
  return [field](const std::string& text, AnalyzeOptions* o) {
    return absl::SimpleAtoi(text, &(o->*field));
  };
}

std::function<bool(const std::string&, AnalyzeOptions*)> Text(
    std::string AnalyzeOptions::*field) {
  return [field](const std::string& text, AnalyzeOptions* o) {
    o->*field = text;
    return !text.empty();
  };
}

const std::vector<Flag>& Flags() {
  static const std::vector<Flag>* flags = new std::vector<Flag>{
      {"config", "FILE  the run's resolved config (JSON, as the coordinator stores it)",
       [](const AnalyzeOptions& o) { return o.config_path; }, Text(&AnalyzeOptions::config_path)},
      {"spec", "FILE  a sweep spec (YAML), instead of --config",
       [](const AnalyzeOptions& o) { return o.spec_path; }, Text(&AnalyzeOptions::spec_path)},
      {"cell", "CELL  the spec's grid cell, e.g. depth=6 (with --spec)",
       [](const AnalyzeOptions& o) { return o.cell; }, Text(&AnalyzeOptions::cell)},
      {"seed", "S  the run's seed", [](const AnalyzeOptions& o) { return absl::StrCat(o.seed); },
       Int(&AnalyzeOptions::seed)},
      {"checkpoints", "DIR  the run's checkpoint folder",
       [](const AnalyzeOptions& o) { return o.checkpoint_dir; },
       Text(&AnalyzeOptions::checkpoint_dir)},
      {"out", "FILE  metric lines, appended (- : stdout)",
       [](const AnalyzeOptions& o) { return o.out_path; }, Text(&AnalyzeOptions::out_path)},
      {"device", "D  cpu (default), cuda or cuda:N",
       [](const AnalyzeOptions& o) { return o.device; }, Text(&AnalyzeOptions::device)},
      {"attn-sentences", "N  train sentences for attn_entropy (default 256, as sg-train); 0: off",
       [](const AnalyzeOptions& o) { return absl::StrCat(o.attn_sentences); },
       Int(&AnalyzeOptions::attn_sentences)},
      {"tree-sentences", "N  sentences for t_score/t_parseval (default: the run's "
                         "train.tree_sentences); 0: off",
       [](const AnalyzeOptions& o) { return absl::StrCat(o.tree_sentences); },
       Int(&AnalyzeOptions::tree_sentences)},
      {"sweep-id", "ID  refuse checkpoints whose header names another sweep (0: unchecked)",
       [](const AnalyzeOptions& o) { return absl::StrCat(o.sweep_id); },
       Int(&AnalyzeOptions::sweep_id)},
      {"run-id", "ID  refuse checkpoints whose header names another run (0: unchecked)",
       [](const AnalyzeOptions& o) { return absl::StrCat(o.run_id); },
       Int(&AnalyzeOptions::run_id)},
      {"threads", "N  LibTorch CPU threads (0: LibTorch's default)",
       [](const AnalyzeOptions& o) { return absl::StrCat(o.threads); },
       Int(&AnalyzeOptions::threads)},
      {"eval-memory-mb", "N  activation budget per forward (0: 512 on cpu, 4096 on cuda)",
       [](const AnalyzeOptions& o) { return absl::StrCat(o.eval_memory_mb); },
       Int(&AnalyzeOptions::eval_memory_mb)},
  };
  return *flags;
}

}  // namespace

std::vector<std::string> EncodeAnalyzeArgs(const AnalyzeOptions& options) {
  std::vector<std::string> out;
  for (const Flag& f : Flags()) {
    const std::string value = f.get(options);
    if (value.empty()) continue;  // --spec/--cell without them, --config without it
    out.push_back(absl::StrCat("--", f.name));
    out.push_back(value);
  }
  if (options.quiet) out.push_back("--quiet");
  return out;
}

absl::StatusOr<AnalyzeOptions> ParseAnalyzeArgs(const std::vector<std::string>& args) {
  AnalyzeOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--quiet") {
      o.quiet = true;
      continue;
    }
    const Flag* flag = nullptr;
    for (const Flag& f : Flags()) {
      if (args[i] == absl::StrCat("--", f.name)) flag = &f;
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown argument '", args[i], "' (sg-analyze --help lists the flags)"));
    }
    if (i + 1 >= args.size() || !flag->set(args[i + 1], &o)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag->name, ": expected ", flag->help,
                       i + 1 < args.size() ? absl::StrCat(", got '", args[i + 1], "'") : ""));
    }
    ++i;
  }
  if (o.config_path.empty() == o.spec_path.empty()) {
    return absl::InvalidArgumentError(
        "--config FILE or --spec FILE: give exactly one (the run's resolved config, or a sweep "
        "spec with --cell)");
  }
  if (!o.cell.empty() && o.spec_path.empty()) {
    return absl::InvalidArgumentError("--cell: applies to --spec only");
  }
  if (o.seed < 0) return absl::InvalidArgumentError("--seed S: required, a seed >= 0");
  if (o.checkpoint_dir.empty()) {
    return absl::InvalidArgumentError("--checkpoints DIR: required (the run's checkpoint folder)");
  }
  if (o.out_path.empty()) return absl::InvalidArgumentError("--out FILE: required (- : stdout)");
  if (o.attn_sentences < 0) return absl::InvalidArgumentError("--attn-sentences: must be >= 0");
  if (o.tree_sentences < -1) {
    return absl::InvalidArgumentError(
        "--tree-sentences: must be >= 0 (or -1: the run's train.tree_sentences)");
  }
  if (o.threads < 0 || o.eval_memory_mb < 0 || o.sweep_id < 0 || o.run_id < 0) {
    return absl::InvalidArgumentError(
        "--threads, --eval-memory-mb, --sweep-id and --run-id must be >= 0");
  }
  return o;
}

std::string AnalyzeUsage() {
  std::string out =
      "usage: sg-analyze (--config FILE | --spec FILE [--cell CELL]) --seed S --checkpoints DIR\n"
      "                  --out FILE [flags]\n"
      "Recomputes weight_norm, weight_norm_ref, attn_entropy, t_score and t_parseval of one run\n"
      "at every checkpoint in DIR and writes them as metric lines (sgctl analyze records them\n"
      "on the run's curves).\n";
  for (const Flag& f : Flags()) absl::StrAppend(&out, "  --", f.name, " ", f.help, "\n");
  absl::StrAppend(&out, "  --quiet  no progress lines on stderr\n");
  return out;
}

}  // namespace sg
