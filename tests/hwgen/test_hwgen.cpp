// hwgen without tools: golden LUT-GEMM, cycle model, spec validation (error codes), mode and
// schedule construction, byte-stable output and the golden-file design.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "hwgen/cycle_model.hpp"
#include "hwgen/generator.hpp"
#include "hwgen/golden.hpp"
#include "hwgen_test_util.hpp"

namespace axx::hwgen {
namespace {

namespace fs = std::filesystem;

class HwgenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lib_ = new fs::path(fs::temp_directory_path() / ("axx-hwgen-lib-" + std::to_string(::getpid())));
    test::write_test_library(AXX_RTL_DIR, *lib_, test::hwgen_test_multipliers());
  }
  static void TearDownTestSuite() {
    fs::remove_all(*lib_);
    delete lib_;
  }
  static ArrayParams params(int rows, int cols, Dataflow df = Dataflow::kWeightStationary, int acc = 32,
                            int depth = 8) {
    ArrayParams a;
    a.rows = rows;
    a.cols = cols;
    a.dataflow = df;
    a.acc_bits = acc;
    a.stream_depth = depth;
    return a;
  }
  static DesignSpec spec(const std::vector<std::string>& approx, const ArrayParams& a) {
    return build_spec(test::test_config(approx), *lib_, a, test::test_layers(), "test");
  }
  static std::string code_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.code();
    }
    return "none";
  }
  static fs::path* lib_;
};
fs::path* HwgenTest::lib_ = nullptr;

TEST(GoldenGemm, ExactLutEqualsIntegerMatmulSignedAndUnsigned) {
  for (bool is_signed : {true, false}) {
    std::vector<int32_t> lut(65536);
    for (int a = 0; a < 256; ++a)
      for (int b = 0; b < 256; ++b)
        lut[static_cast<size_t>(a * 256 + b)] = is_signed ? static_cast<int8_t>(a) * static_cast<int8_t>(b) : a * b;
    const int m = 3, k = 5, n = 4;
    std::vector<uint8_t> A(m * k), W(k * n);
    for (size_t i = 0; i < A.size(); ++i) A[i] = static_cast<uint8_t>(i * 37 + 11);
    for (size_t i = 0; i < W.size(); ++i) W[i] = static_cast<uint8_t>(i * 91 + 200);
    const auto out = lut_gemm(lut, A, W, m, k, n, 32, is_signed);
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        int64_t s = 0;
        for (int t = 0; t < k; ++t) {
          const int a = A[static_cast<size_t>(i * k + t)], b = W[static_cast<size_t>(t * n + j)];
          s += is_signed ? static_cast<int8_t>(a) * static_cast<int8_t>(b) : a * b;
        }
        EXPECT_EQ(out[static_cast<size_t>(i * n + j)], s);
      }
  }
}

TEST(GoldenGemm, WrapsToTheAccumulatorWidth) {
  EXPECT_EQ(wrap_to_bits(65535, 16, true), -1);
  EXPECT_EQ(wrap_to_bits(65536 + 5, 16, false), 5);
  EXPECT_EQ(wrap_to_bits(-1, 17, false), (1 << 17) - 1);
  EXPECT_EQ(wrap_to_bits(-5, 32, true), -5);
  std::vector<int32_t> lut(65536, 30000);  // every product 30000: 3 of them overflow 16 bits
  const auto out = lut_gemm(lut, {1, 2, 3}, {4, 5, 6}, 1, 3, 1, 16, true);
  EXPECT_EQ(out[0], wrap_to_bits(90000, 16, true));
}

TEST(CycleModel, TileAndLayerCycles) {
  ArrayParams a;
  a.rows = 4;
  a.cols = 3;
  a.stream_depth = 10;
  EXPECT_EQ(tile_cycles(a, 10), 10 + 8 + 3 + 2);
  a.dataflow = Dataflow::kOutputStationary;
  EXPECT_EQ(tile_cycles(a, 10), 10 + 8 + 3 + 1);
  a.dataflow = Dataflow::kWeightStationary;
  // M = 25 (chunks 10, 10, 5), K = 9 (3 row tiles), N = 7 (3 column tiles), twice.
  const LayerEstimate e = estimate_layer(a, {"l", 25, 9, 7, 2});
  EXPECT_EQ(e.tiles, 3 * 3 * 3 * 2);
  EXPECT_EQ(e.cycles, 2 * 9 * (2 * (tile_cycles(a, 10) + 1) + tile_cycles(a, 5) + 1));
  EXPECT_EQ(e.macs, 25 * 9 * 7 * 2);
  EXPECT_NEAR(steady_state_utilization(a), 10.0 / (tile_cycles(a, 10) + 1), 1e-12);
}

