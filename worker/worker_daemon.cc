// WorkerDaemon, part 1 of 5: the loop (register, tick, heartbeat, shutdown). The other parts:
// worker_claims.cc (claiming and sizing packs), worker_packs.cc (starting packs, reading their
// output, sending points and checkpoints), worker_pack_end.cc (stopping and ending packs),
// worker_concurrency.cc (packs per device from measurement).
#include "worker/worker_daemon.h"

#include <signal.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "worker/lease_ref.h"
#include "worker/pack_launch.h"

namespace sg {

namespace fs = std::filesystem;

WorkerDaemon::WorkerDaemon(WorkerDaemonOptions options, CoordinatorClient* client,
                           ProcessLauncher* launcher, Clock* clock)
    : options_(std::move(options)),
      client_(client),
      launcher_(launcher),
      clock_(clock),
      backoff_(clock, options_.retry_min_ms, options_.retry_max_ms),
      heartbeat_backoff_(clock, options_.retry_min_ms, options_.retry_max_ms),
      sender_(client, &backoff_, options_.max_batch_points) {
  for (const DeviceSlotSpec& d : options_.devices) {
    for (int32_t i = 0; i < d.slots; ++i) slots_.emplace_back(d.name, slots_.size());
  }
  slot_busy_.assign(slots_.size(), 0);
}

WorkerDaemon::~WorkerDaemon() = default;

absl::Status WorkerDaemon::Init() {
  if (options_.devices.empty()) {
    return absl::InvalidArgumentError("--devices: name at least one device (cpu or cuda:N)");
  }
  for (const DeviceSlotSpec& d : options_.devices) {
    if (d.slots < 1) return absl::InvalidArgumentError("--slots-per-device: must be at least 1");
    if (d.pack_size < 1) return absl::InvalidArgumentError("--pack-size: must be at least 1");
    if (d.fit_to_memory && d.memory_bytes <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--device-memory-gb: the memory of ", d.name,
          " is unknown (nvidia-smi gave none), so the pack size cannot be chosen from it; give "
          "--device-memory-gb G or a fixed --pack-size N"));
    }
  }
  absl::Status train_args = CheckExtraTrainArgs(options_.extra_train_args);
  if (!train_args.ok()) return train_args;
  base_train_ = *ParseTrainArgs(options_.extra_train_args);
  if (options_.checkpoint_dir.find(',') != std::string::npos) {
    // sg-train's --seed-checkpoint-dirs separates folders with commas.
    return absl::InvalidArgumentError(absl::StrCat(
        "--checkpoint-dir ", options_.checkpoint_dir, ": a folder without commas, please"));
  }
  if (options_.work_dir.empty()) {
    return absl::InvalidArgumentError("--work-dir: required (a local folder for packs and the spool)");
  }
  std::error_code ec;
  fs::create_directories(fs::path(options_.work_dir) / "spool", ec);
  if (ec) return absl::InternalError(absl::StrCat("--work-dir ", options_.work_dir, ": ", ec.message()));
  fs::create_directories(fs::path(options_.work_dir) / "packs", ec);
  if (ec) return absl::InternalError(absl::StrCat("--work-dir ", options_.work_dir, ": ", ec.message()));
  fs::create_directories(options_.checkpoint_dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("--checkpoint-dir ", options_.checkpoint_dir, ": ", ec.message()));
  }
  // The worker id survives a daemon restart, so the coordinator sees one worker, not two.
  std::ifstream id_in(fs::path(options_.work_dir) / "worker_id");
  if (id_in) std::getline(id_in, worker_id_);
  for (const fs::directory_entry& e : fs::directory_iterator(fs::path(options_.work_dir) / "spool", ec)) {
    if (e.path().extension() != ".jsonl") continue;
    absl::StatusOr<std::unique_ptr<MetricSpool>> spool = MetricSpool::Open(e.path().string());
    if (!spool.ok()) return spool.status();
    if ((*spool)->empty()) {
      (void)(*spool)->Remove();
      continue;
    }
    WorkerLog(absl::StrCat("re-sending ", (*spool)->pending().size(),
                           " unacknowledged points from ", e.path().string()));
    orphan_spools_.push_back(std::move(*spool));
  }
  return absl::OkStatus();
}

