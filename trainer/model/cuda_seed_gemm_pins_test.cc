// The pinned cuBLASLt configurations (cuda_seed_gemm_pins.h) on the device at hand: each runs
// here, the products plan it and take it (bit-equal to the pinned algorithm queued directly),
// and it agrees with LibTorch's bmm / baddbmm. Built only against a CUDA LibTorch; skips
// without a CUDA device, and where the device is not one the pins hold on (compute capability
// 9.0, 132 multiprocessors: the H100 SXM and the H200).
#include "trainer/model/cuda_seed_gemm_pins.h"

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAStream.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "trainer/model/cuda_seed_gemm.h"
#include "trainer/model/tf32_scope_test_util.h"

namespace sg {
namespace seed_gemm {
namespace {

using testing_util::Tf32Scope;

DeviceKind Here() { return KindOf(0); }

TEST(CudaSeedGemmPinsTest, TheH200TakesItsOwnTableWhereItHasOne) {
  const DeviceKind h100{9, 0, 132, "NVIDIA H100 80GB HBM3"}, h200{9, 0, 132, kH200Name};
  EXPECT_EQ(PinsFor(h100), &Pins());
  EXPECT_EQ(PinsFor(h200), H200Pins() != nullptr ? H200Pins() : &Pins());
  DeviceKind other = h200;
  other.multiprocessors = 114;
  EXPECT_EQ(PinsFor(other), nullptr) << "no table holds on that card";
}

TEST(CudaSeedGemmPinsTest, EveryPinRunsAndTheProductsTakeIt) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const DeviceKind here = Here();
  const std::vector<Pin>* pins = PinsFor(here);
  if (pins == nullptr || pins->empty()) {
    GTEST_SKIP() << "no pins hold on this device (" << here.name << ", compute capability "
                 << here.major << "." << here.minor << ", " << here.multiprocessors
                 << " multiprocessors)";
  }
  Product probe;
  probe.op_a = pins->front().op_a, probe.op_b = pins->front().op_b;
  probe.m = pins->front().m, probe.n = pins->front().n, probe.k = pins->front().k;
  probe.batch = pins->front().batch;
  ASSERT_NE(PinnedConfig(probe, /*tf32=*/true, here), nullptr);
  EXPECT_EQ(PinnedConfig(probe, /*tf32=*/false, here), nullptr) << "fp32 takes no pin";
  Tf32Scope scope(true);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  cublasLtHandle_t handle = at::cuda::getCurrentCUDABlasLtHandle();
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();
  torch::manual_seed(33);
  for (const Pin& pin : *pins) {
    const int64_t seeds = pin.batch;
    const bool forward = pin.op_a == CUBLAS_OP_N;
    const int64_t rows = pin.n;
    const int64_t in = forward ? pin.k : pin.m, out = forward ? pin.m : pin.k;
    const std::string name = std::string(forward ? "forward " : "input gradient ") +
                             std::to_string(in) + "->" + std::to_string(out) + ", " +
                             std::to_string(seeds) + " seeds: " + Describe(pin.config);
    const torch::Tensor wt =
        torch::randn({seeds, in, out}, opts) / std::sqrt(static_cast<double>(in));
    const torch::Tensor bias = torch::randn({seeds, out}, opts);
    const torch::Tensor x = torch::randn({seeds, rows, in}, opts);
    const torch::Tensor dy = torch::randn({seeds, rows, out}, opts);

    torch::Tensor got, direct, ref;
    Product p;
    if (forward) {
      ASSERT_TRUE(SeedGemmForward(x, wt, bias, &got)) << name;
      direct = torch::empty_like(got);
      p = ForwardProduct(x, wt, bias, direct);
      ref = torch::baddbmm(bias.unsqueeze(1), x, wt);
    } else {
      ASSERT_TRUE(SeedGemmInputGrad(dy, wt, &got)) << name;
      direct = torch::empty_like(got);
      p = InputGradProduct(dy, wt, direct);
      ref = torch::bmm(dy, wt.transpose(1, 2));
    }
    ASSERT_NE(PinnedConfig(p, /*tf32=*/true, here), nullptr) << name;
    // The products' plan is the pin (the bits alone could not tell: other configurations of
    // the same kernel sum in the same order and may give them too).
    EXPECT_EQ(PlannedConfig(p, x.device()), pin.config) << name;
    Product other_batch = p;
    other_batch.batch = seeds + 1;
    EXPECT_EQ(PinnedConfig(other_batch, /*tf32=*/true, here), nullptr) << name;
    Ranked ranked = RankAlgorithms(handle, p, /*tf32=*/true, 1);
    cublasLtMatmulHeuristicResult_t algo;
    ASSERT_TRUE(Configure(handle, ranked, pin.config, /*tf32=*/true, &algo)) << name;
    EXPECT_EQ(ConfigOf(algo.algo), pin.config) << name;
    torch::Tensor workspace;
    if (algo.workspaceSize > 0) {
      workspace = torch::empty({static_cast<int64_t>(algo.workspaceSize)},
                               torch::TensorOptions().dtype(torch::kUInt8).device(torch::kCUDA));
    }
    Enqueue(handle, ranked, algo, p, algo.workspaceSize > 0 ? workspace.data_ptr() : nullptr,
            stream);
    Destroy(&ranked);
    EXPECT_TRUE(torch::equal(got, direct)) << name << ": the product did not take the pin";
    const double scale = ref.abs().max().item<double>();
    EXPECT_LE((got - ref).abs().max().item<double>(), 5e-3 * scale) << name;
  }
}

// The compiled table back at the end of a test, whatever it asserted.
struct RestorePinsAtExit {
  ~RestorePinsAtExit() { RestoreSeedGemmPins(); }
};

// sg-bench --gemm-pins's path (cuda_seed_gemm.h): a replaced table holds on any device, the
// products planned before take it at once, an empty table pins nothing, and the compiled table
// comes back.
TEST(CudaSeedGemmPinsTest, AReplacedTableIsTakenAndTheCompiledOneComesBack) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  RestorePinsAtExit restore;
  Tf32Scope scope(true);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCUDA, 0);
  torch::manual_seed(41);
  // 3 seeds: no compiled pin holds, so the products start from the heuristic's first.
  const int64_t seeds = 3, rows = 64, in = 512, out = 512;
  const torch::Tensor wt = torch::randn({seeds, in, out}, opts) / std::sqrt(double{in});
  const torch::Tensor bias = torch::randn({seeds, out}, opts);
  const torch::Tensor x = torch::randn({seeds, rows, in}, opts);
  torch::Tensor got;
  ASSERT_TRUE(SeedGemmForward(x, wt, bias, &got));  // planned from the compiled table
  torch::Tensor direct = torch::empty_like(got);
  const Product p = ForwardProduct(x, wt, bias, direct);
  cublasLtHandle_t handle = at::cuda::getCurrentCUDABlasLtHandle();
  Ranked ranked = RankAlgorithms(handle, p, /*tf32=*/true, 8);
  ASSERT_FALSE(ranked.algos.empty());
  const AlgoConfig first = ConfigOf(ranked.algos[0].algo);
  EXPECT_EQ(PlannedConfig(p, x.device()), first);
  // Another configuration the heuristic offers and cuBLASLt runs here.
  AlgoConfig other;
  cublasLtMatmulHeuristicResult_t algo;
  for (size_t i = 1; i < ranked.algos.size() && other.id < 0; ++i) {
    const AlgoConfig c = ConfigOf(ranked.algos[i].algo);
    if (!(c == first) && Configure(handle, ranked, c, /*tf32=*/true, &algo)) other = c;
  }
  if (other.id < 0) {
    Destroy(&ranked);
    GTEST_SKIP() << "cuBLASLt offers one configuration for the shape here";
  }

