#include "common/sweep_spec.h"

#include <cstdlib>
#include <string>

#include "common/run_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

std::string SourceDir() {
  const char* dir = std::getenv("SG_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

// Parses `yaml` as "t.yaml" and returns the error message (empty if it parsed).
std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec(yaml, "t.yaml");
  if (spec.ok()) return "";
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << spec.status();
  return std::string(spec.status().message());
}

constexpr char kMinimal[] = "name: s\ntask: question_formation\nseeds: 1\n";

TEST(SweepSpecTest, DefaultsAreTheReferenceCode) {
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec(kMinimal, "t.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  const TrainConfig& t = spec->train;
  EXPECT_EQ(t.depth, 6);
  EXPECT_EQ(t.steps, 300000);
  EXPECT_EQ(t.eval_every, 3000);
  EXPECT_EQ(t.checkpoint_every, 3000);
  EXPECT_EQ(t.batch_size, 8);
  EXPECT_DOUBLE_EQ(t.lr, 1e-4);
  EXPECT_EQ(t.warmup_steps, 10000);
  EXPECT_EQ(t.decay_steps, 2000000);
  EXPECT_DOUBLE_EQ(t.clip, 1.0);
  EXPECT_EQ(t.d_model, 512);
  EXPECT_EQ(t.heads, 8);
  EXPECT_EQ(t.ff, 2048);
  EXPECT_DOUBLE_EQ(t.dropout, 0.1);
  EXPECT_FALSE(t.tie_embeddings);
  EXPECT_DOUBLE_EQ(t.adam_beta1, 0.9);
  EXPECT_DOUBLE_EQ(t.adam_beta2, 0.999);
  EXPECT_DOUBLE_EQ(t.adam_eps, 1e-7);
  EXPECT_DOUBLE_EQ(t.weight_decay, 0.0);
  EXPECT_EQ(t.dyck_min_distance, 0);
  EXPECT_EQ(t.tense_test_lines, 2000);
  EXPECT_EQ(t.early_stop, "first_best");
  EXPECT_EQ(t.tree_sentences, 500);
  EXPECT_EQ(t.tree_every_evals, 1);
  EXPECT_EQ(t.keep_checkpoints, "last 2");
  EXPECT_EQ(spec->data.seed, 0);
  EXPECT_EQ(spec->data.train_size, 100000);
  EXPECT_EQ(spec->data.val_size, 1000);
  EXPECT_EQ(spec->data.test_size, 10000);
  EXPECT_EQ(spec->data.dir, "");
  EXPECT_EQ(spec->name, "s");
  EXPECT_EQ(spec->task, TaskKind::kQuestionFormation);
  EXPECT_EQ(spec->yaml, kMinimal);
  EXPECT_EQ(spec->source_name, "t.yaml");
  EXPECT_THAT(spec->seeds, ElementsAre(0));
  EXPECT_TRUE(spec->grid.empty());
}

TEST(SweepSpecTest, DyckTaskDefaults) {
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec("name: d\ntask: dyck\nseeds: 2\n", "t.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->task, TaskKind::kDyck);
  EXPECT_EQ(spec->train.steps, 400000);
  EXPECT_EQ(spec->train.eval_every, 10000);
  EXPECT_EQ(spec->train.checkpoint_every, 10000);
  EXPECT_EQ(spec->train.tree_sentences, 50);
  EXPECT_EQ(spec->data.train_size, 200000);
  EXPECT_EQ(spec->data.val_size, 20000);
  EXPECT_EQ(spec->data.test_size, 20000);
}

TEST(SweepSpecTest, TenseTaskDefaults) {
  absl::StatusOr<SweepSpec> spec =
      ParseSweepSpec("name: t\ntask: tense_inflection\nseeds: 1\n", "t.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->train.steps, 300000);
  EXPECT_EQ(spec->train.eval_every, 3000);
  EXPECT_EQ(spec->data.train_size, 100000);
}

TEST(SweepSpecTest, TaskDefaultsApplyOnlyToUnsetKeys) {
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec(
      "name: d\ntask: dyck\nseeds: 1\ntrain: {steps: 50000, eval_every: 500}\n"
      "data: {val_size: 7}\n",
      "t.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->train.steps, 50000);
  EXPECT_EQ(spec->train.eval_every, 500);
  EXPECT_EQ(spec->train.checkpoint_every, 500);  // follows eval_every
  EXPECT_EQ(spec->data.train_size, 200000);
  EXPECT_EQ(spec->data.val_size, 7);
  EXPECT_EQ(spec->data.test_size, 20000);
}

TEST(SweepSpecTest, ExplicitValuesAndSeedList) {
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec(R"(
name: qf-paper-config
task: question_formation
grid:
  depth: [2, 4]
  lr: [0.0001, 3e-4]
seeds: [42, 52, 62]
train:
  heads: 4
  clip: 10
  tie_embeddings: true
  checkpoint_every: 6000
  early_stop: within_0.01
data:
  seed: 3
  dir: /data/ref
)",
                                                    "t.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->train.heads, 4);
  EXPECT_DOUBLE_EQ(spec->train.clip, 10);
  EXPECT_TRUE(spec->train.tie_embeddings);
  EXPECT_EQ(spec->train.checkpoint_every, 6000);
  EXPECT_EQ(spec->train.early_stop, "within_0.01");
  EXPECT_EQ(spec->data.seed, 3);
  EXPECT_EQ(spec->data.dir, "/data/ref");
  EXPECT_THAT(spec->seeds, ElementsAre(42, 52, 62));
  ASSERT_EQ(spec->grid.size(), 2u);
  EXPECT_EQ(spec->grid[0].first, "depth");
  EXPECT_EQ(spec->grid[1].first, "lr");
  EXPECT_THAT(spec->grid[1].second, ElementsAre(1e-4, 3e-4));

  std::vector<GridCell> cells = ExpandGrid(*spec);
  ASSERT_EQ(cells.size(), 4u);
  EXPECT_EQ(CellKey(cells[0]), "depth=2,lr=0.0001");
  EXPECT_EQ(CellKey(cells[1]), "depth=2,lr=0.0003");
  EXPECT_EQ(CellKey(cells[2]), "depth=4,lr=0.0001");
  EXPECT_EQ(CellKey(cells[3]), "depth=4,lr=0.0003");

  absl::StatusOr<std::vector<RunSpec>> runs = ExpandSweep(*spec, 1000);
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 12u);
  EXPECT_EQ((*runs)[0].seed, 42);
  EXPECT_EQ((*runs)[2].seed, 62);
  EXPECT_EQ((*runs)[3].seed, 42);
  absl::StatusOr<RunConfig> run3 = ResolveRunConfig(*spec, (*runs)[3].cell);
  absl::StatusOr<RunConfig> run11 = ResolveRunConfig(*spec, (*runs)[11].cell);
  ASSERT_TRUE(run3.ok() && run11.ok());
  EXPECT_EQ(run3->train.depth, 2);
  EXPECT_DOUBLE_EQ(run3->train.lr, 3e-4);
  EXPECT_EQ(run11->train.depth, 4);
  EXPECT_EQ(run11->train.heads, 4);  // base values carried into every run
}

TEST(SweepSpecTest, BoolAxisAndEvalEveryAxis) {
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec(
      "name: b\ntask: dyck\nseeds: 1\ngrid:\n  tie_embeddings: [false, true]\n"
      "  eval_every: [1000, 2000]\n",
      "t.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  absl::StatusOr<std::vector<RunSpec>> runs = ExpandSweep(*spec, 100);
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 4u);
  EXPECT_EQ(CellKey((*runs)[3].cell), "tie_embeddings=1,eval_every=2000");
  absl::StatusOr<RunConfig> run0 = ResolveRunConfig(*spec, (*runs)[0].cell);
  absl::StatusOr<RunConfig> run3 = ResolveRunConfig(*spec, (*runs)[3].cell);
  ASSERT_TRUE(run0.ok() && run3.ok());
  EXPECT_TRUE(run3->train.tie_embeddings);
  EXPECT_FALSE(run0->train.tie_embeddings);
  // checkpoint_every was not set, so it follows each cell's eval_every.
  EXPECT_EQ(run0->train.checkpoint_every, 1000);
  EXPECT_EQ(run3->train.checkpoint_every, 2000);
}

TEST(SweepSpecTest, ExamplesParseAndExpand) {
  struct Example {
    const char* file;
    TaskKind task;
    int64_t steps;
    int64_t eval_every;
  };
  for (const Example& e : {Example{"question_formation.yaml", TaskKind::kQuestionFormation,
                                   300000, 3000},
                           Example{"tense_inflection.yaml", TaskKind::kTenseInflection, 300000,
                                   3000},
                           Example{"dyck.yaml", TaskKind::kDyck, 400000, 10000}}) {
    SCOPED_TRACE(e.file);
    absl::StatusOr<SweepSpec> spec =
        LoadSweepSpecFile(SourceDir() + "/examples/" + e.file);
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_EQ(spec->task, e.task);
    EXPECT_EQ(spec->train.steps, e.steps);
    EXPECT_EQ(spec->train.eval_every, e.eval_every);
    EXPECT_EQ(spec->train.checkpoint_every, e.eval_every);
    EXPECT_EQ(spec->seeds.size(), 10u);
    ASSERT_EQ(spec->grid.size(), 1u);
    EXPECT_THAT(spec->grid[0].second, ElementsAre(2, 4, 6, 8, 10));
    absl::StatusOr<std::vector<RunSpec>> runs = ExpandSweep(*spec, 10000);
    ASSERT_TRUE(runs.ok()) << runs.status();
    EXPECT_EQ(runs->size(), 50u);
    // Every (cell, seed) exactly once.
    std::set<std::pair<std::string, int64_t>> seen;
    for (const RunSpec& r : *runs) seen.emplace(CellKey(r.cell), r.seed);
    EXPECT_EQ(seen.size(), 50u);
  }
  absl::StatusOr<SweepSpec> quick = LoadSweepSpecFile(SourceDir() + "/examples/quick.yaml");
  ASSERT_TRUE(quick.ok()) << quick.status();
  absl::StatusOr<std::vector<RunSpec>> runs = ExpandSweep(*quick, 100);
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->size(), 4u);
  EXPECT_EQ(quick->train.d_model, 64);
}

TEST(SweepSpecTest, MaxRunsLimit) {
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec(
      "name: big\ntask: dyck\nseeds: 10\ngrid: {depth: [1, 2, 3], lr: [0.1, 0.2]}\n", "t.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(ExpandSweep(*spec, 60).ok());
  absl::StatusOr<std::vector<RunSpec>> runs = ExpandSweep(*spec, 59);
  ASSERT_FALSE(runs.ok());
  EXPECT_EQ(runs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(runs.status().message(), HasSubstr("more than 59 runs"));
}

TEST(SweepSpecTest, LoadMissingFile) {
  absl::StatusOr<SweepSpec> spec = LoadSweepSpecFile("/nonexistent/x.yaml");
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(spec.status().message(), HasSubstr("/nonexistent/x.yaml"));
}

// Every error names the file, the line and the field, and says what is allowed.
TEST(SweepSpecErrorsTest, BadNumberNamesLineAndField) {
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  steps: 10\n  eval_every: 5\n"
                    "  lr: fast\n"),
            "t.yaml:7: train.lr: must be a number > 0, got 'fast'");
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  lr: -1\n"),
            "t.yaml:5: train.lr: must be a number > 0, got '-1'");
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  steps: 1.5\n"),
            "t.yaml:5: train.steps: must be an integer in 1..100000000, got '1.5'");
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  dropout: 1\n"),
            "t.yaml:5: train.dropout: must be a number in [0, 1), got '1'");
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  tie_embeddings: maybe\n"),
            "t.yaml:5: train.tie_embeddings: must be true or false, got 'maybe'");
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  heads: [1, 2]\n"),
            "t.yaml:5: train.heads: must be an integer in 1..256, got a list");
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ndata:\n  train_size: 0\n"),
            "t.yaml:5: data.train_size: must be an integer in 1..10000000, got '0'");
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  early_stop: last\n"),
            "t.yaml:5: train.early_stop: must be one of first_best, within_0.01, got 'last'");
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  tree_sentences: -1\n"),
            "t.yaml:5: train.tree_sentences: must be an integer in 0..1000000, got '-1'");
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  tree_every_evals: 0\n"),
            "t.yaml:5: train.tree_every_evals: must be an integer in 1..100000000, got '0'");
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  keep_checkpoints: some\n"),
            "t.yaml:5: train.keep_checkpoints: must be 'last N' (N >= 1), 'every K steps' "
            "(K >= 1) or 'all', got 'some'");
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  eval_every: 1000\n"
                    "  keep_checkpoints: every 1500 steps\n"),
            "t.yaml:6: train.keep_checkpoints: every K steps needs K to be a multiple of "
            "checkpoint_every, got K=1500 with checkpoint_every=1000");
}

