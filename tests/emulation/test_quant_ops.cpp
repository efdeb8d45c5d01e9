// Quantization and the approximate ops (Linear, Conv2d, batched matmul): integer results equal
// naive reference loops bit for bit; zero-point corrections are exact.
#include <ATen/Parallel.h>

#include "emulation/ops.hpp"
#include "emulation/quant.hpp"
#include "test_util.hpp"

namespace axx::emu {
namespace {

TEST(Quant, SignedIsSymmetricUnsignedHasZeroPoint) {
  const QParams s = qparams_from_range(-2.0, 1.0, true);
  EXPECT_FLOAT_EQ(s.scale, float(2.0 / 127));
  EXPECT_EQ(s.zero_point, 0);
  const QParams u = qparams_from_range(-1.0, 3.0, false);
  EXPECT_FLOAT_EQ(u.scale, float(4.0 / 255));
  EXPECT_EQ(u.zero_point, 64);  // round(1 / (4/255)) = round(63.75)
  const QParams z = qparams_from_range(0.0, 0.0, false);
  EXPECT_EQ(z.scale, 1.f);
  const QParams pos = qparams_from_range(0.5, 2.0, false);  // widened to include 0
  EXPECT_EQ(pos.zero_point, 0);
}

TEST(Quant, CodesSaturateAndZeroIsExact) {
  const QParams s = qparams_from_range(-1.0, 1.0, true);
  at::Tensor x = at::tensor({-5.f, -1.f, 0.f, 1.f, 5.f});
  at::Tensor q = quantize(x, s, true, "t");
  EXPECT_TRUE(at::equal(q.view(at::kChar), at::tensor({-128, -127, 0, 127, 127}, at::kChar)));
  const QParams u = qparams_from_range(-1.0, 3.0, false);
  at::Tensor qu = quantize(at::tensor({-9.f, 0.f, 9.f}), u, false, "t");
  EXPECT_TRUE(at::equal(qu, at::tensor({0, 64, 255}, at::kByte)));
  EXPECT_EQ(dequantize(qu, u, false)[1].item<float>(), 0.f);
}

TEST(Quant, NanOrInfIsAnError) {
  const QParams s;
  test::expect_error("EMU-030", [&] { quantize(at::tensor({1.f, NAN}), s, true, "layer x"); });
  test::expect_error("EMU-030", [&] { quantize(at::tensor({INFINITY}), s, false, "layer x"); });
  test::expect_error("EMU-030", [&] {
    quantize_weight(at::tensor({1.f, NAN}).reshape({1, 2}), true, WeightGranularity::per_channel, "w");
  });
}

TEST(Quant, PerChannelWeightsUseEachRowsRange) {
  at::Tensor w = at::tensor({1.f, -0.5f, 0.25f, 4.f, 2.f, -8.f}).reshape({2, 3});
  auto q = quantize_weight(w, true, WeightGranularity::per_channel, "w");
  EXPECT_FLOAT_EQ(q.scale[0].item<float>(), 1.f / 127);
  EXPECT_FLOAT_EQ(q.scale[1].item<float>(), 8.f / 127);
  auto t = quantize_weight(w, true, WeightGranularity::per_tensor, "w");
  EXPECT_FLOAT_EQ(t.scale[0].item<float>(), 8.f / 127);
  auto u = quantize_weight(w, false, WeightGranularity::per_channel, "w");
  EXPECT_EQ(u.codes[1][2].item<uint8_t>(), 0);   // row min −8 maps to code 0
  EXPECT_EQ(u.codes[0][0].item<uint8_t>(), 255); // row max 1 maps to 255
}

// Σ (qa − za)(qw − zw) in int64, codes unsigned.
at::Tensor centred_gemm(const at::Tensor& qa, int32_t za, const at::Tensor& qw, const at::Tensor& zw) {
  return at::mm(qa.to(at::kLong) - za, (qw.to(at::kLong) - zw.to(at::kLong).unsqueeze(1)).t());
}

TEST(QuantizedMatmul, UnsignedExactTableGivesExactZeroPointProduct) {
  auto m = make_exact_multiplier(false);
  at::Tensor qa = at::randint(0, 256, {50, 300}, at::kByte);
  at::Tensor qw = at::randint(0, 256, {20, 300}, at::kByte);
  at::Tensor zw = at::randint(0, 256, {20}, at::kInt);
  const int32_t za = 117;
  EXPECT_TRUE(at::equal(quantized_matmul_int(qa, za, qw, zw, *m), centred_gemm(qa, za, qw, zw)));
  EXPECT_TRUE(at::equal(quantized_matmul_int(qa, za, qw, zw, *m, MatmulPath::lut), centred_gemm(qa, za, qw, zw)));
}

TEST(QuantizedMatmul, UnsignedRandomTableOnlyCodeProductGoesThroughLut) {
  const auto v = test::random_lut(21, 0, 65535);
  auto m = make_multiplier("u", false, test::lut_tensor(v));
  at::Tensor qa = at::randint(0, 256, {40, 90}, at::kByte);
  at::Tensor qw = at::randint(0, 256, {11, 90}, at::kByte);
  at::Tensor zw = at::randint(0, 256, {11}, at::kInt);
  const int32_t za = 3;
  at::Tensor want = test::naive_lut_sum(qa, qw, v.data()) -
                    qa.to(at::kLong).sum(1, true) * zw.to(at::kLong).unsqueeze(0) -
                    int64_t(za) * qw.to(at::kLong).sum(1).unsqueeze(0) +
                    int64_t(90) * za * zw.to(at::kLong).unsqueeze(0);
  EXPECT_TRUE(at::equal(quantized_matmul_int(qa, za, qw, zw, *m), want));
}

// y = float(acc) · (s_a · s_w[n]) + b — the dequantization every op uses.
at::Tensor dequant(const at::Tensor& acc, const QParams& act, const QuantizedWeight& qw, const at::Tensor& bias) {
  at::Tensor y = acc.to(at::kFloat).mul_((qw.scale * act.scale).unsqueeze(0));
  if (bias.defined()) y.add_(bias.unsqueeze(0));
  return y;
}

class OpsTest : public ::testing::TestWithParam<bool> {};  // param: signed multiplier

TEST_P(OpsTest, LinearWithRandomTableMatchesNaiveLoop) {
  const bool is_signed = GetParam();
  const auto v = is_signed ? test::random_lut(31, -32768, 32767) : test::random_lut(32, 0, 65535);
  auto m = make_multiplier("r", is_signed, test::lut_tensor(v));
  at::Tensor x = at::randn({2, 7, 48}), w = at::randn({24, 48}), b = at::randn({24});
  const QParams act = qparams_from_range(-2.5, 3.0, is_signed);
  for (auto g : {WeightGranularity::per_channel, WeightGranularity::per_tensor}) {
    const at::Tensor y = approx_linear(x, w, b, *m, act, g, "fc");
    const auto qw = quantize_weight(w, is_signed, g, "fc");
    const at::Tensor qa = quantize(x.reshape({-1, 48}), act, is_signed, "fc");
    at::Tensor acc = test::naive_lut_sum(qa, qw.codes, v.data());
    if (!is_signed) {
      acc = acc - qa.to(at::kLong).sum(1, true) * qw.zero_point.to(at::kLong).unsqueeze(0) -
            int64_t(act.zero_point) * qw.codes.to(at::kLong).sum(1).unsqueeze(0) +
            int64_t(48) * act.zero_point * qw.zero_point.to(at::kLong).unsqueeze(0);
    }
    EXPECT_TRUE(at::equal(y, dequant(acc, act, qw, b).reshape({2, 7, 24})));
  }
}

TEST_P(OpsTest, LinearOnFewRowBlocksWithTwoThreadsMatchesNaiveLoop) {
  // One image's tokens (197 rows = 4 blocks) and N ≥ kSharedMinColumns on 2 threads: the layer
  // quantizes all rows, runs one GEMM that splits its work between threads, then dequantizes.
  const bool is_signed = GetParam();
  const auto v = is_signed ? test::random_lut(41, -32768, 32767) : test::random_lut(42, 0, 65535);
  auto m = make_multiplier("r", is_signed, test::lut_tensor(v));
  at::Tensor x = at::randn({197, 40}), w = at::randn({600, 40}), b = at::randn({600});
  const QParams act = qparams_from_range(-2.5, 3.0, is_signed);
  const int saved = at::get_num_threads();
  at::set_num_threads(2);
  const at::Tensor y = approx_linear(x, w, b, *m, act, WeightGranularity::per_channel, "fc");
  at::set_num_threads(saved);
  const auto qw = quantize_weight(w, is_signed, WeightGranularity::per_channel, "fc");
  const at::Tensor qa = quantize(x, act, is_signed, "fc");
  at::Tensor acc = test::naive_lut_sum(qa, qw.codes, v.data());
  if (!is_signed) {
    acc = acc - qa.to(at::kLong).sum(1, true) * qw.zero_point.to(at::kLong).unsqueeze(0) -
          int64_t(act.zero_point) * qw.codes.to(at::kLong).sum(1).unsqueeze(0) +
          int64_t(40) * act.zero_point * qw.zero_point.to(at::kLong).unsqueeze(0);
  }
  EXPECT_TRUE(at::equal(y, dequant(acc, act, qw, b)));
}

TEST_P(OpsTest, LinearWithExactTableEqualsFakeQuantizedFloat) {
  const bool is_signed = GetParam();
  auto m = make_exact_multiplier(is_signed);
  at::Tensor x = at::randn({33, 64}), w = at::randn({16, 64}) * 0.1, b = at::randn({16});
  const QParams act = qparams_from_range(x.min().item<double>(), x.max().item<double>(), is_signed);
  const at::Tensor y = approx_linear(x, w, b, *m, act, WeightGranularity::per_channel, "fc");
  const auto qw = quantize_weight(w, is_signed, WeightGranularity::per_channel, "fc");
  const at::Tensor ref = at::linear(fake_quantize(x, act, is_signed).to(at::kDouble),
                                    fake_quantize_weight(w, qw, is_signed).to(at::kDouble), b.to(at::kDouble));
  EXPECT_TRUE(at::allclose(y.to(at::kDouble), ref, 1e-5, 1e-5));
  // Bit for bit: float(Σ (qa − za)(qw − zw)) · (s_a · s_w) + b with an int64 GEMM.
  const at::Tensor qa = quantize(x, act, is_signed, "fc");
  at::Tensor acc = is_signed ? at::mm(qa.view(at::kChar).to(at::kLong), qw.codes.view(at::kChar).to(at::kLong).t())
                             : centred_gemm(qa, act.zero_point, qw.codes, qw.zero_point);
  EXPECT_TRUE(at::equal(y, dequant(acc, act, qw, b)));
}

// Naive integer conv through the LUT, codes padded with the activation zero point.
at::Tensor naive_conv(const at::Tensor& qx, int32_t za, const QuantizedWeight& qw, int64_t Cout, int64_t Cg,
                      int64_t kh, int64_t kw, const Conv2dGeometry& g, const int32_t* lut, bool is_signed) {
  const int64_t B = qx.size(0), C = qx.size(1), H = qx.size(2), W = qx.size(3);
  const int64_t Ho = (H + 2 * g.padding[0] - g.dilation[0] * (kh - 1) - 1) / g.stride[0] + 1;
  const int64_t Wo = (W + 2 * g.padding[1] - g.dilation[1] * (kw - 1) - 1) / g.stride[1] + 1;
  const int64_t Ng = Cout / g.groups;
  at::Tensor out = at::zeros({B, Cout, Ho, Wo}, at::kLong);
  auto X = qx.accessor<uint8_t, 4>();
  auto Wc = qw.codes.accessor<uint8_t, 2>();
  auto Z = qw.zero_point.accessor<int32_t, 1>();
  auto O = out.accessor<int64_t, 4>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t o = 0; o < Cout; ++o)
      for (int64_t i = 0; i < Ho; ++i)
        for (int64_t j = 0; j < Wo; ++j) {
          int64_t s = 0;
          const int64_t grp = o / Ng;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t u = 0; u < kh; ++u)
              for (int64_t v = 0; v < kw; ++v) {
                const int64_t y = i * g.stride[0] - g.padding[0] + u * g.dilation[0];
                const int64_t x = j * g.stride[1] - g.padding[1] + v * g.dilation[1];
                const int64_t ci = grp * Cg + c;
                const int a = (y >= 0 && y < H && x >= 0 && x < W) ? X[b][ci][y][x] : za;
                const int wcode = Wc[o][(c * kh + u) * kw + v];
                s += lut[a * 256 + wcode];
                if (!is_signed) s += -int64_t(Z[o]) * a - int64_t(za) * wcode + int64_t(za) * Z[o];
              }
          O[b][o][i][j] = s;
        }
  (void)C;
  return out;
}

