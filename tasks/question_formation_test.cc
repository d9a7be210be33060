#include "tasks/question_formation.h"

#include <chrono>
#include <unordered_set>

#include "gtest/gtest.h"
#include "tasks/rng.h"
#include "tasks/split_report.h"
#include "tasks/testing/reference.h"

namespace sg {
namespace {

using testing::LengthShares;
using testing::MaxShareDifference;
using testing::ReadReference;
using testing::TemplateShares;

struct Splits {
  std::vector<std::string> train, val, test;
};

// Paper sizes, seed 7; generated once for the whole suite.
const Splits& PaperSplits() {
  static const Splits* s = [] {
    auto* out = new Splits;
    absl::Status st =
        GenerateQuestionFormation(7, 100000, 1000, 10000, &out->train, &out->val, &out->test);
    if (!st.ok()) std::abort();
    return out;
  }();
  return *s;
}

TEST(QuestionFormationTest, ParsesExampleLines) {
  absl::StatusOr<QfParsedLine> p = ParseQfLine(
      "the peacocks who do comfort her xylophone don't remember our raven . quest\t"
      "don't the peacocks who do comfort her xylophone remember our raven ?");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->question);
  EXPECT_TRUE(p->output_correct);
  EXPECT_EQ(p->sentence.subject.kind, NpKind::kSrcT);
  EXPECT_EQ(QfMainAuxIndex(p->sentence), 7);
  EXPECT_EQ(QfNumAuxiliaries(p->sentence), 2);
  EXPECT_EQ(QfTemplate(p->sentence, true), "quest|SRC_t|Vt+plain");
  EXPECT_EQ(p->lm_length, 25);
  // Moving the first auxiliary gives a different (wrong) output.
  absl::StatusOr<QfParsedLine> wrong = ParseQfLine(
      "the peacocks who do comfort her xylophone don't remember our raven . quest\t"
      "do the peacocks who comfort her xylophone don't remember our raven ?");
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE(wrong->output_correct);
}

TEST(QuestionFormationTest, RejectsAgreementErrorsAndBadGrammar) {
  EXPECT_FALSE(ParseQfLine("the newt do giggle . decl\tthe newt do giggle .").ok());
  EXPECT_FALSE(ParseQfLine("the newts who does giggle do smile . decl\t"
                           "the newts who does giggle do smile .").ok());
  EXPECT_FALSE(ParseQfLine("the newt does admire . decl\tthe newt does admire .").ok());
  EXPECT_FALSE(ParseQfLine("the newt does giggle . decl").ok());  // no TAB
}

TEST(QuestionFormationTest, RenderThenParseRoundTrips) {
  Splits s;
  ASSERT_TRUE(GenerateQuestionFormation(11, 2000, 200, 500, &s.train, &s.val, &s.test).ok());
  for (const auto* lines : {&s.train, &s.val, &s.test}) {
    for (const std::string& line : *lines) {
      absl::StatusOr<QfParsedLine> p = ParseQfLine(line);
      ASSERT_TRUE(p.ok()) << line << ": " << p.status();
      EXPECT_EQ(QfLine(p->sentence, p->question), line);
    }
  }
}

TEST(QuestionFormationTest, ReferenceFilesPassTheSplitChecks) {
  // The checks themselves are validated on the authors' files: zero violations.
  SplitReport val = AnalyzeSplit(TaskKind::kQuestionFormation, Split::kVal,
                                 ReadReference("question_formation/question.val"));
  EXPECT_EQ(val.violations, 0) << FormatReport(val);
  EXPECT_EQ(val.markers["quest"], 406);
  SplitReport test = AnalyzeSplit(TaskKind::kQuestionFormation, Split::kTest,
                                  ReadReference("question_formation/question.test"));
  EXPECT_EQ(test.violations, 0) << FormatReport(test);
  EXPECT_EQ(test.markers["quest"], 10000);
  SplitReport train = AnalyzeSplit(TaskKind::kQuestionFormation, Split::kTrain,
                                   ReadReference("question_formation/question.train.first20k"));
  EXPECT_EQ(train.violations, 0);
  // And they catch what they should: the reference val read as a generalisation set fails.
  SplitReport wrong = AnalyzeSplit(TaskKind::kQuestionFormation, Split::kTest,
                                   ReadReference("question_formation/question.val"));
  EXPECT_EQ(wrong.violations, 1000);
  SplitReport wrong_train = AnalyzeSplit(TaskKind::kQuestionFormation, Split::kTrain,
                                         ReadReference("question_formation/question.test"));
  EXPECT_EQ(wrong_train.violations, 10000);
}

TEST(QuestionFormationTest, GeneratedSplitsHaveNoViolationsAndNoOverlap) {
  const Splits& s = PaperSplits();
  ASSERT_EQ(s.train.size(), 100000u);
  ASSERT_EQ(s.val.size(), 1000u);
  ASSERT_EQ(s.test.size(), 10000u);
  EXPECT_EQ(AnalyzeSplit(TaskKind::kQuestionFormation, Split::kTrain, s.train).violations, 0);
  EXPECT_EQ(AnalyzeSplit(TaskKind::kQuestionFormation, Split::kVal, s.val).violations, 0);
  SplitReport test = AnalyzeSplit(TaskKind::kQuestionFormation, Split::kTest, s.test);
  EXPECT_EQ(test.violations, 0);
  // The 2:1 quota of subject to object relatives.
  const auto subjects = TemplateMarginal(test, 1);
  EXPECT_NEAR(subjects.at("ORC"), 3333 / 10000.0, 1e-9);
  std::unordered_set<std::string> all(s.train.begin(), s.train.end());
  for (const auto* lines : {&s.val, &s.test}) {
    for (const std::string& line : *lines) EXPECT_TRUE(all.insert(line).second) << line;
  }
}

TEST(QuestionFormationTest, DeterministicForASeed) {
  Splits a, b, c;
  ASSERT_TRUE(GenerateQuestionFormation(5, 300, 50, 60, &a.train, &a.val, &a.test).ok());
  ASSERT_TRUE(GenerateQuestionFormation(5, 300, 50, 60, &b.train, &b.val, &b.test).ok());
  ASSERT_TRUE(GenerateQuestionFormation(6, 300, 50, 60, &c.train, &c.val, &c.test).ok());
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.val, b.val);
  EXPECT_EQ(a.test, b.test);
  EXPECT_NE(a.train, c.train);
  // A fixed value pins the cross-platform stream (mt19937_64 + our own bounded draws).
  EXPECT_EQ(a.train[0], "my xylophone doesn't swim . decl\tmy xylophone doesn't swim .");
}

