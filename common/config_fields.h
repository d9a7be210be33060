// The table of every TrainConfig and DataConfig key: its name (the same in the spec's YAML and in
// the resolved config's JSON), its type, its member and what values it allows. The spec parser
// (sweep_spec.cc) and the resolved-config codec (run_config.cc) both read these tables, so a key
// is named and range-checked in one place. A field added to TrainConfig or DataConfig needs an
// entry here; run_config_test.cc fails until it has one.
//
// Internal to sg::common: other components use sweep_spec.h and run_config.h.
#ifndef SG_COMMON_CONFIG_FIELDS_H_
#define SG_COMMON_CONFIG_FIELDS_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/sweep_spec.h"

namespace sg {
namespace config_fields {

enum class FieldType { kInt, kReal, kBool, kString };

// Integers written as floats ("3e5") must be exactly representable.
inline constexpr double kMaxExactInt = 9007199254740992.0;  // 2^53
// Seeds (data.seed and the run seeds) are passed to 32-bit-safe generators.
inline constexpr int64_t kMaxSeed = 2'147'483'647;

// One `train` key. Numeric and bool fields may also be grid axes. Exactly one member pointer,
// the one of `type`, is set.
struct TrainField {
  const char* name;
  FieldType type;
  int64_t TrainConfig::*int_member;
  double TrainConfig::*real_member;
  bool TrainConfig::*bool_member;
  std::string TrainConfig::*string_member;
  bool (*valid)(double);  // range check for numbers; null for bool/string
  const char* allowed;    // what is allowed, for messages ("an integer in 1..64")
  // Upper bound (numbers): keeps one run's cost finite (a depth-10000 trainer grows without
  // bound); `allowed` states it.
  double max = std::numeric_limits<double>::infinity();
};

// Every `train` key, in TrainConfig order.
const std::vector<TrainField>& TrainFields();
// The field called `name`, or null.
const TrainField* FindTrainField(absl::string_view name);

// Checks a numeric value (bools as 0/1) against a field's type and range. Returns "" if it is
// allowed, else what is allowed (the "must be ..." part of a message).
std::string CheckNumber(const TrainField& f, double v);
// Sets a numeric or bool field from a number (bools: v != 0). No-op for strings.
void SetNumber(TrainConfig& config, const TrainField& f, double v);

// One `data` key: an integer with a lower bound, or a string.
struct DataField {
  const char* name;
  FieldType type;  // kInt or kString
  int64_t DataConfig::*int_member;
  std::string DataConfig::*string_member;
  int64_t min;          // kInt: the smallest value allowed
  const char* allowed;  // what is allowed, for messages
  // kInt: the largest value allowed (sizes bound the generator's time and the trainer's
  // memory: every line is held).
  int64_t max = std::numeric_limits<int64_t>::max();
};

// Every `data` key, in DataConfig order.
const std::vector<DataField>& DataFields();
const DataField* FindDataField(absl::string_view name);

// data.dyck_split: "blocks" (the code) or "string" (paper App. A).
bool ValidDyckSplit(absl::string_view value);

}  // namespace config_fields
}  // namespace sg

#endif  // SG_COMMON_CONFIG_FIELDS_H_
