#include "coordinator/sweep_answer_cache.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"

namespace sg {

SweepAnswerCache::SweepAnswerCache(Store* store, int64_t max_bytes)
    : store_(store), max_bytes_(max_bytes) {}

void SweepAnswerCache::InvalidateSweep(int64_t sweep_id) {
  absl::MutexLock lock(&mu_);
  generation_[sweep_id] = ++clock_;
}

int64_t SweepAnswerCache::SweepOfRun(int64_t run_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = sweep_of_run_.find(run_id);
    if (it != sweep_of_run_.end()) return it->second;
  }
  absl::StatusOr<RunRecord> run = store_->GetRun(run_id);
  if (!run.ok()) return 0;
  absl::MutexLock lock(&mu_);
  sweep_of_run_[run_id] = run->sweep_id;
  return run->sweep_id;
}

void SweepAnswerCache::InvalidateRuns(const std::vector<int64_t>& run_ids) {
  std::vector<int64_t> sweeps;
  for (int64_t run_id : run_ids) {
    const int64_t sweep = SweepOfRun(run_id);
    if (sweep != 0 && std::find(sweeps.begin(), sweeps.end(), sweep) == sweeps.end()) {
      sweeps.push_back(sweep);
    }
  }
  absl::MutexLock lock(&mu_);
  for (int64_t sweep : sweeps) generation_[sweep] = ++clock_;
}

SweepAnswerCache::Stamp SweepAnswerCache::StampOf(std::vector<int64_t> sweep_ids) {
  std::sort(sweep_ids.begin(), sweep_ids.end());
  sweep_ids.erase(std::unique(sweep_ids.begin(), sweep_ids.end()), sweep_ids.end());
  absl::MutexLock lock(&mu_);
  Stamp stamp;
  for (int64_t id : sweep_ids) {
    auto it = generation_.find(id);
    stamp.emplace_back(id, it == generation_.end() ? 0 : it->second);
  }
  return stamp;
}

bool SweepAnswerCache::CurrentLocked(const Stamp& stamp) const {
  for (const auto& [sweep, generation] : stamp) {
    auto it = generation_.find(sweep);
    if ((it == generation_.end() ? 0 : it->second) != generation) return false;
  }
  return true;
}

void SweepAnswerCache::EraseLocked(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  bytes_ -= static_cast<int64_t>(key.size() + it->second.answer.size());
  entries_.erase(it);
}

std::optional<std::string> SweepAnswerCache::Find(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    ++misses_;
    return std::nullopt;
  }
  if (!CurrentLocked(it->second.stamp)) {
    EraseLocked(key);
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  return it->second.answer;
}

void SweepAnswerCache::Put(const std::string& key, Stamp stamp, std::string answer) {
  const int64_t size = static_cast<int64_t>(key.size() + answer.size());
  if (size > max_bytes_ / 4) return;  // one answer may not push out most of the others
  absl::MutexLock lock(&mu_);
  // Written while the answer was computed: it is already stale.
  if (!CurrentLocked(stamp)) return;
  EraseLocked(key);
  entries_[key] = Entry{std::move(stamp), std::move(answer)};
  bytes_ += size;
  order_.push_back(key);
  while (bytes_ > max_bytes_ && !order_.empty()) {
    EraseLocked(order_.front());
    order_.pop_front();
  }
  // The queue may hold keys erased (or replaced) since; keep it from growing without bound.
  if (order_.size() > 4 * entries_.size() + 64) {
    std::deque<std::string> live;
    absl::flat_hash_set<std::string> seen;
    for (const std::string& k : order_) {
      if (entries_.count(k) != 0 && seen.insert(k).second) live.push_back(k);
    }
    order_ = std::move(live);
  }
}

int64_t SweepAnswerCache::hits() const {
  absl::MutexLock lock(&mu_);
  return hits_;
}

int64_t SweepAnswerCache::misses() const {
  absl::MutexLock lock(&mu_);
  return misses_;
}

}  // namespace sg
