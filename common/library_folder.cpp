// transaxx — library folders: library.json, multiplier records, LUTs (see library_folder.hpp).
#include "common/library_folder.hpp"

#include <fmt/format.h>

#include <cstring>
#include <map>

#include "common/error.hpp"
#include "common/npy.hpp"
#include "common/sha256.hpp"

namespace axx::lib {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRebuild = "rebuild the library with `transaxx library build`";

// "a string \"yes\"", "an array", ... for messages about a value of the wrong type.
std::string describe(const Json& v) {
  std::string text = v.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  const std::string type = v.type_name();
  const bool vowel = !type.empty() && std::strchr("aeiou", type[0]) != nullptr;
  return fmt::format("{} {} {}", vowel ? "an" : "a", type, text);
}

[[noreturn]] void missing(const fs::path& file, std::string_view field, std::string_view needed_for) {
  throw Error("LIB-009", fmt::format("{}: field '{}' is missing, and {} needs it; {} (or add the field)",
                                     file.string(), field, needed_for, kRebuild));
}

[[noreturn]] void mistyped(const fs::path& file, std::string_view field, std::string_view expected,
                           const Json& found) {
  throw Error("LIB-010", fmt::format("{}: field '{}' is {}, expected {}; fix the field or {}", file.string(), field,
                                     describe(found), expected, kRebuild));
}

[[noreturn]] void no_record(const fs::path& record, const std::string& listed_in) {
  throw Error("LIB-006", fmt::format("{}: the multiplier record does not exist{}; {}", record.string(), listed_in,
                                     kRebuild));
}

// Reads a JSON file of the library; a syntax error or an unreadable file is `code`
// (LIB-002 for library.json, LIB-007 for a record).
Json read_library_json(const fs::path& file, bool is_index) {
  try {
    return read_json_file(file);
  } catch (const Error& e) {
    if (is_index) {
      throw Error("LIB-002", fmt::format("{}: the library index is not readable JSON ({}); {}", file.string(),
                                         e.what(), kRebuild));
    }
    throw Error("LIB-007", fmt::format("{}: the multiplier record is not readable JSON ({}); {}", file.string(),
                                       e.what(), kRebuild));
  }
}

// Member `key` of object `o`, or nullptr when absent or null.
const Json* member(const Json& o, const char* key) {
  auto it = o.find(key);
  return it == o.end() || it->is_null() ? nullptr : &*it;
}

struct Fields {
  const Json& obj;
  const fs::path& file;
  std::string prefix;  // "multipliers[3]." for an inline entry, "error." inside a record

  std::string field(const char* key) const { return prefix + key; }
  std::optional<std::string> str(const char* key) const {
    const Json* v = member(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_string()) mistyped(file, field(key), "a string", *v);
    return v->get<std::string>();
  }
  std::optional<double> num(const char* key) const {
    const Json* v = member(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_number()) mistyped(file, field(key), "a number", *v);
    return v->get<double>();
  }
  std::optional<int64_t> integer(const char* key) const {
    const Json* v = member(obj, key);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) mistyped(file, field(key), "an integer", *v);
    return v->get<int64_t>();
  }
  const Json* object(const char* key) const {
    const Json* v = member(obj, key);
    if (v && !v->is_object()) mistyped(file, field(key), "an object", *v);
    return v;
  }
  Fields sub(const Json& o, const char* key) const { return Fields{o, file, prefix + key + "."}; }
};

