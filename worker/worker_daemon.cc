#include "worker/worker_daemon.h"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "worker/device_info.h"

namespace sg {

namespace fs = std::filesystem;

void WorkerLog(const std::string& message) {
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm tm_buf;
  localtime_r(&now, &tm_buf);
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm_buf);
  std::fprintf(stderr, "%s sg-worker: %s\n", stamp, message.c_str());
  std::fflush(stderr);
}

namespace {

bool IsTransient(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) || absl::IsAborted(s) ||
         absl::IsResourceExhausted(s) || absl::IsCancelled(s) || absl::IsUnknown(s);
}

// "depth=6,lr=0.0001" -> "depth=6_lr=0.0001": a folder name that keeps the cell readable.
std::string CellFolderName(const std::string& cell_key) {
  std::string out;
  for (char c : cell_key) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '=' || c == '.' || c == '-';
    out.push_back(keep ? c : '_');
  }
  return out.empty() ? "cell" : out;
}

int64_t CheckpointStepFromName(const std::string& name);

// A run's checkpoint folder inside its attempt's --out folder: the old attempt's metrics.jsonl
// (for re-sending points on resume) is then the folder's parent's.
std::string RunCheckpointDir(const std::string& out_dir, int64_t run_id) {
  return (fs::path(out_dir) / absl::StrCat("run-", run_id)).string();
}

bool IsRunCheckpointDir(const fs::path& dir) {
  return dir.filename().string().rfind("run-", 0) == 0;
}

// The newest ckpt-<step>.pt in dir, or -1 (path empty).
int64_t NewestCheckpointIn(const fs::path& dir, fs::path* path) {
  std::error_code ec;
  int64_t newest = -1;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    int64_t step = CheckpointStepFromName(e.path().filename().string());
    if (step > newest) {
      newest = step;
      *path = e.path();
    }
  }
  return newest;
}

// The step a claimed run resumes from out of its per-run checkpoint folder: its newest file
// there if at or after the committed step; -1 when it has none (or lost it); -2 when its
// checkpoint is of the older whole-pack layout.
int64_t RunResumeStep(const v1::ClaimedRun& c) {
  if (c.run().checkpoint_step() <= 0 || c.run().checkpoint_path().empty()) return -1;
  const fs::path dir = fs::path(c.run().checkpoint_path()).parent_path();
  if (!IsRunCheckpointDir(dir)) return -2;
  fs::path file;
  const int64_t newest = NewestCheckpointIn(dir, &file);
  return newest >= c.run().checkpoint_step() ? newest : -1;
}

// A pack resumes all its seeds from one step (sg-train), so a claim whose runs resume from
// different per-run checkpoint steps becomes one sub-claim (one trainer) per step; runs with no
// checkpoint form their own group. Claims with whole-pack checkpoints are left as they are.
std::vector<v1::ClaimJobsResponse> SplitByResumeStep(const v1::ClaimJobsResponse& claim) {
  std::map<int64_t, v1::ClaimJobsResponse> groups;
  for (const v1::ClaimedRun& c : claim.runs()) {
    const int64_t step = RunResumeStep(c);
    if (step == -2) return {claim};
    auto it = groups.find(step);
    if (it == groups.end()) {
      v1::ClaimJobsResponse group = claim;
      group.clear_runs();
      it = groups.emplace(step, std::move(group)).first;
    }
    *it->second.add_runs() = c;
  }
  std::vector<v1::ClaimJobsResponse> out;
  for (auto& [step, group] : groups) out.push_back(std::move(group));
  return out;
}

// ckpt-000000000300.pt -> 300 (the trainer's checkpoint_file.h naming); -1 if not one.
int64_t CheckpointStepFromName(const std::string& name) {
  const std::string prefix = "ckpt-", suffix = ".pt";
  if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return -1;
  }
  std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(digits);
}

v1::LeaseRef LeaseOf(int64_t run_id, const std::string& token) {
  v1::LeaseRef ref;
  ref.set_run_id(run_id);
  ref.set_lease_token(token);
  return ref;
}

}  // namespace

