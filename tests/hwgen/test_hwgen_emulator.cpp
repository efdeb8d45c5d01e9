// The array's golden model (hwgen::lut_gemm, what the generated Verilog is verified against)
// equals the emulator's LUT matmul bit for bit, so simulated hardware and emulated accuracy
// rest on the same arithmetic.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "emulation/int_matmul.hpp"
#include "emulation/lut.hpp"
#include "hwgen/golden.hpp"
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
