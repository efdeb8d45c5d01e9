// The transaxx program: bad inputs give one clear error with its code, exit status 1 (2 for
// usage), and leave no partial output; the model commands share option names (old spellings
// still work) and `layers` needs no dataset for names and multiply counts.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "common/json.hpp"
#include "common/npy.hpp"
#include "common/sha256.hpp"
#include "common/subprocess.hpp"
#include "../cli_util.hpp"
#include "../hwgen/hwgen_test_util.hpp"

using namespace axx;
namespace fs = std::filesystem;

namespace {

struct BadInput {
  std::string label;
  std::vector<std::string> args;  ///< after "characterize"; the output folder is appended
  std::string code;
  std::vector<std::string> mentions;  ///< substrings the message must contain
};

class CliBadInput : public ::testing::TestWithParam<BadInput> {};

fs::path fixtures() {
  static fs::path d = [] {
    fs::path p = test::temp_dir("cli-fixtures");
    std::vector<int32_t> v(100, 1);
    write_npy_i32(p / "wrong_shape.npy", v, {10, 10});
    // A complex64 (256, 256) array: the right shape, a dtype that is not a count.
    std::string bytes = npy_header("<c8", {256, 256});
    bytes.append(65536 * 8, '\0');
    write_file_atomic(p / "complex.npy", bytes);
    write_file_atomic(p / "a_file", "x");
    return p;
  }();
  return d;
}

}  // namespace

TEST_P(CliBadInput, ExitsOneWithCodeAndWritesNothing) {
  const BadInput& c = GetParam();
  const fs::path out = test::temp_dir("cli-" + c.label);
  std::vector<std::string> args = {"characterize"};
  args.insert(args.end(), c.args.begin(), c.args.end());
  if (c.code != "IO-003") {
    args.push_back("--out");
    args.push_back(out.string());
  }
  const auto r = test::run_cli(args);
  EXPECT_EQ(r.rc, 1) << r.output;
  EXPECT_NE(r.output.find("error " + c.code), std::string::npos) << r.output;
  for (const auto& m : c.mentions) EXPECT_NE(r.output.find(m), std::string::npos) << m << "\n" << r.output;
  EXPECT_EQ(test::count_outputs(out), 0);
  fs::remove_all(out);
}

INSTANTIATE_TEST_SUITE_P(
    Characterize, CliBadInput,
    ::testing::Values(
        BadInput{"missing", {"no/such/file.v"}, "YSY-001", {"no/such/file.v"}},
        BadInput{"syntax", {test::data("bad_syntax.v").string()}, "YSY-002", {"bad_syntax.v:3", "syntax error"}},
        BadInput{"two-tops", {test::data("two_tops.v").string()}, "YSY-003", {"mul_one", "mul_two"}},
        BadInput{"unknown-top", {test::data("two_tops.v").string(), "--top", "nope"}, "YSY-012", {"nope", "mul_one"}},
        BadInput{"ports", {test::data("wrong_ports.v").string()}, "YSY-004", {"wrong_ports", "output o [8 bits]"}},
        BadInput{"flipflop", {test::data("with_ff.v").string()}, "YSY-005", {"with_ff", "$dff", "with_ff.v:2"}},
        BadInput{"latch", {test::data("with_latch.v").string()}, "YSY-005", {"$dlatch", "with_latch.v:2"}},
        BadInput{"constant", {test::data("const_out.v").string()}, "YSY-006", {"const_out", "constant"}},
        BadInput{"wrong-port-name", {test::data("named_ports.v").string(), "--a", "q"}, "YSY-014", {"activation input 'q'"}},
        BadInput{"stim-shape",
                 {test::rtl("exact_u8.v").string(), "--stimulus", (fixtures() / "wrong_shape.npy").string()},
                 "STIM-002",
                 {"wrong_shape.npy", "(10, 10)", "(256, 256)"}},
        BadInput{"stim-dtype",
                 {test::rtl("exact_u8.v").string(), "--stimulus", (fixtures() / "complex.npy").string()},
                 "STIM-001",
                 {"complex.npy", "<c8"}},
        BadInput{"stim-missing", {test::rtl("exact_u8.v").string(), "--stimulus", "nope.npy"}, "STIM-001",
                 {"nope.npy"}},
        BadInput{"unwritable-out",
                 {test::rtl("exact_u8.v").string(), "--out", (fixtures() / "a_file" / "sub").string()},
                 "IO-003",
                 {"a_file"}}),
    [](const auto& info) {
      std::string n = info.param.label;
      for (char& ch : n)
        if (ch == '-') ch = '_';
      return n;
    });

