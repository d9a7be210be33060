// Compiled only against a CUDA LibTorch (trainer/CMakeLists.txt); see cuda_graph_step.h.
#include "trainer/model/cuda_graph_step.h"

#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/version.h>

#include <cstring>
#include <functional>
#include <map>

#include "trainer/model/autocast_scope.h"
#include "trainer/model/cuda_line_attention.h"
#include "trainer/model/cuda_pack_optimizer.h"
#include "trainer/model/cuda_priority_stream.h"
#include "trainer/model/cuda_side_stream_linear.h"
#include "trainer/model/cuda_weight_grad_sums.h"
#include "trainer/model/grad_destination.h"
#include "trainer/model/graph_buckets.h"
#include "trainer/model/lm_batch.h"
#include "trainer/model/pack_dropout.h"
#include "trainer/model/ragged_batch.h"
#include "trainer/model/ragged_model.h"

namespace sg {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
namespace {

// The update beside the forward's stream (update_priority.h). Above the chain: ours at the
// device's greatest priority, at least the chain's (LibTorch's high-priority pool), above it
// where that pool does not use the device's whole range.
c10::cuda::CUDAStream UpdateStream(UpdatePriority priority, c10::DeviceIndex index) {
  switch (priority) {
    case UpdatePriority::kAboveChain:
      return c10::cuda::getStreamFromExternal(OwnPriorityStream(index, PriorityEnd::kGreatest),
                                              index);
    case UpdatePriority::kChain:
      return c10::cuda::getStreamFromPool(/*isHighPriority=*/true, index);
    case UpdatePriority::kBelowChain:
      break;
  }
  return c10::cuda::getStreamFromPool(/*isHighPriority=*/false, index);
}

// One captured length bucket (packed: one (rows, row length) shape): its static inputs, the
// gradients its backward writes, its static loss output and the graph.
struct Bucket {
  int64_t rows = 0, len = 0;
  torch::Tensor ids, targets, lengths, counts;
  torch::Tensor line_start;      // packed rows only
  torch::Tensor line_seqstarts;  // packed rows with attention per line
  // The step number and learning rate the graph's AdamW reads: the stepper's own, filled
  // before each replay, or (one_copy_inputs) views into `staging` with the batch.
  torch::Tensor step, lr;
  // update_beside_forward: the update this replay applies beside its forward (the previous
  // graph step's): its step number and learning rate, and 1 where one is pending, else 0.
  // Views into `staging`, written with the batch.
  torch::Tensor pending_step, pending_lr, pending_on;
  // GraphStepOptions::one_copy_inputs (padded and packed buckets): every tensor above but the
  // gradients a view into this one byte buffer, at `offsets`, so a step's inputs are one copy.
  torch::Tensor staging;
  std::vector<int64_t> offsets;
  // Ragged (GraphStepOptions::ragged_chunk): rows = chunks, len = the chunk's positions, and
  // the static batch (StaticRaggedBatch) instead of the tensors above.
  bool ragged = false;
  int64_t seed_chunks = 0;
  RaggedBatch ragged_batch;
  std::vector<torch::Tensor> grads;
  torch::Tensor loss;
  std::unique_ptr<at::cuda::CUDAGraph> graph;
};

class CudaGraphStepper final : public GraphStepper {
 public:
  CudaGraphStepper(const GraphStepOptions& options, const GraphStepState& state)
      : options_(options), state_(state), device_(state.model->device()) {
    auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
    step_ = torch::zeros({}, f32);
    lr_ = torch::zeros({}, f32);
    pool_ = at::cuda::graph_pool_handle();
    const int64_t S = state_.model->num_seeds();
    defer_ = options_.update_beside_forward && options_.own_optimizer_kernels &&
             options_.one_copy_inputs && options_.ragged_chunk == 0 && SideStream();
    if (defer_) {
      // Outside any capture and any pool: the deferred gradients' buffer and clip factors.
      grad_buffer_ = torch::empty({state_.model->flat().numel()}, f32);
      if (options_.config.clip > 0) pending_scale_ = torch::ones({S}, f32);
    }
    // Outside any capture: the sums' buffer keeps its address for every graph's replays.
    if (options_.wgmma_weight_grads && options_.own_optimizer_kernels) {
      const int64_t capacity = WeightGradSums::CapacityFor(state_.model->layout());
      if (capacity > 0) {
        grad_sums_ = std::make_unique<WeightGradSums>(device_, state_.model->num_seeds(),
                                                      capacity);
      }
    }
  }

