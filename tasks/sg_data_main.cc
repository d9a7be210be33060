// sg-data: writes a generated split, or prints a split's statistics and split-rule violations.
//
//   sg-data generate --task T --split train|val|test --seed N [--size N]
//                    [--train-size N] [--val-size N] [--test-size N] [--dyck-split blocks|string]
//                    --out FILE
//   sg-data stats FILE --task T [--split train|val|test] [--train FILE | --seed N [sizes]]
//                    [--dyck-split blocks|string]
//
// `generate` writes exactly the lines a training run with the same data seed and sizes uses
// (the splits are drawn in the order train, val, test from one stream, so every split depends
// on the train size). `stats` exits 0 when there are no violations, 1 when there are, 2 on a
// usage or input error. Dyck val/test rules need the training strings: --train FILE, or --seed
// (and sizes) to regenerate them.
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/sweep_spec.h"
#include "common/version.h"
#include "tasks/dyck.h"
#include "tasks/split_report.h"
#include "tasks/task_data.h"
#include "tasks/task_dataset.h"

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  sg-data generate --task T --split train|val|test --seed N [--size N]\n"
    "                   [--train-size N] [--val-size N] [--test-size N]\n"
    "                   [--dyck-split blocks|string] --out FILE\n"
    "  sg-data stats FILE --task T [--split train|val|test] [--train FILE | --seed N]\n"
    "                   [--train-size N] [--dyck-split blocks|string]\n"
    "T: dyck | question_formation | tense_inflection\n";

int Fail(const std::string& message) {
  std::fprintf(stderr, "sg-data: %s\n%s", message.c_str(), kUsage);
  return 2;
}

struct Args {
  std::string command, file;
  std::map<std::string, std::string> flags;
};

bool ParseArgs(int argc, char** argv, Args& a, std::string& error) {
  if (argc < 2) {
    error = "missing command";
    return false;
  }
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (absl::StartsWith(arg, "--")) {
      std::string value;
      const size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        error = absl::StrCat(arg, " needs a value");
        return false;
      }
      a.flags[arg.substr(2)] = value;
    } else if (a.file.empty()) {
      a.file = arg;
    } else {
      error = absl::StrCat("unexpected argument '", arg, "'");
      return false;
    }
  }
  return true;
}

bool GetInt(const Args& a, const std::string& name, int64_t& out, std::string& error) {
  auto it = a.flags.find(name);
  if (it == a.flags.end()) return true;
  if (!absl::SimpleAtoi(it->second, &out) || out < 0) {
    error = absl::StrCat("--", name, ": must be an integer >= 0, got '", it->second, "'");
    return false;
  }
  return true;
}

bool ParseSplit(const std::string& s, sg::Split& out) {
  if (s == "train") out = sg::Split::kTrain;
  else if (s == "val") out = sg::Split::kVal;
  else if (s == "test") out = sg::Split::kTest;
  else return false;
  return true;
}

// The data config from --seed and the size flags; --size sets the chosen split's size.
bool DataFromFlags(const Args& a, sg::TaskKind task, const sg::Split* split, sg::DataConfig& d,
                   std::string& error) {
  d = sg::DefaultDataConfig(task);
  if (!GetInt(a, "seed", d.seed, error) || !GetInt(a, "train-size", d.train_size, error) ||
      !GetInt(a, "val-size", d.val_size, error) || !GetInt(a, "test-size", d.test_size, error)) {
    return false;
  }
  if (split != nullptr && a.flags.count("size")) {
    int64_t* target = *split == sg::Split::kTrain ? &d.train_size
                      : *split == sg::Split::kVal ? &d.val_size
                                                  : &d.test_size;
    if (!GetInt(a, "size", *target, error)) return false;
  }
  if (a.flags.count("dyck-split")) d.dyck_split = a.flags.at("dyck-split");
  return true;
}

