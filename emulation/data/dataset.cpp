// transaxx data — datasets (see dataset.hpp).
#include "emulation/data/dataset.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/error.hpp"
#include "emulation/data/image_decode.hpp"

namespace axx::data {

namespace fs = std::filesystem;

std::vector<std::string> dataset_kinds() { return {"fashion-mnist", "cifar10", "folder"}; }

std::string default_dataset_path(const std::string& kind) {
  if (kind == "fashion-mnist") return "/usr/share/datasets/fashion-mnist";
  return "";
}

namespace {

[[noreturn]] void dataset_missing(const std::string& message) { throw Error("DATA-002", message); }

[[noreturn]] void bad_idx(const std::string& what, const std::string& detail) {
  throw Error("DATA-003", fmt::format("{}: {}", what, detail));
}

[[noreturn]] void unknown_split(const std::string& kind, const std::string& split) {
  throw Error("DATA-005", fmt::format("unknown split '{}' for {}; valid: train, test", split, kind));
}

[[noreturn]] void no_dataset_location(const std::string& message) { throw Error("DATA-009", message); }

[[noreturn]] void images_labels_mismatch(const std::string& message) { throw Error("DATA-011", message); }

[[noreturn]] void label_out_of_range(const std::string& path) {
  throw Error("DATA-012", fmt::format("{}: label above 9", path));
}

}  // namespace

std::string read_maybe_gz(const std::string& path) {
  if (!fs::exists(path)) dataset_missing(fmt::format("dataset file '{}' does not exist", path));
  gzFile f = gzopen(path.c_str(), "rb");  // reads plain files unchanged
  if (!f) throw Error("DATA-008", fmt::format("cannot open dataset file '{}'", path));
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
  int err = 0;
  const char* msg = gzerror(f, &err);
  const bool bad = n < 0 || (err != Z_OK && err != Z_STREAM_END);
  const std::string why = bad ? std::string(msg ? msg : "?") : "";
  gzclose(f);
  if (bad) throw Error("DATA-010", fmt::format("{}: corrupt gzip data ({})", path, why));
  return out;
}

at::Tensor parse_idx(const std::string& b, const std::string& what) {
  auto be32 = [&](size_t o) {
    return (uint32_t(uint8_t(b[o])) << 24) | (uint32_t(uint8_t(b[o + 1])) << 16) | (uint32_t(uint8_t(b[o + 2])) << 8) |
           uint32_t(uint8_t(b[o + 3]));
  };
  if (b.size() < 8) bad_idx(what, "too short for an IDX file");
  const uint32_t magic = be32(0);
  if (magic != 0x0803 && magic != 0x0801) {
    bad_idx(what, fmt::format("bad IDX magic 0x{:08x} (expected 0x00000803 images or 0x00000801 labels)", magic));
  }
  const int dims = magic == 0x0803 ? 3 : 1;
  if (b.size() < size_t(4 + 4 * dims)) bad_idx(what, "truncated IDX header");
  std::vector<int64_t> shape;
  uint64_t n = 1;
  for (int i = 0; i < dims; ++i) {
    shape.push_back(be32(size_t(4 + 4 * i)));
    n *= uint64_t(shape.back());
  }
  const size_t off = size_t(4 + 4 * dims);
  if (b.size() - off != n) {
    bad_idx(what, fmt::format("IDX header promises {} bytes of data, the file has {}", n, b.size() - off));
  }
  at::Tensor t = at::empty(shape, at::kByte);
  std::memcpy(t.data_ptr(), b.data() + off, n);
  return t;
}

namespace {

Dataset finish(std::string name, at::Tensor u8, at::Tensor labels, std::vector<std::string> classes,
               const std::vector<double>& mean, const std::vector<double>& stdv, int64_t limit) {
  if (limit > 0 && limit < u8.size(0)) {
    u8 = u8.narrow(0, 0, limit);
    labels = labels.narrow(0, 0, limit);
  }
  at::Tensor x = u8.to(at::kFloat).div_(255.0);
  const int64_t C = x.size(1);
  at::Tensor m = at::tensor(std::vector<float>(mean.begin(), mean.end())).view({1, C, 1, 1});
  at::Tensor s = at::tensor(std::vector<float>(stdv.begin(), stdv.end())).view({1, C, 1, 1});
  Dataset d;
  d.name = std::move(name);
  d.images = x.sub_(m).div_(s).contiguous();
  d.labels = labels.to(at::kLong).contiguous();
  d.classes = std::move(classes);
  return d;
}

std::string find_file(const std::string& dir, const std::string& base, const std::string& kind_hint) {
  for (const std::string& cand : {base, base + ".gz"}) {
    if (fs::exists(fs::path(dir) / cand)) return (fs::path(dir) / cand).string();
  }
  dataset_missing(fmt::format("{} not found: neither '{}' nor '{}.gz' exists in '{}'; {}", "dataset file", base, base,
                              dir, kind_hint));
}

Dataset load_fmnist(const DatasetSpec& s) {
  const std::string dir = s.path.empty() ? default_dataset_path("fashion-mnist") : s.path;
  const std::string hint = s.path.empty() ? "install the Debian package: apt-get install dataset-fashion-mnist"
                                          : "give as the dataset path the folder holding the Fashion-MNIST IDX files";
  if (s.split != "train" && s.split != "test") unknown_split("fashion-mnist", s.split);
  const std::string prefix = s.split == "train" ? "train" : "t10k";
  const std::string ip = find_file(dir, prefix + "-images-idx3-ubyte", hint);
  const std::string lp = find_file(dir, prefix + "-labels-idx1-ubyte", hint);
  at::Tensor im = parse_idx(read_maybe_gz(ip), ip);
  at::Tensor lb = parse_idx(read_maybe_gz(lp), lp);
  if (im.dim() != 3 || lb.dim() != 1) images_labels_mismatch(fmt::format("{} / {}: images and labels swapped?", ip, lp));
  if (im.size(0) != lb.size(0)) {
    images_labels_mismatch(fmt::format("{} has {} images but {} has {} labels", ip, im.size(0), lp, lb.size(0)));
  }
  if (lb.numel() && lb.max().item<int>() > 9) label_out_of_range(lp);
  return finish("fashion-mnist/" + s.split, im.unsqueeze(1), lb,
                {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
                {0.2860}, {0.3530}, s.limit);
}

Dataset load_cifar10(const DatasetSpec& s) {
  if (s.path.empty()) {
    no_dataset_location("cifar10 has no default location: give as the dataset path the folder 'cifar-10-batches-bin' "
                        "(the binary version from https://www.cs.toronto.edu/~kriz/cifar.html)");
  }
  std::vector<std::string> files;
  if (s.split == "train") {
    for (int i = 1; i <= 5; ++i) files.push_back(fmt::format("data_batch_{}.bin", i));
  } else if (s.split == "test") {
    files.push_back("test_batch.bin");
  } else {
    unknown_split("cifar10", s.split);
  }
  std::vector<at::Tensor> ims, lbs;
  constexpr size_t rec = 1 + 3072;
  for (const auto& f : files) {
    const std::string p = (fs::path(s.path) / f).string();
    if (!fs::exists(p)) dataset_missing(fmt::format("CIFAR-10 batch '{}' does not exist", p));
    const std::string b = read_maybe_gz(p);
    if (b.empty() || b.size() % rec) {
      throw Error("DATA-013", fmt::format("{}: {} bytes is not a whole number of 3073-byte CIFAR-10 records", p, b.size()));
    }
    const int64_t n = int64_t(b.size() / rec);
    at::Tensor raw = at::empty({n, int64_t(rec)}, at::kByte);
    std::memcpy(raw.data_ptr(), b.data(), b.size());
    at::Tensor lb = raw.select(1, 0).clone();
    if (lb.max().item<int>() > 9) label_out_of_range(p);
    ims.push_back(raw.narrow(1, 1, 3072).reshape({n, 3, 32, 32}));
    lbs.push_back(lb);
    if (s.limit > 0 && int64_t(ims.size()) * 10000 >= s.limit) break;
  }
  return finish("cifar10/" + s.split, at::cat(ims), at::cat(lbs),
                {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"},
                {0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}, s.limit);
}

Dataset load_folder(const DatasetSpec& s) {
  if (s.path.empty()) no_dataset_location("the folder dataset needs a dataset path: a folder with one subfolder per class");
  fs::path root = s.path;
  if (!fs::is_directory(root)) dataset_missing(fmt::format("dataset folder '{}' does not exist", s.path));
  if (fs::is_directory(root / s.split)) root /= s.split;
  std::vector<std::string> classes;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory()) classes.push_back(e.path().filename().string());
  std::sort(classes.begin(), classes.end());
  if (classes.empty()) {
    throw Error("DATA-006", fmt::format("'{}' has no class subfolders (expected <folder>/<class>/<image>.jpg)", root.string()));
  }
  std::vector<std::pair<std::string, int64_t>> items;
  for (size_t c = 0; c < classes.size(); ++c) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(root / classes[c])) {
      std::string ext = e.path().extension().string();
      std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
      if (e.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png")) files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    for (auto& f : files) items.emplace_back(f, int64_t(c));
  }
  if (items.empty()) throw Error("DATA-014", fmt::format("no .jpg/.jpeg/.png images under '{}'", root.string()));
  if (s.limit > 0 && int64_t(items.size()) > s.limit) {
    // Take every k-th so a limited run still covers all classes.
    std::vector<std::pair<std::string, int64_t>> kept;
    const double step = double(items.size()) / double(s.limit);
    for (int64_t i = 0; i < s.limit; ++i) kept.push_back(items[size_t(double(i) * step)]);
    items = kept;
  }
  const int64_t side = s.img_size;
  at::Tensor out = at::empty({int64_t(items.size()), 3, side, side}, at::kByte);
  at::Tensor labels = at::empty({int64_t(items.size())}, at::kLong);
  for (size_t i = 0; i < items.size(); ++i) {
    out[int64_t(i)].copy_(eval_transform(decode_image(items[i].first), side));
    labels[int64_t(i)] = items[i].second;
  }
  Dataset d = finish("folder/" + root.filename().string(), out, labels, classes, {0.485, 0.456, 0.406},
                     {0.229, 0.224, 0.225}, 0);
  return d;
}

}  // namespace

Dataset load_dataset(const DatasetSpec& spec) {
  if (spec.kind == "fashion-mnist") return load_fmnist(spec);
  if (spec.kind == "cifar10") return load_cifar10(spec);
  if (spec.kind == "folder") return load_folder(spec);
  std::string valid;
  for (const auto& k : dataset_kinds()) valid += (valid.empty() ? "" : ", ") + k;
  throw Error("DATA-001", fmt::format("unknown dataset '{}'; valid: {}", spec.kind, valid));
}

Dataset slice(const Dataset& d, int64_t begin, int64_t count) {
  Dataset o = d;
  begin = std::clamp<int64_t>(begin, 0, d.size());
  count = std::clamp<int64_t>(count, 0, d.size() - begin);
  o.images = d.images.narrow(0, begin, count);
  o.labels = d.labels.narrow(0, begin, count);
  return o;
}

Dataset random_subset(const Dataset& d, int64_t n, uint64_t seed) {
  at::Generator g = at::detail::createCPUGenerator(seed);
  at::Tensor idx = at::randperm(d.size(), g, at::kLong).narrow(0, 0, std::min<int64_t>(n, d.size()));
  Dataset o = d;
  o.images = d.images.index_select(0, idx);
  o.labels = d.labels.index_select(0, idx);
  return o;
}

}  // namespace axx::data
