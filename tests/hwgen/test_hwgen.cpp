// hwgen without tools: golden LUT-GEMM, cycle model, spec validation (error codes), mode and
// schedule construction, byte-stable output and the golden-file design.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sstream>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/sha256.hpp"
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
  EXPECT_EQ(code_of([] { spec({}, params(2, 2, Dataflow::kWeightStationary, 32, 0)); }), "HWG-015");
  EXPECT_EQ(code_of([] {
              ArrayParams a = params(2, 2);
              a.clock_mhz = 0;
              spec({}, a);
            }),
            "HWG-016");
  EXPECT_EQ(code_of([] { parse_dataflow("rs"); }), "HWG-007");
  EXPECT_EQ(code_of([] { build_spec(Json::array(), *lib_, params(2, 2), test::test_layers(), "test"); }), "HWG-006");
  EXPECT_EQ(code_of([] {
              build_spec(Json{{"version", 2}}, *lib_, params(2, 2), test::test_layers(), "test");
            }),
            "HWG-011");
  EXPECT_EQ(code_of([] { build_spec(Json{{"version", 1}}, "", params(2, 2), test::test_layers(), "test"); }),
            "HWG-012");
  EXPECT_EQ(code_of([] {
              build_spec(Json{{"version", 1}}, *lib_ / "no_such_folder", params(2, 2), test::test_layers(), "test");
            }),
            "HWG-010");
  EXPECT_EQ(code_of([] {
              build_spec(Json{{"version", 1}, {"layers", {{"layer0", 3}}}}, *lib_, params(2, 2), test::test_layers(),
                         "test");
            }),
            "HWG-013");
  EXPECT_EQ(code_of([] {
              build_spec(Json{{"version", 1}, {"layers", Json::array()}}, *lib_, params(2, 2), test::test_layers(),
                         "test");
            }),
            "HWG-013");
  EXPECT_EQ(code_of([] {
              build_spec(Json{{"version", 1}, {"layers", {{"nope", "exact"}}}}, *lib_, params(2, 2),
                         test::test_layers(), "test");
            }),
            "HWG-019");
  EXPECT_EQ(code_of([] { model_layers("resnet50"); }), "HWG-009");
  EXPECT_EQ(code_of([] {
              GenerateOptions g;
              g.tests_per_mode = 0;
              generate_design(spec({}, params(2, 2)), g);
            }),
            "HWG-017");
  EXPECT_EQ(code_of([] {
              DesignSpec s = spec({}, params(2, 2));
              s.modes.clear();
              validate(s);
            }),
            "HWG-014");
  EXPECT_EQ(code_of([] { spec({}, params(2, 2, Dataflow::kWeightStationary, 20)); }), "none");
}

TEST_F(HwgenTest, BadLayerFilesAreHwg018) {
  const fs::path dir = fs::temp_directory_path() / ("axx-hwgen-layers-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  write_json_atomic(dir / "zero.json", Json{{"layers", {{{"name", "l"}, {"m", 0}, {"k", 1}, {"n", 1}}}}});
  write_json_atomic(dir / "shape.json", Json{{"layer", Json::array()}});
  EXPECT_EQ(code_of([&] { read_layer_file(dir / "zero.json"); }), "HWG-018");
  EXPECT_EQ(code_of([&] { read_layer_file(dir / "shape.json"); }), "HWG-018");
  fs::remove_all(dir);
}

TEST_F(HwgenTest, NoMessageNamesACommandLineFlag) {
  for (const auto& f : std::vector<std::function<void()>>{
           [] { spec({}, params(16, 2, Dataflow::kWeightStationary, 19)); },
           [] { spec({}, params(2, 2, Dataflow::kWeightStationary, 19)); },
           [] { build_spec(Json{{"version", 1}}, "", params(2, 2), test::test_layers(), "test"); }}) {
    try {
      f();
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find("--"), std::string::npos) << e.what();
    }
  }
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
    if (f.path.rfind("tb/", 0) == 0 || f.path.rfind("rtl/multipliers/", 0) == 0) continue;  // not ours / random
    const fs::path p = golden / fs::path(f.path).filename();
    if (update) write_file_atomic(p, f.text);
    ASSERT_TRUE(fs::exists(p)) << p << " missing; run with AXX_UPDATE_GOLDEN=1";
    EXPECT_EQ(read_file(p), f.text) << "generated " << f.path << " differs from " << p;
    ++compared;
  }
  EXPECT_EQ(compared, 11);  // 7 blocks, axx_hw.h, files.f, lint.vlt, synth.tcl, README.md (not the manifest)
}