int Generate(const Args& a, sg::TaskKind task) {
  sg::Split split;
  if (!a.flags.count("split") || !ParseSplit(a.flags.at("split"), split)) {
    return Fail("--split: required, one of train, val, test");
  }
  if (!a.flags.count("seed")) return Fail("--seed: required (the data seed, an integer >= 0)");
  if (!a.flags.count("out")) return Fail("--out: required (the file to write)");
  sg::DataConfig d;
  std::string error;
  if (!DataFromFlags(a, task, &split, d, error)) return Fail(error);
  std::vector<std::string> train, val, test;
  if (absl::Status s = sg::GenerateTaskLines(task, d, &train, &val, &test); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  const std::vector<std::string>& lines =
      split == sg::Split::kTrain ? train : split == sg::Split::kVal ? val : test;
  std::ofstream out(a.flags.at("out"), std::ios::binary | std::ios::trunc);
  if (!out) return Fail(absl::StrCat("--out: cannot write ", a.flags.at("out")));
  for (const std::string& line : lines) out << line << '\n';
  out.close();
  if (!out) return Fail(absl::StrCat("--out: error writing ", a.flags.at("out")));
  std::fprintf(stderr, "wrote %zu %s lines of %s (seed %lld) to %s\n", lines.size(),
               sg::SplitName(split), sg::TaskName(task), static_cast<long long>(d.seed),
               a.flags.at("out").c_str());
  return 0;
}

int Stats(const Args& a, sg::TaskKind task) {
  if (a.file.empty()) return Fail("stats: the FILE to analyse is required");
  sg::Split split;
  if (a.flags.count("split")) {
    if (!ParseSplit(a.flags.at("split"), split)) return Fail("--split: one of train, val, test");
  } else {
    // From the file name, as in the authors' layout (question.val, k-20_d-10_test.txt, ...).
    const std::string base = a.file.substr(a.file.find_last_of('/') + 1);
    if (absl::StrContains(base, "train")) split = sg::Split::kTrain;
    else if (absl::StrContains(base, "val")) split = sg::Split::kVal;
    else if (absl::StrContains(base, "test")) split = sg::Split::kTest;
    else return Fail("--split: cannot tell the split from the file name; pass --split");
  }
  absl::StatusOr<std::vector<std::string>> lines = sg::ReadLines(a.file);
  if (!lines.ok()) return Fail(std::string(lines.status().message()));

  std::vector<std::string> train;
  bool have_train = false;
  std::string error;
  sg::DataConfig d;
  if (!DataFromFlags(a, task, nullptr, d, error)) return Fail(error);
  absl::StatusOr<sg::dyck::Structure> structure = sg::dyck::ParseStructure(d.dyck_split);
  if (!structure.ok()) return Fail(std::string(structure.status().message()));
  if (task == sg::TaskKind::kDyck && split != sg::Split::kTrain) {
    if (a.flags.count("train")) {
      absl::StatusOr<std::vector<std::string>> t = sg::ReadLines(a.flags.at("train"));
      if (!t.ok()) return Fail(absl::StrCat("--train: ", t.status().message()));
      train = std::move(*t);
      have_train = true;
    } else if (a.flags.count("seed")) {
      std::vector<std::string> val, test;
      if (absl::Status s = sg::GenerateTaskLines(task, d, &train, &val, &test); !s.ok()) {
        return Fail(std::string(s.message()));
      }
      have_train = true;
    }
  }
  const sg::SplitReport report = sg::AnalyzeSplit(task, split, *lines,
                                                  have_train ? &train : nullptr, *structure);
  std::printf("%s", sg::FormatReport(report).c_str());
  if (task == sg::TaskKind::kDyck && split != sg::Split::kTrain && !have_train) {
    std::printf("note: structural split rules not checked (pass --train FILE or --seed N)\n");
  }
  return report.violations == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  std::string error;
  if (!ParseArgs(argc, argv, a, error)) return Fail(error);
  if (a.command == "-h" || a.command == "--help" || a.command == "help") {
    std::printf("%s", kUsage);
    return 0;
  }
  if (a.command == "--version") {
    std::printf("sg-data %s\n", sg::kSgVersion);
    return 0;
  }
  if (!a.flags.count("task")) return Fail("--task: required");
  absl::StatusOr<sg::TaskKind> task = sg::ParseTaskName(a.flags.at("task"));
  if (!task.ok()) {
    return Fail(absl::StrCat("--task: must be dyck, question_formation or tense_inflection, got '",
                             a.flags.at("task"), "'"));
  }
  if (a.command == "generate") return Generate(a, *task);
  if (a.command == "stats") return Stats(a, *task);
  return Fail(absl::StrCat("unknown command '", a.command, "'"));
}
