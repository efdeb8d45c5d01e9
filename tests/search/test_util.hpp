// Shared helpers of the search suites.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "common/error.hpp"
#include "search/toy.hpp"

#define AXX_EXPECT_CODE(stmt, expected)                      \
  do {                                                       \
    try {                                                    \
      stmt;                                                  \
      ADD_FAILURE() << "expected axx::Error " << (expected); \
    } catch (const axx::Error& e) {                          \
      EXPECT_EQ(e.code(), (expected)) << e.what();           \
    }                                                        \
  } while (0)

namespace axx::search::test {

inline std::filesystem::path fixture_library() { return std::filesystem::path(AXX_SEARCH_TEST_DATA) / "lib"; }

inline std::filesystem::path temp_dir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto d = std::filesystem::temp_directory_path() /
           ("axx_search_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

/// 8 layers (patch_embed + one block + head cut to 8) × toy library of `approx` multipliers.
inline ToyProblem small_toy(int max_layers, int approx, uint64_t seed = 3, double eta = 2.0, double rho = 0.15,
                            double noise = 0.0005) {
  ToyOptions o;
  o.blocks = 2;
  o.max_layers = max_layers;
  o.seed = seed;
  o.eta = eta;
  o.rho = rho;
  o.noise = noise;
  return make_toy_problem(make_toy_library(approx, seed), o);
}

/// The toy with accumulation (toy.hpp): `max_layers` layers of a `blocks`-block ViT over a toy
/// library whose designs alternate biased / unbiased.
inline ToyProblem accumulation_toy(int max_layers, int approx, uint64_t seed = 3, int blocks = 2,
                                   double noise = 0.0005) {
  ToyOptions o = accumulation_toy_options();
  o.blocks = blocks;
  o.max_layers = max_layers;
  o.seed = seed;
  o.noise = noise;
  return make_toy_problem(make_toy_library(approx, seed, /*mixed_bias=*/true), o);
}

}  // namespace axx::search::test