// The design folder holds the multipliers' Verilog and names every file by a path inside it.
TEST_F(HwgenTest, DesignFolderHoldsTheMultipliersAndOnlyRelativePaths) {
  const DesignSpec s = spec({"bam_s8_v4", "drum_s8_k4"}, params(2, 2));
  const GeneratedDesign d = generate_design(s);
  const fs::path out = fs::temp_directory_path() / ("axx-hwgen-folder-" + std::to_string(::getpid()));
  fs::remove_all(out);
  write_design(d, out);
  // Each mode's source, copied unchanged, and the modes' sources in the manifest point at the copies.
  const Json man = read_json_file(out / "manifest.json");
  ASSERT_EQ(man["modes"].size(), 3u);
  for (size_t i = 0; i < s.modes.size(); ++i) {
    ASSERT_EQ(man["modes"][i]["sources"].size(), 1u);
    const std::string rel = man["modes"][i]["sources"][0].get<std::string>();
    EXPECT_EQ(rel, "rtl/multipliers/" + s.modes[i].name + "/" + s.modes[i].sources[0].filename().string());
    EXPECT_EQ(read_file(out / rel), read_file(s.modes[i].sources[0])) << rel;
  }
  // files.f: the multipliers first, axx_hw_top last, every line a file of the folder.
  const std::string list = read_file(out / "files.f");
  std::vector<std::string> lines;
  std::istringstream in(list);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 3u + 6u);
  EXPECT_EQ(lines.front(), "rtl/multipliers/exact_s8/exact_s8.v");
  EXPECT_EQ(lines.back(), "rtl/axx_hw_top.v");
  EXPECT_EQ(man["rtl"].get<std::vector<std::string>>(), lines);
  for (const auto& l : lines) {
    EXPECT_TRUE(fs::path(l).is_relative()) << l;
    EXPECT_TRUE(fs::is_regular_file(out / l)) << l;
  }
  // No absolute path anywhere in the manifest, the file list or the tool scripts.
  EXPECT_EQ(test::absolute_paths_in_json(man), std::vector<std::string>{});
  for (const char* f : {"files.f", "synth.tcl", "lint.vlt", "README.md"}) {
    const std::string text = read_file(out / f);
    EXPECT_EQ(test::absolute_paths_in_text(text), std::vector<std::string>{}) << f;
    EXPECT_EQ(text.find(AXX_RTL_DIR), std::string::npos) << f;
    EXPECT_EQ(text.find(lib_->string()), std::string::npos) << f;
  }
  // Every Verilog file is read by the Yosys script; the README shows the commands and the list.
  const std::string tcl = read_file(out / "synth.tcl"), readme = read_file(out / "README.md");
  for (const auto& l : lines) {
    EXPECT_NE(tcl.find("[file join $dir " + l + "]"), std::string::npos) << l;
    EXPECT_NE(readme.find("    " + l + "\n"), std::string::npos) << l;
  }
  EXPECT_NE(readme.find("verilator --lint-only -Wall --top-module axx_hw_top lint.vlt -f files.f"), std::string::npos);
  EXPECT_NE(readme.find("LIBERTY=path/to/cells.lib yosys -c synth.tcl"), std::string::npos);
  EXPECT_NE(readme.find("| 1 | bam_s8_v4 | bam_s8 | VBL=4, HBL=0 | rtl/multipliers/bam_s8_v4/bam.v |"),
            std::string::npos)
      << readme;
  // The manifest lists every file with its hash; provenance names the originals without paths.
  for (const auto& f : man["files"]) {
    EXPECT_EQ(f["sha256"], sha256_hex(read_file(out / f["path"].get<std::string>()))) << f["path"];
  }
  ASSERT_EQ(man["provenance"]["multiplier_sources"].size(), 3u);
  EXPECT_EQ(man["provenance"]["multiplier_sources"][1]["original_name"], "bam.v");

  // Regenerating with other multipliers removes the copies this design no longer has.
  write_design(generate_design(spec({"drum_s8_k4"}, params(2, 2))), out);
  EXPECT_FALSE(fs::exists(out / "rtl" / "multipliers" / "bam_s8_v4"));
  EXPECT_TRUE(fs::exists(out / "rtl" / "multipliers" / "drum_s8_k4" / "drum.v"));
  fs::remove_all(out);
}

