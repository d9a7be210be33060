#include "tasks/task_dataset.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tasks/evaluators.h"
#include "tasks/task_data.h"
#include "tasks/testing/reference.h"
#include "tasks/testing/rule_scorers.h"

namespace sg {
namespace {

namespace fs = std::filesystem;
using testing::ReadReference;

TEST(TaskDatasetTest, DefaultSizesAreThePapers) {
  const DataConfig qf = DefaultDataConfig(TaskKind::kQuestionFormation);
  EXPECT_EQ(qf.train_size, 100000);
  EXPECT_EQ(qf.val_size, 1000);
  EXPECT_EQ(qf.test_size, 10000);
  const DataConfig dyck = DefaultDataConfig(TaskKind::kDyck);
  EXPECT_EQ(dyck.train_size, 200000);
  EXPECT_EQ(dyck.val_size, 20000);
  EXPECT_EQ(dyck.test_size, 20000);
  EXPECT_EQ(ReferenceFileName(TaskKind::kDyck, Split::kVal), "k-20_d-10_val.txt");
  EXPECT_EQ(ReferenceFileName(TaskKind::kTenseInflection, Split::kTest), "tense.test");
}

TEST(TaskDatasetTest, SmallGeneratedSetsStillHaveTheFullVocabulary) {
  for (TaskKind task : {TaskKind::kQuestionFormation, TaskKind::kTenseInflection,
                        TaskKind::kDyck}) {
    DataConfig c;
    c.seed = 1;
    c.train_size = 200;
    c.val_size = 20;
    c.test_size = 20;
    absl::StatusOr<TaskDataset> d = LoadTaskDataset(task, c);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->vocab.words(), LexiconVocabulary(task).words());
    EXPECT_EQ(d->train.size(), 200u);
    EXPECT_EQ(d->val.size(), 20u);
    EXPECT_EQ(d->test.size(), 20u);
    // Ids are the line's words (TAB as space, no END, no SOS/EOS).
    EXPECT_EQ(d->vocab.Decode(d->train[0]), absl::StrJoin(LineToWords(d->train_lines[0],
                                                                      task == TaskKind::kDyck),
                                                          " "));
  }
}

TEST(TaskDatasetTest, PaperSizeGenerationYieldsTheLexiconVocabulary) {
  for (TaskKind task : {TaskKind::kQuestionFormation, TaskKind::kTenseInflection}) {
    DataConfig c = DefaultDataConfig(task);
    std::vector<std::string> train, val, test;
    ASSERT_TRUE(GenerateTaskLines(task, c, &train, &val, &test).ok());
    EXPECT_EQ(Vocabulary::FromLines({&train, &val, &test}, false).words(),
              LexiconVocabulary(task).words());
  }
}

TEST(TaskDatasetTest, BadSizesNameTheField) {
  DataConfig c;
  c.val_size = 0;
  absl::StatusOr<TaskDataset> d = LoadTaskDataset(TaskKind::kQuestionFormation, c);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("data.val_size"), std::string::npos);
  c = DataConfig();
  c.dyck_split = "paper";
  d = LoadTaskDataset(TaskKind::kDyck, c);
  EXPECT_NE(d.status().message().find("dyck_split"), std::string::npos);
}

class ReferenceDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sg_tasks_refdir_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Copy(const std::string& from, const std::string& to) {
    fs::copy_file(testing::ReferencePath(from), dir_ + "/" + to);
  }
  std::string dir_;
};

TEST_F(ReferenceDirTest, LoadsTheAuthorsFilesAndScoresOnThem) {
  Copy("question_formation/question.train.first20k", "question.train");
  Copy("question_formation/question.val", "question.val");
  DataConfig c;
  c.dir = dir_;
  absl::StatusOr<TaskDataset> d = LoadTaskDataset(TaskKind::kQuestionFormation, c);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(d.status().message().find("question.test"), std::string::npos);
  Copy("question_formation/question.test", "question.test");
  d = LoadTaskDataset(TaskKind::kQuestionFormation, c);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->train.size(), 20000u);
  EXPECT_EQ(d->val_lines, ReadReference("question_formation/question.val"));
  EXPECT_EQ(d->vocab.words(), LexiconVocabulary(TaskKind::kQuestionFormation).words());
  auto scorer = testing::MakeQfRuleScorer(d->vocab, testing::Rule::kLinear);
  auto e = MakeTaskEvaluator(*d, Split::kTest, TrainConfig());
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*(*e)->Evaluate(*scorer), (std::vector<double>{0.0}));
}

TEST_F(ReferenceDirTest, DyckVocabularyComesFromTheFiles) {
  Copy("dyck/k-20_d-10_val.txt", "k-20_d-10_train.txt");
  Copy("dyck/k-20_d-10_val.txt", "k-20_d-10_val.txt");
  Copy("dyck/k-20_d-10_val.txt", "k-20_d-10_test.txt");
  DataConfig c;
  c.dir = dir_;
  absl::StatusOr<TaskDataset> d = LoadTaskDataset(TaskKind::kDyck, c);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->vocab.size(), 41);
  EXPECT_EQ(d->val[0].size(), 12u);  // "(h h) (j j) (q (n (r r) n) q) (r r) END" without END
}

}  // namespace
}  // namespace sg