TEST(Cli, MissingYosysOrVerilatorNamesTheDebianPackage) {
  const fs::path out = test::temp_dir("cli-tools");
  const fs::path bin = out / "bin";
  fs::create_directories(bin);
  auto r = test::run_cli({"characterize", test::rtl("exact_u8.v").string(), "--out", (out / "o").string()},
                         {{"PATH", bin.string()}});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.output.find("PROC-002"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Debian package 'yosys'"), std::string::npos) << r.output;
  // Yosys present, Verilator missing.
  fs::create_symlink(find_program("yosys"), bin / "yosys");
  fs::create_symlink(find_program("berkeley-abc"), bin / "berkeley-abc");
  r = test::run_cli({"characterize", test::rtl("exact_u8.v").string(), "--out", (out / "o").string()},
                    {{"PATH", bin.string()}});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.output.find("Debian package 'verilator'"), std::string::npos) << r.output;
  EXPECT_EQ(test::count_outputs(out / "o"), 0);
  fs::remove_all(out);
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(test::run_cli({}).rc, 2);
  EXPECT_EQ(test::run_cli({"characterise"}).rc, 2);
  EXPECT_EQ(test::run_cli({"characterize", "x.v", "--no-such-flag"}).rc, 2);
  EXPECT_EQ(test::run_cli({"characterize", "x.v", "--signed", "--unsigned"}).rc, 2);
  EXPECT_EQ(test::run_cli({"characterize", "x.v", "--param", "K"}).rc, 2);
  EXPECT_EQ(test::run_cli({"characterize", "x.v", "--clock-mhz", "fast"}).rc, 2);
  // Out of its range: a usage error naming the option and the range, before any tool runs.
  const auto clock0 = test::run_cli({"characterize", test::rtl("exact_u8.v").string(), "--clock-mhz", "0"});
  EXPECT_EQ(clock0.rc, 2) << clock0.output;
  EXPECT_NE(clock0.output.find("--clock-mhz: 0 is out of range: expected a number in (0, 1e+06]"), std::string::npos)
      << clock0.output;
  EXPECT_EQ(test::run_cli({"library", "build", "-j", "0"}).rc, 2);
}

