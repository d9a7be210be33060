#include "worker/metric_spool.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace sg {
namespace {

namespace fs = std::filesystem;

class MetricSpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sg_spool_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    path_ = (dir_ / "s.jsonl").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string path_;
};

SpooledPoint P(int64_t run, int64_t step, double v = 1.5) {
  return SpooledPoint{run, "tok" + std::to_string(run), "val_loss", step, v};
}

TEST_F(MetricSpoolTest, SurvivesReopenAndAckCompacts) {
  {
    auto s = MetricSpool::Open(path_);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Append({P(1, 10), P(2, 10), P(1, 20, 0.125)}).ok());
  }
  auto s = MetricSpool::Open(path_);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ((*s)->pending().size(), 3u);
  EXPECT_EQ((*s)->pending()[2].value, 0.125);
  EXPECT_EQ((*s)->pending()[1].lease_token, "tok2");
  EXPECT_FALSE((*s)->AllAckedUpTo(1, 10));
  ASSERT_TRUE((*s)->Ack(2).ok());
  EXPECT_TRUE((*s)->AllAckedUpTo(1, 10));
  EXPECT_FALSE((*s)->AllAckedUpTo(1, 20));
  auto again = MetricSpool::Open(path_);
  ASSERT_EQ((*again)->pending().size(), 1u);
  EXPECT_EQ((*again)->pending()[0].step, 20);
}

TEST_F(MetricSpoolTest, DropsATornTailAndKeepsAppending) {
  {
    auto s = MetricSpool::Open(path_);
    ASSERT_TRUE((*s)->Append({P(1, 10)}).ok());
  }
  std::ofstream(path_, std::ios::app) << "{\"run\":1,\"tok";  // a crash mid-append
  auto s = MetricSpool::Open(path_);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ((*s)->pending().size(), 1u);
  ASSERT_TRUE((*s)->Append({P(1, 20)}).ok());
  auto again = MetricSpool::Open(path_);
  ASSERT_EQ((*again)->pending().size(), 2u);
  EXPECT_EQ((*again)->pending()[1].step, 20);
}

TEST_F(MetricSpoolTest, DropRunRemovesOnlyThatRun) {
  auto s = MetricSpool::Open(path_);
  ASSERT_TRUE((*s)->Append({P(1, 10), P(2, 10), P(1, 20)}).ok());
  ASSERT_TRUE((*s)->DropRun(1).ok());
  ASSERT_EQ((*s)->pending().size(), 1u);
  EXPECT_EQ((*s)->pending()[0].run_id, 2);
  ASSERT_TRUE((*s)->Remove().ok());
  EXPECT_FALSE(fs::exists(path_));
}

}  // namespace
}  // namespace sg
