// train / eval / sensitivity / finetune on a Fashion-MNIST subset (skipped without the package).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/npy.hpp"
#include "emulation/models/safetensors.hpp"
#include "emulation/train/train.hpp"
#include "../expect_error.hpp"

using namespace axx;
using namespace axx::train;
namespace fs = std::filesystem;

namespace {

bool have_fmnist() { return fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"); }

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TrainOptions small_run(const fs::path& out, int64_t train_images, int epochs) {
  TrainOptions o;
  o.preset = "vit_fmnist_micro";
  o.train_data.limit = train_images;
  o.eval_images = 1000;
  o.epochs = epochs;
  o.train_batch = 32;
  o.lr = 2e-3;
  o.warmup = 0.02;
  o.augment = false;
  o.label_smoothing = 0;
  o.out_dir = out.string();
  o.run.progress = false;
  return o;
}

// One trained model shared by the suite (training is the slow part).
class TrainedModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_fmnist()) return;
    dir_ = fresh_dir("axx_train_suite");
    // 8,192 images × 2 epochs = 512 steps of 32 (reaches ~75 % on 1,000 test images).
    result_ = new Json(train_model(small_run(dir_ / "run", 8192, 2)));
  }
  static void TearDownTestSuite() { delete result_; }
  void SetUp() override {
    if (!have_fmnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  static std::string model() { return (dir_ / "run" / "model.safetensors").string(); }
  static inline fs::path dir_;
  static inline Json* result_ = nullptr;
};

// A signed multiplier that drops the 8 low bits of the product (large, biased error).
fs::path make_truncating_library(const fs::path& dir) {
  fs::create_directories(dir);
  std::vector<int32_t> lut(65536);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) {
      const int32_t p = int32_t(int8_t(a)) * int32_t(int8_t(b));
      lut[size_t(a * 256 + b)] = p & ~int32_t(0x1ff);
    }
  write_npy_i32(dir / "trunc9.npy", lut, {256, 256});
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) lut[size_t(a * 256 + b)] = int32_t(int8_t(a)) * int32_t(int8_t(b)) & ~int32_t(0x3f);
  write_npy_i32(dir / "trunc6.npy", lut, {256, 256});
  std::ofstream(dir / "library.json") << R"([{"name": "trunc9", "signed": true, "lut": "trunc9.npy"},
                                             {"name": "trunc6", "signed": true, "lut": "trunc6.npy"}])";
  return dir;
}

}  // namespace

TEST_F(TrainedModel, ShortTrainingReaches70PercentOn1000TestImages) {
  ASSERT_TRUE(result_->value("complete", false));
  EXPECT_GE(result_->at("test_top1").get<double>(), 0.70) << result_->dump(2);
  EXPECT_EQ(result_->at("test_images").get<int64_t>(), 1000);
  EXPECT_TRUE(fs::exists(model()));
}

TEST_F(TrainedModel, EvalFp32AndExact8AgreeClosely) {
  EvalOptions e;
  e.model = model();
  e.data.limit = 1000;
  e.run.progress = false;
  const Json fp = evaluate_model(e);
  e.quant.mode = "exact8";
  const Json q = evaluate_model(e);
  EXPECT_NEAR(fp["top1"].get<double>(), result_->at("test_top1").get<double>(), 1e-9);
  EXPECT_NEAR(q["top1"].get<double>(), fp["top1"].get<double>(), 0.03);
  EXPECT_GE(q["top5"].get<double>(), q["top1"].get<double>());
}

// Sensitivity of the suite's model with the truncating library on 200 test images.
SensitivityOptions small_sensitivity(const std::string& model, const fs::path& dir, const std::string& out) {
  SensitivityOptions s;
  s.eval.model = model;
  s.eval.data.limit = 200;
  s.eval.quant.calib_images = 128;
  s.eval.run.progress = false;
  s.library = make_truncating_library(dir / "lib").string();
  s.out_dir = (dir / out).string();
  return s;
}

