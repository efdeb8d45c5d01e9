// transaxx emulation — multipliers: LUT validation and loading, the library folder.
#include "emulation/lut.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "common/error.hpp"
#include "common/library_folder.hpp"

namespace axx::emu {

namespace fs = std::filesystem;

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s.empty() ? "(none)" : s;
}

void bad_lut_dtype(const std::string& message) { throw Error("EMU-002", message); }

void bad_lut_shape(const std::string& message) { throw Error("EMU-003", message); }

void unknown_multiplier(const std::string& name, const std::string& where,
                        const std::vector<std::string>& valid) {
  throw Error("EMU-011", fmt::format("unknown multiplier '{}'{}; valid names: {}", name, where, join_names(valid)));
}

at::Tensor Multiplier::lut_tensor() const {
  auto t = at::empty({256, 256}, at::kInt);
  std::memcpy(t.data_ptr<int32_t>(), table->lut(), 65536 * sizeof(int32_t));
  return t;
}

namespace {

// Checks the 16-bit product range (docs/architecture.md: O is 16 bits) so a table from a wrong tool or a
// wrong signedness is caught here rather than as wrong accuracy numbers later.
std::shared_ptr<const Multiplier> build(const std::string& name, bool is_signed,
                                        const int32_t* v, const std::string& where) {
  const int32_t lo = is_signed ? -32768 : 0, hi = is_signed ? 32767 : 65535;
  for (int i = 0; i < 65536; ++i) {
    if (v[i] < lo || v[i] > hi) {
      throw Error("EMU-004",
                  fmt::format("{}: lut[{}][{}] = {} is outside the {} 16-bit product range "
                              "[{}, {}]; check the multiplier's signedness (record field "
                              "'signed') or regenerate the table",
                              where, i / 256, i % 256, v[i], is_signed ? "signed" : "unsigned",
                              lo, hi));
    }
  }
  auto m = std::make_shared<Multiplier>();
  m->name = name;
  m->is_signed = is_signed;
  m->table = std::make_shared<const PreparedLut>(v);
  return m;
}

}  // namespace

std::shared_ptr<const Multiplier> make_exact_multiplier(bool is_signed) {
  std::vector<int32_t> v(65536);
  for (int a = 0; a < 256; ++a)
    for (int b = 0; b < 256; ++b)
      v[a * 256 + b] = is_signed ? int32_t(int8_t(a)) * int32_t(int8_t(b)) : a * b;
  return build(is_signed ? "exact_s8" : "exact_u8", is_signed, v.data(), "built-in exact");
}

std::shared_ptr<const Multiplier> make_multiplier(const std::string& name, bool is_signed,
                                                  const at::Tensor& lut) {
  if (lut.scalar_type() != at::kInt) {
    bad_lut_dtype(fmt::format("multiplier '{}': LUT tensor has dtype {}, expected int32 (lut[a][b] as '<i4')", name,
                              std::string(c10::toString(lut.scalar_type()))));
  }
  if (lut.dim() != 2 || lut.size(0) != 256 || lut.size(1) != 256) {
    bad_lut_shape(fmt::format("multiplier '{}': LUT tensor has shape {}, expected [256, 256] (row = activation, "
                              "column = weight)",
                              name, fmt::join(lut.sizes(), "x")));
  }
  auto c = lut.to(at::kCPU).contiguous();
  return build(name, is_signed, c.data_ptr<int32_t>(), "multiplier '" + name + "'");
}

std::shared_ptr<const Multiplier> load_multiplier(const std::string& name, bool is_signed,
                                                  const fs::path& npy, const std::string& expected_sha256) {
  const std::vector<int32_t> v = lib::read_lut_file(npy, expected_sha256);  // LIB-011..015
  auto m = build(name, is_signed, v.data(), "LUT " + npy.string());
  auto mm = std::const_pointer_cast<Multiplier>(m);
  mm->lut_path = npy.string();
  return m;
}

MultiplierLibrary::MultiplierLibrary() {
  static const auto exact_s8 = make_exact_multiplier(true);
  static const auto exact_u8 = make_exact_multiplier(false);
  entries_["exact"] = Entry{true, {}, {}, exact_s8};
  entries_["exact_s8"] = Entry{true, {}, {}, exact_s8};
  entries_["exact_u8"] = Entry{false, {}, {}, exact_u8};
}

MultiplierLibrary MultiplierLibrary::load(const fs::path& dir) {
  MultiplierLibrary out;
  out.dir_ = dir;
  const lib::LibraryFolder folder = lib::read_library(dir);  // LIB-* for a missing or malformed library
  for (size_t i = 0; i < folder.records.size(); ++i) {
    out.entries_[folder.index.entries[i].name] = Entry{folder.records[i].is_signed, folder.records[i].lut,
                                                         folder.records[i].lut_sha256, nullptr};
  }
  return out;
}

std::vector<std::string> MultiplierLibrary::names() const {
  std::vector<std::string> n;
  for (const auto& [k, v] : entries_) n.push_back(k);
  return n;
}

bool MultiplierLibrary::contains(const std::string& name) const { return entries_.count(name) > 0; }

std::shared_ptr<const Multiplier> MultiplierLibrary::get(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    unknown_multiplier(name, dir_.empty() ? "" : " in library " + dir_.string(), names());
  }
  std::lock_guard<std::mutex> lock(*mutex_);
  if (!it->second.loaded) {
    it->second.loaded = load_multiplier(name, it->second.is_signed, it->second.lut, it->second.lut_sha256);
  }
  return it->second.loaded;
}

}  // namespace axx::emu
