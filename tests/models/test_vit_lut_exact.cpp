// Native ViT with the exact multiplier's LUT forced through the LUT kernels
// (LayerState::matmul_path = lut): every layer — patch embedding, qkv, Q·Kᵀ, attention·V, proj,
// fc1, fc2, head — must give the logits of the float-BLAS path for exact tables (blas_exact) bit
// for bit, and so must the automatic path (which takes the LUT kernels for a small model's exact
// layers where they are faster, BLAS for wide ones).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "emulation/config.hpp"
#include "emulation/data/dataset.hpp"
#include "emulation/models/vit.hpp"

using namespace axx;
using namespace axx::models;

namespace {

// Real Fashion-MNIST test images, normalized like the train/eval commands; 9 images make the
// token count (9 · 17 = 153 rows) cross the kernels' 64-row blocks with a short last block.
at::Tensor fmnist_images(int64_t n) {
  data::DatasetSpec s;
  s.limit = n;
  return data::load_dataset(s).images;
}

void set_path(torch::nn::Module& m, emu::MatmulPath p) {
  for (auto& [name, layer] : emu::approximable_layers(m)) layer->state().matmul_path = p;
}

}  // namespace

class VitLutExact : public ::testing::TestWithParam<bool> {};  // param: signed multiplier

TEST_P(VitLutExact, ForcedLutKernelEqualsExactPathBitForBit) {
  if (!std::filesystem::exists(data::default_dataset_path("fashion-mnist"))) {
    GTEST_SKIP() << "Fashion-MNIST not installed (Debian package dataset-fashion-mnist)";
  }
  const bool is_signed = GetParam();
  torch::NoGradGuard ng;
  at::set_num_threads(2);
  const at::Tensor x = fmnist_images(9);
  VisionTransformer m = make_vit(find_preset("vit_fmnist_micro").config, 7);
  const at::Tensor fp32 = m->forward(x);
  const emu::MultiplierLibrary lib;
  emu::ApproxConfig c;
  c.default_multiplier = is_signed ? "exact_s8" : "exact_u8";
  emu::apply_config(*m, c, lib);
  emu::begin_calibration(*m);
  m->forward(x);
  emu::end_calibration(*m, c.calibration);

  set_path(*m, emu::MatmulPath::blas_exact);
  const at::Tensor exact = m->forward(x);
  set_path(*m, emu::MatmulPath::lut);
  const at::Tensor forced = m->forward(x);
  EXPECT_TRUE(torch::equal(exact, forced)) << (exact - forced).abs().max().item<double>();
  EXPECT_FALSE(torch::equal(exact, fp32));  // it really was quantized
  set_path(*m, emu::MatmulPath::automatic);
  EXPECT_TRUE(torch::equal(m->forward(x), exact));
  // Batch of one: every GEMM has fewer rows than one kernel block.
  const at::Tensor x1 = x.narrow(0, 3, 1);
  set_path(*m, emu::MatmulPath::lut);
  const at::Tensor forced1 = m->forward(x1);
  set_path(*m, emu::MatmulPath::blas_exact);
  EXPECT_TRUE(torch::equal(m->forward(x1), forced1));
}

INSTANTIATE_TEST_SUITE_P(Signedness, VitLutExact, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "signed" : "unsigned"; });