  bool TryStep(const std::vector<std::vector<const TokenIds*>>& lines, int64_t update,
               double lr) override {
    const bool took = TryStepOrNot(lines, update, lr);
    if (!took) FlushPendingUpdate();  // the eager step reads the weights
    return took;
  }

  void FlushPendingUpdate() override {
    if (!pending_) return;
    pending_ = false;
    auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
    // The values the staged copy would carry (CopyStaged).
    const torch::Tensor step =
        torch::full({}, static_cast<float>(static_cast<double>(pending_update_)), f32);
    const torch::Tensor lr = torch::full({}, static_cast<float>(pending_lr_), f32);
    for (const DeferredGroup& g : groups_) {
      CudaPackAdamW(state_.model->flat(), state_.optimizer->exp_avg(),
                    state_.optimizer->exp_avg_sq(), g.grads, g.layout, step, lr, pending_scale_,
                    state_.optimizer->options());
    }
  }

 private:
  bool TryStepOrNot(const std::vector<std::vector<const TokenIds*>>& lines, int64_t update,
                    double lr) {
    if (options_.ragged_chunk > 0) return TryRaggedStep(lines, update, lr);
    int64_t rows = options_.config.batch_size, len = 0;
    bool one_row = false;
    if (options_.pack_lines) {
      const PackedShape usual = PackedBatchShape(lines, /*one_row=*/false);
      one_row = OneRow(usual.len);
      const PackedShape shape =
          one_row ? PackedBatchShape(lines, /*one_row=*/true, options_.one_row_granule) : usual;
      const int64_t batch = options_.config.batch_size;
      const bool fits = one_row ? OneRowGraphFits(shape.len, batch)
                                : PackedGraphFits(shape.rows, shape.len, batch);
      if (!fits) return false;
      rows = shape.rows;
      len = shape.len;
    } else {
      len = GraphLengthBucket(LongestRow(lines));
      if (len == 0) return false;
    }
    Bucket* bucket = nullptr;
    for (auto& b : buckets_) {
      if (b->rows == rows && b->len == len) bucket = b.get();
    }
    if (bucket == nullptr) {
      if (static_cast<int>(buckets_.size()) >= options_.max_graphs) return false;
      // The capture's warm-up step writes the deferred gradients' buffer.
      FlushPendingUpdate();
      bucket = Capture(rows, len);
    }
    // The pinned staging tensors go back to LibTorch's host cache, which keeps them until the
    // copies queued here have run, so the host never waits for the device.
    LmBatchLayout layout;
    layout.rows = rows;
    layout.len = len;
    layout.pinned = true;
    layout.packed = options_.pack_lines;
    layout.one_row = one_row;
    layout.one_row_granule = options_.one_row_granule;
    if (bucket->line_seqstarts.defined()) layout.line_slots = bucket->line_seqstarts.size(0) - 1;
    // (line_slots stays -1 otherwise: the masked attention needs no line offsets.)
    if (bucket->staging.defined()) {
      layout.pinned = false;  // packed into one pinned buffer below
      const LmBatch host =
          MakeLmBatch(lines, options_.sos_id, options_.eos_id, torch::kCPU, layout);
      CopyStaged(*bucket, host, update, lr);
      Replay(*bucket, update, lr);
      last_shape_ = {rows, len};
      return true;
    }
    LmBatch host = MakeLmBatch(lines, options_.sos_id, options_.eos_id, torch::kCPU, layout);
    bucket->ids.copy_(host.ids, /*non_blocking=*/true);
    bucket->targets.copy_(host.targets, /*non_blocking=*/true);
    bucket->lengths.copy_(host.lengths, /*non_blocking=*/true);
    bucket->counts.copy_(host.counts, /*non_blocking=*/true);
    if (bucket->line_start.defined()) bucket->line_start.copy_(host.line_start, true);
    if (bucket->line_seqstarts.defined()) {
      bucket->line_seqstarts.copy_(host.line_seqstarts, /*non_blocking=*/true);
    }
    Replay(*bucket, update, lr);
    last_shape_ = {rows, len};
    return true;
  }

