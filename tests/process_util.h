// Helpers the process tests share: start a binary with its output in files, wait for it with a
// deadline, read files, read the environment CTest sets (SG_BINARY_DIR, SG_SOURCE_DIR).
#ifndef SG_TESTS_PROCESS_UTIL_H_
#define SG_TESTS_PROCESS_UTIL_H_

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sg_test {

inline std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

// The whole file, byte for byte ("" if it cannot be read).
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct SpawnOptions {
  std::string out_path;             // stdout
  std::string err_path;             // stderr; empty: the same file as stdout
  bool append = false;              // append to the files instead of truncating them
  bool new_process_group = false;   // its own group, so kill(-pid, sig) reaches its children too
  std::vector<std::string> env;     // extra "NAME=VALUE" entries
};

// Starts argv[0] (a path) with its output in files.
inline pid_t SpawnProcess(const std::vector<std::string>& argv, const SpawnOptions& o) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  if (o.new_process_group) setpgid(0, 0);
  const int flags = O_WRONLY | O_CREAT | (o.append ? O_APPEND : O_TRUNC);
  int out = open(o.out_path.c_str(), flags, 0644);
  int err = o.err_path.empty() ? out : open(o.err_path.c_str(), flags, 0644);
  dup2(out, 1);
  dup2(err, 2);
  for (const std::string& e : o.env) putenv(const_cast<char*>(e.c_str()));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

// Starts argv[0] with stdout/stderr redirected to files; extra_env entries are "NAME=VALUE".
inline pid_t Spawn(const std::vector<std::string>& argv, const std::string& out_path,
                   const std::string& err_path, const std::vector<std::string>& extra_env = {}) {
  SpawnOptions o;
  o.out_path = out_path;
  o.err_path = err_path;
  o.env = extra_env;
  return SpawnProcess(argv, o);
}

// Waits up to `timeout` for pid and returns its exit code; kills it if it is still running
// then (returns -1, as for a process killed by a signal).
inline int WaitExit(pid_t pid, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Starts sg-coordinator (binary_dir/coordinator/sg-coordinator) on 127.0.0.1:0 with its database
// at dir/coordinator.db and `extra` flags, its output in dir/coordinator.{out,err}, and waits for
// its port file (renamed into place, so complete: the server is serving). Sets *pid and *address
// ("127.0.0.1:PORT"); returns "" or what went wrong (it exited, or 60 s passed; its stderr).
inline std::string StartCoordinatorProcess(const std::string& binary_dir, const std::string& dir,
                                           const std::vector<std::string>& extra, pid_t* pid,
                                           std::string* address) {
  const std::string port_file = dir + "/port";
  unlink(port_file.c_str());  // one left by an earlier coordinator in dir would name a dead port
  std::vector<std::string> argv = {binary_dir + "/coordinator/sg-coordinator", "--listen",
                                   "127.0.0.1:0", "--db", dir + "/coordinator.db",
                                   "--port-file", port_file};
  argv.insert(argv.end(), extra.begin(), extra.end());
  SpawnOptions o;
  o.out_path = dir + "/coordinator.out";
  o.err_path = dir + "/coordinator.err";
  *pid = SpawnProcess(argv, o);
  if (*pid <= 0) return "sg-coordinator: fork failed";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (access(port_file.c_str(), R_OK) != 0) {
    int status = 0;
    if (waitpid(*pid, &status, WNOHANG) != 0) {
      *pid = -1;
      return "sg-coordinator exited early: " + ReadFile(o.err_path);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return "sg-coordinator did not start within 60 s: " + ReadFile(o.err_path);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const int port = std::atoi(ReadFile(port_file).c_str());
  if (port <= 0) return "sg-coordinator: bad port file " + port_file;
  *address = "127.0.0.1:" + std::to_string(port);
  return "";
}

}  // namespace sg_test

#endif  // SG_TESTS_PROCESS_UTIL_H_
