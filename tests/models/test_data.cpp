// Datasets: Fashion-MNIST from the Debian package, and bad inputs (generated fixtures).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "emulation/data/dataset.hpp"

using namespace axx;
using namespace axx::data;
namespace fs = std::filesystem;

namespace {

std::string code_of(const DatasetSpec& s) {
  try {
    load_dataset(s);
  } catch (const Error& e) {
    return e.code();
  }
  return "";
}

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

std::string be32(uint32_t v) {
  return {char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}

}  // namespace

TEST(FashionMnist, LoadsTheDebianPackage) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  DatasetSpec s;
  s.limit = 100;
  const Dataset d = load_dataset(s);
  EXPECT_EQ(d.images.sizes(), (std::vector<int64_t>{100, 1, 28, 28}));
  EXPECT_EQ(d.labels.sizes(), (std::vector<int64_t>{100}));
  EXPECT_EQ(d.classes.size(), 10u);
  EXPECT_EQ(d.labels[0].item<int64_t>(), 9);  // the first test image is an ankle boot
}

TEST(FashionMnist, MissingFolderThrowsData002) {
  DatasetSpec s;
  s.path = "/nonexistent/fmnist";
  EXPECT_EQ(code_of(s), "DATA-002");
}

TEST(FashionMnist, CorruptIdxThrowsData003) {
  const fs::path d = fresh_dir("axx_fmnist_bad");
  write(d / "t10k-images-idx3-ubyte", be32(0x0803) + be32(2) + be32(28) + be32(28) + std::string(100, 'x'));
  write(d / "t10k-labels-idx1-ubyte", be32(0x0801) + be32(2) + std::string(2, '\1'));
  DatasetSpec s;
  s.path = d.string();
  EXPECT_EQ(code_of(s), "DATA-003");  // truncated images
  write(d / "t10k-images-idx3-ubyte", be32(0x1234) + be32(2));
  EXPECT_EQ(code_of(s), "DATA-003");  // bad magic
  write(d / "t10k-images-idx3-ubyte", be32(0x0803) + be32(3) + be32(28) + be32(28) + std::string(3 * 784, '\0'));
  EXPECT_EQ(code_of(s), "DATA-011");  // 3 images, 2 labels
  write(d / "t10k-images-idx3-ubyte", be32(0x0803) + be32(2) + be32(28) + be32(28) + std::string(2 * 784, '\0'));
  const Dataset ok = load_dataset(s);
  EXPECT_EQ(ok.size(), 2);
  write(d / "t10k-images-idx3-ubyte.gz", "not gzip at all");  // a plain file is read as is
}

TEST(Datasets, UnknownKindAndSplit) {
  DatasetSpec s;
  s.kind = "mnist-foo";
  EXPECT_EQ(code_of(s), "DATA-001");
  s.kind = "fashion-mnist";
  s.split = "validation";
  EXPECT_EQ(code_of(s), "DATA-005");
}

TEST(Cifar10, ReadsGeneratedBatchesAndRejectsRaggedOnes) {
  const fs::path d = fresh_dir("axx_cifar");
  std::string rec;
  for (int i = 0; i < 3; ++i) rec += char(i) + std::string(3072, char(10 * i));
  write(d / "test_batch.bin", rec);
  DatasetSpec s;
  s.kind = "cifar10";
  s.path = d.string();
  const Dataset ds = load_dataset(s);
  EXPECT_EQ(ds.images.sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
  EXPECT_EQ(ds.labels[2].item<int64_t>(), 2);
  write(d / "test_batch.bin", rec.substr(0, 5000));
  EXPECT_EQ(code_of(s), "DATA-013");
}

TEST(ImageFolder, CorruptJpegThrowsData004AndEmptyFolderData006) {
  const fs::path d = fresh_dir("axx_folder");
  DatasetSpec s;
  s.kind = "folder";
  s.path = d.string();
  EXPECT_EQ(code_of(s), "DATA-006");
  fs::create_directories(d / "cat");
  write(d / "cat" / "a.jpg", std::string("\xff\xd8\xff\xe0garbage", 11));
  EXPECT_EQ(code_of(s), "DATA-004");
}