 public:
  bool update_pending() const override { return pending_; }
  torch::Tensor last_loss() const override { return last_loss_; }
  int num_graphs() const override { return static_cast<int>(buckets_.size()); }
  std::vector<std::pair<int64_t, int64_t>> graph_shapes() const override {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const auto& b : buckets_) out.emplace_back(b->rows, b->len);
    return out;
  }
  std::pair<int64_t, int64_t> last_shape() const override { return last_shape_; }

 private:
  void Replay(Bucket& bucket, int64_t update, double lr) {
    if (!bucket.staging.defined()) {  // else they came with the batch (CopyStaged)
      step_.fill_(static_cast<double>(update));
      lr_.fill_(lr);
    }
    // After any capture: its warm-up and capture advanced the generator, and the replay reads
    // the generator's seed and offset as they are now.
    SeedPackDropout(device_, state_.model->seeds(), update);
    bucket.graph->replay();
    last_loss_ = bucket.loss;
    if (bucket.pending_on.defined() && !groups_.empty()) {
      pending_ = true;
      pending_update_ = update;
      pending_lr_ = lr;
    }
  }

  // The ragged step (ragged_batch.h): a graph per rounded (chunks, largest seed's chunks).
  bool TryRaggedStep(const std::vector<std::vector<const TokenIds*>>& lines, int64_t update,
                     double lr) {
    if (!RaggedAttentionPerLine()) return false;
    const int64_t C = options_.ragged_chunk;
    int64_t chunks = 0, seed_chunks = 0;
    for (int64_t n : RaggedSeedChunkCounts(lines, C)) {
      chunks += n;
      seed_chunks = std::max(seed_chunks, n);
    }
    auto up = [](int64_t x, int64_t m) { return (x + m - 1) / m * m; };
    chunks = up(chunks, std::max<int64_t>(1, options_.ragged_chunks_granule));
    seed_chunks = up(seed_chunks, std::max<int64_t>(1, options_.ragged_seed_chunks_granule));
    // No more positions per seed in the weight gradients' padded view than the largest padded
    // bucket holds (as PackedGraphFits).
    if (seed_chunks * C > options_.config.batch_size * kMaxGraphLength) return false;
    RaggedLayout layout;
    layout.chunk = C;
    layout.chunks = chunks;
    layout.seed_chunks = seed_chunks;
    layout.slot_rows = options_.ragged_own_padded_views;
    layout.own_offsets = options_.ragged_own_weight_grads;
    layout.line_slots = chunks * C;  // every position its own line at most
    layout.pinned = true;
    const RaggedBatch host =
        MakeRaggedBatch(lines, options_.sos_id, options_.eos_id, torch::kCPU, layout);
    Bucket* bucket = nullptr;
    for (auto& b : buckets_) {
      if (b->ragged && b->rows == chunks && b->seed_chunks == seed_chunks) bucket = b.get();
    }
    std::unique_ptr<Bucket> fresh;
    if (bucket == nullptr) {
      if (static_cast<int>(buckets_.size()) >= options_.max_graphs) return false;
      fresh = std::make_unique<Bucket>();
      fresh->ragged = true;
      fresh->step = step_;  // filled before each replay (Replay)
      fresh->lr = lr_;
      fresh->rows = chunks;
      fresh->len = C;
      fresh->seed_chunks = seed_chunks;
      fresh->ragged_batch = StaticRaggedBatch(host, device_);
      bucket = fresh.get();
    }
    CopyRaggedBatch(host, &bucket->ragged_batch);
    if (fresh) {
      // The warm-up and the capture run on this step's batch (the warm-up's changes are
      // undone); the bucket is kept only once captured.
      CaptureInto(*fresh);
      buckets_.push_back(std::move(fresh));
    }
    Replay(*bucket, update, lr);
    last_shape_ = {chunks, C};
    return true;
  }

