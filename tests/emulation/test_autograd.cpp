// Straight-through estimator: forward is the approximate result, backward the gradient of the
// fake-quantized exact product.
#include <torch/autograd.h>

#include "emulation/ops.hpp"
#include "test_util.hpp"

namespace axx::emu {
namespace {

std::shared_ptr<const Multiplier> random_signed(uint32_t seed) {
  return make_multiplier("r", true, test::lut_tensor(test::random_lut(seed, -32768, 32767)));
}

TEST(Ste, LinearForwardIsApproximateBackwardIsFakeQuantExact) {
  auto m = make_multiplier("near", true, [] {
    // exact product plus a small error, so gradients of exact and approximate differ little
    auto t = make_exact_multiplier(true)->lut_tensor();
    return t + at::randint(-50, 50, {256, 256}, at::kInt);
  }());
  at::Tensor x = at::randn({4, 5, 32}).requires_grad_();
  at::Tensor w = (at::randn({8, 32}) * 0.2).requires_grad_();
  at::Tensor b = at::randn({8}).requires_grad_();
  const QParams act = qparams_from_range(-1.0, 1.0, true);  // clips part of x: mask matters
  at::Tensor y = approx_linear(x, w, b, *m, act, WeightGranularity::per_channel, "fc");
  {
    at::NoGradGuard ng;
    EXPECT_TRUE(at::equal(y.detach(), approx_linear(x, w, b, *m, act, WeightGranularity::per_channel, "fc")));
  }
  at::Tensor go = at::randn(y.sizes());
  auto g = torch::autograd::grad({y}, {x, w, b}, {go});
  // Reference: autograd through fake-quantized operands, masked outside the activation range.
  const auto qw = quantize_weight(w.detach(), true, WeightGranularity::per_channel, "fc");
  at::Tensor xf = fake_quantize(x.detach(), act, true).requires_grad_();
  at::Tensor wf = fake_quantize_weight(w.detach(), qw, true).requires_grad_();
  at::Tensor bf = b.detach().clone().requires_grad_();
  auto gr = torch::autograd::grad({at::linear(xf, wf, bf)}, {xf, wf, bf}, {go});
  const at::Tensor mask = ((x.detach() >= -128 * act.scale) & (x.detach() <= 127 * act.scale)).to(at::kFloat);
  EXPECT_TRUE(at::allclose(g[0], gr[0] * mask, 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(g[1], gr[1], 1e-4, 1e-5));
  EXPECT_TRUE(at::allclose(g[2], gr[2], 1e-5, 1e-5));
  EXPECT_GT((mask == 0).sum().item<int64_t>(), 0);  // the clip really happened
}

TEST(Ste, Conv2dGradientsMatchFakeQuantizedConv) {
  auto m = random_signed(61);
  at::Tensor x = at::randn({2, 4, 9, 9}).requires_grad_();
  at::Tensor w = at::randn({6, 2, 3, 3}).requires_grad_();
  at::Tensor b = at::randn({6}).requires_grad_();
  const QParams act = qparams_from_range(-4, 4, true);
  Conv2dGeometry g{{2, 2}, {1, 1}, {1, 1}, 2};
  at::Tensor y = approx_conv2d(x, w, b, g, *m, act, WeightGranularity::per_channel, "conv");
  at::Tensor go = at::randn(y.sizes());
  auto gr = torch::autograd::grad({y}, {x, w, b}, {go});
  const auto qw = quantize_weight(w.detach().reshape({6, -1}), true, WeightGranularity::per_channel, "conv");
  at::Tensor xf = fake_quantize(x.detach(), act, true).requires_grad_();
  at::Tensor wf = fake_quantize_weight(w.detach().reshape({6, -1}), qw, true).reshape(w.sizes()).requires_grad_();
  at::Tensor bf = b.detach().clone().requires_grad_();
  auto want = torch::autograd::grad({at::conv2d(xf, wf, bf, {2, 2}, {1, 1}, {1, 1}, 2)}, {xf, wf, bf}, {go});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(at::allclose(gr[size_t(i)], want[size_t(i)], 1e-4, 1e-4)) << i;
}

TEST(Ste, MatmulGradientsFlowToBothOperands) {
  auto m = random_signed(62);
  at::Tensor a = at::randn({2, 5, 8}).requires_grad_();
  at::Tensor b = at::randn({2, 8, 6}).requires_grad_();
  const QParams qa = qparams_from_range(-5, 5, true), qb = qparams_from_range(-5, 5, true);
  at::Tensor y = approx_matmul(a, b, *m, qa, qb, "qk");
  at::Tensor go = at::randn(y.sizes());
  auto g = torch::autograd::grad({y}, {a, b}, {go});
  at::Tensor af = fake_quantize(a.detach(), qa, true).requires_grad_();
  at::Tensor bf = fake_quantize(b.detach(), qb, true).requires_grad_();
  auto want = torch::autograd::grad({at::matmul(af, bf)}, {af, bf}, {go});
  EXPECT_TRUE(at::allclose(g[0], want[0], 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(g[1], want[1], 1e-5, 1e-5));
}

TEST(Ste, ApproximationAwareFineTuningReducesLoss) {
  at::manual_seed(7);
  auto m = make_multiplier("near", true, make_exact_multiplier(true)->lut_tensor() +
                                             at::randint(-200, 200, {256, 256}, at::kInt));
  at::Tensor x = at::randn({64, 16});
  at::Tensor target = at::linear(x, at::randn({4, 16}));
  at::Tensor w = (at::randn({4, 16}) * 0.1).requires_grad_();
  const QParams act = qparams_from_range(-4, 4, true);
  auto loss = [&] {
    return (approx_linear(x, w, c10::nullopt, *m, act, WeightGranularity::per_channel, "fc") - target).pow(2).mean();
  };
  const double before = loss().item<double>();
  for (int step = 0; step < 30; ++step) {
    at::Tensor l = loss();
    auto g = torch::autograd::grad({l}, {w});
    at::NoGradGuard ng;
    w.sub_(g[0] * 0.1);
  }
  EXPECT_LT(loss().item<double>(), 0.5 * before);
}

}  // namespace
}  // namespace axx::emu
