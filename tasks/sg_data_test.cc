// Runs the real sg-data binary.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tasks/task_data.h"
#include "tasks/task_dataset.h"
#include "tasks/testing/reference.h"

namespace sg {
namespace {

namespace fs = std::filesystem;

struct Result {
  int rc = -1;
  std::string output;
};

Result RunSgData(const std::string& args) {
  Result r;
  const std::string cmd = absl::StrCat(SG_DATA_BINARY, " ", args, " 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class SgDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sg_data_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(SgDataTest, EverySplitOfEveryTaskPassesItsOwnChecks) {
  const char* sizes = "--train-size 3000 --val-size 200 --test-size 300";
  for (const char* task : {"question_formation", "tense_inflection", "dyck"}) {
    for (const char* split : {"train", "val", "test"}) {
      const std::string out = absl::StrCat(dir_, "/", task, ".", split);
      Result g = RunSgData(absl::StrCat("generate --task ", task, " --split ", split, " --seed 4 ",
                                  sizes, " --out ", out));
      ASSERT_EQ(g.rc, 0) << g.output;
      Result s = RunSgData(absl::StrCat("stats ", out, " --task ", task, " --split ", split,
                                  " --seed 4 ", sizes));
      EXPECT_EQ(s.rc, 0) << task << " " << split << "\n" << s.output;
      EXPECT_NE(s.output.find("split-rule violations: 0"), std::string::npos) << s.output;
      EXPECT_EQ(s.output.find("not checked"), std::string::npos) << s.output;
    }
  }
  // What generate writes is what a training run with the same data config loads.
  DataConfig c;
  c.seed = 4;
  c.train_size = 3000;
  c.val_size = 200;
  c.test_size = 300;
  absl::StatusOr<TaskDataset> d = LoadTaskDataset(TaskKind::kTenseInflection, c);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*ReadLines(dir_ + "/tense_inflection.val"), d->val_lines);
}

TEST_F(SgDataTest, StatsReportsViolationsAndCounts) {
  // The reference generalisation set read with training rules: every line violates.
  Result s = RunSgData(absl::StrCat(
      "stats ", testing::ReferencePath("question_formation/question.test"),
      " --task question_formation --split train"));
  EXPECT_EQ(s.rc, 1) << s.output;
  EXPECT_NE(s.output.find("split-rule violations: 10000"), std::string::npos) << s.output;
  // Split from the file name; counts and histogram as in datasets.md §1.5.
  s = RunSgData(absl::StrCat("stats ", testing::ReferencePath("question_formation/question.val"),
                       " --task question_formation"));
  EXPECT_EQ(s.rc, 0) << s.output;
  EXPECT_NE(s.output.find("markers: decl 594, quest 406"), std::string::npos) << s.output;
  EXPECT_NE(s.output.find("length histogram: 11:5 15:158 17:59 21:400 25:123 27:119 31:107 35:29"),
            std::string::npos)
      << s.output;
  // A corrupted line.
  const std::string bad = dir_ + "/bad.val";
  std::ofstream(bad) << "the newt do giggle . decl\tthe newt do giggle .\n";
  s = RunSgData(absl::StrCat("stats ", bad, " --task question_formation"));
  EXPECT_EQ(s.rc, 1);
  EXPECT_NE(s.output.find("line 1:"), std::string::npos) << s.output;
}

TEST_F(SgDataTest, UsageErrorsNameTheFlag) {
  Result r = RunSgData("generate --task qf --split train --seed 1 --out x");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.output.find("--task"), std::string::npos);
  r = RunSgData("generate --task dyck --split dev --seed 1 --out x");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.output.find("--split"), std::string::npos);
  r = RunSgData("generate --task dyck --split val --out x");
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.output.find("--seed"), std::string::npos);
  r = RunSgData(absl::StrCat("generate --task dyck --split val --seed 1 --val-size 0 --out ", dir_,
                       "/x"));
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.output.find("data.val_size"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace sg