  // Ragged steps attend per line by our kernels: the captured batch has no host offsets for
  // the masked attention (RaggedBatch::seed_begin).
  bool RaggedAttentionPerLine() const {
    return !options_.bf16 &&
           TrainStepUsesOwnLineAttention(options_.own_line_attention, /*from_len=*/1,
                                         options_.config.dropout, /*pack_dropout=*/true,
                                         kAnyRowLength);
  }

  Bucket* Capture(int64_t rows, int64_t len) {
    PackModel& model = *state_.model;
    const int64_t S = model.num_seeds(), B = rows;
    auto b = std::make_unique<Bucket>();
    b->rows = rows;
    b->len = len;
    const bool line_start = options_.pack_lines;
    // A step's lines: at most every position its own (padding positions are lines).
    const int64_t slots =
        options_.pack_lines &&
                TrainStepAttendsPerLine(options_.own_line_attention,
                                        options_.own_line_attention_from, options_.line_attention,
                                        options_.config.dropout, /*pack_dropout=*/true, len)
            ? S * B * len
            : -1;
    // The static inputs: tensors of their own, or views into one buffer (one_copy_inputs).
    struct Spec {
      torch::Tensor* t;
      torch::ScalarType type;
      std::vector<int64_t> shape;
    };
    std::vector<Spec> specs = {{&b->ids, torch::kInt64, {S, B, len}},
                               {&b->targets, torch::kInt64, {S, B, len}},
                               {&b->lengths, torch::kInt64, {S, B}},
                               {&b->counts, torch::kFloat32, {S}}};
    if (line_start) specs.push_back({&b->line_start, torch::kInt64, {S, B, len}});
    if (slots >= 0) specs.push_back({&b->line_seqstarts, torch::kInt32, {slots + 1}});
    if (options_.one_copy_inputs) {
      specs.push_back({&b->step, torch::kFloat32, {}});
      specs.push_back({&b->lr, torch::kFloat32, {}});
      if (defer_) {  // zeros until the first copy: nothing pending in the warm-up
        specs.push_back({&b->pending_step, torch::kFloat32, {}});
        specs.push_back({&b->pending_lr, torch::kFloat32, {}});
        specs.push_back({&b->pending_on, torch::kFloat32, {}});
      }
      int64_t total = 0;
      for (const Spec& s : specs) {
        b->offsets.push_back(total);
        total += (SpecBytes(s.type, s.shape) + 15) / 16 * 16;  // 16-byte aligned views
      }
      b->staging =
          torch::zeros({total}, torch::TensorOptions().dtype(torch::kUInt8).device(device_));
      for (size_t i = 0; i < specs.size(); ++i) {
        const Spec& s = specs[i];
        *s.t = b->staging.narrow(0, b->offsets[i], SpecBytes(s.type, s.shape))
                   .view(s.type)
                   .view(s.shape);
      }
    } else {
      for (const Spec& s : specs) {
        *s.t = torch::empty(s.shape, torch::TensorOptions().dtype(s.type).device(device_));
      }
      b->step = step_;
      b->lr = lr_;
    }
    b->ids.zero_();
    b->targets.fill_(-100);
    b->lengths.fill_(1);
    b->counts.fill_(1);
    // Every row one line until the first copy: valid lines for the warm-up step.
    if (line_start) b->line_start.zero_();
    if (slots >= 0) {
      b->line_seqstarts.fill_(S * B * len);
      b->line_seqstarts.narrow(0, 0, S * B)
          .copy_(torch::arange(0, S * B * len, len, b->line_seqstarts.options()));
    }
    CaptureInto(*b);
    buckets_.push_back(std::move(b));
    return buckets_.back().get();
  }

  static int64_t SpecBytes(torch::ScalarType type, const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n * static_cast<int64_t>(c10::elementSize(type));
  }

