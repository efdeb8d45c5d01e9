// The array's golden model (hwgen::lut_gemm, what the generated Verilog is verified against)
// equals the emulator's LUT matmul bit for bit, so simulated hardware and emulated accuracy
// rest on the same arithmetic.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <random>

#include "emulation/compensation.hpp"
#include "emulation/int_matmul.hpp"
#include "emulation/lut.hpp"
#include "hwgen/golden.hpp"
#include "hwgen/spec.hpp"
#include "multipliers_rtl/catalog.hpp"
#include "multipliers_rtl/reference_models.hpp"

using namespace axx;

namespace {

struct Case {
  std::string multiplier;  ///< catalog name
  int m, k, n;
};

class GoldenVsEmulator : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(GoldenVsEmulator, LutGemmIsBitIdentical) {
  const Case& c = GetParam();
  const auto catalog = mult::load_catalog(std::string(AXX_RTL_DIR) + "/catalog.csv");
  const mult::CatalogEntry* e = mult::find_entry(catalog, c.multiplier);
  ASSERT_NE(e, nullptr) << c.multiplier;
  const std::vector<int32_t> lut = mult::reference_lut(*e);
  at::Tensor lut_t = at::from_blob(const_cast<int32_t*>(lut.data()), {256, 256}, at::kInt).clone();
  const auto emu_mult = emu::make_multiplier(e->name, e->is_signed, lut_t);

  at::manual_seed(7);
  at::Tensor a = at::randint(0, 256, {c.m, c.k}, at::kByte);
  at::Tensor w = at::randint(0, 256, {c.k, c.n}, at::kByte);  // K x N, as the array holds it
  const at::Tensor emu_out = emu::lut_matmul(a, w.t().contiguous(), *emu_mult).contiguous();

