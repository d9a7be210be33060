#include "common/checkpoint_retention.h"

#include "gtest/gtest.h"

namespace sg {
namespace {

TEST(CheckpointRetentionTest, ParsesTheThreeForms) {
  absl::StatusOr<CheckpointRetention> last = ParseCheckpointRetention("last 3");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->kind, CheckpointRetention::Kind::kLast);
  EXPECT_EQ(last->count, 3);
  EXPECT_EQ(last->NewestKept(2), 3);
  EXPECT_EQ(last->NewestKept(5), 5);  // a larger floor wins
  EXPECT_FALSE(last->KeepsStep(3000));

  absl::StatusOr<CheckpointRetention> every = ParseCheckpointRetention("every 3000 steps");
  ASSERT_TRUE(every.ok()) << every.status();
  EXPECT_EQ(every->kind, CheckpointRetention::Kind::kEvery);
  EXPECT_EQ(every->count, 3000);
  EXPECT_EQ(every->NewestKept(1), 2);
  EXPECT_TRUE(every->KeepsStep(9000));
  EXPECT_FALSE(every->KeepsStep(4500));
  ASSERT_TRUE(ParseCheckpointRetention("every 10").ok());

  absl::StatusOr<CheckpointRetention> all = ParseCheckpointRetention("all");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->kind, CheckpointRetention::Kind::kAll);
  EXPECT_TRUE(all->KeepsStep(1));
}

TEST(CheckpointRetentionTest, RejectsOtherTextSayingWhatIsAllowed) {
  for (const char* text : {"", "last", "last 0", "last two", "every 0 steps", "every 5 epochs",
                           "some", "all 3", "last 2 3"}) {
    absl::StatusOr<CheckpointRetention> r = ParseCheckpointRetention(text);
    EXPECT_FALSE(r.ok()) << text;
    EXPECT_NE(r.status().message().find("'last N'"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace sg