TEST_P(OpsTest, Conv2dMatchesNaiveLoopForStridePaddingDilationGroups) {
  const bool is_signed = GetParam();
  const auto v = is_signed ? test::random_lut(41, -32768, 32767) : test::random_lut(42, 0, 65535);
  auto m = make_multiplier("r", is_signed, test::lut_tensor(v));
  struct Case {
    int64_t C, Cout, k, H;
    Conv2dGeometry g;
  };
  const std::vector<Case> cases = {
      {3, 8, 4, 8, {{4, 4}, {0, 0}, {1, 1}, 1}},   // patch embedding (kernel = stride)
      {4, 6, 3, 7, {{1, 1}, {1, 1}, {1, 1}, 2}},   // grouped 3×3, same padding
      {4, 4, 3, 9, {{2, 1}, {2, 0}, {2, 1}, 4}},   // depthwise, dilation, asymmetric stride
  };
  for (const auto& c : cases) {
    at::Tensor x = at::randn({2, c.C, c.H, c.H}) + 0.3;
    at::Tensor w = at::randn({c.Cout, c.C / c.g.groups, c.k, c.k});
    at::Tensor b = at::randn({c.Cout});
    const QParams act = qparams_from_range(-1.5, 2.5, is_signed);
    const at::Tensor y = approx_conv2d(x, w, b, c.g, *m, act, WeightGranularity::per_channel, "conv");
    const auto qw = quantize_weight(w.reshape({c.Cout, -1}), is_signed, WeightGranularity::per_channel, "conv");
    const at::Tensor qx = quantize(x, act, is_signed, "conv");
    at::Tensor acc = naive_conv(qx, act.zero_point, qw, c.Cout, c.C / c.g.groups, c.k, c.k, c.g, v.data(), is_signed);
    const at::Tensor want = acc.to(at::kFloat).mul_((qw.scale * act.scale).view({1, -1, 1, 1})).add_(b.view({1, -1, 1, 1}));
    ASSERT_EQ(y.sizes(), want.sizes());
    EXPECT_TRUE(at::equal(y, want)) << "C=" << c.C << " groups=" << c.g.groups;
  }
}

