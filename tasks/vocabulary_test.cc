#include "tasks/vocabulary.h"

#include "gtest/gtest.h"
#include "tasks/task_data.h"
#include "tasks/testing/reference.h"

namespace sg {
namespace {

using testing::ReadReference;

TEST(VocabularyTest, PadFirstWordsSortedByBytesThenEosSos) {
  Vocabulary v({"b", "a", "?", ".", "B", "a", ""});
  ASSERT_EQ(v.size(), 6);  // <pad> . ? B a b
  EXPECT_EQ(v.Word(0), "<pad>");
  EXPECT_EQ(v.Word(1), ".");
  EXPECT_EQ(v.Word(2), "?");
  EXPECT_EQ(v.Word(3), "B");
  EXPECT_EQ(v.Word(4), "a");
  EXPECT_EQ(v.Word(5), "b");
  EXPECT_EQ(v.eos_id(), 6);
  EXPECT_EQ(v.sos_id(), 7);
  EXPECT_EQ(v.num_ids(), 8);
  EXPECT_EQ(v.Id("zzz"), -1);
}

TEST(VocabularyTest, LexiconSizesMatchExperimentSpec) {
  EXPECT_EQ(LexiconVocabulary(TaskKind::kQuestionFormation).size(), 69);
  EXPECT_EQ(LexiconVocabulary(TaskKind::kTenseInflection).size(), 99);
  EXPECT_EQ(LexiconVocabulary(TaskKind::kDyck).size(), 41);
  EXPECT_EQ(LexiconVocabulary(TaskKind::kQuestionFormation).sos_id(), 70);
  EXPECT_EQ(LexiconVocabulary(TaskKind::kTenseInflection).eos_id(), 99);
  EXPECT_EQ(LexiconVocabulary(TaskKind::kDyck).sos_id(), 42);
}

TEST(VocabularyTest, IdsAsListedInExperimentSpec) {
  // experiment.md §3.2-3.4.
  const Vocabulary qf = LexiconVocabulary(TaskKind::kQuestionFormation);
  const std::vector<std::pair<int, const char*>> qf_ids = {
      {1, "."}, {2, "?"}, {3, "above"}, {15, "decl"}, {16, "do"}, {17, "does"}, {18, "doesn't"},
      {19, "don't"}, {24, "high_five"}, {37, "quest"}, {48, "that"}, {60, "who"}, {68, "zebras"}};
  for (const auto& [id, word] : qf_ids) EXPECT_EQ(qf.Word(id), word) << id;
  const Vocabulary tense = LexiconVocabulary(TaskKind::kTenseInflection);
  const std::vector<std::pair<int, const char*>> tense_ids = {
      {1, "."}, {2, "PAST"}, {3, "PRESENT"}, {4, "above"}, {18, "ate"}, {41, "high_fived"},
      {59, "read"}, {60, "reads"}, {68, "slept"}, {73, "swam"}, {98, "zebras"}};
  for (const auto& [id, word] : tense_ids) EXPECT_EQ(tense.Word(id), word) << id;
  const Vocabulary dyck = LexiconVocabulary(TaskKind::kDyck);
  EXPECT_EQ(dyck.Word(1), "(a");
  EXPECT_EQ(dyck.Word(20), "(t");
  EXPECT_EQ(dyck.Word(21), "a)");
  EXPECT_EQ(dyck.Word(40), "t)");
}

TEST(VocabularyTest, ReferenceFilesYieldTheLexiconVocabulary) {
  // The reference builds its ids from the union of the splits; that union covers the lexicon.
  const auto qf_val = ReadReference("question_formation/question.val");
  const auto qf_test = ReadReference("question_formation/question.test");
  EXPECT_EQ(Vocabulary::FromLines({&qf_val, &qf_test}, false).words(),
            LexiconVocabulary(TaskKind::kQuestionFormation).words());
  const auto t_val = ReadReference("tense_inflection/tense.val");
  const auto t_test = ReadReference("tense_inflection/tense.test");
  EXPECT_EQ(Vocabulary::FromLines({&t_val, &t_test}, false).words(),
            LexiconVocabulary(TaskKind::kTenseInflection).words());
  const auto d_val = ReadReference("dyck/k-20_d-10_val.txt");
  EXPECT_EQ(Vocabulary::FromLines({&d_val}, true).words(),
            LexiconVocabulary(TaskKind::kDyck).words());
}

TEST(VocabularyTest, LineToWordsReadsTabAsSpaceAndDropsEnd) {
  EXPECT_EQ(LineToWords("a b . decl\ta b .", false),
            (std::vector<std::string>{"a", "b", ".", "decl", "a", "b", "."}));
  EXPECT_EQ(LineToWords("(a a) END", true), (std::vector<std::string>{"(a", "a)"}));
  EXPECT_EQ(LineToWords("(a a) END", false), (std::vector<std::string>{"(a", "a)", "END"}));
}

TEST(VocabularyTest, EncodeNamesUnknownWords) {
  const Vocabulary qf = LexiconVocabulary(TaskKind::kQuestionFormation);
  absl::StatusOr<TokenIds> ids = qf.Encode({"the", "newt"});
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(qf.Decode(*ids), "the newt");
  absl::StatusOr<TokenIds> bad = qf.Encode({"the", "dragon"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("dragon"), std::string::npos);
}

}  // namespace
}  // namespace sg
