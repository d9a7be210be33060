// A layer's seed-batched products by cuBLASLt with the algorithm its heuristic ranks first,
// where LibTorch's bmm takes cuBLAS's own pick: for some of the pack's shapes that pick is far
// slower (sg-gemm-bench on the H100, 10 seeds x 256 rows: the 512 x 512 output projection's
// forward 22.9 us by bmm against 15.6 us, its input gradient 26.3 against 17.3;
// docs/performance.md, session 24). The choice is a configuration pinned in the code where one
// was measured faster for the shape (cuda_seed_gemm_pins.h: the chain's products of QF packs
// of 10 and 16 seeds on Hopper, session 33), otherwise the heuristic's first, asked about the
// shape alone (every operand declared 16-byte aligned, no split-K reductions); either way a
// process that resumes a pack picks the same kernels and its steps stay bit-equal to an
// uninterrupted run's. The forward's bias is added in the GEMM's
// epilogue (baddbmm first copies it into the output). Trainer-internal (LibTorch): the
// side-stream linear's forward and backward use it (cuda_side_stream_linear.h,
// ForwardOptions::lt_gemms; PackTrainerOptions::lt_gemms, on by default).
// cuda_seed_gemm.cc implements it against a CUDA LibTorch; the CPU build compiles
// cuda_seed_gemm_unavailable.cc, where it never serves.
//
// Each returns true with the result written where it serves: fp32 CUDA tensors, x / dy
// contiguous [S, N, *], wt [S, in, out] with contiguous inner matrices at any seed stride
// (views of the pack's flat [S, P] buffer), bias [S, out] with a unit inner stride; products in
// TF32 where cuBLAS may use TF32 (at::globalContext().allowTF32CuBLAS()). False otherwise, or
// where cuBLASLt offers no algorithm: nothing done, and the caller takes LibTorch's bmm.
#ifndef SG_TRAINER_MODEL_CUDA_SEED_GEMM_H_
#define SG_TRAINER_MODEL_CUDA_SEED_GEMM_H_

#include <torch/torch.h>

#include <vector>

#include "absl/status/status.h"
#include "trainer/model/gemm_pin_text.h"

namespace sg {

// Whether this build has them.
bool SeedGemmAvailable();

// *y [S, N, out] = x [S, N, in] @ wt (+ bias on every row; bias may be undefined).
bool SeedGemmForward(const torch::Tensor& x, const torch::Tensor& wt, const torch::Tensor& bias,
                     torch::Tensor* y);

// *dx [S, N, in] = dy [S, N, out] @ wt^T (+ addend [S, N, in], contiguous, where defined:
// added in the product's epilogue, cuBLASLt's beta = 1, by the same algorithm as without it).
bool SeedGemmInputGrad(const torch::Tensor& dy, const torch::Tensor& wt, torch::Tensor* dx,
                       const torch::Tensor& addend = {});

// dw [S, in, out] = x^T @ dy, into dw (contiguous inner matrices, any seed stride).
// While the device has active weight-gradient sums (cuda_weight_grad_sums.h: the graph step's
// backward with PackTrainerOptions::wgmma_weight_grads), by our wgmma kernel where it serves
// (Hopper, TF32, in and out multiples of 128; cuda_wgmma_weight_grad_kernel.h), which also
// writes the gradient's tile sums of squares there; otherwise cuBLASLt's product.
// transpose_x: first copy x into a contiguous xt [S, in, N] on the current stream, then take
// the product from it. x^T @ dy as it stands is an "nt" product, which Hopper's TF32
// tensor-core kernels cannot take (cuBLAS runs sm80 kernels for it); from xt it is "nn", which
// sm90 kernels take (sg-gemm-bench's "wgrad x^T" rows; docs/performance.md, session 26).
// db (fp32 [S, out], contiguous; may be null): where our kernel serves, it also writes the
// bias gradient (dy's column sums) there and sets *wrote_db; otherwise db is left to the caller.
bool SeedGemmWeightGrad(const torch::Tensor& x, const torch::Tensor& dy, torch::Tensor& dw,
                        bool transpose_x = false, torch::Tensor* db = nullptr,
                        bool* wrote_db = nullptr);

// Replaces the pinned configurations (cuda_seed_gemm_pins.h) for this process, to time the
// step with another table without a rebuild (sg-bench --gemm-pins; gemm_pin_text.h): from now
// on a product listed in `pins` (shape and seeds) takes its configuration where cuBLASLt runs it
// on the device, on any device, in TF32 only as the compiled pins; every other product takes
// the heuristic's first. The plans made so far are dropped, so a product planned before takes
// the new table at its next plan; a captured CUDA graph keeps the kernels it captured, so call
// it before a trainer is made. A measuring tool's switch, not sg-train's: a pack's trainers
// must all take one table for their steps to stay bit-equal. FailedPrecondition in a build
// without cuBLASLt's products (the CPU build).
absl::Status ReplaceSeedGemmPins(const std::vector<GemmPinText>& pins);

// The compiled table again (a no-op where nothing was replaced); the plans are dropped as above.
void RestoreSeedGemmPins();

// The table products on `device` are planned from now (cuda_seed_gemm_pins.h): the one that
// replaced the compiled tables, or the compiled table of the device's card (empty on a card
// no table holds on; on a CPU device, the H100's). Empty in the CPU build.
std::vector<GemmPinText> SeedGemmPinsInForce(const torch::Device& device);

}  // namespace sg

#endif  // SG_TRAINER_MODEL_CUDA_SEED_GEMM_H_