TEST(SweepSpecTest, TagsAndNotesAreLabelsThatChangeNoRun) {
  absl::StatusOr<SweepSpec> spec = ParseSweepSpec(
      "name: s\ntask: dyck\nseeds: 2\ntags: [paper, tied-embeddings, v1.2]\n"
      "notes: |\n  why\n  and how\n",
      "t.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_THAT(spec->tags, ElementsAre("paper", "tied-embeddings", "v1.2"));
  EXPECT_EQ(spec->notes, "why\nand how\n");
  absl::StatusOr<SweepSpec> plain = ParseSweepSpec("name: s\ntask: dyck\nseeds: 2\n", "t.yaml");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->tags.empty());
  EXPECT_EQ(plain->notes, "");
  EXPECT_EQ(ExpandSweep(*spec, 100)->size(), ExpandSweep(*plain, 100)->size());

  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntags: paper\n"),
            "t.yaml:4: tags: must be a list such as [paper, tied-embeddings], got 'paper'");
  EXPECT_THAT(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntags: [good, 'has space']\n"),
              HasSubstr("t.yaml:4: tags: each tag must be 1 to 64 letters, digits, '-', '_' or "
                        "'.', got 'has space'"));
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntags: [a, a]\n"),
            "t.yaml:4: tags: 'a' is listed twice");
  EXPECT_THAT(ErrorOf("name: s\ntask: dyck\nseeds: 1\nnotes: [a, b]\n"),
              HasSubstr("t.yaml:4: notes: must be text"));
  EXPECT_THAT(ErrorOf("name: s\ntask: dyck\nseeds: 1\nnotes: " + std::string(5000, 'x') + "\n"),
              HasSubstr("notes: at most 4096 bytes, got 5000"));
}