TEST(Cli, HelpAndVersion) {
  auto r = test::run_cli({"--version"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.output.find("transaxx "), std::string::npos);
  r = test::run_cli({"characterize", "--help"});
  EXPECT_EQ(r.rc, 0);
  for (const char* opt : {"--top", "--signed", "--liberty", "--clock-mhz", "--stimulus", "--out", "--json"}) {
    EXPECT_NE(r.output.find(opt), std::string::npos) << opt;
  }
  r = test::run_cli({"library", "build", "--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.output.find("--jobs"), std::string::npos);
}

TEST(Cli, FileNamesWithSpacesAndShellCharactersWork) {
  const fs::path d = test::temp_dir("cli-names");
  const fs::path dir = d / "my dir; $(echo hi) & 'q'";
  fs::create_directories(dir);
  const fs::path file = dir / "trunc #1 $x.v";
  fs::copy_file(test::data("trunc_u8.v"), file);
  const auto r = test::run_cli({"characterize", file.string(), "--param", "K=4", "--out", (dir / "out put").string(),
                                "--json"});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("\"mae_pct\""), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "out put" / "trunc_u8.json"));
  EXPECT_TRUE(fs::exists(dir / "out put" / "trunc_u8.npy"));
  fs::remove_all(d);
}

// ---- The commands on models: shared option names, old spellings, `layers` without a dataset ----

namespace {

const std::string kFmnistVit = std::string(AXX_SOURCE_DIR) + "/examples/models/fmnist_vit.safetensors";

bool have_model_commands() { return test::run_cli({"layers", "--help"}).rc == 0; }
bool have_fmnist() { return fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"); }

// The Fashion-MNIST ViT (28x28x1, patch 4: 49 patches + the class token = 50 tokens, dim 64,
// 4 blocks, 4 heads, MLP 128, 10 classes): 26 approximable layers, as `layers` has always counted
// them on a real image: patch embedding 49·16·64, per block qkv 50·64·192, Q·Kᵀ and attention·V
// 4·50·16·50 each, proj 50·64·64, fc1 and fc2 50·64·128 each, head 64·10.
const size_t kFmnistVitLayers = 26;
const int64_t kFmnistVitMacs = 50176 + 4 * (614400 + 160000 + 160000 + 204800 + 409600 + 409600) + 640;

Json run_json(const std::vector<std::string>& args) {
  const auto r = test::run_cli(args);
  EXPECT_EQ(r.rc, 0) << r.output;
  if (r.rc != 0) return Json();
  // --json prints the document on stdout; notes on stderr come before it.
  const size_t b = r.output.find("{\n");
  EXPECT_NE(b, std::string::npos) << r.output;
  return b == std::string::npos ? Json() : Json::parse(r.output.substr(b));
}

std::vector<std::pair<std::string, int64_t>> macs_of(const Json& layers) {
  std::vector<std::pair<std::string, int64_t>> v;
  for (const Json& l : layers["layers"]) v.emplace_back(l["name"].get<std::string>(), l["macs"].get<int64_t>());
  return v;
}

}  // namespace

TEST(CliModels, LayersNeedsNoDatasetForNamesAndMultiplyCounts) {
  if (!have_model_commands()) GTEST_SKIP() << "transaxx built without LibTorch";
  const Json j = run_json({"layers", kFmnistVit, "--json", "--no-progress"});
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j["layers"].size(), kFmnistVitLayers);
  EXPECT_EQ(j["macs_per_image"].get<int64_t>(), kFmnistVitMacs);
  EXPECT_EQ(j["images"].get<int64_t>(), 0);
  EXPECT_EQ(j["dataset"].get<std::string>(), "");
  const auto m = macs_of(j);
  EXPECT_EQ(m.front(), std::make_pair(std::string("patch_embed.proj"), int64_t(50176)));
  EXPECT_EQ(m[1], std::make_pair(std::string("blocks.0.attn.qkv"), int64_t(614400)));
  EXPECT_EQ(m.back(), std::make_pair(std::string("head"), int64_t(640)));
  for (const Json& l : j["layers"]) EXPECT_FALSE(l.contains("operands")) << l["name"];

  // The table: every layer with its count.
  auto r = test::run_cli({"layers", "--model", kFmnistVit, "--no-progress"});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("26 approximable layers, " + std::to_string(kFmnistVitMacs) + " multiplications"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("blocks.3.mlp.fc2"), std::string::npos) << r.output;

  // With the dataset: today's counts, the same as without.
  if (!have_fmnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const Json d = run_json({"layers", kFmnistVit, "--dataset", "fashion-mnist", "--no-histograms", "--json",
                           "--no-progress"});
  EXPECT_EQ(macs_of(d), m);
  EXPECT_EQ(d["macs_per_image"], j["macs_per_image"]);
  EXPECT_FALSE(d["dataset"].get<std::string>().empty());
}

TEST(CliModels, LayersOfATorchScriptModelTakeTheInputSpecFromOptions) {
  if (!have_model_commands()) GTEST_SKIP() << "transaxx built without LibTorch";
#ifndef AXX_IMPORT_REF_DIR
  GTEST_SKIP() << "no TorchScript reference models (python3-torch)";
#else
  // The scripted Fashion-MNIST ViT without its sidecar JSON: the spec comes from the options.
  const fs::path d = test::temp_dir("cli-ts");
  fs::copy_file(fs::path(AXX_IMPORT_REF_DIR) / "fmnist_vit_ts.pt", d / "net.pt");
  auto r = test::run_cli({"layers", (d / "net.pt").string(), "--no-progress"});
  EXPECT_EQ(r.rc, 1) << r.output;
  EXPECT_NE(r.output.find("IMP-006"), std::string::npos) << r.output;
  const Json j = run_json({"layers", (d / "net.pt").string(), "--channels", "1", "--input-size", "28", "--classes",
                           "10", "--json", "--no-progress"});
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j["layers"].size(), kFmnistVitLayers);
  EXPECT_EQ(j["macs_per_image"].get<int64_t>(), kFmnistVitMacs);
  // Layer for layer the counts of the native model.
  const Json nat = run_json({"layers", kFmnistVit, "--json", "--no-progress"});
  std::vector<int64_t> a, b;
  for (const auto& [n, v] : macs_of(j)) a.push_back(v);
  for (const auto& [n, v] : macs_of(nat)) b.push_back(v);
  EXPECT_EQ(a, b);
  if (have_fmnist()) {  // and with a dataset, today's numbers
    const Json w = run_json({"layers", (d / "net.pt").string(), "--channels", "1", "--input-size", "28", "--classes",
                             "10", "--dataset", "fashion-mnist", "--no-histograms", "--json", "--no-progress"});
    EXPECT_EQ(macs_of(w), macs_of(j));
  }
  fs::remove_all(d);
#endif
}

TEST(CliModels, LayersAsksForADatasetWhenTheOptionsNeedOne) {
  if (!have_model_commands()) GTEST_SKIP() << "transaxx built without LibTorch";
  const fs::path d = test::temp_dir("cli-layers-nodata");
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--operands", (d / "ops").string()}, std::vector<std::string>{"--histograms"}}) {
    std::vector<std::string> args{"layers", kFmnistVit, "--no-progress"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = test::run_cli(args);
    EXPECT_EQ(r.rc, 2) << r.output;
    EXPECT_NE(r.output.find("error CLI-006"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(extra[0] + " needs a dataset"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("--dataset"), std::string::npos) << r.output;
  }
  EXPECT_FALSE(fs::exists(d / "ops"));
  fs::remove_all(d);
}

TEST(CliModels, FinetuneGradientTakesSteOrLut) {
  if (!have_model_commands()) GTEST_SKIP() << "transaxx built without LibTorch";
  const auto r = test::run_cli({"finetune", "--model", "/nonexistent/m.safetensors", "--config", "x", "--gradient",
                                "bogus"});
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("--gradient"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ste"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("lut"), std::string::npos) << r.output;
  const auto h = test::run_cli({"finetune", "--help"});
  EXPECT_NE(h.output.find("--gradient"), std::string::npos) << h.output;
}

TEST(CliModels, OldAndNewOptionNamesGiveTheSameResult) {
  if (!have_model_commands()) GTEST_SKIP() << "transaxx built without LibTorch";
  // --help shows only the current names; the model options are the same in every model command.
  for (const char* cmd : {"eval", "sensitivity", "finetune", "layers"}) {
    const auto h = test::run_cli({cmd, "--help"});
    ASSERT_EQ(h.rc, 0) << cmd;
    for (const char* opt : {"--model", "--preset", "--heads", "--channels", "--input-size", "--classes", "--dataset",
                            "--data", "--calib-images", "--calibration", "--eval-batch", "--data-seed", "--threads"}) {
      EXPECT_NE(h.output.find(opt), std::string::npos) << cmd << " " << opt;
    }
    for (const char* old : {"--batch ", "--seed ", "--limit ", "--images "}) {
      EXPECT_EQ(h.output.find(old), std::string::npos) << cmd << " shows " << old;
    }
  }
  for (const char* cmd : {"train", "search"}) {
    const auto h = test::run_cli({cmd, "--help"});
    ASSERT_EQ(h.rc, 0) << cmd;
    EXPECT_NE(h.output.find("--eval-batch"), std::string::npos) << cmd;
    EXPECT_NE(h.output.find("--data-seed"), std::string::npos) << cmd;
    EXPECT_NE(h.output.find("--test-limit"), std::string::npos) << cmd;
    EXPECT_EQ(h.output.find("--limit "), std::string::npos) << cmd;
    EXPECT_EQ(h.output.find("--batch "), std::string::npos) << cmd;
  }
  // Every old name is still accepted: parsing passes and the run fails on the missing file.
  const std::string none = "/nonexistent/model.safetensors";
  for (const std::vector<std::string>& old :
       {std::vector<std::string>{"eval", "--model", none, "--batch", "8", "--seed", "1", "--limit", "5", "--out", "x"},
        {"sensitivity", "--model", none, "--library", "x", "--batch", "8", "--seed", "1", "--limit", "5"},
        {"finetune", "--model", none, "--config", "x", "--batch", "8", "--seed", "1", "--limit", "5"},
        {"layers", none, "--images", "8"},
        {"search", "--model", none, "--library", "x", "--batch", "2"}}) {
    const auto r = test::run_cli(old);
    EXPECT_NE(r.rc, 0) << old[0] << ": " << r.output;
    EXPECT_NE(r.output.find("transaxx: error "), std::string::npos) << old[0] << ": " << r.output;
  }
  const auto t = test::run_cli({"train", "--limit", "5", "--seed", "1", "--batch", "8", "--dataset", "folder", "--data",
                                "/nonexistent", "--out", test::temp_dir("cli-train-old").string(), "--no-progress"});
  EXPECT_NE(t.output.find("transaxx: error "), std::string::npos) << t.output;
  EXPECT_NE(t.output.find("/nonexistent"), std::string::npos) << t.output;

  if (!have_fmnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  // eval: --limit/--batch/--seed/--out and --test-limit/--eval-batch/--data-seed/--result.
  const fs::path d = test::temp_dir("cli-names-eval");
  const std::vector<std::string> base{"eval", "--model", kFmnistVit, "--exact8", "--calib-images", "32", "--json",
                                      "--no-progress"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return run_json(a);
  };
  const Json n = with({"--test-limit", "64", "--eval-batch", "16", "--data-seed", "3", "--result",
                       (d / "new.json").string()});
  const Json o = with({"--limit", "64", "--batch", "16", "--seed", "3", "--out", (d / "old.json").string()});
  ASSERT_TRUE(n.is_object() && o.is_object());
  EXPECT_EQ(n["images"].get<int64_t>(), 64);
  for (const char* k : {"top1", "top5", "images", "mode"}) EXPECT_EQ(n[k], o[k]) << k;
  EXPECT_EQ(read_json_file(d / "new.json")["top1"], read_json_file(d / "old.json")["top1"]);

  // layers: --images and --calib-images, the whole Layers JSON with histograms.
  const Json ln = run_json({"layers", kFmnistVit, "--dataset", "fashion-mnist", "--calib-images", "16",
                            "--data-seed", "2", "--json", "--no-progress"});
  const Json lo = run_json({"layers", kFmnistVit, "--dataset", "fashion-mnist", "--images", "16", "--data-seed", "2",
                            "--json", "--no-progress"});
  EXPECT_EQ(ln, lo);
  EXPECT_EQ(ln["images"].get<int64_t>(), 16);
  ASSERT_EQ(ln["layers"].size(), kFmnistVitLayers);
  EXPECT_TRUE(ln["layers"][0].contains("operands"));
  EXPECT_EQ(macs_of(ln), macs_of(run_json({"layers", kFmnistVit, "--json", "--no-progress"})));
  fs::remove_all(d);
}

// A table changed after characterization (zeros of the right shape and dtype: every format check
// passes) is refused by every command that reads it, and `library check` / `library list` name it.
TEST(CliLibrary, CorruptedTableIsRefusedEverywhere) {
  const fs::path root = test::temp_dir("corrupt-lut");
  const fs::path lib = root / "lib";
  test::write_test_library(AXX_RTL_DIR, lib, {"exact_s8", "bam_s8_v4"});
  for (const char* n : {"exact_s8", "bam_s8_v4"}) {  // records as characterize writes them: with the hash
    Json r = read_json_file(lib / (std::string(n) + ".json"));
    r["lut_sha256"] = sha256_file(lib / (std::string(n) + ".npy"));
    // The figures `search` needs (made up; the search must stop before using them).
    r["error"] = Json{{"mae_pct", 0.1}, {"wce_pct", 1.0}, {"mse", 10.0}, {"mean_error", 0.0}};
    r["hw"] = Json{{"energy_pj_per_op", 0.5}, {"area_um2", 100.0}};
    write_json_atomic(lib / (std::string(n) + ".json"), r);
  }
  auto ok = test::run_cli({"library", "check", lib.string()});
  ASSERT_EQ(ok.rc, 0) << ok.output;
  EXPECT_NE(ok.output.find("2 multipliers, all usable"), std::string::npos) << ok.output;

  write_npy_i32(lib / "bam_s8_v4.npy", std::vector<int32_t>(65536, 0), {256, 256});
  const fs::path cfg = root / "cfg.json";
  write_json_atomic(cfg, Json{{"version", 1}, {"library", lib.string()}, {"default", "bam_s8_v4"}});

  auto check = test::run_cli({"library", "check", lib.string()});
  EXPECT_EQ(check.rc, 1) << check.output;
  EXPECT_NE(check.output.find("bam_s8_v4                    corrupted"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("LIB-015"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("exact_s8                     ok"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("CLI-008"), std::string::npos) << check.output;

  auto list = test::run_cli({"library", "list", lib.string()});
  EXPECT_EQ(list.rc, 0) << list.output;
  EXPECT_NE(list.output.find("warning: bam_s8_v4 is corrupted"), std::string::npos) << list.output;

  // Stale: exact_s8's Verilog (a copy its record points at) changed after characterization; the
  // record's rtl_sha256 is the sources' bytes then "\nNAME=VALUE" per parameter.
  {
    Json r = read_json_file(lib / "exact_s8.json");
    const fs::path src = root / "exact_copy.v";
    fs::copy_file(r["sources"][0].get<std::string>(), src);
    r["source"] = src.string();
    r["sources"] = Json::array({src.string()});
    Sha256 h;
    h.update(read_file(src));
    for (auto it = r["params"].begin(); it != r["params"].end(); ++it) h.update("\n" + it.key() + "=" + it.value().get<std::string>());
    r["rtl_sha256"] = h.hex();
    write_json_atomic(lib / "exact_s8.json", r);
    auto same = test::run_cli({"library", "check", lib.string()});
    EXPECT_NE(same.output.find("exact_s8                     ok"), std::string::npos) << same.output;
    write_file_atomic(src, read_file(src) + "// edited\n");
    auto stale = test::run_cli({"library", "check", lib.string()});
    EXPECT_EQ(stale.rc, 1) << stale.output;
    EXPECT_NE(stale.output.find("exact_s8                     stale: its Verilog sources changed"), std::string::npos)
        << stale.output;
  }

  auto hw = test::run_cli({"hwgen", "--config", cfg.string(), "--library", lib.string(), "--rows", "2", "--cols",
                           "2", "--out", (root / "hw").string()});
  EXPECT_EQ(hw.rc, 1) << hw.output;
  EXPECT_NE(hw.output.find("error LIB-015"), std::string::npos) << hw.output;
  EXPECT_NE(hw.output.find((lib / "bam_s8_v4.npy").string()), std::string::npos) << hw.output;
  EXPECT_FALSE(fs::exists(root / "hw" / "manifest.json"));

  if (have_model_commands() && have_fmnist()) {
    auto ev = test::run_cli({"eval", "--model", kFmnistVit, "--config", cfg.string(), "--test-limit", "20",
                             "--no-progress"});
    EXPECT_EQ(ev.rc, 1) << ev.output;
    EXPECT_NE(ev.output.find("error LIB-015"), std::string::npos) << ev.output;

    auto se = test::run_cli({"search", "--model", kFmnistVit, "--library", lib.string(), "--budget", "2",
                             "--eval-images", "8", "--no-final-eval", "--out", (root / "search").string()});
    EXPECT_EQ(se.rc, 1) << se.output;
    EXPECT_NE(se.output.find("error LIB-015"), std::string::npos) << se.output;
    EXPECT_NE(se.output.find((lib / "bam_s8_v4.npy").string()), std::string::npos) << se.output;
    EXPECT_FALSE(fs::exists(root / "search" / "summary.json"));
  }

  // The flow with that library: `flow check` and `flow run` refuse it before any stage runs.
  const fs::path flow = root / "flow.toml";
  write_file_atomic(flow, "[flow]\nname = \"corrupt\"\nruns = \"" + (root / "runs").string() +
                              "\"\n[characterize]\nlibrary = \"" + lib.string() + "\"\n[model]\nfile = \"" +
                              kFmnistVit + "\"\n[data]\npath = \"" + root.string() + "\"\n");
  for (const char* verb : {"check", "run"}) {
    auto fl = test::run_cli({"flow", verb, flow.string()});
    EXPECT_EQ(fl.rc, 1) << verb << ": " << fl.output;
    EXPECT_NE(fl.output.find("LIB-015"), std::string::npos) << verb << ": " << fl.output;
    EXPECT_NE(fl.output.find((lib / "bam_s8_v4.npy").string()), std::string::npos) << verb << ": " << fl.output;
  }
  EXPECT_FALSE(fs::exists(root / "runs" / "corrupt" / "characterize"));
  EXPECT_FALSE(fs::exists(root / "runs" / "corrupt" / "model"));
  fs::remove_all(root);
}

// Every numeric option of every command shows its range in --help, and a value just outside it is
// a usage error (exit 2) naming the option and the range, before any work (apps/option_ranges).
TEST(CliOptions, EveryNumericOptionHasARangeAndRefusesValuesOutsideIt) {
  const std::vector<std::vector<std::string>> commands = {
      {"characterize"}, {"library", "build"}, {"hwgen"},       {"train"}, {"eval"},
      {"layers"},       {"sensitivity"},      {"finetune"},    {"search"}};
  // "  -j,--jobs INT:in [1, 1024]=1 ..." / "  --lr FLOAT:in (0, 10]=0.002 ..."
  const std::regex line(R"(^\s+(?:-\w,)?(--[a-z0-9-]+)(?:,[-\w]+)*\s+(INT|UINT|FLOAT)(:in ([\[(])([^,]+), ([^\])]+)([\])]))?)");
  int checked = 0;
  std::set<std::string> tried;
  for (const auto& cmd : commands) {
    std::vector<std::string> help_args = cmd;
    help_args.push_back("--help");
    const auto help = test::run_cli(help_args);
    if (help.rc != 0) continue;  // a model command in a build without LibTorch
    std::istringstream in(help.output);
    std::string l;
    while (std::getline(in, l)) {
      std::smatch m;
      if (!std::regex_search(l, m, line)) continue;
      const std::string opt = m[1], type = m[2];
      const std::string where = cmd.front() + (cmd.size() > 1 ? " " + cmd[1] : "") + " " + opt;
      if (!m[3].matched) {
        // Only seeds may take any value of their (unsigned) type.
        EXPECT_TRUE(type == "UINT" && opt.find("seed") != std::string::npos) << where << " shows no range: " << l;
        continue;
      }
      // The range row belongs to the option's name (one table for all commands): refusing values
      // is checked once per name, the help of every command shows the range.
      if (!tried.insert(opt).second) continue;
      const double lo = std::stod(m[5]);
      const bool lo_open = m[4] == "(";
      const std::string below = type == "FLOAT" ? (lo_open ? m[5].str() : std::to_string(lo - 0.5))
                                                : std::to_string(static_cast<long long>(lo_open ? lo : lo - 1));
      std::vector<std::string> args = cmd;
      args.insert(args.end(), {opt, below});
      const auto r = test::run_cli(args);
      EXPECT_EQ(r.rc, 2) << where << " " << below << ": " << r.output;
      EXPECT_NE(r.output.find(opt + ": " + below + " is out of range: expected"), std::string::npos)
          << where << " " << below << ": " << r.output;
      EXPECT_NE(r.output.find(m[3].str().substr(1)), std::string::npos) << where << ": the range in the error";
      if (m[6] != "any") {
        const double hi = std::stod(m[6]);
        const std::string above = type == "FLOAT" ? std::to_string(hi * 2 + 1) : std::to_string(static_cast<long long>(hi + 1));
        args.back() = above;
        const auto r2 = test::run_cli(args);
        EXPECT_EQ(r2.rc, 2) << where << " " << above << ": " << r2.output;
        EXPECT_NE(r2.output.find("is out of range"), std::string::npos) << where << " " << above << ": " << r2.output;
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 40) << "the walk found too few ranged options: the help format changed?";
}
