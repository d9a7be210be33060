// The resolved-config codec. Both directions walk the key tables of config_fields.h, so a key
// is written and read under one name with one range check.
#include "common/run_config.h"

#include <cmath>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/config_fields.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace sg {
namespace {

using config_fields::FieldType;

constexpr char kWhat[] = "resolved config";

absl::Status Bad(absl::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(kWhat, ": ", field, ": ", message));
}

std::string Got(const nlohmann::json& value) {
  return absl::StrCat("got ", value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// `object` must be a JSON object holding exactly `names`. kInvalidArgument names the first
// missing or unknown key (under `prefix`).
absl::Status CheckKeys(const nlohmann::json& object, absl::string_view prefix,
                       const std::set<std::string>& names) {
  if (!object.is_object()) {
    return Bad(prefix.empty() ? "document" : prefix,
               absl::StrCat("must be a JSON object, ", Got(object)));
  }
  auto field = [prefix](const std::string& key) {
    return prefix.empty() ? key : absl::StrCat(prefix, ".", key);
  };
  for (const std::string& name : names) {
    if (!object.contains(name)) {
      return Bad(field(name), "missing; a resolved config holds every key (the coordinator "
                              "writes it from the sweep's spec at submit)");
    }
  }
  for (const auto& item : object.items()) {
    if (names.count(item.key()) == 0) return Bad(field(item.key()), "unknown key");
  }
  return absl::OkStatus();
}

absl::StatusOr<TrainConfig> ParseTrain(const nlohmann::json& object) {
  std::set<std::string> names;
  for (const auto& f : config_fields::TrainFields()) names.insert(f.name);
  SG_RETURN_IF_ERROR(CheckKeys(object, "train", names));
  TrainConfig train;
  for (const auto& f : config_fields::TrainFields()) {
    const nlohmann::json& value = object.at(f.name);
    const std::string field = absl::StrCat("train.", f.name);
    switch (f.type) {
      case FieldType::kString:
        if (!value.is_string()) return Bad(field, absl::StrCat("must be a string, ", Got(value)));
        train.*f.string_member = value.get<std::string>();
        break;
      case FieldType::kBool:
        if (!value.is_boolean()) {
          return Bad(field, absl::StrCat("must be true or false, ", Got(value)));
        }
        train.*f.bool_member = value.get<bool>();
        break;
      case FieldType::kInt:
      case FieldType::kReal: {
        const double v = value.is_number() ? value.get<double>() : std::nan("");
        if (!value.is_number() || !config_fields::CheckNumber(f, v).empty()) {
          return Bad(field, absl::StrCat("must be ", f.allowed, ", ", Got(value)));
        }
        config_fields::SetNumber(train, f, v);
        break;
      }
    }
  }
  // The rules between fields (and the string keys' choices), as the spec parser demands them.
  absl::Status valid = ValidateTrainConfig(train);
  if (!valid.ok()) return absl::InvalidArgumentError(absl::StrCat(kWhat, ": ", valid.message()));
  return train;
}

absl::StatusOr<DataConfig> ParseData(const nlohmann::json& object) {
  std::set<std::string> names;
  for (const auto& f : config_fields::DataFields()) names.insert(f.name);
  SG_RETURN_IF_ERROR(CheckKeys(object, "data", names));
  DataConfig data;
  for (const auto& f : config_fields::DataFields()) {
    const nlohmann::json& value = object.at(f.name);
    const std::string field = absl::StrCat("data.", f.name);
    if (f.type == FieldType::kString) {
      // dir may be empty here: a resolved config says "generate the data" with "".
      const bool ok =
          value.is_string() && (f.string_member != &DataConfig::dyck_split ||
                                config_fields::ValidDyckSplit(value.get<std::string>()));
      if (!ok) return Bad(field, absl::StrCat("must be ", f.allowed, ", ", Got(value)));
      data.*f.string_member = value.get<std::string>();
      continue;
    }
    const double v = value.is_number() ? value.get<double>() : std::nan("");
    if (!value.is_number() || v != std::floor(v) || v < static_cast<double>(f.min) ||
        v > config_fields::kMaxExactInt) {
      return Bad(field, absl::StrCat("must be ", f.allowed, ", ", Got(value)));
    }
    data.*f.int_member = static_cast<int64_t>(v);
  }
  return data;
}

}  // namespace

std::string RunConfigJson(const RunConfig& config) {
  nlohmann::ordered_json train = nlohmann::ordered_json::object();
  for (const auto& f : config_fields::TrainFields()) {
    switch (f.type) {
      case FieldType::kInt: train[f.name] = config.train.*f.int_member; break;
      case FieldType::kReal: train[f.name] = config.train.*f.real_member; break;
      case FieldType::kBool: train[f.name] = config.train.*f.bool_member; break;
      case FieldType::kString: train[f.name] = config.train.*f.string_member; break;
    }
  }
  nlohmann::ordered_json data = nlohmann::ordered_json::object();
  for (const auto& f : config_fields::DataFields()) {
    if (f.type == FieldType::kInt) {
      data[f.name] = config.data.*f.int_member;
    } else {
      data[f.name] = config.data.*f.string_member;
    }
  }
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["task"] = TaskName(config.task);
  out["train"] = std::move(train);
  out["data"] = std::move(data);
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

absl::StatusOr<RunConfig> ParseRunConfigJson(absl::string_view json) {
  const nlohmann::json doc = nlohmann::json::parse(json.begin(), json.end(), nullptr,
                                                   /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Bad("document", json.empty() ? "empty (this run has no stored config)"
                                        : "not valid JSON");
  }
  SG_RETURN_IF_ERROR(CheckKeys(doc, "", {"task", "train", "data"}));
  RunConfig config;
  const nlohmann::json& task = doc.at("task");
  absl::StatusOr<TaskKind> kind = absl::InvalidArgumentError("not a string");
  if (task.is_string()) kind = ParseTaskName(task.get<std::string>());
  if (!kind.ok()) {
    return Bad("task", absl::StrCat("must be one of dyck, question_formation, tense_inflection, ",
                                    Got(task)));
  }
  config.task = *kind;
  SG_ASSIGN_OR_RETURN(config.train, ParseTrain(doc.at("train")));
  SG_ASSIGN_OR_RETURN(config.data, ParseData(doc.at("data")));
  return config;
}

absl::StatusOr<RunConfig> ResolveRunConfig(const SweepSpec& spec, const GridCell& cell) {
  RunConfig config;
  config.task = spec.task;  // the task's defaults were applied to spec.train/data by the parser
  SG_ASSIGN_OR_RETURN(config.train, ApplyCell(spec.train, cell));
  config.data = spec.data;
  return config;
}

}  // namespace sg
