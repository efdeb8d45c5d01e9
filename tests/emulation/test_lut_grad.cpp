// LUT gradients (emulation/lut_grad.hpp): the backward of Linear / Conv2d / matmul under
// GradientMode::lut against a double-precision reference computed from the table and the
// definition (central finite differences in code space, one-sided at the range ends, neighbours
// in value order), for signed and unsigned tables; an exact table gives the STE gradients.
#include <torch/autograd.h>

#include <random>

#include "emulation/lut_grad.hpp"
#include "emulation/ops.hpp"
#include "test_util.hpp"

namespace axx::emu {
namespace {

std::shared_ptr<const Multiplier> random_table(bool sgn, uint32_t seed) {
  return make_multiplier("r", sgn, test::lut_tensor(sgn ? test::random_lut(seed, -32768, 32767)
                                                        : test::random_lut(seed, 0, 65535)));
}

// The definition: d lut / d (operand) at byte codes (a, b), in value order.
double fd(const Multiplier& m, int a, int b, bool along_a) {
  const int32_t* lut = m.table->lut();
  const bool s = m.is_signed;
  const int lo = s ? -128 : 0, hi = s ? 127 : 255;
  const int v = along_a ? (s ? int(int8_t(a)) : a) : (s ? int(int8_t(b)) : b);
  auto f = [&](int val) {
    const int byte = val & 0xFF;
    return double(along_a ? lut[byte * 256 + b] : lut[a * 256 + byte]);
  };
  if (v == lo) return f(v + 1) - f(v);
  if (v == hi) return f(v) - f(v - 1);
  return (f(v + 1) - f(v - 1)) / 2;
}

// Byte code of real x (round half even, saturated), and whether x is inside the range.
int code_of(double x, const QParams& q, bool s) {
  const double lo = s ? -128 : -q.zero_point, hi = s ? 127 : 255 - q.zero_point;
  const double v = std::nearbyint(std::min(hi, std::max(lo, x / double(q.scale))));
  return (int(v) + (s ? 0 : q.zero_point)) & 0xFF;
}
bool inside(double x, const QParams& q, bool s) {
  const double lo = s ? -128.0 * q.scale : -double(q.zero_point) * q.scale;
  const double hi = s ? 127.0 * q.scale : double(255 - q.zero_point) * q.scale;
  return float(x) >= float(lo) && float(x) <= float(hi);  // as the float tensor compares
}

// Values that hit every code, the range ends included, plus a few outside the range.
at::Tensor codes_input(at::IntArrayRef sizes, const QParams& q, bool s, uint32_t seed) {
  at::manual_seed(seed);
  const int64_t lo = s ? -128 : -q.zero_point, hi = s ? 127 : 255 - q.zero_point;
  at::Tensor c = at::randint(lo, hi + 1, sizes, at::kLong).to(at::kDouble);
  at::Tensor x = (c * double(q.scale)).to(at::kFloat);
  x.view(-1)[0] = float(lo * double(q.scale));
  x.view(-1)[1] = float(hi * double(q.scale));
  x.view(-1)[2] = float((hi + 7) * double(q.scale));  // outside: no gradient
  x.view(-1)[3] = float((lo - 7) * double(q.scale));
  return x;
}

double max_abs(const at::Tensor& t) { return t.abs().max().item<double>(); }
void expect_close(const at::Tensor& got, const at::Tensor& want, const char* what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const double err = max_abs(got.to(at::kDouble) - want);
  EXPECT_LE(err, 1e-5 * std::max(1.0, max_abs(want))) << what;
  EXPECT_GT(max_abs(want), 0) << what;
}

// Sets the LUT-gradient smoothing window for a scope, then restores the default.
struct WindowGuard {
  explicit WindowGuard(int w) { set_lut_gradient_window(w); }
  ~WindowGuard() { set_lut_gradient_window(kDefaultLutGradientWindow); }
};

// Against the raw central differences: window 0 (the default smooths, tested below).
class LutGrad : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { set_lut_gradient_window(0); }
  void TearDown() override { set_lut_gradient_window(kDefaultLutGradientWindow); }
};

TEST_P(LutGrad, LinearEqualsFiniteDifferenceReference) {
  const bool s = GetParam();
  auto m = random_table(s, 71);
  const QParams act = qparams_from_range(s ? -2 : -1, s ? 2 : 3, s);
  const int64_t K = 12, N = 5;
  at::Tensor x = codes_input({2, 3, K}, act, s, 1).requires_grad_();
  at::Tensor w = at::randn({N, K}).requires_grad_();
  at::Tensor b = at::randn({N}).requires_grad_();
  at::Tensor y;
  {
    GradientModeGuard lut(GradientMode::lut);
    y = approx_linear(x, w, b, *m, act, WeightGranularity::per_channel, "fc");
  }
  at::Tensor go = at::randn(y.sizes());
  auto g = torch::autograd::grad({y}, {x, w, b}, {go});

  const auto qw = quantize_weight(w.detach(), s, WeightGranularity::per_channel, "fc");
  const at::Tensor x2 = x.detach().reshape({-1, K}).to(at::kDouble), g2 = go.reshape({-1, N}).to(at::kDouble);
  const int64_t M = x2.size(0);
  at::Tensor gx = at::zeros({M, K}, at::kDouble), gw = at::zeros({N, K}, at::kDouble);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t k = 0; k < K; ++k) {
      const double xv = x2[i][k].item<double>();
      const int a = code_of(xv, act, s);
      for (int64_t n = 0; n < N; ++n) {
        const int bc = qw.codes[n][k].item<int>();
        const double sw = qw.scale[n].item<double>(), zw = qw.zero_point[n].item<double>();
        const double gv = g2[i][n].item<double>();
        if (inside(xv, act, s)) gx[i][k] += gv * sw * (fd(*m, a, bc, true) - zw);
        gw[n][k] += gv * double(act.scale) * (fd(*m, a, bc, false) - act.zero_point);
      }
    }
  expect_close(g[0].reshape({-1, K}), gx, "grad x");
  expect_close(g[1], gw, "grad w");
  expect_close(g[2], g2.sum(0), "grad bias");
}

