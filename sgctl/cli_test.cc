#include "sgctl/cli.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sgctl/commands.h"

namespace sg {
namespace ctl {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<CommandLine> Parse(const std::vector<std::string>& args,
                                  const std::string& env = "") {
  return ParseCommandLine(args, AllCommands(), env);
}

TEST(CliParseTest, GlobalFlagsAnywhere) {
  absl::StatusOr<CommandLine> line =
      Parse({"--coordinator", "h:1", "runs", "qf", "--output=json", "--state", "queued"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->coordinator, "h:1");
  EXPECT_EQ(line->format, OutputFormat::kJson);
  ASSERT_NE(line->command, nullptr);
  EXPECT_EQ(line->command->name, "runs");
  EXPECT_EQ(line->invocation.args, std::vector<std::string>{"qf"});
  EXPECT_EQ(line->invocation.Get("state"), "queued");
}

TEST(CliParseTest, ShortOutputFlag) {
  EXPECT_EQ(Parse({"runs", "qf", "-o", "json"})->format, OutputFormat::kJson);
  EXPECT_EQ(Parse({"-o", "csv", "sweeps"})->format, OutputFormat::kCsv);
  EXPECT_THAT(Parse({"sweeps", "-o"}).status().message(), HasSubstr("-o needs a value"));
  EXPECT_THAT(Parse({"sweeps", "-o", "xml"}).status().message(),
              HasSubstr("--output: must be one of table, json, csv, got 'xml'"));
}

TEST(CliParseTest, CoordinatorDefaultAndEnv) {
  EXPECT_EQ(Parse({"sweeps"})->coordinator, "127.0.0.1:7431");
  EXPECT_EQ(Parse({"sweeps"}, "env:9")->coordinator, "env:9");
  EXPECT_EQ(Parse({"--coordinator=flag:8", "sweeps"}, "env:9")->coordinator, "flag:8");
}

TEST(CliParseTest, Help) {
  EXPECT_TRUE(Parse({})->help);
  EXPECT_TRUE(Parse({"--help"})->help);
  absl::StatusOr<CommandLine> line = Parse({"submit", "--help"});
  ASSERT_TRUE(line.ok());
  EXPECT_TRUE(line->help);
  EXPECT_EQ(line->command->name, "submit");
}

TEST(CliParseTest, UsageErrors) {
  EXPECT_THAT(Parse({"frobnicate"}).status().message(),
              HasSubstr("unknown command 'frobnicate'; commands: submit, sweeps, get, metrics, "
                        "status, runs, cancel, extend, retry, plan, curves"));
  EXPECT_THAT(Parse({"runs", "qf", "--colour", "x"}).status().message(),
              HasSubstr("unknown flag --colour for 'runs'"));
  EXPECT_THAT(Parse({"--state", "x", "runs", "qf"}).status().message(),
              HasSubstr("unknown flag --state before the command"));
  EXPECT_THAT(Parse({"submit"}).status().message(),
              HasSubstr("submit: expected FILE, got none"));
  EXPECT_THAT(Parse({"status", "a", "b"}).status().message(),
              HasSubstr("status: expected SWEEP, got a b"));
  EXPECT_THAT(Parse({"runs", "qf", "--state"}).status().message(),
              HasSubstr("--state needs a value (S)"));
  EXPECT_THAT(Parse({"--output", "xml", "sweeps"}).status().message(),
              HasSubstr("--output: must be one of table, json, csv, got 'xml'"));
  EXPECT_THAT(Parse({"curves", "--log-steps=yes"}).status().message(),
              HasSubstr("--log-steps takes no value"));
}

TEST(CliParseTest, DoubleDashEndsFlags) {
  absl::StatusOr<CommandLine> line = Parse({"submit", "--", "--odd-name.yaml"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->invocation.args, std::vector<std::string>{"--odd-name.yaml"});
}

TEST(CliUsageTest, ListsEveryCommand) {
  std::string usage = Usage(AllCommands());
  for (const Command& c : AllCommands()) EXPECT_THAT(usage, HasSubstr("  " + c.name));
  EXPECT_THAT(usage, HasSubstr("--coordinator HOST:PORT"));
  EXPECT_THAT(usage, HasSubstr("--output FORMAT"));
}

struct CliRun {
  int code;
  std::string out;
  std::string err;
  int connects;
};

// Runs the CLI with a connect function that counts calls and dials `target_override` if set.
CliRun RunSgctl(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int connects = 0;
  CliEnv env;
  env.out = &out;
  env.err = &err;
  env.connect = [&](const std::string& target, const ClientSecurity&) {
    ++connects;
    return Connect(target, ClientSecurity());
  };
  int code = RunCli(args, env);
  return {code, out.str(), err.str(), connects};
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string path = std::string(tmp != nullptr ? tmp : "/tmp") + "/sgctl_cli_test_" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(CliRunTest, HelpNeedsNoServer) {
  CliRun r = RunSgctl({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("usage: sgctl"));
  EXPECT_EQ(r.connects, 0);
  r = RunSgctl({"runs", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("usage: sgctl runs SWEEP [--state S]"));
}

TEST(CliRunTest, NoCommandPrintsHelpAndExits2) {
  CliRun r = RunSgctl({});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("usage: sgctl"));
  EXPECT_THAT(r.err, HasSubstr("metrics SWEEP"));
  EXPECT_EQ(r.connects, 0);
  // Global flags alone are still no command.
  r = RunSgctl({"-o", "json"});
  EXPECT_EQ(r.code, 2);
}

TEST(CliRunTest, VersionAndShortOutputFlag) {
  CliRun r = RunSgctl({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, ::testing::MatchesRegex("sgctl [0-9]+\\.[0-9]+\\.[0-9]+\n"));
  EXPECT_EQ(r.connects, 0);
  absl::StatusOr<CommandLine> line = Parse({"-o", "csv", "sweeps"});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->format, OutputFormat::kCsv);
}

TEST(CliRunTest, UsageErrorExits2) {
  CliRun r = RunSgctl({"nope"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("sgctl: unknown command 'nope'"));
  EXPECT_THAT(r.err, HasSubstr("sgctl --help"));
}

TEST(CliRunTest, BadSpecFailsBeforeContactingTheServer) {
  std::string path = WriteTemp("bad.yaml", "name: x\ntask: dyck\nseeds: 1\ntrain:\n  lr: fast\n");
  // Port 1 on loopback: nothing listens, so a contact attempt would fail with UNAVAILABLE.
  CliRun r = RunSgctl({"--coordinator", "127.0.0.1:1", "submit", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(path + ":5: train.lr: must be a number > 0, got 'fast'"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("cannot reach")));
  EXPECT_EQ(r.out, "");
  std::remove(path.c_str());
}

TEST(CliRunTest, MissingSpecFile) {
  CliRun r = RunSgctl({"--coordinator", "127.0.0.1:1", "submit", "/nonexistent/spec.yaml"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot read sweep spec '/nonexistent/spec.yaml'"));
}

TEST(CliRunTest, UnreachableCoordinator) {
  CliRun r = RunSgctl({"--coordinator", "127.0.0.1:1", "sweeps"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("sgctl: cannot reach coordinator at 127.0.0.1:1 (is "
                               "sg-coordinator running? set --coordinator or SG_COORDINATOR)"));
  EXPECT_EQ(r.connects, 1);
}

TEST(CliRunTest, ArgumentErrorsOfCommands) {
  CliRun r = RunSgctl({"--coordinator", "127.0.0.1:1", "cancel", "qf", "--run", "3"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("give either SWEEP (a name or id) or --run ID, not both"));
  r = RunSgctl({"--coordinator", "127.0.0.1:1", "cancel", "--run", "x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--run: must be a positive integer id, got 'x'"));
  r = RunSgctl({"--coordinator", "127.0.0.1:1", "curves", "--run", "1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--metric is required"));
  r = RunSgctl({"--coordinator", "127.0.0.1:1", "runs", "qf", "--state", "done"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--state: must be one of queued"));
}

}  // namespace
}  // namespace ctl
}  // namespace sg