TEST(SweepSpecErrorsTest, UnknownKeysListAllowedKeys) {
  std::string top = ErrorOf("name: s\ntask: dyck\nseeds: 1\nepochs: 3\n");
  EXPECT_EQ(top, "t.yaml:4: epochs: unknown key; allowed: name, task, grid, seeds, train, data, "
                 "tags, notes");
  std::string train = ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  learning_rate: 1\n");
  EXPECT_THAT(train, HasSubstr("t.yaml:5: train.learning_rate: unknown key; allowed: depth, "
                               "steps, eval_every"));
  EXPECT_THAT(train, HasSubstr("early_stop"));
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ndata:\n  size: 1\n"),
            "t.yaml:5: data.size: unknown key; allowed: seed, train_size, val_size, test_size, "
            "dir, dyck_split");
  // The evaluation and split options of tasks/ (experiment.md §7).
  EXPECT_THAT(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  qf_first_word: greedy\n"),
              HasSubstr("qf_first_word: must be one of four_way, argmax"));
  EXPECT_THAT(ErrorOf("name: s\ntask: dyck\nseeds: 1\ndata:\n  dyck_split: paper\n"),
              HasSubstr("data.dyck_split: must be blocks (code) or string (paper App. A)"));
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  lr: 0.1\n  lr: 0.2\n"),
            "t.yaml:6: train.lr: duplicate key");
}

