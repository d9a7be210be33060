#include "trainer/model/grad_destination.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace sg {
namespace {

// Autograd keeps a destination as the leaf's gradient (no copy): what makes the gradients of a
// deferred update lie outside the graphs' pool. A custom function stands in for the side
// stream's linear: its backward writes the weight's gradient into the destination.
class ScaleFunction : public torch::autograd::Function<ScaleFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& w) {
    ctx->save_for_backward({x, w});
    return x * w;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    torch::Tensor dw = GradDestinationFor(saved[1]);
    if (!dw.defined()) dw = torch::empty_like(saved[1]);
    torch::mul_out(dw, grads[0], saved[0]);
    return {grads[0] * saved[1], dw};
  }
};

TEST(GradDestinationTest, MirrorsTheParameterInTheGradients) {
  torch::Tensor flat = torch::arange(24, torch::kFloat32).view({2, 12});
  torch::Tensor grads = torch::zeros_like(flat);
  torch::Tensor w = flat.narrow(1, 4, 6).view({2, 2, 3});  // seed stride 12
  EXPECT_FALSE(GradDestinationFor(w).defined());            // no scope
  {
    ScopedGradDestinations scope(flat, grads);
    torch::Tensor d = GradDestinationFor(w);
    ASSERT_TRUE(d.defined());
    EXPECT_EQ(d.sizes(), w.sizes());
    EXPECT_TRUE(d.is_contiguous());
    EXPECT_EQ(d.data_ptr<float>(), grads.data_ptr<float>() + 2 * 4);  // S * offset
    EXPECT_TRUE(IsGradDestination(d, w, flat, grads));
    EXPECT_FALSE(IsGradDestination(torch::zeros_like(w), w, flat, grads));
    // Not a whole parameter of the weights: none.
    EXPECT_FALSE(GradDestinationFor(torch::zeros({2, 2, 3})).defined());
    EXPECT_FALSE(GradDestinationFor(grads.narrow(1, 0, 3)).defined());
    EXPECT_FALSE(GradDestinationFor(flat.narrow(0, 1, 1).narrow(1, 4, 6)).defined());
    EXPECT_FALSE(GradDestinationFor(w.transpose(1, 2)).defined());
    EXPECT_THROW(ScopedGradDestinations again(flat, grads), c10::Error);
  }
  EXPECT_FALSE(GradDestinationFor(w).defined());  // the scope ended
  EXPECT_THROW(ScopedGradDestinations bad(flat, torch::zeros({2, 11})), c10::Error);
  ScopedGradDestinations other_shape(flat, torch::zeros({24}));  // any shape of as many
  EXPECT_TRUE(GradDestinationFor(w).defined());
}

TEST(GradDestinationTest, AutogradKeepsTheDestinationAsTheGradient) {
  torch::Tensor flat = torch::randn({3, 16});
  torch::Tensor grads = torch::zeros_like(flat);
  // A strided view of the weights, as the model's parameters are.
  torch::Tensor w = flat.narrow(1, 8, 5).detach().requires_grad_(true);
  torch::Tensor x = torch::randn({3, 5});
  {
    ScopedGradDestinations scope(flat, grads);
    ScaleFunction::apply(x, w).sum().backward();
  }
  ASSERT_TRUE(w.grad().defined());
  EXPECT_TRUE(IsGradDestination(w.grad(), w, flat, grads));
  // d(sum(x * w))/dw = x, contiguous from S * 8.
  EXPECT_TRUE(torch::equal(grads.view(-1).narrow(0, 3 * 8, 15).view({3, 5}), x));
  EXPECT_EQ(grads.view(-1).narrow(0, 0, 24).abs().sum().item<float>(), 0.f);
}

}  // namespace
}  // namespace sg