// A record (a file's content or an inline entry of library.json). `base`: the folder the LUT is
// relative to; `default_lut`: the LUT when the record names none.
MultiplierRecord parse_record(const Json& j, const fs::path& file, const fs::path& base, const std::string& prefix,
                              const std::string& default_name, const std::string& default_lut) {
  if (!j.is_object()) {
    throw Error("LIB-008", fmt::format("{}: a multiplier record must be a JSON object, found {}; {}", file.string(),
                                       describe(j), kRebuild));
  }
  const Fields f{j, file, prefix};
  MultiplierRecord r;
  r.file = file;
  r.json = j;
  r.name = f.str("name").value_or(default_name);
  r.family = f.str("family").value_or("");
  const Json* s = member(j, "signed");
  if (!s) missing(file, f.field("signed"), "every multiplier record");
  if (!s->is_boolean()) mistyped(file, f.field("signed"), "true or false", *s);
  r.is_signed = s->get<bool>();
  r.top = f.str("top");
  r.width_a = static_cast<int>(f.integer("width_a").value_or(8));
  r.width_b = static_cast<int>(f.integer("width_b").value_or(8));
  r.width_o = static_cast<int>(f.integer("width_o").value_or(16));
  if (const Json* src = member(j, "sources")) {
    if (!src->is_array()) mistyped(file, f.field("sources"), "an array of Verilog file paths", *src);
    for (size_t i = 0; i < src->size(); ++i) {
      if (!(*src)[i].is_string()) mistyped(file, fmt::format("{}[{}]", f.field("sources"), i), "a string", (*src)[i]);
      r.sources.push_back((*src)[i].get<std::string>());
    }
  } else if (auto one = f.str("source")) {
    r.sources.push_back(*one);
  }
  if (const Json* params = f.object("params")) {
    for (auto it = params->begin(); it != params->end(); ++it) {
      r.params.emplace_back(it.key(), it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
    }
  }
  if (const Json* ports = f.object("ports")) {
    const Fields p = f.sub(*ports, "ports");
    for (auto [key, dst] : {std::pair{"a", &r.port_a}, std::pair{"b", &r.port_b}, std::pair{"o", &r.port_o}}) {
      auto v = p.str(key);
      if (!v) missing(file, p.field(key), "the port list");
      *dst = *v;
    }
  }
  r.lut = fs::absolute(base / f.str("lut").value_or(default_lut.empty() ? r.name + ".npy" : default_lut))
              .lexically_normal();
  r.lut_sha256 = f.str("lut_sha256").value_or("");
  r.rtl_sha256 = f.str("rtl_sha256").value_or("");
  r.inputs_sha256 = f.str("inputs_sha256").value_or("");
  if (const Json* e = f.object("error")) {
    const Fields ef = f.sub(*e, "error");
    ErrorFields& m = r.error;
    m.mae = ef.num("mae");
    m.mae_pct = ef.num("mae_pct");
    m.wce = ef.num("wce");
    m.wce_pct = ef.num("wce_pct");
    m.mre_pct = ef.num("mre_pct");
    m.wcre_pct = ef.num("wcre_pct");
    m.ep_pct = ef.num("ep_pct");
    m.mse = ef.num("mse");
    m.mean_error = ef.num("mean_error");
    m.error_std = ef.num("error_std");
    m.comp_mean_error = ef.num("comp_mean_error");
  }
  if (const Json* hw = f.object("hw")) {
    const Fields hf = f.sub(*hw, "hw");
    HwFields& h = r.hw;
    h.area_um2 = hf.num("area_um2");
    h.cells = hf.integer("cells");
    h.delay_ns = hf.num("delay_ns");
    h.power_uw = hf.num("power_uw");
    h.leakage_uw = hf.num("leakage_uw");
    h.energy_pj_per_op = hf.num("energy_pj_per_op");
  }
  for (auto [key, dst] : {std::pair{"tech", &r.tech}, std::pair{"stimulus", &r.stimulus}, std::pair{"tools", &r.tools}}) {
    if (const Json* v = f.object(key)) *dst = *v;
  }
  return r;
}

LibraryIndex parse_index(const Json& j, const fs::path& dir, const fs::path& file) {
  const Json* list = &j;
  if (j.is_object()) list = member(j, "multipliers");
  if (!list || !list->is_array()) {
    throw Error("LIB-003", fmt::format("{}: expected an array of multipliers or an object with a \"multipliers\" "
                                       "array, found {}; {}",
                                       file.string(), describe(list ? *list : j), kRebuild));
  }
  LibraryIndex idx;
  idx.dir = dir;
  idx.file = file;
  idx.json = j.is_object() ? j : Json{{"multipliers", j}};
  Json& norm = idx.json["multipliers"];
  std::map<std::string, std::string> seen;  // name -> field
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& item = (*list)[i];
    const std::string field = j.is_object() ? fmt::format("multipliers[{}]", i) : fmt::format("[{}]", i);
    const Json* name = item.is_object() ? member(item, "name") : &item;
    if (!name || !name->is_string() || name->get<std::string>().empty()) {
      throw Error("LIB-004", fmt::format("{}: {} is {}, expected a multiplier name or an object with a non-empty "
                                         "string \"name\"; fix the entry or {}",
                                         file.string(), field, describe(item), kRebuild));
    }
    IndexEntry e;
    e.field = field;
    e.name = name->get<std::string>();
    e.json = item.is_object() ? item : Json{{"name", e.name}};
    norm[i] = e.json;
    const Fields f{e.json, file, field + "."};
    e.family = f.str("family").value_or("");
    e.record = dir / f.str("record").value_or(e.name + ".json");
    auto [pos, fresh] = seen.emplace(e.name, field);
    if (!fresh) {
      throw Error("LIB-005", fmt::format("{}: multiplier '{}' is listed twice ({} and {}); remove one entry or {}",
                                         file.string(), e.name, pos->second, field, kRebuild));
    }
    idx.entries.push_back(std::move(e));
  }
  return idx;
}

