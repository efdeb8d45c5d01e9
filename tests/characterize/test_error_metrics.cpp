// Error statistics of a table (characterize/error_metrics.hpp) on small hand-made tables with
// exact expected values, and how records and `library list` carry them (old records included).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <unistd.h>

#include "characterize/error_metrics.hpp"
#include "characterize/library.hpp"
#include "common/fs.hpp"
#include "common/library_folder.hpp"
#include "common/npy.hpp"

using namespace axx;
using namespace axx::flows;
namespace fs = std::filesystem;

namespace {

// exact(a, b) + err(a, b) for every pair (a, b as byte codes).
std::vector<int32_t> table(bool sgn, const std::function<int(int, int)>& err) {
  std::vector<int32_t> lut(65536);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) lut[size_t(a * 256 + b)] = exact_product(a, b, sgn) + err(a, b);
  return lut;
}

TEST(ErrorStats, ConstantOffsetIsAPureBiasThatCompensationRemoves) {
  for (bool sgn : {true, false}) {
    const ErrorMetrics m = compute_error_metrics(table(sgn, [](int, int) { return 3; }), sgn);
    EXPECT_EQ(m.mean_error, 3.0);
    EXPECT_EQ(m.error_std, 0.0);
    EXPECT_EQ(m.comp_mean_error, 0.0);
  }
  const ErrorMetrics x = compute_error_metrics(table(true, [](int, int) { return 0; }), true);
  EXPECT_EQ(x.mean_error, 0.0);
  EXPECT_EQ(x.error_std, 0.0);
  EXPECT_EQ(x.comp_mean_error, 0.0);
}

TEST(ErrorStats, HalvesRoundAwayFromZeroAndLeaveTheirRemainder) {
  // e = 1 for even a: mu(b) = 0.5 for every b, t = llround(0.5) = 1, residual 0.5 - 1 = -0.5.
  const ErrorMetrics m = compute_error_metrics(table(true, [](int a, int) { return a % 2 == 0; }), true);
  EXPECT_EQ(m.mean_error, 0.5);
  EXPECT_EQ(m.error_std, 0.5);
  EXPECT_EQ(m.comp_mean_error, -0.5);
  // e = -b for a % 4 == 0: mu(b) = -b/4; residuals per b mod 4: 0, -0.25, +0.5 (-0.5 rounds to -1),
  // +0.25 -> 0.5 per 4 columns, 32 over 256 columns, 32 / 256 = 0.125.
  const ErrorMetrics n = compute_error_metrics(table(false, [](int a, int b) { return a % 4 == 0 ? -b : 0; }), false);
  EXPECT_EQ(n.mean_error, -127.5 / 4);
  EXPECT_EQ(n.comp_mean_error, 0.125);
  // E[e^2] = (1/4)·mean(b^2) = (1/4)·(255·511/6); std = sqrt(E[e^2] - mean^2).
  EXPECT_NEAR(n.error_std, std::sqrt(255.0 * 511 / 6 / 4 - (127.5 / 4) * (127.5 / 4)), 1e-12);
}

TEST(ErrorStats, AnErrorOfTheWeightCodeAloneIsFullyCompensated) {
  // e = b (byte value): mean 127.5, std of 0..255 = sqrt((256^2 - 1) / 12), and t(b) = b exactly.
  const ErrorMetrics m = compute_error_metrics(table(true, [](int, int b) { return b; }), true);
  EXPECT_EQ(m.mean_error, 127.5);
  EXPECT_NEAR(m.error_std, std::sqrt((65536.0 - 1) / 12), 1e-12);
  EXPECT_EQ(m.comp_mean_error, 0.0);
}

TEST(ErrorStats, LibraryListShowsThemAndComputesThemForOldRecords) {
  const fs::path d = fs::temp_directory_path() / ("axx_errstats_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  const std::vector<int32_t> lut = table(true, [](int a, int) { return a % 2 == 0; });
  write_npy_i32(d / "old.npy", lut, {256, 256});
  // An old record: error metrics without the new statistics; an entry without a record or LUT.
  write_file_atomic(d / "old.json", R"({"name": "old", "signed": true, "lut": "old.npy", "error": {"mean_error": 0.5}})");
  write_file_atomic(d / "library.json",
                    R"({"multipliers": [{"name": "old", "signed": true, "mae_pct": 0.01}, {"name": "gone", "signed": true}]})");
  const Json l = with_error_stats(d, read_json_file(d / "library.json"));
  const Json& old = l["multipliers"][0];
  EXPECT_EQ(old["mean_error"].get<double>(), 0.5);
  EXPECT_EQ(old["error_std"].get<double>(), 0.5);
  EXPECT_EQ(old["comp_mean_error"].get<double>(), -0.5);
  EXPECT_FALSE(l["multipliers"][1].contains("error_std"));
  const std::string t = format_library_table(l);
  EXPECT_NE(t.find("comp bias"), std::string::npos) << t;
  EXPECT_NE(t.find("-0.500"), std::string::npos) << t;
  // The record itself carries them after a write (library_folder keeps the typed fields).
  lib::MultiplierRecord r = lib::read_record(d / "old.json");
  EXPECT_FALSE(r.error.error_std.has_value());
  r.error.error_std = 0.5;
  r.error.comp_mean_error = -0.5;
  lib::write_record(d / "new.json", r);
  const lib::MultiplierRecord b = lib::read_record(d / "new.json");
  EXPECT_EQ(b.error.error_std, 0.5);
  EXPECT_EQ(b.error.comp_mean_error, -0.5);
  fs::remove_all(d);
}

}  // namespace
