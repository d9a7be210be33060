// WorkerDaemon, part 3 of 5: a running pack: its start (folders, resume, the sg-train child),
// its output read into the spool, points sent, checkpoints reported once their points are in.
#include "worker/worker_daemon.h"

#include <signal.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/run_config.h"
#include "worker/lease_ref.h"
#include "worker/pack_launch.h"

namespace sg {

namespace fs = std::filesystem;

void WorkerDaemon::StartPack(const ResumeGroup& group, const DeviceSlotSpec& device,
                             size_t slot_index) {
  const v1::ClaimJobsResponse& claim = group.claim;
  auto pack = std::make_unique<Pack>();
  pack->local_id = next_pack_id_++;
  pack->sweep_id = claim.sweep_id();
  pack->cell_key = claim.cell_key();
  pack->device = device.name;
  pack->slot_index = slot_index;
  for (int i = 0; i < claim.runs_size(); ++i) {
    const v1::ClaimedRun& c = claim.runs(i);
    RunSlot run;
    run.run_id = c.run().run_id();
    run.seed = c.run().seed();
    run.token = c.lease_token();
    run.step = c.run().step();
    run.checkpoint_step = c.run().checkpoint_step();
    pack->runs.push_back(run);
    const RunResume& resume = group.resumes[static_cast<size_t>(i)];
    if (!resume.refused.empty()) {
      WorkerLog(absl::StrCat("run ", run.run_id, ": not resuming from its recorded checkpoint: ",
                             resume.refused));
    }
  }
  const int64_t now = clock_->NowMillis();
  PackLaunch plan = PlanPackLaunch(claim, device.name, options_.work_dir, options_.checkpoint_dir,
                                   worker_id_, options_.sg_train, base_train_, pack->local_id, now);
  pack->pack_dir = plan.pack_dir;
  pack->out_dir = plan.out_dir;
  // The horizon this trainer is given: CompleteJob reports it, so a run whose horizon was
  // raised meanwhile (sgctl extend) is queued again instead of ending below it.
  int64_t horizon = plan.train.steps;
  if (horizon <= 0 && claim.runs_size() > 0) {
    absl::StatusOr<RunConfig> config = ParseRunConfigJson(claim.runs(0).run().resolved_config_json());
    if (config.ok()) horizon = config->train.steps;
  }
  for (RunSlot& r : pack->runs) r.horizon = std::max<int64_t>(horizon, 0);
  ++slot_busy_[slot_index];
  // The speed window starts at the runs' step now (a resumed pack does not start at 0), so the
  // first rate a heartbeat reports is not the whole resumed history over a few seconds.
  pack->speed_step = std::max(group.step, int64_t{0});
  for (const RunSlot& r : pack->runs) pack->speed_step = std::max(pack->speed_step, r.step);
  pack->speed_time_ms = now;
  pack->seen_step = pack->speed_step;
  pack->next_flush_ms = now;
  NotePackCostAndMemory(claim, device, pack.get());

  absl::Status files = WritePackFiles(claim, &plan);
  if (!files.ok()) pack->launch_error = std::string(files.message());
  absl::StatusOr<std::unique_ptr<MetricSpool>> spool = MetricSpool::Open(plan.spool_path);
  if (spool.ok()) {
    pack->spool = std::move(*spool);
  } else if (pack->launch_error.empty()) {
    // A spool in memory only would lose points on a crash; fail the attempt instead.
    pack->launch_error = std::string(spool.status().message());
  }
  if (pack->launch_error.empty() && group.step >= 0) {
    absl::StatusOr<std::vector<SpooledPoint>> replay = ApplyResume(group, pack->out_dir);
    if (!replay.ok()) {
      WorkerLog(absl::StrCat("pack ", pack->local_id, ": ", replay.status().message(),
                             "; starting from step 0"));
    } else {
      absl::Status s = pack->spool->Append(*replay);
      if (!s.ok()) pack->launch_error = absl::StrCat("spool: ", s.message());
      for (RunSlot& r : pack->runs) r.step = std::max(r.step, group.step);
      WorkerLog(absl::StrCat("pack ", pack->local_id, ": resuming from checkpoint step ",
                             group.step, "; re-sending ", replay->size(), " points up to it"));
    }
  }
  pack->output = std::make_unique<TrainerOutput>(pack->out_dir);

  std::vector<std::string> ids;
  for (const RunSlot& r : pack->runs) ids.push_back(absl::StrCat(r.run_id, "(seed ", r.seed, ")"));
  if (pack->launch_error.empty()) {
    absl::StatusOr<std::unique_ptr<ChildProcess>> child = launcher_->Start(plan.launch);
    if (child.ok()) {
      pack->child = std::move(*child);
      WorkerLog(absl::StrCat("pack ", pack->local_id, ": sweep ", pack->sweep_id, " cell ",
                             pack->cell_key, " runs ", absl::StrJoin(ids, ","), " on ",
                             device.name, " (pid ", pack->child->pid(), ", out ", pack->out_dir,
                             ")"));
    } else {
      pack->launch_error = std::string(child.status().message());
    }
  }
  if (!pack->launch_error.empty()) {
    WorkerLog(absl::StrCat("pack ", pack->local_id, ": could not start: ", pack->launch_error));
    pack->exit = ExitInfo{false, 127, 0};
    if (pack->spool == nullptr) {
      // Keep a working (empty) spool object so the rest of the logic needs no special case.
      auto fallback = MetricSpool::Open(plan.spool_path + ".fallback");
      if (fallback.ok()) pack->spool = std::move(*fallback);
    }
  }
  packs_.push_back(std::move(pack));
}

void WorkerDaemon::ReadTrainerOutput(Pack* pack) {
  if (pack->spool == nullptr || pack->output == nullptr) return;
  std::map<int64_t, RunSlot*> by_seed;
  for (RunSlot& r : pack->runs) by_seed[r.seed] = &r;
  TrainerOutput::News news = pack->output->ReadNew();
  std::vector<SpooledPoint> fresh = std::move(pack->unspooled);
  pack->unspooled.clear();
  for (const MetricLine& p : news.points) {
    auto it = by_seed.find(p.seed);
    if (it == by_seed.end() || it->second->gone) continue;
    RunSlot* run = it->second;
    run->step = std::max(run->step, p.step);
    fresh.push_back(SpooledPoint{run->run_id, run->token, p.metric, p.step, p.value});
  }
  if (!fresh.empty()) {
    absl::Status s = pack->spool->Append(fresh);
    if (!s.ok()) {
      // Not spooled means not safe to send. Keep the points in memory and try again each tick;
      // stop the trainer (it checkpoints) and release its runs rather than train on while
      // points pile up: the resumed attempt re-sends them from this attempt's metrics.jsonl.
      pack->unspooled = std::move(fresh);
      // A new pack would meet the same full disk: claim nothing for a while.
      next_claim_ms_ = std::max(next_claim_ms_, clock_->NowMillis() + options_.disk_full_pause_ms);
      if (!pack->stopping && !pack->exit.has_value()) {
        pack->release = true;
        StopPack(pack, absl::StrCat("the spool cannot be written (", s.message(),
                                    "); stopping the trainer and releasing its runs"));
      }
    }
  }
  for (const TrainerEvent& e : news.events) {
    if (e.kind == TrainerEventKind::kCheckpoint) {
      if (e.seed_paths.size() == pack->runs.size()) {
        // Per-seed checkpoints, in --seeds order (the order of pack->runs).
        for (size_t i = 0; i < pack->runs.size(); ++i) {
          NoteCheckpoint(pack, pack->runs[i].seed, e.step, e.seed_paths[i]);
        }
      } else {
        NoteCheckpoint(pack, std::nullopt, e.step, e.path);
      }
    } else if (e.kind == TrainerEventKind::kReleased) {
      if (!pack->device_released) {
        pack->device_released = true;
        WorkerLog(absl::StrFormat("pack %d (%s): training over at step %d, %s given back while "
                                  "its last checkpoint is written",
                                  pack->local_id, pack->cell_key, e.step, pack->device));
      }
    } else if (e.kind == TrainerEventKind::kDone) {
      pack->trainer_done = true;
      for (RunSlot& r : pack->runs) r.step = std::max(r.step, e.step);
    }
  }
}

void WorkerDaemon::NoteCheckpoint(Pack* pack, std::optional<int64_t> seed, int64_t step,
                                  const std::string& path) {
  for (RunSlot& r : pack->runs) {
    if (r.gone || (seed.has_value() && r.seed != *seed)) continue;
    if (step <= r.checkpoint_step) continue;
    if (r.pending_checkpoint.has_value() && r.pending_checkpoint->first >= step) continue;
    r.pending_checkpoint = std::make_pair(step, path.empty() ? pack->out_dir : path);
    r.step = std::max(r.step, step);
  }
}

void WorkerDaemon::Flush(MetricSpool* spool, std::vector<RunSlot>* runs) {
  if (!backoff_.Ready()) return;
  MetricSender::Outcome outcome = sender_.Flush(worker_id_, spool);
  if (runs == nullptr) return;
  for (RunSlot& run : *runs) {
    if (outcome.gone_runs.count(run.run_id) > 0 && !run.gone) {
      run.gone = true;
      run.pending_checkpoint.reset();
    }
  }
}

void WorkerDaemon::ReportCheckpoints(Pack* pack) {
  // Points the spool could not take yet may be at or before a checkpoint: wait for them.
  if (!pack->unspooled.empty()) return;
  for (RunSlot& r : pack->runs) {
    if (r.gone || !r.pending_checkpoint.has_value()) continue;
    const int64_t step = r.pending_checkpoint->first;
    // Committed means: every point up to the checkpoint is acknowledged, so a run resumed from
    // it never needs a point that only this worker had.
    if (!pack->spool->AllAckedUpTo(r.run_id, step)) continue;
    if (!backoff_.Ready()) return;
    v1::ReportCheckpointRequest request;
    *request.mutable_lease() = LeaseOf(r.run_id, r.token);
    request.set_step(step);
    request.set_path(r.pending_checkpoint->second);
    absl::Status s = client_->ReportCheckpoint(request);
    backoff_.Note(s);
    if (s.ok()) {
      r.checkpoint_step = step;
      r.pending_checkpoint.reset();
    } else if (absl::IsFailedPrecondition(s) || absl::IsNotFound(s)) {
      MarkGone(pack, &r, "checkpoint refused");
    } else {
      return;
    }
  }
}

}  // namespace sg
