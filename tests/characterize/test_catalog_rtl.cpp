// Every built-in catalog instance, characterized by the real flow (Yosys synthesis, Verilator
// simulation of RTL and gates), equals the C++ model written from its paper, for all 65,536
// pairs. A new catalog line is tested by adding it.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/npy.hpp"
#include "characterize/library.hpp"
#include "multipliers_rtl/catalog.hpp"
#include "multipliers_rtl/reference_models.hpp"
#include "../cli_util.hpp"

using namespace axx;
namespace fs = std::filesystem;

namespace {

const std::vector<mult::CatalogEntry>& catalog() {
  static const auto c = mult::load_catalog(test::rtl("catalog.csv"));
  return c;
}

// The whole catalog is characterized once per process, two at a time.
struct Built {
  fs::path dir = test::temp_dir("catalog");
  flows::LibraryBuildResult result;
  Built() {
    flows::LibraryBuildOptions o;
    o.out_dir = dir;
    o.jobs = 2;
    result = flows::build_library(o);
  }
  ~Built() { fs::remove_all(dir); }
};

const Built& built() {
  static Built b;
  return b;
}

class CatalogRtl : public ::testing::TestWithParam<mult::CatalogEntry> {};

}  // namespace

TEST(CatalogLibrary, EveryInstanceCharacterizes) {
  EXPECT_TRUE(built().result.failures.empty()) << built().result.failures.front();
  EXPECT_EQ(built().result.library["multipliers"].size(), catalog().size());
}

TEST_P(CatalogRtl, SimulatedTableEqualsThePaperModel) {
  const mult::CatalogEntry& e = GetParam();
  const fs::path lut_path = built().dir / (e.name + ".npy");
  ASSERT_TRUE(fs::exists(lut_path)) << e.name << " was not characterized";
  const auto lut = read_npy_i32_matrix(lut_path, 256, 256);
  const auto model = mult::reference_lut(e);
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      ASSERT_EQ(lut[a * 256 + b], model[a * 256 + b]) << e.name << " a=" << a << " b=" << b;
    }
  }
  const Json rec = read_json_file(built().dir / (e.name + ".json"));
  EXPECT_EQ(rec["signed"].get<bool>(), e.is_signed);
  EXPECT_EQ(rec["signed_from"], "option");
}

INSTANTIATE_TEST_SUITE_P(Builtin, CatalogRtl, ::testing::ValuesIn(catalog()),
                         [](const auto& info) { return info.param.name; });

TEST(CatalogLibrary, OutOfRangeParameterIsRejectedByTheVerilogToo) {
  const fs::path d = test::temp_dir("catalog-range");
  const auto r = test::run_cli({"characterize", test::rtl("drum.v").string(), "--top", "drum_u8", "--param", "K=2",
                                "--out", d.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.output.find("K must be in [3, 8]"), std::string::npos) << r.output;
  EXPECT_EQ(test::count_outputs(d), 0);
  fs::remove_all(d);
}
