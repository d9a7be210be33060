#include "coordinator/coordinator_metrics.h"

#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "sg/v1/sg.pb.h"

namespace sg {

namespace {

constexpr char kReportMetricsMethod[] = "/sg.v1.WorkerService/ReportMetrics";

// "/sg.v1.WorkerService/ClaimJobs" -> "ClaimJobs" (method names are unique across sg's
// services); other paths (health, reflection) are kept whole.
std::string ShortMethod(const std::string& path) {
  if (path.rfind("/sg.v1.", 0) == 0) {
    const size_t slash = path.rfind('/');
    return path.substr(slash + 1);
  }
  return path;
}

const char* CodeName(int code) {
  static const char* const kNames[] = {
      "OK",          "CANCELLED",         "UNKNOWN",        "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",   "ALREADY_EXISTS", "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",        "UNAVAILABLE",    "DATA_LOSS",
      "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN";
}

// Times one call: created when the call arrives, reads the request of ReportMetrics (how many
// points) and the status the handler returns.
class RpcMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcMetricsInterceptor(CoordinatorMetrics* metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)),
        start_ms_(metrics->clock()->NowMillis()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        method_ == kReportMetricsMethod && methods->GetRecvMessage() != nullptr) {
      points_ = static_cast<const v1::ReportMetricsRequest*>(methods->GetRecvMessage())
                    ->points_size();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const double seconds = (metrics_->clock()->NowMillis() - start_ms_) / 1000.0;
      metrics_->RecordRpc(method_, status.error_code(), seconds);
      if (method_ == kReportMetricsMethod && status.ok()) {
        metrics_->RecordAcknowledged(points_, seconds);
      }
    }
    methods->Proceed();
  }

 private:
  CoordinatorMetrics* const metrics_;
  const std::string method_;
  const int64_t start_ms_;
  int64_t points_ = 0;
};

class RpcMetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcMetricsInterceptorFactory(CoordinatorMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcMetricsInterceptor(metrics_, info->method() ? info->method() : "");
  }

 private:
  CoordinatorMetrics* const metrics_;
};

}  // namespace

CoordinatorMetrics::CoordinatorMetrics(std::string db_path, Clock* clock)
    : db_path_(std::move(db_path)),
      clock_(clock),
      rpc_latency_(Histogram::LatencyBounds()),
      ack_latency_(Histogram::LatencyBounds()) {}

void CoordinatorMetrics::RecordRpc(const std::string& method, int code, double seconds) {
  const std::string name = ShortMethod(method);
  rpcs_.Add({{"method", name}, {"code", CodeName(code)}}, 1);
  rpc_latency_.Observe({{"method", name}}, seconds);
}

void CoordinatorMetrics::RecordAcknowledged(int64_t points, double seconds) {
  points_acknowledged_.Add({}, static_cast<double>(points));
  ack_latency_.Observe({}, seconds);
}

void CoordinatorMetrics::AddLeasesExpired(int64_t n) {
  leases_expired_.Add({}, static_cast<double>(n));
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
CoordinatorMetrics::InterceptorFactory() {
  return std::make_unique<RpcMetricsInterceptorFactory>(this);
}

std::string CoordinatorMetrics::Render(Coordinator* coordinator) const {
  ExpositionWriter out;
  Store* store = coordinator->store();
  const int64_t now_ms = clock_->NowMillis();

  absl::StatusOr<std::vector<SweepRecord>> sweeps = store->ListSweeps();
  if (sweeps.ok()) {
    std::map<std::string, int64_t> by_state = {{"queued", 0},    {"running", 0}, {"succeeded", 0},
                                               {"failed", 0},    {"cancelled", 0}};
    int64_t held = 0, overdue = 0;
    for (const SweepRecord& s : *sweeps) {
      by_state["queued"] += s.queued;
      by_state["running"] += s.running;
      by_state["succeeded"] += s.succeeded;
      by_state["failed"] += s.failed;
      by_state["cancelled"] += s.cancelled_runs;
      if (s.running == 0) continue;
      absl::StatusOr<std::vector<RunRecord>> running = store->ListRuns(s.sweep_id, RunState::kRunning);
      if (!running.ok()) continue;
      for (const RunRecord& r : *running) (r.lease_expires_ms >= now_ms ? held : overdue)++;
    }
    out.Family("sg_coordinator_runs", "gauge", "Runs by state, over every sweep.");
    for (const auto& [state, n] : by_state) {
      out.Sample("sg_coordinator_runs", {{"state", state}}, static_cast<double>(n));
    }
    out.Family("sg_coordinator_leases_held", "gauge", "Running runs whose lease is live.");
    out.Sample("sg_coordinator_leases_held", {}, static_cast<double>(held));
    out.Family("sg_coordinator_leases_overdue", "gauge",
               "Running runs whose lease has passed and that the expiry scan has not re-queued yet.");
    out.Sample("sg_coordinator_leases_overdue", {}, static_cast<double>(overdue));
  }

  out.Family("sg_coordinator_leases_expired_total", "counter",
             "Leases that expired without a heartbeat and were re-queued (or failed) by the expiry scan.");
  out.Sample("sg_coordinator_leases_expired_total", {}, leases_expired_.Total());
  out.Family("sg_coordinator_points_acknowledged_total", "counter",
             "Metric points committed and acknowledged to workers.");
  out.Sample("sg_coordinator_points_acknowledged_total", {}, points_acknowledged_.Total());
  out.Family("sg_coordinator_ack_latency_seconds", "histogram",
             "ReportMetrics latency: from the batch's arrival to its acknowledgement (after commit).");
  ack_latency_.Write("sg_coordinator_ack_latency_seconds", &out);
  out.Family("sg_coordinator_rpcs_total", "counter", "RPCs handled, by method and status code.");
  rpcs_.Write("sg_coordinator_rpcs_total", &out);
  out.Family("sg_coordinator_rpc_latency_seconds", "histogram", "RPC latency by method.");
  rpc_latency_.Write("sg_coordinator_rpc_latency_seconds", &out);

  if (!db_path_.empty()) {
    int64_t bytes = 0;
    for (const std::string& suffix : {"", "-wal"}) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(db_path_ + suffix, ec);
      if (!ec) bytes += static_cast<int64_t>(size);
    }
    out.Family("sg_coordinator_database_bytes", "gauge", "Size of the SQLite database and its WAL.");
    out.Sample("sg_coordinator_database_bytes", {}, static_cast<double>(bytes));
  }

  absl::StatusOr<std::vector<WorkerRecord>> workers = store->ListWorkers();
  if (workers.ok()) {
    const int64_t lease_ms = coordinator->options().policy.lease_ms;
    int64_t online = 0;
    for (const WorkerRecord& w : *workers) {
      if (now_ms - w.last_heartbeat_ms <= lease_ms) ++online;
    }
    out.Family("sg_coordinator_workers_online", "gauge",
               "Workers heard from (register, claim or heartbeat) within one lease length.");
    out.Sample("sg_coordinator_workers_online", {}, static_cast<double>(online));
    out.Family("sg_coordinator_workers_registered", "gauge", "Workers ever registered.");
    out.Sample("sg_coordinator_workers_registered", {}, static_cast<double>(workers->size()));
  }
  std::string text = out.text();
  if (!sweeps.ok()) absl::StrAppend(&text, "# runs unavailable: ", sweeps.status().message(), "\n");
  if (!workers.ok()) absl::StrAppend(&text, "# workers unavailable: ", workers.status().message(), "\n");
  return text;
}

}  // namespace sg
