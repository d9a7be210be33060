// CoordinatorMetrics: what sg-coordinator exports at /metrics (--metrics-listen). Counters and
// latency histograms are kept here as events happen (every RPC through the interceptor below,
// lease expiries from the server's expiry loop); gauges (runs by state, leases held and
// expired, workers online, database size) are read from the Store at scrape time, so a scrape
// costs one ListSweeps, one ListWorkers and a stat of the database files.
//
// Names (public interface, docs/deploy.md lists them):
//   sg_coordinator_runs{state}                      gauge
//   sg_coordinator_leases_held                      gauge   running runs whose lease is live
//   sg_coordinator_leases_overdue                   gauge   running runs whose lease has passed
//   sg_coordinator_leases_expired_total             counter leases the expiry scan re-queued
//   sg_coordinator_points_acknowledged_total        counter metric points committed (ReportMetrics OK)
//   sg_coordinator_ack_latency_seconds              histogram ReportMetrics receipt to reply
//   sg_coordinator_rpcs_total{method,code}          counter
//   sg_coordinator_rpc_latency_seconds{method}      histogram
//   sg_coordinator_database_bytes                   gauge   database file plus its WAL
//   sg_coordinator_workers_online                   gauge   heartbeat within one lease
//   sg_coordinator_workers_registered               gauge
//
// Thread-safety: every method may be called from any thread.
#ifndef SG_COORDINATOR_COORDINATOR_METRICS_H_
#define SG_COORDINATOR_COORDINATOR_METRICS_H_

#include <cstdint>
#include <memory>
#include <string>

#include <grpcpp/support/server_interceptor.h>

#include "common/clock.h"
#include "common/prometheus_text.h"
#include "coordinator/coordinator.h"

namespace sg {

class CoordinatorMetrics {
 public:
  // `db_path` may be empty (in-memory store: no database size). `clock` measures latencies and
  // ages; it must outlive this object.
  CoordinatorMetrics(std::string db_path, Clock* clock);

  // One finished RPC. `method` is the gRPC path ("/sg.v1.WorkerService/ClaimJobs").
  void RecordRpc(const std::string& method, int code, double seconds);
  // A ReportMetrics call that committed `points` points after `seconds`.
  void RecordAcknowledged(int64_t points, double seconds);
  void AddLeasesExpired(int64_t n);

  // The whole exposition. Store errors become a comment line and the gauges they feed are left
  // out, so one failing read does not blank the counters.
  std::string Render(Coordinator* coordinator) const;

  // An interceptor factory that feeds RecordRpc and RecordAcknowledged for every call the
  // server handles; `this` must outlive the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

  Clock* clock() const { return clock_; }
  double points_acknowledged() const { return points_acknowledged_.Total(); }

 private:
  const std::string db_path_;
  Clock* const clock_;
  LabeledCounter rpcs_;
  Histogram rpc_latency_;
  LabeledCounter points_acknowledged_;
  Histogram ack_latency_;
  LabeledCounter leases_expired_;
};

}  // namespace sg

#endif  // SG_COORDINATOR_COORDINATOR_METRICS_H_
