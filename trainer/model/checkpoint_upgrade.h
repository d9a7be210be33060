// Checkpoint payloads of format 3 read into today's parameter layout (format 4). Format 3 is
// sg-train's before W_q and W_kv became one W_qkv slot (pack_model.h, ParamLayout): the same
// numbers, W_q's [d, d] and W_kv's [d, 2d] in slots of their own where W_qkv [d, 3d] holds
// each input row's W_q columns and then its W_kv columns. So a run checkpointed by the
// older sg-train resumes under this one, and its weights-only files are analysed by it.
// Trainer-internal (LibTorch).
#ifndef SG_TRAINER_MODEL_CHECKPOINT_UPGRADE_H_
#define SG_TRAINER_MODEL_CHECKPOINT_UPGRADE_H_

#include <torch/torch.h>

#include <cstdint>

#include "trainer/model/pack_model.h"

namespace sg {

// The row length P that a format-3 payload's meta names for this shape.
int64_t SeparateQkvRowLength(const ModelShape& shape);

// rows: [R, SeparateQkvRowLength] in format 3's layout (the weights, or either AdamW moment,
// which follow the weights' layout). Returns [R, ParamRowLength(ParamLayout(shape))] in
// today's layout, its padding zero.
torch::Tensor RowsFromSeparateQkv(const torch::Tensor& rows, const ModelShape& shape);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CHECKPOINT_UPGRADE_H_
