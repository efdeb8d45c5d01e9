// Tests of the multiplier catalog loader (multipliers_rtl/catalog.hpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "common/error.hpp"
#include "multipliers_rtl/catalog.hpp"
#include "multipliers_rtl/reference_models.hpp"

namespace {

using axx::mult::CatalogEntry;
using axx::mult::ParamList;

const std::filesystem::path kRtlDir = AXX_RTL_DIR;
const std::filesystem::path kCatalog = kRtlDir / "catalog.csv";

// A catalog text that lives (virtually) next to the real Verilog files.
std::vector<CatalogEntry> parse_text(const std::string& text) {
  std::istringstream in(text);
  return axx::mult::parse_catalog(in, kRtlDir / "test.csv");
}

// The error code parse_text throws, or "none".
std::string code_of(const std::string& text) {
  try {
    parse_text(text);
  } catch (const axx::Error& e) {
    return e.code();
  }
  return "none";
}

std::string validate_code(const std::string& family, const ParamList& params) {
  try {
    axx::mult::validate_params(family, params);
  } catch (const axx::Error& e) {
    return e.code();
  }
  return "none";
}

TEST(Catalog, LoadsBuiltInCatalogWithAtLeastFortyInstances) {
  const auto catalog = axx::mult::load_catalog(kCatalog);
  EXPECT_GE(catalog.size(), 40u);
}

TEST(Catalog, NamesAreUniqueAndMatchFamilyAndSignedness) {
  const auto catalog = axx::mult::load_catalog(kCatalog);
  std::set<std::string> names;
  for (const auto& e : catalog) {
    EXPECT_TRUE(names.insert(e.name).second) << e.name << " appears twice";
    const std::string prefix = e.family + (e.is_signed ? "_s8" : "_u8");
    EXPECT_EQ(e.name.rfind(prefix, 0), 0u) << e.name;
    EXPECT_TRUE(e.name.size() == prefix.size() || e.name[prefix.size()] == '_') << e.name;
  }
}

TEST(Catalog, EntriesPointAtExistingVerilogModules) {
  for (const auto& e : axx::mult::load_catalog(kCatalog)) {
    const auto* family = axx::mult::find_family(e.family);
    ASSERT_NE(family, nullptr) << e.name;
    const auto& variant = e.is_signed ? family->signed_variant : family->unsigned_variant;
    EXPECT_EQ(e.file, variant.file) << e.name;
    EXPECT_EQ(e.top, variant.top) << e.name;
    std::ifstream in(kRtlDir / e.file);
    ASSERT_TRUE(in) << e.file;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("module " + e.top + " "), std::string::npos) << e.top << " in " << e.file;
  }
}

TEST(Catalog, CoversEveryFamilyAndBothExactBaselines) {
  const auto catalog = axx::mult::load_catalog(kCatalog);
  std::set<std::string> families;
  for (const auto& e : catalog) families.insert(e.family);
  for (const auto& name : axx::mult::family_names()) EXPECT_EQ(families.count(name), 1u) << name;
  EXPECT_GE(families.size(), 11u);  // ten approximate families and the exact baseline
  ASSERT_NE(axx::mult::find_entry(catalog, "exact_u8"), nullptr);
  ASSERT_NE(axx::mult::find_entry(catalog, "exact_s8"), nullptr);
  EXPECT_TRUE(axx::mult::find_entry(catalog, "exact_s8")->is_signed);
  EXPECT_FALSE(axx::mult::find_entry(catalog, "exact_u8")->is_signed);
}

TEST(Catalog, RecordsLineNumbersAndParamsInFileOrder) {
  const auto catalog = parse_text(
      "# comment\n"
      "name,family,file,top,signedness,params\n"
      "\n"
      "bam_u8_v6h1,bam,bam.v,bam_u8,unsigned,VBL=6;HBL=1\r\n"
      "exact_s8,exact,exact_s8.v,exact_s8,signed,\n");
  ASSERT_EQ(catalog.size(), 2u);
  EXPECT_EQ(catalog[0].line, 4);
  EXPECT_EQ(catalog[1].line, 5);
  EXPECT_EQ(catalog[0].params, (ParamList{{"VBL", 6}, {"HBL", 1}}));
  EXPECT_EQ(axx::mult::format_params(catalog[0].params), "VBL=6;HBL=1");
  EXPECT_TRUE(catalog[1].params.empty());
  EXPECT_TRUE(catalog[1].is_signed);
}

