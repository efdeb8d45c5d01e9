// transaxx search — multiplier library loading (see library.hpp).
#include "search/library.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/json.hpp"
#include "common/npy.hpp"

namespace axx::search {

namespace fs = std::filesystem;

int MultiplierLibrary::find(const std::string& name) const {
  for (size_t i = 0; i < multipliers.size(); ++i) {
    if (multipliers[i].name == name) return int(i);
  }
  return -1;
}

std::vector<std::string> MultiplierLibrary::names() const {
  std::vector<std::string> n;
  for (const auto& m : multipliers) n.push_back(m.name);
  return n;
}

namespace {

[[noreturn]] void bad_field(const fs::path& file, const std::string& field, const std::string& what) {
  throw Error("SRC-003", fmt::format("{}: field '{}' {}; rebuild the library with "
                                     "'transaxx library'",
                                     file.string(), field, what));
}

double number(const Json& j, const char* key, const fs::path& file, const std::string& prefix) {
  if (!j.contains(key) || !j[key].is_number()) bad_field(file, prefix + key, "must be a number");
  return j[key].get<double>();
}

}  // namespace

MultiplierLibrary load_multiplier_library(const fs::path& dir, bool luts) {
  const fs::path index = dir / "library.json";
  if (!fs::exists(index)) {
    throw Error("SRC-003", fmt::format("{} does not exist; point the search at a folder built by "
                                       "'transaxx library'",
                                       index.string()));
  }
  Json j;
  try {
    j = read_json_file(index);
  } catch (const Error& e) {
    throw Error("SRC-003", fmt::format("cannot read the multiplier library: {}", e.what()));
  }
  if (!j.is_object() || !j.contains("multipliers") || !j["multipliers"].is_array()) {
    bad_field(index, "multipliers", "must be a list");
  }
  MultiplierLibrary lib;
  lib.dir = fs::absolute(dir).lexically_normal();
  for (const Json& e : j["multipliers"]) {
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) {
      bad_field(index, "multipliers[].name", "must be a string");
    }
    MultiplierInfo m;
    m.name = e["name"].get<std::string>();
    if (lib.find(m.name) >= 0) bad_field(index, "multipliers[].name", "repeats '" + m.name + "'");
    m.family = e.value("family", std::string());
    const std::string record_name = e.value("record", m.name + ".json");
    const fs::path record_path = dir / record_name;
    Json r;
    try {
      r = read_json_file(record_path);
    } catch (const Error& err) {
      throw Error("SRC-003", fmt::format("multiplier '{}' listed in {} has no readable record: "
                                         "{}",
                                         m.name, index.string(), err.what()));
    }
    if (!r.contains("signed") || !r["signed"].is_boolean()) bad_field(record_path, "signed", "must be true or false");
    m.is_signed = r["signed"].get<bool>();
    if (!r.contains("error") || !r["error"].is_object()) bad_field(record_path, "error", "must be an object");
    if (!r.contains("hw") || !r["hw"].is_object()) bad_field(record_path, "hw", "must be an object");
    const Json& er = r["error"];
    const Json& hw = r["hw"];
    m.mae_pct = number(er, "mae_pct", record_path, "error.");
    m.wce_pct = number(er, "wce_pct", record_path, "error.");
    m.mse = number(er, "mse", record_path, "error.");
    m.mean_error = number(er, "mean_error", record_path, "error.");
    m.energy_pj_per_op = number(hw, "energy_pj_per_op", record_path, "hw.");
    if (!(m.energy_pj_per_op > 0)) bad_field(record_path, "hw.energy_pj_per_op", "must be > 0");
    m.power_uw = hw.value("power_uw", 0.0);
    m.area_um2 = hw.value("area_um2", 0.0);
    const std::string lut = r.value("lut", e.value("lut", m.name + ".npy"));
    m.lut_path = fs::absolute(dir / lut).lexically_normal();
    lib.multipliers.push_back(std::move(m));
  }
  if (lib.multipliers.empty()) {
    throw Error("SRC-002", fmt::format("the multiplier library {} is empty; add multipliers with "
                                       "'transaxx library' before searching",
                                       dir.string()));
  }
  if (luts) load_luts(lib);
  return lib;
}

void load_luts(MultiplierLibrary& lib) {
  for (auto& m : lib.multipliers) {
    if (!m.lut.empty()) continue;
    try {
      m.lut = read_npy_i32_matrix(m.lut_path, 256, 256);
    } catch (const Error& e) {
      throw Error("SRC-003", fmt::format("multiplier '{}': cannot read its LUT: {}", m.name, e.what()));
    }
  }
}

}  // namespace axx::search
