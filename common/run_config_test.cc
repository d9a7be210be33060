// The resolved-config codec: every key round-trips, a struct field without a codec entry fails
// the build's tests, malformed documents are refused naming the key, and ResolveRunConfig
// applies the task's defaults and the cell's axes.
#include "common/run_config.h"

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include "common/config_fields.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sg {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace cf = config_fields;

// --- Counting an aggregate's fields: T{a1, ..., an} compiles for n up to the field count.
struct AnyField {
  template <typename T>
  operator T() const;  // never defined: only used in unevaluated contexts
};
template <typename T, typename... A>
auto TryBraceInit(int) -> decltype(void(T{std::declval<A>()...}), std::true_type{});
template <typename T, typename... A>
std::false_type TryBraceInit(...);

template <typename T, typename... A>
constexpr size_t FieldCount() {
  if constexpr (sizeof...(A) < 128 && decltype(TryBraceInit<T, A..., AnyField>(0))::value) {
    return FieldCount<T, A..., AnyField>();
  } else {
    return sizeof...(A);
  }
}

TEST(RunConfigTest, EveryStructFieldHasACodecEntry) {
  // Adding a field to TrainConfig or DataConfig without adding it to config_fields.cc (and so to
  // the YAML parser and the JSON codec) fails here.
  EXPECT_EQ(FieldCount<TrainConfig>(), cf::TrainFields().size())
      << "a TrainConfig field has no entry in common/config_fields.cc TrainFields()";
  EXPECT_EQ(FieldCount<DataConfig>(), cf::DataFields().size())
      << "a DataConfig field has no entry in common/config_fields.cc DataFields()";
  EXPECT_EQ(FieldCount<RunConfig>(), 3u) << "RunConfig gained a member: give it a JSON key";
}

// A config in which every key differs from its default, consistent with the cross-field rules.
RunConfig Unusual() {
  RunConfig c{TaskKind::kDyck, TrainConfig(), DataConfig()};
  TrainConfig& t = c.train;
  t.depth = 3;
  t.steps = 5000;
  t.eval_every = 250;
  t.checkpoint_every = 500;
  t.batch_size = 16;
  t.lr = 3e-4;
  t.warmup_steps = 100;
  t.decay_steps = 4000;
  t.clip = 0.5;
  t.d_model = 96;
  t.heads = 4;
  t.ff = 384;
  t.dropout = 0.25;
  t.tie_embeddings = true;
  t.adam_beta1 = 0.8;
  t.adam_beta2 = 0.99;
  t.adam_eps = 1e-9;
  t.weight_decay = 0.01;
  t.dyck_min_distance = 10;
  t.tense_test_lines = 0;
  t.early_stop = "within_0.01";
  t.qf_first_word = "argmax";
  t.tense_drop_before_eos = false;
  t.tree_sentences = 7;
  t.tree_every_evals = 3;
  t.keep_checkpoints = "every 30000 steps";
  t.keep_final_checkpoint = false;
  DataConfig& d = c.data;
  d.seed = 7;
  d.train_size = 123;
  d.val_size = 45;
  d.test_size = 67;
  d.dir = "/data/ref \"quoted\"";
  d.dyck_split = "string";
  return c;
}

// Compares every key through the tables; `changed` additionally demands that each differs
// from `base` (so a test config really exercises every key).
void ExpectSameKeys(const RunConfig& a, const RunConfig& b) {
  EXPECT_EQ(a.task, b.task);
  for (const cf::TrainField& f : cf::TrainFields()) {
    SCOPED_TRACE(f.name);
    switch (f.type) {
      case cf::FieldType::kInt: EXPECT_EQ(a.train.*f.int_member, b.train.*f.int_member); break;
      case cf::FieldType::kReal: EXPECT_EQ(a.train.*f.real_member, b.train.*f.real_member); break;
      case cf::FieldType::kBool: EXPECT_EQ(a.train.*f.bool_member, b.train.*f.bool_member); break;
      case cf::FieldType::kString:
        EXPECT_EQ(a.train.*f.string_member, b.train.*f.string_member);
        break;
    }
  }
  for (const cf::DataField& f : cf::DataFields()) {
    SCOPED_TRACE(f.name);
    if (f.type == cf::FieldType::kInt) {
      EXPECT_EQ(a.data.*f.int_member, b.data.*f.int_member);
    } else {
      EXPECT_EQ(a.data.*f.string_member, b.data.*f.string_member);
    }
  }
}

