// Activation range calibration: the five methods, histogram growth, JSON round trip, bad input.
#include "emulation/calibrate.hpp"
#include "common/json.hpp"
#include "test_util.hpp"

#include <cmath>

namespace axx::emu {
namespace {

CalibrationSettings method(CalibrationMethod m, double p = 99.99) {
  CalibrationSettings s;
  s.method = m;
  s.percentile = p;
  return s;
}

TEST(RangeObserver, MaxIsTheObservedExtremes) {
  RangeObserver o;
  o.observe(at::tensor({-1.f, 2.f}));
  o.observe(at::tensor({0.5f, -3.f}));
  EXPECT_EQ(o.range(method(CalibrationMethod::max), true), std::make_pair(-3.0, 3.0));
  EXPECT_EQ(o.range(method(CalibrationMethod::max), false), std::make_pair(-3.0, 2.0));
  EXPECT_EQ(o.count(), 4);
}

TEST(RangeObserver, PercentileClipsTheTail) {
  at::manual_seed(1);
  RangeObserver o;
  at::Tensor x = at::rand({200000}) * 2 - 1;  // U(-1, 1)
  o.observe(x);
  const auto r = o.range(method(CalibrationMethod::percentile, 99.0), true);
  EXPECT_NEAR(r.second, 0.99, 0.01);
  EXPECT_EQ(r.first, -r.second);
  const auto u = o.range(method(CalibrationMethod::percentile, 99.0), false);
  EXPECT_NEAR(u.first, -0.99, 0.01);
  EXPECT_NEAR(u.second, 0.99, 0.01);
}

TEST(RangeObserver, HistogramGrowsWhenLaterBatchesAreWider) {
  at::manual_seed(2);
  RangeObserver o;
  o.observe(at::rand({1000}) * 0.01);     // tiny first batch sets a small radius
  o.observe(at::rand({100000}) * 2 - 1);  // then a 100× wider one
  const auto r = o.range(method(CalibrationMethod::percentile, 90.0), true);
  EXPECT_NEAR(r.second, 0.9, 0.02);
}

TEST(RangeObserver, MseAndEntropyClipOutliersOfAGaussian) {
  at::manual_seed(3);
  RangeObserver o;
  at::Tensor x = at::randn({200000});
  x[0] = 40.f;  // one far outlier
  o.observe(x);
  for (auto m : {CalibrationMethod::mse, CalibrationMethod::entropy}) {
    const auto r = o.range(method(m), true);
    EXPECT_GT(r.second, 2.0) << to_string(m);
    EXPECT_LT(r.second, 20.0) << to_string(m);
    EXPECT_EQ(r.first, -r.second);
    const auto u = o.range(method(m), false);
    EXPECT_LE(u.second, 40.0);
    EXPECT_LT(u.first, 0.0);
  }
}

// Without a far outlier the histogram spans only the Gaussian (about ±4.7σ): entropy clips the
// rare tail, not the bulk. (Built from the clipped P, the candidate Q equalled P at the first
// threshold, so every layer got 1/8 of its range: 18 % top-1 on the Fashion-MNIST ViT.)
TEST(RangeObserver, EntropyKeepsTheBulkOfAGaussian) {
  at::manual_seed(4);
  RangeObserver o;
  o.observe(at::randn({200000}));
  const auto r = o.range(method(CalibrationMethod::entropy), true);
  EXPECT_GT(r.second, 2.5);
  EXPECT_LT(r.second, o.range(method(CalibrationMethod::max), true).second);
}

TEST(RangeObserver, AllZerosGiveZeroRange) {
  RangeObserver o;
  o.observe(at::zeros({10}));
  EXPECT_EQ(o.range(method(CalibrationMethod::entropy), true), std::make_pair(0.0, 0.0));
  o.observe(at::tensor({1.f}));  // zeros first, then data: zeros stay at the centre
  EXPECT_EQ(o.range(method(CalibrationMethod::max), true).second, 1.0);
}

TEST(RangeObserver, EmptyCalibrationSetIsAnError) {
  RangeObserver o;
  o.observe(at::zeros({0}));
  test::expect_error("EMU-040", [&] { o.range(method(CalibrationMethod::max), true, "layer fc"); });
}

TEST(RangeObserver, NanIsAnError) {
  RangeObserver o;
  test::expect_error("EMU-030", [&] { o.observe(at::tensor({1.f, NAN})); });
}

// noise_aware (calibrate.hpp): the clip minimizing quantization plus multiplier error.
namespace noise {

double value(int code) { return double(int8_t(uint8_t(code))); }

// A signed table a·b + err(a, b).
template <class Err>
std::vector<int32_t> table(Err err) {
  std::vector<int32_t> lut(65536);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) lut[size_t(a * 256 + b)] = int32_t(value(a) * value(b) + err(a, b));
  return lut;
}

// A deterministic hash in [-1, 1): an error with no structure a constant per b can remove.
double hashed(int a, int b) {
  uint32_t h = uint32_t(a * 256 + b) * 2654435761u;
  h ^= h >> 15;
  h *= 2246822519u;
  h ^= h >> 13;
  return double(h % 65536) / 32768.0 - 1.0;
}

std::array<double, 256> weights_histogram() {  // B codes spread like a trained layer's
  std::array<double, 256> h{};
  for (int v = -127; v <= 127; ++v) h[size_t(uint8_t(int8_t(v)))] = std::exp(-std::abs(v) / 30.0);
  return h;
}

RangeObserver laplace_activations() {
  at::manual_seed(11);
  RangeObserver o;
  const at::Tensor u = at::rand({200000}) - 0.5;
  o.observe(-at::sign(u) * at::log1p(-2 * at::abs(u)));  // Laplace(0, 1): a heavy tail to clip
  return o;
}

}  // namespace noise

TEST(RangeObserver, NoiseAwareWithAnExactTableIsMse) {
  const RangeObserver o = noise::laplace_activations();
  const auto exact = noise::table([](int, int) { return 0.0; });
  EXPECT_EQ(o.noise_aware_range(exact.data(), true, noise::weights_histogram(), 0, false),
            o.range(method(CalibrationMethod::mse), true));
  // As a method, noise_aware is the percentile (its approximate layers: end_calibration).
  EXPECT_EQ(o.range(method(CalibrationMethod::noise_aware, 99.9), true),
            o.range(method(CalibrationMethod::percentile, 99.9), true));
}

TEST(RangeObserver, NoiseAwareClipsTighterTheNoisierTheMultiplier) {
  const RangeObserver o = noise::laplace_activations();
  double previous = o.range(method(CalibrationMethod::mse), true).second;
  for (double amplitude : {20.0, 200.0, 2000.0}) {
    const auto lut = noise::table([&](int a, int b) { return amplitude * noise::hashed(a, b); });
    const auto r = o.noise_aware_range(lut.data(), true, noise::weights_histogram(), 0, true);
    EXPECT_EQ(r.first, -r.second);
    EXPECT_LE(r.second, previous) << amplitude;
    previous = r.second;
  }
  EXPECT_LT(previous, 0.6 * o.range(method(CalibrationMethod::mse), true).second);
  EXPECT_GT(previous, 0.0);
}

TEST(RangeObserver, NoiseAwareCountsOnlyTheErrorCompensationLeaves) {
  // An error that is a constant per B code: "mean" compensation removes all of it.
  const RangeObserver o = noise::laplace_activations();
  const auto lut = noise::table([](int, int b) { return 500.0 * noise::hashed(0, b); });
  const auto mse = o.range(method(CalibrationMethod::mse), true);
  EXPECT_EQ(o.noise_aware_range(lut.data(), true, noise::weights_histogram(), 0, true), mse);
  EXPECT_LT(o.noise_aware_range(lut.data(), true, noise::weights_histogram(), 0, false).second, mse.second);
}

TEST(Calibration, MethodNamesAndBadPercentile) {
  EXPECT_EQ(parse_calibration_method("entropy"), CalibrationMethod::entropy);
  EXPECT_EQ(parse_calibration_method("noise_aware"), CalibrationMethod::noise_aware);
  const auto msg = test::expect_error("EMU-041", [] { parse_calibration_method("kl"); });
  EXPECT_NE(msg.find("percentile"), std::string::npos);
  RangeObserver o;
  o.observe(at::randn({10}));
  test::expect_error("EMU-043", [&] { o.range(method(CalibrationMethod::percentile, 20), true); });
}

TEST(Calibration, SavesAndLoadsJson) {
  const auto dir = test::temp_dir("cal");
  CalibrationResult r;
  r.settings = method(CalibrationMethod::percentile, 99.9);
  r.ranges["blocks.0.attn.qk"] = {{-1.5, 1.5}, {-0.25, 2.0}};
  r.ranges["head"] = {{0.0, 3.0}};
  save_calibration(dir / "cal.json", r);
  const auto back = load_calibration(dir / "cal.json");
  EXPECT_EQ(back.settings.method, CalibrationMethod::percentile);
  EXPECT_DOUBLE_EQ(back.settings.percentile, 99.9);
  EXPECT_EQ(back.ranges, r.ranges);
  write_json_atomic(dir / "bad.json", Json{{"version", 1}, {"method", "max"}, {"layers", {{"x", Json::array({Json{{"min", 0}}})}}}});
  test::expect_error("EMU-042", [&] { load_calibration(dir / "bad.json"); });
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace axx::emu