std::vector<int32_t> read_lut_impl(const fs::path& npy, const MultiplierRecord* rec, const std::string& expected_sha256) {
  const std::string where =
      rec ? fmt::format("multiplier '{}' (field 'lut' of {})", rec->name, rec->file.string()) : "LUT";
  std::error_code ec;
  if (!fs::is_regular_file(npy, ec)) {
    throw Error("LIB-011", fmt::format("{}: the LUT file {} does not exist; {}", where, npy.string(), kRebuild));
  }
  // The record says which table characterization wrote; a table changed since (edited, truncated,
  // replaced, from another build) must never be used in its name.
  if (!expected_sha256.empty()) {
    const std::string actual = sha256_file(npy);
    if (actual != expected_sha256) {
      throw Error("LIB-015", fmt::format("{}: the LUT file {} is not the table its record was characterized with "
                                         "(SHA-256 {}, the record says {}): it was changed or corrupted since; {}",
                                         where, npy.string(), actual.substr(0, 16), expected_sha256.substr(0, 16),
                                         kRebuild));
    }
  }
  NpyArray arr;
  try {
    arr = read_npy(npy);
  } catch (const Error& e) {
    throw Error("LIB-012", fmt::format("{}: the LUT file {} is not a readable .npy ({}); {}", where, npy.string(),
                                       e.what(), kRebuild));
  }
  if (arr.descr != "<i4") {
    throw Error("LIB-013", fmt::format("{}: the LUT file {} has dtype '{}', expected '<i4' (int32); save it with "
                                       "numpy.asarray(lut, dtype='<i4') or {}",
                                       where, npy.string(), arr.descr, kRebuild));
  }
  if (arr.shape != std::vector<size_t>{256, 256} || arr.fortran_order || arr.data.size() != 65536 * 4) {
    throw Error("LIB-014", fmt::format("{}: the LUT file {} has shape ({}){}, expected (256, 256) in C order (row = "
                                       "activation code, column = weight code); {}",
                                       where, npy.string(), fmt::join(arr.shape, ", "),
                                       arr.fortran_order ? " in Fortran order" : "", kRebuild));
  }
  std::vector<int32_t> v(65536);
  std::memcpy(v.data(), arr.data.data(), v.size() * sizeof(int32_t));
  return v;
}

}  // namespace

void MultiplierRecord::missing_field(std::string_view field, std::string_view needed_for) const {
  missing(file, field, needed_for);
}

const IndexEntry* LibraryIndex::find(const std::string& name) const {
  for (const auto& e : entries) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::vector<std::string> LibraryIndex::names() const {
  std::vector<std::string> n;
  for (const auto& e : entries) n.push_back(e.name);
  return n;
}

LibraryIndex read_index(const fs::path& dir) {
  const fs::path file = dir / "library.json";
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw Error("LIB-001", fmt::format("'{}' is not a multiplier library: {} {}; build one with `transaxx library "
                                       "build` or give a folder that holds library.json",
                                       dir.string(), fs::is_directory(dir, ec) ? file.string() : "the folder",
                                       "does not exist"));
  }
  return parse_index(read_library_json(file, true), dir, file);
}

MultiplierRecord read_entry_record(const LibraryIndex& index, const IndexEntry& entry) {
  const std::string& field = entry.field;
  const Json* lut = member(entry.json, "lut");
  const std::string entry_lut = lut && lut->is_string() ? lut->get<std::string>() : "";
  MultiplierRecord r;
  std::error_code ec;
  if (fs::is_regular_file(entry.record, ec)) {
    r = parse_record(read_library_json(entry.record, false), entry.record, index.dir, "", entry.name, entry_lut);
  } else if (entry.json.contains("signed") && entry.json.contains("lut")) {
    r = parse_record(entry.json, index.file, index.dir, field + ".", entry.name, "");  // a hand-made inline record
  } else {
    no_record(entry.record, fmt::format(" ('{}' is listed as {} in {})", entry.name, field, index.file.string()));
  }
  if (!entry.family.empty()) r.family = entry.family;
  return r;
}

