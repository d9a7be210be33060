// A sweep end to end with mutual TLS and tokens, every part a real process: sg-coordinator with
// certificates from deploy/make-certs.sh and a token file whose lines `sg-coordinator token
// create` printed, two CPU sg-workers each with its own worker token and client certificate, the
// real sg-train, and sgctl as a researcher (submit, runs, curves) and as an admin (audit). Then
// no log holds a token, a token hash or a lease token.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/process_util.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class E2eSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = sg_test::EnvOr("SG_BINARY_DIR", "");
    source_ = sg_test::EnvOr("SG_SOURCE_DIR", "");
    ASSERT_FALSE(bin_.empty() || source_.empty()) << "run through ctest";
    dir_ = fs::temp_directory_path() / ("sg_e2e_security_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (pid_t pid : pids_) {
      ::kill(-pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
    if (!HasFailure()) fs::remove_all(dir_);
    else std::fprintf(stderr, "e2e security: logs kept in %s\n", dir_.c_str());
  }

  // Runs argv to completion; returns the exit code, stdout in *out, stderr in *err. The output
  // joins what the secret check reads unless `secret_output` (token create prints a token).
  int Run(const std::vector<std::string>& argv, std::string* out, std::string* err,
          bool secret_output = false) {
    sg_test::SpawnOptions o;
    o.out_path = (dir_ / "cmd.out").string();
    o.err_path = (dir_ / "cmd.err").string();
    const pid_t pid = sg_test::SpawnProcess(argv, o);
    int status = 0;
    ::waitpid(pid, &status, 0);
    *out = sg_test::ReadFile(o.out_path);
    *err = sg_test::ReadFile(o.err_path);
    if (!secret_output) all_output_ += *out + *err;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  pid_t Start(const std::vector<std::string>& argv, const std::string& log) {
    sg_test::SpawnOptions o;
    o.out_path = (dir_ / log).string();
    o.new_process_group = true;
    const pid_t pid = sg_test::SpawnProcess(argv, o);
    pids_.push_back(pid);
    return pid;
  }
  // `sg-coordinator token create`; the token goes to DIR/token-NAME, the line to the file.
  void CreateToken(const std::string& name, const std::string& role) {
    std::string out, err;
    ASSERT_EQ(Run({bin_ + "/coordinator/sg-coordinator", "token", "create", "--name", name,
                   "--role", role},
                  &out, &err, /*secret_output=*/true),
              0)
        << err;
    std::smatch token, line;
    ASSERT_TRUE(std::regex_search(out, token, std::regex("token: (\\S+)")));
    ASSERT_TRUE(std::regex_search(out, line, std::regex("line:  ([^\\n]+)")));
    tokens_[name] = token[1];
    std::ofstream(dir_ / ("token-" + name)) << token[1] << "\n";
    fs::permissions(dir_ / ("token-" + name), fs::perms::owner_read | fs::perms::owner_write);
    std::ofstream(dir_ / "tokens", std::ios::app) << line[1] << "\n";
  }
  std::vector<std::string> Ctl(const std::string& who, std::vector<std::string> args) {
    std::vector<std::string> argv = {bin_ + "/sgctl/sgctl", "--coordinator", address_,
                                     "--tls-ca", (dir_ / "pki" / "ca.pem").string(),
                                     "--tls-cert", (dir_ / "pki" / ("client-" + who + ".pem")).string(),
                                     "--tls-key", (dir_ / "pki" / ("client-" + who + ".key")).string(),
                                     "--token-file", (dir_ / ("token-" + who)).string(),
                                     "--output", "json"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  nlohmann::json CtlJson(const std::string& who, const std::vector<std::string>& args) {
    std::string out, err;
    if (Run(Ctl(who, args), &out, &err) != 0) return nlohmann::json();
    return nlohmann::json::parse(out, nullptr, false);
  }

  std::string bin_, source_;
  fs::path dir_;
  std::vector<pid_t> pids_;
  std::map<std::string, std::string> tokens_;
  std::string address_;
  std::string all_output_;
};

TEST_F(E2eSecurityTest, ASweepRunsWithMutualTlsAndTokensAndNoLogHoldsASecret) {
  std::string out, err;
  ASSERT_EQ(Run({source_ + "/deploy/make-certs.sh", (dir_ / "pki").string(), "--server",
                 "localhost,127.0.0.1", "--client", "admin", "--client", "alice", "--client",
                 "node1", "--client", "node2"},
                &out, &err),
            0)
      << err;
  ASSERT_NO_FATAL_FAILURE(CreateToken("admin", "admin"));
  ASSERT_NO_FATAL_FAILURE(CreateToken("alice", "researcher"));
  ASSERT_NO_FATAL_FAILURE(CreateToken("node1", "worker"));
  ASSERT_NO_FATAL_FAILURE(CreateToken("node2", "worker"));

  const fs::path pki = dir_ / "pki";
  Start({bin_ + "/coordinator/sg-coordinator", "--listen", "127.0.0.1:0", "--db",
         (dir_ / "coordinator.db").string(), "--lease-seconds", "10", "--port-file",
         (dir_ / "port").string(), "--auth-tokens", (dir_ / "tokens").string(), "--tls-cert",
         (pki / "server.pem").string(), "--tls-key", (pki / "server.key").string(),
         "--tls-client-ca", (pki / "ca.pem").string()},
        "coordinator.log");
  for (int i = 0; i < 200 && !fs::exists(dir_ / "port"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(fs::exists(dir_ / "port")) << sg_test::ReadFile((dir_ / "coordinator.log").string());
  address_ = "127.0.0.1:" + std::to_string(std::stoi(sg_test::ReadFile((dir_ / "port").string())));

  for (const std::string node : {"node1", "node2"}) {
    fs::create_directories(dir_ / node);
    Start({bin_ + "/worker/sg-worker", "--coordinator", address_, "--devices", "cpu",
           "--pack-size", "2", "--work-dir", (dir_ / node).string(), "--checkpoint-dir",
           (dir_ / node / "checkpoints").string(), "--sg-train", bin_ + "/trainer/sg-train",
           "--train-args=--threads 1 --attn-sentences 0 --quiet", "--claim-interval-ms", "300",
           "--token-file", (dir_ / ("token-" + node)).string(), "--tls-ca",
           (pki / "ca.pem").string(), "--tls-cert", (pki / ("client-" + node + ".pem")).string(),
           "--tls-key", (pki / ("client-" + node + ".key")).string()},
          node + ".log");
  }

  std::ofstream(dir_ / "tls.yaml")
      << "name: tls\ntask: dyck\ngrid:\n  depth: [1, 2]\nseeds: 2\n"
      << "train:\n  steps: 40\n  eval_every: 10\n  checkpoint_every: 10\n  warmup_steps: 5\n"
      << "  batch_size: 4\n  d_model: 16\n  heads: 2\n  ff: 32\n  tree_sentences: 0\n"
      << "data:\n  train_size: 200\n  val_size: 20\n  test_size: 20\n";
  ASSERT_EQ(Run(Ctl("alice", {"submit", (dir_ / "tls.yaml").string()}), &out, &err), 0) << err;

  nlohmann::json runs;
  bool done = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(600);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    runs = CtlJson("alice", {"runs", "tls"});
    done = runs.is_array() && runs.size() == 4;
    for (const auto& r : runs.is_array() ? runs : nlohmann::json::array()) {
      done = done && r["state"] == "succeeded";
    }
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ASSERT_TRUE(done) << runs.dump() << sg_test::ReadFile((dir_ / "node1.log").string())
                    << sg_test::ReadFile((dir_ / "node2.log").string());
  std::set<std::string> holders;
  for (const auto& r : runs) {
    EXPECT_EQ(r["step"], 40);
    holders.insert(r["worker_id"].get<std::string>());
    nlohmann::json curve =
        CtlJson("alice", {"curves", "--run", std::to_string(r["run_id"].get<int64_t>()),
                          "--metric", "val_acc"});
    ASSERT_TRUE(curve.is_array() && curve.size() == 1) << curve.dump();
    EXPECT_EQ(curve[0]["points"].size(), 4u);
  }
  EXPECT_EQ(holders.size(), 2u) << "both workers should have trained a pack";

  // The audit trail names who did what; a researcher may not read it.
  nlohmann::json audit = CtlJson("admin", {"audit"});
  ASSERT_TRUE(audit.is_array()) << audit.dump();
  std::multiset<std::string> seen;
  for (const auto& e : audit) {
    seen.insert(e["actor"].get<std::string>() + " " + e["action"].get<std::string>());
  }
  EXPECT_EQ(seen.count("alice submit_sweep"), 1u) << audit.dump();
  EXPECT_GE(seen.count("node1 register_worker"), 1u) << audit.dump();
  EXPECT_GE(seen.count("node2 register_worker"), 1u) << audit.dump();
  EXPECT_NE(Run(Ctl("alice", {"audit"}), &out, &err), 0);
  EXPECT_THAT(err, HasSubstr("needs role admin"));

  // No token, token hash or lease token (all 64 hex digits) in any log or output.
  std::string logs = all_output_;
  for (const char* log : {"coordinator.log", "node1.log", "node2.log"}) {
    logs += sg_test::ReadFile((dir_ / log).string());
  }
  for (const auto& [name, token] : tokens_) {
    EXPECT_EQ(logs.find(token), std::string::npos) << name << "'s token is in a log";
  }
  std::smatch hex;
  EXPECT_FALSE(std::regex_search(logs, hex, std::regex("[0-9a-f]{64}")))
      << "a 64-hex-digit secret in a log: " << hex.str();
}

}  // namespace
