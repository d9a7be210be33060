#include "trainer/model/graph_buckets.h"

namespace sg {

int64_t GraphLengthBucket(int64_t tokens) {
  if (tokens < 1) tokens = 1;
  if (tokens > kMaxGraphLength) return 0;
  const int64_t step = tokens <= 64 ? 8 : 32;
  return (tokens + step - 1) / step * step;
}

int64_t PackedRowLength(int64_t tokens) {
  if (tokens < 1) tokens = 1;
  for (int64_t len = 64; len <= kMaxPackedRowLength; len *= 2) {
    if (tokens <= len) return len;
  }
  return (tokens + 63) / 64 * 64;
}

bool PackedGraphFits(int64_t rows, int64_t len, int64_t batch_size) {
  return rows >= 1 && len <= kMaxPackedRowLength && rows * len <= batch_size * kMaxGraphLength;
}

int64_t OneRowLength(int64_t tokens, int64_t granule) {
  if (tokens < 1) tokens = 1;
  if (granule < 1) granule = 1;
  return (tokens + granule - 1) / granule * granule;
}

bool OneRowGraphFits(int64_t len, int64_t batch_size) {
  return len >= 1 && len <= batch_size * kMaxGraphLength;
}

}  // namespace sg