// Two multipliers of one family file are one copy; the same bytes under another path are one copy
// too (two copies would define the modules twice); two different files with one name are both kept.
TEST_F(HwgenTest, SharedAndClashingSourcesAreCopiedOnceEach) {
  const DesignSpec shared = spec({"bam_s8_v4", "bam_s8_v6"}, params(2, 2));
  ASSERT_EQ(shared.modes.size(), 3u);
  GeneratedDesign d = generate_design(shared);
  EXPECT_EQ(d.multiplier_files,
            (std::vector<std::string>{"rtl/multipliers/exact_s8/exact_s8.v", "rtl/multipliers/bam_s8_v4/bam.v"}));
  EXPECT_EQ(d.manifest["modes"][2]["sources"], Json::array({"rtl/multipliers/bam_s8_v4/bam.v"}));
  EXPECT_EQ(d.manifest["provenance"]["multiplier_sources"][1]["multipliers"], Json::array({"bam_s8_v4", "bam_s8_v6"}));

  const fs::path dir = fs::temp_directory_path() / ("axx-hwgen-clash-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "a");
  fs::create_directories(dir / "b");
  const std::string bam = read_file(fs::path(AXX_RTL_DIR) / "bam.v");
  write_file_atomic(dir / "a" / "bam.v", bam);                                // same bytes as the catalog's
  write_file_atomic(dir / "b" / "bam.v", bam + "\n// another file, same name\n");  // different bytes
  DesignSpec s = shared;
  s.modes[2].sources = {dir / "a" / "bam.v"};
  d = generate_design(s);
  EXPECT_EQ(d.multiplier_files.size(), 2u);
  EXPECT_EQ(d.manifest["modes"][2]["sources"], Json::array({"rtl/multipliers/bam_s8_v4/bam.v"}));
  s.modes[1].sources = {fs::path(AXX_RTL_DIR) / "bam.v", dir / "b" / "bam.v"};
  d = generate_design(s);
  EXPECT_EQ(d.manifest["modes"][1]["sources"],
            Json::array({"rtl/multipliers/bam_s8_v4/bam.v", "rtl/multipliers/bam_s8_v4/bam_2.v"}));
  // A source that has gone away since the record was read.
  s.modes[2].sources = {dir / "c" / "gone.v"};
  EXPECT_EQ(code_of([&] { generate_design(s); }), "HWG-020");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace axx::hwgen

// ---------------------------------------------------------------------------------------------
// Control-variate compensation (COMPENSATION.md)

namespace axx::hwgen {
namespace {

std::vector<int32_t> exact_lut(bool is_signed) {
  std::vector<int32_t> lut(65536);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b)
      lut[static_cast<size_t>(a * 256 + b)] = is_signed ? static_cast<int8_t>(a) * static_cast<int8_t>(b) : a * b;
  return lut;
}

TEST(CompensationGolden, SubtractsTheTablePerColumnAndIsLinearInK) {
  std::vector<int32_t> lut = exact_lut(true);
  for (size_t i = 0; i < lut.size(); i += 3) lut[i] += 5;  // an error of +5 on every third product
  std::vector<int32_t> t(256);
  for (int b = 0; b < 256; ++b) t[static_cast<size_t>(b)] = (b * 37) % 201 - 100;
  const int m = 3, k = 8, n = 4;
  std::vector<uint8_t> A(m * k), W(k * n);
  for (size_t i = 0; i < A.size(); ++i) A[i] = static_cast<uint8_t>(i * 53 + 7);
  for (size_t i = 0; i < W.size(); ++i) W[i] = static_cast<uint8_t>(i * 29 + 101);
  const auto plain = lut_gemm(lut, A, W, m, k, n, 32, true);
  const auto comp = lut_gemm_compensated(lut, t, A, W, m, k, n, 32, true);
  const auto corr = compensation_correction(t, W, k, n);
  for (int j = 0; j < n; ++j) {
    int64_t c = 0;
    for (int q = 0; q < k; ++q) c -= t[W[static_cast<size_t>(q * n + j)]];
    EXPECT_EQ(corr[static_cast<size_t>(j)], c);
    for (int i = 0; i < m; ++i) EXPECT_EQ(comp[static_cast<size_t>(i * n + j)], plain[static_cast<size_t>(i * n + j)] + c);
  }
  // Two K-halves (as two K-tiles of the array) add up to the whole.
  std::vector<uint8_t> A0, A1, W0(W.begin(), W.begin() + 4 * n), W1(W.begin() + 4 * n, W.end());
  for (int i = 0; i < m; ++i) {
    A0.insert(A0.end(), A.begin() + i * k, A.begin() + i * k + 4);
    A1.insert(A1.end(), A.begin() + i * k + 4, A.begin() + (i + 1) * k);
  }
  const auto h0 = lut_gemm_compensated(lut, t, A0, W0, m, 4, n, 32, true);
  const auto h1 = lut_gemm_compensated(lut, t, A1, W1, m, 4, n, 32, true);
  for (size_t i = 0; i < comp.size(); ++i) EXPECT_EQ(h0[i] + h1[i], comp[i]);
  // Empty table: plain LUT-GEMM; narrow accumulators wrap the corrected sum.
  EXPECT_EQ(lut_gemm_compensated(lut, {}, A, W, m, k, n, 32, true), plain);
  const auto narrow = lut_gemm_compensated(lut, t, A, W, m, k, n, 17, true);
  for (size_t i = 0; i < comp.size(); ++i) EXPECT_EQ(narrow[i], wrap_to_bits(comp[i], 17, true));
}

TEST(CompensationGolden, TableFollowsTheContract) {
  // Exact multiplier: no error, t = 0 under any histogram.
  std::vector<double> hist(256, 0.0);
  hist[3] = 5;
  hist[200] = 1;
  for (int32_t v : compensation_table(exact_lut(false), hist, false)) EXPECT_EQ(v, 0);
  // lut = exact + a: eps(a, b) = a; with p = {a=2: 0.5, a=5: 0.5} the mean is 3.5 -> llround 4.
  std::vector<int32_t> lut = exact_lut(false);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) lut[static_cast<size_t>(a * 256 + b)] += a;
  std::fill(hist.begin(), hist.end(), 0.0);
  hist[2] = 7;
  hist[5] = 7;
  for (int32_t v : compensation_table(lut, hist, false)) EXPECT_EQ(v, 4);
  // Negative halves round away from zero: eps = -a -> -3.5 -> -4.
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) lut[static_cast<size_t>(a * 256 + b)] -= 2 * a;
  for (int32_t v : compensation_table(lut, hist, false)) EXPECT_EQ(v, -4);
  // An empty histogram gives no correction.
  for (int32_t v : compensation_table(lut, std::vector<double>(256, 0.0), false)) EXPECT_EQ(v, 0);
}

TEST(CompensationGolden, TablesOfTheWrongSizeOrRangeAreRejected) {
  auto code = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.code();
    }
    return std::string("none");
  };
  const std::vector<int32_t> lut = exact_lut(true);
  EXPECT_EQ(code([&] { lut_gemm_compensated(lut, std::vector<int32_t>(255, 0), {1}, {1}, 1, 1, 1, 32, true); }),
            "HWG-030");
  std::vector<int32_t> t(256, 0);
  t[9] = 65536;
  EXPECT_EQ(code([&] { check_compensation_table(t); }), "HWG-031");
  t[9] = -65537;
  EXPECT_EQ(code([&] { check_compensation_table(t); }), "HWG-031");
  t[9] = -65536;
  EXPECT_EQ(code([&] { check_compensation_table(t); }), "none");
}

}  // namespace

