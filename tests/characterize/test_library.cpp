// Library builds: parallel, incremental, and a build killed with SIGKILL resumes to the same
// library, redoing only what was unfinished.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <regex>
#include <set>
#include <thread>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "characterize/library.hpp"
#include "../cli_util.hpp"

using namespace axx;
namespace fs = std::filesystem;


namespace {

// Four truncated multipliers, one per file, differing in their default K.
fs::path make_multiplier_folder(const fs::path& root) {
  const fs::path dir = root / "mults";
  fs::create_directories(dir);
  const std::string src = read_file(test::data("trunc_u8.v"));
  for (int k : {2, 3, 4, 5}) {
    std::string v = std::regex_replace(src, std::regex("module trunc_u8 #\\(parameter K = 6\\)"),
                                       "module trunc_k" + std::to_string(k) + " #(parameter K = " +
                                           std::to_string(k) + ")");
    write_file_atomic(dir / ("trunc_k" + std::to_string(k) + ".v"), v);
  }
  return dir;
}

Json comparable(const fs::path& lib) {
  Json j = read_json_file(lib / "library.json");
  return j["multipliers"];
}

}  // namespace

TEST(Library, ParallelBuildIndexesEveryMultiplierWithParetoAndPlots) {
  const fs::path d = test::temp_dir("lib-par");
  const fs::path mults = make_multiplier_folder(d);
  const auto r = test::run_cli({"library", "build", mults.string(), test::rtl("exact_u8.v").string(), "--out",
                                (d / "lib").string(), "-j", "2"});
  ASSERT_EQ(r.rc, 0) << r.output;
  const Json lib = read_json_file(d / "lib" / "library.json");
  ASSERT_EQ(lib["multipliers"].size(), 5u);
  // K grows → error grows and power falls: every design is Pareto-optimal, and exact is 1.0.
  for (const auto& m : lib["multipliers"]) {
    EXPECT_TRUE(m["pareto"].get<bool>()) << m["name"];
    if (m["name"] == "exact_u8") {
      EXPECT_DOUBLE_EQ(m["power_rel_exact"].get<double>(), 1.0);
    } else {
      EXPECT_LT(m["power_rel_exact"].get<double>(), 1.0);
    }
  }
  const std::string csv = read_file(d / "lib" / "library.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 6);
  EXPECT_NE(read_file(d / "lib" / "library.svg").find("<svg"), std::string::npos);
  const auto ls = test::run_cli({"library", "list", (d / "lib").string()});
  EXPECT_EQ(ls.rc, 0);
  EXPECT_NE(ls.output.find("trunc_k4"), std::string::npos);
  // Files have no family: one row, whose best front instance is the cheapest (K = 5).
  const auto fam = test::run_cli({"library", "list", (d / "lib").string(), "--families"});
  EXPECT_EQ(fam.rc, 0);
  EXPECT_NE(fam.output.find("| (files) | 5 | trunc_k5 |"), std::string::npos) << fam.output;
  const auto again = test::run_cli({"library", "build", mults.string(), test::rtl("exact_u8.v").string(), "--out",
                                    (d / "lib").string(), "-j", "2"});
  EXPECT_NE(again.output.find("0 built, 5 up to date"), std::string::npos) << again.output;
  fs::remove_all(d);
}

TEST(Library, KilledBuildResumesToTheSameLibrary) {
  const fs::path d = test::temp_dir("lib-kill");
  const fs::path mults = make_multiplier_folder(d);
  const auto ref = test::run_cli({"library", "build", mults.string(), "--out", (d / "ref").string(), "-j", "1"});
  ASSERT_EQ(ref.rc, 0) << ref.output;

  // Start a build, kill it with SIGKILL once the first multiplier is finished.
  const fs::path lib = d / "lib";
  const pid_t pid = test::spawn_quiet({"library", "build", mults.string(), "--out", lib.string(), "-j", "1"});
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (!fs::exists(lib / "trunc_k2.json") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the build finished before it could be killed";
  EXPECT_FALSE(fs::exists(lib / "library.json"));

  const auto resumed = test::run_cli({"library", "build", mults.string(), "--out", lib.string(), "-j", "1"});
  ASSERT_EQ(resumed.rc, 0) << resumed.output;
  std::smatch m;
  const std::string& out = resumed.output;
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"((\d+) built, (\d+) up to date)"))) << out;
  const int built = std::stoi(m[1]), reused = std::stoi(m[2]);
  EXPECT_GE(reused, 1) << out;
  EXPECT_EQ(built + reused, 4);
  EXPECT_EQ(comparable(lib), comparable(d / "ref"));
  for (const auto& e : fs::directory_iterator(lib)) {
    if (e.path().extension() == ".json") {
      EXPECT_NO_THROW(read_json_file(e.path())) << e.path();
    }
  }
  fs::remove_all(d);
}