TEST(SweepSpecErrorsTest, TaskAndName) {
  EXPECT_EQ(ErrorOf("name: s\ntask: qf\nseeds: 1\n"),
            "t.yaml:2: task: must be one of dyck, question_formation, tense_inflection, got 'qf'");
  EXPECT_THAT(ErrorOf("name: s\nseeds: 1\n"),
              HasSubstr("t.yaml:1: task: required: one of dyck, question_formation, "
                        "tense_inflection"));
  EXPECT_THAT(ErrorOf("task: dyck\nseeds: 1\n"), HasSubstr("t.yaml:1: name: required"));
  // All-digit names would be ambiguous with sweep ids on the command line.
  EXPECT_THAT(ErrorOf("name: 123\ntask: dyck\nseeds: 1\n"),
              HasSubstr("t.yaml:1: name: must start with a letter"));
  EXPECT_THAT(ErrorOf("name: a b\ntask: dyck\nseeds: 1\n"), HasSubstr("t.yaml:1: name:"));
}

TEST(SweepSpecErrorsTest, Seeds) {
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: [1, 2, 1]\n"),
            "t.yaml:3: seeds[2]: duplicate seed 1; seeds must be distinct");
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: [1, -2]\n"),
            "t.yaml:3: seeds[1]: must be an integer in 0..2147483647, got '-2'");
  EXPECT_THAT(ErrorOf("name: s\ntask: dyck\nseeds: 0\n"),
              HasSubstr("t.yaml:3: seeds: must be a count"));
  EXPECT_THAT(ErrorOf("name: s\ntask: dyck\nseeds: 2.5\n"),
              HasSubstr("t.yaml:3: seeds: must be a count"));
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: []\n"),
            "t.yaml:3: seeds: must not be an empty list");
  EXPECT_THAT(ErrorOf("name: s\ntask: dyck\n"), HasSubstr("t.yaml:1: seeds: required"));
}

