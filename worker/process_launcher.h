// Starting and watching child processes (the sg-train packs), behind an interface so that the
// daemon's scheduling logic is unit-tested with a fake launcher and run for real with
// PosixProcessLauncher.
//
// Thread-safety: a ProcessLauncher and the ChildProcess handles it returns are used from one
// thread (the daemon's loop).
#ifndef SG_WORKER_PROCESS_LAUNCHER_H_
#define SG_WORKER_PROCESS_LAUNCHER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sg {

struct LaunchOptions {
  std::vector<std::string> argv;  // argv[0] is the program (a path, or a name searched in PATH)
  std::vector<std::string> env;   // extra "NAME=value" entries added to the daemon's environment
  std::string cwd;                // working directory (must exist)
  std::string stdout_path;        // where the child's stdout goes (appended); empty: /dev/null
  std::string stderr_path;        // where the child's stderr goes (appended); empty: /dev/null
};

// How a child ended.
struct ExitInfo {
  bool signaled = false;  // killed by a signal (then `signal` is set), else exited with `code`
  int code = 0;
  int signal = 0;
  bool success() const { return !signaled && code == 0; }
  std::string ToString() const;  // "exit code 3", "killed by signal 9 (Killed)"
};

class ChildProcess {
 public:
  virtual ~ChildProcess() = default;
  // The exit, once the child has ended; nullopt while it runs. Never blocks.
  virtual std::optional<ExitInfo> Poll() = 0;
  // Sends `signal` (SIGTERM, SIGKILL, ...). Harmless after the child has ended.
  virtual void Kill(int signal) = 0;
  virtual int pid() const = 0;
};

class ProcessLauncher {
 public:
  virtual ~ProcessLauncher() = default;
  // Starts the child. An error means it did not start (bad cwd, program not found).
  virtual absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const LaunchOptions& options) = 0;
};

// fork/exec. Children get PR_SET_PDEATHSIG(SIGKILL), so a daemon killed with kill -9 does not
// leave orphan trainers writing checkpoints for runs the coordinator will hand to someone else.
// The ChildProcess destructor kills (SIGKILL) and reaps a child that still runs.
class PosixProcessLauncher final : public ProcessLauncher {
 public:
  absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const LaunchOptions& options) override;
};

}  // namespace sg

#endif  // SG_WORKER_PROCESS_LAUNCHER_H_
