#include "common/flag_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace sg {
namespace {

std::string TempDir() {
  char pattern[] = "/tmp/sg_flag_files_XXXXXX";
  return mkdtemp(pattern);
}

TEST(FlagFilesTest, WritesAtomicallyAndReadsBack) {
  const std::string dir = TempDir();
  const std::string path = dir + "/port";
  ASSERT_TRUE(WriteFlagFileAtomically(path, "4242\n", "--port-file").ok());
  EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0) << "the temporary name is renamed away";
  absl::StatusOr<std::string> text = ReadFlagFile(path, "--port-file");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "4242\n");
  ASSERT_TRUE(WriteFlagFileAtomically(path, "17\n", "--port-file").ok());
  EXPECT_EQ(*ReadFlagFile(path, "--port-file"), "17\n") << "an existing file is replaced";
}

TEST(FlagFilesTest, ErrorsNameTheFlagAndThePath) {
  const std::string dir = TempDir();
  absl::StatusOr<std::string> missing = ReadFlagFile(dir + "/absent.pem", "--tls-cert");
  ASSERT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("--tls-cert " + dir + "/absent.pem: cannot read"),
            std::string::npos)
      << missing.status();
  absl::Status unwritable =
      WriteFlagFileAtomically(dir + "/no/such/dir/port", "1\n", "--metrics-port-file");
  ASSERT_FALSE(unwritable.ok());
  EXPECT_NE(unwritable.message().find("--metrics-port-file " + dir + "/no/such/dir/port"),
            std::string::npos)
      << unwritable;
}

}  // namespace
}  // namespace sg
