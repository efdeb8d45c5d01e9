// hwgen designs through the real tools: Verilator lint (-Wall) and bit-exact simulation of
// random tiles in every mode, cycle counts equal to the model, Yosys synthesis and power, the
// testbench catching a wrong result, and the CLI's errors. Arrays are small: Verilator's C++
// compile dominates the run time.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/subprocess.hpp"
#include "hwgen/verify/hwgen_verify.hpp"
#include "hwgen/cycle_model.hpp"
#include "eda/liberty.hpp"
#include "hwgen/design_folder.hpp"
#include "hwgen/generator.hpp"
#include "hwgen_test_util.hpp"

namespace axx::flows {
namespace {

namespace fs = std::filesystem;
using hwgen::Dataflow;

fs::path& lib_dir() {
  static fs::path p;
  return p;
}

class HwgenVerifyEnv : public ::testing::Environment {
 public:
  void SetUp() override {
    lib_dir() = fs::temp_directory_path() / ("axx-hwgen-vlib-" + std::to_string(::getpid()));
    test::write_test_library(AXX_RTL_DIR, lib_dir(), test::hwgen_test_multipliers());
  }
  void TearDown() override { fs::remove_all(lib_dir()); }
};
const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new HwgenVerifyEnv);

struct Case {
  std::string name;
  int rows, cols;
  Dataflow dataflow;
  std::vector<std::string> approx;  // besides the exact default
  int acc_bits, depth;
  bool compensation = false;  // the per-column correction hardware (COMPENSATION.md)
};

hwgen::GeneratedDesign make_design(const Case& c, const fs::path& out, int tests_per_mode = 2) {
  hwgen::ArrayParams a;
  a.rows = c.rows;
  a.cols = c.cols;
  a.dataflow = c.dataflow;
  a.acc_bits = c.acc_bits;
  a.stream_depth = c.depth;
  a.compensation = c.compensation;
  const hwgen::DesignSpec spec =
      hwgen::build_spec(test::test_config(c.approx), lib_dir(), a,
                        c.acc_bits < 20 ? std::vector<hwgen::LayerShape>{} : test::test_layers(), "test");
  hwgen::GenerateOptions g;
  g.tests_per_mode = tests_per_mode;
  hwgen::GeneratedDesign d = hwgen::generate_design(spec, g);
  fs::remove_all(out);
  hwgen::write_design(d, out);
  return d;
}

class HwgenSizes : public ::testing::TestWithParam<Case> {};

TEST_P(HwgenSizes, LintsCleanAndMatchesGoldenInEveryModeWithModelCycles) {
  const Case& c = GetParam();
  const fs::path out = fs::temp_directory_path() / ("axx-hwgen-" + c.name + "-" + std::to_string(::getpid()));
  const hwgen::GeneratedDesign d = make_design(c, out);
  const LintReport lint = lint_design(d, out);
  EXPECT_TRUE(lint.clean);
  const SimReport sim = simulate_design(d, out, 2);
  EXPECT_EQ(sim.errors, 0);
  ASSERT_EQ(sim.tiles.size(), d.tests.size());
  std::vector<int> tiles_per_mode(d.spec.modes.size(), 0);
  for (const SimTile& t : sim.tiles) {
    EXPECT_EQ(t.cycles, hwgen::tile_cycles(d.spec.array, t.len)) << "tile " << t.test;
    tiles_per_mode[static_cast<size_t>(t.mode)] += 1;
  }
  for (int n : tiles_per_mode) EXPECT_EQ(n, 2);
  EXPECT_TRUE(sim.cycles_match);
  EXPECT_DOUBLE_EQ(sim.utilization, sim.model_utilization);
  fs::remove_all(out);
}

INSTANTIATE_TEST_SUITE_P(
    Arrays, HwgenSizes,
    ::testing::Values(Case{"ws1x1_signed", 1, 1, Dataflow::kWeightStationary, {"bam_s8_v4", "drum_s8_k4"}, 32, 4},
                      Case{"os1x1_unsigned", 1, 1, Dataflow::kOutputStationary, {"mitchell_u8_w4"}, 20, 8},
                      Case{"ws2x3_unsigned", 2, 3, Dataflow::kWeightStationary, {"mitchell_u8_w4", "etm_u8_l2"}, 20, 5},
                      Case{"os3x2_signed", 3, 2, Dataflow::kOutputStationary, {"bam_s8_v4"}, 20, 6},
                      Case{"ws4x4_signed", 4, 4, Dataflow::kWeightStationary, {"drum_s8_k4"}, 32, 8},
                      // With compensation: random, extreme and real tables, every mode, both dataflows,
                      // a 16-bit accumulator (table entries kept modulo 2^16).
                      Case{"ws2x3_comp_signed", 2, 3, Dataflow::kWeightStationary, {"bam_s8_v4", "drum_s8_k4"}, 32,
                           5, true},
                      Case{"os3x2_comp_unsigned", 3, 2, Dataflow::kOutputStationary, {"mitchell_u8_w4", "etm_u8_l2"},
                           20, 6, true},
                      Case{"ws1x2_comp_acc16", 1, 2, Dataflow::kWeightStationary, {"bam_s8_v4"}, 16, 4, true},
                      Case{"os2x1_comp_acc17", 2, 1, Dataflow::kOutputStationary, {"drum_s8_k4"}, 17, 2, true}),
    [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

TEST(HwgenVerify, SynthesisAndPowerPerMode) {
  const Case c{"ws2x2_power", 2, 2, Dataflow::kWeightStationary, {"bam_s8_v4"}, 20, 4};
  const fs::path out = fs::temp_directory_path() / ("axx-hwgen-power-" + std::to_string(::getpid()));
  const hwgen::GeneratedDesign d = make_design(c, out, 1);
  HwVerifyOptions o;
  o.lint = false;
  o.simulate = false;
  o.power_cycles = 128;
  const HwVerifyReport r = verify_design(d, out, o);
  EXPECT_GT(r.synth.pe_area_um2, 0);
  EXPECT_GT(r.synth.array_area_um2, 4 * r.synth.pe_area_um2 - 1);
  EXPECT_GT(r.synth.area_um2, r.synth.array_area_um2);
  EXPECT_GT(r.synth.cells, 4 * r.synth.pe_cells - 1);
  EXPECT_GT(r.synth.cell_mix.count("DFFPOSX1"), 0u);
  ASSERT_EQ(r.power.modes.size(), 2u);
  for (const auto& m : r.power.modes) {
    EXPECT_GT(m.pe_busy_pj_per_cycle, m.pe_idle_pj_per_cycle) << m.multiplier;
    EXPECT_GT(m.pe_idle_pj_per_cycle, 0) << m.multiplier;
  }
  // The broken array drops partial products: it must switch less than the exact multiplier.
  EXPECT_LT(r.power.modes[1].pe_busy_pj_per_cycle, r.power.modes[0].pe_busy_pj_per_cycle);
  EXPECT_GT(r.power.energy_per_inference_uj, 0);
  EXPECT_TRUE(fs::exists(out / "verify" / "report.json"));
  // Given operands instead of uniform ones: activations that are mostly zero switch far less.
  o.activations = {0, 0, 0, 1};
  const HwPowerReport sparse = estimate_power(d, out, {}, o);
  ASSERT_EQ(sparse.modes.size(), 2u);
  EXPECT_LT(sparse.modes[0].pe_busy_pj_per_cycle, 0.8 * r.power.modes[0].pe_busy_pj_per_cycle);

  // Operand isolation: the idle bam multiplier adds little to the exact mode's energy compared
  // with a PE that holds the exact multiplier alone (same operands, same seed).
  const Case single{"ws2x2_single", 2, 2, Dataflow::kWeightStationary, {}, 20, 4};
  const fs::path out1 = fs::temp_directory_path() / ("axx-hwgen-power1-" + std::to_string(::getpid()));
  const hwgen::GeneratedDesign d1 = make_design(single, out1, 1);
  o.activations.clear();
  const HwVerifyReport r1 = verify_design(d1, out1, o);
  ASSERT_EQ(r1.power.modes.size(), 1u);
  EXPECT_LT(r.power.modes[0].pe_busy_pj_per_cycle, 1.15 * r1.power.modes[0].pe_busy_pj_per_cycle);
  EXPECT_GT(r.synth.pe_area_um2, r1.synth.pe_area_um2);
  fs::remove_all(out);
  fs::remove_all(out1);
}

// Compensation's cost enters the reports: the block's area is part of the design's, its power
// (checked against the golden correction at gate level on the way) and table writes part of
// the energy per inference; the PE is unchanged.
TEST(HwgenVerify, CompensationEntersAreaAndPower) {
  for (Dataflow df : {Dataflow::kWeightStationary, Dataflow::kOutputStationary}) {
    const bool ws = df == Dataflow::kWeightStationary;
    const Case off{ws ? "ws_nocomp" : "os_nocomp", 2, 2, df, {"bam_s8_v4"}, 20, 4};
    Case on = off;
    on.name = ws ? "ws_comp" : "os_comp";
    on.compensation = true;
    const fs::path out0 = fs::temp_directory_path() / ("axx-hwgen-" + off.name + "-" + std::to_string(::getpid()));
    const fs::path out1 = fs::temp_directory_path() / ("axx-hwgen-" + on.name + "-" + std::to_string(::getpid()));
    const hwgen::GeneratedDesign d0 = make_design(off, out0, 1), d1 = make_design(on, out1, 1);
    HwVerifyOptions o;
    o.lint = false;
    o.simulate = false;
    o.power_cycles = 64;
    const HwVerifyReport r0 = verify_design(d0, out0, o), r1 = verify_design(d1, out1, o);
    EXPECT_EQ(r0.synth.comp_area_um2, 0);
    EXPECT_GT(r1.synth.comp_area_um2, 0);
    EXPECT_EQ(r1.synth.module_area_um2.at("axx_hw_comp"), r1.synth.comp_area_um2);
    EXPECT_GT(r1.synth.area_um2, r0.synth.area_um2 + 0.9 * r1.synth.comp_area_um2);
    ASSERT_EQ(r1.power.modes.size(), 2u);
    for (size_t m = 0; m < 2; ++m) {
      EXPECT_EQ(r0.power.modes[m].comp_power_uw, 0);
      EXPECT_GT(r1.power.modes[m].comp_pj_per_cycle, 0);
      EXPECT_NEAR(r1.power.modes[m].comp_power_uw, r1.power.modes[m].comp_pj_per_cycle * 100, 1e-9);
    }
    EXPECT_GT(r1.power.comp_table_write_pj, 0);
    EXPECT_GT(r1.power.energy_per_inference_uj, r0.power.energy_per_inference_uj);
    const Json j = r1.to_json();
    EXPECT_TRUE(j["synthesis"].contains("comp_area_um2"));
    EXPECT_FALSE(r0.to_json()["synthesis"].contains("comp_area_um2"));
    fs::remove_all(out0);
    fs::remove_all(out1);
  }
}

// A wrong table is caught: the testbench writes another table than the expectations were
// computed with, and the simulation reports mismatches.
TEST(HwgenVerify, TestbenchCatchesAWrongCompensationTable) {
  Case c{"ws2x2_badtable", 2, 2, Dataflow::kWeightStationary, {}, 20, 3};
  c.compensation = true;
  const fs::path out = fs::temp_directory_path() / ("axx-hwgen-badtable-" + std::to_string(::getpid()));
  const hwgen::GeneratedDesign d = make_design(c, out, 1);
  std::string t = read_file(out / "tb" / "t.hex");
  ASSERT_EQ(std::count(t.begin(), t.end(), '\n'), 256);
  std::string other;
  for (int b = 0; b < 256; ++b) other += "00007\n";  // t = 7 for every code: the real exact table is 0
  write_file_atomic(out / "tb" / "t.hex", other);
  try {
    simulate_design(d, out, 1);
    FAIL() << "the wrong table was not detected";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "HWV-102") << e.what();
  }
  fs::remove_all(out);
}

// The design folder alone lints and synthesizes: copied to a fresh place, with the original
// removed, the README's Verilator and Yosys commands succeed from it with only a Liberty file
// from outside; without one of its multiplier files, lint fails naming it.
TEST(HwgenVerify, CopiedFolderLintsAndSynthesizesOnItsOwn) {
  // bam_s8_v4 and bam_s8_v6 share one family file (one copy, two parameterizations).
  const Case c{"ws2x2_folder", 2, 2, Dataflow::kWeightStationary, {"bam_s8_v4", "bam_s8_v6", "drum_s8_k4"}, 20, 4};
  const fs::path out = fs::temp_directory_path() / ("axx-hwgen-folder-" + std::to_string(::getpid()));
  const fs::path copy = fs::temp_directory_path() / ("axx-hwgen-moved-" + std::to_string(::getpid())) / "design";
  const hwgen::GeneratedDesign d = make_design(c, out, 1);
  fs::remove_all(copy.parent_path());
  fs::create_directories(copy.parent_path());
  fs::copy(out, copy, fs::copy_options::recursive);
  fs::remove_all(out);

  // Nothing in the folder points outside it.
  EXPECT_EQ(test::absolute_paths_in_json(read_json_file(copy / "manifest.json")), std::vector<std::string>{});
  for (const char* f : {"files.f", "synth.tcl", "lint.vlt"}) {
    const std::string text = read_file(copy / f);
    EXPECT_EQ(test::absolute_paths_in_text(text), std::vector<std::string>{}) << f;
    for (const fs::path& p : {fs::path(AXX_RTL_DIR), lib_dir(), out}) {
      EXPECT_EQ(text.find(p.string()), std::string::npos) << f << " names " << p;
    }
  }
  EXPECT_EQ(d.multiplier_files.size(), 3u);  // exact_s8.v, bam.v (shared), drum.v
  const std::string readme = read_file(copy / "README.md");
  EXPECT_NE(readme.find(quote_command(hwgen::lint_command())), std::string::npos) << readme;
  EXPECT_NE(readme.find("LIBERTY=path/to/cells.lib " + quote_command(hwgen::synth_command())), std::string::npos);

  // Lint, as the README says, in the folder: clean under -Wall.
  const fs::path logs = copy.parent_path();
  EXPECT_EQ(run_process(hwgen::lint_command(), {copy, logs / "lint.log", {}}), 0) << read_file(logs / "lint.log");
  EXPECT_EQ(read_file(logs / "lint.log").find("%Warning"), std::string::npos) << read_file(logs / "lint.log");
  // Synthesis, from another folder (the script finds its files), the Liberty file from outside.
  const fs::path liberty = fs::absolute(default_liberty_path());
  const int rc = run_process({"yosys", "-c", (copy / "synth.tcl").string()},
                             {logs, logs / "synth.log", {{"LIBERTY", liberty.string()}}});
  ASSERT_EQ(rc, 0) << tail_lines(logs / "synth.log", 30);
  EXPECT_NE(read_file(logs / "synth.log").find("Chip area for top module '\\axx_hw_top'"), std::string::npos)
      << tail_lines(logs / "synth.log", 30);
  const std::string netlist = read_file(logs / hwgen::kNetlistFile);
  EXPECT_NE(netlist.find("module axx_hw_top"), std::string::npos);
  EXPECT_NE(netlist.find("DFFPOSX1"), std::string::npos);  // mapped onto the Liberty cells
  // Without LIBERTY the script says what to set.
  EXPECT_NE(run_process(hwgen::synth_command(), {copy, logs / "nolib.log", {{"LIBERTY", ""}}}), 0);
  EXPECT_NE(read_file(logs / "nolib.log").find("set LIBERTY"), std::string::npos) << read_file(logs / "nolib.log");
  // Verification reads the folder's copies too.
  EXPECT_TRUE(lint_design(d, copy).clean);

  // A missing multiplier file: the README's lint and the verification's lint both fail naming it.
  const std::string gone = "rtl/multipliers/bam_s8_v4/bam.v";
  ASSERT_TRUE(fs::remove(copy / gone));
  EXPECT_NE(run_process(hwgen::lint_command(), {copy, logs / "lint2.log", {}}), 0);
  EXPECT_NE(read_file(logs / "lint2.log").find(gone), std::string::npos) << read_file(logs / "lint2.log");
  try {
    lint_design(d, copy);
    FAIL() << "lint passed without " << gone;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bam.v"), std::string::npos) << e.what();
  }
  fs::remove_all(copy.parent_path());
}

TEST(HwgenVerify, TestbenchCatchesAWrongResult) {
  const Case c{"ws2x2_bad", 2, 2, Dataflow::kWeightStationary, {}, 20, 3};
  const fs::path out = fs::temp_directory_path() / ("axx-hwgen-bad-" + std::to_string(::getpid()));
  const hwgen::GeneratedDesign d = make_design(c, out, 1);
  std::string exp = read_file(out / "tb" / "exp.hex");
  exp[0] = exp[0] == '0' ? '1' : '0';  // flip a bit of the first expected word
  write_file_atomic(out / "tb" / "exp.hex", exp);
  try {
    simulate_design(d, out, 1);
    FAIL() << "the corrupted expectation was not detected";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "HWV-102") << e.what();
  }
  fs::remove_all(out);
}

struct CliResult {
  int rc;
  std::string output;
};

CliResult run_cli(const std::vector<std::string>& args) {
  const fs::path log = fs::temp_directory_path() / ("axx-hwgen-cli-" + std::to_string(::getpid()));
  std::vector<std::string> argv = {AXX_TRANSAXX_EXE, "hwgen"};
  argv.insert(argv.end(), args.begin(), args.end());
  const int rc = run_process(argv, {{}, log, {}});
  CliResult r{rc, read_file(log)};
  fs::remove(log);
  return r;
}

TEST(HwgenCli, GeneratesAndRejectsBadParameters) {
  const fs::path dir = fs::temp_directory_path() / ("axx-hwgen-clidir-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  write_json_atomic(dir / "cfg.json", Json{{"version", 1},
                                           {"library", lib_dir().string()},
                                           {"default", "exact"},
                                           {"layers", {{"blocks.0.mlp.fc1", "bam_s8_v4"}}}});
  const std::string cfg = (dir / "cfg.json").string();
  auto ok = run_cli({"--config", cfg, "--rows", "2", "--cols", "3", "--out", (dir / "d").string()});
  EXPECT_EQ(ok.rc, 0) << ok.output;
  EXPECT_TRUE(fs::exists(dir / "d" / "manifest.json"));
  EXPECT_TRUE(fs::exists(dir / "d" / "rtl" / "axx_hw_pe.v"));
  const Json man = read_json_file(dir / "d" / "manifest.json");
  EXPECT_EQ(man["schedule"]["layers"].size(), 74u);
  // The config's library folder (an absolute path) is not recorded: the folder stands alone.
  EXPECT_FALSE(man["config"].contains("library"));
  EXPECT_EQ(test::absolute_paths_in_json(man), std::vector<std::string>{});
  EXPECT_TRUE(fs::exists(dir / "d" / "rtl" / "multipliers" / "bam_s8_v4" / "bam.v"));