WorkerDaemon::WorkerDaemon(WorkerDaemonOptions options, CoordinatorClient* client,
                           ProcessLauncher* launcher, Clock* clock)
    : options_(std::move(options)), client_(client), launcher_(launcher), clock_(clock) {
  for (const DeviceSlotSpec& d : options_.devices) {
    for (int32_t i = 0; i < d.slots; ++i) slots_.emplace_back(d.name, slots_.size());
  }
  slot_busy_.assign(slots_.size(), 0);
  eval_bytes_ = EvalBytesFromTrainArgs(options_.extra_train_args);
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

bool WorkerDaemon::CoordinatorReachable() const {
  return clock_->NowMillis() >= coordinator_ok_at_ms_;
}

void WorkerDaemon::NoteRpc(const absl::Status& status) {
  if (status.ok() || !IsTransient(status)) {
    retry_ms_ = 0;
    return;
  }
  retry_ms_ = retry_ms_ == 0 ? options_.retry_min_ms : std::min(retry_ms_ * 2, options_.retry_max_ms);
  coordinator_ok_at_ms_ = clock_->NowMillis() + retry_ms_;
}

int64_t WorkerDaemon::pending_points() const {
  int64_t n = 0;
  for (const auto& p : packs_) n += static_cast<int64_t>(p->spool->pending().size());
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
  NoteRpc(reply.status());
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
    if (CoordinatorReachable()) Register();
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
      bool unreachable = false;
      if (CoordinatorReachable()) FlushSpool(orphan_spools_[i].get(), nullptr, &unreachable);
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
      bool unreachable = false;
      if (CoordinatorReachable()) FlushSpool(pack->spool.get(), &pack->runs, &unreachable);
      pack->next_flush_ms = now + options_.flush_interval_ms;
      if (CoordinatorReachable()) ReportCheckpoints(pack.get());
    }
  }

  if (registered_ && now >= next_heartbeat_ms_ && CoordinatorReachable()) Heartbeat();

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

void WorkerDaemon::ClaimForFreeSlots() {
  const int64_t now = clock_->NowMillis();
  if (now < next_claim_ms_) return;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slot_busy_[i] > 0) continue;
    if (!CoordinatorReachable()) return;
    const DeviceSlotSpec* device = nullptr;
    for (const DeviceSlotSpec& d : options_.devices) {
      if (d.name == slots_[i].first) device = &d;
    }
    v1::ClaimJobsRequest request;
    request.set_worker_id(worker_id_);
    request.set_max_runs(device->pack_size);
    request.set_device(device->name);
    absl::StatusOr<v1::ClaimJobsResponse> reply = client_->ClaimJobs(request);
    NoteRpc(reply.status());
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
    for (const v1::ClaimJobsResponse& group : SplitByResumeStep(*reply)) {
      StartPack(group, *device, i);
    }
  }
}