TEST_F(HwgenTest, ModesAreDefaultFirstThenByUseAndExactIsOneMode) {
  Json cfg = test::test_config({"bam_s8_v4", "exact_s8", "drum_s8_k4", "fp32"});
  const DesignSpec s = build_spec(cfg, *lib_, params(2, 2), test::test_layers(), "test");
  ASSERT_EQ(s.modes.size(), 3u);
  EXPECT_EQ(s.modes[0].name, "exact_s8");
  EXPECT_EQ(s.modes[1].name, "bam_s8_v4");
  EXPECT_EQ(s.modes[2].name, "drum_s8_k4");
  EXPECT_TRUE(s.array.is_signed);
  ASSERT_EQ(s.schedule.size(), 4u);
  EXPECT_EQ(s.schedule[0].mode, 1);
  EXPECT_EQ(s.schedule[1].mode, 0);
  EXPECT_EQ(s.schedule[2].mode, 2);
  EXPECT_EQ(s.schedule[3].mode, -1);
  EXPECT_EQ(mode_bits(s), 2);
}

TEST_F(HwgenTest, UnsignedMultipliersMakeAnUnsignedArrayWithExactU8) {
  const DesignSpec s = spec({"mitchell_u8_w4"}, params(2, 2));
  EXPECT_FALSE(s.array.is_signed);
  EXPECT_EQ(s.modes[0].name, "exact_u8");
}

TEST_F(HwgenTest, BadParametersAreRejectedWithTheirCodes) {
  EXPECT_EQ(code_of([] { spec({}, params(0, 4)); }), "HWG-001");
  EXPECT_EQ(code_of([] { spec({}, params(4, 0)); }), "HWG-001");
  EXPECT_EQ(code_of([] { spec({}, params(257, 4)); }), "HWG-001");
  EXPECT_EQ(code_of([] { spec({}, params(2, 2, Dataflow::kWeightStationary, 15)); }), "HWG-002");
  EXPECT_EQ(code_of([] { spec({}, params(2, 2, Dataflow::kWeightStationary, 33)); }), "HWG-002");
  // 16 rows need 20 bits inside the array; layer1 has K = 12 (20 bits).
  EXPECT_EQ(code_of([] { spec({}, params(16, 2, Dataflow::kWeightStationary, 19)); }), "HWG-003");
  EXPECT_EQ(code_of([] { spec({}, params(2, 2, Dataflow::kWeightStationary, 19)); }), "HWG-003");
  // OS sums a whole stream (depth 64 -> 22 bits) in each PE.
  EXPECT_EQ(code_of([] { spec({}, params(2, 2, Dataflow::kOutputStationary, 21, 64)); }), "HWG-003");
  EXPECT_EQ(code_of([] { spec({"no_such_mult"}, params(2, 2)); }), "HWG-004");
  EXPECT_EQ(code_of([] { spec({"bam_s8_v4", "mitchell_u8_w4"}, params(2, 2)); }), "HWG-005");
  EXPECT_EQ(code_of([] { spec({}, params(2, 2, Dataflow::kWeightStationary, 32, 0)); }), "HWG-007");
  EXPECT_EQ(code_of([] { parse_dataflow("rs"); }), "HWG-007");
  EXPECT_EQ(code_of([] {
              build_spec(Json{{"version", 2}}, *lib_, params(2, 2), test::test_layers(), "test");
            }),
            "HWG-006");
  EXPECT_EQ(code_of([] {
              build_spec(Json{{"version", 1}, {"layers", {{"nope", "exact"}}}}, *lib_, params(2, 2),
                         test::test_layers(), "test");
            }),
            "HWG-009");
  EXPECT_EQ(code_of([] { model_layers("resnet50"); }), "HWG-009");
  EXPECT_EQ(code_of([] { spec({}, params(2, 2, Dataflow::kWeightStationary, 20)); }), "none");
}

TEST_F(HwgenTest, MissingMultiplierErrorListsTheLibrary) {
  try {
    spec({"no_such_mult"}, params(2, 2));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bam_s8_v4"), std::string::npos) << e.what();
  }
}

