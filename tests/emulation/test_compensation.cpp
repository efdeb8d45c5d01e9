// Control-variate error compensation (emulation/compensation.hpp, docs/architecture.md "Error
// compensation"): the t table, the correction in every op and kernel path, config and
// calibration round trips. Real tables from the reference models of multipliers_rtl.
#include <torch/nn/modules/container/modulelist.h>

#include <cmath>

#include "common/json.hpp"
#include "common/npy.hpp"
#include "emulation/compensation.hpp"
#include "emulation/config.hpp"
#include "emulation/int_matmul.hpp"
#include "emulation/ops.hpp"
#include "multipliers_rtl/catalog.hpp"
#include "multipliers_rtl/reference_models.hpp"
#include "test_util.hpp"

namespace axx::emu {
namespace {

std::shared_ptr<const Multiplier> builtin(const std::string& name) {
  static const auto cat = mult::load_catalog(std::filesystem::path(AXX_RTL_DIR) / "catalog.csv");
  for (const auto& e : cat) {
    if (e.name == name) return make_multiplier(e.name, e.is_signed, test::lut_tensor(mult::reference_lut(e)));
  }
  ADD_FAILURE() << "no built-in " << name;
  return nullptr;
}

// Raw 8-bit codes of x, counted (a histogram of operand A).
std::array<double, 256> code_histogram(const at::Tensor& codes) {
  const at::Tensor c = at::bincount(codes.reshape({-1}).to(at::kLong), {}, 256).to(at::kDouble).contiguous();
  std::array<double, 256> h{};
  for (int i = 0; i < 256; ++i) h[size_t(i)] = c.data_ptr<double>()[i];
  return h;
}

// The contract written out directly: p normalized, mu(b) = Σ_a p(a)·eps(a, b), llround.
std::array<int32_t, 256> direct_table(const Multiplier& m, const std::array<double, 256>& h) {
  double total = 0;
  for (double v : h) total += v;
  const int32_t* lut = m.table->lut();
  std::array<int32_t, 256> t{};
  for (int b = 0; b < 256; ++b) {
    double mu = 0;
    for (int a = 0; a < 256; ++a) {
      const int va = m.is_signed ? int(int8_t(a)) : a, vb = m.is_signed ? int(int8_t(b)) : b;
      mu += (h[size_t(a)] / total) * double(lut[a * 256 + b] - va * vb);
    }
    t[size_t(b)] = int32_t(std::llround(mu));
  }
  return t;
}

// ReLU-like activations with a long tail (what transformer layers see), quantization params.
at::Tensor activations(std::vector<int64_t> shape, uint64_t seed) {
  at::manual_seed(seed);
  return at::randn(shape).abs_().mul_(at::rand(shape)).sub_(0.2);
}
QParams act_params(const at::Tensor& x, const Multiplier& m) {
  return qparams_from_range(x.min().item<double>(), x.max().item<double>(), m.is_signed);
}

TEST(CompensationTable, IsThePureFunctionOfTheContract) {
  for (const char* name : {"bam_s8_v6", "booth_s8_v7", "bam_u8_v9"}) {
    const auto m = builtin(name);
    const at::Tensor x = activations({64, 96}, 3);
    const std::array<double, 256> h = code_histogram(quantize(x, act_params(x, *m), m->is_signed, "x"));
    const auto t = compensation_table(*m, h);
    EXPECT_EQ(t, direct_table(*m, h)) << name;
    EXPECT_EQ(t, compensation_table(m->table->lut(), m->is_signed, h)) << name;  // the same, again
    std::array<double, 256> scaled = h;
    for (double& v : scaled) v *= 7;  // counts or probabilities: only the distribution matters
    EXPECT_EQ(t, compensation_table(*m, scaled)) << name;
    bool any = false;
    for (int32_t v : t) any = any || v != 0;
    EXPECT_TRUE(any) << name << " is biased: its table is not all zero";
  }
  for (bool s : {true, false}) {
    std::array<double, 256> h{};
    h.fill(1);
    const auto t = compensation_table(*make_exact_multiplier(s), h);
    for (int32_t v : t) EXPECT_EQ(v, 0);
  }
  std::array<double, 256> empty{};
  test::expect_error("EMU-071", [&] { compensation_table(*builtin("bam_s8_v6"), empty); });
  empty[3] = -1;
  test::expect_error("EMU-071", [&] { compensation_table(*builtin("bam_s8_v6"), empty); });
}

TEST(CompensationTable, RoundsHalfAwayFromZero) {
  // lut = exact + eps with eps(a, b) = ±1 on half the rows: mu = ±0.5 exactly.
  const auto exact = make_exact_multiplier(true);
  std::vector<int32_t> lut(exact->table->lut(), exact->table->lut() + 65536);
  lut[5] += 1;  // eps(0, 5) = +1, eps(1, 5) = 0: mu(5) = +0.5
  lut[6] -= 1;  // eps(0, 6) = −1, eps(1, 6) = 0: mu(6) = −0.5
  std::array<double, 256> h{};
  h[0] = h[1] = 1;
  const auto t = compensation_table(lut.data(), true, h);
  EXPECT_EQ(t[5], 1);
  EXPECT_EQ(t[6], -1);
  EXPECT_EQ(t[7], 0);
}

// Every CPU kernel: LUT sums + corr equal Σ lut + (−Σ t) in int64 wrapped to int32, also where
// both wrap (K large, entries near the top of the range).
TEST(CompensationKernels, EveryKernelPlusCorrectionEqualsTheWrappedReference) {
  const std::vector<int32_t> lutv = test::random_lut(5, 20000, 32000);
  const PreparedLut lut(lutv.data());
  std::array<int32_t, 256> t{};
  for (int b = 0; b < 256; ++b) t[size_t(b)] = -30000 + 97 * b;
  for (int64_t K : {int64_t(37), int64_t(70001)}) {
    const int64_t M = 5, N = 70;
    const at::Tensor a = at::randint(0, 256, {M, K}, at::kInt).to(at::kByte);
    const at::Tensor b = at::randint(0, 256, {N, K}, at::kInt).to(at::kByte);
    const at::Tensor ref = test::naive_lut_sum(a, b, lutv.data());
    std::vector<int32_t> corr(static_cast<size_t>(N));
    compensation_columns(t, N, K, b.data_ptr<uint8_t>(), K, corr.data());
    for (CpuKernel k : {CpuKernel::reference, CpuKernel::portable, CpuKernel::avx512, CpuKernel::avx512_shared,
                        CpuKernel::automatic}) {
      if (!cpu_supports(k)) continue;
      std::vector<int32_t> c(size_t(M * N));
      if (k == CpuKernel::reference) {
        lut_gemm_reference(M, N, K, a.data_ptr<uint8_t>(), K, b.data_ptr<uint8_t>(), K, lutv.data(), c.data(), N);
      } else {
        lut_gemm_cpu(lut, M, N, K, a.data_ptr<uint8_t>(), K, b.data_ptr<uint8_t>(), K, c.data(), N, k);
      }
      for (int64_t m = 0; m < M; ++m) add_compensation(c.data() + m * N, N, corr.data());
      bool wrapped = false;
      for (int64_t m = 0; m < M; ++m) {
        for (int64_t n = 0; n < N; ++n) {
          int64_t tsum = 0;
          for (int64_t kk = 0; kk < K; ++kk) tsum += t[b.data_ptr<uint8_t>()[n * K + kk]];
          const int64_t exact = ref.data_ptr<int64_t>()[m * N + n] - tsum;
          wrapped = wrapped || exact != int64_t(int32_t(exact));
          ASSERT_EQ(c[size_t(m * N + n)], int32_t(uint32_t(uint64_t(exact)))) << to_string(k) << " K " << K;
        }
      }
      if (K > 65536) {
        EXPECT_TRUE(wrapped) << "the large case must exercise the wrap-around";
      }
    }
  }
}

// The tensor reference of a compensated linear: Σ lut (lut_matmul) + corr, zero-point terms,
// dequantized as the ops do.
at::Tensor reference_linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, const Multiplier& m,
                            const QParams& act, const CompensationTable& t) {
  const QuantizedWeight qw = quantize_weight(w, m.is_signed, WeightGranularity::per_channel, "w");
  const at::Tensor qa = quantize(x, act, m.is_signed, "x");
  const at::Tensor acc = quantized_matmul_int(qa, act.zero_point, qw.codes, qw.zero_point, m, MatmulPath::lut,
                                              compensation_corr(qw.codes, t));
  return acc.to(at::kFloat).mul_((qw.scale * act.scale).unsqueeze(0)).add_(bias.unsqueeze(0));
}

TEST(CompensationOps, FusedLinearEqualsTheReferenceBitForBit) {
  for (const char* name : {"bam_s8_v6", "booth_s8_v7", "bam_u8_v9"}) {
    const auto m = builtin(name);
    // Shapes through every branch of the fused op: few rows, slabs, N below / above the
    // shared-tile threshold, narrow N.
    for (auto [M, K, N] : std::vector<std::array<int64_t, 3>>{{3, 40, 10}, {197, 64, 96}, {300, 48, 600}, {900, 200, 64}}) {
      const at::Tensor x = activations({M, K}, uint64_t(M + K));
      const at::Tensor w = at::randn({N, K}) * 0.1, bias = at::randn({N});
      const QParams act = act_params(x, *m);
      const auto t = compensation_table(*m, code_histogram(quantize(x, act, m->is_signed, "x")));
      at::NoGradGuard ng;
      const at::Tensor y = approx_linear(x, w, bias, *m, act, WeightGranularity::per_channel, "fc", nullptr,
                                         MatmulPath::lut, &t);
      EXPECT_TRUE(at::equal(y, reference_linear(x, w, bias, *m, act, t))) << name << " " << M << "x" << K << "x" << N;
      // A cached weight with its correction gives the same.
      QuantizedWeight qw = quantize_weight(w, m->is_signed, WeightGranularity::per_channel, "fc");
      qw.corr = compensation_corr(qw.codes, t);
      EXPECT_TRUE(at::equal(y, approx_linear(x, w, bias, *m, act, WeightGranularity::per_channel, "fc", &qw,
                                             MatmulPath::automatic, &t)));
      // Mode none: unchanged.
      EXPECT_TRUE(at::equal(approx_linear(x, w, bias, *m, act, WeightGranularity::per_channel, "fc"),
                            approx_linear(x, w, bias, *m, act, WeightGranularity::per_channel, "fc", nullptr,
                                          MatmulPath::automatic, nullptr)));
    }
  }
}

TEST(CompensationOps, FusedMatmulEqualsThePerProductReference) {
  for (const char* name : {"bam_s8_v6", "booth_s8_v7", "bam_u8_v9"}) {
    const auto m = builtin(name);
    const int64_t B = 3, M = 20, K = 16, N = 24;
    const at::Tensor a = activations({B, M, K}, 7), b = activations({B, K, N}, 8);
    const QParams qa = act_params(a, *m), qb = act_params(b, *m);
    const auto t = compensation_table(*m, code_histogram(quantize(a, qa, m->is_signed, "a")));
    at::NoGradGuard ng;
    const at::Tensor y = approx_matmul(a, b, *m, qa, qb, "mm", MatmulPath::lut, &t);
    for (int64_t i = 0; i < B; ++i) {
      const at::Tensor ca = quantize(a[i], qa, m->is_signed, "a");
      const at::Tensor cb = quantize(b[i].t().contiguous(), qb, m->is_signed, "b");  // [N, K]
      const at::Tensor zb = at::full({N}, qb.zero_point, at::kInt);
      const at::Tensor acc = quantized_matmul_int(ca, qa.zero_point, cb, zb, *m, MatmulPath::lut, compensation_corr(cb, t));
      EXPECT_TRUE(at::equal(y[i], acc.to(at::kFloat).mul_(qa.scale * qb.scale))) << name << " product " << i;
    }
  }
}

TEST(CompensationOps, ConvAddsEachChannelsCorrectionPerGroup) {
  const auto m = builtin("booth_s8_v7");
  const at::Tensor x = activations({2, 4, 9, 9}, 12);
  const at::Tensor w = at::randn({6, 2, 3, 3}) * 0.2;
  const Conv2dGeometry geo{{1, 1}, {1, 1}, {1, 1}, 2};
  const QParams act = act_params(x, *m);
  const auto t = compensation_table(*m, code_histogram(quantize(x, act, true, "x")));
  at::NoGradGuard ng;
  const at::Tensor y0 = approx_conv2d(x, w, c10::nullopt, geo, *m, act, WeightGranularity::per_channel, "conv");
  const at::Tensor y1 = approx_conv2d(x, w, c10::nullopt, geo, *m, act, WeightGranularity::per_channel, "conv",
                                      nullptr, MatmulPath::automatic, &t);
  const QuantizedWeight qw = quantize_weight(w.reshape({6, -1}), true, WeightGranularity::per_channel, "conv");
  const at::Tensor corr = compensation_corr(qw.codes, t).to(at::kDouble);  // each channel its own group's codes
  const at::Tensor steps = ((y1 - y0).to(at::kDouble) / (qw.scale * act.scale).to(at::kDouble).view({1, 6, 1, 1}));
  EXPECT_TRUE(at::allclose(steps, corr.view({1, 6, 1, 1}).expand_as(steps), 0, 0.05)) << (steps - corr.view({1, 6, 1, 1})).abs().max();
}

// The point of it all: the mean output error vanishes.
TEST(CompensationOps, RemovesTheMeanOutputError) {
  struct Case {
    const char* mult;
    const char* op;
  };
  for (const Case c : std::vector<Case>{{"bam_s8_v6", "linear"}, {"booth_s8_v7", "linear"}, {"bam_u8_v9", "linear"},
                                        {"bam_s8_v6", "conv"}, {"booth_s8_v7", "conv"}, {"bam_u8_v9", "conv"},
                                        {"bam_s8_v6", "matmul"}, {"booth_s8_v7", "matmul"}, {"bam_u8_v9", "matmul"}}) {
    const auto m = builtin(c.mult);
    const auto ex = make_exact_multiplier(m->is_signed);
    const std::string op = c.op;
    at::NoGradGuard ng;
    at::Tensor none, comp, exact;
    if (op == "linear") {
      const at::Tensor x = activations({256, 192}, 21), w = at::randn({64, 192}) * 0.05;
      const QParams act = act_params(x, *m);
      const auto t = compensation_table(*m, code_histogram(quantize(x, act, m->is_signed, "x")));
      auto run = [&](const Multiplier& mm, const CompensationTable* tt) {
        return approx_linear(x, w, c10::nullopt, mm, act, WeightGranularity::per_channel, "fc", nullptr,
                             MatmulPath::automatic, tt);
      };
      none = run(*m, nullptr), comp = run(*m, &t), exact = run(*ex, nullptr);
    } else if (op == "conv") {
      const at::Tensor x = activations({4, 8, 12, 12}, 22), w = at::randn({16, 8, 3, 3}) * 0.1;
      const QParams act = act_params(x, *m);
      // Operand A of a padded convolution includes the zero-point padding: record it as the
      // layer does (OperandRecorder through the module).
      ApproxConv2d conv(8, 16, std::array<int64_t, 2>{3, 3}, Conv2dGeometry{{1, 1}, {1, 1}, {1, 1}, 1}, false);
      conv->weight.copy_(w);
      conv->state().mult = m;
      conv->state().ranges = {{x.min().item<double>(), x.max().item<double>()}};
      conv->state().hist_recorder = std::make_shared<OperandRecorder>();
      conv->forward(x);
      const auto t = compensation_table(*m, conv->state().hist_recorder->hist_a);
      const Conv2dGeometry geo{{1, 1}, {1, 1}, {1, 1}, 1};
      auto run = [&](const Multiplier& mm, const CompensationTable* tt) {
        return approx_conv2d(x, w, c10::nullopt, geo, mm, act, WeightGranularity::per_channel, "conv", nullptr,
                             MatmulPath::automatic, tt);
      };
      none = run(*m, nullptr), comp = run(*m, &t), exact = run(*ex, nullptr);
    } else {
      const at::Tensor a = activations({8, 64, 48}, 23), b = activations({8, 48, 64}, 24);
      const QParams qa = act_params(a, *m), qb = act_params(b, *m);
      const auto t = compensation_table(*m, code_histogram(quantize(a, qa, m->is_signed, "a")));
      auto run = [&](const Multiplier& mm, const CompensationTable* tt) {
        return approx_matmul(a, b, mm, qa, qb, "mm", MatmulPath::automatic, tt);
      };
      none = run(*m, nullptr), comp = run(*m, &t), exact = run(*ex, nullptr);
    }
    const double bias_none = (none - exact).mean().item<double>(), bias_comp = (comp - exact).mean().item<double>();
    const double spread = (exact).abs().mean().item<double>();
    // Without: a clear bias (> 0.2 % of the mean |output|). With: below 5 % of that bias and
    // below 0.5 % of the mean |output| (the rounding of t to integers, at most half a product
    // step per term, and the sampling of a finite layer are all that remain).
    EXPECT_GT(std::abs(bias_none), 2e-3 * spread) << c.mult << " " << op;
    EXPECT_LT(std::abs(bias_comp), 0.05 * std::abs(bias_none)) << c.mult << " " << op << ": " << bias_comp << " vs " << bias_none;
    EXPECT_LT(std::abs(bias_comp), 5e-3 * spread) << c.mult << " " << op;
  }
}

TEST(CompensationOps, ExactMultiplierIgnoresTheTable) {
  const auto ex = make_exact_multiplier(true);
  std::array<int32_t, 256> bogus{};
  bogus.fill(1000);  // an exact table has t = 0; whatever is passed changes nothing
  const at::Tensor x = activations({10, 32}, 31), w = at::randn({8, 32});
  const QParams act = act_params(x, *ex);
  at::NoGradGuard ng;
  EXPECT_TRUE(at::equal(approx_linear(x, w, c10::nullopt, *ex, act, WeightGranularity::per_channel, "fc"),
                        approx_linear(x, w, c10::nullopt, *ex, act, WeightGranularity::per_channel, "fc", nullptr,
                                      MatmulPath::automatic, &bogus)));
}

TEST(CompensationConfig, ParsesDefaultAndLayerObjectsAndRoundTrips) {
  const ApproxConfig old = parse_config(Json{{"version", 1}, {"default", "exact"}, {"layers", {{"a", "m1"}}}});
  EXPECT_EQ(old.compensation, Compensation::none);
  EXPECT_TRUE(old.layer_compensation.empty());
  const Json j{{"version", 1},
               {"compensation", "mean"},
               {"layers", {{"a", "m1"}, {"b", {{"multiplier", "m2"}, {"compensation", "none"}}},
                           {"c", {{"multiplier", "m3"}}}}}};
  const ApproxConfig c = parse_config(j);
  EXPECT_EQ(c.compensation, Compensation::mean);
  EXPECT_EQ(c.layers.at("b"), "m2");
  EXPECT_EQ(c.layers.at("c"), "m3");
  EXPECT_EQ(c.layer_compensation.at("b"), Compensation::none);
  EXPECT_EQ(c.layer_compensation.count("c"), 0u);
  const Json back = to_json(c);
  EXPECT_EQ(back["compensation"], "mean");
  EXPECT_EQ(back["layers"]["a"], "m1");
  EXPECT_EQ(back["layers"]["c"], "m3");
  EXPECT_EQ(back["layers"]["b"], (Json{{"multiplier", "m2"}, {"compensation", "none"}}));
  const ApproxConfig again = parse_config(back);
  EXPECT_EQ(to_json(again), back);

  auto msg = test::expect_error("EMU-070", [] { parse_config(Json{{"version", 1}, {"compensation", "median"}}, "cfg.json"); });
  EXPECT_NE(msg.find("cfg.json"), std::string::npos);
  EXPECT_NE(msg.find("none, mean"), std::string::npos);
  msg = test::expect_error("EMU-070", [] {
    parse_config(Json{{"version", 1}, {"layers", {{"x", {{"multiplier", "m"}, {"compensation", "avg"}}}}}}, "cfg.json");
  });
  EXPECT_NE(msg.find("layers.x.compensation"), std::string::npos);
  test::expect_error("EMU-073", [] { parse_config(Json{{"version", 1}, {"layers", {{"x", {{"compensation", "mean"}}}}}}); });
  test::expect_error("EMU-050", [] { parse_config(Json{{"version", 1}, {"compensation", 1}}); });
}

// A toy model: a linear feeding an attention-like matmul, for the calibration round trip.
struct ToyImpl : torch::nn::Module {
  ToyImpl() : fc(register_module("fc", ApproxLinear(16, 32))), mm(register_module("mm", ApproxMatmul())) {}
  at::Tensor forward(const at::Tensor& x) {
    const at::Tensor h = at::relu(fc->forward(x));  // [B, T, 32]
    return mm->forward(h, h.transpose(-1, -2));
  }
  ApproxLinear fc;
  ApproxMatmul mm;
};
TORCH_MODULE(Toy);

class CompensationModel : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir("comp");
    for (const char* n : {"booth_s8_v7", "bam_u8_v9"}) {
      const auto m = builtin(n);
      const at::Tensor t = m->lut_tensor();
      std::vector<int32_t> v(t.data_ptr<int32_t>(), t.data_ptr<int32_t>() + 65536);
      write_npy_i32(dir_ / (std::string(n) + ".npy"), v, {256, 256});
    }
    write_json_atomic(dir_ / "library.json",
                      Json::array({Json{{"name", "booth_s8_v7"}, {"signed", true}, {"lut", "booth_s8_v7.npy"}},
                                   Json{{"name", "bam_u8_v9"}, {"signed", false}, {"lut", "bam_u8_v9.npy"}}}));
    lib_ = MultiplierLibrary::load(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  ApproxConfig config(Compensation c) {
    ApproxConfig cfg;
    cfg.library = dir_.string();
    cfg.default_multiplier = "booth_s8_v7";
    cfg.layers = {{"mm", "bam_u8_v9"}};
    cfg.compensation = c;
    return cfg;
  }
  CalibrationResult calibrate(Toy& net, const ApproxConfig& cfg, const CalibrationSettings& cs = {}) {
    apply_config(*net, cfg, lib_);
    begin_calibration(*net);
    for (int i = 0; i < 3; ++i) net->forward(at::randn({2, 8, 16}));
    CalibrationResult r = end_calibration(*net, cs);
    begin_histograms(*net);
    for (int i = 0; i < 3; ++i) net->forward(at::randn({2, 8, 16}));
    end_histograms(*net, r);
    return r;
  }
  std::filesystem::path dir_;
  MultiplierLibrary lib_;
};

TEST_F(CompensationModel, SavedAndReloadedCalibrationGivesIdenticalOutputs) {
  at::manual_seed(4);
  at::NoGradGuard ng;
  Toy net;
  const CalibrationResult cal = calibrate(net, config(Compensation::mean));
  ASSERT_EQ(cal.hist_a.size(), 2u);
  EXPECT_GT(cal.hist_a.at("mm")[0], 0);
  const at::Tensor x = at::randn({2, 8, 16});
  const at::Tensor y = net->forward(x);
  apply_config(*net, config(Compensation::none), lib_);
  const at::Tensor y_none = net->forward(x);
  EXPECT_FALSE(at::equal(y, y_none));  // compensation changes the outputs...
  save_calibration(dir_ / "cal.json", cal);
  const CalibrationResult back = load_calibration(dir_ / "cal.json");
  EXPECT_EQ(back.hist_a, cal.hist_a);
  Toy other;
  {
    auto src = net->named_parameters();
    for (auto& p : other->named_parameters()) p.value().copy_(src[p.key()]);
  }
  apply_config(*other, config(Compensation::mean), lib_);
  apply_calibration(*other, back);
  EXPECT_TRUE(at::equal(other->forward(x), y));  // ...and a reloaded calibration reproduces them
  // Per-layer mode: only mm compensated.
  ApproxConfig per_layer = config(Compensation::none);
  per_layer.layer_compensation["mm"] = Compensation::mean;
  apply_config(*other, per_layer, lib_);
  EXPECT_EQ(approximable_layers(*other).at("mm")->state().compensation, Compensation::mean);
  EXPECT_EQ(approximable_layers(*other).at("fc")->state().compensation, Compensation::none);
}

// Method noise_aware (calibrate.hpp): layers on exact multipliers get the percentile's ranges;
// an approximate layer's operand A is clipped tighter, its operand B (a matmul's) is not.
TEST_F(CompensationModel, NoiseAwareCalibrationClipsOnlyTheApproximateOperands) {
  at::NoGradGuard ng;
  const CalibrationSettings percentile{CalibrationMethod::percentile, 99.99};
  const CalibrationSettings noise_aware{CalibrationMethod::noise_aware, 99.99};
  auto ranges = [&](const ApproxConfig& cfg, const CalibrationSettings& cs) {
    at::manual_seed(6);
    Toy net;
    return calibrate(net, cfg, cs).ranges;
  };
  ApproxConfig exact = config(Compensation::mean);
  exact.default_multiplier = "exact";
  exact.layers.clear();
  EXPECT_EQ(ranges(exact, noise_aware), ranges(exact, percentile));
  const auto base = ranges(config(Compensation::mean), percentile);
  const auto tight = ranges(config(Compensation::mean), noise_aware);
  for (const char* layer : {"fc", "mm"}) {
    EXPECT_GT(tight.at(layer)[0].second, 0) << layer;
    EXPECT_LT(tight.at(layer)[0].second, base.at(layer)[0].second) << layer;
    EXPECT_LE(tight.at(layer)[0].first, 0) << layer;
  }
  EXPECT_EQ(tight.at("mm")[1], base.at("mm")[1]);
}

TEST_F(CompensationModel, OldCalibrationFilesLoadAndMeanWithoutHistogramIsAClearError) {
  at::manual_seed(5);
  at::NoGradGuard ng;
  Toy net;
  CalibrationResult cal = calibrate(net, config(Compensation::none));
  cal.hist_a.clear();  // a file written before compensation existed
  save_calibration(dir_ / "old.json", cal);
  EXPECT_FALSE(read_json_file(dir_ / "old.json").contains("hist_a"));
  const CalibrationResult back = load_calibration(dir_ / "old.json");
  EXPECT_TRUE(back.hist_a.empty());
  Toy other;
  apply_config(*other, config(Compensation::none), lib_);
  apply_calibration(*other, back);
  other->forward(at::randn({1, 8, 16}));  // mode none: fine
  apply_config(*other, config(Compensation::mean), lib_);
  const auto msg = test::expect_error("EMU-072", [&] { other->forward(at::randn({1, 8, 16})); });
  EXPECT_NE(msg.find("recalibrate"), std::string::npos);
  Json bad = read_json_file(dir_ / "old.json");
  bad["hist_a"] = {{"fc", {1, 2, 3}}};
  write_json_atomic(dir_ / "bad.json", bad);
  test::expect_error("EMU-042", [&] { load_calibration(dir_ / "bad.json"); });
}

}  // namespace
}  // namespace axx::emu
