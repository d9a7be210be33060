#include "trainer/model/stream_timeline.h"

#include <algorithm>
#include <map>
#include <utility>

namespace sg {
namespace {

using Span = std::pair<int64_t, int64_t>;  // [start, end)

// The union of the intervals as disjoint spans in order.
std::vector<Span> Union(std::vector<Span> spans) {
  std::sort(spans.begin(), spans.end());
  std::vector<Span> out;
  for (const Span& s : spans) {
    if (!out.empty() && s.first <= out.back().second) {
      out.back().second = std::max(out.back().second, s.second);
    } else {
      out.push_back(s);
    }
  }
  return out;
}

double Length(const std::vector<Span>& disjoint) {
  double total = 0;
  for (const Span& s : disjoint) total += static_cast<double>(s.second - s.first);
  return total;
}

// Length of the intersection of two sets of disjoint, ordered spans.
double Overlap(const std::vector<Span>& a, const std::vector<Span>& b) {
  double total = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const int64_t lo = std::max(a[i].first, b[j].first);
    const int64_t hi = std::min(a[i].second, b[j].second);
    if (hi > lo) total += static_cast<double>(hi - lo);
    if (a[i].second < b[j].second) {
      ++i;
    } else {
      ++j;
    }
  }
  return total;
}

// Time covered by two or more of the intervals: a sweep over their ends.
double CoveredTwice(const std::vector<Span>& spans) {
  std::vector<std::pair<int64_t, int>> edges;
  edges.reserve(2 * spans.size());
  for (const Span& s : spans) {
    edges.emplace_back(s.first, +1);
    edges.emplace_back(s.second, -1);
  }
  std::sort(edges.begin(), edges.end());  // at one time, ends (-1) before starts (+1)
  double total = 0;
  int depth = 0;
  for (size_t k = 0; k < edges.size(); ++k) {
    depth += edges[k].second;
    if (depth >= 2 && k + 1 < edges.size()) {
      total += static_cast<double>(edges[k + 1].first - edges[k].first);
    }
  }
  return total;
}

// The gaps between consecutive disjoint spans, by length.
std::vector<IdleGaps> GapsByLength(const std::vector<Span>& disjoint) {
  std::vector<IdleGaps> gaps = {{0, 2000}, {2000, 10000}, {10000, 50000}, {50000, 0}};
  for (size_t k = 1; k < disjoint.size(); ++k) {
    const int64_t gap = disjoint[k].first - disjoint[k - 1].second;
    for (IdleGaps& g : gaps) {
      if (gap >= g.min_ns && (g.max_ns == 0 || gap < g.max_ns)) {
        ++g.count;
        g.total_ns += static_cast<double>(gap);
        break;
      }
    }
  }
  return gaps;
}

}  // namespace

StreamTimeline SummarizeStreams(const std::vector<KernelInterval>& kernels) {
  StreamTimeline t;
  if (kernels.empty()) return t;
  std::map<int64_t, std::vector<Span>> by_stream;
  std::vector<Span> all;
  int64_t first = kernels.front().start_ns, last = kernels.front().end_ns;
  for (const KernelInterval& k : kernels) {
    const Span s{k.start_ns, std::max(k.start_ns, k.end_ns)};
    by_stream[k.stream].push_back(s);
    all.push_back(s);
    first = std::min(first, s.first);
    last = std::max(last, s.second);
  }
  const std::vector<Span> any = Union(all);
  t.window_ns = static_cast<double>(last - first);
  t.idle_ns = t.window_ns - Length(any);
  t.gaps = GapsByLength(any);
  t.parallel_ns = CoveredTwice(all);
  for (const auto& [stream, spans] : by_stream) {
    StreamActivity a;
    a.stream = stream;
    a.kernels = static_cast<int64_t>(spans.size());
    const std::vector<Span> own = Union(spans);
    a.busy_ns = Length(own);
    std::vector<Span> others;
    for (const auto& [other, other_spans] : by_stream) {
      if (other != stream) others.insert(others.end(), other_spans.begin(), other_spans.end());
    }
    const std::vector<Span> others_union = Union(std::move(others));
    a.waiting_ns = Length(others_union) - Overlap(own, others_union);
    a.stacked_ns = CoveredTwice(spans);
    t.streams.push_back(a);
  }
  std::sort(t.streams.begin(), t.streams.end(),
            [](const StreamActivity& a, const StreamActivity& b) { return a.busy_ns > b.busy_ns; });
  return t;
}

}  // namespace sg
