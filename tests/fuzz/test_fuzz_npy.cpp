// Fuzzes the .npy reader (common/npy): read_npy, to_double and read_npy_i32_matrix.
#include <gtest/gtest.h>

#include <cstring>

#include "common/fs.hpp"
#include "common/npy.hpp"
#include "tests/expect_error.hpp"
#include "tests/fuzz/fuzz_dir.hpp"
#include "tests/fuzz/fuzz_util.hpp"

using namespace axx;

namespace {

template <class T>
std::string npy_of(const std::string& descr, const std::vector<size_t>& shape, const std::vector<T>& v) {
  std::string out = npy_header(descr, shape);
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  return out;
}

std::vector<std::string> seeds() {
  std::vector<int32_t> lut(16);
  for (int i = 0; i < 16; ++i) lut[size_t(i)] = (i / 4 - 2) * (i % 4 - 2);
  std::string v2 = npy_of("<i4", {4, 4}, lut);  // the same as format 2.0 (4-byte header length)
  v2[6] = 2;
  v2.insert(10, 2, '\0');
  std::string fortran = npy_of<double>("<f8", {2, 3}, {1, 2, 3, 4, 5, 6});
  const size_t f = fortran.find("False");
  fortran.replace(f, 5, "True ");
  fortran.erase(fortran.find("True ") + 4, 1);
  fortran.insert(fortran.find('\n'), " ");
  return {npy_bytes_i32(lut, {4, 4}),
          v2,
          fortran,
          npy_of<float>("<f4", {3}, {1.5f, -2.f, 0.f}),
          npy_of<uint8_t>("|u1", {2, 2}, {0, 1, 254, 255}),
          npy_of<uint8_t>("|b1", {4}, {0, 1, 1, 0}),
          npy_of<int16_t>("<i2", {2, 1}, {-3, 7}),
          npy_of<uint64_t>("<u8", {1}, {~0ull}),
          npy_of<int64_t>("<i8", {}, {-5})};
}

const std::vector<std::string> kDictionary = {
    "\x93NUMPY", "\x01\x00", "\x02\x00", "\x03\x00", "'descr'", "'fortran_order'", "'shape'", ": ", "True",
    "False", "(", ")", ",", "<i4", "<i8", "<u2", ">i4", "|b1", "<f4", "<f8", "<f2", "<c8", "<i16", "<i0", "<i9",
    "<U3", "|O", "<i-4", "<i99999999999999999999", "18446744073709551615", "4294967296", "65536, 65536, 65536",
    "{", "}", "'", "\n", "                                "};

/// Reads `bytes` as a .npy file every way the project does.
void parse(const std::filesystem::path& file, const std::string& bytes) {
  fuzz::write_bytes(file, bytes);
  const NpyArray a = read_npy(file);
  if (a.size() <= (1u << 20)) a.to_double();
  read_npy_i32_matrix(file, 4, 4);
}

}  // namespace

TEST(FuzzNpy, EveryInputIsReadOrRefusedWithACode) {
  fuzz::ScratchDir dir("npy");
  const fuzz::Spec spec{"npy", seeds(), kDictionary, {"NPY-", "IO-"}};
  for (const auto& s : spec.seeds) {  // the seeds are valid files
    fuzz::write_bytes(dir.path / "seed.npy", s);
    EXPECT_NO_THROW(read_npy(dir.path / "seed.npy").to_double()) << fuzz::hex(s, 200);
  }
  const auto outcomes = fuzz::run_fuzz(spec, [&](const std::string& b) { parse(dir.path / "x.npy", b); });
  EXPECT_GT(outcomes.size(), 3u);  // the mutations reach several checks
}

// Inputs the fuzzer found that were not refused with a code (the fuzzer's input number, then
// what it was): each must now be the coded error.
TEST(FuzzNpy, FoundInputsAreRefusedWithCodes) {
  fuzz::ScratchDir dir("npy-found");
  const std::filesystem::path f = dir.path / "x.npy";
  const std::vector<std::pair<std::string, std::string>> found = {
      // 473: a shape dimension of 21 digits (std::out_of_range from std::stoul)
      {"934e554d50590200760000007b276465736372273a20273c6934272c2027666f727472616e5f6f72646572273a2046616c7365002c"
       "20277368617065273a2028343c6939393939393939393939393939393939393939392c2034293c66322c207d2020202020202020202020"
       "2020202020202020202020202020202020202020202020202020202020202020202020200a202020202020202020202020202020200a04"
       "0000000200000000000000feffffff020000000100000000000000ffffffff0000000000000000000000",
       "NPY-010"},
      // 542: the same in a 1.0 header
      {"934e554d5059010076007b276465736372273a20277c7531272c2027666f727472616e5f6f72646572273a2046616c73652c2027736861"
       "7065273a2028322c39393939393939393939393939393939393939393939392032292c20617065273a2028322c2033292c207d2020202020"
       "20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020ffffffff00000000000000"
       "000000000000000000feffffffffffffff696e660000000001000000",
       "NPY-010"},
  };
  for (const auto& [h, code] : found) {
    fuzz::write_bytes(f, fuzz::unhex(h));
    test::expect_error(code, [&] { read_npy(f); });
  }
  // Found by reading the code the fuzzer runs: a shape whose byte count wraps around size_t (it
  // passed the size check and to_double read far past the data), an item size beyond 8 bytes
  // (to_double copied 16 bytes into an 8-byte integer), a negative item size.
  fuzz::write_bytes(f, npy_header("<i4", {size_t(1) << 32, size_t(1) << 32, 4}) + std::string(64, '\0'));
  test::expect_error("NPY-011", [&] { read_npy(f); });
  fuzz::write_bytes(f, npy_header("<i16", {2}) + std::string(32, '\1'));
  test::expect_error("NPY-003", [&] { read_npy(f).to_double(); });
  // UBSan: sign-extending a negative '<i8' shifted a negative value left (undefined); now exact.
  fuzz::write_bytes(f, npy_of<int64_t>("<i8", {3}, {-5, INT64_MIN, 7}));
  EXPECT_EQ(read_npy(f).to_double(), (std::vector<double>{-5, double(INT64_MIN), 7}));
  fuzz::write_bytes(f, npy_of<int16_t>("<i2", {2}, {-3, 32767}));
  EXPECT_EQ(read_npy(f).to_double(), (std::vector<double>{-3, 32767}));
  fuzz::write_bytes(f, npy_header("<i-4", {2}) + std::string(32, '\1'));
  test::expect_error("NPY-001", [&] { read_npy(f); });
}
