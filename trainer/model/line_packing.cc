#include "trainer/model/line_packing.h"

#include <algorithm>
#include <numeric>

#include "trainer/model/graph_buckets.h"

namespace sg {

std::vector<PackedSlot> PackIntoRows(const std::vector<int64_t>& tokens, int64_t row_len,
                                     int64_t* rows) {
  std::vector<size_t> order(tokens.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return tokens[a] > tokens[b]; });
  std::vector<int64_t> used;  // positions taken per row
  std::vector<PackedSlot> out(tokens.size());
  for (size_t i : order) {
    const int64_t n = std::max<int64_t>(1, tokens[i]);
    size_t r = 0;
    while (r < used.size() && used[r] + n > row_len) ++r;
    if (r == used.size()) used.push_back(0);
    out[i].row = static_cast<int64_t>(r);
    out[i].offset = used[r];
    used[r] += n;
  }
  *rows = static_cast<int64_t>(used.size());
  return out;
}

PackedShape PackedShapeOf(const std::vector<std::vector<int64_t>>& tokens) {
  int64_t longest = 1;
  for (const auto& seed : tokens) {
    for (int64_t t : seed) longest = std::max(longest, t);
  }
  PackedShape shape;
  shape.len = PackedRowLength(longest);
  shape.rows = 1;
  for (const auto& seed : tokens) {
    int64_t rows = 0;
    PackIntoRows(seed, shape.len, &rows);
    shape.rows = std::max(shape.rows, rows);
  }
  return shape;
}

PackedShape OneRowShapeOf(const std::vector<std::vector<int64_t>>& tokens, int64_t granule) {
  int64_t most = 1;
  for (const auto& seed : tokens) {
    int64_t total = 0;
    for (int64_t t : seed) total += t;
    most = std::max(most, total);
  }
  PackedShape shape;
  shape.rows = 1;
  shape.len = OneRowLength(most, granule);
  return shape;
}

}  // namespace sg
