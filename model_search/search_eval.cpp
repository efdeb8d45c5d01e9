// transaxx train — the search's evaluator over the emulator (see search_eval.hpp).
#include "model_search/search_eval.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <chrono>
#include <unordered_map>

#include "common/error.hpp"
#include "emulation/device.hpp"
#include "emulation/train/engine.hpp"
#include "emulation/train/layer_stats.hpp"
#include "emulation/train/layer_walk.hpp"

namespace axx::train {

using Ranges = std::vector<std::pair<double, double>>;

struct EmulatorEvaluator::Impl {
  SearchEvalOptions o;
  models::VisionTransformer model{nullptr};
  data::Dataset full, subset;
  NoiseAwareTable noise_aware;  // method noise_aware: per approximate multiplier and layer
  emu::MultiplierLibrary lib;
  emu::CalibrationSettings cs;
  std::vector<std::pair<std::string, emu::ApproxLayer*>> layers;
  std::vector<int64_t> macs;
  std::map<std::string, Ranges> ranges_s8, ranges_u8;
  using Hist = std::shared_ptr<const std::array<double, 256>>;
  std::map<std::string, Hist> hist_s8, hist_u8;  // operand-A histograms of those calibrations
  emu::Compensation compensation = emu::Compensation::none;
  std::unordered_map<std::string, double> cache_subset, cache_full;
  std::string model_id;
  int64_t emulations = 0, hits = 0;
  double seconds = 0;

  // Ranges of every layer after calibrating with all layers on one signedness.
  std::map<std::string, Ranges> calibrate_all(bool is_signed, const data::Dataset& calib,
                                              std::map<std::string, Hist>& hist) {
    emu::ApproxConfig cfg;
    cfg.default_multiplier = is_signed ? "exact_s8" : "exact_u8";
    cfg.calibration = cs;
    emu::apply_config(*model, cfg, emu::MultiplierLibrary());
    calibrate(model, calib, cs, o.run.batch_size);
    std::map<std::string, Ranges> r;
    for (const auto& [name, l] : layers) {
      r[name] = l->state().ranges;
      hist[name] = l->state().hist_a;
    }
    return r;
  }

  std::string canonical(const std::string& mult) const { return mult == "exact" ? "exact_s8" : mult; }

  double run(const std::vector<std::string>& names, bool use_full) {
    if (subset.size() == full.size()) use_full = false;  // the same images: one cache
    std::string key;
    for (const auto& n : names) key += canonical(n) + ",";
    auto& cache = use_full ? cache_full : cache_subset;
    if (auto it = cache.find(key); it != cache.end()) {
      ++hits;
      return it->second;
    }
    const auto t0 = std::chrono::steady_clock::now();
    emu::ApproxConfig cfg;
    cfg.library = o.library;
    cfg.default_multiplier = "exact";
    cfg.calibration = cs;
    cfg.compensation = compensation;
    for (size_t i = 0; i < layers.size(); ++i) cfg.layers[layers[i].first] = names[i];
    emu::apply_config(*model, cfg, lib);
    // The range each layer would get from calibrating this very config (see the header).
    for (const auto& [name, l] : layers) {
      auto& s = l->state();
      const bool u8 = s.mult && !s.mult->is_signed;
      if (s.mult && noise_aware.count(s.mult->name)) {
        const LayerCalibration& c = noise_aware.at(s.mult->name).at(name);
        s.ranges = c.ranges;
        s.hist_a = c.hist_a;
      } else {
        s.ranges = u8 ? ranges_u8.at(name) : ranges_s8.at(name);
        s.hist_a = u8 ? hist_u8.at(name) : hist_s8.at(name);
      }
    }
    const data::Dataset& d = use_full ? full : subset;
    const Accuracy a = train::evaluate(model, d, o.run.batch_size, use_full ? "full test set" : "", use_full && o.run.progress);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++emulations;
    cache[key] = a.top1;
    return a.top1;
  }
};

EmulatorEvaluator::EmulatorEvaluator(const SearchEvalOptions& o) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.o = o;
  if (o.eval_images < 0) {
    throw UsageError("MSR-009", fmt::format("{} evaluation images: give 0 (all) or more", o.eval_images));
  }
  set_threads(o.run.threads);
  check_batch_size(o.run.batch_size);
  const c10::Device device = emu::resolve_device(o.run.device);
  s.model = load_model(o.model, o.preset);
  s.model->to(device);
  s.model_id = model_identifier(o.model);
  s.full = data::load_dataset(o.data);
  check_fits(s.model->config(), s.full);
  s.subset = s.full;
  if (o.eval_images > 0 && o.eval_images < s.full.size()) {
    // A seeded draw kept in dataset order: the subset is a fixed set of images, whatever the
    // search seed, so every algorithm and seed is scored on the same images.
    at::Generator g = at::detail::createCPUGenerator(o.run.seed + 104729);
    const at::Tensor idx = std::get<0>(at::randperm(s.full.size(), g, at::kLong).narrow(0, 0, o.eval_images).sort());
    s.subset.images = s.full.images.index_select(0, idx);
    s.subset.labels = s.full.labels.index_select(0, idx);
    s.subset.name = fmt::format("{} ({} of {} images, seed {})", s.full.name, o.eval_images, s.full.size(), o.run.seed);
  }
  s.lib = o.library.empty() ? emu::MultiplierLibrary() : emu::MultiplierLibrary::load(o.library);
  if (!o.calibration.empty()) s.cs.method = emu::parse_calibration_method(o.calibration);
  if (o.percentile > 0) s.cs.percentile = o.percentile;
  if (!o.compensation.empty()) s.compensation = emu::parse_compensation(o.compensation, "compensation option");
  {
    torch::NoGradGuard ng;
    s.model->eval();
    reset_to_fp32(s.model);
    s.model->forward(s.full.images.narrow(0, 0, 1).to(device));
    s.layers = ordered_layers(*s.model);
    for (const auto& [name, l] : s.layers) s.macs.push_back(l->last_macs());
  }
  const data::Dataset calib = load_calibration_set(o.data, o.calib_images, o.run.seed);
  s.ranges_s8 = s.calibrate_all(true, calib, s.hist_s8);
  s.ranges_u8 = s.calibrate_all(false, calib, s.hist_u8);
  if (s.cs.method == emu::CalibrationMethod::noise_aware) {
    s.noise_aware = noise_aware_table(s.model, calib, s.cs, s.compensation, o.library, s.lib, s.lib.names(),
                                      o.run.batch_size);
  }
}

