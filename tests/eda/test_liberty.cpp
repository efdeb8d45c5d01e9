#include <gtest/gtest.h>

#include "common/error.hpp"
#include "eda/liberty.hpp"
#include "../cli_util.hpp"

using namespace axx;
using namespace axx::flows;

TEST(BoolFunction, EvaluatesLibertyOperatorsWithPrecedence) {
  const std::vector<std::string> pins = {"A", "B", "C"};
  // Word bit t holds input combination t: A = bit0, B = bit1, C = bit2 of t.
  const uint64_t A = 0xAA, B = 0xCC, C = 0xF0;
  const uint64_t in[3] = {A, B, C};
  auto eval = [&](const std::string& f) { return BoolFunction::parse(f, pins).eval(in) & 0xFF; };
  EXPECT_EQ(eval("(!((A B)+C))"), ~((A & B) | C) & 0xFF);  // AOI21
  EXPECT_EQ(eval("A B + C"), ((A & B) | C) & 0xFF);        // juxtaposition binds tighter than +
  EXPECT_EQ(eval("A'"), ~A & 0xFF);
  EXPECT_EQ(eval("A^B*C"), ((A ^ B) & C) & 0xFF);  // XOR binds tighter than AND in Liberty
  EXPECT_EQ(eval("!A|B&C"), ((~A) | (B & C)) & 0xFF);
  EXPECT_EQ(eval("1"), 0xFFu);
  EXPECT_EQ(eval("0"), 0u);
}

TEST(BoolFunction, RejectsUnknownPinWithCode) {
  try {
    BoolFunction::parse("A & Z", {"A", "B"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "LTY-003");
  }
}

TEST(Liberty, ReadsOsu018CellsUnitsAndTables) {
  const auto lib = load_liberty(default_liberty_path());
  EXPECT_EQ(lib->name, "osu018_stdcells");
  EXPECT_DOUBLE_EQ(lib->voltage, 1.8);
  EXPECT_EQ(lib->cells.size(), 32u);
  const LibCell* aoi = lib->cell("AOI21X1");
  ASSERT_NE(aoi, nullptr);
  EXPECT_DOUBLE_EQ(aoi->area, 32);
  EXPECT_DOUBLE_EQ(aoi->leakage_nw, 0.0515209);
  EXPECT_DOUBLE_EQ(aoi->pin("A")->capacitance_pf, 0.0173593);
  const LibPin* y = aoi->pin("Y");
  ASSERT_EQ(y->timing.size(), 3u);
  // At an index point the lookup returns the table entry: cell_fall A->Y, load 0.005, slew 0.06.
  EXPECT_NEAR(y->timing[0].cell_fall.lookup(0.005, 0.06), 0.047915, 1e-12);
  // Between points it interpolates bilinearly.
  const double mid = y->timing[0].cell_fall.lookup(0.00875, 0.12);
  EXPECT_NEAR(mid, (0.047915 + 0.060212 + 0.05909 + 0.074221) / 4, 1e-9);
  EXPECT_FALSE(y->power.empty());
  EXPECT_TRUE(lib->cell("DFFPOSX1")->sequential);
  const LibCell* fa = lib->cell("FAX1");
  ASSERT_NE(fa, nullptr);
  EXPECT_EQ(fa->output_pin_indices.size(), 2u);
}

TEST(Liberty, MissingFileAndSyntaxErrorsHaveCodes) {
  const auto d = test::temp_dir("lib");
  try {
    load_liberty(d / "nope.lib");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "LTY-005");
  }
  write_file_atomic(d / "bad.lib", "library(x) {\n  cell(A) {\n    area : 1;\n");
  try {
    load_liberty(d / "bad.lib");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "LTY-001");
    EXPECT_NE(std::string(e.what()).find("bad.lib:"), std::string::npos);
  }
  std::filesystem::remove_all(d);
}
