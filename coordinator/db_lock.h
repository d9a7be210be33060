// DbLock: one coordinator per database. An exclusive flock(2) on a lock file beside the database
// (PATH.lock), held for the life of the object; the file says who holds it (pid, host, start
// time) so that a second coordinator can name the holder when it refuses to start. The lock
// goes with the process (kill -9 included), so a stale lock file never blocks a restart.
//
// Thread-safety: none needed; created once at open, released in the destructor.
#ifndef SG_COORDINATOR_DB_LOCK_H_
#define SG_COORDINATOR_DB_LOCK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace sg {

class DbLock {
 public:
  // Takes the lock for `db_path` (the lock file is db_path + ".lock"). kFailedPrecondition
  // naming the holder when another process (or another DbLock in this one) holds it;
  // kUnavailable when the lock file cannot be created.
  static absl::StatusOr<std::unique_ptr<DbLock>> Acquire(const std::string& db_path);
  ~DbLock();
  DbLock(const DbLock&) = delete;
  DbLock& operator=(const DbLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  DbLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace sg

#endif  // SG_COORDINATOR_DB_LOCK_H_
