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

}  // namespace sg_test

#endif  // SG_TESTS_PROCESS_UTIL_H_
