// Sweep spec parsing (yaml-cpp), validation and expansion. yaml-cpp throws; every exception is
// caught here and turned into a kInvalidArgument that names the file, line and field.
#include "common/sweep_spec.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <limits>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/config_fields.h"
#include "common/run_config.h"
#include "common/checkpoint_retention.h"
#include "common/status_macros.h"

namespace sg {
namespace {


using config_fields::CheckNumber;
using config_fields::FieldType;
using config_fields::FindTrainField;
using config_fields::kMaxExactInt;
using config_fields::kMaxSeed;
using config_fields::SetNumber;
using config_fields::TrainField;
using config_fields::TrainFields;

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

std::vector<std::string> DataKeys() {
  std::vector<std::string> names;
  for (const config_fields::DataField& f : config_fields::DataFields()) names.push_back(f.name);
  return names;
}

// A relation between fields that a single field's range cannot express. Returns the offending
// field and what is wrong, or nullopt.
struct CrossError {
  std::string field;
  std::string other;  // the field it is compared with ("" if none)
  std::string message;
};
// The train keys CheckCrossFields reads (numeric ones only: strings are not axes).
bool ReadByCrossFieldRules(absl::string_view key) {
  return key == "d_model" || key == "heads" || key == "checkpoint_every" ||
         key == "eval_every" || key == "steps" || key == "decay_steps" || key == "warmup_steps";
}

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