TEST_P(LutGrad, Conv2dEqualsFiniteDifferenceReference) {
  const bool s = GetParam();
  auto m = random_table(s, 72);
  const QParams act = qparams_from_range(s ? -2 : -1, s ? 2 : 3, s);
  const int64_t B = 2, C = 4, H = 5, W = 6, Cout = 6, G = 2, kh = 3, kw = 2;
  const Conv2dGeometry geo{{2, 1}, {1, 1}, {1, 2}, G};
  at::Tensor x = codes_input({B, C, H, W}, act, s, 2).requires_grad_();
  at::Tensor w = at::randn({Cout, C / G, kh, kw}).requires_grad_();
  at::Tensor b = at::randn({Cout}).requires_grad_();
  at::Tensor y;
  {
    GradientModeGuard lut(GradientMode::lut);
    y = approx_conv2d(x, w, b, geo, *m, act, WeightGranularity::per_channel, "conv");
  }
  at::Tensor go = at::randn(y.sizes());
  auto g = torch::autograd::grad({y}, {x, w, b}, {go});

  const auto qw = quantize_weight(w.detach().reshape({Cout, -1}), s, WeightGranularity::per_channel, "conv");
  const int64_t Ho = y.size(2), Wo = y.size(3), Cg = C / G, Ng = Cout / G;
  const at::Tensor xd = x.detach().to(at::kDouble), gd = go.to(at::kDouble);
  at::Tensor gx = at::zeros({B, C, H, W}, at::kDouble), gw = at::zeros({Cout, Cg * kh * kw}, at::kDouble);
  const int pad_code = s ? 0 : act.zero_point;
  for (int64_t bi = 0; bi < B; ++bi)
    for (int64_t co = 0; co < Cout; ++co)
      for (int64_t oh = 0; oh < Ho; ++oh)
        for (int64_t ow = 0; ow < Wo; ++ow) {
          const double gv = gd[bi][co][oh][ow].item<double>();
          const double sw = qw.scale[co].item<double>(), zw = qw.zero_point[co].item<double>();
          for (int64_t cl = 0; cl < Cg; ++cl)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t h = oh * geo.stride[0] - geo.padding[0] + i * geo.dilation[0];
                const int64_t ww = ow * geo.stride[1] - geo.padding[1] + j * geo.dilation[1];
                const int64_t ci = (co / Ng) * Cg + cl, kidx = (cl * kh + i) * kw + j;
                const bool in = h >= 0 && h < H && ww >= 0 && ww < W;
                const double xv = in ? xd[bi][ci][h][ww].item<double>() : 0.0;
                const int a = in ? code_of(xv, act, s) : pad_code;
                const int bc = qw.codes[co][kidx].item<int>();
                if (in && inside(xv, act, s)) gx[bi][ci][h][ww] += gv * sw * (fd(*m, a, bc, true) - zw);
                gw[co][kidx] += gv * double(act.scale) * (fd(*m, a, bc, false) - act.zero_point);
              }
        }
  expect_close(g[0], gx, "grad x");
  expect_close(g[1].reshape({Cout, -1}), gw, "grad w");
  expect_close(g[2], gd.sum({0, 2, 3}), "grad bias");
}

