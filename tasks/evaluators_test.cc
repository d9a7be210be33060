#include "tasks/evaluators.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "tasks/task_data.h"
#include "tasks/testing/reference.h"
#include "tasks/testing/rule_scorers.h"

namespace sg {
namespace {

using testing::MakeDyckRuleScorer;
using testing::MakePack;
using testing::MakeQfRuleScorer;
using testing::MakeTenseRuleScorer;
using testing::ReadReference;
using testing::Rule;

// The reference val and test files as a TaskDataset (train: the val lines, unused here).
TaskDataset ReferenceDataset(TaskKind task, const std::string& val, const std::string& test) {
  TaskDataset d;
  d.task = task;
  d.val_lines = ReadReference(val);
  d.test_lines = test.empty() ? std::vector<std::string>{} : ReadReference(test);
  d.train_lines = d.val_lines;
  d.vocab = LexiconVocabulary(task);
  d.train = *EncodeLines(task, d.vocab, d.train_lines, "train");
  d.val = *EncodeLines(task, d.vocab, d.val_lines, "val");
  d.test = *EncodeLines(task, d.vocab, d.test_lines, "test");
  return d;
}

std::vector<double> Score(const TaskDataset& d, Split split, ModelScorer& scorer,
                          const EvalOptions& o = EvalOptions(), int64_t* items = nullptr) {
  absl::StatusOr<std::unique_ptr<TaskEvaluator>> e = MakeTaskEvaluator(d, split, o);
  EXPECT_TRUE(e.ok()) << e.status();
  if (!e.ok()) return {};
  if (items != nullptr) *items = (*e)->num_items();
  absl::StatusOr<std::vector<double>> acc = (*e)->Evaluate(scorer);
  EXPECT_TRUE(acc.ok()) << acc.status();
  return acc.ok() ? *acc : std::vector<double>{};
}

std::unique_ptr<ModelScorer> HierarchicalAndLinear(
    std::unique_ptr<ModelScorer> (*make)(const Vocabulary&, Rule), const Vocabulary& v) {
  std::vector<std::unique_ptr<ModelScorer>> both;
  both.push_back(make(v, Rule::kHierarchical));
  both.push_back(make(v, Rule::kLinear));
  return MakePack(std::move(both));
}

std::unique_ptr<ModelScorer> MakeTenseDefault(const Vocabulary& v, Rule r) {
  return MakeTenseRuleScorer(v, r);
}

TEST(EvaluatorsTest, QuestionFormationOnReferenceFiles) {
  const TaskDataset d = ReferenceDataset(TaskKind::kQuestionFormation,
                                         "question_formation/question.val",
                                         "question_formation/question.test");
  auto pack = HierarchicalAndLinear(&MakeQfRuleScorer, d.vocab);
  int64_t items = 0;
  EXPECT_EQ(Score(d, Split::kVal, *pack, EvalOptions(), &items), (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(items, 406);  // quest lines only
  EXPECT_EQ(Score(d, Split::kTest, *pack, EvalOptions(), &items),
            (std::vector<double>{1.0, 0.0}));
  EXPECT_EQ(items, 10000);
  // The paper's unrestricted argmax gives the same for rule scorers that only score auxiliaries.
  EvalOptions argmax;
  argmax.qf_ranking = EvalOptions::QfRanking::kFullArgmax;
  EXPECT_EQ(Score(d, Split::kTest, *pack, argmax), (std::vector<double>{1.0, 0.0}));
}

TEST(EvaluatorsTest, QfFourWayTiesGoToTheListedOrder) {
  // A scorer with all-equal scores: four_way picks "doesn't" (first of doesn't/does/do/don't);
  // the full argmax picks id 0, which is never right.
  class Flat final : public ModelScorer {
   public:
    explicit Flat(int n) : n_(n) {}
    int num_models() const override { return 1; }
    absl::StatusOr<std::vector<std::vector<std::vector<float>>>> NextTokenScores(
        const std::vector<TokenIds>& in) override {
      return std::vector<std::vector<std::vector<float>>>{
          std::vector<std::vector<float>>(in.size(), std::vector<float>(n_, 0.0f))};
    }
    absl::StatusOr<std::vector<std::vector<TokenIds>>> GreedyDecode(const std::vector<TokenIds>&,
                                                                    int) override {
      return absl::UnimplementedError("");
    }
    int n_;
  };
  const TaskDataset d = ReferenceDataset(TaskKind::kQuestionFormation,
                                         "question_formation/question.val",
                                         "question_formation/question.test");
  Flat flat(d.vocab.num_ids());
  int64_t doesnt = 0;
  for (const TokenIds& line : d.test) {
    auto q = std::find(line.begin(), line.end(), d.vocab.Id("quest"));
    doesnt += *(q + 1) == d.vocab.Id("doesn't") ? 1 : 0;
  }
  EXPECT_EQ(Score(d, Split::kTest, flat), (std::vector<double>{doesnt / 10000.0}));
  EvalOptions argmax;
  argmax.qf_ranking = EvalOptions::QfRanking::kFullArgmax;
  EXPECT_EQ(Score(d, Split::kTest, flat, argmax), (std::vector<double>{0.0}));
  // A scorer answering with the wrong shape is an error, not a score.
  class Short final : public ModelScorer {
   public:
    int num_models() const override { return 2; }
    absl::StatusOr<std::vector<std::vector<std::vector<float>>>> NextTokenScores(
        const std::vector<TokenIds>& in) override {
      return std::vector<std::vector<std::vector<float>>>(1);
    }
    absl::StatusOr<std::vector<std::vector<TokenIds>>> GreedyDecode(const std::vector<TokenIds>&,
                                                                    int) override {
      return absl::UnimplementedError("");
    }
  } bad;
  auto e = MakeTaskEvaluator(d, Split::kVal, EvalOptions());
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->Evaluate(bad).status().code(), absl::StatusCode::kInternal);
}

TEST(EvaluatorsTest, TenseOnReferenceFiles) {
  const TaskDataset d = ReferenceDataset(TaskKind::kTenseInflection, "tense_inflection/tense.val",
                                         "tense_inflection/tense.test");
  auto pack = HierarchicalAndLinear(&MakeTenseDefault, d.vocab);
  int64_t items = 0;
  EXPECT_EQ(Score(d, Split::kVal, *pack, EvalOptions(), &items), (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(items, 1000);
  EXPECT_EQ(Score(d, Split::kTest, *pack, EvalOptions(), &items),
            (std::vector<double>{1.0, 0.0}));
  EXPECT_EQ(items, 10000);
  // A fixed seeded subset of the generalisation set (never of val).
  EvalOptions subset;
  subset.tense_test_lines = 2000;
  EXPECT_EQ(Score(d, Split::kTest, *pack, subset, &items), (std::vector<double>{1.0, 0.0}));
  EXPECT_EQ(items, 2000);
  Score(d, Split::kVal, *pack, subset, &items);
  EXPECT_EQ(items, 1000);
}

TEST(EvaluatorsTest, TenseDropsTheTokenBeforeEosLikeTheReference) {
  const TaskDataset d = ReferenceDataset(TaskKind::kTenseInflection, "tense_inflection/tense.val",
                                         "tense_inflection/tense.test");
  // A model that stops without the final "." loses its last word under the reference rule.
  auto no_period = MakeTenseRuleScorer(d.vocab, Rule::kHierarchical, /*end_with_period=*/false);
  EXPECT_EQ(Score(d, Split::kVal, *no_period), (std::vector<double>{0.0}));
  EvalOptions keep;
  keep.tense_drop_before_eos = false;
  EXPECT_EQ(Score(d, Split::kVal, *no_period, keep), (std::vector<double>{1.0}));
  // With the "." emitted, keeping it changes nothing (the metric strips a final ".").
  auto with_period = MakeTenseRuleScorer(d.vocab, Rule::kHierarchical);
  EXPECT_EQ(Score(d, Split::kVal, *with_period, keep), (std::vector<double>{1.0}));
}

TEST(EvaluatorsTest, TruncateDecodedFollowsTheReferenceLengthRule) {
  const int32_t eos = 9;
  EXPECT_EQ(TruncateDecoded({1, 2, 3, eos, 4}, eos, true), (TokenIds{1, 2}));
  EXPECT_EQ(TruncateDecoded({1, 2, 3, eos, 4}, eos, false), (TokenIds{1, 2, 3}));
  EXPECT_EQ(TruncateDecoded({eos, 2, eos}, eos, true), (TokenIds{eos}));  // t0 not checked
  EXPECT_EQ(TruncateDecoded({1, eos}, eos, true), (TokenIds{}));
  EXPECT_EQ(TruncateDecoded({1, 2, 3, 4}, eos, true), (TokenIds{1, 2, 3}));  // t0..t(N-1)
}

TEST(EvaluatorsTest, DyckOnReferenceVal) {
  const TaskDataset d =
      ReferenceDataset(TaskKind::kDyck, "dyck/k-20_d-10_val.txt", "dyck/k-20_d-10_val.txt");
  auto pack = HierarchicalAndLinear(&MakeDyckRuleScorer, d.vocab);
  int64_t items = 0;
  const std::vector<double> acc = Score(d, Split::kVal, *pack, EvalOptions(), &items);
  EXPECT_EQ(items, 5008);  // experiment.md §4.2: the first 784 strings
  ASSERT_EQ(acc.size(), 2u);
  EXPECT_EQ(acc[0], 1.0);
  EXPECT_LT(acc[1], 0.9);  // the bottom-of-stack rule is right only at depth 1
  EXPECT_GT(acc[1], 0.3);
  // The paper's distance filter applies to the generalisation split only.
  EvalOptions far;
  far.dyck_min_distance = 10;
  Score(d, Split::kVal, *pack, far, &items);
  EXPECT_EQ(items, 5008);
  EXPECT_EQ(Score(d, Split::kTest, *pack, far, &items)[0], 1.0);
  EXPECT_GE(items, 5000);
  EXPECT_LT(items, 5100);
}

TEST(EvaluatorsTest, GeneratedDataScoresLikeTheReference) {
  for (TaskKind task : {TaskKind::kQuestionFormation, TaskKind::kTenseInflection}) {
    DataConfig config = DefaultDataConfig(task);
    config.seed = 3;
    absl::StatusOr<TaskDataset> d = LoadTaskDataset(task, config);
    ASSERT_TRUE(d.ok()) << d.status();
    auto pack = task == TaskKind::kQuestionFormation
                    ? HierarchicalAndLinear(&MakeQfRuleScorer, d->vocab)
                    : HierarchicalAndLinear(&MakeTenseDefault, d->vocab);
    EXPECT_EQ(Score(*d, Split::kVal, *pack), (std::vector<double>{1.0, 1.0})) << TaskName(task);
    EXPECT_EQ(Score(*d, Split::kTest, *pack), (std::vector<double>{1.0, 0.0})) << TaskName(task);
  }
  DataConfig dyck = DefaultDataConfig(TaskKind::kDyck);
  dyck.train_size = 20000;
  dyck.val_size = 1000;
  dyck.test_size = 1000;
  absl::StatusOr<TaskDataset> d = LoadTaskDataset(TaskKind::kDyck, dyck);
  ASSERT_TRUE(d.ok()) << d.status();
  auto stack = MakeDyckRuleScorer(d->vocab, Rule::kHierarchical);
  EXPECT_EQ(Score(*d, Split::kVal, *stack), (std::vector<double>{1.0}));
  EXPECT_EQ(Score(*d, Split::kTest, *stack), (std::vector<double>{1.0}));
}

TEST(EvaluatorsTest, OptionsFromTrainConfig) {
  TrainConfig c;
  absl::StatusOr<EvalOptions> o = EvalOptionsFromTrainConfig(c);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->qf_ranking, EvalOptions::QfRanking::kFourWay);
  EXPECT_TRUE(o->tense_drop_before_eos);
  EXPECT_EQ(o->dyck_min_distance, 0);
  EXPECT_EQ(o->tense_test_lines, 2000);
  c.qf_first_word = "argmax";
  c.dyck_min_distance = 10;
  c.tense_test_lines = 0;
  c.tense_drop_before_eos = false;
  o = EvalOptionsFromTrainConfig(c);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->qf_ranking, EvalOptions::QfRanking::kFullArgmax);
  EXPECT_FALSE(o->tense_drop_before_eos);
  EXPECT_EQ(o->dyck_min_distance, 10);
  EXPECT_EQ(o->tense_test_lines, 0);
  c.qf_first_word = "greedy";
  o = EvalOptionsFromTrainConfig(c);
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(o.status().message().find("train.qf_first_word"), std::string::npos);
}

}  // namespace
}  // namespace sg