TEST(SweepSpecErrorsTest, Grid) {
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ngrid:\n  depth: []\n"),
            "t.yaml:5: grid.depth: must be a non-empty list of values, each an integer in 1..64, "
            "got a list");
  EXPECT_THAT(ErrorOf("name: s\ntask: dyck\nseeds: 1\ngrid:\n  width: [1]\n"),
              HasSubstr("t.yaml:5: grid.width: not a grid axis; axes are numeric train keys: "
                        "depth, steps"));
  EXPECT_THAT(ErrorOf("name: s\ntask: dyck\nseeds: 1\ngrid:\n  early_stop: [first_best]\n"),
              HasSubstr("t.yaml:5: grid.early_stop: not a grid axis"));
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ngrid:\n  depth:\n    - 2\n    - 2.5\n"),
            "t.yaml:7: grid.depth[1]: must be an integer in 1..64, got '2.5'");
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ngrid:\n  depth: [2, 2]\n"),
            "t.yaml:5: grid.depth[1]: duplicate value 2 (each value gives one set of runs)");
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ngrid:\n  depth: 4\n"),
            "t.yaml:5: grid.depth: must be a non-empty list of values, each an integer in 1..64, "
            "got '4'");
  EXPECT_THAT(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain: {depth: 2}\ngrid: {depth: [4]}\n"),
              HasSubstr("t.yaml:5: grid.depth: is also set in train.depth"));
}

TEST(SweepSpecErrorsTest, CrossFieldRules) {
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  eval_every: 3000\n"
                    "  checkpoint_every: 5000\n"),
            "t.yaml:6: train.checkpoint_every: must be a multiple of eval_every, got "
            "checkpoint_every=5000 with eval_every=3000");
  // d_model is not written, so the error points at the heads axis that broke the rule.
  EXPECT_EQ(ErrorOf("name: s\ntask: dyck\nseeds: 1\ngrid:\n  heads: [4, 7]\n"),
            "t.yaml:5: train.d_model: must be divisible by heads, got d_model=512 with heads=7 "
            "(grid cell heads=7)");
  EXPECT_THAT(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  steps: 100\n"),
              HasSubstr("train.eval_every: must be <= steps, got eval_every=10000 with "
                        "steps=100"));
  EXPECT_THAT(ErrorOf("name: s\ntask: dyck\nseeds: 1\ntrain:\n  decay_steps: 10\n"),
              HasSubstr("t.yaml:5: train.decay_steps: must be > warmup_steps"));
}