  auto rows0 = run_cli({"--config", cfg, "--rows", "0", "--cols", "3", "--out", (dir / "e").string()});
  EXPECT_EQ(rows0.rc, 2);  // the option's range (HWG-001 is the generator's own check)
  EXPECT_NE(rows0.output.find("--rows: 0 is out of range: expected an integer in [1, 256]"), std::string::npos)
      << rows0.output;
  auto narrow =
      run_cli({"--config", cfg, "--rows", "2", "--cols", "2", "--acc-bits", "20", "--out", (dir / "e").string()});
  EXPECT_EQ(narrow.rc, 1);  // ViT-Tiny's fc2 has K = 768: 26 bits
  EXPECT_NE(narrow.output.find("HWG-003"), std::string::npos) << narrow.output;
  write_json_atomic(dir / "bad.json",
                    Json{{"version", 1}, {"library", lib_dir().string()}, {"layers", {{"head", "bam_s8_v99"}}}});
  auto missing =
      run_cli({"--config", (dir / "bad.json").string(), "--rows", "2", "--cols", "2", "--out", (dir / "e").string()});
  EXPECT_EQ(missing.rc, 1);
  EXPECT_NE(missing.output.find("HWG-004"), std::string::npos) << missing.output;
  auto df = run_cli({"--config", cfg, "--rows", "2", "--cols", "2", "--dataflow", "rs", "--out", (dir / "e").string()});
  EXPECT_EQ(df.rc, 2);
  EXPECT_NE(df.output.find("HWG-007"), std::string::npos) << df.output;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace axx::flows