TEST_P(LutGrad, MatmulEqualsFiniteDifferenceReferenceForBothOperands) {
  const bool s = GetParam();
  auto m = random_table(s, 73);
  const QParams qa = qparams_from_range(s ? -3 : -1, s ? 3 : 2, s), qb = qparams_from_range(s ? -2 : -0.5, 2, s);
  const int64_t M = 4, K = 7, N = 3;
  at::Tensor a = codes_input({2, 3, M, K}, qa, s, 3).requires_grad_();
  at::Tensor b = codes_input({2, 3, K, N}, qb, s, 4).requires_grad_();
  at::Tensor y;
  {
    GradientModeGuard lut(GradientMode::lut);
    y = approx_matmul(a, b, *m, qa, qb, "qk");
  }
  at::Tensor go = at::randn(y.sizes());
  auto g = torch::autograd::grad({y}, {a, b}, {go});
  const at::Tensor ad = a.detach().reshape({-1, M, K}).to(at::kDouble), bd = b.detach().reshape({-1, K, N}).to(at::kDouble);
  const at::Tensor gd = go.reshape({-1, M, N}).to(at::kDouble);
  at::Tensor ga = at::zeros(ad.sizes(), at::kDouble), gb = at::zeros(bd.sizes(), at::kDouble);
  for (int64_t t = 0; t < ad.size(0); ++t)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < N; ++n) {
          const double av = ad[t][i][k].item<double>(), bv = bd[t][k][n].item<double>(), gv = gd[t][i][n].item<double>();
          const int ac = code_of(av, qa, s), bc = code_of(bv, qb, s);
          if (inside(av, qa, s)) ga[t][i][k] += gv * double(qb.scale) * (fd(*m, ac, bc, true) - qb.zero_point);
          if (inside(bv, qb, s)) gb[t][k][n] += gv * double(qa.scale) * (fd(*m, ac, bc, false) - qa.zero_point);
        }
  expect_close(g[0].reshape({-1, M, K}), ga, "grad a");
  expect_close(g[1].reshape({-1, K, N}), gb, "grad b");
}

TEST_P(LutGrad, ExactTableGivesTheStraightThroughGradients) {
  const bool s = GetParam();
  auto m = make_exact_multiplier(s);
  const QParams act = qparams_from_range(-1.5, 2, s);
  at::Tensor x = (at::randn({3, 4, 16}) * 1.2).requires_grad_();
  at::Tensor w = at::randn({6, 16}).requires_grad_();
  at::Tensor ya = approx_linear(x, w, c10::nullopt, *m, act, WeightGranularity::per_channel, "fc");
  at::Tensor yl;
  {
    GradientModeGuard lut(GradientMode::lut);
    yl = approx_linear(x, w, c10::nullopt, *m, act, WeightGranularity::per_channel, "fc");
  }
  EXPECT_TRUE(at::equal(ya.detach(), yl.detach()));  // the forward is the same
  at::Tensor go = at::randn(ya.sizes());
  auto gs = torch::autograd::grad({ya}, {x, w}, {go});
  auto gl = torch::autograd::grad({yl}, {x, w}, {go});
  EXPECT_TRUE(at::allclose(gl[0], gs[0], 1e-4, 1e-5));
  EXPECT_TRUE(at::allclose(gl[1], gs[1], 1e-4, 1e-5));

  const QParams q2 = qparams_from_range(-3, 3, s);
  at::Tensor a = at::randn({2, 5, 8}).requires_grad_(), b = at::randn({2, 8, 4}).requires_grad_();
  at::Tensor ma = approx_matmul(a, b, *m, q2, q2, "qk"), ml;
  {
    GradientModeGuard lut(GradientMode::lut);
    ml = approx_matmul(a, b, *m, q2, q2, "qk");
  }
  at::Tensor go2 = at::randn(ma.sizes());
  auto hs = torch::autograd::grad({ma}, {a, b}, {go2});
  auto hl = torch::autograd::grad({ml}, {a, b}, {go2});
  EXPECT_TRUE(at::allclose(hl[0], hs[0], 1e-4, 1e-5));
  EXPECT_TRUE(at::allclose(hl[1], hs[1], 1e-4, 1e-5));
}

