// The library folder reader/writer (common/library_folder.hpp): round trips, every accepted shape
// of library.json, and each malformed input with its LIB code naming the file and the field.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/library_folder.hpp"
#include "common/npy.hpp"
#include "common/sha256.hpp"

namespace fs = std::filesystem;
using namespace axx;

namespace {

class LibraryFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("axx-test-libfolder-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `f`, expects axx::Error `code` whose message contains every one of `parts`.
  static void expect_lib(const std::string& code, const std::function<void()>& f,
                         std::initializer_list<std::string> parts) {
    try {
      f();
      ADD_FAILURE() << "expected " << code << ", nothing was thrown";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code) << e.what();
      for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << p << " in: " << e.what();
    }
  }

  static std::vector<int32_t> exact_lut() {
    std::vector<int32_t> v(65536);
    for (int a = 0; a < 256; ++a)
      for (int b = 0; b < 256; ++b) v[size_t(a * 256 + b)] = int32_t(int8_t(a)) * int32_t(int8_t(b));
    return v;
  }

  // A minimal record file <name>.json (+ its LUT when `lut`).
  void record(const std::string& name, bool is_signed, bool lut = true) {
    write_json_atomic(dir_ / (name + ".json"), Json{{"name", name}, {"signed", is_signed}, {"lut", name + ".npy"}});
    if (lut) write_npy_i32(dir_ / (name + ".npy"), exact_lut(), {256, 256});
  }
  void index(const Json& j) { write_json_atomic(dir_ / "library.json", j); }
  std::string index_file() const { return (dir_ / "library.json").string(); }

  fs::path dir_;
};

TEST_F(LibraryFolderTest, RecordRoundTripsThroughWriteAndRead) {
  lib::MultiplierRecord r;
  r.name = "bam_s8_v4";
  r.family = "bam";
  r.top = "bam_s8";
  r.is_signed = true;
  r.sources = {"/rtl/bam.v"};
  r.params = {{"VBL", "4"}, {"HBL", "0"}};
  r.port_a = "x";
  r.port_b = "y";
  r.port_o = "p";
  r.lut = dir_ / "bam_s8_v4.npy";
  r.lut_sha256 = "abc";
  r.rtl_sha256 = "def";
  r.inputs_sha256 = "123";
  r.error.mae_pct = 0.0187;
  r.error.mse = 248.25;
  r.error.mean_error = -12.25;
  r.hw.area_um2 = 9878;
  r.hw.cells = 274;
  r.hw.energy_pj_per_op = 13.9;
  r.tech = Json{{"clock_mhz", 100.0}};
  r.json = Json{{"signed_from", "option"}};  // an untyped field survives
  lib::write_record(dir_ / "bam_s8_v4.json", r);

  const Json raw = read_json_file(dir_ / "bam_s8_v4.json");
  EXPECT_EQ(raw.at("lut"), "bam_s8_v4.npy");  // relative to the record's folder
  EXPECT_EQ(raw.at("signed_from"), "option");

  const lib::MultiplierRecord b = lib::read_record(dir_ / "bam_s8_v4.json");
  EXPECT_EQ(b.name, r.name);
  EXPECT_EQ(b.family, "bam");
  EXPECT_EQ(b.top, r.top);
  EXPECT_TRUE(b.is_signed);
  EXPECT_EQ(b.sources, r.sources);
  EXPECT_EQ(b.params, r.params);
  EXPECT_EQ(b.port_a + b.port_b + b.port_o, "xyp");
  EXPECT_EQ(b.width_a, 8);
  EXPECT_EQ(b.width_o, 16);
  EXPECT_EQ(b.lut, fs::absolute(dir_ / "bam_s8_v4.npy").lexically_normal());
  EXPECT_EQ(b.lut_sha256, "abc");
  EXPECT_EQ(b.rtl_sha256, "def");
  EXPECT_EQ(b.inputs_sha256, "123");
  EXPECT_EQ(b.error.mae_pct, r.error.mae_pct);
  EXPECT_EQ(b.error.mse, 248.25);
  EXPECT_EQ(b.error.mean_error, -12.25);
  EXPECT_FALSE(b.error.wce.has_value());
  EXPECT_EQ(b.hw.cells, 274);
  EXPECT_EQ(b.hw.energy_pj_per_op, 13.9);
  EXPECT_FALSE(b.hw.power_uw.has_value());
  EXPECT_EQ(b.tech, r.tech);
  EXPECT_TRUE(b.stimulus.is_null());
  EXPECT_EQ(b.json.at("signed_from"), "option");
  // Written again from what was read: the same file.
  lib::write_record(dir_ / "again.json", b);
  Json again = read_json_file(dir_ / "again.json");
  EXPECT_EQ(again, raw);
}

