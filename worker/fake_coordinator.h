// Test-only fakes for the daemon's unit tests: an in-memory WorkerService with fault injection
// and a process launcher whose children the test ends by hand. Not linked into sg-worker.
#ifndef SG_WORKER_FAKE_COORDINATOR_H_
#define SG_WORKER_FAKE_COORDINATOR_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "worker/coordinator_client.h"
#include "worker/process_launcher.h"

namespace sg {

// A queue of runs with fencing tokens, enough of the coordinator's contract for the daemon:
// points keyed (run, metric, step), batches all or nothing, stale tokens refused.
class FakeCoordinator final : public CoordinatorClient {
 public:
  struct FakeRun {
    int64_t run_id = 0;
    int64_t seed = 0;
    std::string cell_key = "depth=1";
    std::string token;  // empty: not leased
    std::string state = "queued";
    int64_t checkpoint_step = 0;
    std::string checkpoint_path;
    int64_t step = 0;
    double steps_per_second = 0;
    std::string last_error;
  };

  void AddRun(int64_t run_id, int64_t seed, const std::string& cell = "depth=1") {
    FakeRun r;
    r.run_id = run_id;
    r.seed = seed;
    r.cell_key = cell;
    runs[run_id] = r;
  }
  // Simulates lease expiry + re-queue: the holder's token is no longer current.
  void ExpireLease(int64_t run_id) {
    runs[run_id].token.clear();
    runs[run_id].state = "queued";
  }
  void Cancel(int64_t run_id) { runs[run_id].state = "cancelled"; }

  bool down = false;  // every call fails with kUnavailable
  bool metrics_down = false;  // ReportMetrics fails with kUnavailable (the coordinator's disk full)
  int release_failures = 0;  // the next N ReleaseJob calls fail with kUnavailable
  std::string spec_yaml = "name: t\ntask: dyck\n";  // what ClaimJobs returns as the sweep's spec
  // Each claimed run's Run.resolved_config_json (empty: a run stored before configs were).
  std::string resolved_config_json;
  int64_t releases = 0;      // ReleaseJob calls accepted
  std::map<int64_t, FakeRun> runs;
  std::map<std::tuple<int64_t, std::string, int64_t>, double> points;
  int64_t metric_calls = 0, points_received = 0, heartbeats = 0, registrations = 0;
  std::vector<v1::HeartbeatRequest> heartbeat_log;
  std::vector<v1::ClaimJobsRequest> claim_log;

