// WorkerDaemon, part 5 of 5: packs per device from measurement (--packs-per-device auto). Every
// concurrency_sample_ms the daemon measures each auto device's work rate (model-steps/s of each
// running pack times its live seeds times its cost of one model-step, common/pack_cost.h) and
// feeds it to the device's PackConcurrency rule, which says how many packs the device may run;
// ClaimForFreeSlots claims only below that number. The rule is in pack_concurrency.h.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/pack_cost.h"
#include "common/run_config.h"
#include "worker/device_info.h"
#include "worker/worker_daemon.h"

namespace sg {

std::vector<WorkerDaemon::ConcurrencyView> WorkerDaemon::concurrency_views() const {
  std::vector<ConcurrencyView> out;
  for (const auto& [name, c] : concurrency_) {
    out.push_back(ConcurrencyView{name, c.rule.target(), c.model_steps_per_second, c.work_rate});
  }
  return out;
}

int WorkerDaemon::RunningPacksOn(const std::string& device) const {
  int n = 0;
  for (const auto& p : packs_) n += p->device == device && p->OnDevice() ? 1 : 0;
  return n;
}

int64_t WorkerDaemon::EstimatedBytesOn(const std::string& device) const {
  int64_t bytes = 0;
  for (const auto& p : packs_) {
    if (p->device == device && p->OnDevice()) bytes += p->memory_bytes;
  }
  return bytes;
}

int WorkerDaemon::PacksHoldingSlot(size_t slot) const {
  int released = 0;
  for (const auto& p : packs_) released += p->slot_index == slot && p->device_released ? 1 : 0;
  return slot_busy_[slot] - released;
}

bool WorkerDaemon::MemoryForAnotherPack(const DeviceSlotSpec& device) const {
  if (device.memory_bytes <= 0) return false;
  const int64_t left = device.memory_bytes - EstimatedBytesOn(device.name);
  for (const auto& p : packs_) {
    if (p->device != device.name || !p->OnDevice()) continue;
    // A pack without an estimate (its config did not parse) could take anything: no more.
    if (p->memory_bytes <= 0) return false;
    // One seed more of the same kind, with its own process's fixed part.
    if (SeedsThatFit(p->memory_estimate, left, options_.memory_usable_fraction) < 1) return false;
  }
  return left > 0;
}

void WorkerDaemon::NotePackCostAndMemory(const v1::ClaimJobsResponse& claim,
                                         const DeviceSlotSpec& device, Pack* pack) const {
  if (claim.runs_size() == 0) return;
  absl::StatusOr<RunConfig> config = ParseRunConfigJson(claim.runs(0).run().resolved_config_json());
  if (!config.ok()) return;  // both stay 0: unknown (sg-train reports the config's error)
  RunCostInputs one_step = RunCostInputsOf(*config, 0);
  one_step.steps_left = 1;
  pack->step_cost = ExpectedRunCost(one_step);
  PackFit fit = FitPackToMemory(*config, device.memory_bytes, CudaEvalBytes(base_train_),
                                options_.memory_usable_fraction);
  pack->memory_estimate = fit.estimate;
  pack->memory_bytes = fit.estimate.Bytes(static_cast<int64_t>(pack->runs.size()));
}

void WorkerDaemon::SampleConcurrency() {
  const int64_t now = clock_->NowMillis();
  // Every tick: the time each pack's highest step was first seen, so a rate is measured between
  // step changes and not blurred by how often the trainer writes points.
  for (auto& p : packs_) {
    int64_t step = 0;
    for (const RunSlot& r : p->runs) step = std::max(step, r.step);
    if (step > p->seen_step) {
      p->seen_step = step;
      p->seen_step_ms = now;
    }
  }
  for (const DeviceSlotSpec& device : options_.devices) {
    if (!device.auto_packs) continue;
    auto [it, inserted] = concurrency_.try_emplace(device.name);
    DeviceConcurrency& c = it->second;
    if (inserted) {
      c.rule = PackConcurrency(options_.concurrency);
      c.next_sample_ms = now + options_.concurrency_sample_ms;
      continue;
    }
    if (now < c.next_sample_ms) continue;
    c.next_sample_ms = now + options_.concurrency_sample_ms;

    std::vector<int64_t> ids;
    bool steady = true;
    double model_steps = 0;
    double work = 0;
    for (auto& p : packs_) {
      if (p->device != device.name || !p->OnDevice()) continue;
      ids.push_back(p->local_id);
      if (p->seen_step_ms == 0) {
        steady = false;  // not one step yet: still starting
      } else if (p->sampled_step_ms == 0) {
        steady = false;  // the first step seen: the rate is measured from it on
        p->sampled_step = p->seen_step;
        p->sampled_step_ms = p->seen_step_ms;
      } else if (p->seen_step_ms > p->sampled_step_ms) {
        const double rate = static_cast<double>(p->seen_step - p->sampled_step) * 1000.0 /
                            static_cast<double>(p->seen_step_ms - p->sampled_step_ms);
        int live = 0;
        for (const RunSlot& r : p->runs) live += (r.gone || r.ended) ? 0 : 1;
        model_steps += rate * live;
        work += rate * live * p->step_cost;
        p->sampled_step = p->seen_step;
        p->sampled_step_ms = p->seen_step_ms;
      } else {
        steady = false;  // no step in the window (an evaluation, a stall)
      }
    }
    if (ids != c.packs_at_last_sample) steady = false;  // a pack started or ended meanwhile
    c.packs_at_last_sample = ids;
    if (!steady || ids.empty()) {
      c.rule.ObserveUnsteady();
      continue;
    }
    c.model_steps_per_second = model_steps;
    c.work_rate = work;
    std::optional<PackConcurrency::Decision> decision =
        c.rule.Observe(static_cast<int>(ids.size()), work, MemoryForAnotherPack(device));
    if (decision.has_value()) {
      WorkerLog(absl::StrFormat(
          "packs on %s: %d -> %d (%s; now %.0f model-steps/s, %.0f MiB of %.0f estimated in use)",
          device.name, decision->from, decision->to, decision->reason, model_steps,
          EstimatedBytesOn(device.name) / static_cast<double>(pack_memory::kMiB),
          device.memory_bytes / static_cast<double>(pack_memory::kMiB)));
    }
  }
}

}  // namespace sg
