#include "worker/line_tailer.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace sg {
namespace {

namespace fs = std::filesystem;

TEST(LineTailerTest, ReadsEachCompleteLineOnceAndWaitsForPartialOnes) {
  fs::path path = fs::temp_directory_path() / ("sg_tailer_test_" + std::to_string(::getpid()));
  fs::remove(path);
  LineTailer tailer(path.string());
  EXPECT_TRUE(tailer.ReadNew().empty());  // no file yet
  std::ofstream out(path);
  out << "first\n\n  \nsec" << std::flush;
  EXPECT_EQ(tailer.ReadNew(), std::vector<std::string>{"first"});
  out << "ond\nthird\n" << std::flush;
  EXPECT_EQ(tailer.ReadNew(), (std::vector<std::string>{"second", "third"}));
  EXPECT_TRUE(tailer.ReadNew().empty());
  out.close();
  std::ofstream(path) << "new\n";  // replaced by a shorter file: read from its start
  EXPECT_EQ(tailer.ReadNew(), std::vector<std::string>{"new"});
  fs::remove(path);
}

}  // namespace
}  // namespace sg
