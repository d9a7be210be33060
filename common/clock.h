// Time, behind an interface so that tests advance a fake clock instead of sleeping
// (lease expiry, backoff, heartbeats). All times are milliseconds since the Unix epoch.
#ifndef SG_COMMON_CLOCK_H_
#define SG_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace sg {

// Thread-safe: implementations may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMillis() const = 0;
};

// Wall-clock time.
class RealClock final : public Clock {
 public:
  int64_t NowMillis() const override;
  // A process-wide instance; never destroyed.
  static Clock* Get();
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_millis = 1'700'000'000'000) : now_(start_millis) {}
  int64_t NowMillis() const override { return now_.load(); }
  void AdvanceMillis(int64_t delta) { now_.fetch_add(delta); }
  void SetMillis(int64_t t) { now_.store(t); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace sg

#endif  // SG_COMMON_CLOCK_H_
