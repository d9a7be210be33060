// Prometheus text exposition (format 0.0.4), written by hand: the few metric kinds sg exports
// (counters, gauges, histograms) do not need a client library, and Debian 12 packages none for C++.
//
// ExpositionWriter renders one scrape; Histogram and LabeledCounter hold values between scrapes.
// Every family name must start with "sg_" (CHECKed: the prefix is part of the public interface).
//
// Thread-safety: ExpositionWriter is used by one thread per scrape. Histogram and LabeledCounter
// may be updated and read from any thread.
#ifndef SG_COMMON_PROMETHEUS_TEXT_H_
#define SG_COMMON_PROMETHEUS_TEXT_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"

namespace sg {

// Label pairs in the order they are written.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class ExpositionWriter {
 public:
  // Starts a family: its # HELP and # TYPE lines. type: "counter", "gauge" or "histogram".
  void Family(const std::string& name, const std::string& type, const std::string& help);
  // One sample line of the current family (name may carry a _bucket/_sum/_count suffix).
  void Sample(const std::string& name, const MetricLabels& labels, double value);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Cumulative histogram with fixed upper bounds (seconds, for latencies), per label set.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  // Default bounds for RPC latencies: 1 ms .. 10 s.
  static std::vector<double> LatencyBounds();

  void Observe(const MetricLabels& labels, double value);
  // Writes the _bucket, _sum and _count samples of every label set (the family line is the
  // caller's).
  void Write(const std::string& name, ExpositionWriter* out) const;

 private:
  struct Series {
    std::vector<uint64_t> counts;  // per bound, not cumulative; the last is +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<MetricLabels, Series> series_ ABSL_GUARDED_BY(mu_);
};

// A counter per label set.
class LabeledCounter {
 public:
  void Add(const MetricLabels& labels, double delta);
  void Write(const std::string& name, ExpositionWriter* out) const;
  // Sum over every label set (tests, logs).
  double Total() const;

 private:
  mutable std::mutex mu_;
  std::map<MetricLabels, double> values_ ABSL_GUARDED_BY(mu_);
};

// Escapes a label value as the format requires (backslash, quote, newline).
std::string EscapeLabelValue(const std::string& value);

}  // namespace sg

#endif  // SG_COMMON_PROMETHEUS_TEXT_H_