TEST_F(HwgenTest, BrokenLutIsLib012AndA16BitMultiplierIsHwg008) {
  const fs::path lib = fs::temp_directory_path() / ("axx-hwgen-badlib-" + std::to_string(::getpid()));
  fs::remove_all(lib);
  fs::copy(*lib_, lib);
  write_file_atomic(lib / "bam_s8_v4.npy", "not a numpy file");
  EXPECT_EQ(code_of([&] { build_spec(test::test_config({"bam_s8_v4"}), lib, params(2, 2), {}, ""); }), "LIB-012");
  Json rec = read_json_file(lib / "drum_s8_k4.json");
  rec["width_a"] = 16;
  write_json_atomic(lib / "drum_s8_k4.json", rec);
  EXPECT_EQ(code_of([&] { build_spec(test::test_config({"drum_s8_k4"}), lib, params(2, 2), {}, ""); }), "HWG-008");
  rec.erase("top");
  write_json_atomic(lib / "drum_s8_k4.json", rec);
  EXPECT_EQ(code_of([&] { build_spec(test::test_config({"drum_s8_k4"}), lib, params(2, 2), {}, ""); }), "LIB-009");
  fs::remove_all(lib);
}

TEST_F(HwgenTest, OutputIsByteStable) {
  const DesignSpec s = spec({"bam_s8_v4"}, params(3, 2));
  const GeneratedDesign a = generate_design(s), b = generate_design(s);
  ASSERT_EQ(a.files.size(), b.files.size());
  for (size_t i = 0; i < a.files.size(); ++i) EXPECT_EQ(a.files[i].text, b.files[i].text) << a.files[i].path;
  EXPECT_EQ(a.manifest.dump(), b.manifest.dump());
  GenerateOptions other;
  other.seed = 7;
  const GeneratedDesign c = generate_design(s, other);
  for (size_t i = 0; i < a.files.size(); ++i) {
    if (a.files[i].path.rfind("rtl/", 0) == 0) {
      EXPECT_EQ(a.files[i].text, c.files[i].text) << a.files[i].path;
    }
  }
}

TEST_F(HwgenTest, TestbenchTilesHoldTheGoldenResults) {
  for (Dataflow df : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
    const DesignSpec s = spec({"drum_s8_k4"}, params(3, 2, df));
    const auto tests = make_tile_tests(s, 2, 3);
    ASSERT_EQ(tests.size(), 4u);
    for (const auto& t : tests) {
      const bool ws = df == Dataflow::kWeightStationary;
      const int m = ws ? t.len : 3, k = ws ? 3 : t.len;
      EXPECT_EQ(t.expected, lut_gemm(s.modes[static_cast<size_t>(t.mode)].lut, t.a, t.w, m, k, 2, 32, true));
    }
  }
}

TEST_F(HwgenTest, ScheduleEstimatesEveryLayerOnTheArray) {
  const DesignSpec s = spec({"bam_s8_v4", "fp32"}, params(2, 3));
  const Json j = schedule_estimates(s);
  ASSERT_EQ(j["layers"].size(), 4u);
  EXPECT_EQ(j["layers"][0]["mode"], 1);
  EXPECT_EQ(j["layers"][1]["on_array"], false);
  int64_t sum = 0;
  for (const auto& l : j["layers"]) {
    if (l.contains("cycles")) sum += l["cycles"].get<int64_t>();
  }
  EXPECT_EQ(j["total"]["cycles"].get<int64_t>(), sum);
  const auto vit = model_layers("vit_tiny_patch16_224");
  EXPECT_EQ(vit.size(), 1u + 12 * 6 + 1);
  EXPECT_EQ(vit[1].name, "blocks.0.attn.qkv");
}

// The golden design: 2x2 weight-stationary, exact + bam_s8_v4. Regenerate the files with
// AXX_UPDATE_GOLDEN=1 after an intended change, and review the diff.
TEST_F(HwgenTest, SmallDesignMatchesTheGoldenFiles) {
  const DesignSpec s = spec({"bam_s8_v4"}, params(2, 2, Dataflow::kWeightStationary, 20, 4));
  const GeneratedDesign d = generate_design(s);
  const fs::path golden = fs::path(AXX_TEST_DATA_DIR).parent_path() / "hwgen" / "data" / "golden_ws_2x2";
  const bool update = std::getenv("AXX_UPDATE_GOLDEN") != nullptr;
  int compared = 0;
  for (const auto& f : d.files) {
    if (f.path.rfind("rtl/", 0) != 0 && f.path != "axx_hw.h") continue;
    const fs::path p = golden / fs::path(f.path).filename();
    if (update) write_file_atomic(p, f.text);
    ASSERT_TRUE(fs::exists(p)) << p << " missing; run with AXX_UPDATE_GOLDEN=1";
    EXPECT_EQ(read_file(p), f.text) << "generated " << f.path << " differs from " << p;
    ++compared;
  }
  EXPECT_EQ(compared, 7);
}

}  // namespace
}  // namespace axx::hwgen