// Claim first, then size: the pack's model (depth, widths, batch, task) is known only from the
// claimed sweep's spec and cell, so the claim asks for up to pack_size runs and the surplus goes
// back to the queue, where another slot or worker claims it. Releasing (rather than training the
// surplus as a second pack later) keeps no lease on runs that are not training.
void WorkerDaemon::TrimClaimToMemory(const DeviceSlotSpec& device, v1::ClaimJobsResponse* claim) {
  const int claimed = claim->runs_size();
  const int64_t slot_bytes = device.memory_bytes / std::max<int32_t>(1, device.slots);
  const std::string where = absl::StrCat(device.name, " for sweep ", claim->sweep_id(), " cell ",
                                         claim->cell_key());
  absl::StatusOr<PackFit> fit = FitPackToMemory(claim->spec_yaml(), claim->cell_key(), slot_bytes,
                                                eval_bytes_, options_.memory_usable_fraction);
  if (!fit.ok()) {
    // sg-train reads the same spec and will fail the attempt with a clear reason.
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
  if (keep >= claimed) return;
  std::vector<int64_t> released;
  for (int i = keep; i < claimed; ++i) {
    const v1::ClaimedRun& c = claim->runs(i);
    surplus_.emplace_back(LeaseOf(c.run().run_id(), c.lease_token()), c.run().step());
    released.push_back(c.run().run_id());
  }
  claim->mutable_runs()->DeleteSubrange(keep, claimed - keep);
  WorkerLog(absl::StrCat("releasing runs ", absl::StrJoin(released, ","),
                         " back to the queue: they do not fit in this pack"));
  ReleaseSurplus();
}

void WorkerDaemon::ReleaseSurplus() {
  while (!surplus_.empty()) {
    if (!CoordinatorReachable()) return;
    v1::ReleaseJobRequest request;
    *request.mutable_lease() = surplus_.back().first;
    request.set_step(surplus_.back().second);
    absl::Status s = client_->ReleaseJob(request);
    NoteRpc(s);
    if (IsTransient(s)) return;  // the next Tick tries again
    if (!s.ok()) {
      // Refused: the lease is no longer ours (expired, cancelled); nothing left to give back.
      WorkerLog(absl::StrCat("run ", request.lease().run_id(), ": release refused (",
                             s.ToString(), ")"));
    }
    surplus_.pop_back();
  }
}

void WorkerDaemon::StartPack(const v1::ClaimJobsResponse& claim, const DeviceSlotSpec& device,
                             size_t slot_index) {
  auto pack = std::make_unique<Pack>();
  pack->local_id = next_pack_id_++;
  pack->sweep_id = claim.sweep_id();
  pack->cell_key = claim.cell_key();
  pack->device = device.name;
  pack->slot_index = slot_index;
  std::vector<int64_t> seeds;
  for (const v1::ClaimedRun& c : claim.runs()) {
    RunSlot run;
    run.run_id = c.run().run_id();
    run.seed = c.run().seed();
    run.token = c.lease_token();
    run.step = c.run().step();
    run.checkpoint_step = c.run().checkpoint_step();
    pack->runs.push_back(run);
    seeds.push_back(run.seed);
  }
  std::sort(seeds.begin(), seeds.end());
  const int64_t now = clock_->NowMillis();
  pack->pack_dir = (fs::path(options_.work_dir) / "packs" /
                    absl::StrCat("pack-", now, "-", pack->local_id))
                       .string();
  // The trainer's --out folder lives on the shared checkpoint filesystem, one folder per attempt
  // under the pack's sweep, cell and seeds. A fresh folder per attempt means a worker presumed
  // dead (paused, partitioned) can never write into the folder of the attempt that replaced it.
  std::string worker_tag;
  for (char c : worker_id_) worker_tag.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  pack->out_dir = (fs::path(options_.checkpoint_dir) / absl::StrCat("sweep-", pack->sweep_id) /
                   CellFolderName(pack->cell_key) / absl::StrCat("seeds-", absl::StrJoin(seeds, "_")) /
                   absl::StrCat("attempt-", now, "-", worker_tag, "-", pack->local_id))
                      .string();
  ++slot_busy_[slot_index];
  pack->speed_time_ms = now;
  pack->next_flush_ms = now;

  std::error_code ec;
  fs::create_directories(pack->pack_dir, ec);
  if (!ec) fs::create_directories(pack->out_dir, ec);
  const std::string spool_path =
      (fs::path(options_.work_dir) / "spool" / absl::StrCat("pack-", now, "-", pack->local_id, ".jsonl"))
          .string();
  absl::StatusOr<std::unique_ptr<MetricSpool>> spool = MetricSpool::Open(spool_path);
  if (spool.ok()) {
    pack->spool = std::move(*spool);
  } else {
    pack->launch_error = std::string(spool.status().message());
    // A spool in memory only would lose points on a crash; fail the attempt instead.
    pack->spool = nullptr;
  }
  if (!ec && pack->spool != nullptr) PrepareResume(claim, pack.get());
  pack->metrics = std::make_unique<JsonlTailer>((fs::path(pack->out_dir) / "metrics.jsonl").string());
  pack->events = std::make_unique<JsonlTailer>((fs::path(pack->out_dir) / "events.jsonl").string());

  const std::string spec_path = (fs::path(pack->pack_dir) / "spec.yaml").string();
  if (ec) pack->launch_error = absl::StrCat("cannot create pack folders: ", ec.message());
  if (pack->launch_error.empty()) {
    std::ofstream spec(spec_path);
    spec << claim.spec_yaml();
    if (!spec) pack->launch_error = absl::StrCat("cannot write ", spec_path);
  }
  std::string seeds_arg;
  for (const RunSlot& r : pack->runs) absl::StrAppend(&seeds_arg, seeds_arg.empty() ? "" : ",", r.seed);
  LaunchOptions launch;
  launch.argv = {options_.sg_train, "--spec",   spec_path,     "--cell", pack->cell_key,
                 "--seeds",         seeds_arg,  "--out",       pack->out_dir,
                 "--device",        device.name};
  // Per-run checkpoint folders (sg-train writes each seed's share of the state to its own
  // folder), so a re-queued run resumes from its own files in any pack composition.
  std::string seed_dirs;
  for (const RunSlot& r : pack->runs) {
    absl::StrAppend(&seed_dirs, seed_dirs.empty() ? "" : ",", r.seed, "=",
                    RunCheckpointDir(pack->out_dir, r.run_id));
  }
  launch.argv.push_back("--seed-checkpoint-dirs");
  launch.argv.push_back(seed_dirs);
  for (const std::string& a : options_.extra_train_args) launch.argv.push_back(a);
  launch.cwd = pack->pack_dir;
  launch.stdout_path = (fs::path(pack->pack_dir) / "stdout.log").string();
  launch.stderr_path = (fs::path(pack->pack_dir) / "stderr.log").string();
  std::vector<std::string> ids;
  for (const RunSlot& r : pack->runs) ids.push_back(absl::StrCat(r.run_id, "(seed ", r.seed, ")"));
  if (pack->launch_error.empty()) {
    absl::StatusOr<std::unique_ptr<ChildProcess>> child = launcher_->Start(launch);
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
      auto fallback = MetricSpool::Open(spool_path + ".fallback");
      if (fallback.ok()) pack->spool = std::move(*fallback);
    }
  }
  packs_.push_back(std::move(pack));
}

