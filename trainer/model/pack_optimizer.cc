#include "trainer/model/pack_optimizer.h"

#include <cmath>

namespace sg {

torch::Tensor ClipPerSeed(torch::Tensor& flat_grad, double clip) {
  torch::NoGradGuard no_grad;
  torch::Tensor norm = flat_grad.pow(2).sum(1).sqrt();  // [S]
  if (clip > 0) {
    torch::Tensor coef = (clip / (norm + 1e-6)).clamp_max(1.0);
    flat_grad.mul_(coef.unsqueeze(1));
  }
  return norm;
}

PackAdamW::PackAdamW(const torch::Tensor& flat, const AdamWOptions& options)
    : options_(options), m_(torch::zeros_like(flat)), v_(torch::zeros_like(flat)) {}

void PackAdamW::Step(torch::Tensor& flat, const torch::Tensor& flat_grad, double lr,
                     int64_t update) {
  torch::NoGradGuard no_grad;
  const AdamWOptions& o = options_;
  if (o.weight_decay != 0.0) flat.mul_(1.0 - lr * o.weight_decay);
  m_.mul_(o.beta1).add_(flat_grad, 1.0 - o.beta1);
  v_.mul_(o.beta2).addcmul_(flat_grad, flat_grad, 1.0 - o.beta2);
  const double bc1 = 1.0 - std::pow(o.beta1, static_cast<double>(update));
  const double bc2 = 1.0 - std::pow(o.beta2, static_cast<double>(update));
  torch::Tensor denom = (v_.sqrt() / std::sqrt(bc2)).add_(o.eps);
  flat.addcdiv_(m_, denom, -lr / bc1);
}

}  // namespace sg
