#include "worker/process_launcher.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

namespace sg {
namespace {

namespace fs = std::filesystem;

ExitInfo WaitFor(ChildProcess* child) {
  for (int i = 0; i < 1000; ++i) {
    if (auto e = child->Poll()) return *e;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "child did not exit";
  return ExitInfo{};
}

TEST(PosixProcessLauncherTest, RunsInCwdWithEnvAndCapturesOutput) {
  fs::path dir = fs::temp_directory_path() / ("sg_launch_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  PosixProcessLauncher launcher;
  LaunchOptions o;
  o.argv = {"/bin/sh", "-c", "pwd; echo \"$SG_TEST_VAR\" >&2; exit 3"};
  o.env = {"SG_TEST_VAR=hello"};
  o.cwd = dir.string();
  o.stdout_path = (dir / "out.log").string();
  o.stderr_path = (dir / "err.log").string();
  auto child = launcher.Start(o);
  ASSERT_TRUE(child.ok()) << child.status();
  ExitInfo e = WaitFor(child->get());
  EXPECT_FALSE(e.signaled);
  EXPECT_EQ(e.code, 3);
  std::string line;
  std::getline(std::ifstream(o.stdout_path) >> std::ws, line);
  EXPECT_EQ(fs::canonical(line), fs::canonical(dir));
  std::ifstream err(o.stderr_path);
  std::getline(err, line);
  EXPECT_EQ(line, "hello");
  fs::remove_all(dir);
}

TEST(PosixProcessLauncherTest, KillReportsTheSignal) {
  PosixProcessLauncher launcher;
  LaunchOptions o;
  o.argv = {"/bin/sleep", "30"};
  auto child = launcher.Start(o);
  ASSERT_TRUE(child.ok());
  EXPECT_FALSE((*child)->Poll().has_value());
  (*child)->Kill(SIGKILL);
  ExitInfo e = WaitFor(child->get());
  EXPECT_TRUE(e.signaled);
  EXPECT_EQ(e.signal, SIGKILL);
  EXPECT_NE(e.ToString().find("signal 9"), std::string::npos);
}

TEST(PosixProcessLauncherTest, MissingProgramIsAnError) {
  PosixProcessLauncher launcher;
  LaunchOptions o;
  o.argv = {"/nonexistent/sg-train"};
  auto child = launcher.Start(o);
  ASSERT_FALSE(child.ok());
  EXPECT_NE(child.status().message().find("No such file"), std::string::npos);
}

}  // namespace
}  // namespace sg