TEST_F(LibraryFolderTest, LibraryRoundTripsAndLutsRead) {
  record("exact_s8", true);
  record("exact_u8", false);
  const Json idx{{"version", 1},
                 {"multipliers",
                  {{{"name", "exact_s8"}, {"family", "exact"}, {"record", "exact_s8.json"}, {"mae_pct", 0.0}},
                   {{"name", "exact_u8"}, {"family", "exact"}}}}};
  lib::write_index(dir_, idx);
  EXPECT_EQ(read_json_file(dir_ / "library.json"), idx);
  const lib::LibraryFolder lf = lib::read_library(dir_);
  EXPECT_EQ(lf.index.json, idx);
  EXPECT_EQ(lf.index.names(), (std::vector<std::string>{"exact_s8", "exact_u8"}));
  ASSERT_NE(lf.index.find("exact_u8"), nullptr);
  EXPECT_EQ(lf.index.find("nope"), nullptr);
  EXPECT_EQ(lf.index.entries[0].record, dir_ / "exact_s8.json");
  EXPECT_EQ(lf.index.entries[0].json.at("mae_pct"), 0.0);  // summary fields stay readable
  ASSERT_EQ(lf.records.size(), 2u);
  EXPECT_TRUE(lf.records[0].is_signed);
  EXPECT_FALSE(lf.records[1].is_signed);
  EXPECT_EQ(lf.records[1].family, "exact");
  const std::vector<int32_t> lut = lib::read_lut(lf.records[0]);
  ASSERT_EQ(lut.size(), 65536u);
  EXPECT_EQ(lut[0xFD * 256 + 0x05], -15);  // (-3)·5
  EXPECT_EQ(lib::read_lut_file(dir_ / "exact_s8.npy"), lut);
}

TEST_F(LibraryFolderTest, AcceptsEveryShapeOfLibraryJson) {
  record("a", true);
  record("b", false);
  write_npy_i32(dir_ / "c.npy", exact_lut(), {256, 256});
  auto names_of = [&](const Json& j) {
    index(j);
    const lib::LibraryFolder lf = lib::read_library(dir_);
    std::string s;
    for (size_t i = 0; i < lf.records.size(); ++i) {
      s += lf.index.entries[i].name + (lf.records[i].is_signed ? "s " : "u ");
    }
    return s;
  };
  // A bare array of names; of name objects; of inline records (a hand-made library); mixed.
  EXPECT_EQ(names_of(Json::array({"a", "b"})), "as bu ");
  EXPECT_EQ(names_of(Json::array({Json{{"name", "a"}}, Json{{"name", "b"}}})), "as bu ");
  EXPECT_EQ(names_of(Json::array({Json{{"name", "c"}, {"signed", false}, {"lut", "c.npy"}}})), "cu ");
  EXPECT_EQ(names_of(Json::array({"a", Json{{"name", "c"}, {"signed", true}, {"lut", "c.npy"}}})), "as cs ");
  // An object with a "multipliers" array of the same entries (other members are kept).
  EXPECT_EQ(names_of(Json{{"version", 1}, {"multipliers", {"b", "a"}}}), "bu as ");
  EXPECT_EQ(names_of(Json{{"multipliers", {{{"name", "a"}, {"record", "a.json"}, {"family", "f"}}}}}), "as ");
  // The bare array is presented as an object with "multipliers" of entry objects.
  index(Json::array({"a"}));
  EXPECT_EQ(lib::read_index(dir_).json, (Json{{"multipliers", {{{"name", "a"}}}}}));
  // An empty list is a (empty) library; emptiness is for the caller to judge.
  index(Json{{"multipliers", Json::array()}});
  EXPECT_TRUE(lib::read_library(dir_).records.empty());
}

TEST_F(LibraryFolderTest, RecordFilesWinOverInlineFieldsAndLendTheEntrysLut) {
  // A record file named by "record" in a subfolder; its lut relative to the library folder.
  fs::create_directories(dir_ / "records");
  write_json_atomic(dir_ / "records" / "m.json", Json{{"signed", false}});  // no "lut", no "name"
  index(Json{{"multipliers", {{{"name", "m"}, {"record", "records/m.json"}, {"signed", true}, {"lut", "x.npy"}}}}});
  const lib::LibraryFolder lf = lib::read_library(dir_);
  EXPECT_FALSE(lf.records[0].is_signed);  // the record file, not the entry's summary
  EXPECT_EQ(lf.records[0].name, "m");
  EXPECT_EQ(lf.records[0].lut, fs::absolute(dir_ / "x.npy").lexically_normal());  // the entry's lut
  // Without any lut: <name>.npy in the folder.
  index(Json{{"multipliers", {{{"name", "m"}, {"record", "records/m.json"}}}}});
  EXPECT_EQ(lib::read_library(dir_).records[0].lut, fs::absolute(dir_ / "m.npy").lexically_normal());
}