EmulatorEvaluator::~EmulatorEvaluator() = default;

std::vector<double> EmulatorEvaluator::evaluate(const search::SearchSpace& space,
                                                const std::vector<search::Config>& configs) {
  if (space.num_layers() != impl_->layers.size()) {
    throw Error("MSR-008", fmt::format("the search space has {} layers but model {} has {}", space.num_layers(),
                                       impl_->model_id, impl_->layers.size()));
  }
  std::vector<double> out;
  for (const auto& c : configs) {
    std::vector<std::string> names;
    for (size_t l = 0; l < c.size(); ++l) names.push_back(space.multiplier_name(c, l));
    out.push_back(impl_->run(names, false));
  }
  return out;
}

double EmulatorEvaluator::subset_accuracy(const std::vector<std::string>& names) { return impl_->run(names, false); }

std::vector<std::string> EmulatorEvaluator::layer_names() const {
  std::vector<std::string> n;
  for (const auto& [name, l] : impl_->layers) n.push_back(name);
  return n;
}

double EmulatorEvaluator::accuracy(const std::map<std::string, std::string>& layers, bool full) {
  std::vector<std::string> names;
  for (const auto& [name, l] : impl_->layers) {
    auto it = layers.find(name);
    names.push_back(it == layers.end() ? "exact" : it->second);
  }
  for (const auto& [name, m] : layers) {
    bool found = false;
    for (const auto& [n, l] : impl_->layers) found = found || n == name;
    if (!found) {
      throw Error("MSR-005", fmt::format("configuration names layer '{}', which model {} does not have; layers: {}",
                                         name, impl_->model_id, search::join_names(layer_names())));
    }
  }
  return impl_->run(names, full);
}

search::ModelLayers EmulatorEvaluator::model_layers() const {
  search::ModelLayers m;
  m.model = impl_->model_id;
  for (size_t i = 0; i < impl_->layers.size(); ++i) {
    search::LayerInfo l;
    l.name = impl_->layers[i].first;
    l.macs = impl_->macs[i];
    m.layers.push_back(l);
  }
  return m;
}

std::string EmulatorEvaluator::model_id() const { return impl_->model_id; }
int64_t EmulatorEvaluator::subset_images() const { return impl_->subset.size(); }
int64_t EmulatorEvaluator::full_images() const { return impl_->full.size(); }
int64_t EmulatorEvaluator::emulations() const { return impl_->emulations; }
int64_t EmulatorEvaluator::cache_hits() const { return impl_->hits; }
double EmulatorEvaluator::emulation_seconds() const { return impl_->seconds; }

}  // namespace axx::train
