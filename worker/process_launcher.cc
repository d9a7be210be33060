#include "worker/process_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace sg {

std::string ExitInfo::ToString() const {
  if (signaled) return absl::StrCat("killed by signal ", signal, " (", strsignal(signal), ")");
  return absl::StrCat("exit code ", code);
}

namespace {

class PosixChild final : public ChildProcess {
 public:
  explicit PosixChild(pid_t pid) : pid_(pid) {}
  ~PosixChild() override {
    if (!exit_.has_value()) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }

  std::optional<ExitInfo> Poll() override {
    if (exit_.has_value()) return exit_;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      ExitInfo info;
      if (WIFSIGNALED(status)) {
        info.signaled = true;
        info.signal = WTERMSIG(status);
      } else {
        info.code = WEXITSTATUS(status);
      }
      exit_ = info;
    } else if (r < 0 && errno == ECHILD) {
      // Reaped elsewhere (should not happen); treat as a failed exit rather than waiting forever.
      exit_ = ExitInfo{false, 255, 0};
    }
    return exit_;
  }

  void Kill(int signal) override {
    if (!exit_.has_value()) ::kill(pid_, signal);
  }
  int pid() const override { return pid_; }

 private:
  const pid_t pid_;
  std::optional<ExitInfo> exit_;
};

int OpenForAppend(const std::string& path) {
  if (path.empty()) return ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> PosixProcessLauncher::Start(
    const LaunchOptions& options) {
  if (options.argv.empty()) return absl::InvalidArgumentError("launch: empty argv");
  int out_fd = OpenForAppend(options.stdout_path);
  if (out_fd < 0) {
    return absl::InternalError(
        absl::StrCat("open ", options.stdout_path, ": ", std::strerror(errno)));
  }
  int err_fd = OpenForAppend(options.stderr_path);
  if (err_fd < 0) {
    ::close(out_fd);
    return absl::InternalError(
        absl::StrCat("open ", options.stderr_path, ": ", std::strerror(errno)));
  }
  // Everything the child needs is prepared before fork: after fork only async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const std::string& e : options.env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // A pipe closed on exec tells the parent whether exec worked (it carries errno if not).
  int exec_pipe[2];
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    ::close(out_fd);
    ::close(err_fd);
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int e = errno;
    ::close(out_fd);
    ::close(err_fd);
    ::close(exec_pipe[0]);
    ::close(exec_pipe[1]);
    return absl::ResourceExhaustedError(absl::StrCat("fork: ", std::strerror(e)));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the daemon died between fork and prctl
    // The daemon blocks or handles some signals; the trainer starts with the defaults.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    int in_fd = ::open("/dev/null", O_RDONLY);
    if (in_fd >= 0) ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) {
      int e = errno;
      (void)!::write(exec_pipe[1], &e, sizeof(e));
      ::_exit(127);
    }
    ::execvpe(argv[0], argv.data(), envp.data());
    int e = errno;
    (void)!::write(exec_pipe[1], &e, sizeof(e));
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  ::close(exec_pipe[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_pipe[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return absl::FailedPreconditionError(absl::StrCat("cannot start ", options.argv[0], " in '",
                                                      options.cwd,
                                                      "': ", std::strerror(child_errno)));
  }
  return std::unique_ptr<ChildProcess>(new PosixChild(pid));
}

}  // namespace sg
