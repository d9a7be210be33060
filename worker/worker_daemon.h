// WorkerDaemon: the node daemon's logic. It registers the node's devices, claims packs (runs of
// one grid cell that differ by seed) for every free device slot, runs each pack as an sg-train
// child process, streams the child's metric points to the coordinator through a durable spool,
// renews leases by heartbeat (carrying each run's step and speed), reports checkpoints once the
// points up to them are acknowledged, and ends each run (complete, fail, or release on
// shutdown). A plain class driven by Tick(): the clock, the coordinator and the process
// launcher are injected, so unit tests run the scheduling with fakes and no sleeping, and
// sg-worker's main() calls Tick() in a loop.
//
// Pack lifecycle: claimed -> child running -> child exited (or stopped by us) -> points flushed
// -> each run ended at the coordinator -> pack forgotten. The spool is written before any send
// and trimmed only after the coordinator acknowledged (it replies after commit), so a point is
// lost only if the local disk is. When the local disk is full the pack is stopped (it
// checkpoints) and its runs released; their points stay in the attempt's metrics.jsonl, which
// the resumed attempt re-sends up to its checkpoint.
//
// How a pack ends follows sg-train's exit (trainer/api/exit_codes.h): done -> complete; bad
// input -> fail at once, not retried, with sg-train's message; out of memory -> release the runs
// and train the cell with half the seeds per pack (a pack of one seed fails retryably);
// anything else -> fail retryably (the coordinator backs off).
//
// The parts: pack_launch (folders and command line), resume_plan (what a run resumes from),
// trainer_output (reading the child's files), metric_sender (sending and refusals),
// rpc_backoff. This file is the loop that ties them together.
//
// Partial loss of a pack (some runs cancelled or their lease lost, others still ours): the child
// keeps training the others; the gone runs' points are dropped and they get no final RPC. When
// every run of a pack is gone the child is stopped (SIGTERM, then SIGKILL after a grace period).
//
// Thread-safety: not thread-safe. One thread calls Tick(); RequestShutdown() may be called from
// that thread only (main() sets a flag from its signal handler and forwards it).
#ifndef SG_WORKER_WORKER_DAEMON_H_
#define SG_WORKER_WORKER_DAEMON_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"
#include "trainer/api/pack_memory.h"
#include "trainer/api/train_options.h"
#include "worker/coordinator_client.h"
#include "worker/metric_sender.h"
#include "worker/metric_spool.h"
#include "worker/pack_concurrency.h"
#include "worker/process_launcher.h"
#include "worker/resume_plan.h"
#include "worker/rpc_backoff.h"
#include "worker/trainer_output.h"
#include "worker/worker_log.h"

namespace sg {

struct DeviceSlotSpec {
  std::string name;          // "cpu", "cuda:0"
  int64_t memory_bytes = 0;  // registered with the coordinator
  int32_t slots = 1;         // packs trained at once on this device
  int32_t pack_size = 4;     // max runs per pack (ClaimJobs max_runs)
  // Automatic pack size (CUDA, --pack-size 0): each claim of up to pack_size runs is trimmed
  // to the seeds that fit in memory_bytes / slots (device_info.h FitPackToMemory); the
  // surplus runs are released back to the queue at once.
  bool fit_to_memory = false;
  // Packs per device from measurement (--packs-per-device auto, CUDA): `slots` is then the most
  // packs the device may run, and a PackConcurrency rule (pack_concurrency.h) decides how many
  // of them it does, from the work rate measured every concurrency_sample_ms. With
  // fit_to_memory each claim is sized to the memory the device's running packs leave.
  bool auto_packs = false;
};

struct WorkerDaemonOptions {
  std::string hostname;
  std::vector<DeviceSlotSpec> devices;
  std::string work_dir;        // local: pack folders (spec, logs), the spool, the worker id
  std::string checkpoint_dir;  // shared: each pack's sg-train --out folder (checkpoints, curves)
  std::string sg_train = "sg-train";            // the trainer binary
  std::vector<std::string> extra_train_args;    // sg-train flags for every pack (--train-args)
  int64_t claim_interval_ms = 1000;   // after an empty claim, wait this long before asking again
  int64_t flush_interval_ms = 500;    // metric batches go out at most this often per pack
  int32_t max_batch_points = 2000;    // points per ReportMetrics
  int64_t stop_grace_ms = 30'000;     // SIGTERM -> SIGKILL when stopping a child
  int64_t shutdown_flush_ms = 30'000; // after the children exit, keep trying to flush this long
  int64_t retry_min_ms = 200;         // backoff after the coordinator was unreachable ...
  int64_t retry_max_ms = 5'000;       // ... doubling up to this
  int64_t disk_full_pause_ms = 30'000; // no claims this long after the spool could not be written
  // With fit_to_memory: the share of a slot's memory a pack may plan to use.
  double memory_usable_fraction = pack_memory::kDefaultUsableFraction;
  // auto_packs devices: how often the work rate is sampled, and the decision rule's options.
  int64_t concurrency_sample_ms = 5'000;
  PackConcurrencyOptions concurrency;
};

class WorkerDaemon {
 public:
  // `client`, `launcher` and `clock` must outlive the daemon.
  WorkerDaemon(WorkerDaemonOptions options, CoordinatorClient* client, ProcessLauncher* launcher,
               Clock* clock);
  ~WorkerDaemon();

