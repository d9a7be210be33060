// Keeps recent answers of the sweep queries that read every point of a sweep (downsampled
// GetCurves, GetReport, ListSweepMetrics), so that a dashboard asking again for an unchanged
// sweep is answered without reading its curves. An answer is kept with the generation of every
// sweep it was computed from; any write that could change such an answer (points committed, a run
// completed, cancelled, retried, extended, released or failed) bumps the generations of the
// sweeps it touched, after it committed, and answers of an older generation are never returned.
//
// Correctness rests on the order: a query takes its stamp (Stamp) before it reads anything,
// and writers bump after they commit. A write the query did not see therefore bumps after the
// stamp was taken, and the answer, tagged with the older generation, is stale at once.
//
// Thread-safe. Memory is bounded by max_bytes (the oldest answers are dropped first).
#ifndef SG_COORDINATOR_SWEEP_ANSWER_CACHE_H_
#define SG_COORDINATOR_SWEEP_ANSWER_CACHE_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "coordinator/store.h"

namespace sg {

class SweepAnswerCache {
 public:
  // The generations of some sweeps at one moment: (sweep_id, generation), sorted by id.
  using Stamp = std::vector<std::pair<int64_t, int64_t>>;

  // `store` (to find a run's sweep) must outlive the cache.
  explicit SweepAnswerCache(Store* store, int64_t max_bytes = 64 << 20);

  // After a write to these sweeps, or to these runs, committed.
  void InvalidateSweep(int64_t sweep_id);
  void InvalidateRuns(const std::vector<int64_t>& run_ids);

  // The sweep a run belongs to (runs never move), from memory after the first time;
  // 0 for an unknown run.
  int64_t SweepOfRun(int64_t run_id);

  // Take before reading anything the answer is computed from.
  Stamp StampOf(std::vector<int64_t> sweep_ids);

  // The answer kept under `key`, if it was computed at the sweeps' current generations.
  std::optional<std::string> Find(const std::string& key);
  // Keeps `answer` under `key`, computed from data read after `stamp` was taken.
  void Put(const std::string& key, Stamp stamp, std::string answer);

  // Answers found and not found (for tests and the bench's understanding of a timing).
  int64_t hits() const;
  int64_t misses() const;

 private:
  struct Entry {
    Stamp stamp;
    std::string answer;
  };
  bool CurrentLocked(const Stamp& stamp) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void EraseLocked(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Store* const store_;
  const int64_t max_bytes_;
  mutable absl::Mutex mu_;
  // A sweep's generation: 0 until its first bump; each bump takes a fresh number from `clock_`,
  // so a generation is never seen twice.
  int64_t clock_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<int64_t, int64_t> generation_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int64_t, int64_t> sweep_of_run_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);  // keys, oldest first (may hold erased)
  int64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace sg

#endif  // SG_COORDINATOR_SWEEP_ANSWER_CACHE_H_