TEST_F(LibraryFolderTest, MissingOrUnreadableIndexHasItsCode) {
  expect_lib("LIB-001", [&] { lib::read_index(dir_ / "absent"); }, {(dir_ / "absent").string(), "library build"});
  expect_lib("LIB-001", [&] { lib::read_index(dir_); }, {index_file(), "library build"});
  write_file_atomic(dir_ / "library.json", "{\"multipliers\": [");
  expect_lib("LIB-002", [&] { lib::read_index(dir_); }, {index_file(), "JSON"});
}

TEST_F(LibraryFolderTest, WrongShapeOrEntryOfTheIndexHasItsCode) {
  for (const Json& j : {Json(5), Json{{"version", 1}}, Json{{"multipliers", Json::object()}}}) {
    index(j);
    expect_lib("LIB-003", [&] { lib::read_index(dir_); }, {index_file(), "\"multipliers\""});
  }
  index(Json::array({1}));
  expect_lib("LIB-004", [&] { lib::read_index(dir_); }, {index_file(), "[0]", "name"});
  index(Json{{"multipliers", {{{"name", "ok"}}, {{"signed", true}}}}});
  expect_lib("LIB-004", [&] { lib::read_index(dir_); }, {index_file(), "multipliers[1]"});
  index(Json{{"multipliers", {{{"name", 7}}}}});
  expect_lib("LIB-004", [&] { lib::read_index(dir_); }, {"multipliers[0]"});
  index(Json{{"multipliers", {"a", {{"name", "a"}}}}});
  expect_lib("LIB-005", [&] { lib::read_index(dir_); }, {index_file(), "'a'", "multipliers[0]", "multipliers[1]"});
  index(Json{{"multipliers", {{{"name", "a"}, {"record", 5}}}}});
  expect_lib("LIB-010", [&] { lib::read_index(dir_); }, {index_file(), "multipliers[0].record", "a string"});
  index(Json{{"multipliers", {{{"name", "a"}, {"family", Json::array()}}}}});
  expect_lib("LIB-010", [&] { lib::read_index(dir_); }, {"multipliers[0].family"});
}

TEST_F(LibraryFolderTest, MissingOrMalformedRecordHasItsCode) {
  index(Json{{"multipliers", {"ghost"}}});
  expect_lib("LIB-006", [&] { lib::read_library(dir_); }, {(dir_ / "ghost.json").string(), "multipliers[0]"});
  expect_lib("LIB-006", [&] { lib::read_record(dir_ / "ghost.json"); }, {(dir_ / "ghost.json").string()});
  const std::string rec = (dir_ / "ghost.json").string();
  write_file_atomic(dir_ / "ghost.json", "{\"signed\": tru");
  expect_lib("LIB-007", [&] { lib::read_library(dir_); }, {rec, "JSON"});
  write_file_atomic(dir_ / "ghost.json", "[1, 2]");
  expect_lib("LIB-008", [&] { lib::read_library(dir_); }, {rec, "object"});
  write_json_atomic(dir_ / "ghost.json", Json{{"name", "ghost"}, {"lut", "ghost.npy"}});
  expect_lib("LIB-009", [&] { lib::read_library(dir_); }, {rec, "'signed'"});
  write_json_atomic(dir_ / "ghost.json", Json{{"signed", "yes"}});
  expect_lib("LIB-010", [&] { lib::read_record(dir_ / "ghost.json"); }, {rec, "'signed'", "true or false", "yes"});
  write_json_atomic(dir_ / "ghost.json", Json{{"signed", true}, {"error", {{"mae_pct", "big"}}}});
  expect_lib("LIB-010", [&] { lib::read_record(dir_ / "ghost.json"); }, {rec, "'error.mae_pct'", "a number"});
  write_json_atomic(dir_ / "ghost.json", Json{{"signed", true}, {"hw", 3}});
  expect_lib("LIB-010", [&] { lib::read_record(dir_ / "ghost.json"); }, {rec, "'hw'", "an object"});
  write_json_atomic(dir_ / "ghost.json", Json{{"signed", true}, {"sources", {"a.v", 3}}});
  expect_lib("LIB-010", [&] { lib::read_record(dir_ / "ghost.json"); }, {rec, "'sources[1]'"});
  write_json_atomic(dir_ / "ghost.json", Json{{"signed", true}, {"ports", {{"a", "x"}, {"b", "y"}}}});
  expect_lib("LIB-009", [&] { lib::read_record(dir_ / "ghost.json"); }, {rec, "'ports.o'"});
  write_json_atomic(dir_ / "ghost.json", Json{{"signed", true}, {"width_a", 8.5}});
  expect_lib("LIB-010", [&] { lib::read_record(dir_ / "ghost.json"); }, {rec, "'width_a'", "an integer"});
  // A field only a caller requires: named with what needs it.
  write_json_atomic(dir_ / "ghost.json", Json{{"signed", true}, {"error", {{"mae_pct", 1.0}}}});
  const lib::MultiplierRecord r = lib::read_record(dir_ / "ghost.json");
  EXPECT_EQ(r.need(r.error.mae_pct, "error.mae_pct", "the search"), 1.0);
  expect_lib("LIB-009", [&] { r.need(r.error.mse, "error.mse", "the search"); }, {rec, "'error.mse'", "the search"});
  // A mistyped inline record names library.json and the entry's field.
  index(Json{{"multipliers", {{{"name", "x"}, {"signed", "yes"}, {"lut", "x.npy"}}}}});
  expect_lib("LIB-010", [&] { lib::read_library(dir_); }, {index_file(), "'multipliers[0].signed'"});
}

