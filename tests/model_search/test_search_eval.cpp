// The search on the real model: layer statistics (multiply counts, operand histograms, operand
// samples for hwgen), the emulator evaluator against `transaxx eval --config`, and the
// `transaxx layers` / `transaxx search` commands end to end (skipped without Fashion-MNIST).
// The multiplier library (4 multipliers) is characterized by `transaxx library build` at
// fixture time (incremental: a rerun reuses the records).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/npy.hpp"
#include "common/subprocess.hpp"
#include "emulation/config.hpp"
#include "emulation/models/vit.hpp"
#include "emulation/train/layer_stats.hpp"
#include "model_search/model_search.hpp"
#include "model_search/search_eval.hpp"
#include "emulation/train/train.hpp"
#include "search/library.hpp"
#include "search/model.hpp"
#include "search/pareto.hpp"
#include "search/toy.hpp"

using namespace axx;
namespace fs = std::filesystem;

namespace {

const std::string kModel = std::string(AXX_SOURCE_DIR) + "/examples/models/fmnist_vit.safetensors";

bool have_fmnist() { return fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"); }

fs::path fresh_dir(const std::string& name) {
  // Unique per process: two runs of this suite at once (ctest -j, two checkouts) must not share.
  const fs::path d = fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

struct CliRun {
  int rc = 0;
  std::string log;
};

CliRun transaxx(std::vector<std::string> args, const fs::path& log) {
  args.insert(args.begin(), AXX_TRANSAXX_EXE);
  CliRun r;
  r.rc = run_process(args, ProcessOptions({}, log));
  r.log = read_file(log);
  return r;
}

class SearchEval : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_fmnist()) return;
    lib_ = fresh_dir("axx_search_eval_lib");
    const CliRun r = transaxx({"library", "build", std::string(AXX_RTL_DIR) + "/catalog.csv", "--only", "exact_s8",
                            "exact_u8", "bam_s8_v6", "drum_u8_k4", "--out", lib_.string(), "-j", "2"},
                           lib_ / "build.log");
    ASSERT_EQ(r.rc, 0) << r.log;
  }
  void SetUp() override {
    if (!have_fmnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  static inline fs::path lib_;

  /// The search's evaluator on the shipped model and the suite's library: `limit` test images,
  /// `eval_images` of them for the search (0 = all), 64 calibration images.
  static train::SearchEvalOptions eval_options(int64_t limit, int64_t eval_images) {
    train::SearchEvalOptions so;
    so.model = kModel;
    so.library = lib_.string();
    so.data.limit = limit;
    so.eval_images = eval_images;
    so.calib_images = 64;
    so.run.progress = false;
    return so;
  }

  /// What `transaxx eval --config` computes for `layers` (written to dir/cfg.json) on the
  /// evaluator's images and calibration images.
  static train::EvalOptions eval_config(const fs::path& dir, const std::map<std::string, std::string>& layers) {
    write_json_atomic(dir / "cfg.json",
                      Json{{"version", 1}, {"library", lib_.string()}, {"default", "exact"}, {"layers", layers}});
    train::EvalOptions e;
    e.model = kModel;
    e.data.limit = 160;
    e.quant.mode = "config";
    e.quant.config = (dir / "cfg.json").string();
    e.quant.calib_images = 64;
    e.run.progress = false;
    return e;
  }
};

// A config with signed and unsigned approximate multipliers, the rest exact.
std::map<std::string, std::string> mixed_config() {
  return {{"blocks.0.mlp.fc1", "bam_s8_v6"}, {"blocks.1.attn.qkv", "drum_u8_k4"}, {"blocks.2.attn.qk", "drum_u8_k4"},
          {"blocks.3.mlp.fc2", "bam_s8_v6"}, {"patch_embed.proj", "drum_u8_k4"}};
}

}  // namespace

TEST_F(SearchEval, LayerStatsHaveAnalyticMacsAndHistogramsSumToOperandCounts) {
  train::LayerStatsOptions o;
  o.model = kModel;
  o.images = 24;
  o.run.batch_size = 16;
  o.run.progress = false;
  o.sample_rows = 8;
  o.pool_values = 1000;
  o.operands_dir = fresh_dir("axx_search_eval_ops").string();
  const Json r = train::compute_layer_stats(o);
  const search::ModelLayers m = search::parse_model_layers(r);  // the search reads it as it is
  EXPECT_EQ(m.model, train::model_identifier(kModel));

  // The analytic count of the ViT's shape: T tokens (patches + class token) of width D.
  const models::VitConfig c = models::find_preset("vit_fmnist").config;
  const int64_t P = c.num_patches(), T = P + 1, D = c.embed_dim, H = c.num_heads, d = D / H, F = c.mlp_hidden();
  std::vector<std::pair<std::string, int64_t>> want{{"patch_embed.proj", P * D * c.in_chans * c.patch_size * c.patch_size}};
  for (int b = 0; b < c.depth; ++b) {
    const std::string p = "blocks." + std::to_string(b) + ".";
    want.push_back({p + "attn.qkv", T * D * 3 * D});
    want.push_back({p + "attn.qk", H * T * T * d});
    want.push_back({p + "attn.av", H * T * T * d});
    want.push_back({p + "attn.proj", T * D * D});
    want.push_back({p + "mlp.fc1", T * D * F});
    want.push_back({p + "mlp.fc2", T * F * D});
  }
  want.push_back({"head", D * c.num_classes});
  ASSERT_EQ(m.layers.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(m.layers[i].name, want[i].first);
    EXPECT_EQ(m.layers[i].macs, want[i].second) << want[i].first;
    const auto& op = m.layers[i].operands;
    for (const auto* h : {&op.a_s8, &op.b_s8, &op.a_u8, &op.b_u8}) {
      ASSERT_EQ(h->size(), 256u);
      double s = 0;
      for (double v : *h) s += v;
      EXPECT_EQ(s, double(want[i].second * o.images)) << want[i].first;
    }
  }
  // Real operand samples, in the format hwgen reads (raw 8-bit values).
  const fs::path dir = o.operands_dir;
  const NpyArray qkv = read_npy(dir / "blocks.0.attn.qkv.s8.a.npy");
  EXPECT_EQ(qkv.descr, "|u1");
  ASSERT_EQ(qkv.shape.size(), 2u);
  EXPECT_EQ(qkv.shape[0], 8u);
  EXPECT_EQ(qkv.shape[1], size_t(D));
  const NpyArray av = read_npy(dir / "blocks.0.attn.av.u8.w.npy");
  EXPECT_EQ(av.shape[1], size_t(T));  // attention·V reduces over the tokens
  for (const char* f : {"model.s8.a.npy", "model.s8.w.npy", "model.u8.a.npy", "model.u8.w.npy"}) {
    const NpyArray pool = read_npy(dir / f);
    EXPECT_NEAR(double(pool.size()), 1000.0, 26.0) << f;  // per-layer shares are rounded
    EXPECT_EQ(pool.to_double().size(), pool.size());
  }
  EXPECT_TRUE(fs::exists(dir / "operands.json"));
}

TEST_F(SearchEval, EvaluatorAccuracyEqualsEvalCommandOnTheSameImages) {
  const fs::path dir = fresh_dir("axx_search_eval_eq");
  train::EmulatorEvaluator ev(eval_options(160, 0));
  const auto cfg_layers = mixed_config();
  const double a = ev.accuracy(cfg_layers, false);
  const int64_t runs = ev.emulations();
  EXPECT_EQ(ev.accuracy(cfg_layers, false), a);  // cached: no new emulation
  EXPECT_EQ(ev.emulations(), runs);

  // What `transaxx eval --config` computes (it calibrates this very config).
  train::EvalOptions e = eval_config(dir, cfg_layers);
  const Json r = train::evaluate_model(e);
  EXPECT_EQ(r["top1"].get<double>(), a);
  e.quant.mode = "exact8";
  EXPECT_EQ(train::evaluate_model(e)["top1"].get<double>(), ev.accuracy({}, false));
  // A config naming a layer the model lacks is a config of another model.
  try {
    ev.accuracy({{"blocks.9.mlp.fc1", "bam_s8_v6"}});
    FAIL() << "expected MSR-005";
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), "MSR-005");
  }
}

