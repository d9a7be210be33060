#include "worker/jsonl_tailer.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace sg {
namespace {

namespace fs = std::filesystem;

TEST(JsonlTailerTest, ReadsEachCompleteLineOnceAndSkipsGarbage) {
  fs::path path = fs::temp_directory_path() / ("sg_tailer_test_" + std::to_string(::getpid()));
  fs::remove(path);
  JsonlTailer tailer(path.string());
  EXPECT_TRUE(tailer.ReadNew().empty());  // no file yet
  std::ofstream out(path);
  out << "{\"seed\":1,\"step\":5,\"metric\":\"val_acc\",\"value\":1e-07}\n{\"seed\":1,\"st" << std::flush;
  auto first = tailer.ReadNew();
  ASSERT_EQ(first.size(), 1u);
  TrainerPoint p;
  ASSERT_TRUE(ParseTrainerPoint(first[0], &p));
  EXPECT_EQ(p.seed, 1);
  EXPECT_EQ(p.step, 5);
  EXPECT_EQ(p.metric, "val_acc");
  EXPECT_DOUBLE_EQ(p.value, 1e-07);
  out << "ep\":6,\"metric\":\"val_acc\",\"value\":2}\nnot json\n[1,2]\n" << std::flush;
  auto second = tailer.ReadNew();
  ASSERT_EQ(second.size(), 1u);
  ASSERT_TRUE(ParseTrainerPoint(second[0], &p));
  EXPECT_EQ(p.step, 6);
  EXPECT_EQ(tailer.bad_lines(), 2);
  EXPECT_TRUE(tailer.ReadNew().empty());
  TrainerPoint untouched;
  EXPECT_FALSE(ParseTrainerPoint(nlohmann::json::parse("{\"seed\":\"x\",\"step\":1,\"metric\":\"m\",\"value\":1}"),
                                 &untouched));
  fs::remove(path);
}

}  // namespace
}  // namespace sg
