// IdleExit: sg-worker --exit-when-idle SECONDS. The worker counts as idle while it is
// registered, has no pack running and no point waiting in its spool; claims then come back
// empty, since a free slot claims at every claim interval. Once that has lasted SECONDS the
// worker shuts down gracefully, so a SLURM allocation (or a Kubernetes Job) ends when the queue
// is drained instead of holding its GPUs. Any work resets the count. Time comes from the
// injected Clock.
//
// Thread-safety: not thread-safe; the daemon's thread calls Observe.
#ifndef SG_WORKER_IDLE_EXIT_H_
#define SG_WORKER_IDLE_EXIT_H_

#include <cstdint>

#include "common/clock.h"
#include "worker/worker_daemon.h"

namespace sg {

class IdleExit {
 public:
  // limit_ms <= 0: never exit.
  IdleExit(int64_t limit_ms, Clock* clock) : limit_ms_(limit_ms), clock_(clock) {}

  // Called after each Tick. True once the daemon has been idle for limit_ms.
  bool Observe(const WorkerDaemon& daemon);
  // How long the daemon has been idle (0 while busy or not yet registered).
  int64_t idle_ms() const;

 private:
  const int64_t limit_ms_;
  Clock* const clock_;
  int64_t idle_since_ms_ = -1;  // -1: busy
};

}  // namespace sg

#endif  // SG_WORKER_IDLE_EXIT_H_
