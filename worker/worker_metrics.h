// WorkerMetrics: what sg-worker exports at /metrics (--metrics-listen). The daemon is not
// thread-safe, so the main loop calls Update() after each Tick (one pass over the packs) and the
// HTTP thread serves the text of the last update.
//
// Names (public interface, docs/deploy.md lists them):
//   sg_worker_packs{device}                      gauge   packs training now
//   sg_worker_packs_started_total{device}        counter packs started since the worker began
//   sg_worker_model_steps_per_second{device}     gauge   training steps/s summed over every
//                                                        model (seed) on the device
//   sg_worker_runs{device}                       gauge   runs (seeds) training now
//   sg_worker_spool_points                       gauge   points spooled, not yet acknowledged
//   sg_worker_device_memory_bytes{device}        gauge   memory registered for the device
//   sg_worker_registered                         gauge   1 once registered with the coordinator
//   sg_worker_idle_seconds                       gauge   how long nothing has run (0 when busy)
// Devices with --packs-per-device auto only (worker/pack_concurrency.h):
//   sg_worker_packs_target{device}               gauge   packs the device may run now
//   sg_worker_measured_model_steps_per_second{device}  gauge  model-steps/s at the last
//                                                        steady sample the rule took
//   sg_worker_measured_work_rate{device}         gauge   the same weighted by each pack's cost
//                                                        of a model-step (estimated training
//                                                        multiply-adds/s, common/pack_cost.h)
//
// Thread-safety: Update from the daemon's thread; Render from any thread.
#ifndef SG_WORKER_WORKER_METRICS_H_
#define SG_WORKER_WORKER_METRICS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "worker/worker_daemon.h"

namespace sg {

class WorkerMetrics {
 public:
  // idle_ms: how long the daemon has had nothing to do (see IdleExit), for the gauge.
  void Update(const WorkerDaemon& daemon, int64_t idle_ms);
  std::string Render() const;

 private:
  mutable std::mutex mu_;
  std::string text_ ABSL_GUARDED_BY(mu_);
  // Only the updating thread touches these.
  std::set<int64_t> seen_packs_;
  std::map<std::string, int64_t> started_;
};

}  // namespace sg

#endif  // SG_WORKER_WORKER_METRICS_H_