TEST_F(HwgenTest, ConfigCompensationKeysInBothLayerForms) {
  // Old form, no compensation key: no compensation hardware, every layer "none".
  const DesignSpec off = spec({"bam_s8_v4", "drum_s8_k4"}, params(2, 2));
  EXPECT_FALSE(off.array.compensation);
  for (const auto& e : off.schedule) EXPECT_EQ(e.compensation, "none");
  // Object form on one layer.
  Json cfg = test::test_config({"bam_s8_v4", "drum_s8_k4", "fp32"});
  cfg["layers"]["layer1"] = Json{{"multiplier", "drum_s8_k4"}, {"compensation", "mean"}};
  DesignSpec s = build_spec(cfg, *lib_, params(2, 2), test::test_layers(), "test");
  EXPECT_TRUE(s.array.compensation);
  EXPECT_EQ(s.schedule[0].compensation, "none");
  EXPECT_EQ(s.schedule[1].compensation, "mean");
  EXPECT_EQ(s.schedule[1].multiplier, "drum_s8_k4");
  EXPECT_EQ(s.schedule[2].compensation, "none");  // fp32: on the host
  // Top-level default, overridden per layer; an object without "compensation" takes the default.
  cfg["compensation"] = "mean";
  cfg["layers"]["layer1"] = Json{{"multiplier", "drum_s8_k4"}, {"compensation", "none"}};
  cfg["layers"]["layer0"] = Json{{"multiplier", "bam_s8_v4"}};
  s = build_spec(cfg, *lib_, params(2, 2), test::test_layers(), "test");
  EXPECT_TRUE(s.array.compensation);
  EXPECT_EQ(s.schedule[0].compensation, "mean");
  EXPECT_EQ(s.schedule[1].compensation, "none");
  EXPECT_EQ(s.schedule[3].compensation, "mean");  // the default multiplier, the default compensation
  // "mean" only on host (fp32) layers builds no hardware; the array parameter forces it.
  Json host = test::test_config({"fp32"}, "fp32");
  host["layers"]["layer0"] = Json{{"multiplier", "fp32"}, {"compensation", "mean"}};
  host["layers"]["layer1"] = "bam_s8_v4";
  EXPECT_FALSE(build_spec(host, *lib_, params(2, 2), test::test_layers(), "test").array.compensation);
  ArrayParams forced = params(2, 2);
  forced.compensation = true;
  EXPECT_TRUE(build_spec(test::test_config({"bam_s8_v4"}), *lib_, forced, test::test_layers(), "test")
                  .array.compensation);
  // Without a layer table the config alone decides.
  EXPECT_TRUE(build_spec(cfg, *lib_, params(2, 2), {}, "").array.compensation);
}

