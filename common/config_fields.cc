#include "common/config_fields.h"

#include <cmath>

namespace sg {
namespace config_fields {
namespace {

TrainField Int(const char* name, int64_t TrainConfig::*m, bool (*valid)(double),
               const char* allowed, double max = std::numeric_limits<double>::infinity()) {
  return {name, FieldType::kInt, m, nullptr, nullptr, nullptr, valid, allowed, max};
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

}  // namespace

const std::vector<TrainField>& TrainFields() {
  static const std::vector<TrainField>* fields = new std::vector<TrainField>{
      Int("depth", &TrainConfig::depth, AtLeast1, "an integer in 1..64", 64),
      Int("steps", &TrainConfig::steps, AtLeast1, "an integer in 1..100000000", 1e8),
      Int("eval_every", &TrainConfig::eval_every, AtLeast1, "an integer in 1..100000000", 1e8),
      Int("checkpoint_every", &TrainConfig::checkpoint_every, AtLeast1,
          "an integer in 1..100000000", 1e8),
      Int("batch_size", &TrainConfig::batch_size, AtLeast1, "an integer in 1..65536", 65536),
      Real("lr", &TrainConfig::lr, Positive, "a number > 0"),
      Int("warmup_steps", &TrainConfig::warmup_steps, AtLeast0, "an integer >= 0"),
      Int("decay_steps", &TrainConfig::decay_steps, AtLeast1, "an integer >= 1"),
      Real("clip", &TrainConfig::clip, Positive, "a number > 0"),
      Int("d_model", &TrainConfig::d_model, AtLeast1, "an integer in 1..8192", 8192),
      Int("heads", &TrainConfig::heads, AtLeast1, "an integer in 1..256", 256),
      Int("ff", &TrainConfig::ff, AtLeast1, "an integer in 1..65536", 65536),
      Real("dropout", &TrainConfig::dropout, UnitOpen, "a number in [0, 1)"),
      Bool("tie_embeddings", &TrainConfig::tie_embeddings),
      Real("adam_beta1", &TrainConfig::adam_beta1, UnitOpen, "a number in [0, 1)"),
      Real("adam_beta2", &TrainConfig::adam_beta2, UnitOpen, "a number in [0, 1)"),
      Real("adam_eps", &TrainConfig::adam_eps, Positive, "a number > 0"),
      Real("weight_decay", &TrainConfig::weight_decay, AtLeast0, "a number >= 0"),
      Int("dyck_min_distance", &TrainConfig::dyck_min_distance, AtLeast0, "an integer >= 0"),
      Int("tense_test_lines", &TrainConfig::tense_test_lines, AtLeast0,
          "an integer in 0..10000000", 1e7),
      String("early_stop", &TrainConfig::early_stop, "one of first_best, within_0.01"),
      String("qf_first_word", &TrainConfig::qf_first_word, "one of four_way, argmax"),
      Bool("tense_drop_before_eos", &TrainConfig::tense_drop_before_eos),
      Int("tree_sentences", &TrainConfig::tree_sentences, AtLeast0,
          "an integer in 0..1000000", 1e6),
      Int("tree_every_evals", &TrainConfig::tree_every_evals, AtLeast1,
          "an integer in 1..100000000", 1e8),
      String("keep_checkpoints", &TrainConfig::keep_checkpoints,
             "'last N', 'every K steps' or 'all'"),
      Bool("keep_final_checkpoint", &TrainConfig::keep_final_checkpoint),
  };
  return *fields;
}

const TrainField* FindTrainField(absl::string_view name) {
  for (const TrainField& f : TrainFields()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

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
  if (v > f.max) return f.allowed;
  return f.valid != nullptr && !f.valid(v) ? f.allowed : "";
}

void SetNumber(TrainConfig& config, const TrainField& f, double v) {
  switch (f.type) {
    case FieldType::kInt: config.*f.int_member = static_cast<int64_t>(v); break;
    case FieldType::kReal: config.*f.real_member = v; break;
    case FieldType::kBool: config.*f.bool_member = v != 0; break;
    case FieldType::kString: break;
  }
}

const std::vector<DataField>& DataFields() {
  static const std::vector<DataField>* fields = new std::vector<DataField>{
      {"seed", FieldType::kInt, &DataConfig::seed, nullptr, 0, "an integer in 0..2147483647",
       kMaxSeed},
      {"train_size", FieldType::kInt, &DataConfig::train_size, nullptr, 1,
       "an integer in 1..10000000", 10'000'000},
      {"val_size", FieldType::kInt, &DataConfig::val_size, nullptr, 1, "an integer in 1..1000000",
       1'000'000},
      {"test_size", FieldType::kInt, &DataConfig::test_size, nullptr, 1,
       "an integer in 1..1000000", 1'000'000},
      {"dir", FieldType::kString, nullptr, &DataConfig::dir, 0, "a directory path"},
      {"dyck_split", FieldType::kString, nullptr, &DataConfig::dyck_split, 0,
       "blocks (code) or string (paper App. A)"},
  };
  return *fields;
}

const DataField* FindDataField(absl::string_view name) {
  for (const DataField& f : DataFields()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

bool ValidDyckSplit(absl::string_view value) { return value == "blocks" || value == "string"; }

}  // namespace config_fields
}  // namespace sg