// Method noise_aware: an approximate layer's range depends on its multiplier, so the evaluator
// calibrates every configuration; still what `transaxx eval --config` computes, and the ranges of
// the approximate layers are tighter than the percentile's while the exact layers keep them.
TEST_F(SearchEval, NoiseAwareEvaluatorEqualsEvalCommandAndClipsTheApproximateLayers) {
  const fs::path dir = fresh_dir("axx_search_eval_noise");
  train::SearchEvalOptions so = eval_options(160, 0);
  so.calibration = "noise_aware";
  so.percentile = 99.99;
  so.compensation = "mean";
  train::EmulatorEvaluator ev(so);
  const auto cfg_layers = mixed_config();
  const double a = ev.accuracy(cfg_layers, false);
  const double exact = ev.accuracy({}, false);
  EXPECT_EQ(ev.accuracy(cfg_layers, false), a);  // cached

  train::EvalOptions e = eval_config(dir, cfg_layers);
  e.quant.calibration = "noise_aware";
  e.quant.percentile = 99.99;
  e.quant.compensation = "mean";
  e.quant.save_calibration = (dir / "noise.json").string();
  EXPECT_EQ(train::evaluate_model(e)["top1"].get<double>(), a);
  e.quant.save_calibration.clear();
  e.quant.mode = "exact8";
  EXPECT_EQ(train::evaluate_model(e)["top1"].get<double>(), exact);
  e.quant.mode = "config";
  e.quant.calibration = "percentile";
  e.quant.save_calibration = (dir / "percentile.json").string();
  train::evaluate_model(e);
  const Json noise = read_json_file(dir / "noise.json").at("layers");
  const Json pct = read_json_file(dir / "percentile.json").at("layers");
  for (const auto& [layer, ranges] : pct.items()) {
    auto width = [](const Json& r) { return r[0].at("max").get<double>() - r[0].at("min").get<double>(); };
    if (cfg_layers.count(layer)) {
      EXPECT_LT(width(noise.at(layer)), width(ranges)) << layer;
    } else {
      EXPECT_EQ(noise.at(layer), ranges) << layer;
    }
  }
}

