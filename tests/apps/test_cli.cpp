// The transaxx program: bad inputs give one clear error with its code, exit status 1 (2 for
// usage), and leave no partial output.
#include <gtest/gtest.h>

#include "common/npy.hpp"
#include "common/subprocess.hpp"
#include "../cli_util.hpp"

using namespace axx;
namespace fs = std::filesystem;

namespace {

struct BadInput {
  std::string label;
  std::vector<std::string> args;  ///< after "characterize"; the output folder is appended
  std::string code;
  std::vector<std::string> mentions;  ///< substrings the message must contain
};

class CliBadInput : public ::testing::TestWithParam<BadInput> {};

fs::path fixtures() {
  static fs::path d = [] {
    fs::path p = test::temp_dir("cli-fixtures");
    std::vector<int32_t> v(100, 1);
    write_npy_i32(p / "wrong_shape.npy", v, {10, 10});
    // A complex64 (256, 256) array: the right shape, a dtype that is not a count.
    std::string bytes = npy_header("<c8", {256, 256});
    bytes.append(65536 * 8, '\0');
    write_file_atomic(p / "complex.npy", bytes);
    write_file_atomic(p / "a_file", "x");
    return p;
  }();
  return d;
}

}  // namespace

TEST_P(CliBadInput, ExitsOneWithCodeAndWritesNothing) {
  const BadInput& c = GetParam();
  const fs::path out = test::temp_dir("cli-" + c.label);
  std::vector<std::string> args = {"characterize"};
  args.insert(args.end(), c.args.begin(), c.args.end());
  if (c.code != "IO-003") {
    args.push_back("--out");
    args.push_back(out.string());
  }
  const auto r = test::run_cli(args);
  EXPECT_EQ(r.rc, 1) << r.output;
  EXPECT_NE(r.output.find("error " + c.code), std::string::npos) << r.output;
  for (const auto& m : c.mentions) EXPECT_NE(r.output.find(m), std::string::npos) << m << "\n" << r.output;
  EXPECT_EQ(test::count_outputs(out), 0);
  fs::remove_all(out);
}

INSTANTIATE_TEST_SUITE_P(
    Characterize, CliBadInput,
    ::testing::Values(
        BadInput{"missing", {"no/such/file.v"}, "CHR-001", {"no/such/file.v"}},
        BadInput{"syntax", {test::data("bad_syntax.v").string()}, "CHR-002", {"bad_syntax.v:3", "syntax error"}},
        BadInput{"two-tops", {test::data("two_tops.v").string()}, "CHR-003", {"mul_one", "mul_two", "--top"}},
        BadInput{"unknown-top", {test::data("two_tops.v").string(), "--top", "nope"}, "CHR-003", {"mul_one"}},
        BadInput{"ports", {test::data("wrong_ports.v").string()}, "CHR-004", {"wrong_ports", "output o [8 bits]"}},
        BadInput{"flipflop", {test::data("with_ff.v").string()}, "CHR-005", {"with_ff", "$dff", "with_ff.v:2"}},
        BadInput{"latch", {test::data("with_latch.v").string()}, "CHR-005", {"$dlatch", "with_latch.v:2"}},
        BadInput{"constant", {test::data("const_out.v").string()}, "CHR-006", {"const_out", "constant"}},
        BadInput{"wrong-port-name", {test::data("named_ports.v").string(), "--a", "q"}, "CHR-004", {"--a q"}},
        BadInput{"stim-shape",
                 {test::rtl("exact_u8.v").string(), "--stimulus", (fixtures() / "wrong_shape.npy").string()},
                 "STIM-002",
                 {"wrong_shape.npy", "(10, 10)", "(256, 256)"}},
        BadInput{"stim-dtype",
                 {test::rtl("exact_u8.v").string(), "--stimulus", (fixtures() / "complex.npy").string()},
                 "STIM-001",
                 {"complex.npy", "<c8"}},
        BadInput{"stim-missing", {test::rtl("exact_u8.v").string(), "--stimulus", "nope.npy"}, "STIM-001",
                 {"nope.npy"}},
        BadInput{"unwritable-out",
                 {test::rtl("exact_u8.v").string(), "--out", (fixtures() / "a_file" / "sub").string()},
                 "IO-003",
                 {"a_file"}},
        BadInput{"clock", {test::rtl("exact_u8.v").string(), "--clock-mhz", "0"}, "CHR-010", {"--clock-mhz"}}),
    [](const auto& info) {
      std::string n = info.param.label;
      for (char& ch : n)
        if (ch == '-') ch = '_';
      return n;
    });

TEST(Cli, MissingYosysOrVerilatorNamesTheDebianPackage) {
  const fs::path out = test::temp_dir("cli-tools");
  const fs::path bin = out / "bin";
  fs::create_directories(bin);
  auto r = test::run_cli({"characterize", test::rtl("exact_u8.v").string(), "--out", (out / "o").string()},
                         {{"PATH", bin.string()}});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.output.find("PROC-002"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Debian package 'yosys'"), std::string::npos) << r.output;
  // Yosys present, Verilator missing.
  fs::create_symlink(find_program("yosys"), bin / "yosys");
  fs::create_symlink(find_program("berkeley-abc"), bin / "berkeley-abc");
  r = test::run_cli({"characterize", test::rtl("exact_u8.v").string(), "--out", (out / "o").string()},
                    {{"PATH", bin.string()}});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.output.find("Debian package 'verilator'"), std::string::npos) << r.output;
  EXPECT_EQ(test::count_outputs(out / "o"), 0);
  fs::remove_all(out);
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(test::run_cli({}).rc, 2);
  EXPECT_EQ(test::run_cli({"characterise"}).rc, 2);
  EXPECT_EQ(test::run_cli({"characterize", "x.v", "--no-such-flag"}).rc, 2);
  EXPECT_EQ(test::run_cli({"characterize", "x.v", "--signed", "--unsigned"}).rc, 2);
  EXPECT_EQ(test::run_cli({"characterize", "x.v", "--param", "K"}).rc, 2);
  EXPECT_EQ(test::run_cli({"characterize", "x.v", "--clock-mhz", "fast"}).rc, 2);
  EXPECT_EQ(test::run_cli({"library", "build", "-j", "0"}).rc, 2);
}

TEST(Cli, HelpAndVersion) {
  auto r = test::run_cli({"--version"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.output.find("transaxx "), std::string::npos);
  r = test::run_cli({"characterize", "--help"});
  EXPECT_EQ(r.rc, 0);
  for (const char* opt : {"--top", "--signed", "--liberty", "--clock-mhz", "--stimulus", "--out", "--json"}) {
    EXPECT_NE(r.output.find(opt), std::string::npos) << opt;
  }
  r = test::run_cli({"library", "build", "--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.output.find("--jobs"), std::string::npos);
}

TEST(Cli, FileNamesWithSpacesAndShellCharactersWork) {
  const fs::path d = test::temp_dir("cli-names");
  const fs::path dir = d / "my dir; $(echo hi) & 'q'";
  fs::create_directories(dir);
  const fs::path file = dir / "trunc #1 $x.v";
  fs::copy_file(test::data("trunc_u8.v"), file);
  const auto r = test::run_cli({"characterize", file.string(), "--param", "K=4", "--out", (dir / "out put").string(),
                                "--json"});
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("\"mae_pct\""), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "out put" / "trunc_u8.json"));
  EXPECT_TRUE(fs::exists(dir / "out put" / "trunc_u8.npy"));
  fs::remove_all(d);
}