void ExpectEveryKeyDiffers(const RunConfig& a, const RunConfig& b) {
  for (const cf::TrainField& f : cf::TrainFields()) {
    SCOPED_TRACE(f.name);
    switch (f.type) {
      case cf::FieldType::kInt: EXPECT_NE(a.train.*f.int_member, b.train.*f.int_member); break;
      case cf::FieldType::kReal: EXPECT_NE(a.train.*f.real_member, b.train.*f.real_member); break;
      case cf::FieldType::kBool: EXPECT_NE(a.train.*f.bool_member, b.train.*f.bool_member); break;
      case cf::FieldType::kString:
        EXPECT_NE(a.train.*f.string_member, b.train.*f.string_member);
        break;
    }
  }
  for (const cf::DataField& f : cf::DataFields()) {
    SCOPED_TRACE(f.name);
    if (f.type == cf::FieldType::kInt) {
      EXPECT_NE(a.data.*f.int_member, b.data.*f.int_member);
    } else {
      EXPECT_NE(a.data.*f.string_member, b.data.*f.string_member);
    }
  }
}

TEST(RunConfigTest, EveryKeyRoundTrips) {
  const RunConfig defaults{TaskKind::kQuestionFormation, TrainConfig(), DataConfig()};
  const RunConfig unusual = Unusual();
  ExpectEveryKeyDiffers(unusual, defaults);
  for (const RunConfig& config : {defaults, unusual}) {
    const std::string json = RunConfigJson(config);
    absl::StatusOr<RunConfig> back = ParseRunConfigJson(json);
    ASSERT_TRUE(back.ok()) << back.status() << "\n" << json;
    ExpectSameKeys(*back, config);
    EXPECT_EQ(RunConfigJson(*back), json);  // stable: the same text again
  }
}

TEST(RunConfigTest, JsonShapeAndKeyOrder) {
  // The wire form of the default Question-Formation config, byte for byte: a change here is a
  // change of the public format (README, docs/curves.md).
  const RunConfig defaults{TaskKind::kQuestionFormation, TrainConfig(), DataConfig()};
  EXPECT_EQ(RunConfigJson(defaults),
            "{\"task\":\"question_formation\",\"train\":{\"depth\":6,\"steps\":300000,"
            "\"eval_every\":3000,\"checkpoint_every\":3000,\"batch_size\":8,\"lr\":0.0001,"
            "\"warmup_steps\":10000,\"decay_steps\":2000000,\"clip\":1.0,\"d_model\":512,"
            "\"heads\":8,\"ff\":2048,\"dropout\":0.1,\"tie_embeddings\":false,"
            "\"adam_beta1\":0.9,\"adam_beta2\":0.999,\"adam_eps\":1e-07,\"weight_decay\":0.0,"
            "\"dyck_min_distance\":0,\"tense_test_lines\":2000,\"early_stop\":\"first_best\","
            "\"qf_first_word\":\"four_way\",\"tense_drop_before_eos\":true,\"tree_sentences\":500,"
            "\"tree_every_evals\":1,\"keep_checkpoints\":\"last 2\","
            "\"keep_final_checkpoint\":true},"
            "\"data\":{\"seed\":0,\"train_size\":100000,\"val_size\":1000,\"test_size\":10000,"
            "\"dir\":\"\",\"dyck_split\":\"blocks\"}}");
}

// The message of parsing `json` (which must fail with kInvalidArgument).
std::string ErrorOf(const std::string& json) {
  absl::StatusOr<RunConfig> config = ParseRunConfigJson(json);
  if (config.ok()) return "(parsed)";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << config.status();
  return std::string(config.status().message());
}

// The default config's JSON with `from` replaced by `to` (once).
std::string Edited(const std::string& from, const std::string& to) {
  std::string json = RunConfigJson({TaskKind::kQuestionFormation, TrainConfig(), DataConfig()});
  const size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) json.replace(at, from.size(), to);
  return json;
}