// Resume. Checkpoints in per-run folders (what sg-train --seed-checkpoint-dirs writes, as this
// daemon asks) go to PrepareRunResume. What follows is the older whole-pack layout.
// The coordinator records, per run, the latest committed checkpoint: one whose points
// (every step up to it) were acknowledged before it was reported. A re-queued pack resumes when
// all its runs name the same checkpoint and that checkpoint's pack had exactly these seeds
// (sg-train checkpoints a whole pack; the folder name says which seeds). The newest checkpoint
// file of that attempt's folder is linked into the new --out folder, where sg-train finds and
// loads it. It may be newer than the committed one (its points may not all have been
// acknowledged), so the old attempt's metrics.jsonl points up to that step are re-sent under
// the new lease: nothing between the committed checkpoint and the resume point is lost, and a
// point sent twice is stored once. Otherwise (no checkpoint, or a different pack composition)
// the pack starts from step 0, which is correct, only slower.
void WorkerDaemon::PrepareResume(const v1::ClaimJobsResponse& claim, Pack* pack) {
  bool any = false, per_run = true;
  for (const v1::ClaimedRun& c : claim.runs()) {
    if (c.run().checkpoint_step() > 0 && !c.run().checkpoint_path().empty()) {
      any = true;
      per_run = per_run && IsRunCheckpointDir(fs::path(c.run().checkpoint_path()).parent_path());
    }
  }
  if (any && per_run) {
    PrepareRunResume(claim, pack);
    return;
  }
  std::set<std::string> sources;
  int64_t committed = -1;
  for (const v1::ClaimedRun& c : claim.runs()) {
    if (c.run().checkpoint_step() > 0 && !c.run().checkpoint_path().empty()) {
      sources.insert(c.run().checkpoint_path());
      committed = committed < 0 ? c.run().checkpoint_step()
                                : std::min(committed, c.run().checkpoint_step());
    } else {
      sources.insert("");
    }
  }
  if (sources.size() != 1 || sources.begin()->empty()) {
    if (sources.size() > 1 || (!sources.empty() && !sources.begin()->empty())) {
      WorkerLog(absl::StrCat("pack ", pack->local_id,
                             ": its runs were checkpointed in different packs; starting from "
                             "step 0"));
    }
    return;
  }
  fs::path source_dir = fs::path(*sources.begin()).parent_path();
  if (source_dir.parent_path() != fs::path(pack->out_dir).parent_path()) {
    WorkerLog(absl::StrCat("pack ", pack->local_id, ": checkpoint ", *sources.begin(),
                           " belongs to another pack composition; starting from step 0"));
    return;
  }
  std::error_code ec;
  int64_t newest = -1;
  fs::path newest_path;
  for (const fs::directory_entry& e : fs::directory_iterator(source_dir, ec)) {
    int64_t step = CheckpointStepFromName(e.path().filename().string());
    if (step > newest) {
      newest = step;
      newest_path = e.path();
    }
  }
  if (newest < committed) {
    WorkerLog(absl::StrCat("pack ", pack->local_id, ": checkpoint folder ", source_dir.string(),
                           " lost its checkpoint at step ", committed, "; starting from step 0"));
    return;
  }
  fs::path target = fs::path(pack->out_dir) / newest_path.filename();
  fs::create_hard_link(newest_path, target, ec);
  if (ec) {
    ec.clear();
    fs::copy_file(newest_path, target, fs::copy_options::overwrite_existing, ec);
  }
  if (ec) {
    WorkerLog(absl::StrCat("pack ", pack->local_id, ": cannot link ", newest_path.string(), ": ",
                           ec.message(), "; starting from step 0"));
    return;
  }
  std::map<int64_t, RunSlot*> by_seed;
  for (RunSlot& r : pack->runs) by_seed[r.seed] = &r;
  std::vector<SpooledPoint> replay;
  JsonlTailer old_metrics((source_dir / "metrics.jsonl").string());
  for (const nlohmann::json& line : old_metrics.ReadNew()) {
    TrainerPoint p;
    if (!ParseTrainerPoint(line, &p) || p.step > newest) continue;
    auto it = by_seed.find(p.seed);
    if (it == by_seed.end()) continue;
    replay.push_back(SpooledPoint{it->second->run_id, it->second->token, p.metric, p.step, p.value});
  }
  absl::Status s = pack->spool->Append(replay);
  if (!s.ok()) WorkerLog(absl::StrCat("pack ", pack->local_id, ": spool: ", s.ToString()));
  for (RunSlot& r : pack->runs) r.step = std::max(r.step, newest);
  WorkerLog(absl::StrCat("pack ", pack->local_id, ": resuming from checkpoint step ", newest,
                         " (committed: ", committed, ") of ", source_dir.string(), "; re-sending ",
                         replay.size(), " points up to it"));
}

