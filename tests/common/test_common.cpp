#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/image.hpp"
#include "common/npy.hpp"
#include "common/sha256.hpp"
#include "common/subprocess.hpp"

namespace fs = std::filesystem;
using namespace axx;

namespace {
fs::path temp_dir(const std::string& tag) {
  fs::path d = fs::temp_directory_path() / ("axx-test-common-" + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
}  // namespace

TEST(Sha256, MatchesFipsTestVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 h;
  for (int i = 0; i < 1000; ++i) h.update(std::string(1000, 'a'));
  EXPECT_EQ(h.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Npy, RoundTripsInt32MatrixWithAlignedHeader) {
  const fs::path d = temp_dir("npy");
  std::vector<int32_t> v(256 * 256);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int32_t>(i) - 30000;
  write_npy_i32(d / "m.npy", v, {256, 256});
  const std::string raw = read_file(d / "m.npy");
  const size_t header_len = static_cast<unsigned char>(raw[8]) | (static_cast<unsigned char>(raw[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_EQ(read_npy_i32_matrix(d / "m.npy", 256, 256), v);
  fs::remove_all(d);
}

TEST(Npy, RejectsWrongShapeAndDtypeWithCode) {
  const fs::path d = temp_dir("npy-bad");
  write_npy_i32(d / "v.npy", std::vector<int32_t>(10), {10});
  try {
    read_npy_i32_matrix(d / "v.npy", 256, 256);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "NPY-002");
  }
  write_file_atomic(d / "junk.npy", "not numpy at all");
  try {
    read_npy(d / "junk.npy");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "NPY-001");
  }
  fs::remove_all(d);
}

TEST(Npy, ConvertsOtherDtypesToDouble) {
  const fs::path d = temp_dir("npy-f8");
  std::string bytes = npy_header("<f8", {2, 2});
  const double vals[4] = {1.5, -2, 0, 1e10};
  bytes.append(reinterpret_cast<const char*>(vals), sizeof(vals));
  write_file_atomic(d / "f.npy", bytes);
  const NpyArray a = read_npy(d / "f.npy");
  EXPECT_EQ(a.shape, (std::vector<size_t>{2, 2}));
  EXPECT_EQ(a.to_double(), (std::vector<double>{1.5, -2, 0, 1e10}));
  fs::remove_all(d);
}

TEST(Fs, AtomicWriteLeavesNoTemporaryAndReplacesContent) {
  const fs::path d = temp_dir("fs");
  write_file_atomic(d / "sub" / "x.txt", "one");
  write_file_atomic(d / "sub" / "x.txt", "two");
  EXPECT_EQ(read_file(d / "sub" / "x.txt"), "two");
  int files = 0;
  for (const auto& e : fs::directory_iterator(d / "sub")) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  fs::remove_all(d);
}

TEST(Fs, UnwritableFolderIsReportedWithCode) {
  const fs::path d = temp_dir("fs-bad");
  write_file_atomic(d / "plain_file", "x");
  try {
    ensure_writable_dir(d / "plain_file" / "sub");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "IO-003");
  }
  fs::remove_all(d);
}

TEST(Subprocess, PassesArgumentsWithoutAShell) {
  const fs::path d = temp_dir("proc");
  const std::string weird = "a b;$(touch pwned)'\"*";
  const int rc = run_process({"printf", "%s", weird}, {{}, d / "log.txt", {}});
  EXPECT_EQ(rc, 0);
  const std::string log = read_file(d / "log.txt");
  EXPECT_NE(log.find(weird), std::string::npos);
  EXPECT_FALSE(fs::exists("pwned"));
  EXPECT_EQ(run_process({"false"}), 1);
  fs::remove_all(d);
}

TEST(Subprocess, MissingProgramNamesTheDebianPackage) {
  try {
    require_program("definitely-not-a-program-axx", "some-package");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "PROC-002");
    EXPECT_NE(std::string(e.what()).find("some-package"), std::string::npos);
  }
}

TEST(Subprocess, FailedToolShowsExitStatusAndLogTail) {
  const fs::path d = temp_dir("proc-fail");
  try {
    run_tool_checked("T-001", "the shell", {"sh", "-c", "echo the-last-words; exit 3"}, {{}, d / "log.txt", {}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "T-001");
    const std::string msg = e.what();
    EXPECT_NE(msg.find("exit status 3"), std::string::npos);
    EXPECT_NE(msg.find("the-last-words"), std::string::npos);
    EXPECT_NE(msg.find((d / "log.txt").string()), std::string::npos);
  }
  fs::remove_all(d);
}

TEST(Image, EncodesPngSignatureAndBase64) {
  std::vector<Rgb> px(4, Rgb{255, 0, 0});
  const std::string png = encode_png(px, 2, 2);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(base64_encode("Man"), "TWFu");
  EXPECT_EQ(base64_encode("Ma"), "TWE=");
  EXPECT_EQ(base64_encode("M"), "TQ==");
  const Rgb white = diverging_color(0);
  EXPECT_EQ(white.r + white.g + white.b, 3 * 255);
}