// The sensitivity table under noise_aware: each row is what `eval --config` gives the config of
// that one layer on that multiplier (the layer's own range and histogram for its multiplier).
TEST_F(SearchEval, NoiseAwareSensitivityRowsEqualEvalOfTheSingleLayerConfigs) {
  const fs::path dir = fresh_dir("axx_search_eval_noise_sens");
  train::SensitivityOptions so;
  so.eval.model = kModel;
  so.eval.data.limit = 160;
  so.eval.quant.calib_images = 64;
  so.eval.quant.calibration = "noise_aware";
  so.eval.quant.percentile = 99.99;
  so.eval.quant.compensation = "mean";
  so.eval.run.progress = false;
  so.library = lib_.string();
  so.multipliers = {"bam_s8_v6", "drum_u8_k4"};
  so.layers = {"blocks.1.mlp.fc2", "blocks.2.attn.av"};
  so.out_dir = (dir / "sens").string();
  const Json r = train::run_sensitivity(so);
  ASSERT_EQ(r.at("rows").size(), 4u);
  for (const auto& row : r.at("rows")) {
    const std::string layer = row.at("layer"), mult = row.at("multiplier");
    train::EvalOptions e = eval_config(dir, {{layer, mult}});
    e.quant = so.eval.quant;
    e.quant.mode = "config";
    e.quant.config = (dir / "cfg.json").string();
    EXPECT_EQ(train::evaluate_model(e)["top1"].get<double>(), row.at("top1").get<double>()) << layer << " " << mult;
  }
}