TEST(RunConfigTest, MalformedDocumentsNameTheKey) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf("{\"task\":"), HasSubstr("not valid JSON"));
  EXPECT_THAT(ErrorOf("[1]"), HasSubstr("document: must be a JSON object"));
  EXPECT_THAT(ErrorOf(Edited("\"depth\":6,", "")), HasSubstr("train.depth: missing"));
  EXPECT_THAT(ErrorOf(Edited("\"dir\":\"\",", "")), HasSubstr("data.dir: missing"));
  EXPECT_THAT(ErrorOf(Edited("\"depth\":6,", "\"depth\":6,\"width\":3,")),
              HasSubstr("train.width: unknown key"));
  EXPECT_THAT(ErrorOf(Edited("\"task\":\"question_formation\"", "\"task\":\"qf\"")),
              HasSubstr("task: must be one of dyck, question_formation, tense_inflection, "
                        "got \"qf\""));
  EXPECT_THAT(ErrorOf(Edited("\"lr\":0.0001", "\"lr\":\"fast\"")),
              HasSubstr("train.lr: must be a number > 0, got \"fast\""));
  EXPECT_THAT(ErrorOf(Edited("\"depth\":6", "\"depth\":2.5")),
              HasSubstr("train.depth: must be an integer in 1..64, got 2.5"));
  EXPECT_THAT(ErrorOf(Edited("\"tie_embeddings\":false", "\"tie_embeddings\":0")),
              HasSubstr("train.tie_embeddings: must be true or false, got 0"));
  EXPECT_THAT(ErrorOf(Edited("\"early_stop\":\"first_best\"", "\"early_stop\":7")),
              HasSubstr("train.early_stop: must be a string, got 7"));
  EXPECT_THAT(ErrorOf(Edited("\"early_stop\":\"first_best\"", "\"early_stop\":\"last\"")),
              HasSubstr("train.early_stop: must be one of first_best, within_0.01"));
  EXPECT_THAT(ErrorOf(Edited("\"heads\":8", "\"heads\":7")),
              HasSubstr("train.d_model: must be divisible by heads"));
  EXPECT_THAT(ErrorOf(Edited("\"val_size\":1000", "\"val_size\":0")),
              HasSubstr("data.val_size: must be an integer in 1..1000000, got 0"));
  EXPECT_THAT(ErrorOf(Edited("\"dyck_split\":\"blocks\"", "\"dyck_split\":\"paper\"")),
              HasSubstr("data.dyck_split: must be blocks (code) or string"));
  EXPECT_THAT(ErrorOf(Edited("\"train\":{", "\"extra\":1,\"train\":{")),
              HasSubstr("extra: unknown key"));
  EXPECT_THAT(ErrorOf(Edited("\"data\":{\"seed\":0,\"train_size\":100000,\"val_size\":1000,"
                             "\"test_size\":10000,\"dir\":\"\",\"dyck_split\":\"blocks\"}",
                             "\"data\":[]")),
              HasSubstr("data: must be a JSON object"));
  EXPECT_EQ(ErrorOf(Edited("\"depth\":6", "\"depth\":6")), "(parsed)");
}

TEST(RunConfigTest, ResolveAppliesTaskDefaultsAndTheCell) {
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec(
      "name: r\ntask: dyck\nseeds: 2\ngrid: {depth: [2, 4], eval_every: [1000, 2000]}\n"
      "train: {heads: 4}\ndata: {seed: 3}\n",
      "r.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<RunConfig> c = ResolveRunConfig(*spec, {{"depth", 4}, {"eval_every", 2000}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->task, TaskKind::kDyck);
  EXPECT_EQ(c->train.steps, 400000);  // Dyck's default
  EXPECT_EQ(c->train.depth, 4);
  EXPECT_EQ(c->train.eval_every, 2000);
  EXPECT_EQ(c->train.checkpoint_every, 2000);  // follows the cell's eval_every
  EXPECT_EQ(c->train.heads, 4);                // the spec's train block
  EXPECT_EQ(c->data.train_size, 200000);       // Dyck's data default
  EXPECT_EQ(c->data.seed, 3);
  EXPECT_THAT(RunConfigJson(*c), StartsWith("{\"task\":\"dyck\",\"train\":{\"depth\":4,"));

  absl::StatusOr<RunConfig> bad = ResolveRunConfig(*spec, {{"width", 2}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("unknown axis 'width'"));
}

}  // namespace
}  // namespace sg
