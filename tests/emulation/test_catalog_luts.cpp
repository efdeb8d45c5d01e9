// Every built-in multiplier (multipliers_rtl/catalog.csv, tables from the reference models):
// the table meets the LUT contract and every CPU kernel reproduces the reference loop bit for
// bit. Parameterized over the catalog, so a new multiplier is tested by adding its line.
#include "emulation/int_matmul.hpp"
#include "emulation/ops.hpp"
#include "multipliers_rtl/catalog.hpp"
#include "multipliers_rtl/reference_models.hpp"
#include "test_util.hpp"

namespace axx::emu {
namespace {

std::vector<mult::CatalogEntry> catalog() {
  static const auto c = mult::load_catalog(std::filesystem::path(AXX_RTL_DIR) / "catalog.csv");
  return c;
}

class CatalogLut : public ::testing::TestWithParam<mult::CatalogEntry> {};

TEST_P(CatalogLut, KernelsMatchReferenceLoop) {
  const auto& e = GetParam();
  const auto lut = mult::reference_lut(e);
  const auto m = make_multiplier(e.name, e.is_signed, test::lut_tensor(lut));  // EMU-004 if off
  if (e.family == "exact") {
    EXPECT_TRUE(m->is_exact()) << e.name;
  }
  at::manual_seed(uint64_t(std::hash<std::string>{}(e.name)));
  const at::Tensor a = at::randint(0, 256, {70, 300}, at::kByte);
  const at::Tensor b = at::randint(0, 256, {65, 300}, at::kByte);
  const at::Tensor want = test::naive_lut_sum(a, b, lut.data());
  EXPECT_TRUE(at::equal(lut_matmul(a, b, *m).to(at::kLong), want)) << e.name;
  EXPECT_TRUE(at::equal(lut_matmul(a, b, *m, MatmulPath::lut, CpuKernel::portable).to(at::kLong), want)) << e.name;
  if (cpu_supports(CpuKernel::avx512)) {
    EXPECT_TRUE(at::equal(lut_matmul(a, b, *m, MatmulPath::lut, CpuKernel::avx512).to(at::kLong), want)) << e.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Builtin, CatalogLut, ::testing::ValuesIn(catalog()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace axx::emu