TEST_F(SearchEval, SearchCommandWritesANonDominatedFrontWhoseConfigsLoad) {
  const fs::path dir = fresh_dir("axx_search_eval_cli");
  // `transaxx sensitivity`'s output goes to the search as it is.
  CliRun s = transaxx({"sensitivity", "--model", kModel, "--library", lib_.string(), "--layers", "blocks.0.mlp.fc1",
                    "blocks.1.mlp.fc1", "--multipliers", "bam_s8_v6", "drum_u8_k4", "--limit", "100", "--calib-images",
                    "64", "--no-progress", "--out", (dir / "sens").string()},
                   dir / "sens.log");
  ASSERT_EQ(s.rc, 0) << s.log;
  CliRun r = transaxx({"layers", kModel, "--images", "32", "--out", (dir / "layers.json").string(), "--no-progress"},
                   dir / "layers.log");
  ASSERT_EQ(r.rc, 0) << r.log;
  EXPECT_NE(r.log.find("blocks.3.mlp.fc2"), std::string::npos);
  r = transaxx({"search", "--model", kModel, "--library", lib_.string(), "--layers", (dir / "layers.json").string(),
                "--sensitivity", (dir / "sens" / "sensitivity.json").string(), "--algo", "mcts", "--compare", "random",
                "--budget", "6", "--seed", "3", "--eval-images", "60", "--limit", "120", "--calib-images", "64",
                "--out", (dir / "run").string(), "--no-progress"},
               dir / "search.log");
  ASSERT_EQ(r.rc, 0) << r.log;
  const Json sum = read_json_file(dir / "run" / "summary.json");
  EXPECT_TRUE(sum["complete"].get<bool>());
  ASSERT_EQ(sum["algorithms"].size(), 2u);
  EXPECT_EQ(sum["evaluation"]["images"].get<int64_t>(), 60);
  EXPECT_EQ(sum["evaluation"]["full_images"].get<int64_t>(), 120);
  EXPECT_TRUE(fs::exists(dir / "run" / "front.svg"));
  for (const Json& a : sum["algorithms"]) {
    EXPECT_EQ(a["evaluations"].get<int64_t>(), 6);
    const Json& pts = a["points"];
    ASSERT_GE(pts.size(), 1u);
    std::vector<search::ParetoPoint> front;
    for (const Json& p : pts) {
      front.push_back({{}, p["power_rel"].get<double>(), p["accuracy"].get<double>(), 0});
      ASSERT_TRUE(p["accuracy_full"].is_number());
      // Every point's config is a docs/architecture.md approximation config of this model.
      const emu::ApproxConfig c = emu::load_config(dir / "run" / p["config_file"].get<std::string>());
      EXPECT_EQ(c.layers.size(), 26u);
      EXPECT_EQ(fs::absolute(c.library).lexically_normal(), fs::absolute(lib_).lexically_normal());
    }
    for (size_t i = 0; i < front.size(); ++i)
      for (size_t j = 0; j < front.size(); ++j)
        EXPECT_FALSE(search::dominates(front[j].power_rel, front[j].accuracy, front[i].power_rel, front[i].accuracy))
            << a["algo"] << " point " << j << " dominates point " << i;
    // The full-test-set hypervolume is that of the re-evaluated points and of the uniform
    // configurations the algorithm scored that they do not dominate there.
    std::vector<search::ParetoPoint> full;
    for (const Json& p : pts) full.push_back({{}, p["power_rel"].get<double>(), p["accuracy_full"].get<double>(), 0});
    const std::vector<search::ParetoPoint> front_full = full;
    for (const Json& u : a["uniform_seeds"]) {
      const emu::ApproxConfig cu = emu::load_config(dir / "run" / u["config_file"].get<std::string>());
      ASSERT_EQ(cu.layers.size(), 26u);
      for (const auto& [layer, m] : cu.layers) EXPECT_EQ(m, u["multiplier"].get<std::string>()) << layer;
      for (const auto& f : front_full)
        EXPECT_FALSE(f.power_rel <= u["power_rel"].get<double>() + 1e-12 && f.accuracy >= u["accuracy_full"].get<double>())
            << a["algo"] << ": " << u["multiplier"] << " is dominated on the whole test set";
      full.push_back({{}, u["power_rel"].get<double>(), u["accuracy_full"].get<double>(), 0});
    }
    if (a["algo"] != "mcts") EXPECT_TRUE(a["uniform_seeds"].empty()) << a["algo"] << " scores no uniform seeds";
    search::ReferencePoint ref{sum["reference"]["power_rel"].get<double>(), sum["reference"]["accuracy"].get<double>()};
    EXPECT_DOUBLE_EQ(a["hypervolume_full"].get<double>(), search::hypervolume_2d(full, ref));
  }
  // The configurations load into the model and evaluate.
  train::EmulatorEvaluator ev(eval_options(120, 60));
  const Json& p0 = sum["algorithms"][0]["points"][0];
  const emu::ApproxConfig c0 = emu::load_config(dir / "run" / p0["config_file"].get<std::string>());
  EXPECT_EQ(ev.accuracy(c0.layers, false), p0["accuracy"].get<double>());
  EXPECT_EQ(ev.accuracy(c0.layers, true), p0["accuracy_full"].get<double>());

  // The uniform configurations: every non-exact multiplier of the library on every layer, each
  // measured like the fronts, its config written, and "dominated" exactly when some front point
  // (whole test set) is at most as costly and at least as accurate.
  const search::MultiplierLibrary lib = search::load_multiplier_library(lib_);
  ASSERT_EQ(sum["uniform"].size(), lib.multipliers.size() - 1);  // all but exact_s8
  for (const Json& u : sum["uniform"]) {
    const emu::ApproxConfig cu = emu::load_config(dir / "run" / u["config_file"].get<std::string>());
    ASSERT_EQ(cu.layers.size(), 26u);
    for (const auto& [layer, m] : cu.layers) EXPECT_EQ(m, u["multiplier"].get<std::string>()) << layer;
    EXPECT_EQ(ev.accuracy(cu.layers, true), u["accuracy_full"].get<double>());
    EXPECT_EQ(ev.accuracy(cu.layers, false), u["accuracy"].get<double>());
    bool dominated = false;
    for (const Json& a : sum["algorithms"])
      for (const char* part : {"points", "uniform_seeds"})
        for (const Json& p : a[part])
          dominated = dominated || (p["power_rel"].get<double>() <= u["power_rel"].get<double>() + 1e-12 &&
                                    p["accuracy_full"].get<double>() >= u["accuracy_full"].get<double>());
    EXPECT_EQ(u["dominated"].get<bool>(), dominated) << u["multiplier"];
    EXPECT_GT(u["power_rel"].get<double>(), 0.0);
    EXPECT_LT(u["power_rel"].get<double>(), 1.5);
  }
}