// Resume from per-run checkpoint folders (written by sg-train --seed-checkpoint-dirs): each
// run's newest file (at or after its committed step) is linked into the run's folder of the
// new attempt, whatever pack the run was in before. sg-train resumes a pack from one step only;
// SplitByResumeStep gave this pack runs of one step, so a mismatch here (a file appeared or
// vanished since) makes every run start from step 0: correct, only slower.
void WorkerDaemon::PrepareRunResume(const v1::ClaimJobsResponse& claim, Pack* pack) {
  struct Source {
    fs::path file;
    int64_t step = -1;
  };
  std::map<int64_t, Source> by_run;  // run_id -> its newest usable checkpoint
  std::set<int64_t> steps;
  for (const v1::ClaimedRun& c : claim.runs()) {
    Source src;
    if (c.run().checkpoint_step() > 0 && !c.run().checkpoint_path().empty()) {
      src.step = NewestCheckpointIn(fs::path(c.run().checkpoint_path()).parent_path(), &src.file);
      if (src.step < c.run().checkpoint_step()) src.step = -1;  // the committed file is gone
    }
    steps.insert(src.step);
    by_run[c.run().run_id()] = src;
  }
  if (steps.size() != 1 || *steps.begin() < 0) {
    WorkerLog(absl::StrCat("pack ", pack->local_id, ": its runs' checkpoints are at different "
                           "steps (or missing); starting every run from step 0"));
    return;
  }
  const int64_t step = *steps.begin();
  std::vector<SpooledPoint> replay;
  for (RunSlot& r : pack->runs) {
    const Source& src = by_run[r.run_id];
    const fs::path dir = RunCheckpointDir(pack->out_dir, r.run_id);
    std::error_code ec;
    fs::create_directories(dir, ec);
    const fs::path target = dir / src.file.filename();
    if (!ec) fs::create_hard_link(src.file, target, ec);
    if (ec) {
      ec.clear();
      fs::copy_file(src.file, target, fs::copy_options::overwrite_existing, ec);
    }
    if (ec) {
      WorkerLog(absl::StrCat("pack ", pack->local_id, ": cannot link ", src.file.string(), ": ",
                             ec.message(), "; starting from step 0"));
      for (RunSlot& other : pack->runs) fs::remove_all(RunCheckpointDir(pack->out_dir, other.run_id), ec);
      return;
    }
    JsonlTailer old_metrics((src.file.parent_path().parent_path() / "metrics.jsonl").string());
    for (const nlohmann::json& line : old_metrics.ReadNew()) {
      TrainerPoint p;
      if (!ParseTrainerPoint(line, &p) || p.step > step || p.seed != r.seed) continue;
      replay.push_back(SpooledPoint{r.run_id, r.token, p.metric, p.step, p.value});
    }
  }
  absl::Status s = pack->spool->Append(replay);
  if (!s.ok()) WorkerLog(absl::StrCat("pack ", pack->local_id, ": spool: ", s.ToString()));
  for (RunSlot& r : pack->runs) r.step = std::max(r.step, step);
  WorkerLog(absl::StrCat("pack ", pack->local_id, ": resuming from checkpoint step ", step,
                         " (per-run checkpoints); re-sending ", replay.size(),
                         " points up to it"));
}

