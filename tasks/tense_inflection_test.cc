#include "tasks/tense_inflection.h"

#include <unordered_set>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tasks/lexicon.h"
#include "tasks/split_report.h"
#include "tasks/task_data.h"
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

const Splits& PaperSplits() {
  static const Splits* s = [] {
    auto* out = new Splits;
    if (!GenerateTenseInflection(7, 100000, 1000, 10000, &out->train, &out->val, &out->test)
             .ok()) {
      std::abort();
    }
    return out;
  }();
  return *s;
}

TEST(TenseInflectionTest, RendersBothRulesOnTheSpecExample) {
  absl::StatusOr<TenseParsedLine> p = ParseTenseLine(
      "the yaks that some unicorn entertained applauded her salamanders below some walrus . "
      "PRESENT\tthe yaks that some unicorn entertains applaud her salamanders below some walrus .");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->output_correct);
  EXPECT_FALSE(TenseMainVerbAmbiguous(p->sentence));
  EXPECT_EQ(absl::StrJoin(TenseWords(p->sentence, Inflection::kPresentByNearestNoun), " "),
            "the yaks that some unicorn entertains applauds her salamanders below some walrus");
  EXPECT_EQ(TenseTemplate(p->sentence, true), "PRESENT|ORC|Vt+PP");
  // Irregular pasts and "read".
  absl::StatusOr<TenseSentence> s = ParseTensePast({"my", "newts", "read"});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(absl::StrJoin(TenseWords(*s, Inflection::kPresentBySubject), " "), "my newts read");
  s = ParseTensePast({"my", "newt", "ate"});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(absl::StrJoin(TenseWords(*s, Inflection::kPresentBySubject), " "), "my newt eats");
  EXPECT_FALSE(ParseTensePast({"my", "newt", "eats"}).ok());  // inputs are past tense
}

TEST(TenseInflectionTest, PosTagsAgreeWithReferenceTables) {
  // Lookup order of the reference metric: pos.txt, then pos_tense.txt.
  std::map<std::string, std::string> table;
  for (const char* file : {"tense_inflection/pos_tense.txt", "tense_inflection/pos.txt"}) {
    for (const std::string& line : ReadReference(file)) {
      std::vector<std::string> parts = absl::StrSplit(line, '\t');
      table[parts[0]] = parts.size() > 1 ? parts[1] : "";  // pos.txt wins: read last
    }
  }
  for (TaskKind task : {TaskKind::kTenseInflection, TaskKind::kQuestionFormation}) {
    const Vocabulary vocab = LexiconVocabulary(task);
    for (const std::string& word : vocab.words()) {
      if (word == "<pad>") continue;
      const lexicon::PosTag tag = lexicon::ReferencePosTag(word);
      ASSERT_TRUE(table.count(word)) << word;
      EXPECT_TRUE(tag.found) << word;
      EXPECT_EQ(tag.tag, table[word]) << word;
    }
  }
  EXPECT_FALSE(lexicon::ReferencePosTag("<eos>").found);
}

TEST(TenseInflectionTest, ReferenceFilesPassTheSplitChecks) {
  SplitReport val = AnalyzeSplit(TaskKind::kTenseInflection, Split::kVal,
                                 ReadReference("tense_inflection/tense.val"));
  EXPECT_EQ(val.violations, 0) << FormatReport(val);
  EXPECT_EQ(val.markers["PRESENT"], 442);
  SplitReport test = AnalyzeSplit(TaskKind::kTenseInflection, Split::kTest,
                                  ReadReference("tense_inflection/tense.test"));
  EXPECT_EQ(test.violations, 0) << FormatReport(test);
  // The checks catch the wrong split.
  EXPECT_EQ(AnalyzeSplit(TaskKind::kTenseInflection, Split::kTrain,
                         ReadReference("tense_inflection/tense.test"))
                .violations,
            10000);
  EXPECT_EQ(AnalyzeSplit(TaskKind::kTenseInflection, Split::kTest,
                         ReadReference("tense_inflection/tense.val"))
                .violations,
            1000);
}

TEST(TenseInflectionTest, GeneratedSplitsHaveNoViolationsAndNoOverlap) {
  const Splits& s = PaperSplits();
  EXPECT_EQ(AnalyzeSplit(TaskKind::kTenseInflection, Split::kTrain, s.train).violations, 0);
  EXPECT_EQ(AnalyzeSplit(TaskKind::kTenseInflection, Split::kVal, s.val).violations, 0);
  EXPECT_EQ(AnalyzeSplit(TaskKind::kTenseInflection, Split::kTest, s.test).violations, 0);
  std::unordered_set<std::string> all(s.train.begin(), s.train.end());
  EXPECT_EQ(all.size(), s.train.size());
  for (const auto* lines : {&s.val, &s.test}) {
    for (const std::string& line : *lines) EXPECT_TRUE(all.insert(line).second) << line;
  }
}

TEST(TenseInflectionTest, RoundTripAndDeterminism) {
  Splits a, b;
  ASSERT_TRUE(GenerateTenseInflection(3, 500, 50, 100, &a.train, &a.val, &a.test).ok());
  ASSERT_TRUE(GenerateTenseInflection(3, 500, 50, 100, &b.train, &b.val, &b.test).ok());
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.test, b.test);
  for (const std::string& line : a.train) {
    absl::StatusOr<TenseParsedLine> p = ParseTenseLine(line);
    ASSERT_TRUE(p.ok()) << line;
    EXPECT_EQ(TenseLine(p->sentence, p->present), line);
  }
}

// About 3 standard deviations of a two-sample difference (see question_formation_test).
constexpr double kValTolerance = 0.06;
constexpr double kTestTolerance = 0.025;

TEST(TenseInflectionTest, GeneratedValMatchesReferenceDistributions) {
  const SplitReport gen = AnalyzeSplit(TaskKind::kTenseInflection, Split::kVal, PaperSplits().val);
  const SplitReport ref = AnalyzeSplit(TaskKind::kTenseInflection, Split::kVal,
                                       ReadReference("tense_inflection/tense.val"));
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

TEST(TenseInflectionTest, GeneratedGeneralisationSetMatchesReferenceDistributions) {
  const SplitReport gen =
      AnalyzeSplit(TaskKind::kTenseInflection, Split::kTest, PaperSplits().test);
  const SplitReport ref = AnalyzeSplit(TaskKind::kTenseInflection, Split::kTest,
                                       ReadReference("tense_inflection/tense.test"));
  std::string worst;
  EXPECT_LE(MaxShareDifference(LengthShares(gen), LengthShares(ref), &worst), kTestTolerance)
      << "length " << worst;
  EXPECT_LE(MaxShareDifference(TemplateShares(gen), TemplateShares(ref), &worst), kTestTolerance)
      << "template " << worst;
  EXPECT_NEAR(gen.mean_length, ref.mean_length, 0.25);
}

}  // namespace
}  // namespace sg
