// transaxx emulation — model-level API (see config.hpp).
#include "emulation/config.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>

#include "common/error.hpp"
#include "emulation/quant.hpp"

namespace axx::emu {

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& field, const std::string& what) {
  throw Error("EMU-050", fmt::format("{}: field '{}' {}", where, field, what));
}

std::vector<std::string> keys(const std::map<std::string, ApproxLayer*>& m) {
  std::vector<std::string> k;
  for (const auto& [n, l] : m) k.push_back(n);
  return k;
}

}  // namespace

ApproxConfig parse_config(const Json& j, const std::string& where) {
  if (!j.is_object()) bad(where, "(top level)", "must be a JSON object");
  ApproxConfig c;
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int>() != 1) {
    bad(where, "version", "must be 1");
  }
  if (j.contains("library")) {
    if (!j["library"].is_string()) bad(where, "library", "must be a folder path string");
    c.library = j["library"].get<std::string>();
  }
  if (j.contains("default")) {
    if (!j["default"].is_string()) bad(where, "default", "must be a multiplier name");
    c.default_multiplier = j["default"].get<std::string>();
  }
  if (j.contains("compensation")) {
    if (!j["compensation"].is_string()) bad(where, "compensation", "must be \"none\" or \"mean\"");
    c.compensation = parse_compensation(j["compensation"].get<std::string>(), where + ": field 'compensation'");
  }
  if (j.contains("layers")) {
    if (!j["layers"].is_object()) bad(where, "layers", "must map layer names to multiplier names");
    for (const auto& [k, v] : j["layers"].items()) {
      if (v.is_object()) {
        if (!v.contains("multiplier") || !v["multiplier"].is_string()) {
          throw Error("EMU-073", fmt::format("{}: field 'layers.{}.multiplier' must be a multiplier name "
                                             "string (a layer object is {{\"multiplier\": \"<name>\", "
                                             "\"compensation\": \"none\"|\"mean\"}})",
                                             where, k));
        }
        c.layers[k] = v["multiplier"].get<std::string>();
        if (v.contains("compensation")) {
          if (!v["compensation"].is_string()) bad(where, "layers." + k + ".compensation", "must be \"none\" or \"mean\"");
          c.layer_compensation[k] = parse_compensation(v["compensation"].get<std::string>(),
                                                       where + ": field 'layers." + k + ".compensation'");
        }
        continue;
      }
      if (!v.is_string()) bad(where, "layers." + k, "must be a multiplier name string or a layer object");
      c.layers[k] = v.get<std::string>();
    }
  }
  if (j.contains("quant")) {
    const Json& q = j["quant"];
    if (!q.is_object()) bad(where, "quant", "must be an object");
    if (q.contains("weights")) {
      const std::string w = q["weights"].is_string() ? q["weights"].get<std::string>() : "";
      if (w == "per_channel") c.weights = WeightGranularity::per_channel;
      else if (w == "per_tensor") c.weights = WeightGranularity::per_tensor;
      else bad(where, "quant.weights", "must be \"per_channel\" or \"per_tensor\"");
    }
    if (q.contains("calibration")) {
      if (!q["calibration"].is_string()) bad(where, "quant.calibration", "must be a method name");
      c.calibration.method = parse_calibration_method(q["calibration"].get<std::string>());
    }
    if (q.contains("percentile")) {
      if (!q["percentile"].is_number()) bad(where, "quant.percentile", "must be a number");
      c.calibration.percentile = q["percentile"].get<double>();
      if (!(c.calibration.percentile > 50 && c.calibration.percentile <= 100)) {
        bad(where, "quant.percentile", "must be in (50, 100]");
      }
    }
  }
  return c;
}

ApproxConfig load_config(const std::filesystem::path& path) {
  ApproxConfig c = parse_config(read_json_file(path), path.string());
  if (!c.library.empty() && std::filesystem::path(c.library).is_relative()) {
    c.library = (path.parent_path() / c.library).string();
  }
  return c;
}