// y1 and y2 are equal, and so are their gradients w.r.t. `inputs` for one random upstream
// gradient (returned, with y1's graph kept for another call).
at::Tensor expect_same_product(const at::Tensor& y1, const at::Tensor& y2, const std::vector<at::Tensor>& inputs,
                               const std::string& what) {
  EXPECT_TRUE(at::equal(y1.detach(), y2.detach())) << what;
  at::Tensor go = at::randn(y1.sizes());
  auto g1 = torch::autograd::grad({y1}, inputs, {go}, /*retain_graph=*/true);
  auto g2 = torch::autograd::grad({y2}, inputs, {go});
  for (size_t i = 0; i < inputs.size(); ++i) {
    expect_close(g1[i], g2[i].to(at::kDouble), (what + " grad " + std::to_string(i)).c_str());
  }
  return go;
}

// "mean" compensation subtracts t[b] from every product (compensation.hpp), so a compensated
// layer must give the forward and the LUT gradients of the same layer without compensation whose
// table is lut[a][b] − t[b]: the weight's (operand B's) gradient then includes −Dt(b).
TEST_P(LutGrad, CompensationGivesTheGradientsOfTheShiftedTable) {
  const bool s = GetParam();
  // Entries 300 inside the product range, so the shifted table is a valid one too.
  const std::vector<int32_t> lut = s ? test::random_lut(74, -32468, 32467) : test::random_lut(74, 300, 65235);
  CompensationTable t{};
  std::mt19937 rng(75);
  for (auto& v : t) v = int32_t(rng() % 601) - 300;
  std::vector<int32_t> shifted(lut);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) shifted[size_t(a * 256 + b)] -= t[size_t(b)];
  auto m = make_multiplier("r", s, test::lut_tensor(lut));
  auto ms = make_multiplier("r_shifted", s, test::lut_tensor(shifted));
  const QParams act = qparams_from_range(s ? -2 : -1, s ? 2 : 3, s);
  const int64_t K = 12, N = 5;
  at::Tensor x = codes_input({2, 3, K}, act, s, 5).requires_grad_();
  at::Tensor w = at::randn({N, K}).requires_grad_();
  at::Tensor yc, ys;
  {
    GradientModeGuard lut_mode(GradientMode::lut);
    yc = approx_linear(x, w, c10::nullopt, *m, act, WeightGranularity::per_channel, "fc", nullptr,
                       MatmulPath::automatic, &t);
    ys = approx_linear(x, w, c10::nullopt, *ms, act, WeightGranularity::per_channel, "fc");
  }
  const at::Tensor go = expect_same_product(yc, ys, {x, w}, "linear");
  auto gc = torch::autograd::grad({yc}, {x, w}, {go});
  // ... and the compensation changes the weight's gradient (the test can fail).
  at::Tensor yn;
  {
    GradientModeGuard lut_mode(GradientMode::lut);
    yn = approx_linear(x, w, c10::nullopt, *m, act, WeightGranularity::per_channel, "fc");
  }
  auto gn = torch::autograd::grad({yn}, {x, w}, {go});
  EXPECT_GT(max_abs(gn[1] - gc[1]), 1e-3 * max_abs(gc[1]));

  const QParams qa = qparams_from_range(s ? -3 : -1, s ? 3 : 2, s), qb = qparams_from_range(s ? -2 : -0.5, 2, s);
  at::Tensor a = codes_input({2, 4, 7}, qa, s, 6).requires_grad_();
  at::Tensor b = codes_input({2, 7, 3}, qb, s, 7).requires_grad_();
  at::Tensor mc, mss;
  {
    GradientModeGuard lut_mode(GradientMode::lut);
    mc = approx_matmul(a, b, *m, qa, qb, "qk", MatmulPath::automatic, &t);
    mss = approx_matmul(a, b, *ms, qa, qb, "qk");
  }
  expect_same_product(mc, mss, {a, b}, "matmul");
}

INSTANTIATE_TEST_SUITE_P(Signedness, LutGrad, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "signed" : "unsigned"; });

