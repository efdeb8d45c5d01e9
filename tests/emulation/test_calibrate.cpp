// Activation range calibration: the four methods, histogram growth, JSON round trip, bad input.
#include "emulation/calibrate.hpp"
#include "common/json.hpp"
#include "test_util.hpp"

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

TEST(Calibration, MethodNamesAndBadPercentile) {
  EXPECT_EQ(parse_calibration_method("entropy"), CalibrationMethod::entropy);
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
