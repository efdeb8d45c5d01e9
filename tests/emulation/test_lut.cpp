// Multipliers: built-ins, LUT files (docs/architecture.md format) and the library folder.
#include <fstream>

#include "common/json.hpp"
#include "common/npy.hpp"
#include "emulation/lut.hpp"
#include "test_util.hpp"

namespace axx::emu {
namespace {

using test::expect_error;

// An .npy with an arbitrary dtype string and raw payload (to build bad files).
void write_raw_npy(const std::filesystem::path& p, const std::string& descr,
                   const std::string& shape, size_t payload_bytes) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::ofstream f(p, std::ios::binary);
  f.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = uint16_t(header.size());
  f.put(char(len & 0xff));
  f.put(char(len >> 8));
  f << header;
  std::string zeros(payload_bytes, '\0');
  f << zeros;
}

TEST(Multiplier, ExactBuiltinsAreExactProducts) {
  auto s = make_exact_multiplier(true);
  auto u = make_exact_multiplier(false);
  EXPECT_TRUE(s->is_exact());
  EXPECT_TRUE(u->is_exact());
  EXPECT_EQ(s->table->lut()[0xFD * 256 + 0x05], -15);   // (-3)·5
  EXPECT_EQ(u->table->lut()[0xFD * 256 + 0x05], 1265);  // 253·5
  EXPECT_EQ(s->table->lut()[0x80 * 256 + 0x80], 16384);
}

TEST(Multiplier, LoadsNpyTableAndDetectsItIsApproximate) {
  const auto dir = test::temp_dir("lut");
  auto v = test::random_lut(1, -32768, 32767);
  write_npy_i32(dir / "m.npy", v, {256, 256});
  auto m = load_multiplier("m", true, dir / "m.npy");
  EXPECT_FALSE(m->is_exact());
  EXPECT_EQ(m->table->lut()[123 * 256 + 45], v[123 * 256 + 45]);
  EXPECT_TRUE(at::equal(m->lut_tensor(), test::lut_tensor(v)));
  std::filesystem::remove_all(dir);
}

TEST(Multiplier, RejectsWrongShape) {
  const auto dir = test::temp_dir("lut");
  write_npy_i32(dir / "m.npy", std::vector<int32_t>(255 * 256), {255, 256});
  expect_error("LIB-014", [&] { load_multiplier("m", true, dir / "m.npy"); });
  std::filesystem::remove_all(dir);
}

TEST(Multiplier, RejectsWrongDtype) {
  const auto dir = test::temp_dir("lut");
  write_raw_npy(dir / "m.npy", "<i8", "(256, 256)", 65536 * 8);
  const auto msg = expect_error("LIB-013", [&] { load_multiplier("m", true, dir / "m.npy"); });
  EXPECT_NE(msg.find("<i4"), std::string::npos);
  write_raw_npy(dir / "f.npy", "<f4", "(256, 256)", 65536 * 4);
  expect_error("LIB-013", [&] { load_multiplier("f", true, dir / "f.npy"); });
  std::filesystem::remove_all(dir);
}

TEST(Multiplier, RejectsMissingOrGarbageFile) {
  const auto dir = test::temp_dir("lut");
  expect_error("LIB-011", [&] { load_multiplier("m", true, dir / "none.npy"); });
  std::ofstream(dir / "bad.npy") << "not a numpy file";
  expect_error("LIB-012", [&] { load_multiplier("m", true, dir / "bad.npy"); });
  std::filesystem::remove_all(dir);
}

TEST(Multiplier, RejectsEntriesOutsideTheProductRange) {
  auto v = test::random_lut(2, 0, 65535);
  expect_error("EMU-004", [&] { make_multiplier("u_as_signed", true, test::lut_tensor(v)); });
  EXPECT_NO_THROW(make_multiplier("u", false, test::lut_tensor(v)));
  v[7] = -1;
  expect_error("EMU-004", [&] { make_multiplier("u", false, test::lut_tensor(v)); });
}

TEST(Multiplier, RejectsBadTensor) {
  expect_error("EMU-002", [] { make_multiplier("x", true, at::zeros({256, 256}, at::kFloat)); });
  expect_error("EMU-003", [] { make_multiplier("x", true, at::zeros({256, 128}, at::kInt)); });
}

class LibraryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir("lib");
    write_npy_i32(dir_ / "trunc_u8.npy", test::random_lut(3, 0, 65535), {256, 256});
    write_npy_i32(dir_ / "evo_s8.npy", test::random_lut(4, -32768, 32767), {256, 256});
    write_json_atomic(dir_ / "trunc_u8.json", Json{{"name", "trunc_u8"}, {"signed", false}, {"lut", "trunc_u8.npy"}});
    write_json_atomic(dir_ / "library.json",
                      Json{{"multipliers", Json::array({"trunc_u8", Json{{"name", "evo_s8"}, {"signed", true}, {"lut", "evo_s8.npy"}}})}});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(LibraryTest, ListsBuiltinsAndRecords) {
  auto lib = MultiplierLibrary::load(dir_);
  const auto names = lib.names();
  for (const char* n : {"exact", "exact_s8", "exact_u8", "trunc_u8", "evo_s8"}) {
    EXPECT_TRUE(lib.contains(n)) << n;
  }
  EXPECT_EQ(names.size(), 5u);
  auto m = lib.get("trunc_u8");
  EXPECT_FALSE(m->is_signed);
  EXPECT_EQ(lib.get("trunc_u8").get(), m.get());  // loaded once
  EXPECT_TRUE(lib.get("evo_s8")->is_signed);
}

TEST_F(LibraryTest, UnknownNameListsValidOnes) {
  auto lib = MultiplierLibrary::load(dir_);
  const auto msg = test::expect_error("EMU-011", [&] { lib.get("nope"); });
  EXPECT_NE(msg.find("trunc_u8"), std::string::npos);
  EXPECT_NE(msg.find("exact_u8"), std::string::npos);
}

TEST_F(LibraryTest, MissingFolderOrRecordIsAnError) {
  test::expect_error("LIB-001", [&] { MultiplierLibrary::load(dir_ / "absent"); });
  write_json_atomic(dir_ / "library.json", Json::array({"ghost"}));
  test::expect_error("LIB-006", [&] { MultiplierLibrary::load(dir_); });
  write_json_atomic(dir_ / "library.json", Json::array({Json{{"name", "x"}, {"signed", "yes"}, {"lut", "a.npy"}}}));
  test::expect_error("LIB-010", [&] { MultiplierLibrary::load(dir_); });
}

}  // namespace
}  // namespace axx::emu