Json to_json(const ApproxConfig& c) {
  Json j;
  j["version"] = c.version;
  j["library"] = c.library;
  j["default"] = c.default_multiplier;
  j["layers"] = Json::object();
  for (const auto& [k, v] : c.layers) {
    auto it = c.layer_compensation.find(k);
    if (it != c.layer_compensation.end() && it->second != c.compensation) {
      j["layers"][k] = {{"multiplier", v}, {"compensation", to_string(it->second)}};
    } else {
      j["layers"][k] = v;
    }
  }
  j["quant"] = {{"weights", c.weights == WeightGranularity::per_channel ? "per_channel" : "per_tensor"},
                {"calibration", to_string(c.calibration.method)},
                {"percentile", c.calibration.percentile}};
  j["compensation"] = to_string(c.compensation);
  return j;
}

std::map<std::string, ApproxLayer*> approximable_layers(torch::nn::Module& root) {
  std::map<std::string, ApproxLayer*> out;
  for (const auto& item : root.named_modules("", /*include_self=*/true)) {
    if (auto* l = dynamic_cast<ApproxLayer*>(item.value().get())) out[item.key()] = l;
  }
  return out;
}

void apply_config(torch::nn::Module& root, const ApproxConfig& c, const MultiplierLibrary& lib) {
  auto layers = approximable_layers(root);
  for (const auto& [name, mult] : c.layers) {
    if (layers.count(name)) continue;
    std::string hint;
    for (const auto& item : root.named_modules("", true)) {
      if (item.key() == name) {
        hint = fmt::format(" ('{}' is a {}, which is not approximable; build the model with "
                           "axx::emu::ApproxLinear / ApproxConv2d / ApproxMatmul)",
                           name, item.value()->name());
      }
    }
    throw Error("EMU-051", fmt::format("config names layer '{}' that the model does not have{}; "
                                       "approximable layers: {}",
                                       name, hint, join_names(keys(layers))));
  }
  auto resolve = [&](const std::string& m) -> std::shared_ptr<const Multiplier> {
    if (m == "fp32") return nullptr;
    if (!lib.contains(m)) {
      auto names = lib.names();
      names.push_back("fp32");
      unknown_multiplier(m, c.library.empty() ? " (in the config)" : " (in the config, library " + c.library + ")",
                         names);
    }
    return lib.get(m);
  };
  const auto def = resolve(c.default_multiplier);
  for (auto& [name, layer] : layers) {
    LayerState& s = layer->state();
    s.name = name;
    auto it = c.layers.find(name);
    s.mult = it == c.layers.end() ? def : resolve(it->second);
    s.weight_granularity = c.weights;
    auto ic = c.layer_compensation.find(name);
    s.compensation = ic == c.layer_compensation.end() ? c.compensation : ic->second;
  }
}

void begin_calibration(torch::nn::Module& root) {
  for (auto& [name, layer] : approximable_layers(root)) {
    LayerState& s = layer->state();
    if (s.name.empty()) s.name = name;
    s.calibrating = true;
    s.observers.assign(size_t(layer->num_inputs()), RangeObserver());
  }
}

namespace {

// The noise_aware range of operand A of an approximate layer (calibrate.hpp): its operand B is
// the layer's quantized weight, or for a matmul the other input quantized with `ranges[1]`.
std::pair<double, double> noise_aware_range(ApproxLayer& layer, const std::vector<std::pair<double, double>>& ranges,
                                            const std::string& what) {
  const LayerState& s = layer.state();
  const bool is_signed = s.mult->is_signed;
  std::array<double, 256> hist_b{};
  int32_t zero_point_b = 0;
  const at::Tensor w = layer.weight_2d();
  if (w.defined()) {
    const QuantizedWeight qw = quantize_weight(w.detach(), is_signed, s.weight_granularity, what);
    const at::Tensor counts = at::bincount(qw.codes.reshape({-1}).to(at::kLong), {}, 256).to(at::kDouble).contiguous();
    for (int64_t b = 0; b < 256; ++b) hist_b[size_t(b)] = counts.data_ptr<double>()[b];
    zero_point_b = is_signed ? 0 : int32_t(std::lround(qw.zero_point.to(at::kDouble).mean().item<double>()));
  } else if (s.observers.size() > 1 && ranges.size() > 1) {
    hist_b = s.observers[1].code_histogram(ranges[1].first, ranges[1].second, is_signed);
    zero_point_b = is_signed ? 0 : qparams_from_range(ranges[1].first, ranges[1].second, false).zero_point;
  } else {
    return ranges[0];  // B unknown (an imported layer without a weight): the base range
  }
  return s.observers[0].noise_aware_range(s.mult->table->lut(), is_signed, hist_b, zero_point_b,
                                          s.compensation == Compensation::mean, what);
}

}  // namespace