TEST_F(SearchEval, KilledSearchResumesToTheSameFront) {
  const fs::path dir = fresh_dir("axx_search_eval_resume");
  auto args = [&](const std::string& out) {
    return std::vector<std::string>{"search", "--model", kModel, "--library", lib_.string(), "--algo", "nsga2",
                                    "--population", "4", "--budget", "8", "--batch", "2", "--seed", "5",
                                    "--eval-images", "40", "--limit", "40", "--calib-images", "32", "--no-final-eval",
                                    "--no-progress", "--out", (dir / out).string()};
  };
  CliRun a = transaxx(args("whole"), dir / "whole.log");
  ASSERT_EQ(a.rc, 0) << a.log;
  auto stopped = args("resumed");
  stopped.push_back("--stop-after");
  stopped.push_back("4");
  CliRun b = transaxx(stopped, dir / "stopped.log");
  ASSERT_EQ(b.rc, 0) << b.log;
  const Json ck = read_json_file(dir / "resumed" / "nsga2" / "checkpoint.json");
  EXPECT_FALSE(ck["complete"].get<bool>());
  EXPECT_EQ(ck["evaluations"].size(), 4u);
  CliRun c = transaxx(args("resumed"), dir / "resumed.log");
  ASSERT_EQ(c.rc, 0) << c.log;
  EXPECT_EQ(read_file(dir / "whole" / "nsga2" / "front.csv"), read_file(dir / "resumed" / "nsga2" / "front.csv"));
  EXPECT_EQ(read_file(dir / "whole" / "nsga2" / "evaluations.csv"),
            read_file(dir / "resumed" / "nsga2" / "evaluations.csv"));
}