  // The step's batch, step number and learning rate into the bucket's staging buffer: one
  // pinned host buffer laid out as it is (the host cache keeps it until the copy has run),
  // one copy. The values are those the separate copies and fills would write.
  void CopyStaged(Bucket& b, const LmBatch& host, int64_t update, double lr) {
    torch::Tensor pinned = torch::empty(
        {b.staging.numel()}, torch::TensorOptions().dtype(torch::kUInt8).pinned_memory(true));
    uint8_t* base = pinned.data_ptr<uint8_t>();  // the gaps between slots are never read
    size_t k = 0;
    auto put = [&](const torch::Tensor& dst, const torch::Tensor& src) {
      const torch::Tensor c = src.contiguous();
      TORCH_CHECK(c.scalar_type() == dst.scalar_type() && c.sizes() == dst.sizes(),
                  "staged batch: ", c.sizes(), " ", c.scalar_type(), " for a slot of ",
                  dst.sizes(), " ", dst.scalar_type());
      std::memcpy(base + b.offsets[k++], c.data_ptr(), c.numel() * c.element_size());
    };
    put(b.ids, host.ids);
    put(b.targets, host.targets);
    put(b.lengths, host.lengths);
    put(b.counts, host.counts);
    if (b.line_start.defined()) put(b.line_start, host.line_start);
    if (b.line_seqstarts.defined()) put(b.line_seqstarts, host.line_seqstarts);
    const float step_value = static_cast<float>(static_cast<double>(update));
    const float lr_value = static_cast<float>(lr);
    std::memcpy(base + b.offsets[k++], &step_value, sizeof(float));
    std::memcpy(base + b.offsets[k++], &lr_value, sizeof(float));
    if (b.pending_on.defined()) {
      const float pending[3] = {static_cast<float>(static_cast<double>(pending_update_)),
                                static_cast<float>(pending_lr_), pending_ ? 1.f : 0.f};
      for (float value : pending) std::memcpy(base + b.offsets[k++], &value, sizeof(float));
    }
    b.staging.copy_(pinned, /*non_blocking=*/true);
  }

  // The bucket's graph, its static inputs set.
  void CaptureInto(Bucket& bucket) {
    PackModel& model = *state_.model;
    // The warm-up step (cuBLAS handles and workspaces, autograd, the allocator must exist
    // before capture) really updates the pack: snapshot what it changes and put it back.
    torch::NoGradGuard no_grad;
    torch::Tensor flat = model.flat().clone(), m = state_.optimizer->exp_avg().clone(),
                  v = state_.optimizer->exp_avg_sq().clone(),
                  loss_acc = state_.loss_acc->clone(), gn_acc = state_.grad_norm_acc->clone();
    c10::cuda::CUDAStream main = c10::cuda::getCurrentCUDAStream(device_.index());
    // Kernel nodes keep the priority of the stream they were captured on: on a high-priority
    // stream the step's chain goes before the side stream's weight gradients (the lowest)
    // whenever both have blocks ready.
    const bool high =
        bucket.ragged ? options_.ragged_high_priority_chain : options_.high_priority_chain;
    c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool(high, device_.index());
    at::cuda::CUDAEvent ready;
    ready.record(main);
    ready.block(side);
    {
      c10::cuda::CUDAStreamGuard guard(side);
      model.DetachGrads();
      Body(bucket);
      model.DetachGrads();
      bucket.graph = std::make_unique<at::cuda::CUDAGraph>();
      bucket.graph->capture_begin(pool_);
      Body(bucket);
      bucket.graph->capture_end();
      model.AttachFlatGrads();
    }
    at::cuda::CUDAEvent done;
    done.record(side);
    done.block(main);
    model.flat().copy_(flat);
    state_.optimizer->exp_avg().copy_(m);
    state_.optimizer->exp_avg_sq().copy_(v);
    state_.loss_acc->copy_(loss_acc);
    state_.grad_norm_acc->copy_(gn_acc);
  }