int64_t WorkerDaemon::pending_points() const {
  int64_t n = 0;
  for (const auto& p : packs_) {
    n += static_cast<int64_t>(p->spool->pending().size() + p->unspooled.size());
  }
  for (const auto& s : orphan_spools_) n += static_cast<int64_t>(s->pending().size());
  return n;
}

void WorkerDaemon::Register() {
  v1::RegisterWorkerRequest request;
  request.set_hostname(options_.hostname);
  request.set_worker_id(worker_id_);
  for (const DeviceSlotSpec& d : options_.devices) {
    v1::Device* device = request.add_devices();
    device->set_name(d.name);
    device->set_memory_bytes(d.memory_bytes);
    device->set_slots(d.slots);
  }
  absl::StatusOr<v1::RegisterWorkerResponse> reply = client_->RegisterWorker(request);
  backoff_.Note(reply.status());
  if (!reply.ok()) {
    WorkerLog(absl::StrCat("register: ", reply.status().ToString()));
    return;
  }
  worker_id_ = reply->worker_id();
  lease_ms_ = reply->lease_ms() > 0 ? reply->lease_ms() : lease_ms_;
  heartbeat_ms_ = reply->heartbeat_ms() > 0 ? reply->heartbeat_ms() : lease_ms_ / 4;
  registered_ = true;
  next_heartbeat_ms_ = clock_->NowMillis();
  std::ofstream(fs::path(options_.work_dir) / "worker_id") << worker_id_ << "\n";
  WorkerLog(absl::StrCat("registered as ", worker_id_, " (lease ", lease_ms_, " ms, heartbeat ",
                         heartbeat_ms_, " ms)"));
}