  absl::StatusOr<v1::RegisterWorkerResponse> RegisterWorker(
      const v1::RegisterWorkerRequest& request) override {
    if (down) return absl::UnavailableError("down");
    ++registrations;
    v1::RegisterWorkerResponse reply;
    reply.set_worker_id(request.worker_id().empty() ? "w-1" : request.worker_id());
    reply.set_lease_ms(4000);
    reply.set_heartbeat_ms(1000);
    return reply;
  }
  absl::StatusOr<v1::ClaimJobsResponse> ClaimJobs(const v1::ClaimJobsRequest& request) override {
    if (down) return absl::UnavailableError("down");
    claim_log.push_back(request);
    v1::ClaimJobsResponse reply;
    std::string cell;
    for (auto& [id, r] : runs) {
      if (r.state != "queued") continue;
      if (!cell.empty() && r.cell_key != cell) continue;
      if (reply.runs_size() >= request.max_runs()) break;
      cell = r.cell_key;
      r.state = "running";
      r.token = absl::StrCat("t", ++next_token_);
      v1::ClaimedRun* c = reply.add_runs();
      c->set_lease_token(r.token);
      c->mutable_run()->set_run_id(r.run_id);
      c->mutable_run()->set_seed(r.seed);
      c->mutable_run()->set_cell_key(r.cell_key);
      c->mutable_run()->set_checkpoint_step(r.checkpoint_step);
      c->mutable_run()->set_checkpoint_path(r.checkpoint_path);
      c->mutable_run()->set_step(r.step);
      c->mutable_run()->set_resolved_config_json(resolved_config_json);
    }
    if (reply.runs_size() > 0) {
      reply.set_cell_key(cell);
      reply.set_sweep_id(7);
      reply.set_spec_yaml(spec_yaml);
    }
    return reply;
  }
  absl::StatusOr<v1::HeartbeatResponse> Heartbeat(const v1::HeartbeatRequest& request) override {
    if (down) return absl::UnavailableError("down");
    ++heartbeats;
    heartbeat_log.push_back(request);
    v1::HeartbeatResponse reply;
    for (const v1::LeaseRef& l : request.leases()) {
      FakeRun& r = runs[l.run_id()];
      if (r.state == "cancelled") {
        reply.add_cancelled_run_ids(l.run_id());
      } else if (!Current(l)) {
        reply.add_lost_run_ids(l.run_id());
      } else {
        reply.add_renewed_run_ids(l.run_id());
      }
    }
    for (const v1::RunProgress& p : request.progress()) {
      if (!Current(p.lease())) continue;
      runs[p.lease().run_id()].step = std::max(runs[p.lease().run_id()].step, p.step());
      runs[p.lease().run_id()].steps_per_second = p.steps_per_second();
    }
    return reply;
  }
  absl::StatusOr<v1::ReportMetricsResponse> ReportMetrics(
      const v1::ReportMetricsRequest& request) override {
    if (down || metrics_down) return absl::UnavailableError("down");
    ++metric_calls;
    std::set<int64_t> leased;
    for (const v1::LeaseRef& l : request.leases()) {
      if (!Current(l)) return absl::FailedPreconditionError(absl::StrCat("run ", l.run_id(), " stale"));
      leased.insert(l.run_id());
    }
    for (const v1::MetricPoint& p : request.points()) {
      if (leased.count(p.run_id()) == 0) return absl::InvalidArgumentError("point without lease");
    }
    for (const v1::MetricPoint& p : request.points()) {
      points[{p.run_id(), p.metric(), p.step()}] = p.value();
      ++points_received;
    }
    v1::ReportMetricsResponse reply;
    reply.set_accepted_points(request.points_size());
    return reply;
  }
  absl::Status ReportCheckpoint(const v1::ReportCheckpointRequest& request) override {
    if (down) return absl::UnavailableError("down");
    if (!Current(request.lease())) return absl::FailedPreconditionError("stale");
    FakeRun& r = runs[request.lease().run_id()];
    r.checkpoint_step = request.step();
    r.checkpoint_path = request.path();
    return absl::OkStatus();
  }
  absl::Status CompleteJob(const v1::CompleteJobRequest& request) override {
    if (down) return absl::UnavailableError("down");
    if (!Current(request.lease())) return absl::FailedPreconditionError("stale");
    End(request.lease().run_id(), "succeeded");
    return absl::OkStatus();
  }
  absl::Status FailJob(const v1::FailJobRequest& request) override {
    if (down) return absl::UnavailableError("down");
    if (!Current(request.lease())) return absl::FailedPreconditionError("stale");
    End(request.lease().run_id(), request.retryable() ? "queued" : "failed");
    runs[request.lease().run_id()].last_error = request.reason();
    return absl::OkStatus();
  }
  absl::Status ReleaseJob(const v1::ReleaseJobRequest& request) override {
    if (down) return absl::UnavailableError("down");
    if (release_failures > 0) {
      --release_failures;
      return absl::UnavailableError("release: connection reset");
    }
    if (!Current(request.lease())) return absl::FailedPreconditionError("stale");
    ++releases;
    End(request.lease().run_id(), "queued");
    return absl::OkStatus();
  }

  size_t PointsOf(int64_t run_id) const {
    size_t n = 0;
    for (const auto& [key, v] : points) n += std::get<0>(key) == run_id ? 1 : 0;
    return n;
  }

 private:
  bool Current(const v1::LeaseRef& l) {
    auto it = runs.find(l.run_id());
    return it != runs.end() && it->second.state == "running" && it->second.token == l.lease_token();
  }
  void End(int64_t run_id, const std::string& state) {
    runs[run_id].state = state;
    runs[run_id].token.clear();
  }
  int64_t next_token_ = 0;
};

// Children that run until the test ends them.
class FakeLauncher final : public ProcessLauncher {
 public:
  struct State {
    LaunchOptions options;
    std::optional<ExitInfo> exit;
    std::vector<int> signals;
    // When set, SIGTERM ends the child with this exit (a trainer that checkpoints and exits).
    std::optional<ExitInfo> exit_on_sigterm = ExitInfo{false, 0, 0};
  };
  class Child final : public ChildProcess {
   public:
    explicit Child(std::shared_ptr<State> s) : s_(std::move(s)) {}
    std::optional<ExitInfo> Poll() override { return s_->exit; }
    void Kill(int signal) override {
      s_->signals.push_back(signal);
      if (s_->exit.has_value()) return;
      if (signal == 15 && s_->exit_on_sigterm.has_value()) s_->exit = s_->exit_on_sigterm;
      if (signal == 9) s_->exit = ExitInfo{true, 0, 9};
    }
    int pid() const override { return 4242; }

   private:
    std::shared_ptr<State> s_;
  };

  absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const LaunchOptions& options) override {
    if (fail_start) return absl::FailedPreconditionError("cannot start sg-train: not found");
    auto s = std::make_shared<State>();
    s->options = options;
    children.push_back(s);
    return std::unique_ptr<ChildProcess>(new Child(s));
  }

  bool fail_start = false;
  std::vector<std::shared_ptr<State>> children;
};

}  // namespace sg

#endif  // SG_WORKER_FAKE_COORDINATOR_H_
