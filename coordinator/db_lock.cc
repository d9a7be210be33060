#include "coordinator/db_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace sg {
namespace {

std::string Holder(int fd) {
  char buf[512];
  const ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return "a process that has not written its name yet";
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<DbLock>> DbLock::Acquire(const std::string& db_path) {
  const std::string path = db_path + ".lock";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot create lock file ", path, ": ",
                                               std::strerror(errno),
                                               " (check that the directory is writable)"));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string holder = Holder(fd);
    close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          db_path, " is in use by another sg-coordinator (", holder, "; lock file ", path,
          "); stop that one first, or give this one another --db"));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot lock ", path, ": ", std::strerror(err)));
  }
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  const std::string who = absl::StrCat("pid ", getpid(), " on ", host, ", since unix time ",
                                       static_cast<long long>(std::time(nullptr)), "\n");
  // Best effort: the lock, not the text, is what excludes; the text only names the holder.
  if (ftruncate(fd, 0) == 0) {
    const ssize_t written = pwrite(fd, who.data(), who.size(), 0);
    (void)written;
  }
  return std::unique_ptr<DbLock>(new DbLock(fd, path));
}

DbLock::~DbLock() {
  flock(fd_, LOCK_UN);
  close(fd_);
}

}  // namespace sg