void WorkerDaemon::Tick() {
  if (finished_) return;
  const int64_t now = clock_->NowMillis();
  if (!registered_ && !shutting_down_) {
    if (backoff_.Ready()) Register();
  }

  // Children: exits, SIGKILL after the grace period.
  for (auto& pack : packs_) {
    if (pack->child != nullptr && !pack->exit.has_value()) {
      pack->exit = pack->child->Poll();
      if (pack->exit.has_value()) {
        WorkerLog(absl::StrCat("pack ", pack->local_id, " (", pack->cell_key, ") ended: ",
                               pack->exit->ToString()));
      } else if (pack->stopping && now >= pack->kill_at_ms) {
        WorkerLog(absl::StrCat("pack ", pack->local_id, " ignored SIGTERM; sending SIGKILL"));
        pack->child->Kill(SIGKILL);
        pack->kill_at_ms = now + options_.stop_grace_ms;
      }
    }
  }
  // Trainer output: read after the exit check, so everything a finished child wrote is seen.
  for (auto& pack : packs_) ReadTrainerOutput(pack.get());

  // Points. Orphans first: they are the oldest.
  if (registered_) {
    for (size_t i = 0; i < orphan_spools_.size();) {
      Flush(orphan_spools_[i].get(), nullptr);
      if (orphan_spools_[i]->empty()) {
        (void)orphan_spools_[i]->Remove();
        orphan_spools_.erase(orphan_spools_.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    for (auto& pack : packs_) {
      // A pack whose child ended is flushed every tick: its runs wait on it.
      if (now < pack->next_flush_ms && !pack->exit.has_value() && !shutting_down_) continue;
      Flush(pack->spool.get(), &pack->runs);
      pack->next_flush_ms = now + options_.flush_interval_ms;
      if (backoff_.Ready()) ReportCheckpoints(pack.get());
    }
  }

  if (registered_ && now >= next_heartbeat_ms_ && heartbeat_backoff_.Ready()) Heartbeat();

  for (auto& pack : packs_) StopIfAllGone(pack.get());

  // Packs whose child ended: end their runs at the coordinator, then forget them.
  for (size_t i = 0; i < packs_.size();) {
    if (FinishPack(packs_[i].get())) {
      --slot_busy_[packs_[i]->slot_index];
      (void)packs_[i]->spool->Remove();
      packs_.erase(packs_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }

  if (registered_ && !surplus_.empty()) ReleaseSurplus();
  SampleConcurrency();
  if (!shutting_down_ && registered_) ClaimForFreeSlots();

  if (shutting_down_) {
    bool flushed = orphan_spools_.empty() && surplus_.empty();
    if (packs_.empty() && (flushed || now >= shutdown_deadline_ms_)) {
      if (!flushed) {
        WorkerLog(absl::StrCat("shutdown: ", pending_points(),
                               " points not acknowledged; they stay in the spool for the next start"));
      }
      finished_ = true;
    } else if (now >= shutdown_deadline_ms_ + options_.stop_grace_ms) {
      WorkerLog("shutdown: giving up on the coordinator; unacknowledged points stay in the spool");
      for (auto& pack : packs_) {
        if (pack->child != nullptr && !pack->exit.has_value()) pack->child->Kill(SIGKILL);
      }
      finished_ = true;
    }
  }
}

void WorkerDaemon::Heartbeat() {
  const int64_t now = clock_->NowMillis();
  v1::HeartbeatRequest request;
  request.set_worker_id(worker_id_);
  for (auto& pack : packs_) {
    int64_t step = 0;
    for (const RunSlot& r : pack->runs) step = std::max(step, r.step);
    if (now > pack->speed_time_ms && step > pack->speed_step) {
      double rate = static_cast<double>(step - pack->speed_step) * 1000.0 /
                    static_cast<double>(now - pack->speed_time_ms);
      pack->steps_per_second = pack->steps_per_second == 0 ? rate
                                                           : 0.5 * pack->steps_per_second + 0.5 * rate;
      pack->speed_step = step;
      pack->speed_time_ms = now;
    }
    for (const RunSlot& r : pack->runs) {
      if (r.gone || r.ended) continue;
      *request.add_leases() = LeaseOf(r.run_id, r.token);
      v1::RunProgress* progress = request.add_progress();
      *progress->mutable_lease() = LeaseOf(r.run_id, r.token);
      progress->set_step(r.step);
      progress->set_steps_per_second(pack->exit.has_value() ? 0 : pack->steps_per_second);
    }
  }
  absl::StatusOr<v1::HeartbeatResponse> reply = client_->Heartbeat(request);
  backoff_.Note(reply.status());  // an answer means the coordinator is back for the rest too
  heartbeat_backoff_.Note(reply.status());
  if (!reply.ok()) {
    if (absl::IsNotFound(reply.status())) registered_ = false;  // coordinator forgot us
    // An outage is logged when it starts and when it ends, not once per retry.
    if (failed_heartbeats_++ == 0 || !IsTransientRpcError(reply.status())) {
      WorkerLog(absl::StrCat("heartbeat: ", reply.status().ToString(),
                             IsTransientRpcError(reply.status())
                                 ? "; retrying (logged again when one gets through)"
                                 : ""));
    }
    return;
  }
  if (failed_heartbeats_ > 0) {
    WorkerLog(absl::StrCat("heartbeat: answered again after ", failed_heartbeats_,
                           " failed attempt(s)"));
    failed_heartbeats_ = 0;
  }
  next_heartbeat_ms_ = now + heartbeat_ms_;
  std::set<int64_t> cancelled(reply->cancelled_run_ids().begin(), reply->cancelled_run_ids().end());
  std::set<int64_t> lost(reply->lost_run_ids().begin(), reply->lost_run_ids().end());
  for (auto& pack : packs_) {
    for (RunSlot& r : pack->runs) {
      if (r.gone || r.ended) continue;
      if (cancelled.count(r.run_id) > 0) MarkGone(pack.get(), &r, "cancelled");
      if (lost.count(r.run_id) > 0) MarkGone(pack.get(), &r, "lease lost");
    }
  }
}

void WorkerDaemon::RequestShutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  const int64_t now = clock_->NowMillis();
  shutdown_deadline_ms_ = now + options_.stop_grace_ms + options_.shutdown_flush_ms;
  WorkerLog(absl::StrCat("shutting down: stopping ", packs_.size(),
                         " trainers (they checkpoint), then releasing their runs"));
  for (auto& pack : packs_) {
    pack->release = true;
    StopPack(pack.get(), "shutting down: stopping its trainer");
  }
}

}  // namespace sg