void WorkerDaemon::ReadTrainerOutput(Pack* pack) {
  if (pack->spool == nullptr) return;
  std::map<int64_t, RunSlot*> by_seed;
  for (RunSlot& r : pack->runs) by_seed[r.seed] = &r;
  std::vector<SpooledPoint> fresh;
  for (const nlohmann::json& line : pack->metrics->ReadNew()) {
    TrainerPoint p;
    if (!ParseTrainerPoint(line, &p)) continue;
    auto it = by_seed.find(p.seed);
    if (it == by_seed.end() || it->second->gone) continue;
    RunSlot* run = it->second;
    run->step = std::max(run->step, p.step);
    fresh.push_back(SpooledPoint{run->run_id, run->token, p.metric, p.step, p.value});
  }
  if (!fresh.empty()) {
    absl::Status s = pack->spool->Append(fresh);
    if (!s.ok()) {
      // Not spooled means not safe to send; the points are re-read from metrics.jsonl when the
      // run resumes from its checkpoint. Rewind is not possible here, so stop the pack.
      WorkerLog(absl::StrCat("pack ", pack->local_id, ": spool write failed: ", s.ToString()));
    }
  }
  for (const nlohmann::json& line : pack->events->ReadNew()) {
    std::string kind = line.value("event", std::string());
    int64_t step = line.contains("step") && line["step"].is_number_integer()
                       ? line["step"].get<int64_t>()
                       : -1;
    std::optional<int64_t> seed;
    if (line.contains("seed") && line["seed"].is_number_integer()) seed = line["seed"].get<int64_t>();
    if (kind == "checkpoint" && step >= 0 && line.contains("seed_paths") &&
        line["seed_paths"].is_array() && line["seed_paths"].size() == pack->runs.size()) {
      // Per-seed checkpoints, in --seeds order (the order of pack->runs).
      for (size_t i = 0; i < pack->runs.size(); ++i) {
        const nlohmann::json& p = line["seed_paths"][i];
        if (!p.is_string()) continue;
        NoteCheckpoint(pack, pack->runs[i].seed, step, p.get<std::string>());
      }
    } else if (kind == "checkpoint" && step >= 0) {
      NoteCheckpoint(pack, seed, step, line.value("path", std::string()));
    } else if ((kind == "progress" || kind == "step") && step >= 0) {
      for (RunSlot& r : pack->runs) {
        if (!seed.has_value() || r.seed == *seed) r.step = std::max(r.step, step);
      }
    } else if (kind == "done" || kind == "completed" || kind == "complete") {
      pack->trainer_done = true;
      if (step >= 0) {
        for (RunSlot& r : pack->runs) r.step = std::max(r.step, step);
      }
    }
  }
  // Checkpoint files in the --out folder (ckpt-<step>.pt, written atomically by the trainer):
  // a fallback for trainers that write no checkpoint events.
  std::error_code ec;
  int64_t newest = -1;
  std::string newest_path;
  for (const fs::directory_entry& e : fs::directory_iterator(pack->out_dir, ec)) {
    int64_t step = CheckpointStepFromName(e.path().filename().string());
    if (step > newest) {
      newest = step;
      newest_path = e.path().string();
    }
  }
  if (newest > pack->last_ckpt_scan_step) {
    pack->last_ckpt_scan_step = newest;
    NoteCheckpoint(pack, std::nullopt, newest, newest_path);
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

void WorkerDaemon::FlushSpool(MetricSpool* spool, std::vector<RunSlot>* runs, bool* unreachable) {
  while (!spool->empty()) {
    const std::deque<SpooledPoint>& pending = spool->pending();
    size_t n = std::min(pending.size(), static_cast<size_t>(options_.max_batch_points));
    v1::ReportMetricsRequest request;
    request.set_worker_id(worker_id_);
    std::set<std::pair<int64_t, std::string>> leases;
    for (size_t i = 0; i < n; ++i) {
      const SpooledPoint& p = pending[i];
      leases.emplace(p.run_id, p.lease_token);
      v1::MetricPoint* point = request.add_points();
      point->set_run_id(p.run_id);
      point->set_metric(p.metric);
      point->set_step(p.step);
      point->set_value(p.value);
    }
    for (const auto& l : leases) *request.add_leases() = LeaseOf(l.first, l.second);
    absl::StatusOr<v1::ReportMetricsResponse> reply = client_->ReportMetrics(request);
    NoteRpc(reply.status());
    if (reply.ok()) {
      absl::Status s = spool->Ack(n);
      if (!s.ok()) WorkerLog(absl::StrCat("spool compaction: ", s.ToString()));
      continue;
    }
    if (IsTransient(reply.status())) {
      *unreachable = true;
      return;
    }
    if (absl::IsFailedPrecondition(reply.status()) || absl::IsNotFound(reply.status())) {
      // At least one run of the batch is no longer ours. A batch is stored all or nothing, so
      // find the stale runs one by one; their points are dropped, the others go next round.
      bool dropped_any = false;
      for (const auto& l : leases) {
        v1::ReportMetricsRequest probe;
        probe.set_worker_id(worker_id_);
        *probe.add_leases() = LeaseOf(l.first, l.second);
        absl::StatusOr<v1::ReportMetricsResponse> r = client_->ReportMetrics(probe);
        NoteRpc(r.status());
        if (IsTransient(r.status())) {
          *unreachable = true;
          return;
        }
        if (!r.ok()) {
          WorkerLog(absl::StrCat("run ", l.first, ": points refused (", r.status().ToString(),
                                 "); the run is no longer ours, dropping its points"));
          (void)spool->DropRun(l.first);
          dropped_any = true;
          if (runs != nullptr) {
            for (RunSlot& run : *runs) {
              if (run.run_id == l.first && !run.gone) {
                run.gone = true;
                run.pending_checkpoint.reset();
              }
            }
          }
        }
      }
      if (!dropped_any) return;  // cannot tell which run is stale; retry next round
      continue;
    }
    // Anything else (kInvalidArgument) is a bug in what we send; resending cannot help.
    WorkerLog(absl::StrCat("metrics refused: ", reply.status().ToString(), "; dropping ", n,
                           " points"));
    (void)spool->Ack(n);
  }
}

void WorkerDaemon::ReportCheckpoints(Pack* pack) {
  for (RunSlot& r : pack->runs) {
    if (r.gone || !r.pending_checkpoint.has_value()) continue;
    const int64_t step = r.pending_checkpoint->first;
    // Committed means: every point up to the checkpoint is acknowledged, so a run resumed from
    // it never needs a point that only this worker had.
    if (!pack->spool->AllAckedUpTo(r.run_id, step)) continue;
    if (!CoordinatorReachable()) return;
    v1::ReportCheckpointRequest request;
    *request.mutable_lease() = LeaseOf(r.run_id, r.token);
    request.set_step(step);
    request.set_path(r.pending_checkpoint->second);
    absl::Status s = client_->ReportCheckpoint(request);
    NoteRpc(s);
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
  NoteRpc(reply.status());
  if (!reply.ok()) {
    if (absl::IsNotFound(reply.status())) registered_ = false;  // coordinator forgot us
    WorkerLog(absl::StrCat("heartbeat: ", reply.status().ToString()));
    return;
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

void WorkerDaemon::MarkGone(Pack* pack, RunSlot* run, const char* why) {
  if (run->gone) return;
  WorkerLog(absl::StrCat("run ", run->run_id, " (pack ", pack->local_id, "): ", why,
                         "; no more writes for it"));
  run->gone = true;
  run->pending_checkpoint.reset();
  (void)pack->spool->DropRun(run->run_id);
}

void WorkerDaemon::StopIfAllGone(Pack* pack) {
  if (pack->exit.has_value() || pack->stopping || pack->child == nullptr) return;
  for (const RunSlot& r : pack->runs) {
    if (!r.gone) return;
  }
  WorkerLog(absl::StrCat("pack ", pack->local_id, ": every run is gone; stopping its trainer"));
  pack->child->Kill(SIGTERM);
  pack->stopping = true;
  pack->kill_at_ms = clock_->NowMillis() + options_.stop_grace_ms;
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

bool WorkerDaemon::FinishPack(Pack* pack) {
  if (!pack->exit.has_value()) return false;
  // Every point of a run still ours must be acknowledged (and its checkpoint reported) before
  // the run ends: after CompleteJob/ReleaseJob the lease is gone and nothing more is accepted.
  for (const RunSlot& r : pack->runs) {
    if (r.gone || r.ended) continue;
    if (!pack->spool->AllAckedUpTo(r.run_id, INT64_MAX)) return false;
    if (r.pending_checkpoint.has_value()) return false;
  }
  const bool success = pack->exit->success() && !pack->stopping && !pack->release;
  for (RunSlot& r : pack->runs) {
    if (r.gone || r.ended) continue;
    if (!CoordinatorReachable()) return false;
    absl::Status s;
    const char* what;
    if (pack->release && !(pack->trainer_done && pack->exit->success())) {
      what = "released";
      v1::ReleaseJobRequest request;
      *request.mutable_lease() = LeaseOf(r.run_id, r.token);
      request.set_step(r.step);
      s = client_->ReleaseJob(request);
    } else if (success || (pack->trainer_done && pack->exit->success())) {
      what = "completed";
      v1::CompleteJobRequest request;
      *request.mutable_lease() = LeaseOf(r.run_id, r.token);
      request.set_final_step(r.step);
      s = client_->CompleteJob(request);
    } else {
      what = "failed";
      v1::FailJobRequest request;
      *request.mutable_lease() = LeaseOf(r.run_id, r.token);
      request.set_retryable(true);
      request.set_reason(absl::StrCat("sg-train ", pack->exit->ToString(), " on ",
                                      options_.hostname, " ", pack->device, ": ",
                                      StderrTail(*pack)));
      s = client_->FailJob(request);
    }
    NoteRpc(s);
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

void WorkerDaemon::RequestShutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  const int64_t now = clock_->NowMillis();
  shutdown_deadline_ms_ = now + options_.stop_grace_ms + options_.shutdown_flush_ms;
  WorkerLog(absl::StrCat("shutting down: stopping ", packs_.size(),
                         " trainers (they checkpoint), then releasing their runs"));
  for (auto& pack : packs_) {
    pack->release = true;
    if (pack->child != nullptr && !pack->exit.has_value()) {
      pack->child->Kill(SIGTERM);
      pack->stopping = true;
      pack->kill_at_ms = now + options_.stop_grace_ms;
    }
  }
}

}  // namespace sg
