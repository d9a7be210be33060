// PackConcurrency: how many packs one device trains at once when sg-worker runs with
// `--packs-per-device auto` (docs/worker.md, "Packs per device"). A pure decision class: the
// daemon feeds it measurements (the device's work rate with a number of packs running) and
// asks it for the target; it never reads a clock or a device, so tests drive it with synthetic
// numbers.
//
// The rule. The target starts at 1. A level (a number of packs running) is measured once
// `samples_per_level` steady samples were taken at it with the target equal to it (steady: every
// pack of the device is past its start-up, the daemon decides). Then:
//   * it paid: the first level, or its mean work rate exceeds the level below's by more than
//     `min_gain` (0.10: ten per cent) -> one pack more, if memory allows another pack and the
//     target is below `max_packs` and below a ceiling left by an earlier step that did not pay;
//   * it did not pay -> one pack fewer (the daemon does not start a new pack until fewer run;
//     it never stops one), and that level becomes the ceiling.
// The mix of packs changes over a grid (deep packs first, then shallow ones), so a ceiling is
// forgotten after `reprobe_after_samples` steady samples at it, and the next measured level
// may probe upwards again. For the same reason a level is never stepped down on a comparison
// with a measurement of the level below that is older than `stale_after_samples` samples: the
// packs that gave it have ended (seen on the H200, 2026-12-04: a 2-pack level re-measured on a
// later mix, with evaluations, fell below the 1-pack rate of the deepest pack alone, and the
// grid's last packs then ran one at a time); the level counts as paid and the probe goes on. Rates are the work rate (the cost model's multiply-adds per second,
// common/pack_cost.h), not plain model-steps/s, so packs of different depths compare.
//
// Thread-safety: not thread-safe; the daemon's thread owns it.
#ifndef SG_WORKER_PACK_CONCURRENCY_H_
#define SG_WORKER_PACK_CONCURRENCY_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace sg {

// Options; comments give defaults.
struct PackConcurrencyOptions {
  int max_packs = 8;               // never more packs on one device than this
  double min_gain = 0.10;          // a pack more must raise the work rate by more than this share
  int samples_per_level = 3;       // steady samples averaged before a level counts as measured
  int reprobe_after_samples = 60;  // steady samples at a ceiling before probing above it again
  int stale_after_samples = 60;    // samples (steady or not) after which a measurement is stale
};

class PackConcurrency {
 public:
  explicit PackConcurrency(PackConcurrencyOptions options = {});

  // Packs the device may run now: start a new one only while fewer run.
  int target() const { return target_; }

  // A change of the target, with its reason (the daemon logs it).
  struct Decision {
    int from = 0;
    int to = 0;
    std::string reason;
  };

  // One steady sample: `running` packs were training on the device at `work_rate` in all.
  // `memory_for_another`: whether one pack more fits (the daemon's estimate). Returns the
  // decision when the target changes, or when a raise is first held back by memory (to ==
  // from; not again until the target changes or memory allows a pack more).
  std::optional<Decision> Observe(int running, double work_rate, bool memory_for_another);

  // A pack on the device ran out of memory (sg-train's exit 3): the estimates were too
  // optimistic for this many packs. One pack fewer (not below 1), and that becomes the ceiling;
  // nullopt when the target is 1 already.
  std::optional<Decision> OutOfMemory();

  // A sample that is not steady (a pack starting or ending during it): dropped, and the
  // current level's partial samples with it, so a level is measured on consecutive samples.
  void ObserveUnsteady();

  // The mean work rate measured at `packs` (0 when not measured yet), for logs and metrics.
  double MeasuredRate(int packs) const;
  int ceiling() const { return ceiling_; }

 private:
  std::optional<Decision> Decide(bool memory_for_another);

  PackConcurrencyOptions options_;
  int target_ = 1;
  int ceiling_ = 0;  // 0: none
  int samples_at_ceiling_ = 0;
  bool held_by_memory_ = false;  // the last measured level wanted a pack more that did not fit
  std::deque<double> samples_;     // steady samples at the target since the last change
  std::map<int, double> measured_; // level -> mean work rate when it was last measured
  std::map<int, int64_t> measured_at_;  // level -> samples_seen_ when it was last measured
  int64_t samples_seen_ = 0;            // every Observe and ObserveUnsteady call
};

}  // namespace sg

#endif  // SG_WORKER_PACK_CONCURRENCY_H_
