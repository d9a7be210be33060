#include "trainer/model/update_choice.h"

#include <gtest/gtest.h>

#include <string>

namespace sg {
namespace {

TEST(UpdateChoiceTest, OnIsWithheldOffAndUnset) {
  for (const char* v : {"1", "on"}) {
    PackTrainerOptions o;
    const absl::Status s = ApplyUpdateChoice(v, &o);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << v;
    EXPECT_NE(std::string(s.message()).find("the update beside the next forward is withheld"),
              std::string::npos)
        << s.message();
    EXPECT_FALSE(o.update_beside_forward) << v;
  }
  for (const char* v : {"0", "off"}) {
    PackTrainerOptions o;
    o.update_beside_forward = true;
    ASSERT_TRUE(ApplyUpdateChoice(v, &o).ok());
    EXPECT_FALSE(o.update_beside_forward) << v;
  }
  for (const char* v : {static_cast<const char*>(nullptr), ""}) {
    PackTrainerOptions o;
    ASSERT_TRUE(ApplyUpdateChoice(v, &o).ok());
    EXPECT_EQ(o.update_beside_forward, PackTrainerOptions{}.update_beside_forward);
  }
}

TEST(UpdateChoiceTest, ABadValueNamesTheVariableAndChangesNothing) {
  PackTrainerOptions o;
  o.update_beside_forward = true;
  const absl::Status s = ApplyUpdateChoice("yes", &o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("SG_UPDATE_BESIDE_FORWARD=yes is not a choice"),
            std::string::npos)
      << s.message();
  EXPECT_TRUE(o.update_beside_forward);
}

}  // namespace
}  // namespace sg
