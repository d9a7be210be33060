#include "trainer/model/layout_choice.h"

#include <gtest/gtest.h>

#include <string>

namespace sg {
namespace {

TEST(LayoutChoiceTest, ZeroOrOffKeepThePackedRows) {
  for (const char* v : {"0", "off"}) {
    PackTrainerOptions o;
    o.ragged_chunk = 64;
    ASSERT_TRUE(ApplyRaggedChoice(v, &o).ok());
    EXPECT_EQ(o.ragged_chunk, 0);
  }
}

// Unset or empty: the task's default stands (Dyck ragged, the others their packed rows).
TEST(LayoutChoiceTest, UnsetKeepsTheTasksDefault) {
  for (const char* v : {static_cast<const char*>(nullptr), ""}) {
    PackTrainerOptions dyck;
    ApplyTaskRaggedDefault(TaskKind::kDyck, &dyck);
    ASSERT_TRUE(ApplyRaggedChoice(v, &dyck).ok());
    EXPECT_EQ(dyck.ragged_chunk, 128);
    EXPECT_EQ(dyck.ragged_chunks_granule, 8);
    EXPECT_EQ(dyck.ragged_seed_chunks_granule, 4);
    for (TaskKind task : {TaskKind::kQuestionFormation, TaskKind::kTenseInflection}) {
      PackTrainerOptions o;
      ApplyTaskRaggedDefault(task, &o);
      ASSERT_TRUE(ApplyRaggedChoice(v, &o).ok());
      EXPECT_EQ(o.ragged_chunk, 0);
    }
  }
}

TEST(LayoutChoiceTest, AChunkAndItsGranules) {
  PackTrainerOptions o;
  ASSERT_TRUE(ApplyRaggedChoice("128", &o).ok());
  EXPECT_EQ(o.ragged_chunk, 128);
  EXPECT_EQ(o.ragged_chunks_granule, 16);  // the defaults kept
  EXPECT_EQ(o.ragged_seed_chunks_granule, 8);
  ASSERT_TRUE(ApplyRaggedChoice("64:1,1", &o).ok());
  EXPECT_EQ(o.ragged_chunk, 64);
  EXPECT_EQ(o.ragged_chunks_granule, 1);
  EXPECT_EQ(o.ragged_seed_chunks_granule, 1);
}

TEST(LayoutChoiceTest, RefusesWhatIsNotALayoutByName) {
  for (const char* v : {"60", "4", "2048", "on", "64:16", "64:0,8", "64:16,8,4", "64:a,b"}) {
    PackTrainerOptions o;
    const absl::Status s = ApplyRaggedChoice(v, &o);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << v;
    EXPECT_NE(std::string(s.message()).find("SG_RAGGED=" + std::string(v)), std::string::npos)
        << s.message();
    EXPECT_NE(std::string(s.message()).find("64:16,8"), std::string::npos) << s.message();
    EXPECT_EQ(o.ragged_chunk, 0) << v;
  }
}

}  // namespace
}  // namespace sg
