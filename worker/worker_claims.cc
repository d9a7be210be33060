// WorkerDaemon, part 2 of 5: claiming work for free slots and sizing each claim (to the device's
// memory, and down after a pack of the cell ran out of memory); the runs that do not fit go back.
#include "worker/worker_daemon.h"

#include <signal.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "worker/device_info.h"
#include "worker/lease_ref.h"

namespace sg {

void WorkerDaemon::ClaimForFreeSlots() {
  const int64_t now = clock_->NowMillis();
  if (now < next_claim_ms_) return;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (PacksHoldingSlot(i) > 0) continue;
    if (!backoff_.Ready()) return;
    const DeviceSlotSpec* device = nullptr;
    for (const DeviceSlotSpec& d : options_.devices) {
      if (d.name == slots_[i].first) device = &d;
    }
    if (device->auto_packs) {
      // Below the measured target only (a claim may start several packs: count slots in use).
      int busy = 0;
      for (size_t j = 0; j < slots_.size(); ++j) {
        busy += slots_[j].first == device->name && PacksHoldingSlot(j) > 0 ? 1 : 0;
      }
      auto c = concurrency_.find(device->name);
      const int target = c == concurrency_.end() ? 1 : c->second.rule.target();
      // (A claim split by resume step runs several packs on one slot: count those too.)
      if (std::max(busy, RunningPacksOn(device->name)) >= target) continue;
      // A pack more only where the running packs leave memory for it (by the estimates).
      if (busy > 0 && !MemoryForAnotherPack(*device)) continue;
    }
    v1::ClaimJobsRequest request;
    request.set_worker_id(worker_id_);
    request.set_max_runs(device->pack_size);
    request.set_device(device->name);
    absl::StatusOr<v1::ClaimJobsResponse> reply = client_->ClaimJobs(request);
    backoff_.Note(reply.status());
    if (!reply.ok()) {
      if (absl::IsNotFound(reply.status())) registered_ = false;
      WorkerLog(absl::StrCat("claim: ", reply.status().ToString()));
      next_claim_ms_ = now + options_.claim_interval_ms;
      return;
    }
    if (reply->runs().empty()) {
      next_claim_ms_ = now + options_.claim_interval_ms;
      return;
    }
    if (device->fit_to_memory) TrimClaimToMemory(*device, &*reply);
    auto cap = oom_caps_.find({reply->sweep_id(), reply->cell_key()});
    if (cap != oom_caps_.end() && reply->runs_size() > cap->second) {
      TrimClaim(&*reply, cap->second,
                absl::StrCat("its cell ran out of memory in a larger pack; packs of ",
                             cap->second, " now"));
    }
    for (const ResumeGroup& group : GroupByResumeStep(*reply, options_.checkpoint_dir)) {
      StartPack(group, *device, i);
    }
  }
}

// Claim first, then size: the pack's model (depth, widths, batch, task) is known only from the
// claimed runs' stored config, so the claim asks for up to pack_size runs and the surplus goes
// back to the queue, where another slot or worker claims it. Releasing (rather than training the
// surplus as a second pack later) keeps no lease on runs that are not training.
void WorkerDaemon::TrimClaimToMemory(const DeviceSlotSpec& device, v1::ClaimJobsResponse* claim) {
  const int claimed = claim->runs_size();
  // Fixed slots share the memory equally; automatic packs take what the running ones leave.
  const int64_t slot_bytes = device.auto_packs
                                 ? device.memory_bytes - EstimatedBytesOn(device.name)
                                 : device.memory_bytes / std::max<int32_t>(1, device.slots);
  const std::string where = absl::StrCat(device.name, " for sweep ", claim->sweep_id(), " cell ",
                                         claim->cell_key());
  absl::StatusOr<PackFit> fit =
      FitPackToMemory(claim->runs(0).run().resolved_config_json(), slot_bytes,
                      CudaEvalBytes(base_train_), options_.memory_usable_fraction);
  if (!fit.ok()) {
    // sg-train reads the same config and will fail the attempt with a clear reason.
    WorkerLog(absl::StrCat("pack size on ", where, ": cannot estimate its memory (",
                           fit.status().message(), "); keeping all ", claimed, " claimed runs"));
    return;
  }
  int keep = std::min(claimed, std::max<int32_t>(1, fit->seeds));
  std::string warning;
  if (fit->seeds < 1) {
    // The estimate is a model, not a measurement: try the smallest pack. If it really does not
    // fit, sg-train fails the attempt (CUDA out of memory) and the coordinator retries and
    // finally fails the run with that reason, instead of this worker claiming and releasing
    // the same runs forever.
    warning =
        "; WARNING: not even one seed fits the estimate, training 1 anyway (sg-train fails the "
        "attempt if it runs out of memory); use fewer --slots-per-device, a smaller "
        "--eval-memory-mb in --train-args, or a device with more memory";
  }
  const double mib = static_cast<double>(pack_memory::kMiB);
  WorkerLog(absl::StrFormat(
      "pack size %d of %d claimed on %s: %d seed(s) fit in %.0f MiB x %.2f (estimate %s, "
      "%s rows of up to %d tokens, %d graph buckets)%s",
      keep, claimed, where, fit->seeds, slot_bytes / mib, options_.memory_usable_fraction,
      fit->estimate.ToString(), absl::StrCat("depth ", fit->config.depth, ", batch ",
                                             fit->config.batch_size),
      fit->bounds.max_tokens, fit->bounds.graph_buckets, warning));
  TrimClaim(claim, keep, "they do not fit in this pack");
}

void WorkerDaemon::TrimClaim(v1::ClaimJobsResponse* claim, int keep, const std::string& why) {
  const int claimed = claim->runs_size();
  if (keep >= claimed) return;
  std::vector<int64_t> released;
  for (int i = keep; i < claimed; ++i) {
    const v1::ClaimedRun& c = claim->runs(i);
    surplus_.emplace_back(LeaseOf(c.run().run_id(), c.lease_token()), c.run().step());
    released.push_back(c.run().run_id());
  }
  claim->mutable_runs()->DeleteSubrange(keep, claimed - keep);
  WorkerLog(absl::StrCat("releasing runs ", absl::StrJoin(released, ","),
                         " back to the queue: ", why));
  ReleaseSurplus();
}

void WorkerDaemon::ReleaseSurplus() {
  while (!surplus_.empty()) {
    if (!backoff_.Ready()) return;
    v1::ReleaseJobRequest request;
    *request.mutable_lease() = surplus_.back().first;
    request.set_step(surplus_.back().second);
    absl::Status s = client_->ReleaseJob(request);
    backoff_.Note(s);
    if (IsTransientRpcError(s)) return;  // the next Tick tries again
    if (!s.ok()) {
      // Refused: the lease is no longer ours (expired, cancelled); nothing left to give back.
      WorkerLog(absl::StrCat("run ", request.lease().run_id(), ": release refused (",
                             s.ToString(), ")"));
    }
    surplus_.pop_back();
  }
}

}  // namespace sg