CalibrationResult end_calibration(torch::nn::Module& root, const CalibrationSettings& settings, bool keep_observers) {
  CalibrationResult r;
  r.settings = settings;
  auto layers = approximable_layers(root);
  for (auto& [name, layer] : layers) layer->state().calibrating = false;
  for (auto& [name, layer] : layers) {
    LayerState& s = layer->state();
    const bool is_signed = s.mult ? s.mult->is_signed : true;
    std::vector<std::pair<double, double>> ranges;
    for (size_t i = 0; i < s.observers.size(); ++i) {
      // Store the method's range for the layer's signedness; an unsigned range keeps the
      // asymmetric extremes, a signed one is symmetric.
      ranges.push_back(s.observers[i].range(settings, is_signed,
                                            fmt::format("layer '{}' input {}", name, i)));
    }
    if (settings.method == CalibrationMethod::noise_aware && s.mult && !s.mult->is_exact() && !ranges.empty()) {
      // Operand A's range for the multiplier, and its code histogram under that range from the
      // FP32 observation (the histogram pass leaves this layer alone): both depend only on the
      // layer's own input, multiplier, weights and compensation, not on the other layers.
      ranges[0] = noise_aware_range(*layer, ranges, fmt::format("layer '{}' input 0", name));
      const std::array<double, 256> h = s.observers[0].code_histogram(ranges[0].first, ranges[0].second, is_signed);
      r.hist_a[name] = h;
      s.hist_a = std::make_shared<const std::array<double, 256>>(h);
    }
    if (ranges.size() != size_t(layer->num_inputs())) {
      empty_calibration_set(fmt::format("layer '{}'", name), "no batch reached this layer");
    }
    s.ranges = ranges;
    if (!keep_observers) s.observers.clear();
    r.ranges[name] = ranges;
  }
  return r;
}

void apply_calibration(torch::nn::Module& root, const CalibrationResult& r) {
  auto layers = approximable_layers(root);
  for (const auto& [name, ranges] : r.ranges) {
    auto it = layers.find(name);
    if (it == layers.end()) {
      throw Error("EMU-052", fmt::format("calibration names layer '{}' that the model does not "
                                         "have; approximable layers: {}",
                                         name, join_names(keys(layers))));
    }
    if (ranges.size() != size_t(it->second->num_inputs())) {
      throw Error("EMU-053", fmt::format("calibration gives {} ranges for layer '{}', which has {} "
                                         "input(s); recalibrate",
                                         ranges.size(), name, it->second->num_inputs()));
    }
    it->second->state().ranges = ranges;
    auto h = r.hist_a.find(name);
    it->second->state().hist_a =
        h == r.hist_a.end() ? nullptr : std::make_shared<const std::array<double, 256>>(h->second);
  }
}

void begin_histograms(torch::nn::Module& root) {
  for (auto& [name, layer] : approximable_layers(root)) {
    LayerState& s = layer->state();
    s.hist_recorder = s.mult ? std::make_shared<OperandRecorder>() : nullptr;
  }
}

void end_histograms(torch::nn::Module& root, CalibrationResult& r) {
  for (auto& [name, layer] : approximable_layers(root)) {
    LayerState& s = layer->state();
    const std::shared_ptr<OperandRecorder> rec = std::move(s.hist_recorder);
    s.hist_recorder = nullptr;
    if (r.hist_a.count(name)) continue;  // noise_aware's approximate layers: set by end_calibration
    if (!rec || rec->macs == 0) {
      s.hist_a = nullptr;
      r.hist_a.erase(name);
      continue;
    }
    r.hist_a[name] = rec->hist_a;
    s.hist_a = std::make_shared<const std::array<double, 256>>(rec->hist_a);
  }
}

}  // namespace axx::emu