  // The step on the bucket's static buffers: what the graph holds.
  void Body(Bucket& b) {
    PackModel& model = *state_.model;
    const TrainConfig& c = options_.config;
    const int64_t S = model.num_seeds();
    const bool defer = b.pending_on.defined();
    // update_beside_forward: the previous graph step's deferred update, group by group in the
    // order the forward reads the weights, on a stream of its own; `ready` by layer (-1 before
    // the first, layers() for the output layer).
    std::map<int64_t, std::shared_ptr<at::cuda::CUDAEvent>> ready;
    std::shared_ptr<at::cuda::CUDAEvent> updated;
    if (defer && !groups_.empty()) {
      const c10::cuda::CUDAStream current = c10::cuda::getCurrentCUDAStream(device_.index());
      const c10::cuda::CUDAStream update =
          UpdateStream(options_.update_priority, device_.index());
      at::cuda::CUDAEvent fork;
      fork.record(current);
      fork.block(update);
      c10::cuda::CUDAStreamGuard guard(update);
      for (const DeferredGroup& g : groups_) {
        CudaPackAdamW(model.flat(), state_.optimizer->exp_avg(), state_.optimizer->exp_avg_sq(),
                      g.grads, g.layout, b.pending_step, b.pending_lr, pending_scale_,
                      state_.optimizer->options(), b.pending_on);
        updated = std::make_shared<at::cuda::CUDAEvent>();
        updated->record(update);
        ready[g.layer] = updated;
      }
    }
    const std::function<void(int64_t)> wait_for_layer = [&ready, this](int64_t layer) {
      const auto it = ready.find(layer);
      if (it != ready.end()) it->second->block(c10::cuda::getCurrentCUDAStream(device_.index()));
    };
    torch::Tensor loss;
    {
      // The weight gradients' own kernel writes their sums of squares during this backward
      // (wgmma_weight_grads; cuda_weight_grad_sums.h); the norm below reads them.
      if (grad_sums_ != nullptr) grad_sums_->Reset();
      ScopedWeightGradSums sums_scope(device_, grad_sums_.get());
      std::unique_ptr<ScopedGradDestinations> destinations;
      if (defer) {
        destinations = std::make_unique<ScopedGradDestinations>(model.flat(), grad_buffer_);
      }
      loss = b.ragged ? RaggedLoss(b) : PaddedLoss(b, defer ? &wait_for_layer : nullptr);
      // The backward reads every weight and writes the gradients the update reads.
      if (updated) updated->block(c10::cuda::getCurrentCUDAStream(device_.index()));
      torch::AutoGradMode grad_mode(true);
      loss.sum().backward();
    }
    // The weight gradients computed on the side stream are complete before the norm reads them.
    if (SideStream()) JoinSideStream(device_);
    const std::vector<torch::Tensor>& leaves = model.leaves();
    const std::vector<ParamSlot>& layout = model.layout();
    b.grads.clear();
    for (const torch::Tensor& leaf : leaves) {
      TORCH_CHECK(leaf.grad().defined() && leaf.grad().is_contiguous(),
                  "expected backward to give every parameter a fresh contiguous gradient");
      b.grads.push_back(leaf.grad());
    }
    // Per-seed global norm and clip factor, then AdamW (cuda_pack_optimizer.h).
    const AdamWOptions& a = state_.optimizer->options();
    torch::Tensor& flat = model.flat();
    torch::Tensor& m = state_.optimizer->exp_avg();
    torch::Tensor& v = state_.optimizer->exp_avg_sq();
    if (defer) {
      std::vector<bool> in_buffer(leaves.size());
      for (size_t i = 0; i < leaves.size(); ++i) {
        in_buffer[i] = IsGradDestination(b.grads[i], leaves[i], flat, grad_buffer_);
      }
      if (deferred_.empty()) FindDeferredGroups(b.grads, in_buffer);
      std::vector<torch::Tensor> now_grads;
      std::vector<ParamSlot> now_layout;
      for (size_t i = 0; i < leaves.size(); ++i) {
        TORCH_CHECK(in_buffer[i] == deferred_[i], "update beside the forward: the gradient of ",
                    layout[i].name, " is ", in_buffer[i] ? "" : "not ",
                    "in the deferred buffer in this graph but was in the first");
        if (!in_buffer[i]) {
          now_grads.push_back(b.grads[i]);
          now_layout.push_back(layout[i]);
        }
      }
      PackGradNorm norm =
          CudaPackGradNorm(b.grads, layout, c.clip, state_.grad_norm_acc, grad_sums_.get());
      if (!now_grads.empty()) {
        CudaPackAdamW(flat, m, v, now_grads, now_layout, b.step, b.lr, norm.grad_scale, a);
      }
      if (pending_scale_.defined()) pending_scale_.copy_(norm.grad_scale);
    } else if (options_.own_optimizer_kernels) {
      PackGradNorm norm =
          CudaPackGradNorm(b.grads, layout, c.clip, state_.grad_norm_acc, grad_sums_.get());
      CudaPackAdamW(flat, m, v, b.grads, layout, b.step, b.lr, norm.grad_scale, a);
    } else {
      PackGradNorm norm = TorchPackGradNorm(b.grads, S, c.clip);
      TorchPackAdamW(flat, m, v, b.grads, layout, b.step, b.lr, norm.grad_scale, a);
      state_.grad_norm_acc->add_(norm.norm);
    }
    b.loss = loss.detach();
    state_.loss_acc->add_(b.loss);
  }