TEST_F(TrainedModel, SensitivityHasOneRowPerLayerAndMultiplier) {
  const SensitivityOptions s = small_sensitivity(model(), dir_, "sens");
  const Json r = run_sensitivity(s);
  EXPECT_EQ(r["layers"].size(), 2u + 2u * 6u);
  EXPECT_EQ(r["rows"].size(), r["layers"].size() * 2);
  EXPECT_TRUE(fs::exists(dir_ / "sens" / "sensitivity.csv"));
  EXPECT_TRUE(fs::exists(dir_ / "sens" / "sensitivity.svg"));
  const std::string csv = read_file(dir_ / "sens" / "sensitivity.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 28);
}

TEST_F(TrainedModel, StoppedSensitivityResumesToTheSameRows) {
  SensitivityOptions s = small_sensitivity(model(), dir_, "whole");
  s.layers = {"blocks.0.attn.qkv", "blocks.1.mlp.fc2", "head"};
  const Json whole = run_sensitivity(s);
  ASSERT_EQ(whole["rows"].size(), 6u);
  EXPECT_EQ(whole["resumed_rows"].get<int64_t>(), 0);
  EXPECT_FALSE(fs::exists(dir_ / "whole" / "sensitivity.partial.json"));

  // Stopped after 4 rows (as if killed): the rows so far are on disk; the rerun evaluates only
  // the last 2 and gives the same table.
  s.out_dir = (dir_ / "stopped").string();
  s.stop_after = 4;
  axx::test::expect_error("TRN-004", [&] { run_sensitivity(s); });
  ASSERT_TRUE(fs::exists(dir_ / "stopped" / "sensitivity.partial.json"));
  s.stop_after = 0;
  const Json resumed = run_sensitivity(s);
  EXPECT_EQ(resumed["resumed_rows"].get<int64_t>(), 4);
  EXPECT_EQ(resumed["rows"], whole["rows"]);
  EXPECT_EQ(read_file(dir_ / "stopped" / "sensitivity.csv"), read_file(dir_ / "whole" / "sensitivity.csv"));
  EXPECT_FALSE(fs::exists(dir_ / "stopped" / "sensitivity.partial.json"));

  // A partial run of other inputs (here: other test images) is not reused.
  s.stop_after = 2;
  axx::test::expect_error("TRN-004", [&] { run_sensitivity(s); });
  s.stop_after = 0;
  s.eval.data.limit = 150;
  EXPECT_EQ(run_sensitivity(s)["resumed_rows"].get<int64_t>(), 0);
}

TEST_F(TrainedModel, FinetuneWithAggressiveMultiplierRaisesAccuracy) {
  make_truncating_library(dir_ / "lib");
  std::ofstream(dir_ / "aggressive.json") << R"({"version": 1, "library": "lib", "default": "trunc9"})";
  FinetuneOptions f;
  f.eval.model = model();
  f.eval.data.limit = 1000;
  f.eval.quant.mode = "config";
  f.eval.quant.config = (dir_ / "aggressive.json").string();
  f.eval.run.progress = false;
  f.train_data.limit = 4096;
  f.max_steps = 64;
  f.train_batch = 32;
  f.lr = 1e-3;
  f.out = (dir_ / "finetuned.safetensors").string();
  const Json r = finetune_model(f);
  EXPECT_GT(r["after"]["top1"].get<double>(), r["before"]["top1"].get<double>()) << r.dump(2);
  EXPECT_TRUE(fs::exists(f.out));
}

TEST(Train, ResumeAfterKillContinuesFromCheckpoint) {
  if (!have_fmnist()) GTEST_SKIP();
  const fs::path a = fresh_dir("axx_resume_a"), b = fresh_dir("axx_resume_b");
  TrainOptions full = small_run(a, 512, 2);
  full.eval_images = 64;
  const Json ra = train_model(full);
  TrainOptions killed = small_run(b, 512, 2);
  killed.eval_images = 64;
  killed.stop_after_epochs = 1;
  const Json rk = train_model(killed);
  EXPECT_FALSE(rk["complete"].get<bool>());
  EXPECT_FALSE(fs::exists(b / "model.safetensors"));
  killed.stop_after_epochs = 0;
  const Json rb = train_model(killed);
  EXPECT_EQ(rb["resumed_from_epoch"].get<int>(), 1);
  EXPECT_EQ(rb["steps"], ra["steps"]);
  const auto ma = models::load_safetensors((a / "model.safetensors").string());
  const auto mb = models::load_safetensors((b / "model.safetensors").string());
  for (const auto& kv : ma.tensors) EXPECT_TRUE(kv.second.equal(mb.tensors.at(kv.first))) << kv.first;
}

TEST(Train, BadInputsHaveClearCodes) {
  if (!have_fmnist()) GTEST_SKIP();
  const fs::path d = fresh_dir("axx_train_bad");
  TrainOptions o = small_run(d, 256, 1);
  o.preset = "vit_gigantic";
  try {
    train_model(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "VIT-001");
  }
  o.preset = "vit_cifar_tiny";  // 32×32×3 model, 28×28×1 images
  try {
    train_model(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "TRN-002");
  }
  EvalOptions e;
  e.model = (d / "nope.safetensors").string();
  try {
    evaluate_model(e);
    FAIL();
  } catch (const Error& e2) {
    EXPECT_EQ(e2.code(), "SFT-005");
  }
}
