// Tests of the multiplier reference models (multipliers_rtl/reference_models.hpp): exact
// baselines, hand-computed values from each paper's definition, and per-family properties
// checked for every catalog instance (a new catalog line is tested by adding it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include "common/error.hpp"
#include "multipliers_rtl/catalog.hpp"
#include "multipliers_rtl/reference_models.hpp"

namespace {

using axx::mult::CatalogEntry;
using axx::mult::ParamList;

const std::string kCatalog = std::string(AXX_RTL_DIR) + "/catalog.csv";

CatalogEntry make_entry(const std::string& family, bool is_signed, ParamList params) {
  CatalogEntry e;
  e.family = family;
  e.is_signed = is_signed;
  e.params = std::move(params);
  e.name = family + (is_signed ? "_s8" : "_u8");
  return e;
}

int64_t exact_product(bool is_signed, int a, int b) {
  return is_signed ? int64_t{static_cast<int8_t>(a)} * static_cast<int8_t>(b) : int64_t{a} * b;
}

/// The product for operand values (signed ones given as -128..127).
int32_t product(const CatalogEntry& e, int a, int b) {
  return axx::mult::reference_product(e, static_cast<uint8_t>(a), static_cast<uint8_t>(b));
}

TEST(ReferenceModels, ExactBaselinesEqualTheProductForAllPairs) {
  for (const bool is_signed : {false, true}) {
    const auto lut = axx::mult::reference_lut(make_entry("exact", is_signed, {}));
    for (int a = 0; a < 256; ++a) {
      for (int b = 0; b < 256; ++b) {
        ASSERT_EQ(lut[a * 256 + b], exact_product(is_signed, a, b)) << a << " " << b;
      }
    }
  }
}

TEST(ReferenceModels, ExactKnobSettingsGiveTheExactProduct) {
  const std::pair<std::string, ParamList> exact_settings[] = {
      {"bam", {{"VBL", 0}, {"HBL", 0}}},
      {"kulkarni", {{"D", 0}}},
      {"ilm", {{"ITER", 8}}},
      {"drum", {{"K", 8}}},
      {"ssm", {{"M", 8}}},
      {"cmp42", {{"C", 3}}},
      {"booth", {{"VBL", 0}}},
  };
  for (const auto& [family, params] : exact_settings) {
    const auto* f = axx::mult::find_family(family);
    ASSERT_NE(f, nullptr) << family;
    for (const bool is_signed : {false, true}) {
      if ((is_signed ? f->signed_variant : f->unsigned_variant).file.empty()) continue;
      const auto e = make_entry(family, is_signed, params);
      const auto err = axx::mult::summarize_error(axx::mult::reference_lut(e), is_signed);
      EXPECT_EQ(err.wce, 0) << e.name << " " << axx::mult::format_params(params);
    }
  }
}

// Values worked out by hand from each paper's definition.
TEST(ReferenceModels, MatchHandComputedValues) {
  // Kulkarni: the 2x2 block gives 3 x 3 = 7; 0xFF x 0xFF with every block approximate is
  // 7 * (1 + 4 + ... ) summed over digit weights: sum over p,q of 7 * 4^(p+q) = 7 * 85^2.
  EXPECT_EQ(product(make_entry("kulkarni", false, {{"D", 7}}), 3, 3), 7);
  EXPECT_EQ(product(make_entry("kulkarni", false, {{"D", 7}}), 255, 255), 7 * 85 * 85);
  EXPECT_EQ(product(make_entry("kulkarni", false, {{"D", 1}}), 12, 12), 144);  // digit (1,1) exact
  // Mitchell: 3 = 2^1 (1 + 0.5); f1 + f2 = 1, so 2^3 * 1.0 = 8. 5 x 6 = 2^4 (1.25 + 0.5) = 28.
  EXPECT_EQ(product(make_entry("mitchell", false, {{"W", 7}}), 3, 3), 8);
  EXPECT_EQ(product(make_entry("mitchell", false, {{"W", 7}}), 5, 6), 28);
  EXPECT_EQ(product(make_entry("mitchell", true, {{"W", 7}}), -5, 6), -28);
  EXPECT_EQ(product(make_entry("mitchell", false, {{"W", 7}}), 0, 200), 0);
  // W = 1 keeps one fraction bit: 7 = 2^2 * 1.75 -> 1.5; 7 x 7 -> 2^5 * (0.5 + 0.5) = 32.
  EXPECT_EQ(product(make_entry("mitchell", false, {{"W", 1}}), 7, 7), 32);
  // ILM, one block: 3 x 3 = 4 + 2 + 2 = 8; two blocks add 1 x 1 = 1: exact 9.
  EXPECT_EQ(product(make_entry("ilm", false, {{"ITER", 1}}), 3, 3), 8);
  EXPECT_EQ(product(make_entry("ilm", false, {{"ITER", 2}}), 3, 3), 9);
  // DRUM K = 4: 182 = 1011_0110 -> 1011 with LSB forced (1011) << 4 = 176; 15 is below 2^4.
  EXPECT_EQ(product(make_entry("drum", false, {{"K", 4}}), 182, 15), 176 * 15);
  // 200 = 1100_1000 -> 1100 -> 1101 << 4 = 208.
  EXPECT_EQ(product(make_entry("drum", false, {{"K", 4}}), 200, 1), 208);
  EXPECT_EQ(product(make_entry("drum", true, {{"K", 4}}), -128, 1), -(9 << 4));  // 1000 -> 1001
  // SSM M = 4: 255 -> 1111 << 4; 15 stays.
  EXPECT_EQ(product(make_entry("ssm", false, {{"M", 4}}), 255, 255), 240 * 240);
  EXPECT_EQ(product(make_entry("ssm", false, {{"M", 4}}), 255, 15), 240 * 15);
  // ETM L = 4: 0x35 x 0x2A: MSB parts 3 x 2 = 6 at 2^8; LSB parts 0101 | 1010 has a 1 at the top
  // bit, so the 8 low bits are all 1: 1536 + 255. Small operands are exact: 9 x 13.
  EXPECT_EQ(product(make_entry("etm", false, {{"L", 4}}), 0x35, 0x2A), 1536 + 255);
  EXPECT_EQ(product(make_entry("etm", false, {{"L", 4}}), 9, 13), 117);
  // 0x10 x 0x02: MSB parts 1 x 0; LSB parts 0000 | 0010 -> bits 5..0 set: 63.
  EXPECT_EQ(product(make_entry("etm", false, {{"L", 4}}), 0x10, 0x02), 63);
  // RoBA: 3 -> 4 (tie rounds up): 4*3 + 4*3 - 16 = 8. 5 -> 4, 7 -> 8: 4*7 + 8*5 - 32 = 36.
  EXPECT_EQ(product(make_entry("roba", false, {}), 3, 3), 8);
  EXPECT_EQ(product(make_entry("roba", false, {}), 5, 7), 36);
  EXPECT_EQ(product(make_entry("roba", true, {}), -5, 7), -36);
  // Perforation of row 0: b's bit 0 is ignored. Signed: -3 = 1111_1101 -> 1111_1100 = -4.
  EXPECT_EQ(product(make_entry("perf", false, {{"J", 0}, {"K", 1}}), 5, 3), 10);
  EXPECT_EQ(product(make_entry("perf", true, {{"J", 0}, {"K", 1}}), 5, -3), -20);
  // BAM VBL = 2 drops columns 0 and 1: 3 x 3 keeps a1 b1 (4) only.
  EXPECT_EQ(product(make_entry("bam", false, {{"VBL", 2}, {"HBL", 0}}), 3, 3), 4);
  EXPECT_EQ(product(make_entry("bam", true, {{"VBL", 2}, {"HBL", 0}}), 3, 3), 4);
  // -1 x -1 = 1 needs a0 b0 (1) and a1 b0 + a0 b1 (4), all in the broken columns: 1 - 5.
  EXPECT_EQ(product(make_entry("bam", true, {{"VBL", 2}, {"HBL", 0}}), -1, -1), -4);
  // 4:2 compressor, column 3 of 15 x 15 holds four 1s: compressed to 2 instead of 4 -> -16.
  EXPECT_EQ(product(make_entry("cmp42", false, {{"C", 4}}), 15, 15), 225 - 16);
  // Broken Booth VBL = 2: 1 x 1: digit 0 is +1, row 0 = 1 is below column 2 -> 0.
  EXPECT_EQ(product(make_entry("booth", true, {{"VBL", 2}}), 1, 1), 0);
  // 1 x -1: digits (-1, 0, 0, 0): row 0 = ~1 = ...1110, cleared below 2 -> -4; negation bit gone.
  EXPECT_EQ(product(make_entry("booth", true, {{"VBL", 2}}), 1, -1), -4);
}

TEST(ReferenceModels, UnknownFamilyThrowsCat004) {
  try {
    product(make_entry("nope", false, {}), 1, 1);
    FAIL() << "no error";
  } catch (const axx::Error& e) {
    EXPECT_EQ(e.code(), "CAT-004");
  }
}

TEST(ReferenceModels, LutRejectsOutOfRangeKnobWithCat012) {
  try {
    axx::mult::reference_lut(make_entry("drum", false, {{"K", 9}}));
    FAIL() << "no error";
  } catch (const axx::Error& e) {
    EXPECT_EQ(e.code(), "CAT-012");
  }
}

TEST(ReferenceModels, MaeShrinksAsTheKnobMovesTowardExact) {
  // family, knob, values ordered from least to most accurate
  struct Sweep {
    std::string family;
    bool is_signed;
    std::string knob;
    std::vector<int64_t> values;
    ParamList fixed;
  };
  const Sweep sweeps[] = {
      {"bam", false, "VBL", {12, 10, 8, 6, 4, 2, 0}, {{"HBL", 0}}},
      {"etm", false, "L", {4, 3, 2, 1}, {}},
      {"kulkarni", false, "D", {7, 6, 5, 4, 3, 2, 1, 0}, {}},
      {"mitchell", false, "W", {1, 2, 3, 4, 5, 6, 7}, {}},
      {"ilm", false, "ITER", {1, 2, 3, 4, 5}, {}},
      {"drum", false, "K", {3, 4, 5, 6, 7, 8}, {}},
      {"ssm", false, "M", {4, 5, 6, 7, 8}, {}},
      {"perf", false, "K", {4, 3, 2, 1}, {{"J", 0}}},
      {"cmp42", true, "C", {12, 10, 8, 6, 4}, {}},
      {"booth", true, "VBL", {12, 10, 8, 6, 4, 2, 0}, {}},
  };
  for (const auto& s : sweeps) {
    double previous = 1e9;
    for (const int64_t v : s.values) {
      ParamList params = s.fixed;
      params.emplace_back(s.knob, v);
      const auto e = make_entry(s.family, s.is_signed, params);
      const double mae = axx::mult::summarize_error(axx::mult::reference_lut(e), s.is_signed).mae_pct;
      EXPECT_LT(mae, previous) << s.family << " " << s.knob << "=" << v;
      previous = mae;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Per-instance properties over the catalog: each suite is instantiated with the catalog lines
// its property applies to, so a new catalog line is tested by adding it.

// Families whose paper keeps only a subset of the exact partial products, or approximates the
// logarithm from below: the error is never positive (unsigned, two's-complement arrays) and the
// magnitude never grows (sign-magnitude signed variants).
const std::set<std::string> kNeverOverestimates = {"bam", "kulkarni", "mitchell", "ilm", "ssm", "cmp42", "booth"};
// Families designed to be unbiased.
const std::set<std::string> kUnbiased = {"drum", "roba"};
// Families whose hardware has a zero path (or no constant term): 0 in gives 0 out.
const std::set<std::string> kZeroInZeroOut = {"exact", "kulkarni", "mitchell", "ilm", "drum", "ssm", "perf", "roba"};
// Families whose signed variant runs the unsigned datapath on magnitudes.
const std::set<std::string> kSignMagnitude = {"mitchell", "ilm", "drum", "ssm", "roba"};

const std::vector<CatalogEntry>& catalog() {
  static const std::vector<CatalogEntry> entries = [] {
    try {
      return axx::mult::load_catalog(kCatalog);
    } catch (const std::exception& e) {
      // Keep the failure visible as a failing test instead of an empty suite.
      CatalogEntry sentinel;
      sentinel.name = "catalog_failed_to_load";
      sentinel.family = e.what();
      return std::vector<CatalogEntry>{sentinel};
    }
  }();
  return entries;
}

template <class Pred>
std::vector<CatalogEntry> catalog_where(Pred keep) {
  std::vector<CatalogEntry> out;
  for (const auto& e : catalog()) {
    if (e.name == "catalog_failed_to_load" || keep(e)) out.push_back(e);
  }
  return out;
}

bool in(const std::set<std::string>& families, const CatalogEntry& e) { return families.count(e.family) != 0; }

std::string entry_name(const ::testing::TestParamInfo<CatalogEntry>& info) { return info.param.name; }

class CatalogInstance : public ::testing::TestWithParam<CatalogEntry> {
 protected:
  void SetUp() override {
    ASSERT_NE(GetParam().name, "catalog_failed_to_load") << GetParam().family;
    lut_ = axx::mult::reference_lut(GetParam());
  }
  std::vector<int32_t> lut_;
};

TEST_P(CatalogInstance, MaeIsAtMostSeveralPercent) {
  const auto& e = GetParam();
  const auto err = axx::mult::summarize_error(lut_, e.is_signed);
  EXPECT_LE(err.mae_pct, 5.0) << e.name;
  if (e.family == "exact") {
    EXPECT_EQ(err.wce, 0);
  } else {
    EXPECT_GT(err.mae_pct, 0.0) << e.name << " is exact: its knob does not approximate";
  }
}

TEST_P(CatalogInstance, OutputFitsItsSixteenBits) {
  // The LUT stores o; a design whose arithmetic overflowed 16 bits would show an error of
  // 2^16 or more (unsigned) or a sign flip on large products (signed).
  const auto& e = GetParam();
  EXPECT_LT(axx::mult::summarize_error(lut_, e.is_signed).wce_pct, 50.0) << e.name;
}

TEST_P(CatalogInstance, ReferenceProductAgreesWithTheLut) {
  const auto& e = GetParam();
  for (int a = 0; a < 256; a += 7) {
    for (int b = 0; b < 256; b += 5) ASSERT_EQ(product(e, a, b), lut_[a * 256 + b]) << e.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Catalog, CatalogInstance, ::testing::ValuesIn(catalog()), entry_name);

class NeverOverestimates : public CatalogInstance {};

TEST_P(NeverOverestimates, ErrorHasTheSignItsPaperPredicts) {
  const auto& e = GetParam();
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const int64_t exact = exact_product(e.is_signed, a, b);
      const int64_t approx = lut_[a * 256 + b];
      if (e.is_signed && in(kSignMagnitude, e)) {
        ASSERT_LE(std::llabs(approx), std::llabs(exact)) << e.name << " " << a << " " << b;
        ASSERT_TRUE(approx == 0 || (approx < 0) == (exact < 0)) << e.name << " " << a << " " << b;
      } else {
        ASSERT_LE(approx, exact) << e.name << " " << a << " " << b;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Catalog, NeverOverestimates, ::testing::ValuesIn(catalog_where([](const CatalogEntry& e) {
                           return in(kNeverOverestimates, e);
                         })),
                         entry_name);

class Unbiased : public CatalogInstance {};

TEST_P(Unbiased, MeanErrorIsSmallAgainstTheMae) {
  const auto& e = GetParam();
  const auto err = axx::mult::summarize_error(lut_, e.is_signed);
  EXPECT_LT(std::abs(err.mean_error), 0.5 * err.mae) << e.name;
}

INSTANTIATE_TEST_SUITE_P(Catalog, Unbiased,
                         ::testing::ValuesIn(catalog_where([](const CatalogEntry& e) { return in(kUnbiased, e); })),
                         entry_name);

class ZeroInZeroOut : public CatalogInstance {};

TEST_P(ZeroInZeroOut, ZeroOperandGivesZero) {
  const auto& e = GetParam();
  for (int v = 0; v < 256; ++v) {
    ASSERT_EQ(lut_[0 * 256 + v], 0) << e.name << " a=0 b=" << v;
    ASSERT_EQ(lut_[v * 256 + 0], 0) << e.name << " a=" << v << " b=0";
  }
}

INSTANTIATE_TEST_SUITE_P(Catalog, ZeroInZeroOut, ::testing::ValuesIn(catalog_where([](const CatalogEntry& e) {
                           return in(kZeroInZeroOut, e);
                         })),
                         entry_name);

class SignMagnitude : public CatalogInstance {};

TEST_P(SignMagnitude, ProductIsOddInEachOperand) {
  const auto& e = GetParam();
  for (int a = -127; a <= 127; ++a) {
    for (int b = -127; b <= 127; ++b) {
      ASSERT_EQ(product(e, -a, b), -product(e, a, b)) << e.name << " " << a << " " << b;
      ASSERT_EQ(product(e, a, -b), -product(e, a, b)) << e.name << " " << a << " " << b;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Catalog, SignMagnitude, ::testing::ValuesIn(catalog_where([](const CatalogEntry& e) {
                           return e.is_signed && in(kSignMagnitude, e);
                         })),
                         entry_name);

}  // namespace
