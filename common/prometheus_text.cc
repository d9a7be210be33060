#include "common/prometheus_text.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace sg {

namespace {

// Prometheus' float spelling: +Inf, -Inf, NaN; integers without a fraction.
std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return absl::StrFormat("%.0f", v);
  return absl::StrFormat("%.9g", v);
}

std::string LabelText(const MetricLabels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ",", labels[i].first, "=\"",
                    EscapeLabelValue(labels[i].second), "\"");
  }
  return out + "}";
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void ExpositionWriter::Family(const std::string& name, const std::string& type,
                              const std::string& help) {
  if (name.rfind("sg_", 0) != 0) {
    std::fprintf(stderr, "metric family %s does not start with sg_\n", name.c_str());
    std::abort();
  }
  absl::StrAppend(&text_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void ExpositionWriter::Sample(const std::string& name, const MetricLabels& labels, double value) {
  absl::StrAppend(&text_, name, LabelText(labels), " ", FormatValue(value), "\n");
}

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {}

std::vector<double> Histogram::LatencyBounds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

void Histogram::Observe(const MetricLabels& labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  Series& s = series_[labels];
  if (s.counts.empty()) s.counts.assign(bounds_.size() + 1, 0);
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++s.counts[i];
  s.sum += value;
  ++s.count;
}

void Histogram::Write(const std::string& name, ExpositionWriter* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [labels, s] : series_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += s.counts[i];
      MetricLabels with_le = labels;
      with_le.emplace_back("le", i < bounds_.size() ? FormatValue(bounds_[i]) : "+Inf");
      out->Sample(name + "_bucket", with_le, static_cast<double>(cumulative));
    }
    out->Sample(name + "_sum", labels, s.sum);
    out->Sample(name + "_count", labels, static_cast<double>(s.count));
  }
}

void LabeledCounter::Add(const MetricLabels& labels, double delta) {
  std::lock_guard<std::mutex> lock(mu_);
  values_[labels] += delta;
}

void LabeledCounter::Write(const std::string& name, ExpositionWriter* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [labels, v] : values_) out->Sample(name, labels, v);
}

double LabeledCounter::Total() const {
  std::lock_guard<std::mutex> lock(mu_);
  double total = 0;
  for (const auto& [labels, v] : values_) total += v;
  return total;
}

}  // namespace sg
