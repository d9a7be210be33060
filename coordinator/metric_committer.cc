#include "coordinator/metric_committer.h"

namespace sg {

absl::Status MetricCommitter::Record(const std::vector<Lease>& leases,
                                     const std::vector<MetricPointRecord>& points) {
  Request request{&leases, &points, absl::OkStatus()};
  std::unique_lock<std::mutex> lock(mu_);
  pending_.push_back(&request);
  while (!request.done) {
    if (committing_) {
      cv_.wait(lock);
      continue;
    }
    // Lead one group: everything queued so far, up to max_points_ (our own request is among
    // them unless earlier requests fill the group, in which case we lead again next round).
    committing_ = true;
    std::vector<Request*> group;
    size_t total = 0;
    while (!pending_.empty() &&
           (group.empty() || total + pending_.front()->points->size() <= max_points_)) {
      total += pending_.front()->points->size();
      group.push_back(pending_.front());
      pending_.pop_front();
    }
    lock.unlock();
    CommitGroup(group);
    lock.lock();
    for (Request* r : group) r->done = true;
    committing_ = false;
    cv_.notify_all();
  }
  return request.status;
}

void MetricCommitter::CommitGroup(const std::vector<Request*>& group) {
  if (group.size() == 1) {
    group[0]->status = store_->RecordMetrics(*group[0]->leases, *group[0]->points);
    return;
  }
  std::vector<Lease> leases;
  std::vector<MetricPointRecord> points;
  for (const Request* r : group) {
    leases.insert(leases.end(), r->leases->begin(), r->leases->end());
    points.insert(points.end(), r->points->begin(), r->points->end());
  }
  absl::Status merged = store_->RecordMetrics(leases, points);
  if (merged.ok()) {
    for (Request* r : group) r->status = absl::OkStatus();
    return;
  }
  // The store refused the whole batch and changed nothing: judge each request on its own.
  for (Request* r : group) r->status = store_->RecordMetrics(*r->leases, *r->points);
}

}  // namespace sg
