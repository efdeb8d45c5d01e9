// transaxx models — safetensors I/O (see safetensors.hpp).
#include "emulation/models/safetensors.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/json.hpp"

namespace axx::models {

namespace {

struct DtypeInfo {
  const char* name;
  at::ScalarType type;
  size_t bytes;
};

const std::vector<DtypeInfo>& dtypes() {
  static const std::vector<DtypeInfo> d = {
      {"F32", at::kFloat, 4}, {"F64", at::kDouble, 8}, {"F16", at::kHalf, 2},  {"BF16", at::kBFloat16, 2},
      {"I64", at::kLong, 8},  {"I32", at::kInt, 4},    {"I16", at::kShort, 2}, {"I8", at::kChar, 1},
      {"U8", at::kByte, 1},   {"BOOL", at::kBool, 1}};
  return d;
}

// One helper per condition; `what` names the file.
[[noreturn]] void truncated(const std::string& what, const std::string& msg) {
  throw Error("SFT-001", fmt::format("{}: {}", what, msg));
}
[[noreturn]] void bad_header(const std::string& what, const std::string& msg) {
  throw Error("SFT-002", fmt::format("{}: {}", what, msg));
}
[[noreturn]] void bad_data_offsets(const std::string& what, const std::string& msg) {
  throw Error("SFT-004", fmt::format("{}: {}", what, msg));
}
[[noreturn]] void bad_metadata(const std::string& what, const std::string& msg) {
  throw Error("SFT-006", fmt::format("{}: {}", what, msg));
}
[[noreturn]] void bad_entry(const std::string& what, const std::string& msg) {
  throw Error("SFT-007", fmt::format("{}: {}", what, msg));
}

}  // namespace

SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& what) {
  if (bytes.size() < 8) truncated(what, "too short for a safetensors file (no 8-byte header length)");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(bytes[size_t(i)]);
  if (n > bytes.size() - 8) {
    truncated(what, fmt::format("header length {} exceeds the file ({} bytes); truncated or not safetensors", n,
                                bytes.size()));
  }
  Json h;
  try {
    h = Json::parse(bytes.begin() + 8, bytes.begin() + 8 + int64_t(n));
  } catch (const std::exception& e) {
    bad_header(what, fmt::format("header is not valid JSON ({})", e.what()));
  }
  if (!h.is_object()) bad_header(what, "header is not a JSON object");
  const size_t data_begin = 8 + size_t(n);
  const size_t data_size = bytes.size() - data_begin;
  SafetensorsFile out;
  std::vector<std::pair<size_t, size_t>> spans;
  for (auto it = h.begin(); it != h.end(); ++it) {
    const std::string& name = it.key();
    const Json& e = it.value();
    if (name == "__metadata__") {
      if (!e.is_object()) bad_metadata(what, "'__metadata__' is not an object");
      for (auto m = e.begin(); m != e.end(); ++m) {
        if (!m.value().is_string()) bad_metadata(what, fmt::format("metadata '{}' is not a string", m.key()));
        out.metadata.emplace_back(m.key(), m.value().get<std::string>());
      }
      continue;
    }
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets") ||
        !e["dtype"].is_string() || !e["shape"].is_array() || !e["data_offsets"].is_array() ||
        e["data_offsets"].size() != 2) {
      bad_entry(what, fmt::format("tensor '{}': needs dtype (string), shape (array), data_offsets ([begin, end])", name));
    }
    const std::string dt = e["dtype"].get<std::string>();
    const DtypeInfo* info = nullptr;
    for (const auto& d : dtypes())
      if (dt == d.name) info = &d;
    if (!info) throw Error("SFT-003", fmt::format("{}: tensor '{}': unsupported dtype '{}'", what, name, dt));
    std::vector<int64_t> shape;
    uint64_t numel = 1;
    for (const auto& s : e["shape"]) {
      if (!s.is_number_unsigned() || s.get<uint64_t>() > (uint64_t(1) << 40)) {
        bad_entry(what, fmt::format("tensor '{}': shape entries must be non-negative integers", name));
      }
      shape.push_back(int64_t(s.get<uint64_t>()));
      numel *= s.get<uint64_t>();
      if (numel > (uint64_t(1) << 40)) bad_entry(what, fmt::format("tensor '{}': shape too large", name));
    }
    const auto& o = e["data_offsets"];
    if (!o[0].is_number_unsigned() || !o[1].is_number_unsigned()) {
      bad_entry(what, fmt::format("tensor '{}': data_offsets must be non-negative integers", name));
    }
    const uint64_t b = o[0].get<uint64_t>(), en = o[1].get<uint64_t>();
    if (b > en || en > data_size) {
      bad_data_offsets(what, fmt::format("tensor '{}': data_offsets [{}, {}] outside the data section ({} bytes)", name,
                                         b, en, data_size));
    }
    if (en - b != numel * info->bytes) {
      bad_data_offsets(what, fmt::format("tensor '{}': {} bytes for shape [{}] of {} ({} expected)", name, en - b,
                                         fmt::join(shape, ", "), dt, numel * info->bytes));
    }
    spans.emplace_back(size_t(b), size_t(en));
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(info->type));
    if (numel) std::memcpy(t.data_ptr(), bytes.data() + data_begin + b, size_t(en - b));
    out.tensors[name] = t;
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i) {
    if (spans[i].first < spans[i - 1].second) bad_data_offsets(what, "tensors' data_offsets overlap");
  }
  return out;
}

SafetensorsFile load_safetensors(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    throw Error("SFT-005", fmt::format("model file '{}' does not exist; train one with `transaxx train`", path));
  }
  return parse_safetensors(read_file(path), path);
}

std::string safetensors_bytes(const TensorMap& tensors, const std::vector<std::pair<std::string, std::string>>& metadata) {
  Json h = Json::object();
  if (!metadata.empty()) {
    Json m = Json::object();
    for (const auto& kv : metadata) m[kv.first] = kv.second;
    h["__metadata__"] = m;
  }
  std::vector<at::Tensor> data;
  size_t off = 0;
  for (const auto& kv : tensors) {
    at::Tensor t = kv.second.detach().to(at::kCPU).contiguous();
    const DtypeInfo* info = nullptr;
    for (const auto& d : dtypes())
      if (t.scalar_type() == d.type) info = &d;
    if (!info) throw Error("SFT-008", fmt::format("tensor '{}': dtype {} cannot be stored", kv.first, toString(t.scalar_type())));
    const size_t nb = size_t(t.numel()) * info->bytes;
    h[kv.first] = {{"dtype", info->name}, {"shape", t.sizes().vec()}, {"data_offsets", {off, off + nb}}};
    off += nb;
    data.push_back(t);
  }
  std::string header = h.dump();
  header.append((8 - header.size() % 8) % 8, ' ');  // align the data to 8 bytes, as the reference writer does
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xff);
  out += header;
  out.reserve(out.size() + off);
  for (const auto& t : data) out.append(static_cast<const char*>(t.data_ptr()), size_t(t.nbytes()));
  return out;
}

void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::vector<std::pair<std::string, std::string>>& metadata) {
  write_file_atomic(path, safetensors_bytes(tensors, metadata));
}

}  // namespace axx::models
