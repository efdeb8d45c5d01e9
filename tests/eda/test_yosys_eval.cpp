// Yosys' own evaluation of a multiplier's RTL (the third opinion when Verilator's RTL and
// gate-level tables differ), with real Yosys.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/fs.hpp"
#include "eda/yosys.hpp"
#include "../cli_util.hpp"
#include "../expect_error.hpp"

using namespace axx;
using namespace axx::flows;
namespace fs = std::filesystem;

namespace {

DesignInfo info_of(const std::string& top, const std::string& a, const std::string& b, const std::string& o) {
  DesignInfo info;
  info.top = top;
  info.port_a = a;
  info.port_b = b;
  info.port_o = o;
  return info;
}

}  // namespace

TEST(YosysEval, SubmoduleDesignGivesTheProductsInOrder) {
  const fs::path work = test::temp_dir("yosys-eval");
  DesignSpec spec;
  spec.files = {test::data("ripple_u8.v")};
  const std::vector<std::pair<int, int>> pairs = {{1, 32}, {255, 255}, {0, 7}, {13, 200}};
  const auto r = evaluate_rtl(spec, info_of("ripple_u8", "A", "B", "O"), pairs, work);
  ASSERT_EQ(r.size(), pairs.size());
  for (size_t k = 0; k < pairs.size(); ++k) {
    EXPECT_EQ(r[k].value, pairs[k].first * pairs[k].second) << pairs[k].first << "*" << pairs[k].second;
    EXPECT_EQ(r[k].unknown, 0);
  }
  EXPECT_TRUE(fs::exists(work / "eval.ys"));
  EXPECT_TRUE(fs::exists(work / "eval.log"));
  fs::remove_all(work);
}

TEST(YosysEval, ParameterOverridesAndOperandOrderApply) {
  const fs::path work = test::temp_dir("yosys-eval-param");
  DesignSpec spec;
  spec.files = {test::data("trunc_u8.v")};
  spec.params = {{"K", "5"}};
  // Truncation drops the partial products a_i*b_j with i + j < 5: 31 * 1 keeps nothing.
  const auto r = evaluate_rtl(spec, info_of("trunc_u8", "a", "b", "o"), {{31, 1}, {32, 1}, {255, 255}}, work, "k5");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].value, 0);
  EXPECT_EQ(r[1].value, 32);
  EXPECT_LT(r[2].value, 255 * 255);
  EXPECT_TRUE(fs::exists(work / "k5.log"));
  // named_ports computes 2*w + x: the operands go to the ports by name.
  spec = {};
  spec.files = {test::data("named_ports.v")};
  const auto n = evaluate_rtl(spec, info_of("named_ports", "x", "w", "y"), {{5, 7}}, work);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0].value, 2 * 7 + 5);
  fs::remove_all(work);
}

TEST(YosysEval, UndrivenBitsAreUnknown) {
  const fs::path work = test::temp_dir("yosys-eval-x");
  write_file_atomic(work / "xo.v",
                    "module xo(input [7:0] a, input [7:0] b, output [15:0] o);\n"
                    "  wire [7:0] u;\n"
                    "  assign o = {u, a & b};\n"
                    "endmodule\n");
  DesignSpec spec;
  spec.files = {work / "xo.v"};
  const auto r = evaluate_rtl(spec, info_of("xo", "a", "b", "o"), {{3, 1}}, work);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].unknown, 0xff00);
  EXPECT_EQ(r[0].value & 0x00ff, 1);
  fs::remove_all(work);
}

TEST(YosysEval, FailureNamesTheLog) {
  const fs::path work = test::temp_dir("yosys-eval-fail");
  DesignSpec spec;
  spec.files = {test::data("ripple_u8.v")};
  const std::string msg = test::expect_error(
      "YSY-020", [&] { evaluate_rtl(spec, info_of("ripple_u8", "A", "B", "nope"), {{1, 1}}, work); });
  EXPECT_NE(msg.find("eval.log"), std::string::npos) << msg;
  fs::remove_all(work);
}
