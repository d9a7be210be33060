// SG_LINE_ATTENTION's values and what each sets; a bad value is refused by name.
#include "trainer/model/attention_choice.h"

#include <gtest/gtest.h>

namespace sg {
namespace {

TEST(AttentionChoiceTest, EachValueSetsItsAttention) {
  struct Case {
    const char* value;
    bool own, libtorch;
  };
  for (const Case& c : {Case{nullptr, true, true}, Case{"", true, true}, Case{"sg", true, true},
                        Case{"libtorch", false, true}, Case{"masked", false, false}}) {
    SCOPED_TRACE(c.value == nullptr ? "unset" : c.value);
    PackTrainerOptions o;
    o.own_line_attention = !c.own;  // so that each field must be set, not left
    o.line_attention = !c.libtorch;
    ASSERT_TRUE(ApplyLineAttentionChoice(c.value, &o).ok());
    EXPECT_EQ(o.own_line_attention, c.own);
    EXPECT_EQ(o.line_attention, c.libtorch);
  }
}

TEST(AttentionChoiceTest, RefusesAnUnknownValueByName) {
  PackTrainerOptions o;
  o.own_line_attention = false;
  const absl::Status s = ApplyLineAttentionChoice("flash", &o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("SG_LINE_ATTENTION=flash"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("masked"), std::string::npos) << s.message();
  EXPECT_FALSE(o.own_line_attention) << "a refused value must leave the options alone";
}

}  // namespace
}  // namespace sg
