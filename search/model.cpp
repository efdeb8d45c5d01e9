// transaxx search — model layers and sensitivity tables (see model.hpp).
#include "search/model.hpp"

#include <fmt/format.h>

#include <set>

#include "common/error.hpp"

namespace axx::search {

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  const size_t shown = std::min<size_t>(names.size(), 40);
  for (size_t i = 0; i < shown; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > shown) s += fmt::format(" … and {} more", names.size() - shown);
  return s;
}

int ModelLayers::find(const std::string& name) const {
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].name == name) return int(i);
  }
  return -1;
}

std::vector<std::string> ModelLayers::names() const {
  std::vector<std::string> n;
  for (const auto& l : layers) n.push_back(l.name);
  return n;
}

namespace {

/// A model's layer list is malformed.
[[noreturn]] void bad_layers(const std::string& where, const std::string& field, const std::string& what) {
  throw Error("SRC-004", fmt::format("{}: field '{}' {}", where, field, what));
}

/// A sensitivity table is malformed.
[[noreturn]] void bad_sens(const std::string& where, const std::string& field, const std::string& what) {
  throw Error("SRC-025", fmt::format("{}: field '{}' {}", where, field, what));
}

std::vector<double> histogram(const Json& j, const std::string& where, const std::string& field) {
  if (!j.is_array() || j.size() != 256) bad_layers(where, field, "must be a list of 256 counts");
  std::vector<double> h;
  for (const Json& v : j) {
    if (!v.is_number() || v.get<double>() < 0) bad_layers(where, field, "must hold non-negative numbers");
    h.push_back(v.get<double>());
  }
  return h;
}

Json hist_json(const std::vector<double>& h) { return Json(h); }

}  // namespace

ModelLayers parse_model_layers(const Json& j, const std::string& where) {
  if (!j.is_object()) bad_layers(where, "(top level)", "must be a JSON object");
  if (!j.contains("version") || j["version"] != 1) bad_layers(where, "version", "must be 1");
  ModelLayers m;
  if (j.contains("model")) {
    if (!j["model"].is_string()) bad_layers(where, "model", "must be a string");
    m.model = j["model"].get<std::string>();
  }
  if (!j.contains("layers") || !j["layers"].is_array() || j["layers"].empty()) {
    bad_layers(where, "layers", "must be a non-empty list of {name, macs}");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < j["layers"].size(); ++i) {
    const Json& e = j["layers"][i];
    const std::string f = fmt::format("layers[{}]", i);
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || e["name"].get<std::string>().empty()) {
      bad_layers(where, f + ".name", "must be a non-empty string");
    }
    LayerInfo l;
    l.name = e["name"].get<std::string>();
    if (!seen.insert(l.name).second) bad_layers(where, f + ".name", "repeats '" + l.name + "'");
    if (!e.contains("macs") || !e["macs"].is_number_integer() || e["macs"].get<int64_t>() < 1) {
      bad_layers(where, f + ".macs", "must be an integer ≥ 1 (multiplications per inference)");
    }
    l.macs = e["macs"].get<int64_t>();
    if (e.contains("operands")) {
      const Json& o = e["operands"];
      if (!o.is_object()) bad_layers(where, f + ".operands", "must be an object");
      if (o.contains("a_s8")) l.operands.a_s8 = histogram(o["a_s8"], where, f + ".operands.a_s8");
      if (o.contains("b_s8")) l.operands.b_s8 = histogram(o["b_s8"], where, f + ".operands.b_s8");
      if (o.contains("a_u8")) l.operands.a_u8 = histogram(o["a_u8"], where, f + ".operands.a_u8");
      if (o.contains("b_u8")) l.operands.b_u8 = histogram(o["b_u8"], where, f + ".operands.b_u8");
    }
    m.layers.push_back(std::move(l));
  }
  return m;
}

ModelLayers load_model_layers(const std::filesystem::path& path) {
  return parse_model_layers(read_json_file(path), path.string());
}

Json to_json(const ModelLayers& m) {
  Json j;
  j["version"] = 1;
  j["model"] = m.model;
  j["layers"] = Json::array();
  for (const auto& l : m.layers) {
    Json e;
    e["name"] = l.name;
    e["macs"] = l.macs;
    Json o = Json::object();
    if (!l.operands.a_s8.empty()) o["a_s8"] = hist_json(l.operands.a_s8);
    if (!l.operands.b_s8.empty()) o["b_s8"] = hist_json(l.operands.b_s8);
    if (!l.operands.a_u8.empty()) o["a_u8"] = hist_json(l.operands.a_u8);
    if (!l.operands.b_u8.empty()) o["b_u8"] = hist_json(l.operands.b_u8);
    if (!o.empty()) e["operands"] = o;
    j["layers"].push_back(e);
  }
  return j;
}

std::optional<double> SensitivityTable::drop(const std::string& layer, const std::string& mult) const {
  auto it = drops.find(layer);
  if (it == drops.end()) return std::nullopt;
  auto jt = it->second.find(mult);
  if (jt == it->second.end()) return std::nullopt;
  return jt->second;
}

