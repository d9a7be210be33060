#include "tasks/tree_sentences.h"

#include <algorithm>
#include <set>

#include "tasks/sentence_pool.h"

#include "gtest/gtest.h"

namespace sg {
namespace {

TaskDataset Generated(TaskKind task) {
  DataConfig c;
  c.seed = 3;
  c.train_size = 400;
  c.val_size = 20;
  c.test_size = 20;
  absl::StatusOr<TaskDataset> d = LoadTaskDataset(task, c);
  EXPECT_TRUE(d.ok()) << d.status();
  return *std::move(d);
}

TEST(TreeSentencesTest, QuestionFormationTakesBareDeclarativesOfQuestLines) {
  const TaskDataset data = Generated(TaskKind::kQuestionFormation);
  absl::StatusOr<TreeSentenceSet> set = TreeSentences(data, 50, 42);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->sentences.size(), 50u);
  ASSERT_EQ(set->gold.size(), 50u);
  // Every sentence is the words before " . quest" of some quest line.
  std::set<std::string> declaratives;
  for (const std::string& line : data.train_lines) {
    const size_t at = line.find(" . quest\t");
    if (at != std::string::npos) declaratives.insert(line.substr(0, at));
  }
  for (size_t k = 0; k < 50; ++k) {
    const std::string text = data.vocab.Decode(set->sentences[k]);
    EXPECT_EQ(declaratives.count(text), 1u) << text;
    EXPECT_EQ(set->gold[k].num_words(), static_cast<int>(set->sentences[k].size()));
  }
  // The same seed gives the same sample, another seed another one.
  absl::StatusOr<TreeSentenceSet> again = TreeSentences(data, 50, 42);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->sentences, set->sentences);
  absl::StatusOr<TreeSentenceSet> other = TreeSentences(data, 50, 7);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->sentences, set->sentences);
}

TEST(SentencePoolTest, BareDeclarativesAndTheDyckLengthLimit) {
  const TaskDataset qf = Generated(TaskKind::kQuestionFormation);
  const std::vector<TokenIds> pool = AnalysisSentencePool(qf, 0);
  size_t quest_lines = 0;
  for (const std::string& line : qf.train_lines) {
    if (line.find(" . quest\t") != std::string::npos) ++quest_lines;
  }
  EXPECT_EQ(pool.size(), quest_lines);  // decl lines are left out
  for (const TokenIds& s : pool) EXPECT_NE(s.back(), qf.vocab.Id("."));
  const TaskDataset dyck = Generated(TaskKind::kDyck);
  size_t longest = 0;
  for (const TokenIds& line : dyck.train) longest = std::max(longest, line.size());
  EXPECT_EQ(AnalysisSentencePool(dyck, 0).size(), dyck.train.size());
  for (const TokenIds& s : AnalysisSentencePool(dyck, longest)) EXPECT_LT(s.size(), longest);
  EXPECT_LT(AnalysisSentencePool(dyck, longest).size(), dyck.train.size());
}

TEST(TreeSentencesTest, TenseTakesEveryLineAndDyckHasNoGold) {
  const TaskDataset tense = Generated(TaskKind::kTenseInflection);
  absl::StatusOr<TreeSentenceSet> all = TreeSentences(tense, 100000, 42);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->sentences.size(), tense.train.size());  // PAST and PRESENT lines, all of them
  EXPECT_EQ(all->gold.size(), tense.train.size());
  for (const TokenIds& s : all->sentences) {
    ASSERT_FALSE(s.empty());
    EXPECT_NE(s.back(), tense.vocab.Id("."));  // the final "." is dropped
    for (int32_t id : s) {
      EXPECT_NE(id, tense.vocab.Id("PAST"));
      EXPECT_NE(id, tense.vocab.Id("PRESENT"));
    }
  }

  const TaskDataset dyck = Generated(TaskKind::kDyck);
  absl::StatusOr<TreeSentenceSet> d = TreeSentences(dyck, 30, 42);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->sentences.size(), 30u);
  EXPECT_TRUE(d->gold.empty());

  absl::StatusOr<TreeSentenceSet> none = TreeSentences(dyck, 0, 42);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->sentences.empty());
}

TEST(TreeSentencesTest, DueAtEveryKthAndTheFirstAndFinalEvaluations) {
  TrainConfig c;
  c.steps = 1000;
  c.eval_every = 100;
  c.tree_sentences = 10;
  c.tree_every_evals = 3;
  std::vector<int64_t> due;
  for (int64_t step = 100; step <= 1000; step += 100) {
    if (TreeMetricsDue(c, step)) due.push_back(step);
  }
  EXPECT_EQ(due, (std::vector<int64_t>{100, 300, 600, 900, 1000}));
  c.tree_every_evals = 1;
  EXPECT_TRUE(TreeMetricsDue(c, 200));
  c.steps = 950;  // the final evaluation off the eval grid
  EXPECT_TRUE(TreeMetricsDue(c, 950));
  c.tree_sentences = 0;
  EXPECT_FALSE(TreeMetricsDue(c, 100));
}

}  // namespace
}  // namespace sg
