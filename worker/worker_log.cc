#include "worker/worker_log.h"

#include <cstdio>
#include <ctime>

namespace sg {

void WorkerLog(const std::string& message) {
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm tm_buf;
  localtime_r(&now, &tm_buf);
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm_buf);
  std::fprintf(stderr, "%s sg-worker: %s\n", stamp, message.c_str());
  std::fflush(stderr);
}

}  // namespace sg
