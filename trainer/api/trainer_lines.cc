#include "trainer/api/trainer_lines.h"

#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sg {

namespace {

constexpr char kNaN[] = "NaN";
constexpr char kInf[] = "Infinity";
constexpr char kNegInf[] = "-Infinity";

absl::StatusOr<nlohmann::json> ParseObject(absl::string_view line, const char* what) {
  nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a JSON object"));
  }
  return j;
}

absl::Status Missing(const char* what, const char* key, const char* type) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": \"", key, "\" missing or not ", type));
}

bool GetInt(const nlohmann::json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return false;
  *out = it->get<int64_t>();
  return true;
}

bool GetString(const nlohmann::json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

}  // namespace

nlohmann::json MetricValueJson(double value) {
  if (std::isnan(value)) return kNaN;
  if (std::isinf(value)) return value > 0 ? kInf : kNegInf;
  return value;
}

absl::StatusOr<double> ParseMetricValueJson(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s == kNaN) return std::numeric_limits<double>::quiet_NaN();
    if (s == kInf) return std::numeric_limits<double>::infinity();
    if (s == kNegInf) return -std::numeric_limits<double>::infinity();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("metric value: expected a number or \"NaN\", \"Infinity\", \"-Infinity\", got ",
                   value.dump()));
}

std::string EncodeMetricLine(const MetricLine& point) {
  nlohmann::json j;
  j["seed"] = point.seed;
  j["step"] = point.step;
  j["metric"] = point.metric;
  j["value"] = MetricValueJson(point.value);
  return j.dump();
}

absl::StatusOr<MetricLine> ParseMetricLine(absl::string_view line) {
  constexpr char kWhat[] = "metrics.jsonl line";
  absl::StatusOr<nlohmann::json> j = ParseObject(line, kWhat);
  if (!j.ok()) return j.status();
  MetricLine p;
  if (!GetInt(*j, "seed", &p.seed)) return Missing(kWhat, "seed", "an integer");
  if (!GetInt(*j, "step", &p.step)) return Missing(kWhat, "step", "an integer");
  if (!GetString(*j, "metric", &p.metric) || p.metric.empty()) {
    return Missing(kWhat, "metric", "a non-empty string");
  }
  auto value = j->find("value");
  if (value == j->end()) return Missing(kWhat, "value", "present");
  absl::StatusOr<double> v = ParseMetricValueJson(*value);
  if (!v.ok()) return absl::InvalidArgumentError(absl::StrCat(kWhat, ": ", v.status().message()));
  p.value = *v;
  return p;
}

const char* TrainerEventName(TrainerEventKind kind) {
  switch (kind) {
    case TrainerEventKind::kStart:
      return "start";
    case TrainerEventKind::kCheckpoint:
      return "checkpoint";
    case TrainerEventKind::kStopped:
      return "stopped";
    case TrainerEventKind::kReleased:
      return "released";
    case TrainerEventKind::kDone:
      return "done";
  }
  return "?";
}

std::string EncodeTrainerEvent(const TrainerEvent& e) {
  nlohmann::json j;
  j["event"] = TrainerEventName(e.kind);
  j["step"] = e.step;
  switch (e.kind) {
    case TrainerEventKind::kStart:
      j["steps"] = e.steps;
      j["seeds"] = e.seeds;
      j["cell"] = e.cell;
      j["device"] = e.device;
      break;
    case TrainerEventKind::kCheckpoint:
      j["path"] = e.path;
      if (!e.seed_paths.empty()) j["seed_paths"] = e.seed_paths;
      break;
    case TrainerEventKind::kStopped:
      j["signal"] = e.signal;
      break;
    case TrainerEventKind::kReleased:
    case TrainerEventKind::kDone:
      break;
  }
  return j.dump();
}

absl::StatusOr<TrainerEvent> ParseTrainerEvent(absl::string_view line) {
  constexpr char kWhat[] = "events.jsonl line";
  absl::StatusOr<nlohmann::json> j = ParseObject(line, kWhat);
  if (!j.ok()) return j.status();
  std::string name;
  if (!GetString(*j, "event", &name)) return Missing(kWhat, "event", "a string");
  TrainerEvent e;
  bool known = false;
  for (TrainerEventKind k : {TrainerEventKind::kStart, TrainerEventKind::kCheckpoint,
                             TrainerEventKind::kStopped, TrainerEventKind::kReleased,
                             TrainerEventKind::kDone}) {
    if (name == TrainerEventName(k)) {
      e.kind = k;
      known = true;
    }
  }
  if (!known) {
    return absl::InvalidArgumentError(absl::StrCat(kWhat, ": unknown event \"", name, "\""));
  }
  if (!GetInt(*j, "step", &e.step) || e.step < 0) {
    return Missing(kWhat, "step", "an integer >= 0");
  }
  switch (e.kind) {
    case TrainerEventKind::kStart: {
      if (!GetInt(*j, "steps", &e.steps)) return Missing(kWhat, "steps", "an integer");
      auto seeds = j->find("seeds");
      if (seeds == j->end() || !seeds->is_array()) return Missing(kWhat, "seeds", "an array");
      for (const nlohmann::json& s : *seeds) {
        if (!s.is_number_integer()) return Missing(kWhat, "seeds", "an array of integers");
        e.seeds.push_back(s.get<int64_t>());
      }
      if (!GetString(*j, "cell", &e.cell)) return Missing(kWhat, "cell", "a string");
      if (!GetString(*j, "device", &e.device)) return Missing(kWhat, "device", "a string");
      break;
    }
    case TrainerEventKind::kCheckpoint: {
      if (!GetString(*j, "path", &e.path)) return Missing(kWhat, "path", "a string");
      auto paths = j->find("seed_paths");
      if (paths != j->end()) {
        if (!paths->is_array()) return Missing(kWhat, "seed_paths", "an array");
        for (const nlohmann::json& p : *paths) {
          if (!p.is_string()) return Missing(kWhat, "seed_paths", "an array of strings");
          e.seed_paths.push_back(p.get<std::string>());
        }
      }
      break;
    }
    case TrainerEventKind::kStopped: {
      int64_t signal = 0;
      if (!GetInt(*j, "signal", &signal)) return Missing(kWhat, "signal", "an integer");
      e.signal = static_cast<int>(signal);
      break;
    }
    case TrainerEventKind::kReleased:
    case TrainerEventKind::kDone:
      break;
  }
  return e;
}

}  // namespace sg
