// WorkerDaemon, part 4 of 5: stopping packs and ending their runs at the coordinator, each as
// the trainer's exit says (trainer/api/exit_codes.h; the header's file comment has the rules).
#include "worker/worker_daemon.h"

#include <signal.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "trainer/api/exit_codes.h"
#include "worker/lease_ref.h"

namespace sg {

namespace fs = std::filesystem;

namespace {

// The last "sg-train: ..." line of the child's stderr: its own account of a bad input.
std::string TrainerMessage(const std::string& stderr_path) {
  std::ifstream in(stderr_path);
  std::string line, last;
  while (std::getline(in, line)) {
    if (line.rfind("sg-train: ", 0) == 0) last = line.substr(10);
  }
  if (last.size() > 1500) last.resize(1500);
  return last;
}

}  // namespace

void WorkerDaemon::MarkGone(Pack* pack, RunSlot* run, const char* why) {
  if (run->gone) return;
  WorkerLog(absl::StrCat("run ", run->run_id, " (pack ", pack->local_id, "): ", why,
                         "; no more writes for it"));
  run->gone = true;
  run->pending_checkpoint.reset();
  (void)pack->spool->DropRun(run->run_id);
}

void WorkerDaemon::StopPack(Pack* pack, const std::string& why) {
  if (pack->exit.has_value() || pack->stopping || pack->child == nullptr) return;
  WorkerLog(absl::StrCat("pack ", pack->local_id, ": ", why));
  pack->child->Kill(SIGTERM);
  pack->stopping = true;
  pack->kill_at_ms = clock_->NowMillis() + options_.stop_grace_ms;
}

void WorkerDaemon::StopIfAllGone(Pack* pack) {
  for (const RunSlot& r : pack->runs) {
    if (!r.gone) return;
  }
  StopPack(pack, "every run is gone; stopping its trainer");
}

std::string WorkerDaemon::StderrTail(const Pack& pack) const {
  if (!pack.launch_error.empty()) return pack.launch_error;
  std::ifstream in(fs::path(pack.pack_dir) / "stderr.log");
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    lines.push_back(line);
    if (lines.size() > 5) lines.pop_front();
  }
  std::string tail = absl::StrJoin(lines, " | ");
  if (tail.size() > 1500) tail = tail.substr(tail.size() - 1500);
  return tail;
}

WorkerDaemon::Ending WorkerDaemon::EndingOf(Pack* pack) {
  const ExitInfo& exit = *pack->exit;
  if (pack->trainer_done && exit.success()) return Ending::kComplete;
  if (pack->release) return Ending::kRelease;
  if (exit.success() && !pack->stopping) return Ending::kComplete;
  switch (ClassifyTrainExit(exit.signaled, exit.code, exit.signal)) {
    case TrainExitKind::kBadInput:
      return Ending::kFailNow;
    case TrainExitKind::kOutOfMemory: {
      int live = 0;
      for (const RunSlot& r : pack->runs) live += (r.gone || r.ended) ? 0 : 1;
      if (live <= 1) return Ending::kFailRetryable;  // one seed does not fit: a real failure
      const int cap = std::max(1, live / 2);
      int& known = oom_caps_.try_emplace({pack->sweep_id, pack->cell_key}, cap).first->second;
      known = std::min(known, cap);
      WorkerLog(absl::StrCat("pack ", pack->local_id, " (", pack->cell_key, ") ran out of memory",
                             " with ", live, " seeds; releasing its runs, packs of ", known,
                             " for this cell from now on"));
      auto device = concurrency_.find(pack->device);
      if (device != concurrency_.end()) {
        // With several packs on the device, the pack count is as likely the cause.
        std::optional<PackConcurrency::Decision> d = device->second.rule.OutOfMemory();
        if (d.has_value()) {
          WorkerLog(absl::StrCat("packs on ", pack->device, ": ", d->from, " -> ", d->to, " (",
                                 d->reason, ")"));
        }
      }
      return Ending::kRelease;
    }
    case TrainExitKind::kStopped:
      // Stopped by a signal we did not send (a cluster's preemption reaches the trainer too):
      // it checkpointed; the runs go back to the queue without counting as a failure.
      return pack->stopping ? Ending::kFailRetryable : Ending::kRelease;
    case TrainExitKind::kDone:
    case TrainExitKind::kTransient:
      break;
  }
  return Ending::kFailRetryable;
}

bool WorkerDaemon::FinishPack(Pack* pack) {
  if (!pack->exit.has_value()) return false;
  // Every point of a run still ours must be acknowledged (and its checkpoint reported) before
  // the run ends: after CompleteJob/ReleaseJob the lease is gone and nothing more is accepted.
  // Points the spool could not take are the exception when the runs are released: they are in
  // this attempt's metrics.jsonl, and the resumed attempt re-sends them.
  if (!pack->ending.has_value()) pack->ending = EndingOf(pack);
  const Ending ending = *pack->ending;
  if (!pack->unspooled.empty() && ending != Ending::kRelease) return false;
  for (const RunSlot& r : pack->runs) {
    if (r.gone || r.ended) continue;
    if (!pack->spool->AllAckedUpTo(r.run_id, INT64_MAX)) return false;
    if (r.pending_checkpoint.has_value() && pack->unspooled.empty()) return false;
  }
  for (RunSlot& r : pack->runs) {
    if (r.gone || r.ended) continue;
    if (!backoff_.Ready()) return false;
    absl::Status s;
    const char* what = "";
    switch (ending) {
      case Ending::kRelease: {
        what = "released";
        v1::ReleaseJobRequest request;
        *request.mutable_lease() = LeaseOf(r.run_id, r.token);
        request.set_step(r.step);
        s = client_->ReleaseJob(request);
        break;
      }
      case Ending::kComplete: {
        what = "completed";
        v1::CompleteJobRequest request;
        *request.mutable_lease() = LeaseOf(r.run_id, r.token);
        request.set_final_step(r.step);
        request.set_trained_steps(r.horizon);
        s = client_->CompleteJob(request);
        break;
      }
      case Ending::kFailNow:
      case Ending::kFailRetryable: {
        const bool now = ending == Ending::kFailNow;
        what = now ? "failed (bad input, not retried)" : "failed";
        v1::FailJobRequest request;
        *request.mutable_lease() = LeaseOf(r.run_id, r.token);
        request.set_retryable(!now);
        const std::string message =
            now ? TrainerMessage((fs::path(pack->pack_dir) / "stderr.log").string()) : "";
        request.set_reason(now && !message.empty()
                               ? absl::StrCat("sg-train: ", message)
                               : absl::StrCat("sg-train ", pack->exit->ToString(), " on ",
                                              options_.hostname, " ", pack->device, ": ",
                                              StderrTail(*pack)));
        s = client_->FailJob(request);
        break;
      }
    }
    backoff_.Note(s);
    if (s.ok()) {
      r.ended = true;
      WorkerLog(absl::StrCat("run ", r.run_id, " ", what, " at step ", r.step));
    } else if (absl::IsFailedPrecondition(s) || absl::IsNotFound(s)) {
      MarkGone(pack, &r, "final report refused");
    } else {
      WorkerLog(absl::StrCat("run ", r.run_id, ": ", what, " report failed: ", s.ToString()));
      return false;
    }
  }
  return true;
}

}  // namespace sg