struct BadLine {
  const char* what;
  const char* text;
  const char* code;
};

class CatalogBadLine : public ::testing::TestWithParam<BadLine> {};

TEST_P(CatalogBadLine, ThrowsItsErrorCode) { EXPECT_EQ(code_of(GetParam().text), GetParam().code); }

const BadLine kBadLines[] = {
    {"five_fields", "bam_u8_v4,bam,bam.v,bam_u8,unsigned\n", "CAT-002"},
    {"seven_fields", "bam_u8_v4,bam,bam.v,bam_u8,unsigned,VBL=4;HBL=0,x\n", "CAT-002"},
    {"upper_case_name", "Bam_u8_v4,bam,bam.v,bam_u8,unsigned,VBL=4;HBL=0\n", "CAT-003"},
    {"unknown_family", "foo_u8,foo,foo.v,foo_u8,unsigned,\n", "CAT-004"},
    {"wrong_file", "bam_u8_v4,bam,drum.v,bam_u8,unsigned,VBL=4;HBL=0\n", "CAT-005"},
    {"wrong_top", "bam_u8_v4,bam,bam.v,bam_s8,unsigned,VBL=4;HBL=0\n", "CAT-007"},
    {"bad_signedness", "bam_u8_v4,bam,bam.v,bam_u8,unsinged,VBL=4;HBL=0\n", "CAT-008"},
    {"no_signed_variant", "etm_s8_l2,etm,etm.v,etm_s8,signed,L=2\n", "CAT-009"},
    {"no_unsigned_variant", "booth_u8_v4,booth,booth.v,booth_u8,unsigned,VBL=4\n", "CAT-009"},
    {"param_without_value", "bam_u8_v4,bam,bam.v,bam_u8,unsigned,VBL4;HBL=0\n", "CAT-010"},
    {"param_not_integer", "bam_u8_v4,bam,bam.v,bam_u8,unsigned,VBL=4.5;HBL=0\n", "CAT-010"},
    {"param_lower_case", "bam_u8_v4,bam,bam.v,bam_u8,unsigned,vbl=4;HBL=0\n", "CAT-010"},
    {"unknown_param", "bam_u8_v4,bam,bam.v,bam_u8,unsigned,VBL=4;HBL=0;K=2\n", "CAT-011"},
    {"param_above_range", "bam_u8_v16,bam,bam.v,bam_u8,unsigned,VBL=16;HBL=0\n", "CAT-012"},
    {"param_below_range", "drum_u8_k2,drum,drum.v,drum_u8,unsigned,K=2\n", "CAT-012"},
    {"negative_param", "bam_u8_v4,bam,bam.v,bam_u8,unsigned,VBL=-1;HBL=0\n", "CAT-012"},
    {"param_twice", "bam_u8_v4,bam,bam.v,bam_u8,unsigned,VBL=4;VBL=4;HBL=0\n", "CAT-013"},
    {"name_twice",
     "bam_u8_v4,bam,bam.v,bam_u8,unsigned,VBL=4;HBL=0\n"
     "bam_u8_v4,bam,bam.v,bam_u8,unsigned,VBL=5;HBL=0\n",
     "CAT-014"},
    {"joint_constraint", "perf_u8_j6k3,perf,perf.v,perf_u8,unsigned,J=6;K=3\n", "CAT-015"},
    {"name_wrong_signedness", "bam_s8_v4,bam,bam.v,bam_u8,unsigned,VBL=4;HBL=0\n", "CAT-016"},
    {"name_wrong_family", "drum_u8_v4,bam,bam.v,bam_u8,unsigned,VBL=4;HBL=0\n", "CAT-016"},
    {"name_trailing_underscore", "bam_u8_,bam,bam.v,bam_u8,unsigned,VBL=4;HBL=0\n", "CAT-016"},
    {"only_comments", "# nothing\nname,family,file,top,signedness,params\n", "CAT-017"},
    {"param_missing", "bam_u8_v4,bam,bam.v,bam_u8,unsigned,VBL=4\n", "CAT-018"},
};

INSTANTIATE_TEST_SUITE_P(Catalog, CatalogBadLine, ::testing::ValuesIn(kBadLines),
                         [](const auto& info) { return std::string(info.param.what); });

TEST(Catalog, ErrorNamesFileAndLine) {
  try {
    parse_text("# header comment\nexact_u8,exact,exact_u8.v,exact_u8,unsigned,\nbad\n");
    FAIL() << "no error";
  } catch (const axx::Error& e) {
    EXPECT_EQ(e.code(), "CAT-002");
    EXPECT_EQ(std::string(e.what()).rfind((kRtlDir / "test.csv").string() + ":3:", 0), 0u) << e.what();
  }
}

