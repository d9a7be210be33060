// Sweep spec parsing (yaml-cpp), validation and expansion. yaml-cpp throws; every exception is
// caught here and turned into a kInvalidArgument that names the file, line and field.
#include "common/sweep_spec.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/checkpoint_retention.h"
#include "common/status_macros.h"

namespace sg {
namespace {

// A grid may have at most this many cells whatever ExpandSweep's max_runs; it bounds the
// per-cell validation done at parse time.
constexpr int64_t kMaxGridCells = 1'000'000;
// Integers written as floats ("3e5") must be exactly representable.
constexpr double kMaxExactInt = 9007199254740992.0;  // 2^53

enum class FieldType { kInt, kReal, kBool, kString };

// One `train` key. Numeric and bool fields may also be grid axes.
struct TrainField {
  const char* name;
  FieldType type;
  int64_t TrainConfig::*int_member;
  double TrainConfig::*real_member;
  bool TrainConfig::*bool_member;
  std::string TrainConfig::*string_member;
  bool (*valid)(double);  // range check for numbers; null for bool/string
  const char* allowed;    // what the range check allows, for messages
};

TrainField Int(const char* name, int64_t TrainConfig::*m, bool (*valid)(double),
               const char* allowed) {
  return {name, FieldType::kInt, m, nullptr, nullptr, nullptr, valid, allowed};
}
TrainField Real(const char* name, double TrainConfig::*m, bool (*valid)(double),
                const char* allowed) {
  return {name, FieldType::kReal, nullptr, m, nullptr, nullptr, valid, allowed};
}
TrainField Bool(const char* name, bool TrainConfig::*m) {
  return {name, FieldType::kBool, nullptr, nullptr, m, nullptr, nullptr, "true or false"};
}
TrainField String(const char* name, std::string TrainConfig::*m, const char* allowed) {
  return {name, FieldType::kString, nullptr, nullptr, nullptr, m, nullptr, allowed};
}

bool AtLeast0(double v) { return v >= 0; }
bool AtLeast1(double v) { return v >= 1; }
bool Positive(double v) { return v > 0; }
bool UnitOpen(double v) { return v >= 0 && v < 1; }

// The table of every `train` key, in TrainConfig order.
const std::vector<TrainField>& TrainFields() {
  static const std::vector<TrainField>* fields = new std::vector<TrainField>{
      Int("depth", &TrainConfig::depth, AtLeast1, "an integer >= 1"),
      Int("steps", &TrainConfig::steps, AtLeast1, "an integer >= 1"),
      Int("eval_every", &TrainConfig::eval_every, AtLeast1, "an integer >= 1"),
      Int("checkpoint_every", &TrainConfig::checkpoint_every, AtLeast1, "an integer >= 1"),
      Int("batch_size", &TrainConfig::batch_size, AtLeast1, "an integer >= 1"),
      Real("lr", &TrainConfig::lr, Positive, "a number > 0"),
      Int("warmup_steps", &TrainConfig::warmup_steps, AtLeast0, "an integer >= 0"),
      Int("decay_steps", &TrainConfig::decay_steps, AtLeast1, "an integer >= 1"),
      Real("clip", &TrainConfig::clip, Positive, "a number > 0"),
      Int("d_model", &TrainConfig::d_model, AtLeast1, "an integer >= 1"),
      Int("heads", &TrainConfig::heads, AtLeast1, "an integer >= 1"),
      Int("ff", &TrainConfig::ff, AtLeast1, "an integer >= 1"),
      Real("dropout", &TrainConfig::dropout, UnitOpen, "a number in [0, 1)"),
      Bool("tie_embeddings", &TrainConfig::tie_embeddings),
      Real("adam_beta1", &TrainConfig::adam_beta1, UnitOpen, "a number in [0, 1)"),
      Real("adam_beta2", &TrainConfig::adam_beta2, UnitOpen, "a number in [0, 1)"),
      Real("adam_eps", &TrainConfig::adam_eps, Positive, "a number > 0"),
      Real("weight_decay", &TrainConfig::weight_decay, AtLeast0, "a number >= 0"),
      Int("dyck_min_distance", &TrainConfig::dyck_min_distance, AtLeast0, "an integer >= 0"),
      Int("tense_test_lines", &TrainConfig::tense_test_lines, AtLeast0, "an integer >= 0"),
      String("early_stop", &TrainConfig::early_stop, "one of first_best, within_0.01"),
      String("qf_first_word", &TrainConfig::qf_first_word, "one of four_way, argmax"),
      Bool("tense_drop_before_eos", &TrainConfig::tense_drop_before_eos),
      Int("tree_sentences", &TrainConfig::tree_sentences, AtLeast0, "an integer >= 0"),
      Int("tree_every_evals", &TrainConfig::tree_every_evals, AtLeast1, "an integer >= 1"),
      String("keep_checkpoints", &TrainConfig::keep_checkpoints,
             "'last N', 'every K steps' or 'all'"),
  };
  return *fields;
}

const TrainField* FindTrainField(absl::string_view name) {
  for (const TrainField& f : TrainFields()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

std::string TrainKeyList() {
  std::vector<std::string> names;
  for (const TrainField& f : TrainFields()) names.push_back(f.name);
  return absl::StrJoin(names, ", ");
}

std::string AxisList() {
  std::vector<std::string> names;
  for (const TrainField& f : TrainFields()) {
    if (f.type != FieldType::kString) names.push_back(f.name);
  }
  return absl::StrJoin(names, ", ");
}

void SetNumber(TrainConfig& config, const TrainField& f, double v) {
  switch (f.type) {
    case FieldType::kInt: config.*f.int_member = static_cast<int64_t>(v); break;
    case FieldType::kReal: config.*f.real_member = v; break;
    case FieldType::kBool: config.*f.bool_member = v != 0; break;
    case FieldType::kString: break;
  }
}

// Checks a numeric value against a field's type and range. Returns "" if fine, else what is
// allowed (the message's "must be ..." part).
std::string CheckNumber(const TrainField& f, double v) {
  if (!std::isfinite(v)) return f.allowed;
  switch (f.type) {
    case FieldType::kInt:
      if (v != std::floor(v) || std::fabs(v) > kMaxExactInt) return f.allowed;
      break;
    case FieldType::kBool:
      return (v == 0 || v == 1) ? "" : f.allowed;
    case FieldType::kReal:
    case FieldType::kString:
      break;
  }
  return f.valid != nullptr && !f.valid(v) ? f.allowed : "";
}

// A relation between fields that a single field's range cannot express. Returns the offending
// field and what is wrong, or nullopt.
struct CrossError {
  std::string field;
  std::string other;  // the field it is compared with ("" if none)
  std::string message;
};
std::optional<CrossError> CheckCrossFields(const TrainConfig& c) {
  if (c.d_model % c.heads != 0) {
    return CrossError{"d_model", "heads", absl::StrCat("must be divisible by heads, got d_model=",
                                              c.d_model, " with heads=", c.heads)};
  }
  // Checkpoints are written after an evaluation (experiment.md §2.6), so a resumed run's
  // curve lines up with its evaluation points.
  if (c.checkpoint_every % c.eval_every != 0) {
    return CrossError{"checkpoint_every", "eval_every",
                      absl::StrCat("must be a multiple of eval_every, got checkpoint_every=",
                                   c.checkpoint_every, " with eval_every=", c.eval_every)};
  }
  if (c.eval_every > c.steps) {
    return CrossError{"eval_every", "steps", absl::StrCat("must be <= steps, got eval_every=",
                                                 c.eval_every, " with steps=", c.steps)};
  }
  // The linear decay divides by (decay_steps - warmup_steps).
  if (c.decay_steps <= c.warmup_steps) {
    return CrossError{"decay_steps", "warmup_steps",
                      absl::StrCat("must be > warmup_steps, got decay_steps=", c.decay_steps,
                                   " with warmup_steps=", c.warmup_steps)};
  }
  if (c.qf_first_word != "four_way" && c.qf_first_word != "argmax") {
    return CrossError{"qf_first_word", "",
                      absl::StrCat("must be one of four_way, argmax, got '", c.qf_first_word, "'")};
  }
  if (absl::StatusOr<CheckpointRetention> keep = ParseCheckpointRetention(c.keep_checkpoints);
      !keep.ok()) {
    return CrossError{"keep_checkpoints", "", std::string(keep.status().message())};
  } else if (keep->kind == CheckpointRetention::Kind::kEvery &&
             keep->count % c.checkpoint_every != 0) {
    return CrossError{"keep_checkpoints", "checkpoint_every",
                      absl::StrCat("every K steps needs K to be a multiple of checkpoint_every, "
                                   "got K=", keep->count, " with checkpoint_every=",
                                   c.checkpoint_every)};
  }
  if (c.early_stop != "first_best" && c.early_stop != "within_0.01") {
    return CrossError{"early_stop", "", absl::StrCat("must be one of first_best, within_0.01, got '",
                                                 c.early_stop, "'")};
  }
  return std::nullopt;
}

}  // namespace

std::string FormatCellValue(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    double back = 0;
    if (absl::SimpleAtod(buf, &back) && back == v) break;
  }
  return buf;
}

namespace {

std::string FormatNumber(double v) { return FormatCellValue(v); }

// Reads scalars and reports errors with "<source>:<line>: <field>: ".
class SpecParser {
 public:
  explicit SpecParser(absl::string_view source) : source_(source) {}