// Tolerances: about 3 standard deviations of the difference between two independent samples
// of the same distribution (val: 1,000 vs 1,000 lines; test: 10,000 vs 10,000; train prefix:
// 20,000 vs 20,000).
constexpr double kValTolerance = 0.06;
constexpr double kTestTolerance = 0.025;
constexpr double kTrainTolerance = 0.02;

TEST(QuestionFormationTest, GeneratedValMatchesReferenceDistributions) {
  const SplitReport gen = AnalyzeSplit(TaskKind::kQuestionFormation, Split::kVal,
                                       PaperSplits().val);
  const SplitReport ref = AnalyzeSplit(TaskKind::kQuestionFormation, Split::kVal,
                                       ReadReference("question_formation/question.val"));
  std::string worst;
  EXPECT_LE(MaxShareDifference(LengthShares(gen), LengthShares(ref), &worst), kValTolerance)
      << "length " << worst;
  for (int field = 0; field < 3; ++field) {
    EXPECT_LE(MaxShareDifference(TemplateMarginal(gen, field), TemplateMarginal(ref, field),
                                 &worst),
              kValTolerance)
        << "template field " << field << " value " << worst;
  }
  EXPECT_NEAR(gen.mean_length, ref.mean_length, 0.5);
}

TEST(QuestionFormationTest, GeneratedGeneralisationSetMatchesReferenceDistributions) {
  const SplitReport gen = AnalyzeSplit(TaskKind::kQuestionFormation, Split::kTest,
                                       PaperSplits().test);
  const SplitReport ref = AnalyzeSplit(TaskKind::kQuestionFormation, Split::kTest,
                                       ReadReference("question_formation/question.test"));
  std::string worst;
  EXPECT_LE(MaxShareDifference(LengthShares(gen), LengthShares(ref), &worst), kTestTolerance)
      << "length " << worst;
  EXPECT_LE(MaxShareDifference(TemplateShares(gen), TemplateShares(ref), &worst), kTestTolerance)
      << "template " << worst;
  EXPECT_NEAR(gen.mean_length, ref.mean_length, 0.25);
}

TEST(QuestionFormationTest, GeneratedTrainPrefixMatchesReferencePrefix) {
  const std::vector<std::string> prefix(PaperSplits().train.begin(),
                                        PaperSplits().train.begin() + 20000);
  const SplitReport gen = AnalyzeSplit(TaskKind::kQuestionFormation, Split::kTrain, prefix);
  const SplitReport ref = AnalyzeSplit(TaskKind::kQuestionFormation, Split::kTrain,
                                       ReadReference("question_formation/question.train.first20k"));
  std::string worst;
  EXPECT_LE(MaxShareDifference(LengthShares(gen), LengthShares(ref), &worst), kTrainTolerance)
      << "length " << worst;
  for (int field = 0; field < 3; ++field) {
    EXPECT_LE(MaxShareDifference(TemplateMarginal(gen, field), TemplateMarginal(ref, field),
                                 &worst),
              kTrainTolerance)
        << "template field " << field << " value " << worst;
  }
}

TEST(QuestionFormationTest, PaperSizeGenerationIsFast) {
  std::vector<std::string> train, val, test;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(GenerateQuestionFormation(99, 100000, 1000, 10000, &train, &val, &test).ok());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 5.0);
}

}  // namespace
}  // namespace sg