TEST_F(HwgenTest, BadCompensationConfigsAreHwgErrors) {
  auto with = [&](const std::function<void(Json&)>& edit) {
    Json cfg = test::test_config({"bam_s8_v4"});
    edit(cfg);
    return code_of([&] { build_spec(cfg, *lib_, params(2, 2), test::test_layers(), "test"); });
  };
  EXPECT_EQ(with([](Json& c) { c["compensation"] = "median"; }), "HWG-032");
  EXPECT_EQ(with([](Json& c) { c["compensation"] = 1; }), "HWG-032");
  EXPECT_EQ(with([](Json& c) { c["layers"]["layer0"] = Json{{"multiplier", "bam_s8_v4"}, {"compensation", "MEAN"}}; }),
            "HWG-032");
  EXPECT_EQ(with([](Json& c) { c["layers"]["layer0"] = Json{{"compensation", "mean"}}; }), "HWG-033");
  EXPECT_EQ(with([](Json& c) { c["layers"]["layer0"] = Json{{"multiplier", 3}}; }), "HWG-033");
  EXPECT_EQ(with([](Json& c) { c["layers"]["layer0"] = Json{{"multiplier", "bam_s8_v4"}, {"comp", "mean"}}; }),
            "HWG-033");
  EXPECT_EQ(with([](Json& c) { c["layers"]["layer0"] = 5; }), "HWG-013");
  EXPECT_EQ(with([](Json& c) { c["layers"]["layer0"] = Json{{"multiplier", "nope"}}; }), "HWG-004");
  try {
    Json cfg = test::test_config({"bam_s8_v4"});
    cfg["layers"]["layer2"] = Json{{"multiplier", "bam_s8_v4"}, {"compensation", "avg"}};
    build_spec(cfg, *lib_, params(2, 2), test::test_layers(), "test");
    FAIL();
  } catch (const Error& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("layer2"), std::string::npos) << w;
    EXPECT_NE(w.find("\"mean\""), std::string::npos) << w;
    EXPECT_EQ(w.find("--"), std::string::npos) << w;
  }
}

