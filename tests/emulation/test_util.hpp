// Shared helpers of the emulation test suites.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "../expect_error.hpp"

namespace axx::emu::test {

using axx::test::expect_error;

/// A random table with entries in [lo, hi].
inline std::vector<int32_t> random_lut(uint32_t seed, int64_t lo, int64_t hi) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> d(lo, hi);
  std::vector<int32_t> v(65536);
  for (auto& x : v) x = int32_t(d(rng));
  return v;
}

inline at::Tensor lut_tensor(const std::vector<int32_t>& v) {
  return at::from_blob(const_cast<int32_t*>(v.data()), {256, 256}, at::kInt).clone();
}

/// A fresh empty folder under the system temp dir.
inline std::filesystem::path temp_dir(const std::string& tag) {
  auto p = std::filesystem::temp_directory_path() /
           ("axx_emu_" + tag + "_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + std::to_string(std::random_device{}()));
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

/// Naive Σ_k lut[a[m][k]][b[n][k]] in int64 (a: [M,K] uint8, b: [N,K] uint8).
inline at::Tensor naive_lut_sum(const at::Tensor& a, const at::Tensor& b, const int32_t* lut) {
  const auto A = a.contiguous(), B = b.contiguous();
  const int64_t M = A.size(0), N = B.size(0), K = A.size(1);
  at::Tensor c = at::zeros({M, N}, at::kLong);
  auto pa = A.data_ptr<uint8_t>();
  auto pb = B.data_ptr<uint8_t>();
  auto pc = c.data_ptr<int64_t>();
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      int64_t s = 0;
      for (int64_t k = 0; k < K; ++k) s += lut[pa[m * K + k] * 256 + pb[n * K + k]];
      pc[m * N + n] = s;
    }
  return c;
}

}  // namespace axx::emu::test
