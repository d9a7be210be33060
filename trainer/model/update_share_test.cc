#include "trainer/model/update_share.h"

#include <gtest/gtest.h>

namespace sg {
namespace {

TEST(UpdateShareTest, PicksSgsAndLibTorchsUpdateKernelsByName) {
  EXPECT_TRUE(IsUpdateKernel(
      "sg::cuda_kernels::(anonymous namespace)::AdamWKernel(sg::cuda_kernels::SlotTable, float"));
  EXPECT_TRUE(IsUpdateKernel("sg::cuda_kernels::(anonymous namespace)::GradSquaredSumsKernel("));
  EXPECT_TRUE(IsUpdateKernel("sg::cuda_kernels::(anonymous namespace)::ClipScaleKernel(float"));
  EXPECT_TRUE(IsUpdateKernel(
      "void at::native::(anonymous namespace)::multi_tensor_apply_kernel<at::native::(anonymous "
      "namespace)::FusedAdamMathFunctor<float, 4, (at::native::ADAM_MODE)1, false>"));
  EXPECT_TRUE(IsUpdateKernel("void at::native::(anonymous namespace)::lpnorm_cleanup<float"));
  EXPECT_FALSE(IsUpdateKernel("sg::cuda_kernels::(anonymous namespace)::BackwardAffineKernel("));
  EXPECT_FALSE(IsUpdateKernel(
      "void cutlass::Kernel2<cutlass_80_tensorop_s1688gemm_128x128_16x4_nt_align4>"));
  EXPECT_FALSE(IsUpdateKernel("Memset (Unknown)"));
}

// Session 28's H100 profile, rounded: AdamW 1,791 us and the squared sums 248 us a step over
// 20 steps, a 10 x 18,974,791-parameter pack: 6.07 GB in 2,039 us, 2.98 TB/s.
TEST(UpdateShareTest, SumsTheUpdatesKernelsAndTheirBandwidth) {
  const std::vector<KernelTime> kernels = {
      {"sg::cuda_kernels::(anonymous namespace)::AdamWKernel(", 20 * 1791.0, 40},
      {"void cutlass::Kernel2<cutlass_80_tensorop_s1688gemm_128x128_16x4_nt_align4>",
       20 * 853.7, 240},
      {"sg::cuda_kernels::(anonymous namespace)::GradSquaredSumsKernel(", 20 * 248.0, 40},
      {"sg::cuda_kernels::(anonymous namespace)::ClipScaleKernel(", 20 * 0.0, 0},
  };
  const UpdateShare u = SummarizeUpdate(kernels, 20, 10 * 18974791LL);
  EXPECT_DOUBLE_EQ(u.us_per_step, 2039.0);
  EXPECT_DOUBLE_EQ(u.launches_per_step, 4.0);
  EXPECT_NEAR(u.gb_per_s, 32.0 * 189747910.0 / 2039.0 / 1e3, 1e-9);
  EXPECT_NEAR(u.gb_per_s, 2978, 1);
}

// Session 29's H100 profile with the weight gradients by our wgmma kernel, rounded: the norm's
// pass reads only the other gradients, so the update moves 28 bytes a parameter.
TEST(UpdateShareTest, CountsTwentyEightBytesWhereTheWeightGradientsSumThemselves) {
  const std::vector<KernelTime> kernels = {
      {"sg::cuda_kernels::(anonymous namespace)::AdamWKernel(", 20 * 1800.0, 40},
      {"sg::cuda_kernels::(anonymous namespace)::WgmmaWeightGradKernel(sg::cuda_kernels::",
       20 * 1308.5, 480},
      {"sg::cuda_kernels::(anonymous namespace)::GradSquaredSumsKernel(", 20 * 40.0, 20},
  };
  EXPECT_TRUE(HasWeightGradSumsKernel(kernels));
  const UpdateShare u = SummarizeUpdate(kernels, 20, 10 * 18974791LL);
  EXPECT_EQ(u.bytes_per_param, kUpdateBytesPerParamWithSums);
  EXPECT_DOUBLE_EQ(u.us_per_step, 1840.0);
  EXPECT_NEAR(u.gb_per_s, 28.0 * 189747910.0 / 1840.0 / 1e3, 1e-9);
  EXPECT_FALSE(HasWeightGradSumsKernel({{"AdamWKernel", 5.0, 1}}));
  EXPECT_EQ(SummarizeUpdate({{"AdamWKernel", 5.0, 1}}, 1, 10).bytes_per_param,
            kUpdateBytesPerParam);
}

TEST(UpdateShareTest, NoUpdateKernelsOrNoStepsGiveZeros) {
  const UpdateShare none = SummarizeUpdate({{"Memset (Unknown)", 5.0, 1}}, 20, 1000);
  EXPECT_EQ(none.us_per_step, 0);
  EXPECT_EQ(none.gb_per_s, 0);
  const UpdateShare no_steps = SummarizeUpdate({{"AdamWKernel", 5.0, 1}}, 0, 1000);
  EXPECT_EQ(no_steps.us_per_step, 0);
}

}  // namespace
}  // namespace sg
