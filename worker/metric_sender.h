// Sends a spool's points to the coordinator in batches and acknowledges them in the spool once
// the coordinator has stored them. What a refusal means decides what happens to the points:
//   transient (coordinator down, storage full, ...): nothing is dropped; the send stops and is
//     tried again after the backoff;
//   FAILED_PRECONDITION / NOT_FOUND (a lease is no longer ours): the batch is stored all or
//     nothing, so each of its leases is probed alone; the runs whose lease is gone lose their
//     points (nobody would accept them) and are reported back as gone;
//   INVALID_ARGUMENT (the coordinator says a point itself is bad, permanently): each point of
//     the batch is sent alone and only the points refused that way are dropped, each logged and
//     counted;
//   anything else: kept, like a transient error.
// A transient failure is logged when a run of them starts and again when a batch gets through,
// so an outage shows in the worker's log without a line per retry.
//
// Thread-safety: not thread-safe; one owner (the daemon's thread).
#ifndef SG_WORKER_METRIC_SENDER_H_
#define SG_WORKER_METRIC_SENDER_H_

#include <cstdint>
#include <set>
#include <string>

#include "worker/coordinator_client.h"
#include "worker/metric_spool.h"
#include "worker/rpc_backoff.h"

namespace sg {

class MetricSender {
 public:
  // `client` and `backoff` must outlive the sender.
  MetricSender(CoordinatorClient* client, RpcBackoff* backoff, int32_t max_batch_points)
      : client_(client), backoff_(backoff), max_batch_points_(max_batch_points) {}

  struct Outcome {
    bool unreachable = false;   // stopped on a transient error; the rest waits
    std::set<int64_t> gone_runs;  // runs whose lease was refused; their points were dropped
  };
  // Sends what `spool` holds, oldest first, until it is empty or a call fails transiently.
  Outcome Flush(const std::string& worker_id, MetricSpool* spool);

  // Points dropped so far because the coordinator refused them permanently (each was logged).
  int64_t refused_points() const { return refused_points_; }

 private:
  // Probes each lease of a refused batch alone; drops the points of the stale ones.
  bool DropStaleRuns(const std::string& worker_id, const std::set<std::pair<int64_t, std::string>>& leases,
                     MetricSpool* spool, Outcome* outcome);
  // Sends each of the first n points alone; drops those refused with INVALID_ARGUMENT.
  bool DropRefusedPoints(const std::string& worker_id, size_t n, MetricSpool* spool,
                         Outcome* outcome);

  CoordinatorClient* const client_;
  RpcBackoff* const backoff_;
  const int32_t max_batch_points_;
  int64_t refused_points_ = 0;
  int64_t failed_sends_ = 0;  // transient failures since the last batch that got through
};

}  // namespace sg

#endif  // SG_WORKER_METRIC_SENDER_H_
