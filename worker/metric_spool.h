// The local, durable queue of metric points that the coordinator has not yet acknowledged.
// One spool file per pack (JSON lines, appended and fsync'd before any send), so points read
// from a trainer survive a coordinator restart, a network fault and a daemon crash: the daemon
// re-sends what is here until the coordinator acknowledges it, and the coordinator stores a
// re-sent point once (points are keyed by run, metric and step). After an acknowledgement the
// file is compacted (rewritten without the acknowledged points, then renamed over the old one).
//
// Thread-safety: not thread-safe; one owner.
#ifndef SG_WORKER_METRIC_SPOOL_H_
#define SG_WORKER_METRIC_SPOOL_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace sg {

struct SpooledPoint {
  int64_t run_id = 0;
  std::string lease_token;  // the lease the point was produced under
  std::string metric;
  int64_t step = 0;
  double value = 0;
};

class MetricSpool {
 public:
  // Opens (creating if needed) the spool at `path` and loads the points it holds. A torn last
  // line (a crash in the middle of an append) is dropped: its point was never acknowledged and
  // the resumed trainer produces it again.
  static absl::StatusOr<std::unique_ptr<MetricSpool>> Open(const std::string& path);

  // Appends and fsyncs. On error nothing is added in memory (the file may hold a torn tail,
  // which the next Open drops).
  absl::Status Append(const std::vector<SpooledPoint>& points);
  // The unacknowledged points, oldest first.
  const std::deque<SpooledPoint>& pending() const { return pending_; }
  bool empty() const { return pending_.empty(); }
  // Forgets the oldest n points (the coordinator acknowledged them) and compacts the file.
  absl::Status Ack(size_t n);
  // Forgets every point of run_id (its lease is gone; nobody will accept them).
  absl::Status DropRun(int64_t run_id);
  // Forgets the pending points of (run_id, metric, step): the coordinator refused that point for
  // a permanent reason (the caller logs and counts it).
  absl::Status DropPoint(int64_t run_id, const std::string& metric, int64_t step);
  // True when no pending point of run_id has step <= step.
  bool AllAckedUpTo(int64_t run_id, int64_t step) const;
  // Deletes the file. The spool must not be used afterwards.
  absl::Status Remove();

  const std::string& path() const { return path_; }

 private:
  explicit MetricSpool(std::string path) : path_(std::move(path)) {}
  absl::Status Rewrite();

  const std::string path_;
  std::deque<SpooledPoint> pending_;
};

}  // namespace sg

#endif  // SG_WORKER_METRIC_SPOOL_H_
