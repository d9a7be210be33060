#include "trainer/model/graph_buckets.h"

namespace sg {

int64_t GraphLengthBucket(int64_t tokens) {
  if (tokens < 1) tokens = 1;
  if (tokens > kMaxGraphLength) return 0;
  const int64_t step = tokens <= 64 ? 8 : 32;
  return (tokens + step - 1) / step * step;
}

}  // namespace sg