  absl::Status Error(const YAML::Node& node, absl::string_view field,
                     absl::string_view message) const {
    return ErrorAtLine(LineOf(node), field, message);
  }
  absl::Status ErrorAtLine(int line, absl::string_view field, absl::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", line, ": ", field, ": ", message));
  }
  static int LineOf(const YAML::Node& node) {
    if (!node.IsDefined()) return 1;
    int line = node.Mark().line;
    return line < 0 ? 1 : line + 1;
  }

  static std::string Got(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return "got nothing";
    if (node.IsSequence()) return "got a list";
    if (node.IsMap()) return "got a map";
    return absl::StrCat("got '", node.Scalar(), "'");
  }

  // A finite number; integers if integral. kInvalidArgument names field and `allowed`.
  absl::StatusOr<double> Number(const YAML::Node& node, absl::string_view field,
                                absl::string_view allowed) const {
    double v = 0;
    if (!node.IsScalar() || !absl::SimpleAtod(node.Scalar(), &v) || !std::isfinite(v)) {
      return Error(node, field, absl::StrCat("must be ", allowed, ", ", Got(node)));
    }
    return v;
  }

  // A value for a train field (numbers, bools), checked against its range.
  absl::StatusOr<double> FieldValue(const YAML::Node& node, const TrainField& f,
                                    absl::string_view field) const {
    std::string must = absl::StrCat("must be ", f.allowed, ", ", Got(node));
    if (f.type == FieldType::kBool) {
      if (node.IsScalar()) {
        const std::string& s = node.Scalar();
        if (s == "true" || s == "True" || s == "TRUE") return 1.0;
        if (s == "false" || s == "False" || s == "FALSE") return 0.0;
      }
      return Error(node, field, must);
    }
    double v = 0;
    if (!node.IsScalar() || !absl::SimpleAtod(node.Scalar(), &v) ||
        !CheckNumber(f, v).empty()) {
      return Error(node, field, must);
    }
    return v;
  }