TEST(Library, MissingInputAndDuplicateNamesAreErrors) {
  const fs::path d = test::temp_dir("lib-bad");
  auto r = test::run_cli({"library", "build", (d / "nope").string(), "--out", (d / "lib").string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.output.find("CHR-101"), std::string::npos) << r.output;
  fs::create_directories(d / "x");
  fs::copy_file(test::data("trunc_u8.v"), d / "x" / "exact_u8.v");
  r = test::run_cli({"library", "build", (d / "x").string(), test::rtl("exact_u8.v").string(), "--out",
                     (d / "lib").string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.output.find("exact_u8"), std::string::npos) << r.output;
  r = test::run_cli({"library", "list", (d / "x").string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.output.find("LIB-001"), std::string::npos) << r.output;
  fs::remove_all(d);
}

TEST(Library, OnlyKeepsTheNamedMultipliersAndRejectsUnknownNames) {
  const fs::path d = test::temp_dir("lib-only");
  const fs::path catalog = test::rtl("catalog.csv");
  auto r = test::run_cli({"library", "build", catalog.string(), "--only", "exact_u8", "trunc_u8_k7", "--out",
                          (d / "lib").string(), "-j", "2"});
  // trunc_u8_k7 is not a catalog name: usage error naming the valid ones, nothing built.
  EXPECT_EQ(r.rc, 2) << r.output;
  EXPECT_NE(r.output.find("CHR-105"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bam_s8_v4"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(d / "lib" / "library.json"));
  r = test::run_cli({"library", "build", catalog.string(), "--only", "exact_u8", "etm_u8_l3", "--out",
                     (d / "lib").string(), "-j", "2"});
  ASSERT_EQ(r.rc, 0) << r.output;
  const Json lib = read_json_file(d / "lib" / "library.json");
  ASSERT_EQ(lib["multipliers"].size(), 2u);
  std::set<std::string> names;
  for (const auto& m : lib["multipliers"]) names.insert(m["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"exact_u8", "etm_u8_l3"}));
  fs::remove_all(d);
}

TEST(Library, MalformedIndexIsALibErrorNotACrash) {
  const fs::path d = test::temp_dir("lib-badindex");
  write_file_atomic(d / "library.json", "[1, 2]");
  auto r = test::run_cli({"library", "list", d.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.output.find("LIB-004"), std::string::npos) << r.output;
  write_file_atomic(d / "library.json", R"({"multipliers": [{"signed": true}]})");
  r = test::run_cli({"library", "list", d.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.output.find("LIB-004"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("multipliers[0]"), std::string::npos) << r.output;
  write_file_atomic(d / "library.json", R"({"version": 1})");
  r = test::run_cli({"library", "list", d.string()});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.output.find("LIB-003"), std::string::npos) << r.output;
  // Fields a hand-made index lacks are shown as "-".
  write_file_atomic(d / "library.json", R"({"multipliers": [{"name": "mine", "signed": true}]})");
  r = test::run_cli({"library", "list", d.string()});
  EXPECT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("mine"), std::string::npos) << r.output;
  // A bare array of names (as the emulator has always read it) lists too.
  write_file_atomic(d / "library.json", R"(["theirs"])");
  r = test::run_cli({"library", "list", d.string()});
  EXPECT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("theirs"), std::string::npos) << r.output;
  fs::remove_all(d);
}
