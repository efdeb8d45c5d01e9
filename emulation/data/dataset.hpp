// transaxx data — image classification datasets as tensors.
//
// Registry (dataset_kinds()): "fashion-mnist" (IDX files, default folder from the Debian package
// dataset-fashion-mnist, plain or .gz), "cifar10" (the binary batches), "folder" (ImageNet-style:
// one subfolder per class, JPEG/PNG, resize + centre crop). Images come back normalized, float
// [N, C, H, W]; labels int64 [N].
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace axx::data {

struct Dataset {
  std::string name;                  ///< e.g. "fashion-mnist/test"
  at::Tensor images;                 ///< float [N, C, H, W], normalized with mean/std below
  at::Tensor labels;                 ///< int64 [N], in [0, classes.size())
  std::vector<std::string> classes;  ///< class names
  int64_t size() const { return images.defined() ? images.size(0) : 0; }
};

struct DatasetSpec {
  std::string kind = "fashion-mnist";  ///< one of dataset_kinds()
  std::string path;                    ///< folder; "" = the kind's default location
  std::string split = "test";          ///< "train" or "test" (folder: a subfolder of that name if present)
  int64_t limit = 0;                   ///< keep the first `limit` images (0 = all)
  int64_t img_size = 224;              ///< folder only: output side after resize + centre crop, pixels
};

/// "fashion-mnist", "cifar10", "folder".
std::vector<std::string> dataset_kinds();
/// Default folder of a kind ("" when it has none).
std::string default_dataset_path(const std::string& kind);

/// Loads a dataset. Errors: DATA-001 unknown kind (lists valid), DATA-002 missing files (names the
/// path and the Debian package / download to get), DATA-003 malformed IDX file, DATA-004 corrupt
/// image file, DATA-005 bad split, DATA-006 folder dataset without class folders, DATA-008
/// unopenable file, DATA-009 no path given where there is no default, DATA-010 corrupt gzip,
/// DATA-011 image and label files that do not match, DATA-012 a label above 9, DATA-013 a ragged
/// CIFAR-10 batch, DATA-014 folder dataset without images, DATA-015/016 (image_decode.hpp).
Dataset load_dataset(const DatasetSpec& spec);

/// Parses IDX bytes (magic 0x0803 images [N, R, C] or 0x0801 labels [N]); DATA-003 when malformed.
at::Tensor parse_idx(const std::string& bytes, const std::string& what);
/// Reads a file, gunzipping when it is gzip-compressed; DATA-002 when missing, DATA-008 when it
/// cannot be opened, DATA-010 for corrupt gzip data.
std::string read_maybe_gz(const std::string& path);

/// Rows [begin, begin + count) (clamped) of a dataset.
Dataset slice(const Dataset& d, int64_t begin, int64_t count);
/// A deterministic split: `n` images picked by a seeded permutation (for calibration).
Dataset random_subset(const Dataset& d, int64_t n, uint64_t seed);

}  // namespace axx::data