  absl::StatusOr<int64_t> Integer(const YAML::Node& node, absl::string_view field,
                                  int64_t min) const {
    std::string allowed = absl::StrCat("an integer >= ", min);
    double v = 0;
    if (!node.IsScalar() || !absl::SimpleAtod(node.Scalar(), &v) || v != std::floor(v) ||
        std::fabs(v) > kMaxExactInt || v < static_cast<double>(min)) {
      return Error(node, field, absl::StrCat("must be ", allowed, ", ", Got(node)));
    }
    return static_cast<int64_t>(v);
  }

  // Checks that `map` is a map with unique keys from `allowed`.
  absl::Status CheckKeys(const YAML::Node& map, absl::string_view prefix,
                         const std::vector<std::string>& allowed) const {
    std::set<std::string> seen;
    for (const auto& kv : map) {
      if (!kv.first.IsScalar()) {
        return Error(kv.first, prefix.empty() ? "key" : prefix, "keys must be plain names");
      }
      const std::string& key = kv.first.Scalar();
      std::string field = prefix.empty() ? key : absl::StrCat(prefix, ".", key);
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        return Error(kv.first, field,
                     absl::StrCat("unknown key; allowed: ", absl::StrJoin(allowed, ", ")));
      }
      if (!seen.insert(key).second) {
        return Error(kv.first, field, "duplicate key");
      }
    }
    return absl::OkStatus();
  }

