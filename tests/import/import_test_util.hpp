// Shared helpers of the import test suites: the generated reference files (make_reference.py).
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>

#include "common/error.hpp"
#include "common/npy.hpp"

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

template <typename F>
std::string expect_error(const std::string& code, F&& f) {
  try {
    f();
  } catch (const axx::Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected axx::Error " << code;
  return {};
}

}  // namespace axx::imp::test