TEST_F(SearchEval, BadInputsFailWithTheirCodes) {
  const fs::path dir = fresh_dir("axx_search_eval_bad");
  const std::vector<std::string> base{"search", "--model", kModel, "--limit", "40", "--eval-images", "20",
                                      "--calib-images", "16", "--no-progress"};
  auto run = [&](std::vector<std::string> extra, const std::string& name) {
    std::vector<std::string> a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    a.push_back("--out");
    a.push_back((dir / name).string());
    return transaxx(a, dir / (name + ".log"));
  };
  CliRun r = run({"--library", lib_.string(), "--budget", "0"}, "budget0");
  EXPECT_EQ(r.rc, 2) << r.log;  // the option's range (MSR-001 is the library's own check)
  EXPECT_NE(r.log.find("--budget: 0 is out of range"), std::string::npos) << r.log;

  fs::create_directories(dir / "emptylib");
  std::ofstream(dir / "emptylib" / "library.json") << R"({"version": 1, "multipliers": []})";
  r = run({"--library", (dir / "emptylib").string(), "--budget", "4"}, "empty");
  EXPECT_EQ(r.rc, 1) << r.log;
  EXPECT_NE(r.log.find("SRC-002"), std::string::npos) << r.log;

  // A sensitivity table of another model (as `transaxx sensitivity` writes it).
  Json sens{{"model", "other.safetensors"},
            {"model_id", "other@0123456789ab"},
            {"baseline", {{"exact8_top1", 0.9}}},
            {"rows", Json::array({{{"layer", "blocks.0.mlp.fc1"}, {"multiplier", "bam_s8_v6"}, {"drop_top1", 0.01}}})}};
  write_json_atomic(dir / "sens_other.json", sens);
  r = run({"--library", lib_.string(), "--budget", "4", "--sensitivity", (dir / "sens_other.json").string()}, "sens");
  EXPECT_EQ(r.rc, 1) << r.log;
  EXPECT_NE(r.log.find("MSR-006"), std::string::npos) << r.log;

  // A layers file of another model (vit_fmnist_micro's layers).
  Json layers{{"version", 1},
              {"model", ""},
              {"layers", Json::array({{{"name", "patch_embed.proj"}, {"macs", 100}}, {{"name", "head"}, {"macs", 10}}})}};
  write_json_atomic(dir / "layers_other.json", layers);
  r = run({"--library", lib_.string(), "--budget", "4", "--layers", (dir / "layers_other.json").string()}, "layers");
  EXPECT_EQ(r.rc, 1) << r.log;
  EXPECT_NE(r.log.find("SRC-013"), std::string::npos) << r.log;  // from the search: the file names no model
  // The same file naming the other model: refused before the search starts.
  layers["model"] = "other@0123456789ab";
  write_json_atomic(dir / "layers_named.json", layers);
  r = run({"--library", lib_.string(), "--budget", "4", "--layers", (dir / "layers_named.json").string()}, "named");
  EXPECT_EQ(r.rc, 1) << r.log;
  EXPECT_NE(r.log.find("MSR-007"), std::string::npos) << r.log;
}

// The recorder counts multiplications, padding included, for every layer kind.
TEST(OperandRecorder, HistogramsSumToTheLayersMultiplyCounts) {
  torch::NoGradGuard ng;
  emu::Conv2dGeometry g;
  g.padding = {1, 1};
  g.stride = {2, 2};
  emu::ApproxConv2d conv(3, 5, std::array<int64_t, 2>{3, 3}, g);
  emu::ApproxLinear lin(12, 7);
  emu::ApproxMatmul mm;
  emu::Conv2dGeometry g2;
  g2.groups = 2;
  emu::ApproxConv2d gconv(4, 6, std::array<int64_t, 2>{3, 3}, g2);
  for (bool is_signed : {true, false}) {
    const auto mult = emu::make_exact_multiplier(is_signed);
    for (emu::ApproxLayer* l : std::vector<emu::ApproxLayer*>{conv.get(), lin.get(), mm.get(), gconv.get()}) {
      l->state().mult = mult;
      l->state().ranges.clear();  // dynamic ranges
      auto r = std::make_shared<emu::OperandRecorder>();
      r->max_rows = 4;
      l->state().recorder = r;
    }
    at::manual_seed(7);
    const at::Tensor x = at::randn({2, 3, 9, 9});
    conv->forward(x);
    lin->forward(at::randn({4, 6, 12}));
    mm->forward(at::randn({2, 3, 5, 8}), at::randn({2, 3, 8, 6}));
    gconv->forward(at::randn({2, 4, 6, 6}));
    for (emu::ApproxLayer* l : std::vector<emu::ApproxLayer*>{conv.get(), lin.get(), mm.get(), gconv.get()}) {
      const auto& r = *l->state().recorder;
      double sa = 0, sb = 0;
      for (double v : r.hist_a) sa += v;
      for (double v : r.hist_b) sb += v;
      EXPECT_EQ(r.macs, l->last_macs()) << emu::to_string(l->kind());
      EXPECT_EQ(sa, double(l->last_macs())) << emu::to_string(l->kind());
      EXPECT_EQ(sb, double(l->last_macs())) << emu::to_string(l->kind());
      EXPECT_EQ(r.rows_a.size(), size_t(4 * r.k));
      EXPECT_EQ(r.rows_b.size(), size_t(4 * r.k));
    }
    EXPECT_EQ(conv->state().recorder->k, 27);  // channels × kernel: the im2col row length
  }
}

