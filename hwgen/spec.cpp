// transaxx — hwgen spec: parameters, library records, model shapes, config → modes + schedule.
#include "hwgen/spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/error.hpp"
#include "common/library_folder.hpp"

namespace axx::hwgen {

namespace fs = std::filesystem;

std::string dataflow_name(Dataflow d) { return d == Dataflow::kWeightStationary ? "ws" : "os"; }

Dataflow parse_dataflow(const std::string& s) {
  if (s == "ws") return Dataflow::kWeightStationary;
  if (s == "os") return Dataflow::kOutputStationary;
  throw Error("HWG-007",
              fmt::format("unknown dataflow '{}'; valid: ws (weight-stationary), os (output-stationary)", s));
}

int mode_bits(const DesignSpec& spec) {
  int b = 1;
  while ((size_t{1} << b) < spec.modes.size()) ++b;
  return b;
}

int comp_table_bits(const ArrayParams& a) { return std::min(a.acc_bits, 17); }

int required_acc_bits(int64_t k) {
  int b = 0;
  while ((int64_t{1} << b) < k) ++b;
  return 16 + b;
}

namespace {

// HWG-003: the array's or a layer's reduction length K needs a wider accumulator.
[[noreturn]] void accumulator_too_narrow(int acc_bits, int64_t k, const std::string& what) {
  throw Error("HWG-003", fmt::format("accumulator of {} bits is too narrow for {} with K = {}: a sum of K 16-bit "
                                     "products needs {} bits; make the accumulator {} bits or wider",
                                     acc_bits, what, k, required_acc_bits(k), required_acc_bits(k)));
}

// HWG-018: a layer-shape file that is not {"layers": [{name, m, k, n[, count]}]} with dimensions >= 1.
[[noreturn]] void bad_layer_file(const fs::path& path, const std::string& what) {
  throw Error("HWG-018", fmt::format("layer-shape file '{}': {}; expected {{\"layers\": [{{\"name\", \"m\", \"k\", "
                                     "\"n\"[, \"count\"]}}]}} with every dimension >= 1",
                                     path.string(), what));
}

// HWG-013: the config's "layers" is not a map of layer names to multiplier names.
[[noreturn]] void bad_layers_map(const std::string& what) {
  throw Error("HWG-013", fmt::format("approximation config: {}; \"layers\" must map layer names to multiplier "
                                     "name strings or {{\"multiplier\": name, \"compensation\": \"none\" | "
                                     "\"mean\"}} objects",
                                     what));
}

// HWG-032: a "compensation" value that is not one of the modes of COMPENSATION.md.
std::string parse_compensation(const Json& v, const std::string& where) {
  if (v.is_string() && (v.get<std::string>() == "none" || v.get<std::string>() == "mean")) return v.get<std::string>();
  throw Error("HWG-032", fmt::format("approximation config: {} \"compensation\" is {}; valid values: \"none\", "
                                     "\"mean\"",
                                     where, v.dump()));
}

// HWG-033: a layer given in the object form without a multiplier name string, or with another key.
[[noreturn]] void bad_layer_object(const std::string& layer, const std::string& what) {
  throw Error("HWG-033", fmt::format("approximation config: layer '{}' {}; the object form is {{\"multiplier\": "
                                     "name, \"compensation\": \"none\" | \"mean\"}}",
                                     layer, what));
}

}  // namespace

void validate(const DesignSpec& spec) {
  const ArrayParams& a = spec.array;
  if (a.rows < 1 || a.rows > 256 || a.cols < 1 || a.cols > 256) {
    throw Error("HWG-001", fmt::format("array of {} x {} PEs: rows and cols must each be in 1..256", a.rows, a.cols));
  }
  if (a.acc_bits < 16 || a.acc_bits > 32) {
    throw Error("HWG-002", fmt::format("accumulator width {} bits: must be in 16..32 (products are 16 bits; the "
                                       "golden model accumulates in int32)",
                                       a.acc_bits));
  }
  // WS sums `rows` products inside the array; OS sums a whole K stream in each PE. Layers with a
  // larger K are split into K-tiles whose partial sums are added at the same width.
  const int64_t array_k = a.dataflow == Dataflow::kWeightStationary ? a.rows : a.stream_depth;
  if (a.acc_bits < required_acc_bits(array_k)) {
    accumulator_too_narrow(a.acc_bits, array_k,
                           a.dataflow == Dataflow::kWeightStationary ? "the array's rows" : "the stream depth");
  }
  for (const ScheduleEntry& e : spec.schedule) {
    if (e.mode < 0) continue;
    if (a.acc_bits < required_acc_bits(e.shape.k)) {
      accumulator_too_narrow(a.acc_bits, e.shape.k, fmt::format("layer '{}'", e.shape.name));
    }
  }
  if (a.stream_depth < 1 || a.stream_depth > 65536) {
    throw Error("HWG-015", fmt::format("stream memory depth {} words: must be in 1..65536", a.stream_depth));
  }
  if (!(a.clock_mhz > 0)) throw Error("HWG-016", fmt::format("clock {} MHz: must be > 0", a.clock_mhz));
  if (spec.modes.empty() || spec.modes.size() > 64) {
    throw Error("HWG-014", fmt::format("{} distinct multipliers (modes): an array holds 1..64; {}", spec.modes.size(),
                                       spec.modes.empty() ? "give the design at least one multiplier"
                                                          : "use fewer distinct multipliers in the config"));
  }
  for (const MultiplierSpec& m : spec.modes) {
    if (m.is_signed != a.is_signed) {
      throw Error("HWG-005",
                  fmt::format("multiplier '{}' is {} but the array is {}: one array cannot mix signed and "
                              "unsigned multipliers; choose multipliers of one signedness",
                              m.name, m.is_signed ? "signed" : "unsigned", a.is_signed ? "signed" : "unsigned"));
    }
  }
}

namespace {

// A well-formed record hwgen cannot build hardware from.
[[noreturn]] void unusable_record(const fs::path& rec_path, const std::string& what) {
  throw Error("HWG-008",
              fmt::format("library record '{}': {}; rebuild it with `transaxx library build`", rec_path.string(), what));
}

}  // namespace

std::vector<std::string> library_names(const fs::path& library) {
  std::vector<std::string> names;
  if (fs::exists(library / "library.json")) {
    try {
      names = lib::read_index(library).names();
    } catch (const Error&) {  // only for listing names in a message: fall back to the records
    }
  }
  if (names.empty() && fs::is_directory(library)) {
    for (const auto& e : fs::directory_iterator(library)) {
      if (e.path().extension() == ".json" && e.path().filename() != "library.json") {
        names.push_back(e.path().stem().string());
      }
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

MultiplierSpec load_multiplier(const fs::path& library, const std::string& name_in, bool is_signed) {
  const std::string name = name_in == "exact" ? (is_signed ? "exact_s8" : "exact_u8") : name_in;
  const fs::path rec_path = library / (name + ".json");
  if (!fs::exists(rec_path)) {
    const std::vector<std::string> names = library_names(library);
    throw Error("HWG-004", fmt::format("multiplier '{}' is not in the library '{}'{}; valid names: {}", name,
                                       library.string(), name_in == "exact" ? " (\"exact\" needs it)" : "",
                                       names.empty() ? "(none: build one with `transaxx library build`)"
                                                     : fmt::format("{}", fmt::join(names, ", "))));
  }
  const lib::MultiplierRecord r = lib::read_record(rec_path);  // LIB-* for a malformed record
  static constexpr const char* kNeeds = "the hardware generator";
  MultiplierSpec m;
  m.name = r.name;
  m.top = r.need(r.top, "top", kNeeds);
  m.is_signed = r.is_signed;
  for (const std::string& s : r.sources) m.sources.emplace_back(s);
  if (m.sources.empty()) r.missing_field("sources", kNeeds);
  m.params = r.params;
  m.port_a = r.port_a;
  m.port_b = r.port_b;
  m.port_o = r.port_o;
  if (r.width_a != 8 || r.width_b != 8 || r.width_o != 16) {
    unusable_record(rec_path, "the multiplier is not 8 x 8 -> 16 bits");
  }
  m.energy_pj_per_op = r.hw.energy_pj_per_op.value_or(0.0);
  m.area_um2 = r.hw.area_um2.value_or(0.0);
  for (const fs::path& s : m.sources) {
    if (!fs::exists(s)) unusable_record(rec_path, fmt::format("its Verilog source '{}' does not exist", s.string()));
  }
  m.lut = lib::read_lut(r);  // LIB-011..014
  return m;
}

namespace {

struct VitDims {
  const char* name;
  int64_t dim, heads;
};
const VitDims kVits[] = {
    {"vit_tiny_patch16_224", 192, 3},
    {"vit_small_patch16_224", 384, 6},
    {"vit_base_patch16_224", 768, 12},
};

}  // namespace

std::vector<std::string> model_names() {
  std::vector<std::string> n;
  for (const auto& v : kVits) n.push_back(v.name);
  return n;
}

std::vector<LayerShape> model_layers(const std::string& model) {
  for (const auto& v : kVits) {
    if (model != v.name) continue;
    // 224x224 image, 16x16 patches: 196 patches + the class token; 12 blocks, MLP ratio 4.
    const int64_t tokens = 197, patches = 196, d = v.dim, h = v.heads, hd = v.dim / v.heads;
    std::vector<LayerShape> l;
    l.push_back({"patch_embed.proj", patches, 3 * 16 * 16, d, 1});
    for (int b = 0; b < 12; ++b) {
      const std::string p = fmt::format("blocks.{}.", b);
      l.push_back({p + "attn.qkv", tokens, d, 3 * d, 1});
      l.push_back({p + "attn.qk", tokens, hd, tokens, h});
      l.push_back({p + "attn.av", tokens, tokens, hd, h});
      l.push_back({p + "attn.proj", tokens, d, d, 1});
      l.push_back({p + "mlp.fc1", tokens, d, 4 * d, 1});
      l.push_back({p + "mlp.fc2", tokens, 4 * d, d, 1});
    }
    l.push_back({"head", 1, d, 1000, 1});
    return l;
  }
  throw Error("HWG-009", fmt::format("unknown model '{}'; built-in layer tables: {} (or give a layer-shape file)",
                                     model, fmt::join(model_names(), ", ")));
}

std::vector<LayerShape> read_layer_file(const fs::path& path) {
  const Json j = read_json_file(path);
  std::vector<LayerShape> out;
  try {
    for (const auto& e : j.at("layers")) {
      LayerShape s{e.at("name").get<std::string>(), e.at("m").get<int64_t>(), e.at("k").get<int64_t>(),
                   e.at("n").get<int64_t>(), e.value("count", int64_t{1})};
      if (s.m < 1 || s.k < 1 || s.n < 1 || s.count < 1) {
        bad_layer_file(path, fmt::format("layer '{}' has a dimension < 1", s.name));
      }
      out.push_back(s);
    }
  } catch (const Json::exception& e) {
    bad_layer_file(path, e.what());
  }
  return out;
}

DesignSpec build_spec(const Json& config, fs::path library, const ArrayParams& array,
                      const std::vector<LayerShape>& layers, const std::string& model_name) {
  if (!config.is_object()) throw Error("HWG-006", "the approximation config must be a JSON object");
  if (config.value("version", 1) != 1) {
    throw Error("HWG-011", fmt::format("approximation config version {} is not supported (expected 1)",
                                       config.value("version", 0)));
  }
  if (library.empty()) {
    if (!config.contains("library") || !config["library"].is_string()) {
      throw Error("HWG-012", "no multiplier library: give the library folder or set \"library\" in the config");
    }
    library = config["library"].get<std::string>();
  }
  if (!fs::is_directory(library)) {
    throw Error("HWG-010", fmt::format("library folder '{}' does not exist; build one with `transaxx library build`",
                                       library.string()));
  }
  const std::string def = config.value("default", std::string("exact"));
  const std::string def_comp =
      config.contains("compensation") ? parse_compensation(config["compensation"], "the top-level") : "none";
  std::map<std::string, std::string> per_layer, per_layer_comp;
  if (config.contains("layers")) {
    if (!config["layers"].is_object()) bad_layers_map(fmt::format("\"layers\" is {}", config["layers"].type_name()));
    for (auto it = config["layers"].begin(); it != config["layers"].end(); ++it) {
      const Json& v = it.value();
      if (v.is_object()) {
        if (!v.contains("multiplier") || !v["multiplier"].is_string()) {
          bad_layer_object(it.key(), "has no \"multiplier\" name string");
        }
        for (auto f = v.begin(); f != v.end(); ++f) {
          if (f.key() != "multiplier" && f.key() != "compensation") {
            bad_layer_object(it.key(), fmt::format("has the unknown key \"{}\"", f.key()));
          }
        }
        per_layer[it.key()] = v["multiplier"].get<std::string>();
        if (v.contains("compensation")) {
          per_layer_comp[it.key()] =
              parse_compensation(v["compensation"], fmt::format("layer '{}':", it.key()));
        }
        continue;
      }
      if (!v.is_string()) bad_layers_map(fmt::format("layer '{}' maps to {}, not a name", it.key(), v.dump()));
      per_layer[it.key()] = v.get<std::string>();
    }
  }
  auto comp_of = [&](const std::string& layer) {
    auto it = per_layer_comp.find(layer);
    return it == per_layer_comp.end() ? def_comp : it->second;
  };
  if (!layers.empty()) {
    std::set<std::string> known;
    for (const auto& l : layers) known.insert(l.name);
    for (const auto& [layer, mult] : per_layer) {
      if (!known.count(layer)) {
        std::vector<std::string> names;
        for (const auto& l : layers) names.push_back(l.name);
        throw Error("HWG-019", fmt::format("the config names layer '{}', which model '{}' does not have; valid layers: "
                                           "{}",
                                           layer, model_name, fmt::join(names, ", ")));
      }
    }
  }
  // Multipliers in order of use: default first, then per layer (model order, then config order).
  std::vector<std::string> order;
  auto use = [&](const std::string& n) {
    if (n != "fp32" && std::find(order.begin(), order.end(), n) == order.end()) order.push_back(n);
  };
  use(def);
  for (const auto& l : layers) {
    auto it = per_layer.find(l.name);
    use(it == per_layer.end() ? def : it->second);
  }
  for (const auto& [layer, mult] : per_layer) use(mult);
  if (order.empty()) use("exact");  // an all-fp32 config still gets an (exact) array
  // Signedness: from the first approximate multiplier; "exact" follows it.
  bool is_signed = array.is_signed;
  for (const auto& n : order) {
    if (n == "exact") continue;
    const fs::path rec = library / (n + ".json");
    if (fs::exists(rec)) {
      is_signed = lib::read_record(rec).is_signed;
      break;
    }
  }
  DesignSpec spec;
  spec.array = array;
  spec.array.is_signed = is_signed;
  spec.config = config;
  spec.model = model_name;
  std::map<std::string, int> mode_of;
  for (const auto& n : order) {
    MultiplierSpec m = load_multiplier(library, n, is_signed);
    if (mode_of.count(m.name)) {  // "exact" and "exact_s8" are one mode
      mode_of[n] = mode_of[m.name];
      continue;
    }
    mode_of[n] = mode_of[m.name] = static_cast<int>(spec.modes.size());
    spec.modes.push_back(std::move(m));
  }
  for (const auto& l : layers) {
    auto it = per_layer.find(l.name);
    const std::string n = it == per_layer.end() ? def : it->second;
    ScheduleEntry e{l, n == "fp32" ? "fp32" : spec.modes[static_cast<size_t>(mode_of[n])].name,
                    n == "fp32" ? -1 : mode_of[n]};
    if (n != "fp32") e.compensation = comp_of(l.name);
    if (e.compensation == "mean") spec.array.compensation = true;
    spec.schedule.push_back(e);
  }
  if (layers.empty()) {  // no layer table: any array layer of the config (or the default) asking for it
    if (def != "fp32" && def_comp == "mean") spec.array.compensation = true;
    for (const auto& [layer, mult] : per_layer) {
      if (mult != "fp32" && comp_of(layer) == "mean") spec.array.compensation = true;
    }
  }
  validate(spec);
  return spec;
}

}  // namespace axx::hwgen
