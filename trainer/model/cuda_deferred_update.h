// The graph step's optimizer update run beside the next step's forward (docs/performance.md,
// "The update beside the next forward"). Trainer-internal (LibTorch); compiled only against a
// CUDA LibTorch, like cuda_graph_step.cc, its only user. Not thread-safe.
//
// AdamW reads every weight, both moments and the gradient once (28 bytes per parameter, at the
// copy bandwidth): 1.3 ms of a ~5 ms QF step at 6 layers, with nothing beside it. The next
// step's forward reads the weights group by group (ParamSlot::group: the embedding, each layer,
// the output layer), so step t's update runs inside step t+1's graph on a second stream, group
// by group in that order, and the forward waits for group g's update (an event) just before
// it first reads group g: the bandwidth-bound update beside the forward's GEMMs and attention.
// Each weight is still updated exactly once, from the same gradient, clip factor, step and
// learning rate, before it is read: the same bits as the update at the end of step t.
//
// What makes this work across graphs, whose kernel parameters are fixed at capture:
// - Step t's gradients are its bucket's (one set per captured graph). Each graph ends by
//   copying its bucket's gradient pointer table into a shared device table and setting a
//   device flag; the next graph's update kernels read the table and the flag when they run
//   (CudaPackAdamWFromTable), so they follow whichever bucket ran before.
// - The clip factor is written to one shared [S] buffer, which the next graph's update reads
//   before that graph's own norm overwrites it (the forward waits for the whole update before
//   its backward, and the norm follows the backward).
// - The step and learning rate of the pending update are device scalars the host writes
//   before each replay (and before a capture, whose warm-up really runs the pending update).
// - The flag is 0 when nothing is pending (the first graph step, after a Flush): the update
//   kernels then change nothing.
// Anything that reads or writes the weights or moments outside graph steps (an eager step,
// an evaluation, a checkpoint, the end of training) calls Flush first.
//
// Priorities: the update stream has the device's lowest priority and the caller captures the
// step on a high-priority stream, so the forward's blocks are scheduled before the update's
// (kernel nodes keep their capture stream's priority; PyTorch's CUDAGraph instantiates with
// cudaGraphInstantiateFlagUseNodePriority, as read in its source, so replays use them). Session
// 13 measured a first form at equal priorities 2% slower (docs/performance.md).
#ifndef SG_TRAINER_MODEL_CUDA_DEFERRED_UPDATE_H_
#define SG_TRAINER_MODEL_CUDA_DEFERRED_UPDATE_H_

#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "trainer/model/pack_model.h"
#include "trainer/model/pack_optimizer.h"

namespace sg {

class DeferredUpdate {
 public:
  // `model` and `optimizer` outlive this. clip: the config's (<= 0: no clip factor).
  DeferredUpdate(PackModel* model, PackAdamW* optimizer, double clip);
  ~DeferredUpdate();
  DeferredUpdate(const DeferredUpdate&) = delete;
  DeferredUpdate& operator=(const DeferredUpdate&) = delete;

  // --- Inside a step's body (captured into its graph), on the current stream.
  // Before the step's forward: queues the pending update on the update stream, group by
  // group, each followed by its event. Its kernels change nothing when none is pending.
  void Begin();
  // Before the forward first reads group g (ForwardOptions::before_group, 0 .. layers): the
  // current stream waits for group g's update.
  void BeforeGroup(int64_t g);
  // Before the output layer (RaggedLogits, PackModel::Logits): the current stream waits for
  // the whole update, which also joins the update stream before the step's backward.
  void Join();
  // The [S] buffer the step's norm writes its clip factor into (CudaPackGradNorm's
  // grad_scale_into); undefined without clipping.
  const torch::Tensor& grad_scale() const { return grad_scale_; }
  // After the step's norm: its gradients (the bucket's CudaGradPointerTable) become the
  // pending ones.
  void MarkPending(const torch::Tensor& grad_table);

  // --- On the host, between steps.
  // Writes the pending update's step and learning rate into the device scalars the update
  // reads: before every replay and before every capture.
  void PrepareScalars();
  // After a replay of update `update` at learning rate `lr`: that update is now pending.
  void Replayed(int64_t update, double lr);
  // Runs the pending update now, on the current stream (no graph), and clears it. Nothing
  // when none is pending.
  void Flush();

  // A capture's warm-up really runs a body (the pending update, a step's norm and its
  // MarkPending): the device state that changes, kept and put back around it.
  struct Saved {
    torch::Tensor table, active, grad_scale;
  };
  Saved Save() const;
  void Restore(const Saved& saved);

 private:
  PackModel* model_;
  PackAdamW* optimizer_;
  std::vector<int64_t> group_begin_;  // slot index where each group starts, then the end
  torch::Tensor table_;               // int64 [slots]: the pending gradients' addresses
  torch::Tensor active_;              // int32 [1]: 1 while an update is pending
  torch::Tensor grad_scale_;          // float32 [S], clip > 0 only
  torch::Tensor step_, lr_;           // float32 scalars: the pending update's
  cudaStream_t stream_ = nullptr;     // ours, the lowest priority
  std::vector<at::cuda::CUDAEvent> events_;  // one per group, recorded by Begin
  int64_t waited_ = 0;                       // groups the current body has waited for
  bool pending_ = false;
  int64_t pending_update_ = 0;
  double pending_lr_ = 0.0;
};

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_DEFERRED_UPDATE_H_