  // Creates the work folders, checks the extra sg-train arguments and loads spools left by a
  // previous daemon (sent at the next Tick). kInvalidArgument for bad options, kInternal when
  // the work folder is unusable.
  absl::Status Init();

  // One pass of the loop: register if needed, watch children, read their output, send points,
  // report checkpoints, heartbeat, stop/finish packs, claim work. Never blocks longer than one
  // RPC deadline per call it makes.
  void Tick();

  // Begins a graceful stop: SIGTERM to every child (sg-train checkpoints and exits), then flush
  // points, report checkpoints and release every lease. finished() turns true when done.
  void RequestShutdown();
  bool shutting_down() const { return shutting_down_; }
  bool finished() const { return finished_; }

  // Introspection (tests, logs).
  const std::string& worker_id() const { return worker_id_; }
  bool registered() const { return registered_; }
  int active_packs() const { return static_cast<int>(packs_.size()); }
  int64_t pending_points() const;
  int64_t heartbeat_ms() const { return heartbeat_ms_; }
  // Points the coordinator refused permanently (each logged) and dropped.
  int64_t refused_points() const { return sender_.refused_points(); }
  const WorkerDaemonOptions& options() const { return options_; }
  // One running pack as the metrics exporter sees it (worker_metrics.h).
  struct PackView {
    int64_t local_id = 0;
    std::string device;
    int live_runs = 0;             // runs not yet gone or ended
    double steps_per_second = 0;   // the pack's training speed (every seed steps together)
  };
  // A device in automatic packs-per-device mode, as the exporter and logs see it.
  struct ConcurrencyView {
    std::string device;
    int target = 0;                     // packs it may run now
    double model_steps_per_second = 0;  // at the last steady sample (0 before one)
    double work_rate = 0;               // estimated multiply-adds/s at the last steady sample
  };
  std::vector<ConcurrencyView> concurrency_views() const;
  std::vector<PackView> pack_views() const {
    std::vector<PackView> out;
    for (const auto& p : packs_) {
      PackView v{p->local_id, p->device, 0, p->exit.has_value() ? 0 : p->steps_per_second};
      for (const RunSlot& r : p->runs) v.live_runs += (r.gone || r.ended) ? 0 : 1;
      out.push_back(v);
    }
    return out;
  }

 private:
  enum class Ending { kComplete, kRelease, kFailRetryable, kFailNow };
  struct RunSlot {
    int64_t run_id = 0;
    int64_t seed = 0;
    std::string token;
    int64_t step = 0;             // highest step seen from the trainer
    int64_t checkpoint_step = 0;  // the coordinator's record when claimed / after we reported
    int64_t horizon = 0;          // train.steps the trainer was launched with (0: unknown)
    // A committed checkpoint seen but not yet reported (waits for its points to be acked).
    std::optional<std::pair<int64_t, std::string>> pending_checkpoint;
    bool gone = false;   // cancelled or lease lost: no more writes for this run
    bool ended = false;  // final RPC (complete/fail/release) accepted
  };
  struct Pack {
    int64_t local_id = 0;
    int64_t sweep_id = 0;
    std::string cell_key;
    std::string device;
    size_t slot_index = 0;
    std::string pack_dir;  // local
    std::string out_dir;   // sg-train --out
    std::vector<RunSlot> runs;
    std::unique_ptr<ChildProcess> child;
    std::optional<ExitInfo> exit;
    std::string launch_error;  // non-empty: the child never started
    bool stopping = false;     // we sent SIGTERM
    int64_t kill_at_ms = 0;    // SIGKILL after this if still running
    bool release = false;      // end runs by ReleaseJob (shutdown, disk full), not complete/fail
    bool trainer_done = false; // the trainer wrote a "done" event
    // The trainer wrote "released": its training is over and its device memory given back
    // while it writes its last checkpoint. It keeps its runs (and their leases) until it
    // exits, but no longer holds its slot, counts among the device's packs or their memory,
    // so the next pack starts meanwhile.
    bool device_released = false;
    // Trains on its device: the child has neither exited nor given the device back.
    bool OnDevice() const { return !exit.has_value() && !device_released; }
    std::unique_ptr<MetricSpool> spool;
    std::unique_ptr<TrainerOutput> output;
    // Points read from the trainer that the spool could not take (the worker's disk is full):
    // appended again every tick; the pack is stopped meanwhile (see ReadTrainerOutput).
    std::vector<SpooledPoint> unspooled;
    std::optional<Ending> ending;  // decided once the child has exited
    int64_t next_flush_ms = 0;
    // Speed estimate between heartbeats.
    int64_t speed_step = 0;
    int64_t speed_time_ms = 0;
    double steps_per_second = 0;
    // Automatic packs per device: the pack's cost of one model-step (common/pack_cost.h; 0:
    // unknown), its memory estimate (0: unknown), and the highest step seen with the time it
    // was first seen, then the same pair at the last sample (0: none yet).
    double step_cost = 0;
    int64_t memory_bytes = 0;
    PackMemoryEstimate memory_estimate;
    int64_t seen_step = 0;
    int64_t seen_step_ms = 0;
    int64_t sampled_step = 0;
    int64_t sampled_step_ms = 0;
  };
  // The rule and the last measurement of an auto_packs device.
  struct DeviceConcurrency {
    PackConcurrency rule;
    int64_t next_sample_ms = 0;
    std::vector<int64_t> packs_at_last_sample;  // local ids
    double model_steps_per_second = 0;
    double work_rate = 0;
  };

