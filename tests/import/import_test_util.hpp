// Shared helpers of the import test suites: the generated reference files (make_reference.py).
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "common/error.hpp"
#include "common/npy.hpp"
#include "emulation/config.hpp"
#include "../expect_error.hpp"

namespace axx::imp::test {

inline std::string ref_file(const std::string& file) { return std::string(AXX_IMPORT_REF_DIR) + "/" + file; }

/// A float32/float64 .npy as a float tensor of its shape.
inline at::Tensor load_npy(const std::string& path) {
  const NpyArray a = read_npy(path);
  std::vector<double> v = a.to_double();
  std::vector<int64_t> shape(a.shape.begin(), a.shape.end());
  return at::tensor(v, at::kDouble).reshape(shape).to(at::kFloat);
}

/// max |a − b| / max |b|: the relative deviation the tests bound.
inline double rel_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>() /
         b.to(at::kDouble).abs().max().item<double>();
}

using axx::test::expect_error;

/// Every layer of the model (a module holder: ImportedModel, VisionTransformer) gets the exact
/// signed 8-bit multiplier of the default config, calibrated on x.
template <typename Model>
void exact8_calibrated(Model& m, const at::Tensor& x) {
  torch::NoGradGuard ng;
  const emu::ApproxConfig cfg;
  emu::apply_config(*m, cfg, emu::MultiplierLibrary());
  emu::begin_calibration(*m);
  m->forward(x);
  emu::end_calibration(*m, cfg.calibration);
}

}  // namespace axx::imp::test
