#include "worker/metric_sender.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "worker/lease_ref.h"
#include "worker/worker_log.h"

namespace sg {

namespace {

// A request carrying `points` and the leases they were produced under.
v1::ReportMetricsRequest Request(const std::string& worker_id,
                                 const std::vector<const SpooledPoint*>& points) {
  v1::ReportMetricsRequest request;
  request.set_worker_id(worker_id);
  std::set<std::pair<int64_t, std::string>> leases;
  for (const SpooledPoint* p : points) {
    leases.emplace(p->run_id, p->lease_token);
    v1::MetricPoint* point = request.add_points();
    point->set_run_id(p->run_id);
    point->set_metric(p->metric);
    point->set_step(p->step);
    point->set_value(p->value);
  }
  for (const auto& l : leases) *request.add_leases() = LeaseOf(l.first, l.second);
  return request;
}

bool LeaseRefused(const absl::Status& s) {
  return absl::IsFailedPrecondition(s) || absl::IsNotFound(s);
}

}  // namespace

MetricSender::Outcome MetricSender::Flush(const std::string& worker_id, MetricSpool* spool) {
  Outcome outcome;
  while (!spool->empty()) {
    if (!backoff_->Ready()) {
      outcome.unreachable = true;
      return outcome;
    }
    const size_t n = std::min(spool->pending().size(), static_cast<size_t>(max_batch_points_));
    std::vector<const SpooledPoint*> batch;
    std::set<std::pair<int64_t, std::string>> leases;
    for (size_t i = 0; i < n; ++i) {
      batch.push_back(&spool->pending()[i]);
      leases.emplace(spool->pending()[i].run_id, spool->pending()[i].lease_token);
    }
    absl::StatusOr<v1::ReportMetricsResponse> reply =
        client_->ReportMetrics(Request(worker_id, batch));
    backoff_->Note(reply.status());
    if (reply.ok()) {
      if (failed_sends_ > 0) {
        WorkerLog(absl::StrCat("metrics: delivered again after ", failed_sends_,
                               " failed attempt(s); no point was dropped"));
        failed_sends_ = 0;
      }
      absl::Status s = spool->Ack(n);
      if (!s.ok()) WorkerLog(absl::StrCat("spool compaction: ", s.ToString()));
      continue;
    }
    bool progressed = false;
    if (LeaseRefused(reply.status())) {
      progressed = DropStaleRuns(worker_id, leases, spool, &outcome);
    } else if (absl::IsInvalidArgument(reply.status())) {
      progressed = DropRefusedPoints(worker_id, n, spool, &outcome);
    } else if (!IsTransientRpcError(reply.status())) {
      WorkerLog(absl::StrCat("metrics: ", reply.status().ToString(),
                             "; keeping the points and trying again"));
    } else if (failed_sends_++ == 0) {
      WorkerLog(absl::StrCat("metrics: ", reply.status().ToString(), "; keeping ",
                             spool->pending().size(),
                             " point(s) and retrying (logged again when a batch gets through)"));
    }
    if (!progressed) {
      outcome.unreachable = true;
      return outcome;
    }
  }
  return outcome;
}

bool MetricSender::DropStaleRuns(const std::string& worker_id,
                                 const std::set<std::pair<int64_t, std::string>>& leases,
                                 MetricSpool* spool, Outcome* outcome) {
  bool dropped_any = false;
  for (const auto& l : leases) {
    v1::ReportMetricsRequest probe;
    probe.set_worker_id(worker_id);
    *probe.add_leases() = LeaseOf(l.first, l.second);
    absl::StatusOr<v1::ReportMetricsResponse> r = client_->ReportMetrics(probe);
    backoff_->Note(r.status());
    if (IsTransientRpcError(r.status())) return dropped_any;
    if (LeaseRefused(r.status())) {
      WorkerLog(absl::StrCat("run ", l.first, ": points refused (", r.status().message(),
                             "); the run is no longer ours, dropping its points"));
      (void)spool->DropRun(l.first);
      outcome->gone_runs.insert(l.first);
      dropped_any = true;
    }
  }
  return dropped_any;
}

bool MetricSender::DropRefusedPoints(const std::string& worker_id, size_t n, MetricSpool* spool,
                                     Outcome* outcome) {
  // Copies: dropping rewrites the spool's queue.
  std::vector<SpooledPoint> batch(spool->pending().begin(),
                                  spool->pending().begin() + static_cast<std::ptrdiff_t>(n));
  bool dropped_any = false;
  size_t accepted = 0;
  for (const SpooledPoint& p : batch) {
    absl::StatusOr<v1::ReportMetricsResponse> r = client_->ReportMetrics(Request(worker_id, {&p}));
    if (r.ok()) ++accepted;
    backoff_->Note(r.status());
    if (IsTransientRpcError(r.status())) return dropped_any;
    if (LeaseRefused(r.status())) {
      WorkerLog(absl::StrCat("run ", p.run_id, ": points refused (", r.status().message(),
                             "); the run is no longer ours, dropping its points"));
      (void)spool->DropRun(p.run_id);
      outcome->gone_runs.insert(p.run_id);
      return true;
    }
    if (absl::IsInvalidArgument(r.status())) {
      ++refused_points_;
      WorkerLog(absl::StrCat("run ", p.run_id, ": point ", p.metric, "@", p.step,
                             " refused permanently (", r.status().message(), "); dropped (",
                             refused_points_, " refused so far)"));
      (void)spool->DropPoint(p.run_id, p.metric, p.step);
      dropped_any = true;
    }
    // Accepted alone: stored; the rest of the batch goes again next round and is stored once.
  }
  if (accepted == batch.size()) {
    // Every point was stored on its own (the batch as a whole was refused): all acknowledged.
    absl::Status s = spool->Ack(n);
    if (!s.ok()) WorkerLog(absl::StrCat("spool compaction: ", s.ToString()));
    return true;
  }
  return dropped_any;
}

}  // namespace sg