  void Register();
  // auto_packs devices: samples each device's work rate when due and feeds its rule (logging
  // every decision). worker_concurrency.cc.
  void SampleConcurrency();
  // Packs on `device` (children not yet exited nor released their device), and the memory
  // their estimates take.
  int RunningPacksOn(const std::string& device) const;
  int64_t EstimatedBytesOn(const std::string& device) const;
  // Whether one pack more of the kind running on `device` fits its memory by the estimates.
  bool MemoryForAnotherPack(const DeviceSlotSpec& device) const;
  // The pack's cost per model-step and memory estimate, from the claim's stored config.
  void NotePackCostAndMemory(const v1::ClaimJobsResponse& claim, const DeviceSlotSpec& device,
                             Pack* pack) const;
  void ClaimForFreeSlots();
  // Trims `claim` to at most `keep` runs and queues the rest for release (logged with `why`).
  void TrimClaim(v1::ClaimJobsResponse* claim, int keep, const std::string& why);
  // fit_to_memory devices: keeps the runs of `claim` that fit on one slot of `device` (at least
  // one) and queues the rest for release.
  void TrimClaimToMemory(const DeviceSlotSpec& device, v1::ClaimJobsResponse* claim);
  // Releases the queued surplus runs; those the coordinator cannot be reached for wait for
  // the next Tick.
  void ReleaseSurplus();
  void StartPack(const ResumeGroup& group, const DeviceSlotSpec& device, size_t slot_index);
  void ReadTrainerOutput(Pack* pack);
  void NoteCheckpoint(Pack* pack, std::optional<int64_t> seed, int64_t step,
                      const std::string& path);
  void Flush(MetricSpool* spool, std::vector<RunSlot>* runs);
  void ReportCheckpoints(Pack* pack);
  void Heartbeat();
  void StopPack(Pack* pack, const std::string& why);
  void StopIfAllGone(Pack* pack);
  bool FinishPack(Pack* pack);  // true when the pack can be forgotten
  // How a finished pack's runs end, from the trainer's exit (trainer/api/exit_codes.h); called
  // once per pack (it records an out-of-memory cell's smaller pack size).
  Ending EndingOf(Pack* pack);
  void MarkGone(Pack* pack, RunSlot* run, const char* why);
  std::string StderrTail(const Pack& pack) const;

  const WorkerDaemonOptions options_;
  CoordinatorClient* const client_;
  ProcessLauncher* const launcher_;
  Clock* const clock_;
  RpcBackoff backoff_;
  // Heartbeats keep the leases: they retry on their own schedule, so a send of points that
  // keeps failing (and keeps backoff_ waiting) never starves them until the leases expire.
  RpcBackoff heartbeat_backoff_;
  MetricSender sender_;
  TrainPackOptions base_train_;  // the operator's extra sg-train flags, parsed at Init

  std::string worker_id_;
  bool registered_ = false;
  int64_t lease_ms_ = 60'000;
  int64_t heartbeat_ms_ = 15'000;
  int64_t next_heartbeat_ms_ = 0;
  int64_t failed_heartbeats_ = 0;  // in a row, for the outage's two log lines
  int64_t next_claim_ms_ = 0;
  int64_t next_pack_id_ = 1;
  bool shutting_down_ = false;
  bool finished_ = false;
  int64_t shutdown_deadline_ms_ = 0;

  std::vector<std::pair<std::string, size_t>> slots_;  // (device, slot index)
  std::vector<int> slot_busy_;  // packs running on each slot (a claim may become several)
  // Those of slot_busy_[slot] that have not released their device: a slot is free at 0.
  int PacksHoldingSlot(size_t slot) const;
  std::vector<std::unique_ptr<Pack>> packs_;
  // Spools left by an earlier daemon: sent with their recorded tokens, then deleted.
  std::vector<std::unique_ptr<MetricSpool>> orphan_spools_;
  // Claimed runs beyond what fits, waiting for their ReleaseJob: (lease, step).
  std::vector<std::pair<v1::LeaseRef, int64_t>> surplus_;
  // Cells whose pack ran out of memory: (sweep, cell) -> the most seeds to train at once now.
  std::map<std::pair<int64_t, std::string>, int> oom_caps_;
  std::map<std::string, DeviceConcurrency> concurrency_;  // auto_packs devices by name
};

}  // namespace sg

#endif  // SG_WORKER_WORKER_DAEMON_H_