LibraryFolder read_library(const fs::path& dir) {
  LibraryFolder lf;
  lf.index = read_index(dir);
  for (const auto& e : lf.index.entries) lf.records.push_back(read_entry_record(lf.index, e));
  return lf;
}

MultiplierRecord read_record(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) no_record(path, "");
  return parse_record(read_library_json(path, false), path, path.parent_path(), "", path.stem().string(), "");
}

Json to_json(const MultiplierRecord& r) {
  Json j = r.json.is_object() ? r.json : Json::object();
  j["name"] = r.name;
  if (!r.family.empty()) j["family"] = r.family;
  if (r.top) j["top"] = *r.top;
  j["signed"] = r.is_signed;
  j["width_a"] = r.width_a;
  j["width_b"] = r.width_b;
  j["width_o"] = r.width_o;
  if (!r.sources.empty()) j["sources"] = r.sources;
  if (!r.params.empty() || j.contains("params")) {
    Json params = Json::object();
    for (const auto& [k, v] : r.params) params[k] = v;
    j["params"] = params;
  }
  j["ports"] = {{"a", r.port_a}, {"b", r.port_b}, {"o", r.port_o}};
  fs::path lut = r.lut;
  if (!r.file.empty() && !lut.empty()) {
    const fs::path rel = lut.lexically_relative(fs::absolute(r.file.parent_path()).lexically_normal());
    if (!rel.empty() && *rel.begin() != "..") lut = rel;
  }
  if (!lut.empty()) j["lut"] = lut.string();
  for (auto [key, v] : {std::pair{"lut_sha256", &r.lut_sha256}, std::pair{"rtl_sha256", &r.rtl_sha256},
                        std::pair{"inputs_sha256", &r.inputs_sha256}}) {
    if (!v->empty()) j[key] = *v;
  }
  auto put = [](Json& obj, const char* key, const auto& v) {
    if (v) obj[key] = *v;
  };
  const ErrorFields& e = r.error;
  Json err = j.contains("error") && j["error"].is_object() ? j["error"] : Json::object();
  put(err, "mae", e.mae);
  put(err, "mae_pct", e.mae_pct);
  put(err, "wce", e.wce);
  put(err, "wce_pct", e.wce_pct);
  put(err, "mre_pct", e.mre_pct);
  put(err, "wcre_pct", e.wcre_pct);
  put(err, "ep_pct", e.ep_pct);
  put(err, "mse", e.mse);
  put(err, "mean_error", e.mean_error);
  put(err, "error_std", e.error_std);
  put(err, "comp_mean_error", e.comp_mean_error);
  if (!err.empty()) j["error"] = err;
  const HwFields& h = r.hw;
  Json hw = j.contains("hw") && j["hw"].is_object() ? j["hw"] : Json::object();
  put(hw, "area_um2", h.area_um2);
  put(hw, "cells", h.cells);
  put(hw, "delay_ns", h.delay_ns);
  put(hw, "power_uw", h.power_uw);
  put(hw, "leakage_uw", h.leakage_uw);
  put(hw, "energy_pj_per_op", h.energy_pj_per_op);
  if (!hw.empty()) j["hw"] = hw;
  if (!r.tech.is_null()) j["tech"] = r.tech;
  if (!r.stimulus.is_null()) j["stimulus"] = r.stimulus;
  if (!r.tools.is_null()) j["tools"] = r.tools;
  return j;
}

void write_record(const fs::path& path, const Json& record) {
  parse_record(record, path, path.parent_path(), "", path.stem().string(), "");
  write_json_atomic(path, record);
}

void write_record(const fs::path& path, const MultiplierRecord& record) {
  MultiplierRecord r = record;
  r.file = path;  // the LUT is written relative to the record's new folder
  write_record(path, to_json(r));
}

void write_index(const fs::path& dir, const Json& index) {
  parse_index(index, dir, dir / "library.json");
  write_json_atomic(dir / "library.json", index);
}

std::vector<int32_t> read_lut(const MultiplierRecord& record) {
  return read_lut_impl(record.lut, &record, record.lut_sha256);
}

std::vector<int32_t> read_lut_file(const fs::path& npy, const std::string& expected_sha256) {
  return read_lut_impl(npy, nullptr, expected_sha256);
}

}  // namespace axx::lib
