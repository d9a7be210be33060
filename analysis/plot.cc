// RunGnuplot: starts gnuplot on a script and collects its output. The figure kinds are in
// plot_curves.cc, plot_depth.cc and plot_early_stop.cc.
#include "analysis/plot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace sg {
namespace analysis {

absl::Status RunGnuplot(const std::string& program, const std::string& script_path) {
  int fds[2];
  if (pipe(fds) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::vector<char*> argv = {const_cast<char*>(program.c_str()),
                             const_cast<char*>(script_path.c_str()), nullptr};
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (err != 0) {
    close(fds[0]);
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot run '", program, "': ", std::strerror(err),
        " (install gnuplot, e.g. apt-get install gnuplot-nox, or pass the program's path)"));
  }
  std::string output;
  char buf[4096];
  while (true) {
    const ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n > 0) {
      output.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  close(fds[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
    }
  }
  // posix_spawnp may fork successfully and then fail to exec: the child exits with 127.
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127 && output.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot run '", program,
        "' (install gnuplot, e.g. apt-get install gnuplot-nox, or pass the program's path)"));
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    if (output.size() > 2000) output = "..." + output.substr(output.size() - 2000);
    return absl::InternalError(
        absl::StrCat(program, " failed on ", script_path, " (status ", wstatus, "): ", output));
  }
  return absl::OkStatus();
}

}  // namespace analysis
}  // namespace sg
