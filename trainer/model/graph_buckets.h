// Padded lengths for CUDA-graph training. A captured graph replays fixed shapes, so a batch is
// padded to the bucket of its longest line; buckets are fine-grained where most batches fall
// (short lines: padding is wasted compute) and coarse further out. Torch-free.
#ifndef SG_TRAINER_MODEL_GRAPH_BUCKETS_H_
#define SG_TRAINER_MODEL_GRAPH_BUCKETS_H_

#include <cstdint>

namespace sg {

// Longest padded length a graph is captured for; longer batches take the eager step (they are
// rare in every task: Dyck's long tail, docs/performance.md).
constexpr int64_t kMaxGraphLength = 256;

// The bucket of a batch whose longest row has `tokens` positions (SOS included): a multiple of
// 8 up to 64, of 32 up to kMaxGraphLength; 0 above that (no graph). tokens < 1 counts as 1.
int64_t GraphLengthBucket(int64_t tokens);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_GRAPH_BUCKETS_H_