  GemmPinText pin = TextOfPin(Pin{p.op_a, p.op_b, p.m, p.n, p.k, p.batch, other});
  ASSERT_TRUE(ReplaceSeedGemmPins({pin}).ok());
  const std::vector<GemmPinText> in_force = SeedGemmPinsInForce(x.device());
  ASSERT_EQ(in_force.size(), 1u);
  EXPECT_TRUE(in_force[0] == pin);
  EXPECT_EQ(PlannedConfig(p, x.device()), other) << Describe(other);
  ASSERT_TRUE(SeedGemmForward(x, wt, bias, &got));
  torch::Tensor workspace;
  if (algo.workspaceSize > 0) {
    workspace = torch::empty({static_cast<int64_t>(algo.workspaceSize)},
                             torch::TensorOptions().dtype(torch::kUInt8).device(torch::kCUDA));
  }
  Enqueue(handle, ranked, algo, p, algo.workspaceSize > 0 ? workspace.data_ptr() : nullptr,
          c10::cuda::getCurrentCUDAStream().stream());
  EXPECT_TRUE(torch::equal(got, direct)) << "the product did not take the replaced pin";
  const torch::Tensor ref = torch::baddbmm(bias.unsqueeze(1), x, wt);
  EXPECT_LE((got - ref).abs().max().item<double>(), 5e-3 * ref.abs().max().item<double>());
  EXPECT_EQ(PinnedConfig(p, /*tf32=*/false, Here()), nullptr) << "fp32 takes no pin";

  ASSERT_TRUE(ReplaceSeedGemmPins({}).ok());
  EXPECT_TRUE(SeedGemmPinsInForce(x.device()).empty());
  EXPECT_EQ(PlannedConfig(p, x.device()), first) << "an empty table: the heuristic's first";

  RestoreSeedGemmPins();
  const std::vector<Pin>* compiled = PinsFor(Here());
  EXPECT_EQ(SeedGemmPinsInForce(x.device()).size(), compiled ? compiled->size() : 0u);
  EXPECT_EQ(PlannedConfig(p, x.device()), first);
  Destroy(&ranked);
}

}  // namespace
}  // namespace seed_gemm
}  // namespace sg
