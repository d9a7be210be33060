#include "common/flag_names.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace sg {
namespace {

std::vector<std::string> Rewrite(std::vector<std::string> in) {
  std::vector<char*> argv;
  for (std::string& s : in) argv.push_back(s.data());
  DashedArgv dashed(static_cast<int>(argv.size()), argv.data());
  std::vector<std::string> out;
  for (int i = 0; i < dashed.argc(); ++i) out.push_back(dashed.argv()[i]);
  EXPECT_EQ(dashed.argv()[dashed.argc()], nullptr);
  return out;
}

TEST(DashedArgvTest, RewritesFlagNamesOnly) {
  EXPECT_EQ(Rewrite({"sg-coordinator", "--lease-seconds=5", "--port-file", "/tmp/a-b",
                     "-max-runs-per-sweep", "7", "--", "--keep-me"}),
            (std::vector<std::string>{"sg-coordinator", "--lease_seconds=5", "--port_file",
                                      "/tmp/a-b", "-max_runs_per_sweep", "7", "--",
                                      "--keep-me"}));
  EXPECT_EQ(Rewrite({"prog", "--db=/x/my-db.sqlite", "-"}),
            (std::vector<std::string>{"prog", "--db=/x/my-db.sqlite", "-"}));
}

}  // namespace
}  // namespace sg