  // update_beside_forward: the parameters whose gradients the first captured backward wrote
  // into the deferred buffer (in_buffer, by leaf), grouped by the layer that reads them (slot
  // names "layer<i>."; -1 for the embedding, layers() for the output layer), in the forward's
  // order.
  void FindDeferredGroups(const std::vector<torch::Tensor>& grads,
                          const std::vector<bool>& in_buffer) {
    PackModel& model = *state_.model;
    const std::vector<ParamSlot>& layout = model.layout();
    const int64_t layers = static_cast<int64_t>(model.params().layers.size());
    std::map<int64_t, DeferredGroup> by_layer;
    deferred_ = in_buffer;
    for (size_t i = 0; i < in_buffer.size(); ++i) {
      if (!in_buffer[i]) continue;
      const std::string& name = layout[i].name;
      int64_t layer = layers;
      if (name == "embedding") {
        layer = -1;
      } else if (name.rfind("layer", 0) == 0) {
        layer = std::stoll(name.substr(5, name.find('.') - 5));
      }
      DeferredGroup& g = by_layer[layer];
      g.layer = layer;
      g.grads.push_back(grads[i]);
      g.layout.push_back(layout[i]);
    }
    groups_.clear();
    for (auto& [layer, g] : by_layer) groups_.push_back(std::move(g));
  }

  // The padded or packed step's per-seed loss [S] on the bucket's static buffers, with autograd.
  // wait_for_layer (update_beside_forward): called with -1 before the embedding, each layer's
  // index before it, and the layer count before the output layer.
  torch::Tensor PaddedLoss(Bucket& b, const std::function<void(int64_t)>* wait_for_layer) {
    PackModel& model = *state_.model;
    const TrainConfig& c = options_.config;
    const int64_t S = model.num_seeds();
    torch::AutoGradMode grad_mode(true);
    AutocastScope autocast(options_.bf16);
    ForwardOptions fwd;
    fwd.train = true;
    fwd.dropout = c.dropout;
    fwd.pack_dropout = true;
    // Packed rows past the padded graphs' cap: fused attention keeps memory linear in the
    // row length, as the eager step does for long batches.
    fwd.fused_attention =
        options_.fused_attention || (options_.pack_lines && b.len > kMaxGraphLength);
    fwd.fused_layer_norm = options_.fused_layer_norm;
    fwd.side_stream_weight_grads = SideStream();
    fwd.lt_gemms = options_.lt_gemms;
    fwd.relay_residual_grads = options_.relay_residual_grads;
    fwd.relay_into_linears = options_.relay_into_linears;
    fwd.lt_transposed_weight_grads = options_.lt_transposed_weight_grads;
    fwd.fused_relu_dropout = options_.fused_relu_dropout;
    fwd.fused_residual_dropout = options_.fused_residual_dropout;
    if (b.line_start.defined()) fwd.line_start = &b.line_start;
    if (b.line_seqstarts.defined()) {
      fwd.line_seqstarts = &b.line_seqstarts;
      fwd.own_line_attention = OwnLineAttention(b.len);
    }
    const PackParams& p = model.params();
    if (wait_for_layer != nullptr) {
      (*wait_for_layer)(-1);
      fwd.before_layer = *wait_for_layer;
    }
    torch::Tensor hidden = model.Hidden(p, b.ids, b.lengths, fwd);
    if (wait_for_layer != nullptr) (*wait_for_layer)(static_cast<int64_t>(p.layers.size()));
    torch::Tensor logits = model.Logits(p, hidden, fwd).to(torch::kFloat32);
    return LossPerSeed(logits, b.targets.view({S, -1}), b.counts);
  }

