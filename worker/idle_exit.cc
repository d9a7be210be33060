#include "worker/idle_exit.h"

namespace sg {

bool IdleExit::Observe(const WorkerDaemon& daemon) {
  const bool idle = daemon.registered() && !daemon.shutting_down() &&
                    daemon.active_packs() == 0 && daemon.pending_points() == 0;
  if (!idle) {
    idle_since_ms_ = -1;
    return false;
  }
  const int64_t now = clock_->NowMillis();
  if (idle_since_ms_ < 0) idle_since_ms_ = now;
  return limit_ms_ > 0 && now - idle_since_ms_ >= limit_ms_;
}

int64_t IdleExit::idle_ms() const {
  return idle_since_ms_ < 0 ? 0 : clock_->NowMillis() - idle_since_ms_;
}

}  // namespace sg