namespace {

// The result of `transaxx sensitivity` (emulation/train/train.hpp run_sensitivity):
//   {"model": "<file>", "model_id": "<stem>@<sha12>", "baseline": {"exact8_top1": a, ...},
//    "rows": [{"layer", "multiplier", "top1", "top5", "drop_top1"}, ...], ...}
// read as a table: base = exact8_top1, drop = drop_top1, model = model_id (when present).
SensitivityTable from_sensitivity_rows(const Json& j, const std::string& where) {
  SensitivityTable s;
  s.model = j.value("model_id", std::string());
  if (!j.contains("baseline") || !j["baseline"].is_object() || !j["baseline"].contains("exact8_top1") ||
      !j["baseline"]["exact8_top1"].is_number()) {
    bad_sens(where, "baseline.exact8_top1", "must be the all-exact accuracy (rerun 'transaxx sensitivity')");
  }
  s.base_accuracy = j["baseline"]["exact8_top1"].get<double>();
  if (!(s.base_accuracy >= 0 && s.base_accuracy <= 1)) bad_sens(where, "baseline.exact8_top1", "must be in [0, 1]");
  if (!j["rows"].is_array()) bad_sens(where, "rows", "must be a list of {layer, multiplier, drop_top1}");
  for (size_t i = 0; i < j["rows"].size(); ++i) {
    const Json& r = j["rows"][i];
    const std::string f = fmt::format("rows[{}]", i);
    if (!r.is_object() || !r.contains("layer") || !r["layer"].is_string() || !r.contains("multiplier") ||
        !r["multiplier"].is_string() || !r.contains("drop_top1") || !r["drop_top1"].is_number()) {
      bad_sens(where, f, "must have 'layer', 'multiplier' (strings) and 'drop_top1' (a number)");
    }
    s.drops[r["layer"].get<std::string>()][r["multiplier"].get<std::string>()] = r["drop_top1"].get<double>();
  }
  return s;
}

}  // namespace

SensitivityTable parse_sensitivity(const Json& j, const std::string& where) {
  if (!j.is_object()) bad_sens(where, "(top level)", "must be a JSON object");
  if (j.contains("rows") && !j.contains("drops")) return from_sensitivity_rows(j, where);
  if (!j.contains("version") || j["version"] != 1) bad_sens(where, "version", "must be 1");
  SensitivityTable s;
  if (j.contains("model")) {
    if (!j["model"].is_string()) bad_sens(where, "model", "must be a string");
    s.model = j["model"].get<std::string>();
  }
  if (j.contains("metric")) {
    if (!j["metric"].is_string()) bad_sens(where, "metric", "must be a string");
    s.metric = j["metric"].get<std::string>();
  }
  if (!j.contains("base_accuracy") || !j["base_accuracy"].is_number()) {
    bad_sens(where, "base_accuracy", "must be the all-exact accuracy, a fraction in [0, 1]");
  }
  s.base_accuracy = j["base_accuracy"].get<double>();
  if (!(s.base_accuracy >= 0 && s.base_accuracy <= 1)) bad_sens(where, "base_accuracy", "must be in [0, 1]");
  if (!j.contains("drops") || !j["drops"].is_object()) {
    bad_sens(where, "drops", "must map layer names to {multiplier: drop}");
  }
  for (const auto& [layer, row] : j["drops"].items()) {
    if (!row.is_object()) bad_sens(where, "drops." + layer, "must map multiplier names to drops");
    for (const auto& [mult, v] : row.items()) {
      if (!v.is_number()) bad_sens(where, "drops." + layer + "." + mult, "must be a number");
      s.drops[layer][mult] = v.get<double>();
    }
  }
  return s;
}

SensitivityTable load_sensitivity(const std::filesystem::path& path) {
  return parse_sensitivity(read_json_file(path), path.string());
}

Json to_json(const SensitivityTable& s) {
  Json j;
  j["version"] = 1;
  j["model"] = s.model;
  j["metric"] = s.metric;
  j["base_accuracy"] = s.base_accuracy;
  j["drops"] = Json::object();
  for (const auto& [layer, row] : s.drops) {
    for (const auto& [mult, d] : row) j["drops"][layer][mult] = d;
  }
  return j;
}

void check_sensitivity_matches(const SensitivityTable& s, const ModelLayers& m) {
  if (!s.model.empty() && !m.model.empty() && s.model != m.model) {
    throw Error("SRC-007", fmt::format("the sensitivity table is for model '{}' but the search is "
                                       "for model '{}'; rerun 'transaxx sensitivity' on this model",
                                       s.model, m.model));
  }
  for (const auto& [layer, row] : s.drops) {
    if (m.find(layer) < 0) {
      throw Error("SRC-026", fmt::format("the sensitivity table names layer '{}', which model '{}' "
                                         "does not have (a table of another model?); layers: {}",
                                         layer, m.model, join_names(m.names())));
    }
  }
}

}  // namespace axx::search