TEST(Catalog, MissingCatalogFileThrowsCat001) {
  try {
    axx::mult::load_catalog(kRtlDir / "no_such_catalog.csv");
    FAIL() << "no error";
  } catch (const axx::Error& e) {
    EXPECT_EQ(e.code(), "CAT-001");
  }
}

TEST(Catalog, VerilogFileMissingNextToCatalogThrowsCat006) {
  const auto dir = std::filesystem::temp_directory_path() / "axx_test_catalog_cat006";
  std::filesystem::create_directories(dir);
  const auto csv = dir / "catalog.csv";
  std::ofstream(csv) << "bam_u8_v4,bam,bam.v,bam_u8,unsigned,VBL=4;HBL=0\n";
  try {
    axx::mult::load_catalog(csv);
    FAIL() << "no error";
  } catch (const axx::Error& e) {
    EXPECT_EQ(e.code(), "CAT-006");
  }
  std::filesystem::remove_all(dir);
}

TEST(ValidateParams, UnknownFamilyThrowsCat004) { EXPECT_EQ(validate_code("nope", {}), "CAT-004"); }

TEST(ValidateParams, AcceptsEveryFamilyAtItsKnobLimits) {
  for (const auto& f : axx::mult::family_table()) {
    ParamList at_min, at_max;
    for (const auto& k : f.knobs) {
      at_min.emplace_back(k.name, k.min);
      at_max.emplace_back(k.name, k.max);
    }
    EXPECT_EQ(validate_code(f.name, at_min), "none") << f.name;
    if (f.cross_check == nullptr) {
      EXPECT_EQ(validate_code(f.name, at_max), "none") << f.name;
    }
  }
}

TEST(ValidateParams, RejectsEveryKnobJustOutsideItsRange) {
  for (const auto& f : axx::mult::family_table()) {
    for (size_t i = 0; i < f.knobs.size(); ++i) {
      for (const int64_t bad : {f.knobs[i].min - 1, f.knobs[i].max + 1}) {
        ParamList params;
        for (const auto& k : f.knobs) params.emplace_back(k.name, k.min);
        params[i].second = bad;
        EXPECT_EQ(validate_code(f.name, params), "CAT-012") << f.name << " " << f.knobs[i].name << "=" << bad;
      }
    }
  }
}

TEST(ValidateParams, KnoblessFamiliesRejectAnyParameter) {
  EXPECT_EQ(validate_code("exact", {{"K", 1}}), "CAT-011");
  EXPECT_EQ(validate_code("roba", {{"K", 1}}), "CAT-011");
}

TEST(ValidateParams, PerforationAcceptsJPlusKEqualToEight) {
  EXPECT_EQ(validate_code("perf", {{"J", 5}, {"K", 3}}), "none");
  EXPECT_EQ(validate_code("perf", {{"J", 5}, {"K", 4}}), "CAT-015");
}

// The Verilog checks its knobs at elaboration ($error "<family>: parameter X must be in [a, b]");
// the family table is authoritative, and the two must state the same ranges.
TEST(FamilyTable, KnobRangesMatchTheVerilogChecks) {
  for (const auto& f : axx::mult::family_table()) {
    for (const auto* v : {&f.unsigned_variant, &f.signed_variant}) {
      if (v->file.empty()) continue;
      std::ifstream in(kRtlDir / v->file);
      ASSERT_TRUE(in) << v->file;
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      EXPECT_NE(text.find("module " + v->top + " "), std::string::npos) << v->top;
      for (const auto& k : f.knobs) {
        EXPECT_NE(text.find("parameter " + k.name + " = "), std::string::npos)
            << v->file << " lacks parameter " << k.name;
        const std::string check = f.name + ": parameter " + k.name + " must be in [" + std::to_string(k.min) + ", " +
                                  std::to_string(k.max) + "]";
        EXPECT_NE(text.find(check), std::string::npos) << v->file << " lacks \"" << check << "\"";
      }
    }
  }
}

TEST(FamilyNames, ListsTheFamilyTableInOrderStartingWithExact) {
  const auto names = axx::mult::family_names();
  ASSERT_EQ(names.size(), axx::mult::family_table().size());
  EXPECT_EQ(names.front(), "exact");
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
}

}  // namespace