TEST_F(LibraryFolderTest, MissingOrWrongLutHasItsCode) {
  record("m", true, /*lut=*/false);
  const lib::MultiplierRecord r = lib::read_record(dir_ / "m.json");
  const std::string npy = (dir_ / "m.npy").string();
  expect_lib("LIB-011", [&] { lib::read_lut(r); }, {npy, "'lut'", (dir_ / "m.json").string(), "library build"});
  write_file_atomic(dir_ / "m.npy", "not a numpy file");
  expect_lib("LIB-012", [&] { lib::read_lut(r); }, {npy, "'m'"});
  write_npy_i32(dir_ / "m.npy", std::vector<int32_t>(255 * 256), {255, 256});
  expect_lib("LIB-014", [&] { lib::read_lut(r); }, {npy, "(255, 256)", "(256, 256)"});
  expect_lib("LIB-014", [&] { lib::read_lut_file(dir_ / "m.npy"); }, {npy});
  std::string bytes = npy_header("<i8", {256, 256}) + std::string(65536 * 8, '\0');
  write_file_atomic(dir_ / "m.npy", bytes);
  expect_lib("LIB-013", [&] { lib::read_lut(r); }, {npy, "'<i8'", "'<i4'"});
  expect_lib("LIB-011", [&] { lib::read_lut_file(dir_ / "none.npy"); }, {(dir_ / "none.npy").string()});
}

// A table changed after characterization (here: zeros of the right shape and dtype, which every
// other check accepts) is refused wherever the record's hash is known, and only then.
TEST_F(LibraryFolderTest, TableThatIsNotTheRecordedOneIsLib015) {
  record("m", true);
  Json rec = read_json_file(dir_ / "m.json");
  rec["lut_sha256"] = sha256_file(dir_ / "m.npy");
  write_json_atomic(dir_ / "m.json", rec);
  const lib::MultiplierRecord r = lib::read_record(dir_ / "m.json");
  EXPECT_EQ(lib::read_lut(r), exact_lut());
  EXPECT_EQ(lib::read_lut_file(dir_ / "m.npy", r.lut_sha256), exact_lut());
  write_npy_i32(dir_ / "m.npy", std::vector<int32_t>(65536, 0), {256, 256});
  const std::string npy = (dir_ / "m.npy").string();
  expect_lib("LIB-015", [&] { lib::read_lut(r); }, {npy, "'m'", (dir_ / "m.json").string(), "library build"});
  expect_lib("LIB-015", [&] { lib::read_lut_file(dir_ / "m.npy", r.lut_sha256); }, {npy});
  EXPECT_EQ(lib::read_lut_file(dir_ / "m.npy"), std::vector<int32_t>(65536, 0));  // no hash given: no check
}

TEST_F(LibraryFolderTest, WritersRejectMalformedInputAndWriteNothing) {
  expect_lib("LIB-003", [&] { lib::write_index(dir_, Json{{"version", 1}}); }, {index_file()});
  expect_lib("LIB-005", [&] { lib::write_index(dir_, Json::array({"a", "a"})); }, {index_file()});
  EXPECT_FALSE(fs::exists(dir_ / "library.json"));
  expect_lib("LIB-009", [&] { lib::write_record(dir_ / "r.json", Json{{"name", "r"}}); },
             {(dir_ / "r.json").string(), "'signed'"});
  EXPECT_FALSE(fs::exists(dir_ / "r.json"));
}

}  // namespace