  // An integer >= min and, when max is given, <= max (the message states both).
  absl::StatusOr<int64_t> Integer(const YAML::Node& node, absl::string_view field, int64_t min,
                                  std::optional<int64_t> max = std::nullopt) const {
    std::string allowed = max.has_value() ? absl::StrCat("an integer in ", min, "..", *max)
                                          : absl::StrCat("an integer >= ", min);
    double v = 0;
    if (!node.IsScalar() || !absl::SimpleAtod(node.Scalar(), &v) || v != std::floor(v) ||
        std::fabs(v) > kMaxExactInt || v < static_cast<double>(min) ||
        (max.has_value() && v > static_cast<double>(*max))) {
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

bool ValidTag(absl::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagBytes) return false;
  for (char c : tag) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// tags: and notes: are labels for people (sgctl sweeps, --tag); they change no run.
absl::Status ParseLabels(const YAML::Node& root, const SpecParser& p, SweepSpec* spec) {
  YAML::Node tags = root["tags"];
  if (tags.IsDefined() && !tags.IsNull()) {
    if (!tags.IsSequence()) {
      return p.Error(tags, "tags",
                     absl::StrCat("must be a list such as [paper, tied-embeddings], ",
                                  SpecParser::Got(tags)));
    }
    if (tags.size() > kMaxTags) {
      return p.Error(tags, "tags",
                     absl::StrCat("at most ", kMaxTags, " tags, got ", tags.size()));
    }
    for (const YAML::Node& tag : tags) {
      if (!tag.IsScalar() || !ValidTag(tag.Scalar())) {
        return p.Error(tag, "tags",
                       absl::StrCat("each tag must be 1 to ", kMaxTagBytes,
                                    " letters, digits, '-', '_' or '.', ", SpecParser::Got(tag)));
      }
      if (std::find(spec->tags.begin(), spec->tags.end(), tag.Scalar()) != spec->tags.end()) {
        return p.Error(tag, "tags", absl::StrCat("'", tag.Scalar(), "' is listed twice"));
      }
      spec->tags.push_back(tag.Scalar());
    }
  }
  YAML::Node notes = root["notes"];
  if (notes.IsDefined() && !notes.IsNull()) {
    if (!notes.IsScalar()) {
      return p.Error(notes, "notes",
                     absl::StrCat("must be text (use a YAML block `notes: |` for several lines), ",
                                  SpecParser::Got(notes)));
    }
    if (notes.Scalar().size() > kMaxNotesBytes) {
      return p.Error(notes, "notes",
                     absl::StrCat("at most ", kMaxNotesBytes, " bytes, got ",
                                  notes.Scalar().size()));
    }
    spec->notes = notes.Scalar();
  }
  return absl::OkStatus();
}

absl::StatusOr<SweepSpec> ParseNode(const YAML::Node& root, const SpecParser& p,
                                    const SpecLimits& limits) {
  if (!root.IsDefined() || root.IsNull()) {
    return p.ErrorAtLine(1, "spec", "is empty; expected a map with name, task, grid, seeds");
  }
  if (!root.IsMap()) {
    return p.Error(root, "spec", "must be a map with keys name, task, grid, seeds, train, data");
  }
  SG_RETURN_IF_ERROR(
      p.CheckKeys(root, "", {"name", "task", "grid", "seeds", "train", "data", "tags", "notes"}));
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
  SG_RETURN_IF_ERROR(ParseLabels(root, p, &spec));

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
                     absl::StrCat("must be a map of ", absl::StrJoin(DataKeys(), ", ")));
    }
    SG_RETURN_IF_ERROR(p.CheckKeys(data, "data", DataKeys()));
    for (const auto& kv : data) {
      const config_fields::DataField* f = config_fields::FindDataField(kv.first.Scalar());
      std::string field = absl::StrCat("data.", f->name);
      if (f->type == FieldType::kInt) {
        SG_ASSIGN_OR_RETURN(spec.data.*f->int_member,
                            p.Integer(kv.second, field, f->min, f->max));
        continue;
      }
      // A written `dir` must name a directory; dyck_split is one of two words.
      const bool ok = kv.second.IsScalar() &&
                      (f->string_member == &DataConfig::dyck_split
                           ? config_fields::ValidDyckSplit(kv.second.Scalar())
                           : !kv.second.Scalar().empty());
      if (!ok) {
        return p.Error(kv.second, field,
                       absl::StrCat("must be ", f->allowed, ", ", SpecParser::Got(kv.second)));
      }
      spec.data.*f->string_member = kv.second.Scalar();
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
      std::set<double> distinct;
      for (size_t i = 0; i < kv.second.size(); ++i) {
        YAML::Node item = kv.second[i];
        std::string item_field = absl::StrCat(field, "[", i, "]");
        SG_ASSIGN_OR_RETURN(double v, p.FieldValue(item, *f, item_field));
        if (!distinct.insert(v).second) {
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
    if (static_cast<int64_t>(seeds.size()) > limits.max_runs) {
      return p.Error(seeds, "seeds",
                     absl::StrCat("has ", seeds.size(), " entries, more than the limit of ",
                                  limits.max_runs, " runs per sweep"));
    }
    for (size_t i = 0; i < seeds.size(); ++i) {
      std::string field = absl::StrCat("seeds[", i, "]");
      SG_ASSIGN_OR_RETURN(int64_t s, p.Integer(seeds[i], field, 0, kMaxSeed));
      spec.seeds.push_back(s);
    }
    // Duplicates by sorting (O(n log n)); the message names the first repeated entry.
    std::vector<std::pair<int64_t, size_t>> sorted;
    sorted.reserve(spec.seeds.size());
    for (size_t i = 0; i < spec.seeds.size(); ++i) sorted.emplace_back(spec.seeds[i], i);
    std::sort(sorted.begin(), sorted.end());
    size_t first_repeat = spec.seeds.size();
    for (size_t i = 1; i < sorted.size(); ++i) {
      if (sorted[i].first == sorted[i - 1].first) {
        first_repeat = std::min(first_repeat, sorted[i].second);
      }
    }
    if (first_repeat < spec.seeds.size()) {
      return p.Error(seeds[first_repeat], absl::StrCat("seeds[", first_repeat, "]"),
                     absl::StrCat("duplicate seed ", spec.seeds[first_repeat],
                                  "; seeds must be distinct"));
    }
  } else {
    double v = 0;
    if (!seeds.IsScalar() || !absl::SimpleAtod(seeds.Scalar(), &v) || v != std::floor(v) ||
        v < 1 || v > 1e6 || v > static_cast<double>(limits.max_runs)) {
      return p.Error(seeds, "seeds",
                     absl::StrCat("must be a count 1..",
                                  std::min<int64_t>(1'000'000, limits.max_runs),
                                  " (seeds 0..N-1) or a list of distinct integers >= 0, ",
                                  SpecParser::Got(seeds)));
    }
    for (int64_t s = 0; s < static_cast<int64_t>(v); ++s) spec.seeds.push_back(s);
  }

  // The run count before anything is expanded: each axis multiplies it, saturating.
  const int64_t runs = CountRuns(spec);
  if (runs > limits.max_runs) {
    std::vector<std::string> sizes;
    for (const auto& axis : spec.grid) sizes.push_back(absl::StrCat(axis.second.size()));
    return p.Error(grid.IsDefined() ? grid : seeds, "grid",
                   absl::StrCat("grid cells x seeds = ",
                                sizes.empty() ? "1" : absl::StrJoin(sizes, " x "), " x ",
                                spec.seeds.size(), " runs is more than the limit of ",
                                limits.max_runs,
                                " runs per sweep; shrink the grid or the seeds (the coordinator's "
                                "limit is --max-runs-per-sweep)"));
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
  // Every cell's resolved config must satisfy the cross-field rules. Only the axes those rules
  // read can break them, so the cells of that sub-grid are checked (at most `runs` of them).
  SweepSpec cross = spec;
  cross.grid.clear();
  for (const auto& axis : spec.grid) {
    if (ReadByCrossFieldRules(axis.first)) cross.grid.push_back(axis);
  }
  for (const GridCell& cell : ExpandGrid(cross)) {
    SG_ASSIGN_OR_RETURN(RunConfig config, ResolveRunConfig(spec, cell));
    std::optional<CrossError> err = CheckCrossFields(config.train);
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


absl::Status TooLarge(absl::string_view source, uint64_t size, const SpecLimits& limits) {
  return absl::InvalidArgumentError(absl::StrCat(
      source, ": spec: is ", size, " bytes, more than the limit of ", limits.max_bytes,
      " bytes; a sweep spec is a short YAML file (remove large comments or embedded data)"));
}

// The byte offset of the first invalid UTF-8 sequence, or npos.
size_t FirstInvalidUtf8(absl::string_view text) {
  const auto* b = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = b[i];
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((b[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (b[i + k] & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return i;
    i += len;
  }
  return absl::string_view::npos;
}

// Thrown by SpecBudget to stop yaml-cpp's event parser at the first limit passed.
struct SpecLimitExceeded {
  YAML::Mark mark;
  std::string message;
};

// Walks the YAML events (no nodes are built) counting nesting depth and nodes, an alias
// counting as every node of what it refers to, so an alias bomb is refused before
// YAML::Load or the spec's own code could expand it.
class SpecBudget final : public YAML::EventHandler {
 public:
  explicit SpecBudget(const SpecLimits& limits) : limits_(limits) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Leaf(mark, anchor); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    Leaf(mark, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = sizes_.find(anchor);
    Add(mark, it != sizes_.end() ? it->second : 1);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  void Add(const YAML::Mark& mark, int64_t n) {
    nodes_ = n > limits_.max_nodes - nodes_ ? limits_.max_nodes + 1 : nodes_ + n;
    if (nodes_ > limits_.max_nodes) {
      throw SpecLimitExceeded{
          mark, absl::StrCat("has more than ", limits_.max_nodes,
                             " YAML nodes (aliases counted as what they repeat); a sweep spec "
                             "needs a few dozen")};
    }
  }
  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    Add(mark, 1);
    if (anchor != 0) sizes_[anchor] = 1;
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    Add(mark, 1);
    if (static_cast<int>(open_.size()) >= limits_.max_depth) {
      throw SpecLimitExceeded{mark, absl::StrCat("is nested more than ", limits_.max_depth,
                                                 " levels deep; a sweep spec needs 3")};
    }
    open_.push_back({anchor, nodes_});
  }
  void Close() {
    if (open_.empty()) return;
    const auto [anchor, start] = open_.back();
    open_.pop_back();
    if (anchor != 0) sizes_[anchor] = nodes_ - start + 1;
  }

  const SpecLimits& limits_;
  int64_t nodes_ = 0;
  std::vector<std::pair<YAML::anchor_t, int64_t>> open_;  // (anchor, nodes_ when opened)
  std::map<YAML::anchor_t, int64_t> sizes_;                // anchor -> nodes it stands for
};

// The checks that bound what parsing the text may cost: size, encoding, depth, node count.
absl::Status CheckSpecText(absl::string_view text, absl::string_view source,
                           const SpecLimits& limits) {
  if (text.size() > limits.max_bytes) return TooLarge(source, text.size(), limits);
  const size_t bad = FirstInvalidUtf8(text);
  if (bad != absl::string_view::npos) {
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + bad, '\n'));
    return absl::InvalidArgumentError(absl::StrCat(
        source, ":", line, ": spec: byte ", bad, " (0x", absl::Hex(static_cast<unsigned char>(text[bad])),
        ") is not valid UTF-8; save the file as UTF-8"));
  }
  SpecBudget budget(limits);
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(budget)) {
    }
  } catch (const SpecLimitExceeded& e) {
    const int line = e.mark.line < 0 ? 1 : e.mark.line + 1;
    return absl::InvalidArgumentError(absl::StrCat(source, ":", line, ": spec: ", e.message));
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line < 0 ? 1 : e.mark.line + 1;
    std::string why = e.msg.empty() ? "unreadable YAML" : e.msg;
    return absl::InvalidArgumentError(
        absl::StrCat(source, ":", line, ": yaml: not valid YAML: ", why));
  }
  return absl::OkStatus();
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
                                         absl::string_view source_name,
                                         const SpecLimits& limits) {
  SpecParser parser(source_name);
  SG_RETURN_IF_ERROR(CheckSpecText(yaml_text, source_name, limits));
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    int line = e.mark.line < 0 ? 1 : e.mark.line + 1;
    return parser.ErrorAtLine(line, "yaml", absl::StrCat("not valid YAML: ", e.msg));
  }
  absl::StatusOr<SweepSpec> spec;
  try {
    spec = ParseNode(root, parser, limits);
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

absl::StatusOr<SweepSpec> LoadSweepSpecFile(const std::string& path, const SpecLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read sweep spec '", path, "'"));
  }
  // The size first, so an oversized file is refused without being read.
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size > 0 && static_cast<uint64_t>(size) > limits.max_bytes) {
    return TooLarge(path, static_cast<uint64_t>(size), limits);
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat("error reading sweep spec '", path, "'"));
  }
  return ParseSweepSpec(text.str(), path, limits);
}

int64_t CountRuns(const SweepSpec& spec) {
  int64_t total = static_cast<int64_t>(spec.seeds.size());
  for (const auto& axis : spec.grid) {
    const int64_t n = static_cast<int64_t>(axis.second.size());
    if (n != 0 && total > std::numeric_limits<int64_t>::max() / n) {
      return std::numeric_limits<int64_t>::max();
    }
    total *= n;
  }
  return total;
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
  const int64_t total = CountRuns(spec);
  if (total > max_runs) {
    return absl::InvalidArgumentError(absl::StrCat(
        spec.source_name.empty() ? "sweep" : spec.source_name, ": sweep '", spec.name,
        "' expands to more than ", max_runs,
        " runs (grid cells x seeds); shrink the grid or the seeds, or raise the limit"));
  }
  std::vector<RunSpec> runs;
  runs.reserve(static_cast<size_t>(total));
  for (const GridCell& cell : ExpandGrid(spec)) {
    for (int64_t seed : spec.seeds) runs.push_back(RunSpec{cell, seed});
  }
  return runs;
}

absl::Status ValidateTrainConfig(const TrainConfig& config) {
  for (const TrainField& f : TrainFields()) {
    double v = 0;
    switch (f.type) {
      case FieldType::kInt: v = static_cast<double>(config.*f.int_member); break;
      case FieldType::kReal: v = config.*f.real_member; break;
      case FieldType::kBool: continue;
      case FieldType::kString: continue;  // their choices are cross-field rules below
    }
    if (!CheckNumber(f, v).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("train.", f.name, ": must be ", f.allowed, ", got ", FormatNumber(v)));
    }
  }
  std::optional<CrossError> err = CheckCrossFields(config);
  if (err.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("train.", err->field, ": ", err->message));
  }
  return absl::OkStatus();
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
