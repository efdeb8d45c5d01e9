// Whole models on CUDA against the CPU: the same ViT (vit_fmnist_micro, seeded random weights),
// calibrated once on the CPU, then run on both devices. Each approximable layer given the same
// input gives the same output bit for bit (the integer LUT sums are exact; quantization and the
// epilogue are elementwise IEEE operations). The logits and top-1 of the whole model are compared
// bit for bit too: that also needs LibTorch's float kernels between the layers (LayerNorm,
// softmax, GELU) to round as the CPU's do — when they do not, the failure names the largest
// difference. Exact 8-bit and an approximate table, compensation "mean" off and on.
// Every case skips, saying why, without CUDA kernels, a CUDA LibTorch or a device.
#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include "emulation/config.hpp"
#include "emulation/device.hpp"
#include "emulation/int_matmul.hpp"
#include "emulation/models/vit.hpp"
#include "test_util.hpp"

namespace axx::emu {
namespace {

// An approximate signed multiplier: the exact product with its 4 low bits cleared (biased, so
// "mean" compensation has something to correct).
std::shared_ptr<const Multiplier> truncated_multiplier() {
  std::vector<int32_t> v(65536);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) v[size_t(a * 256 + b)] = (int32_t(int8_t(a)) * int32_t(int8_t(b))) & ~15;
  return make_multiplier("trunc4", true, test::lut_tensor(v));
}

struct Case {
  const char* name;
  bool approximate, compensation;
};

// Every layer exact 8-bit, calibrated on `images` where they are (ranges, then the operand
// histograms of "mean" compensation).
void calibrate_exact(models::VisionTransformer& m, const at::Tensor& images, Compensation comp) {
  torch::NoGradGuard ng;
  m->eval();
  ApproxConfig cfg;
  cfg.default_multiplier = "exact";
  cfg.compensation = comp;
  apply_config(*m, cfg, MultiplierLibrary());
  begin_calibration(*m);
  m->forward(images);
  CalibrationResult r = end_calibration(*m, cfg.calibration);
  begin_histograms(*m);
  m->forward(images);
  end_histograms(*m, r);
}

// The model configured and calibrated on the CPU (ranges and operand histograms fixed).
models::VisionTransformer calibrated_model(const Case& c, const at::Tensor& images) {
  auto m = models::make_vit(models::find_preset("vit_fmnist_micro").config, 3);
  calibrate_exact(m, images, Compensation::none);
  const auto approx = truncated_multiplier();
  for (auto& [name, l] : approximable_layers(*m)) {
    if (c.approximate) l->state().mult = approx;
    l->state().compensation = c.compensation ? Compensation::mean : Compensation::none;
  }
  return m;
}

const std::vector<Case> kCases = {{"exact8", false, false},
                                  {"approximate", true, false},
                                  {"approximate+mean", true, true},
                                  {"exact8+mean", false, true}};

TEST(CudaModel, EveryLayerMatchesCpuBitForBitOnTheSameInput) {
  const std::string why = cuda_unusable_reason();
  if (!why.empty()) GTEST_SKIP() << "CUDA case not run: " << why;
  const at::Tensor images = at::randn({8, 1, 28, 28});
  for (const Case& c : kCases) {
    auto m = calibrated_model(c, images);
    torch::NoGradGuard ng;
    // The same random input to a layer on both devices isolates the emulated product from the
    // float ops around it. Calibrated ranges make the quantization identical on both.
    for (auto& [name, l] : approximable_layers(*m)) {
      at::Tensor y_cpu, y_gpu;
      if (auto* lin = dynamic_cast<ApproxLinearImpl*>(l)) {
        const at::Tensor x = at::randn({2, 50, lin->weight.size(1)});
        y_cpu = lin->forward(x);
        lin->to(at::kCUDA);
        y_gpu = lin->forward(x.cuda()).cpu();
        lin->to(at::kCPU);
      } else if (auto* mm = dynamic_cast<ApproxMatmulImpl*>(l)) {
        const at::Tensor a = at::randn({2, 2, 17, 16}), b = at::randn({2, 2, 16, 17});
        y_cpu = mm->forward(a, b);
        y_gpu = mm->forward(a.cuda(), b.cuda()).cpu();
      } else if (auto* conv = dynamic_cast<ApproxConv2dImpl*>(l)) {
        const at::Tensor x = at::randn({2, conv->weight.size(1), 28, 28});
        y_cpu = conv->forward(x);
        conv->to(at::kCUDA);
        y_gpu = conv->forward(x.cuda()).cpu();
        conv->to(at::kCPU);
      } else {
        continue;
      }
      EXPECT_TRUE(at::equal(y_cpu, y_gpu)) << c.name << " layer " << name << ": max |diff| "
                                           << (y_cpu - y_gpu).abs().max().item<double>();
    }
  }
}

TEST(CudaModel, LogitsAndTop1MatchCpuBitForBit) {
  const std::string why = cuda_unusable_reason();
  if (!why.empty()) GTEST_SKIP() << "CUDA case not run: " << why;
  const at::Tensor images = at::randn({32, 1, 28, 28});
  for (const Case& c : kCases) {
    auto m = calibrated_model(c, images);
    torch::NoGradGuard ng;
    const at::Tensor cpu = m->forward(images);
    m->to(at::kCUDA);
    const at::Tensor gpu = m->forward(images.cuda()).cpu();
    EXPECT_TRUE(at::equal(cpu.argmax(1), gpu.argmax(1))) << c.name << ": top-1 differs";
    EXPECT_TRUE(at::equal(cpu, gpu)) << c.name << ": logits differ, max |diff| "
                                     << (cpu - gpu).abs().max().item<double>();
  }
}

TEST(CudaModel, CalibrationAndStatisticsRunOnCudaTensors) {
  const std::string why = cuda_unusable_reason();
  if (!why.empty()) GTEST_SKIP() << "CUDA case not run: " << why;
  // Calibration (range observers, histograms), operand recording and compensation tables read
  // tensor memory on the host: on a CUDA model they must copy, not dereference device pointers.
  auto m = models::make_vit(models::find_preset("vit_fmnist_micro").config, 4);
  m->to(at::kCUDA);
  torch::NoGradGuard ng;
  const at::Tensor images = at::randn({8, 1, 28, 28}).cuda();
  calibrate_exact(m, images, Compensation::mean);
  const auto approx = truncated_multiplier();
  for (auto& [name, l] : approximable_layers(*m)) {
    l->state().mult = approx;
    l->state().recorder = std::make_shared<OperandRecorder>();
    l->state().recorder->max_rows = 4;
  }
  const at::Tensor logits = m->forward(images);
  EXPECT_TRUE(logits.is_cuda());
  EXPECT_TRUE(at::isfinite(logits).all().item<bool>());
  for (auto& [name, l] : approximable_layers(*m)) {
    EXPECT_GT(l->state().recorder->macs, 0) << name;
    EXPECT_FALSE(l->state().ranges.empty()) << name;
  }
}

}  // namespace
}  // namespace axx::emu