  // The ragged step's per-seed loss [S] (ragged_model.h) on the bucket's device tables: no host
  // offsets (seed_begin stays empty), attention per line by our kernels.
  torch::Tensor RaggedLoss(Bucket& b) {
    PackModel& model = *state_.model;
    const RaggedBatch& batch = b.ragged_batch;
    RaggedForwardOptions fwd;
    fwd.train = true;
    fwd.dropout = options_.config.dropout;
    fwd.own_line_attention = true;
    fwd.fused_relu_dropout = options_.fused_relu_dropout;
    fwd.fused_layer_norm = options_.fused_layer_norm;
    fwd.fused_residual_dropout = options_.fused_residual_dropout;
    fwd.side_stream_weight_grads = SideStream();  // Body joins it
    fwd.transposed_weight_grads = options_.lt_transposed_weight_grads;
    torch::AutoGradMode grad_mode(true);
    const PackParams& p = model.params();
    return RaggedLossPerSeed(RaggedLogits(p, RaggedHidden(model, p, batch, fwd), batch), batch);
  }

  // Packed rows of `len` positions attend per line by our kernels
  // (TrainStepUsesOwnLineAttention; the graph step always has the pack-level dropout stream).
  bool OwnLineAttention(int64_t len) const {
    return options_.pack_lines &&
           TrainStepUsesOwnLineAttention(options_.own_line_attention,
                                         options_.own_line_attention_from, options_.config.dropout,
                                         /*pack_dropout=*/true, len);
  }

  // Weight gradients on the side stream: fp32 activations only (under bf16 autocast the
  // saved input and the output gradient differ in type).
  bool SideStream() const { return options_.side_stream_weight_grads && !options_.bf16; }

  // One row per seed for a step whose usual rows are `usual_len` long (TrainStepUsesOneRow).
  bool OneRow(int64_t usual_len) const {
    return options_.pack_lines &&
           TrainStepUsesOneRow(options_.one_row_per_seed, options_.one_row_from,
                               options_.own_line_attention,
                               options_.own_line_attention_from, options_.line_attention,
                               options_.config.dropout, /*pack_dropout=*/true, usual_len);
  }

  GraphStepOptions options_;
  GraphStepState state_;
  torch::Device device_;
  torch::Tensor step_, lr_;  // float32 scalars on the device, written before each replay
  decltype(at::cuda::graph_pool_handle()) pool_;  // shared by all buckets (sequential replays)
  std::vector<std::unique_ptr<Bucket>> buckets_;
  std::unique_ptr<WeightGradSums> grad_sums_;  // wgmma_weight_grads only
  // update_beside_forward (defer_): the parameters updated beside the next forward, by layer,
  // their gradients views of grad_buffer_; deferred_[i]: leaf i is among them (empty until
  // the first capture's warm-up found them).
  struct DeferredGroup {
    int64_t layer = 0;
    std::vector<torch::Tensor> grads;
    std::vector<ParamSlot> layout;
  };
  bool defer_ = false;
  torch::Tensor grad_buffer_, pending_scale_;
  std::vector<DeferredGroup> groups_;
  std::vector<bool> deferred_;
  // The last replay's deferred update, not yet applied: its step number and learning rate.
  bool pending_ = false;
  int64_t pending_update_ = 0;
  double pending_lr_ = 0.0;
  torch::Tensor last_loss_;
  std::pair<int64_t, int64_t> last_shape_{0, 0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<GraphStepper>> MakeGraphStepper(const GraphStepOptions& options,
                                                               const GraphStepState& state) {
  if (!state.model->device().is_cuda()) {
    return absl::InvalidArgumentError("CUDA graphs need a CUDA device");
  }
  return std::unique_ptr<GraphStepper>(new CudaGraphStepper(options, state));
}

#else  // LibTorch < 2.4: no fused AdamW with a tensor learning rate.

absl::StatusOr<std::unique_ptr<GraphStepper>> MakeGraphStepper(const GraphStepOptions&,
                                                               const GraphStepState&) {
  return absl::UnimplementedError("CUDA-graph steps need LibTorch 2.4 or newer");
}

#endif

}  // namespace sg
