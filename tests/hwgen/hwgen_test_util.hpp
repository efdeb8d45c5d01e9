// Helpers shared by the hwgen tests and benchmarks: a small multiplier library built without
// any tool (records from the catalog, LUTs from the C++ reference models), and spec shortcuts.
#pragma once

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "common/npy.hpp"
#include "hwgen/spec.hpp"
#include "multipliers_rtl/catalog.hpp"
#include "multipliers_rtl/reference_models.hpp"

namespace axx::test {

namespace fs = std::filesystem;

/// Multipliers the hwgen tests use: exact and approximate, signed and unsigned.
inline const std::vector<std::string>& hwgen_test_multipliers() {
  static const std::vector<std::string> names = {"exact_s8",   "exact_u8",       "bam_s8_v4", "bam_s8_v6",
                                                 "drum_s8_k4", "mitchell_u8_w4", "etm_u8_l2"};
  return names;
}

/// Writes records + LUTs for `names` into `dir` (the library contract's fields hwgen reads).
inline void write_test_library(const fs::path& rtl_dir, const fs::path& dir, const std::vector<std::string>& names) {
  const auto catalog = mult::load_catalog(rtl_dir / "catalog.csv");
  fs::create_directories(dir);
  Json index{{"version", 1}, {"multipliers", Json::array()}};
  for (const auto& name : names) {
    const mult::CatalogEntry* e = mult::find_entry(catalog, name);
    if (!e) throw std::runtime_error("not in the catalog: " + name);
    Json params = Json::object();
    for (const auto& [k, v] : e->params) params[k] = std::to_string(v);
    Json rec{{"name", name},
             {"source", (rtl_dir / e->file).string()},
             {"sources", Json::array({(rtl_dir / e->file).string()})},
             {"top", e->top},
             {"params", params},
             {"signed", e->is_signed},
             {"ports", {{"a", "a"}, {"b", "b"}, {"o", "o"}}},
             {"width_a", 8},
             {"width_b", 8},
             {"width_o", 16},
             {"lut", name + ".npy"},
             {"hw", {{"area_um2", 0.0}, {"energy_pj_per_op", 0.0}}}};
    write_npy_i32(dir / (name + ".npy"), mult::reference_lut(*e), {256, 256});
    write_json_atomic(dir / (name + ".json"), rec);
    index["multipliers"].push_back({{"name", name}, {"record", name + ".json"}});
  }
  write_json_atomic(dir / "library.json", index);
}

/// Words of `text` that hold an absolute path: a '/' followed by a name, at the start of the word
/// or after a quote, bracket, '=', ':' or ','.
inline std::vector<std::string> absolute_paths_in_text(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    const std::string word = text.substr(i, j - i);
    for (size_t k = 0; k < word.size(); ++k) {
      const bool starts = k == 0 || std::string("\"'([{<=`:,").find(word[k - 1]) != std::string::npos;
      const bool names = k + 1 < word.size() && (std::isalnum(static_cast<unsigned char>(word[k + 1])) ||
                                                 std::string("_.~$").find(word[k + 1]) != std::string::npos);
      if (word[k] == '/' && starts && names) {
        out.push_back(word);
        break;
      }
    }
    i = j;
  }
  return out;
}

/// Strings (keys and values) anywhere in `j` that are or hold absolute paths.
inline std::vector<std::string> absolute_paths_in_json(const Json& j) {
  std::vector<std::string> out;
  auto add = [&](const std::string& s) {
    if (fs::path(s).is_absolute() || !absolute_paths_in_text(s).empty()) out.push_back(s);
  };
  if (j.is_string()) add(j.get<std::string>());
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      add(it.key());
      for (auto& s : absolute_paths_in_json(it.value())) out.push_back(s);
    }
  }
  if (j.is_array()) {
    for (const auto& e : j) {
      for (auto& s : absolute_paths_in_json(e)) out.push_back(s);
    }
  }
  return out;
}

/// A config that uses `approx` (in order) on the first layers of a small layer table.
inline Json test_config(const std::vector<std::string>& approx, const std::string& def = "exact") {
  Json layers = Json::object();
  for (size_t i = 0; i < approx.size(); ++i) layers["layer" + std::to_string(i)] = approx[i];
  return Json{{"version", 1}, {"default", def}, {"layers", layers}};
}

/// Small layers named layer0..layer3 (K at most 12, so narrow accumulators fit).
inline std::vector<hwgen::LayerShape> test_layers() {
  return {{"layer0", 5, 6, 7, 1}, {"layer1", 9, 12, 3, 2}, {"layer2", 1, 4, 4, 1}, {"layer3", 20, 3, 11, 1}};
}

}  // namespace axx::test
