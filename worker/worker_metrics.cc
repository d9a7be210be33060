#include "worker/worker_metrics.h"

#include "common/prometheus_text.h"

namespace sg {

void WorkerMetrics::Update(const WorkerDaemon& daemon, int64_t idle_ms) {
  struct DeviceLoad {
    int64_t memory_bytes = 0;
    int64_t packs = 0;
    int64_t runs = 0;
    double model_steps_per_second = 0;
  };
  std::map<std::string, DeviceLoad> devices;
  for (const DeviceSlotSpec& d : daemon.options().devices) {
    devices[d.name].memory_bytes = d.memory_bytes;
    started_.emplace(d.name, 0);
  }
  for (const WorkerDaemon::PackView& p : daemon.pack_views()) {
    DeviceLoad& load = devices[p.device];
    ++load.packs;
    load.runs += p.live_runs;
    load.model_steps_per_second += p.steps_per_second * p.live_runs;
    if (seen_packs_.insert(p.local_id).second) ++started_[p.device];
  }

  ExpositionWriter out;
  out.Family("sg_worker_packs", "gauge", "Packs (sg-train children) training now, per device.");
  for (const auto& [name, d] : devices) out.Sample("sg_worker_packs", {{"device", name}}, d.packs);
  out.Family("sg_worker_packs_started_total", "counter", "Packs started, per device.");
  for (const auto& [name, n] : started_) {
    out.Sample("sg_worker_packs_started_total", {{"device", name}}, static_cast<double>(n));
  }
  out.Family("sg_worker_runs", "gauge", "Runs (seeds) training now, per device.");
  for (const auto& [name, d] : devices) out.Sample("sg_worker_runs", {{"device", name}}, d.runs);
  out.Family("sg_worker_model_steps_per_second", "gauge",
             "Training steps per second summed over every model (seed) on the device.");
  for (const auto& [name, d] : devices) {
    out.Sample("sg_worker_model_steps_per_second", {{"device", name}}, d.model_steps_per_second);
  }
  const std::vector<WorkerDaemon::ConcurrencyView> automatic = daemon.concurrency_views();
  if (!automatic.empty()) {
    out.Family("sg_worker_packs_target", "gauge",
               "Packs the device may train at once now (--packs-per-device auto).");
    for (const auto& c : automatic) {
      out.Sample("sg_worker_packs_target", {{"device", c.device}}, c.target);
    }
    out.Family("sg_worker_measured_model_steps_per_second", "gauge",
               "Model-steps/s of the device at the last steady sample of --packs-per-device auto.");
    for (const auto& c : automatic) {
      out.Sample("sg_worker_measured_model_steps_per_second", {{"device", c.device}},
                 c.model_steps_per_second);
    }
    out.Family("sg_worker_measured_work_rate", "gauge",
               "Estimated training multiply-adds/s of the device at the last steady sample of "
               "--packs-per-device auto (model-steps/s weighted by each pack's cost of a step).");
    for (const auto& c : automatic) {
      out.Sample("sg_worker_measured_work_rate", {{"device", c.device}}, c.work_rate);
    }
  }
  out.Family("sg_worker_device_memory_bytes", "gauge",
             "Memory of the device as registered with the coordinator (probed or --device-memory-gb).");
  for (const auto& [name, d] : devices) {
    out.Sample("sg_worker_device_memory_bytes", {{"device", name}},
               static_cast<double>(d.memory_bytes));
  }
  out.Family("sg_worker_spool_points", "gauge",
             "Metric points written to the local spool and not yet acknowledged by the coordinator.");
  out.Sample("sg_worker_spool_points", {}, static_cast<double>(daemon.pending_points()));
  out.Family("sg_worker_registered", "gauge", "1 once the worker is registered with the coordinator.");
  out.Sample("sg_worker_registered", {}, daemon.registered() ? 1 : 0);
  out.Family("sg_worker_idle_seconds", "gauge",
             "How long the worker has had nothing to run and nothing to send (0 while busy).");
  out.Sample("sg_worker_idle_seconds", {}, idle_ms / 1000.0);

  // Forget packs that ended, so the set stays as small as the running packs.
  std::set<int64_t> running;
  for (const WorkerDaemon::PackView& p : daemon.pack_views()) running.insert(p.local_id);
  seen_packs_.swap(running);

  std::lock_guard<std::mutex> lock(mu_);
  text_ = out.text();
}

std::string WorkerMetrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  return text_;
}

}  // namespace sg