// The uniform configurations an algorithm scored join its whole-test-set front only where the
// front's points (and the seeds before them) do not dominate them there, once per multiplier.
TEST(UniformSeeds, JoinTheWholeTestSetFrontWhereNothingDominatesThem) {
  search::ToyOptions to;
  to.blocks = 2;
  to.max_layers = 6;
  const search::ToyProblem p = search::make_toy_problem(search::make_toy_library(3, 3), to);
  const auto space = search::SearchSpace::build(p.library, p.model, &p.sensitivity);
  // A uniform configuration of each multiplier every layer offers, and a mixed one.
  auto uniform_of = [&](const std::string& m) {
    search::Config c(space.num_layers());
    for (size_t l = 0; l < c.size(); ++l) {
      c[l] = -1;
      for (size_t k = 0; k < space.candidates(l).size(); ++k)
        if (p.library.multipliers[size_t(space.candidates(l)[k].mult)].name == m)
          c[l] = int(k);
      if (c[l] < 0) return search::Config{};
    }
    return c;
  };
  std::vector<std::string> names;
  for (const auto& m : p.library.multipliers)
    if (!uniform_of(m.name).empty() && space.power_rel(uniform_of(m.name)) < 1.0 - 1e-9) names.push_back(m.name);
  ASSERT_GE(names.size(), 2u) << "the toy offers two uniform configurations";
  const search::Config u0 = uniform_of(names[0]), u1 = uniform_of(names[1]);
  search::Config mixed = u0;
  mixed[0] = u1[0];
  const double pw0 = space.power_rel(u0), pw1 = space.power_rel(u1), pwm = space.power_rel(mixed);
  std::map<std::string, double> full_acc{{names[0], 0.80}, {names[1], 0.85}};
  auto full = [&](const std::map<std::string, std::string>& layers) { return full_acc.at(layers.begin()->second); };
  const std::vector<search::EvalRecord> evaluated = {
      {u0, pw0, 0.70}, {mixed, pwm, 0.90}, {u1, pw1, 0.71}, {u0, pw0, 0.70}, {space.all_exact(), 1.0, 0.9}};
  const std::vector<search::ParetoPoint> front = {{mixed, pwm, 0.90, 1}};
  // The front's point measures 0.60 on the whole test set: it dominates neither seed, each seed
  // once (u0 was scored twice), all-exact never.
  auto seeds = train::uniform_seeds_off_front(space, evaluated, front, {{mixed, pwm, 0.60, 1}}, full);
  std::vector<std::string> got;
  for (const auto& s : seeds) got.push_back(s.multiplier);
  // The costlier seed only joins when the cheaper one does not dominate it there.
  std::vector<std::string> want{names[0]};
  const bool first_dominates_second = pw0 <= pw1 + 1e-12 && 0.80 >= 0.85;
  if (!first_dominates_second) want.push_back(names[1]);
  EXPECT_EQ(got, want);
  EXPECT_EQ(seeds[0].accuracy_full, 0.80);
  EXPECT_EQ(seeds[0].record.config, u0);
  // A front point at most as costly and at least as accurate on the whole test set keeps them out.
  EXPECT_TRUE(train::uniform_seeds_off_front(space, evaluated, front, {{space.all_exact(), 0.0, 0.99, 1}}, full).empty());
  // A seed on the front is not added twice.
  EXPECT_TRUE(train::uniform_seeds_off_front(space, {{u0, pw0, 0.7}}, {{u0, pw0, 0.7, 0}}, {{u0, pw0, 0.8, 0}}, full).empty());
}
