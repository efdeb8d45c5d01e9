// Fuzzes the library folder reader (common/library_folder): records (read_record), library.json
// (read_index / read_library) and LUT files (read_lut_file, with and without the record's SHA-256).
#include <gtest/gtest.h>

#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/library_folder.hpp"
#include "common/npy.hpp"
#include "common/sha256.hpp"
#include "tests/expect_error.hpp"
#include "tests/fuzz/fuzz_dir.hpp"
#include "tests/fuzz/fuzz_util.hpp"

using namespace axx;
namespace fs = std::filesystem;

namespace {

std::vector<int32_t> exact_lut() {
  std::vector<int32_t> v(65536);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b) v[size_t(a * 256 + b)] = int32_t(int8_t(a)) * int32_t(int8_t(b));
  return v;
}

/// A record as `transaxx library build` writes it (every typed field set).
Json full_record(const fs::path& dir, const std::string& lut_sha) {
  lib::MultiplierRecord r;
  r.name = "m";
  r.family = "bam";
  r.top = "bam_s8";
  r.is_signed = true;
  r.sources = {"/rtl/bam.v"};
  r.params = {{"VBL", "4"}, {"HBL", "0"}};
  r.lut = dir / "m.npy";
  r.lut_sha256 = lut_sha;
  r.rtl_sha256 = "def";
  r.inputs_sha256 = "123";
  r.error.mae_pct = 0.0187;
  r.error.wce = 4096;
  r.error.mse = 248.25;
  r.error.mean_error = -12.25;
  r.hw.area_um2 = 9878;
  r.hw.delay_ns = 3.5;
  r.hw.power_uw = 120.5;
  r.hw.cells = 412;
  r.tech = Json{{"liberty", "osu018_stdcells.lib"}, {"voltage", 1.8}};
  return lib::to_json(r);
}

const std::vector<std::string> kDictionary = {
    "\"name\"", "\"signed\"", "\"lut\"", "\"lut_sha256\"", "\"record\"", "\"family\"", "\"multipliers\"",
    "\"sources\"", "\"source\"", "\"params\"", "\"ports\"", "\"width_a\"", "\"width_o\"", "\"error\"", "\"hw\"",
    "\"cells\"", "\"area_um2\"", "\"top\"", "\"m\"", "\"m.npy\"", "\"m.json\"", "\"..\"", "\"/\"", "\"\"",
    "true", "false", "null", ": ", ",", "[", "]", "{", "}", "\\u0000", "\\ud800", "\"\\", "1e999", "-1",
    "\x93NUMPY", "'shape': (256, 256)", "'shape': (65536,)", "'descr': '<i8'", "'fortran_order': True"};

}  // namespace

TEST(FuzzLibraryFolder, EveryRecordIndexAndLutIsReadOrRefusedWithACode) {
  fuzz::ScratchDir dir("library");
  const fs::path d = dir.path;
  const std::string lut = npy_bytes_i32(exact_lut(), {256, 256});
  const std::string lut_sha = sha256_hex(lut);
  fuzz::write_bytes(d / "m.npy", lut);
  write_json_atomic(d / "m.json", full_record(d, lut_sha));
  const std::vector<std::string> seeds = {
      full_record(d, lut_sha).dump(1),
      Json{{"name", "m"}, {"signed", true}, {"lut", "m.npy"}}.dump(),
      Json{{"version", 1}, {"multipliers", Json::array({"m", Json{{"name", "m2"}, {"record", "m.json"}}})}}.dump(1),
      Json::array({Json{{"name", "h"}, {"signed", false}, {"lut", "m.npy"}, {"family", "hand"}}}).dump(),
      lut,
      npy_bytes_i32(std::vector<int32_t>(16, 7), {4, 4}),
  };
  // The seeds: two records, two indexes (object and bare array), a LUT and a 4x4 array.
  fs::create_directories(d / "seed");
  fuzz::write_bytes(d / "seed" / "m.json", seeds[0]);
  fuzz::write_bytes(d / "seed" / "m.npy", lut);
  for (size_t i = 0; i < seeds.size(); ++i) {
    const fs::path f = d / "seed" / (i < 2 ? "r.json" : i < 4 ? "library.json" : "x.npy");
    fuzz::write_bytes(f, seeds[i]);
    if (i < 2) EXPECT_NO_THROW(lib::read_record(f)) << seeds[i];
    else if (i < 4) EXPECT_NO_THROW(lib::read_library(d / "seed")) << seeds[i];
    else if (i == 4) EXPECT_NO_THROW(lib::read_lut_file(f, lut_sha));  // (the 4x4 one reaches the shape check)
  }
  const fuzz::Spec spec{"library", seeds, kDictionary, {"LIB-", "NPY-", "IO-", "JSON-"}};
  const auto outcomes = fuzz::run_fuzz(spec, [&](const std::string& b) {
    if (b.rfind("\x93NUMPY", 0) == 0) {
      fuzz::write_bytes(d / "x.npy", b);
      lib::read_lut_file(d / "x.npy");
      lib::read_lut_file(d / "x.npy", lut_sha);
      return;
    }
    // The input as a record next to the others, then (whether or not it is one) as the folder's
    // library.json. A refusal of the first must have a code of the library folder's parts too.
    fuzz::write_bytes(d / "x.json", b);
    try {
      lib::to_json(lib::read_record(d / "x.json"));
    } catch (const Error& e) {
      if (e.code().rfind("LIB-", 0) != 0 && e.code().rfind("JSON-", 0) != 0) throw;
    }
    fuzz::write_bytes(d / "library.json", b);
    const lib::LibraryFolder f = lib::read_library(d);
    for (const auto& rec : f.records) lib::read_lut(rec);
  });
  EXPECT_GT(outcomes.size(), 5u);
}

// Inputs the fuzzer found that were not refused with a code: each must now be the coded error.
TEST(FuzzLibraryFolder, FoundInputsAreRefusedWithCodes) {
  fuzz::ScratchDir dir("library-found");
  // 3915: a record with "width_b": 1e309 (nlohmann's out_of_range 406 escaped as a non-axx error);
  // now JSON-010 inside the record's LIB-007.
  const std::string rec =
      "{\n \"name\": \"m\",\n \"family\": \"bam\",\n \"top\": \"bam_s8\",\n \"signed\": true,\n \"width_a\": 8,\n"
      " \"width_b\":1e309 8,\n \"width_o\": 16,\n \"lut\": \"m.npy\"\n}";
  fuzz::write_bytes(dir.path / "m.json", rec);
  const std::string msg = test::expect_error("LIB-007", [&] { lib::read_record(dir.path / "m.json"); });
  EXPECT_NE(msg.find("1e309"), std::string::npos) << msg;
  fuzz::write_bytes(dir.path / "library.json", "[{\"name\": \"m\", \"signed\": true, \"lut\": 1e400}]");
  test::expect_error("LIB-002", [&] { lib::read_index(dir.path); });
}