TEST_P(OpsTest, Conv2dWithExactTableMatchesFloatConvOfFakeQuantized) {
  const bool is_signed = GetParam();
  auto m = make_exact_multiplier(is_signed);
  at::Tensor x = at::randn({1, 3, 16, 16}), w = at::randn({8, 3, 4, 4}), b = at::randn({8});
  const QParams act = qparams_from_range(x.min().item<double>(), x.max().item<double>(), is_signed);
  Conv2dGeometry g{{4, 4}, {0, 0}, {1, 1}, 1};
  const at::Tensor y = approx_conv2d(x, w, b, g, *m, act, WeightGranularity::per_channel, "patch");
  const auto qw = quantize_weight(w.reshape({8, -1}), is_signed, WeightGranularity::per_channel, "patch");
  const at::Tensor ref = at::conv2d(fake_quantize(x, act, is_signed),
                                    fake_quantize_weight(w.reshape({8, -1}), qw, is_signed).reshape(w.sizes()), b, {4, 4});
  EXPECT_TRUE(at::allclose(y, ref, 1e-4, 1e-4));
}

TEST_P(OpsTest, BatchedMatmulMatchesNaiveLoop) {
  const bool is_signed = GetParam();
  const auto v = is_signed ? test::random_lut(51, -32768, 32767) : test::random_lut(52, 0, 65535);
  auto m = make_multiplier("r", is_signed, test::lut_tensor(v));
  at::Tensor a = at::randn({2, 3, 9, 16}), bm = at::randn({2, 3, 16, 11});
  const QParams qa = qparams_from_range(-2, 2, is_signed), qb = qparams_from_range(-1, 3, is_signed);
  const at::Tensor y = approx_matmul(a, bm, *m, qa, qb, "attn.qk");
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 3, 9, 11}));
  const at::Tensor ca = quantize(a, qa, is_signed, "a").reshape({6, 9, 16});
  const at::Tensor cb = quantize(bm, qb, is_signed, "b").reshape({6, 16, 11});
  for (int64_t i = 0; i < 6; ++i) {
    at::Tensor bt = cb[i].t().contiguous();
    at::Tensor acc = test::naive_lut_sum(ca[i], bt, v.data());
    if (!is_signed) {
      acc = acc - ca[i].to(at::kLong).sum(1, true) * qb.zero_point - int64_t(qa.zero_point) * bt.to(at::kLong).sum(1).unsqueeze(0) +
            int64_t(16) * qa.zero_point * qb.zero_point;
    }
    EXPECT_TRUE(at::equal(y.reshape({6, 9, 11})[i], acc.to(at::kFloat).mul_(qa.scale * qb.scale))) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Signedness, OpsTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "signed" : "unsigned"; });

TEST(Ops, ShapeMismatchesAreErrors) {
  auto m = make_exact_multiplier(true);
  const QParams q;
  test::expect_error("EMU-031", [&] {
    approx_linear(at::randn({2, 5}), at::randn({3, 4}), c10::nullopt, *m, q, WeightGranularity::per_channel, "fc");
  });
  test::expect_error("EMU-031", [&] {
    approx_conv2d(at::randn({1, 3, 8, 8}), at::randn({4, 2, 3, 3}), c10::nullopt, {}, *m, q,
                  WeightGranularity::per_channel, "conv");
  });
  test::expect_error("EMU-031", [&] { approx_matmul(at::randn({2, 3, 4}), at::randn({2, 5, 4}), *m, q, q, "qk"); });
  test::expect_error("EMU-030", [&] {
    approx_linear(at::full({2, 4}, NAN), at::randn({3, 4}), c10::nullopt, *m, q, WeightGranularity::per_channel, "fc");
  });
}

}  // namespace
}  // namespace axx::emu