 private:
  std::string source_;
};

bool ValidName(absl::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

void ApplyTaskDefaults(TaskKind task, TrainConfig& train, DataConfig& data) {
  if (task == TaskKind::kDyck) {
    train.steps = 400000;
    train.eval_every = 10000;
    train.tree_sentences = 50;
    data.train_size = 200000;
    data.val_size = 20000;
    data.test_size = 20000;
  } else {
    train.steps = 300000;
    train.eval_every = 3000;
    train.tree_sentences = 500;
    data.train_size = 100000;
    data.val_size = 1000;
    data.test_size = 10000;
  }
  train.checkpoint_every = train.eval_every;
}

absl::StatusOr<SweepSpec> ParseNode(const YAML::Node& root, const SpecParser& p) {
  if (!root.IsDefined() || root.IsNull()) {
    return p.ErrorAtLine(1, "spec", "is empty; expected a map with name, task, grid, seeds");
  }
  if (!root.IsMap()) {
    return p.Error(root, "spec", "must be a map with keys name, task, grid, seeds, train, data");
  }
  SG_RETURN_IF_ERROR(
      p.CheckKeys(root, "", {"name", "task", "grid", "seeds", "train", "data"}));
  SweepSpec spec;

  // name
  YAML::Node name = root["name"];
  if (!name.IsDefined()) {
    return p.ErrorAtLine(1, "name", "required: a unique sweep name such as qf-depth");
  }
  if (!name.IsScalar() || !ValidName(name.Scalar())) {
    return p.Error(name, "name",
                   absl::StrCat("must start with a letter and contain only letters, digits, "
                                "'-', '_' or '.' (at most 128 characters), ",
                                SpecParser::Got(name)));
  }
  spec.name = name.Scalar();

  // task
  YAML::Node task = root["task"];
  if (!task.IsDefined()) {
    return p.ErrorAtLine(1, "task", "required: one of dyck, question_formation, tense_inflection");
  }
  absl::StatusOr<TaskKind> kind = absl::InvalidArgumentError("task is not a name");
  if (task.IsScalar()) kind = ParseTaskName(task.Scalar());
  if (!kind.ok()) {
    return p.Error(task, "task",
                   absl::StrCat("must be one of dyck, question_formation, tense_inflection, ",
                                SpecParser::Got(task)));
  }
  spec.task = *kind;
  ApplyTaskDefaults(spec.task, spec.train, spec.data);

  // train
  std::set<std::string> train_keys;
  YAML::Node train = root["train"];
  if (train.IsDefined() && !train.IsNull()) {
    if (!train.IsMap()) {
      return p.Error(train, "train", absl::StrCat("must be a map of ", TrainKeyList()));
    }
    std::vector<std::string> allowed;
    for (const TrainField& f : TrainFields()) allowed.push_back(f.name);
    SG_RETURN_IF_ERROR(p.CheckKeys(train, "train", allowed));
    for (const auto& kv : train) {
      const std::string key = kv.first.Scalar();
      const TrainField* f = FindTrainField(key);
      std::string field = absl::StrCat("train.", key);
      if (f->type == FieldType::kString) {
        if (!kv.second.IsScalar()) {
          return p.Error(kv.second, field,
                         absl::StrCat("must be ", f->allowed, ", ", SpecParser::Got(kv.second)));
        }
        spec.train.*f->string_member = kv.second.Scalar();
      } else {
        SG_ASSIGN_OR_RETURN(double v, p.FieldValue(kv.second, *f, field));
        SetNumber(spec.train, *f, v);
      }
      train_keys.insert(key);
    }
    if (train_keys.count("checkpoint_every") == 0) {
      spec.train.checkpoint_every = spec.train.eval_every;
    }
  }

  // data
  YAML::Node data = root["data"];
  if (data.IsDefined() && !data.IsNull()) {
    if (!data.IsMap()) {
      return p.Error(data, "data",
                     "must be a map of seed, train_size, val_size, test_size, dir, dyck_split");
    }
    SG_RETURN_IF_ERROR(
        p.CheckKeys(data, "data",
                    {"seed", "train_size", "val_size", "test_size", "dir", "dyck_split"}));
    for (const auto& kv : data) {
      const std::string key = kv.first.Scalar();
      std::string field = absl::StrCat("data.", key);
      if (key == "dyck_split") {
        if (!kv.second.IsScalar() ||
            (kv.second.Scalar() != "blocks" && kv.second.Scalar() != "string")) {
          return p.Error(kv.second, field,
                         absl::StrCat("must be blocks (code) or string (paper App. A), ",
                                      SpecParser::Got(kv.second)));
        }
        spec.data.dyck_split = kv.second.Scalar();
        continue;
      }
      if (key == "dir") {
        if (!kv.second.IsScalar() || kv.second.Scalar().empty()) {
          return p.Error(kv.second, field,
                         absl::StrCat("must be a directory path, ", SpecParser::Got(kv.second)));
        }
        spec.data.dir = kv.second.Scalar();
        continue;
      }
      SG_ASSIGN_OR_RETURN(int64_t v, p.Integer(kv.second, field, key == "seed" ? 0 : 1));
      if (key == "seed") spec.data.seed = v;
      if (key == "train_size") spec.data.train_size = v;
      if (key == "val_size") spec.data.val_size = v;
      if (key == "test_size") spec.data.test_size = v;
    }
  }

  // grid
  std::map<std::string, int> axis_lines;
  YAML::Node grid = root["grid"];
  if (grid.IsDefined() && !grid.IsNull()) {
    if (!grid.IsMap()) {
      return p.Error(grid, "grid",
                     absl::StrCat("must be a map from axis to a list of values, e.g. "
                                  "{depth: [2, 4, 6]}; axes: ",
                                  AxisList()));
    }
    std::set<std::string> seen;
    for (const auto& kv : grid) {
      std::string axis = kv.first.IsScalar() ? kv.first.Scalar() : "";
      std::string field = absl::StrCat("grid.", axis);
      const TrainField* f = FindTrainField(axis);
      if (f == nullptr || f->type == FieldType::kString) {
        return p.Error(kv.first, field,
                       absl::StrCat("not a grid axis; axes are numeric train keys: ", AxisList()));
      }
      if (!seen.insert(axis).second) return p.Error(kv.first, field, "duplicate axis");
      if (train_keys.count(axis) != 0) {
        return p.Error(kv.first, field,
                       absl::StrCat("is also set in train.", axis,
                                    "; set it in one place (grid for several values)"));
      }
      if (!kv.second.IsSequence() || kv.second.size() == 0) {
        return p.Error(kv.second, field,
                       absl::StrCat("must be a non-empty list of values, each ", f->allowed,
                                    ", ", SpecParser::Got(kv.second)));
      }
      std::vector<double> values;
      for (size_t i = 0; i < kv.second.size(); ++i) {
        YAML::Node item = kv.second[i];
        std::string item_field = absl::StrCat(field, "[", i, "]");
        SG_ASSIGN_OR_RETURN(double v, p.FieldValue(item, *f, item_field));
        if (std::find(values.begin(), values.end(), v) != values.end()) {
          return p.Error(item, item_field,
                         absl::StrCat("duplicate value ", FormatNumber(v),
                                      " (each value gives one set of runs)"));
        }
        values.push_back(v);
      }
      axis_lines[axis] = SpecParser::LineOf(kv.first);
      spec.grid.emplace_back(axis, std::move(values));
    }
  }

  // seeds
  YAML::Node seeds = root["seeds"];
  if (!seeds.IsDefined()) {
    return p.ErrorAtLine(1, "seeds",
                         "required: a count N (seeds 0..N-1) or a list of distinct integers >= 0");
  }
  if (seeds.IsSequence()) {
    if (seeds.size() == 0) {
      return p.Error(seeds, "seeds", "must not be an empty list");
    }
    for (size_t i = 0; i < seeds.size(); ++i) {
      std::string field = absl::StrCat("seeds[", i, "]");
      SG_ASSIGN_OR_RETURN(int64_t s, p.Integer(seeds[i], field, 0));
      if (std::find(spec.seeds.begin(), spec.seeds.end(), s) != spec.seeds.end()) {
        return p.Error(seeds[i], field,
                       absl::StrCat("duplicate seed ", s, "; seeds must be distinct"));
      }
      spec.seeds.push_back(s);
    }
  } else {
    double v = 0;
    if (!seeds.IsScalar() || !absl::SimpleAtod(seeds.Scalar(), &v) || v != std::floor(v) ||
        v < 1 || v > 1e6) {
      return p.Error(seeds, "seeds",
                     absl::StrCat("must be a count 1..1000000 (seeds 0..N-1) or a list of "
                                  "distinct integers >= 0, ",
                                  SpecParser::Got(seeds)));
    }
    for (int64_t s = 0; s < static_cast<int64_t>(v); ++s) spec.seeds.push_back(s);
  }

  // Every cell's resolved config must satisfy the cross-field rules.
  int64_t cells = 1;
  for (const auto& axis : spec.grid) {
    cells *= static_cast<int64_t>(axis.second.size());
    if (cells > kMaxGridCells) {
      return p.Error(grid, "grid", absl::StrCat("has more than ", kMaxGridCells, " cells"));
    }
  }
  // The line of a field where the user wrote it (grid axis or train key), else 0.
  auto written_line = [&](const std::string& field) {
    auto it = axis_lines.find(field);
    if (it != axis_lines.end()) return it->second;
    if (!field.empty() && train.IsDefined() && train.IsMap() && train[field].IsDefined()) {
      return SpecParser::LineOf(train[field]);
    }
    return 0;
  };
  for (const GridCell& cell : ExpandGrid(spec)) {
    SG_ASSIGN_OR_RETURN(TrainConfig config, ApplyCell(spec.train, cell));
    std::optional<CrossError> err = CheckCrossFields(config);
    if (err.has_value()) {
      std::string where = axis_lines.count(err->field) ? "grid." : "train.";
      std::string message = err->message;
      if (!cell.empty()) absl::StrAppend(&message, " (grid cell ", CellKey(cell), ")");
      int line = written_line(err->field);
      if (line == 0) line = written_line(err->other);
      if (line == 0) line = train.IsDefined() ? SpecParser::LineOf(train) : 1;
      return p.ErrorAtLine(line, where + err->field, message);
    }
  }
  return spec;
}

// Writes a JSON string literal (axis names are plain, but stay safe for any text).
void AppendJsonString(std::string& out, absl::string_view s) {
  out.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace

const char* TaskName(TaskKind task) {
  switch (task) {
    case TaskKind::kDyck: return "dyck";
    case TaskKind::kQuestionFormation: return "question_formation";
    case TaskKind::kTenseInflection: return "tense_inflection";
  }
  return "unknown";
}

absl::StatusOr<TaskKind> ParseTaskName(absl::string_view name) {
  if (name == "dyck") return TaskKind::kDyck;
  if (name == "question_formation") return TaskKind::kQuestionFormation;
  if (name == "tense_inflection") return TaskKind::kTenseInflection;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown task '", name, "'; must be one of dyck, question_formation, tense_inflection"));
}

absl::StatusOr<SweepSpec> ParseSweepSpec(absl::string_view yaml_text,
                                         absl::string_view source_name) {
  SpecParser parser(source_name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    int line = e.mark.line < 0 ? 1 : e.mark.line + 1;
    return parser.ErrorAtLine(line, "yaml", absl::StrCat("not valid YAML: ", e.msg));
  }
  absl::StatusOr<SweepSpec> spec;
  try {
    spec = ParseNode(root, parser);
  } catch (const YAML::Exception& e) {
    // Should not happen (every access is checked), but yaml-cpp may throw on odd documents.
    int line = e.mark.line < 0 ? 1 : e.mark.line + 1;
    return parser.ErrorAtLine(line, "yaml", e.msg);
  }
  if (!spec.ok()) return spec.status();
  spec->source_name = std::string(source_name);
  spec->yaml = std::string(yaml_text);
  return spec;
}

absl::StatusOr<SweepSpec> LoadSweepSpecFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read sweep spec '", path, "'"));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat("error reading sweep spec '", path, "'"));
  }
  return ParseSweepSpec(text.str(), path);
}

std::vector<GridCell> ExpandGrid(const SweepSpec& spec) {
  std::vector<GridCell> cells(1);
  // Each axis multiplies the cells so far; iterating it innermost keeps the first axis slowest.
  for (const auto& [axis, values] : spec.grid) {
    std::vector<GridCell> next;
    next.reserve(cells.size() * values.size());
    for (const GridCell& cell : cells) {
      for (double v : values) {
        GridCell c = cell;
        c.emplace_back(axis, v);
        next.push_back(std::move(c));
      }
    }
    cells = std::move(next);
  }
  return cells;
}

absl::StatusOr<std::vector<RunSpec>> ExpandSweep(const SweepSpec& spec, int64_t max_runs) {
  int64_t total = static_cast<int64_t>(spec.seeds.size());
  for (const auto& axis : spec.grid) {
    total *= static_cast<int64_t>(axis.second.size());
    if (total > max_runs) break;  // avoids overflow on absurd grids
  }
  if (total > max_runs) {
    return absl::InvalidArgumentError(absl::StrCat(
        spec.source_name.empty() ? "sweep" : spec.source_name, ": sweep '", spec.name,
        "' expands to more than ", max_runs,
        " runs (grid cells x seeds); shrink the grid or the seeds, or raise the limit"));
  }
  std::vector<RunSpec> runs;
  runs.reserve(static_cast<size_t>(total));
  for (const GridCell& cell : ExpandGrid(spec)) {
    SG_ASSIGN_OR_RETURN(TrainConfig config, ApplyCell(spec.train, cell));
    for (int64_t seed : spec.seeds) {
      RunSpec run;
      run.cell = cell;
      run.seed = seed;
      run.train = config;
      runs.push_back(std::move(run));
    }
  }
  return runs;
}

absl::StatusOr<TrainConfig> ApplyCell(const TrainConfig& base, const GridCell& cell) {
  TrainConfig config = base;
  bool sets_eval = false, sets_checkpoint = false;
  for (const auto& [axis, value] : cell) {
    const TrainField* f = FindTrainField(axis);
    if (f == nullptr || f->type == FieldType::kString) {
      return absl::InvalidArgumentError(absl::StrCat(
          "grid cell '", CellKey(cell), "': unknown axis '", axis, "'; axes: ", AxisList()));
    }
    std::string allowed = CheckNumber(*f, value);
    if (!allowed.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("grid cell '", CellKey(cell), "': ", axis,
                                                     ": must be ", allowed, ", got ",
                                                     FormatNumber(value)));
    }
    SetNumber(config, *f, value);
    sets_eval |= axis == "eval_every";
    sets_checkpoint |= axis == "checkpoint_every";
  }
  // checkpoint_every defaults to eval_every; keep that link when eval_every is an axis.
  if (sets_eval && !sets_checkpoint && base.checkpoint_every == base.eval_every) {
    config.checkpoint_every = config.eval_every;
  }
  return config;
}

std::string CellKey(const GridCell& cell) {
  std::string out;
  for (const auto& [axis, value] : cell) {
    if (!out.empty()) out.push_back(',');
    absl::StrAppend(&out, axis, "=", FormatNumber(value));
  }
  return out;
}

absl::StatusOr<GridCell> ParseCell(absl::string_view text) {
  GridCell cell;
  if (text.empty()) return cell;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(part, absl::MaxSplits('=', 1));
    double value = 0;
    bool name_ok = !kv.first.empty();
    for (char c : kv.first) {
      name_ok &= std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    }
    if (!name_ok || part.find('=') == absl::string_view::npos ||
        !absl::SimpleAtod(kv.second, &value) || !std::isfinite(value)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cell '", text, "': expected axis=value pairs separated by commas, e.g. "
          "depth=6,lr=0.0001; bad part '", part, "'"));
    }
    for (const auto& existing : cell) {
      if (existing.first == kv.first) {
        return absl::InvalidArgumentError(
            absl::StrCat("cell '", text, "': axis '", kv.first, "' appears twice"));
      }
    }
    cell.emplace_back(std::string(kv.first), value);
  }
  return cell;
}

std::string CellJson(const GridCell& cell) {
  std::string out = "{";
  for (size_t i = 0; i < cell.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(out, cell[i].first);
    out.push_back(':');
    out += FormatNumber(cell[i].second);
  }
  out.push_back('}');
  return out;
}

}  // namespace sg