  std::vector<uint8_t> av(a.data_ptr<uint8_t>(), a.data_ptr<uint8_t>() + a.numel());
  std::vector<uint8_t> wv(w.data_ptr<uint8_t>(), w.data_ptr<uint8_t>() + w.numel());
  const std::vector<int32_t> hw = hwgen::lut_gemm(lut, av, wv, c.m, c.k, c.n, 32, e->is_signed);
  ASSERT_EQ(emu_out.numel(), static_cast<int64_t>(hw.size()));
  const int32_t* ep = emu_out.data_ptr<int32_t>();
  for (size_t i = 0; i < hw.size(); ++i) ASSERT_EQ(ep[i], hw[i]) << c.multiplier << " at " << i;
}

INSTANTIATE_TEST_SUITE_P(Catalog, GoldenVsEmulator,
                         ::testing::Values(Case{"exact_s8", 33, 300, 17}, Case{"exact_u8", 5, 1100, 9},
                                           Case{"bam_s8_v6", 40, 257, 21}, Case{"drum_u8_k4", 16, 64, 16},
                                           Case{"mitchell_s8_w3", 1, 768, 3}, Case{"etm_u8_l3", 7, 3, 70}),
                         [](const auto& info) { return info.param.multiplier; });

// With control-variate compensation (COMPENSATION.md): the array's results, tile by tile as the
// hardware computes them (K cut into array-sized chunks whose partial sums are added at the
// accumulator width), equal the emulator's int32 LUT GEMM plus the correction computed directly
// from the contract, for every mode and both dataflows.
namespace {

// The contract's table, written out here on its own (independent of hwgen's compensation_table):
// t(b) = llround(sum_a p(a) * (lut[a][b] - exact(a, b))).
std::vector<int32_t> contract_table(const std::vector<int32_t>& lut, const std::vector<double>& counts,
                                    bool is_signed) {
  double total = 0;
  for (double c : counts) total += c;
  std::vector<int32_t> t(256);
  for (int b = 0; b < 256; ++b) {
    double mu = 0;
    for (int a = 0; a < 256; ++a) {
      const double p = counts[static_cast<size_t>(a)] / total;
      const int exact = is_signed ? static_cast<int8_t>(a) * static_cast<int8_t>(b) : a * b;
      mu += p * static_cast<double>(lut[static_cast<size_t>(a * 256 + b)] - exact);
    }
    t[static_cast<size_t>(b)] = static_cast<int32_t>(std::llround(mu));
  }
  return t;
}

struct CompCase {
  std::string multiplier;
  hwgen::Dataflow dataflow;
  int rows, cols, depth;  // the array: WS tiles K by rows, OS by depth
  int m, k, n;
};

class CompensatedVsEmulator : public ::testing::TestWithParam<CompCase> {};

}  // namespace

TEST_P(CompensatedVsEmulator, TiledArrayEqualsEmulatorPlusContractCorrection) {
  const CompCase& c = GetParam();
  const auto catalog = mult::load_catalog(std::string(AXX_RTL_DIR) + "/catalog.csv");
  const mult::CatalogEntry* e = mult::find_entry(catalog, c.multiplier);
  ASSERT_NE(e, nullptr) << c.multiplier;
  const std::vector<int32_t> lut = mult::reference_lut(*e);
  at::Tensor lut_t = at::from_blob(const_cast<int32_t*>(lut.data()), {256, 256}, at::kInt).clone();
  const auto emu_mult = emu::make_multiplier(e->name, e->is_signed, lut_t);

  // A peaked activation histogram (small codes frequent), as calibration records them.
  std::mt19937_64 rng(11);
  std::vector<double> counts(256);
  for (int a = 0; a < 256; ++a) {
    const int v = e->is_signed ? static_cast<int8_t>(a) : a;
    counts[static_cast<size_t>(a)] = std::floor(1000.0 * std::exp(-std::abs(v) / 64.0)) + static_cast<double>(rng() % 3);
  }
  const std::vector<int32_t> t = contract_table(lut, counts, e->is_signed);
  EXPECT_EQ(hwgen::compensation_table(lut, counts, e->is_signed), t);
  // ... and the emulator's own table (emulation/compensation.hpp) is the same one, so the RTL's
  // correction equals what `eval --compensation mean` adds.
  std::array<double, 256> hist{};
  for (int a = 0; a < 256; ++a) hist[static_cast<size_t>(a)] = counts[static_cast<size_t>(a)];
  const std::array<int32_t, 256> emu_t = emu::compensation_table(lut.data(), e->is_signed, hist);
  EXPECT_EQ(std::vector<int32_t>(emu_t.begin(), emu_t.end()), t);
  if (c.multiplier.rfind("exact", 0) == 0) {
    for (int32_t v : t) ASSERT_EQ(v, 0);
  }

  at::manual_seed(3);
  at::Tensor a = at::randint(0, 256, {c.m, c.k}, at::kByte);
  at::Tensor w = at::randint(0, 256, {c.k, c.n}, at::kByte);
  const at::Tensor emu_out = emu::lut_matmul(a, w.t().contiguous(), *emu_mult).contiguous();
  const uint8_t* ap = a.data_ptr<uint8_t>();
  const uint8_t* wp = w.data_ptr<uint8_t>();
  // The emulator's sum plus the contract's correction, int32 wrap-around.
  std::vector<int32_t> want(static_cast<size_t>(c.m) * c.n);
  for (int j = 0; j < c.n; ++j) {
    int64_t corr = 0;
    for (int kk = 0; kk < c.k; ++kk) corr -= t[wp[static_cast<size_t>(kk) * c.n + j]];
    for (int i = 0; i < c.m; ++i) {
      want[static_cast<size_t>(i) * c.n + j] = static_cast<int32_t>(
          static_cast<uint32_t>(emu_out.data_ptr<int32_t>()[i * c.n + j]) + static_cast<uint32_t>(corr));
    }
  }

  // The array: tiles of (M chunk) x (K chunk) x (N chunk) as the cycle model cuts them, each the
  // golden model with its own correction; K-tiles' partial sums added at 32 bits.
  const bool ws = c.dataflow == hwgen::Dataflow::kWeightStationary;
  const int tm = ws ? c.depth : c.rows, tk = ws ? c.rows : c.depth, tn = c.cols;
  ASSERT_GT(c.k, 2 * tk) << "K must span several tiles";
  std::vector<uint32_t> got(static_cast<size_t>(c.m) * c.n, 0);
  for (int m0 = 0; m0 < c.m; m0 += tm) {
    for (int n0 = 0; n0 < c.n; n0 += tn) {
      for (int k0 = 0; k0 < c.k; k0 += tk) {
        const int mm = std::min(tm, c.m - m0), kk = std::min(tk, c.k - k0), nn = std::min(tn, c.n - n0);
        std::vector<uint8_t> at_(static_cast<size_t>(mm) * kk), wt(static_cast<size_t>(kk) * nn);
        for (int i = 0; i < mm; ++i)
          for (int q = 0; q < kk; ++q) at_[static_cast<size_t>(i) * kk + q] = ap[(m0 + i) * c.k + k0 + q];
        for (int q = 0; q < kk; ++q)
          for (int j = 0; j < nn; ++j) wt[static_cast<size_t>(q) * nn + j] = wp[(k0 + q) * c.n + n0 + j];
        const std::vector<int32_t> part =
            hwgen::lut_gemm_compensated(lut, t, at_, wt, mm, kk, nn, 32, e->is_signed);
        for (int i = 0; i < mm; ++i)
          for (int j = 0; j < nn; ++j)
            got[static_cast<size_t>(m0 + i) * c.n + n0 + j] += static_cast<uint32_t>(part[static_cast<size_t>(i) * nn + j]);
      }
    }
  }
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(static_cast<int32_t>(got[i]), want[i]) << c.multiplier << " at " << i;
  }
  // Compensation changes the results of an approximate multiplier (the test is not vacuous).
  if (c.multiplier.rfind("exact", 0) != 0) {
    int64_t differs = 0, nonzero = 0;
    for (size_t i = 0; i < want.size(); ++i) differs += want[i] != emu_out.data_ptr<int32_t>()[i];
    for (int32_t v : t) nonzero += v != 0;
    EXPECT_GT(nonzero, 0) << c.multiplier;
    EXPECT_GT(differs, 0) << c.multiplier << " (" << nonzero << " non-zero table entries)";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Catalog, CompensatedVsEmulator,
    ::testing::Values(CompCase{"exact_s8", hwgen::Dataflow::kWeightStationary, 4, 3, 8, 9, 37, 7},
                      CompCase{"bam_s8_v6", hwgen::Dataflow::kWeightStationary, 4, 4, 8, 20, 50, 9},
                      CompCase{"bam_s8_v6", hwgen::Dataflow::kOutputStationary, 4, 4, 16, 9, 70, 10},
                      CompCase{"drum_u8_k4", hwgen::Dataflow::kWeightStationary, 8, 8, 16, 17, 100, 17},
                      CompCase{"drum_u8_k4", hwgen::Dataflow::kOutputStationary, 3, 5, 12, 11, 61, 12},
                      CompCase{"mitchell_s8_w3", hwgen::Dataflow::kOutputStationary, 2, 2, 8, 5, 33, 5},
                      CompCase{"etm_u8_l3", hwgen::Dataflow::kWeightStationary, 2, 3, 4, 7, 19, 8}),
    [](const auto& info) {
      return info.param.multiplier + (info.param.dataflow == hwgen::Dataflow::kWeightStationary ? "_ws" : "_os");
    });