// Without compensation nothing changes: "compensation": "none" (either form) generates exactly
// the bytes of a config without the keys. With it, only the blocks it touches change, and the
// folder describes the table port.
TEST_F(HwgenTest, CompensationNoneIsByteIdenticalAndMeanAddsTheBlock) {
  for (Dataflow df : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
    const GeneratedDesign base = generate_design(spec({"bam_s8_v4"}, params(2, 3, df)));
    Json cfg = test::test_config({"bam_s8_v4"});
    cfg["compensation"] = "none";
    cfg["layers"]["layer0"] = Json{{"multiplier", "bam_s8_v4"}, {"compensation", "none"}};
    const GeneratedDesign none = generate_design(build_spec(cfg, *lib_, params(2, 3, df), test::test_layers(), "test"));
    ASSERT_EQ(base.files.size(), none.files.size());
    for (size_t i = 0; i < base.files.size(); ++i) {
      EXPECT_EQ(base.files[i].path, none.files[i].path);
      EXPECT_EQ(base.files[i].text, none.files[i].text) << base.files[i].path;
    }
    EXPECT_FALSE(none.manifest["parameters"].contains("compensation"));
    EXPECT_FALSE(none.manifest.contains("compensation"));

    cfg["layers"]["layer0"]["compensation"] = "mean";
    const GeneratedDesign mean = generate_design(build_spec(cfg, *lib_, params(2, 3, df), test::test_layers(), "test"));
    auto text = [&](const GeneratedDesign& d, const std::string& path) {
      for (const auto& f : d.files)
        if (f.path == path) return f.text;
      return std::string("<missing>");
    };
    EXPECT_NE(text(mean, "rtl/axx_hw_comp.v"), "<missing>");
    EXPECT_EQ(text(base, "rtl/axx_hw_comp.v"), "<missing>");
    EXPECT_NE(text(mean, "rtl/axx_hw_top.v").find("t_wr_data"), std::string::npos);
    EXPECT_NE(text(mean, "tb/t.hex"), "<missing>");
    EXPECT_NE(text(mean, "axx_hw.h").find("#define AXX_HW_COMP_TABLE_BITS 17"), std::string::npos);
    EXPECT_NE(text(mean, "axx_hw.h").find("{\"layer0\", 1, 5, 6, 7, 1, 1}"), std::string::npos)
        << text(mean, "axx_hw.h");
    EXPECT_NE(text(mean, "files.f").find("rtl/axx_hw_comp.v\nrtl/axx_hw_top.v"), std::string::npos);
    // The PE and controller do not change.
    EXPECT_EQ(text(mean, "rtl/axx_hw_ctrl.v").substr(text(mean, "rtl/axx_hw_ctrl.v").find("module")),
              text(base, "rtl/axx_hw_ctrl.v").substr(text(base, "rtl/axx_hw_ctrl.v").find("module")));
    EXPECT_EQ(text(mean, "rtl/axx_hw_pe.v").substr(text(mean, "rtl/axx_hw_pe.v").find("module")),
              text(base, "rtl/axx_hw_pe.v").substr(text(base, "rtl/axx_hw_pe.v").find("module")));
    const Json& m = mean.manifest;
    EXPECT_EQ(m["parameters"]["compensation"], true);
    EXPECT_EQ(m["compensation"]["table_entries"], 256);
    EXPECT_EQ(m["compensation"]["table_bits"], 17);
    EXPECT_TRUE(m["compensation"]["ports"].contains("t_wr_addr"));
    EXPECT_EQ(m["schedule"]["layers"][0]["compensation"], "mean");
    EXPECT_EQ(m["schedule"]["layers"][0]["table_load_cycles"], 256);
    EXPECT_EQ(m["schedule"]["layers"][1]["table_load_cycles"], 256);  // "none" needs a zero table first
    EXPECT_EQ(m["schedule"]["layers"][2]["table_load_cycles"], 0);    // ... which stays
    EXPECT_EQ(m["schedule"]["total"]["cycles"].get<int64_t>(),
              base.manifest["schedule"]["total"]["cycles"].get<int64_t>() + 512);
    // Same operands as without compensation, every tile with its table and compensated result.
    ASSERT_EQ(mean.tests.size(), base.tests.size());
    for (size_t i = 0; i < mean.tests.size(); ++i) {
      const TileTest& t = mean.tests[i];
      EXPECT_EQ(t.a, base.tests[i].a);
      EXPECT_EQ(t.w, base.tests[i].w);
      ASSERT_EQ(t.table.size(), 256u);
      const bool ws = df == Dataflow::kWeightStationary;
      const int mm = ws ? t.len : 2, k = ws ? 2 : t.len;
      EXPECT_EQ(t.expected, lut_gemm_compensated(mean.spec.modes[static_cast<size_t>(t.mode)].lut, t.table, t.a, t.w,
                                                 mm, k, 3, 32, true));
    }
    // Tile 0 of a mode holds its real table (exact mode: zeros), tile 1 the extremes.
    for (int32_t v : mean.tests[0].table) EXPECT_EQ(v, 0);
    EXPECT_EQ(mean.tests[1].table[0], -65536);
    EXPECT_EQ(mean.tests[1].table[1], 65535);
  }
}

TEST_F(HwgenTest, NarrowAccumulatorsKeepTheTableModuloTheirWidth) {
  ArrayParams a = params(1, 2, Dataflow::kWeightStationary, 16, 4);
  a.compensation = true;
  const DesignSpec s = build_spec(test::test_config({"bam_s8_v4"}), *lib_, a, {}, "");
  EXPECT_EQ(comp_table_bits(s.array), 16);
  const GeneratedDesign d = generate_design(s);
  for (const auto& f : d.files) {
    if (f.path == "rtl/axx_hw_comp.v") {
      EXPECT_NE(f.text.find("reg [15:0] tbl [0:255]"), std::string::npos) << f.text;
    }
    if (f.path == "tb/t.hex") EXPECT_EQ(f.text.substr(0, 5), "0000\n");  // 4 hex digits an entry
  }
}

}  // namespace axx::hwgen