TEST(LutGradTables, ExactTablesDifferentiateToTheOtherOperandAndEndsAreOneSided) {
  const WindowGuard window(0);
  const at::Tensor t = lut_derivative_tables(*make_exact_multiplier(true));
  const float* da = t.data_ptr<float>();
  const float* dbt = da + 65536;
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) {
      ASSERT_EQ(da[a * 256 + b], float(int8_t(b)));
      ASSERT_EQ(dbt[b * 256 + a], float(int8_t(a)));
    }
  // A table that is a square in a: d/da at the ends is one-sided, neighbours in int8 order.
  std::vector<int32_t> v(65536);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) v[size_t(a * 256 + b)] = int(int8_t(a)) * int(int8_t(a));
  const at::Tensor sq = lut_derivative_tables(*make_multiplier("sq", true, test::lut_tensor(v)));
  const float* d = sq.data_ptr<float>();
  EXPECT_EQ(d[0x80 * 256 + 3], float(127 * 127 - 128 * 128));  // -128: forward difference
  EXPECT_EQ(d[0x7F * 256 + 3], float(127 * 127 - 126 * 126));  // 127: backward difference
  EXPECT_EQ(d[0xFF * 256 + 3], -2.f);                         // -1: (0 - 4) / 2, 0x00 is its neighbour
  EXPECT_EQ(d[0x00 * 256 + 3], 0.f);
}

// The smoothing window: the mean of the raw central differences over ±w values of the
// differentiated operand, shrunk symmetrically at the ends; an exact table stays exact.
TEST(LutGradTables, SmoothingWindowAveragesTheDifferencesAndKeepsExactTablesExact) {
  WindowGuard window(8);
  const at::Tensor t = lut_derivative_tables(*make_exact_multiplier(true));
  const float* da = t.data_ptr<float>();
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) ASSERT_FLOAT_EQ(da[a * 256 + b], float(int8_t(b)));
  // A staircase in b (the two low bits of b dropped): raw Db swings between 0 and 2a; the
  // window's mean follows the slope.
  std::vector<int32_t> v(65536);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) v[size_t(a * 256 + b)] = int(int8_t(a)) * (int(int8_t(b)) & ~3);
  const auto stairs = make_multiplier("stairs", true, test::lut_tensor(v));
  set_lut_gradient_window(0);
  const at::Tensor raw = lut_derivative_tables(*stairs).clone();
  set_lut_gradient_window(8);
  const at::Tensor smooth = lut_derivative_tables(*stairs);
  auto db = [](const at::Tensor& tab, int va, int vb) {
    return double(tab.data_ptr<float>()[65536 + (vb & 0xFF) * 256 + (va & 0xFF)]);
  };
  for (int vb : {-120, -3, 0, 5, 100}) {  // interior: the full ±8 window
    double mean = 0;
    for (int j = -8; j <= 8; ++j) mean += db(raw, 37, vb + j) / 17;
    EXPECT_NEAR(db(smooth, 37, vb), mean, 1e-3) << vb;
    EXPECT_NEAR(db(smooth, 37, vb), 37.0, 37.0 / 4) << vb;  // the slope, not 0 or 74
  }
  // Near the end the window shrinks to fit: b = -126 averages -128 .. -124.
  double mean = 0;
  for (int vb = -128; vb <= -124; ++vb) mean += db(raw, 37, vb) / 5;
  EXPECT_NEAR(db(smooth, 37, -126), mean, 1e-3);
  EXPECT_EQ(db(smooth, 37, -128), db(raw, 37, -128));  // the ends: one-sided, as without smoothing
  test::expect_error("EMU-091", [] { set_lut_gradient_window(-1); });
  test::expect_error("EMU-091", [] { set_lut_gradient_window(kMaxLutGradientWindow + 1); });
}

TEST(LutGradTables, ModeIsSteByDefaultAndUnknownNamesAreErrors) {
  EXPECT_EQ(gradient_mode(), GradientMode::ste);
  {
    GradientModeGuard g(GradientMode::lut);
    EXPECT_EQ(gradient_mode(), GradientMode::lut);
  }
  EXPECT_EQ(gradient_mode(), GradientMode::ste);
  EXPECT_EQ(parse_gradient_mode("lut", "x"), GradientMode::lut);
  EXPECT_STREQ(gradient_mode_name(GradientMode::ste), "ste");
  const std::string msg = test::expect_error("EMU-090", [] { parse_gradient_mode("bogus", "finetune"); });
  EXPECT_NE(msg.find("'ste'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'lut'"), std::string::npos) << msg;
}

}  // namespace
}  // namespace axx::emu
