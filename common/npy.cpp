#include "common/npy.hpp"

#include <cstring>
#include <regex>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/fs.hpp"

namespace axx {

namespace {

const char kMagic[] = "\x93NUMPY";

std::string shape_text(const std::vector<size_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) s += ",";
    if (i + 1 < shape.size()) s += " ";
  }
  return s + ")";
}

size_t dtype_size(const std::string& descr) {
  // "<i4": byte order, kind, item size in bytes (0 when it is not a plain number of at most 4 digits)
  if (descr.size() < 3 || descr.size() > 6) return 0;
  size_t n = 0;
  for (size_t i = 2; i < descr.size(); ++i) {
    if (descr[i] < '0' || descr[i] > '9') return 0;
    n = n * 10 + size_t(descr[i] - '0');
  }
  return n;
}

}  // namespace

size_t NpyArray::size() const {
  size_t n = 1;
  for (size_t d : shape) n *= d;
  return n;
}

std::vector<double> NpyArray::to_double() const {
  const size_t n = size();
  std::vector<double> out(n);
  const char kind = descr.size() >= 2 ? descr[1] : '?';
  const size_t bytes = dtype_size(descr);
  if (descr[0] == '>' && bytes > 1) {
    throw Error("NPY-004", fmt::format("big-endian dtype '{}' is not supported; save with '<' byte order",
                                       descr));
  }
  for (size_t i = 0; i < n; ++i) {
    const char* p = data.data() + i * bytes;
    double v = 0;
    if (kind == 'b' && bytes == 1) {
      v = *p ? 1 : 0;
    } else if (kind == 'u' && bytes <= 8) {
      uint64_t u = 0;
      std::memcpy(&u, p, bytes);  // little-endian host
      v = static_cast<double>(u);
    } else if (kind == 'i' && bytes <= 8) {
      uint64_t u = 0;
      std::memcpy(&u, p, bytes);
      if (bytes < 8 && (u >> (8 * bytes - 1)) & 1) u |= ~uint64_t(0) << (8 * bytes);  // sign-extend
      v = static_cast<double>(static_cast<int64_t>(u));  // (shifting a negative value left is undefined)
    } else if (kind == 'f' && bytes == 4) {
      float f;
      std::memcpy(&f, p, 4);
      v = f;
    } else if (kind == 'f' && bytes == 8) {
      std::memcpy(&v, p, 8);
    } else {
      throw Error("NPY-003", fmt::format("dtype '{}' is not a supported numeric dtype "
                                         "(use bool, int8..int64, uint8..uint64, float32 or float64)",
                                         descr));
    }
    out[i] = v;
  }
  if (fortran_order && shape.size() == 2) {
    std::vector<double> c(n);
    for (size_t r = 0; r < shape[0]; ++r)
      for (size_t k = 0; k < shape[1]; ++k) c[r * shape[1] + k] = out[k * shape[0] + r];
    return c;
  }
  return out;
}

NpyArray read_npy(const std::filesystem::path& path) {
  const std::string raw = read_file(path);
  auto bad = [&](const std::string& why) {
    return Error("NPY-001", fmt::format("'{}' is not a valid .npy file: {}", path.string(), why));
  };
  if (raw.size() < 10 || std::memcmp(raw.data(), kMagic, 6) != 0) throw bad("missing the \\x93NUMPY magic");
  const int major = static_cast<unsigned char>(raw[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(raw[8]) | (static_cast<unsigned char>(raw[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (raw.size() < 12) throw bad("truncated header");
    for (int i = 0; i < 4; ++i) header_len |= size_t(static_cast<unsigned char>(raw[8 + i])) << (8 * i);
    offset = 12;
  } else {
    throw bad(fmt::format("unknown format version {}", major));
  }
  if (offset + header_len > raw.size()) throw bad("truncated header");
  const std::string header = raw.substr(offset, header_len);
  NpyArray a;
  std::smatch m;
  if (!std::regex_search(header, m, std::regex(R"('descr'\s*:\s*'([^']+)')"))) throw bad("no 'descr' in header");
  a.descr = m[1];
  if (!std::regex_search(header, m, std::regex(R"('fortran_order'\s*:\s*(True|False))"))) {
    throw bad("no 'fortran_order' in header");
  }
  a.fortran_order = m[1] == "True";
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))"))) throw bad("no 'shape' in header");
  const std::string dims = m[1];
  std::regex num(R"(\d+)");
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it) {
    const std::string d = it->str();
    if (d.size() > 15) {
      throw Error("NPY-010", fmt::format("'{}': shape dimension {} is beyond any file's size; the header is "
                                         "corrupted, write the array again",
                                         path.string(), d));
    }
    a.shape.push_back(std::stoul(d));
  }
  const size_t elem = dtype_size(a.descr);
  if (elem == 0) throw bad(fmt::format("unsupported dtype '{}'", a.descr));
  // The data's size, refused before it wraps around (the file holds at most raw.size() bytes).
  size_t need = elem;
  for (size_t d : a.shape) {
    if (d != 0 && need > raw.size() / d) {
      throw Error("NPY-011", fmt::format("'{}': shape {} of '{}' needs more bytes than the file's {}; the header is "
                                         "corrupted or the data truncated, write the array again",
                                         path.string(), shape_text(a.shape), a.descr, raw.size()));
    }
    need *= d;
  }
  const size_t data_off = offset + header_len;
  if (raw.size() - data_off < need) {
    throw bad(fmt::format("data truncated: shape {} of '{}' needs {} bytes, file has {}", shape_text(a.shape),
                          a.descr, need, raw.size() - data_off));
  }
  a.data.assign(raw.begin() + static_cast<long>(data_off), raw.begin() + static_cast<long>(data_off + need));
  return a;
}

std::vector<int32_t> read_npy_i32_matrix(const std::filesystem::path& path, size_t rows, size_t cols) {
  const NpyArray a = read_npy(path);
  if (a.descr != "<i4" || a.shape != std::vector<size_t>{rows, cols} || a.fortran_order) {
    throw Error("NPY-002", fmt::format("'{}' has dtype '{}' and shape {}{}; expected dtype '<i4' (int32) and "
                                       "shape {} in C order",
                                       path.string(), a.descr, shape_text(a.shape),
                                       a.fortran_order ? " in Fortran order" : "",
                                       shape_text({rows, cols})));
  }
  std::vector<int32_t> v(rows * cols);
  std::memcpy(v.data(), a.data.data(), v.size() * 4);
  return v;
}

std::string npy_header(const std::string& descr, const std::vector<size_t>& shape) {
  std::string header =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape_text(shape));
  // Pad so that magic(6) + version(2) + len(2) + header + '\n' is a multiple of 64.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out(kMagic, 6);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  return out + header;
}

std::string npy_bytes_i32(const std::vector<int32_t>& values, const std::vector<size_t>& shape) {
  std::string out = npy_header("<i4", shape);
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(int32_t));
  return out;
}

void write_npy_i32(const std::filesystem::path& path, const std::vector<int32_t>& values,
                   const std::vector<size_t>& shape) {
  write_file_atomic(path, npy_bytes_i32(values, shape));
}

}  // namespace axx
