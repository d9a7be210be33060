#include "tasks/task_dataset.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "tasks/dyck.h"
#include "tasks/lexicon.h"
#include "tasks/question_formation.h"
#include "tasks/task_data.h"
#include "tasks/tense_inflection.h"

namespace sg {

const char* SplitName(Split split) {
  switch (split) {
    case Split::kTrain:
      return "train";
    case Split::kVal:
      return "val";
    case Split::kTest:
      return "test";
  }
  return "?";
}

DataConfig DefaultDataConfig(TaskKind task) {
  DataConfig d;
  if (task == TaskKind::kDyck) {
    d.train_size = 200000;
    d.val_size = 20000;
    d.test_size = 20000;
  } else {
    d.train_size = 100000;
    d.val_size = 1000;
    d.test_size = 10000;
  }
  return d;
}

std::string ReferenceFileName(TaskKind task, Split split) {
  switch (task) {
    case TaskKind::kQuestionFormation:
      return absl::StrCat("question.", SplitName(split));
    case TaskKind::kTenseInflection:
      return absl::StrCat("tense.", SplitName(split));
    case TaskKind::kDyck:
      return absl::StrCat("k-20_d-10_", SplitName(split), ".txt");
  }
  return "";
}

Vocabulary LexiconVocabulary(TaskKind task) {
  switch (task) {
    case TaskKind::kQuestionFormation:
      return Vocabulary(lexicon::QuestionFormationWords());
    case TaskKind::kTenseInflection:
      return Vocabulary(lexicon::TenseInflectionWords());
    case TaskKind::kDyck:
      return Vocabulary(lexicon::DyckWords());
  }
  return Vocabulary();
}

absl::Status GenerateTaskLines(TaskKind task, const DataConfig& data,
                               std::vector<std::string>* train, std::vector<std::string>* val,
                               std::vector<std::string>* test) {
  if (data.seed < 0) return absl::InvalidArgumentError("data.seed: must be >= 0");
  for (auto [name, size] : {std::pair<const char*, int64_t>{"data.train_size", data.train_size},
                            {"data.val_size", data.val_size},
                            {"data.test_size", data.test_size}}) {
    if (size < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": must be >= 1, got ", size, " (leave it unset for the default)"));
    }
  }
  const uint64_t seed = static_cast<uint64_t>(data.seed);
  switch (task) {
    case TaskKind::kQuestionFormation:
      return GenerateQuestionFormation(seed, data.train_size, data.val_size, data.test_size,
                                       train, val, test);
    case TaskKind::kTenseInflection:
      return GenerateTenseInflection(seed, data.train_size, data.val_size, data.test_size, train,
                                     val, test);
    case TaskKind::kDyck: {
      SG_ASSIGN_OR_RETURN(dyck::Structure structure, dyck::ParseStructure(data.dyck_split));
      return dyck::Generate(seed, data.train_size, data.val_size, data.test_size, structure,
                            train, val, test);
    }
  }
  return absl::InvalidArgumentError("unknown task");
}

absl::StatusOr<std::vector<std::string>> ReadLines(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank lines
    lines.push_back(std::move(line));
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("error reading ", path));
  return lines;
}

absl::StatusOr<std::vector<TokenIds>> EncodeLines(TaskKind task, const Vocabulary& vocab,
                                                  const std::vector<std::string>& lines,
                                                  const char* split_name) {
  const bool dyck = task == TaskKind::kDyck;
  std::vector<TokenIds> out;
  out.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::StatusOr<TokenIds> ids = vocab.Encode(LineToWords(lines[i], dyck));
    if (!ids.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(split_name, " line ", i + 1, ": ",
                                                     ids.status().message()));
    }
    if (ids->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(split_name, " line ", i + 1, " is empty"));
    }
    out.push_back(std::move(*ids));
  }
  return out;
}

absl::StatusOr<TaskDataset> LoadTaskDataset(TaskKind task, const DataConfig& data) {
  TaskDataset d;
  d.task = task;
  if (data.dir.empty()) {
    SG_RETURN_IF_ERROR(GenerateTaskLines(task, data, &d.train_lines, &d.val_lines,
                                         &d.test_lines));
    d.vocab = LexiconVocabulary(task);
  } else {
    // The authors' files: read as they are (sizes and seed do not apply) and, as the reference
    // does, take the vocabulary from their union.
    for (Split split : {Split::kTrain, Split::kVal, Split::kTest}) {
      const std::string path = absl::StrCat(data.dir, "/", ReferenceFileName(task, split));
      absl::StatusOr<std::vector<std::string>> lines = ReadLines(path);
      if (!lines.ok()) {
        return absl::NotFoundError(absl::StrCat(
            "data.dir: ", lines.status().message(), "; the folder must hold ",
            ReferenceFileName(task, Split::kTrain), ", ", ReferenceFileName(task, Split::kVal),
            " and ", ReferenceFileName(task, Split::kTest),
            " (or leave data.dir unset to generate the data)"));
      }
      if (lines->empty()) {
        return absl::InvalidArgumentError(absl::StrCat("data.dir: ", path, " has no lines"));
      }
      (split == Split::kTrain ? d.train_lines : split == Split::kVal ? d.val_lines : d.test_lines) =
          std::move(*lines);
    }
    d.vocab = Vocabulary::FromLines({&d.train_lines, &d.val_lines, &d.test_lines},
                                    task == TaskKind::kDyck);
  }
  SG_ASSIGN_OR_RETURN(d.train, EncodeLines(task, d.vocab, d.train_lines, "train"));
  SG_ASSIGN_OR_RETURN(d.val, EncodeLines(task, d.vocab, d.val_lines, "val"));
  SG_ASSIGN_OR_RETURN(d.test, EncodeLines(task, d.vocab, d.test_lines, "test"));
  return d;
}

}  // namespace sg
