// transaxx — NumPy .npy reading and writing (format versions 1.0–3.0 read, 1.0 written).
//
// The LUT contract (docs/architecture.md) is a (256, 256) array of dtype '<i4' in C order; other tools
// hand us histograms of other numeric dtypes, so the reader keeps the raw bytes and converts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace axx {

struct NpyArray {
  std::string descr;           ///< NumPy dtype string, e.g. "<i4", "<f8", "|u1"
  bool fortran_order = false;  ///< true when the data is column-major
  std::vector<size_t> shape;
  std::vector<char> data;      ///< raw little-endian element bytes

  size_t size() const;         ///< number of elements (product of shape)
  /// Elements as doubles in C order; supports bool, (u)int8/16/32/64, float32/64.
  /// Throws axx::Error "NPY-003" for other dtypes, "NPY-004" for big-endian ones.
  std::vector<double> to_double() const;
};

/// Reads any .npy file. Throws axx::Error "NPY-001" (not a .npy / truncated / bad header),
/// "NPY-010" (a shape dimension of more than 15 digits), "NPY-011" (a shape whose data would be
/// larger than the file), naming the file and what was wrong.
NpyArray read_npy(const std::filesystem::path& path);

/// Reads a (rows, cols) '<i4' array (C order) as required for LUTs.
/// Throws axx::Error "NPY-002" naming the file, the expected and the found dtype/shape.
std::vector<int32_t> read_npy_i32_matrix(const std::filesystem::path& path, size_t rows, size_t cols);

/// The .npy 1.0 preamble (magic, version, padded header) for an array of `descr` and `shape` in
/// C order; the raw little-endian data follows it.
std::string npy_header(const std::string& descr, const std::vector<size_t>& shape);

/// Serializes an '<i4' array of the given shape to .npy 1.0 bytes (C order).
std::string npy_bytes_i32(const std::vector<int32_t>& values, const std::vector<size_t>& shape);

/// Writes an '<i4' .npy atomically (temp file + rename).
void write_npy_i32(const std::filesystem::path& path, const std::vector<int32_t>& values,
                   const std::vector<size_t>& shape);

}  // namespace axx