TEST(SweepSpecErrorsTest, MalformedYaml) {
  EXPECT_THAT(ErrorOf("name: s\ntask: [dyck\n"), HasSubstr("t.yaml:"));
  EXPECT_THAT(ErrorOf("name: s\ntask: [dyck\n"), HasSubstr("not valid YAML"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("t.yaml:1: spec: is empty"));
  EXPECT_THAT(ErrorOf("- a\n- b\n"), HasSubstr("t.yaml:1: spec: must be a map"));
}

TEST(CellTest, KeyFormatsNumbers) {
  GridCell cell = {{"depth", 6}, {"lr", 0.0001}, {"dropout", 0.1}, {"adam_eps", 1e-7}};
  EXPECT_EQ(CellKey(cell), "depth=6,lr=0.0001,dropout=0.1,adam_eps=1e-07");
  EXPECT_EQ(CellJson(cell), R"({"depth":6,"lr":0.0001,"dropout":0.1,"adam_eps":1e-07})");
  EXPECT_EQ(CellKey({}), "");
  EXPECT_EQ(CellJson({}), "{}");
  EXPECT_EQ(FormatCellValue(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(FormatCellValue(-2), "-2");
  EXPECT_EQ(FormatCellValue(2000000), "2000000");
}

TEST(CellTest, RoundTrip) {
  GridCell cell = {{"depth", 10}, {"lr", 3e-4}, {"clip", 1.0 / 3}, {"tie_embeddings", 1}};
  absl::StatusOr<GridCell> back = ParseCell(CellKey(cell));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, cell);  // exact doubles, not approximately
  absl::StatusOr<GridCell> empty = ParseCell("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(CellTest, ParseErrors) {
  EXPECT_FALSE(ParseCell("depth").ok());
  EXPECT_FALSE(ParseCell("depth=").ok());
  EXPECT_FALSE(ParseCell("=3").ok());
  EXPECT_FALSE(ParseCell("depth=x").ok());
  EXPECT_FALSE(ParseCell("depth=1,,lr=2").ok());
  EXPECT_FALSE(ParseCell("depth=1,depth=2").ok());
  EXPECT_FALSE(ParseCell("depth=inf").ok());
  EXPECT_THAT(ParseCell("depth=x").status().message(), HasSubstr("depth=6,lr=0.0001"));
}

TEST(CellTest, ApplyCell) {
  TrainConfig base;
  absl::StatusOr<TrainConfig> c = ApplyCell(base, {{"depth", 4}, {"lr", 0.001}});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->depth, 4);
  EXPECT_DOUBLE_EQ(c->lr, 0.001);
  EXPECT_EQ(c->d_model, 512);
  EXPECT_THAT(ApplyCell(base, {{"width", 4}}).status().message(), HasSubstr("unknown axis"));
  EXPECT_THAT(ApplyCell(base, {{"depth", 2.5}}).status().message(),
              HasSubstr("depth: must be an integer in 1..64, got 2.5"));
  EXPECT_FALSE(ApplyCell(base, {{"tie_embeddings", 2}}).ok());
}

TEST(TaskNameTest, RoundTrip) {
  for (TaskKind t : {TaskKind::kDyck, TaskKind::kQuestionFormation, TaskKind::kTenseInflection}) {
    absl::StatusOr<TaskKind> back = ParseTaskName(TaskName(t));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, t);
  }
  EXPECT_THAT(ParseTaskName("qf").status().message(),
              HasSubstr("dyck, question_formation, tense_inflection"));
}

}  // namespace
}  // namespace sg
