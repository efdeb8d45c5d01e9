// transaxx train — evaluation and per-layer sensitivity (see train.hpp).
#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>

#include "mpi/mpi.hpp"
#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/image.hpp"
#include "common/progress.hpp"
#include "common/sha256.hpp"
#include "emulation/train/engine.hpp"
#include "emulation/train/layer_stats.hpp"

namespace axx::train {

namespace fs = std::filesystem;

Json evaluate_model(const EvalOptions& o) {
  set_threads(o.run.threads);
  const Model m = load_any_model(o);
  const data::Dataset test = data::load_dataset(o.data);
  check_fits(m.input(), test);
  Json r;
  r["model"] = o.model;
  r["dataset"] = test.name;
  r["mode"] = o.quant.mode;
  r["device"] = m.device().str();
  if (o.quant.mode != "fp32") {
    const data::Dataset calib = load_calibration_set(o.data, o.quant.calib_images, o.run.seed);
    const emu::ApproxConfig cfg = quantize_model(m, o.quant, calib, o.run.batch_size);
    r["config"] = emu::to_json(cfg);
    r["compensation"] = emu::to_string(cfg.compensation);
    r["calibration_images"] = calib.size();
  }
  const Accuracy a = evaluate(m, test, o.run.batch_size, o.quant.mode, o.run.progress);
  r["top1"] = a.top1;
  r["top5"] = a.top5;
  r["images"] = a.images;
  r["seconds"] = a.seconds;
  r["images_per_s"] = a.seconds > 0 ? double(a.images) / a.seconds : 0.0;
  Json layers = Json::object();
  for (const auto& kv : emu::approximable_layers(*m)) {
    const auto& s = kv.second->state();
    layers[kv.first] = {{"multiplier", s.mult ? s.mult->name : "fp32"},
                        {"macs_per_image", a.images ? kv.second->last_macs() : 0}};
  }
  // last_macs() is of the last batch; scale to one image.
  const int64_t last = a.images % o.run.batch_size ? a.images % o.run.batch_size : std::min(o.run.batch_size, a.images);
  for (auto& [k, v] : layers.items()) v["macs_per_image"] = v["macs_per_image"].get<int64_t>() / std::max<int64_t>(1, last);
  r["layers"] = layers;
  return r;
}

namespace {

std::string heatmap_svg(const std::vector<std::string>& layers, const std::vector<std::string>& mults,
                        const std::vector<std::vector<double>>& drop, double exact_top1) {
  const int cw = 84, ch = 20, ox = 190, oy = 90;
  const int W = std::max(700, ox + cw * int(mults.size()) + 30), H = oy + ch * int(layers.size()) + 40;
  double mx = 1e-9;
  for (const auto& r : drop)
    for (double d : r) mx = std::max(mx, std::abs(d));
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Per-layer sensitivity: top-1 drop (points) vs. exact "
      "8-bit ({:.2f}%)</text>\n<text x=\"10\" y=\"38\" fill=\"#444\">one layer approximated at a time, others exact; red = "
      "accuracy lost, scale ±{:.2f} points</text>\n",
      W, H, W, H, exact_top1 * 100, mx * 100);
  for (size_t j = 0; j < mults.size(); ++j) {
    const int x = ox + cw * int(j) + cw / 2;
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"start\" transform=\"rotate(-30 {} {})\">{}</text>\n", x, oy - 6,
                     x, oy - 6, xml_escape(mults[j]));
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    const int y = oy + ch * int(i);
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", ox - 6, y + 14, xml_escape(layers[i]));
    for (size_t j = 0; j < mults.size(); ++j) {
      const Rgb c = diverging_color(std::clamp(drop[i][j] / mx, -1.0, 1.0));
      s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({},{},{})\" stroke=\"#ddd\"/>"
                       "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{:.2f}</text>\n",
                       ox + cw * int(j), y, cw, ch, c.r, c.g, c.b, ox + cw * int(j) + cw / 2, y + 14, drop[i][j] * 100);
    }
  }
  s += "</svg>\n";
  return s;
}

// Everything a sensitivity row depends on, so that a partial run is resumed only from the same
// inputs: the model file's content, the data, each multiplier's table, the layers, the
// calibration, and the baselines measured again at the start (equal only when model, data and
// calibration gave the same quantized model).
Json sensitivity_key(const SensitivityOptions& o, const std::string& model_id, const emu::MultiplierLibrary& lib,
                     const std::vector<std::string>& layers, const std::vector<std::string>& mults,
                     const data::Dataset& test, double fp32_top1, double exact_top1) {
  const EvalOptions& e = o.eval;
  Json tables = Json::object();
  for (const auto& n : mults) {
    const int32_t* t = lib.get(n)->table->lut();
    tables[n] = sha256_hex(std::string_view(reinterpret_cast<const char*>(t), 65536 * sizeof(int32_t)));
  }
  Json key = {{"model_id", model_id},
          {"data", {{"kind", e.data.kind}, {"path", e.data.path}, {"split", e.data.split}, {"limit", e.data.limit},
                    {"img_size", e.data.img_size}, {"images", test.size()}}},
          {"tables", tables},
          {"layers", layers},
          {"calibration", {{"method", e.quant.calibration}, {"percentile", e.quant.percentile},
                           {"images", e.quant.calib_images}, {"seed", e.run.seed}}},
          {"fp32_top1", fp32_top1},
          {"exact8_top1", exact_top1}};
  if (!e.quant.compensation.empty()) key["compensation"] = e.quant.compensation;  // old partial files: none
  return key;
}

}  // namespace

Json run_sensitivity(const SensitivityOptions& o) {
  const EvalOptions& e = o.eval;
  set_threads(e.run.threads);
  const auto t0 = std::chrono::steady_clock::now();
  if (o.library.empty()) throw UsageError("TRN-020", "sensitivity needs a multiplier library folder");
  const emu::MultiplierLibrary lib = emu::MultiplierLibrary::load(o.library);
  std::vector<std::string> mults = o.multipliers;
  if (mults.empty()) {
    for (const auto& n : lib.names())
      if (n != "exact" && n != "exact_s8" && n != "exact_u8") mults.push_back(n);
  }
  for (const auto& n : mults) lib.get(n);  // EMU-011 with the valid names, before any work
  const fs::path dir = o.out_dir;
  ensure_writable_dir(dir);  // before the evaluations, not after them
  const Model m = load_any_model(e);
  const data::Dataset test = data::load_dataset(e.data);
  check_fits(m.input(), test);
  const data::Dataset calib = load_calibration_set(e.data, e.quant.calib_images, e.run.seed);

  std::vector<std::string> layers = o.layers;
  const auto all = emu::approximable_layers(*m);
  if (layers.empty()) {
    for (const auto& kv : all) layers.push_back(kv.first);
    // Model order (blocks.10 after blocks.9), not the map's lexical order.
    std::vector<std::string> ordered;
    for (const auto& p : m->named_modules("", false))
      if (all.count(p.key())) ordered.push_back(p.key());
    layers = ordered;
  }
  // The two baselines: under MPI rank 0 measures fp32 and rank 1 exact 8-bit at the same time
  // (each calibrates as every rank does), then every rank learns both.
  const bool split_baselines = mpi::size() > 1;
  Accuracy fp32, exact;
  if (!split_baselines || mpi::rank() == 0) fp32 = evaluate(m, test, e.run.batch_size, "fp32", e.run.progress);
  emu::ApproxConfig cfg;
  cfg.library = o.library;
  cfg.default_multiplier = "exact";
  if (!e.quant.calibration.empty()) cfg.calibration.method = emu::parse_calibration_method(e.quant.calibration);
  if (e.quant.percentile > 0) cfg.calibration.percentile = e.quant.percentile;
  if (!e.quant.compensation.empty())
    cfg.compensation = emu::parse_compensation(e.quant.compensation, "compensation option");
  emu::apply_config(*m, cfg, lib);
  // One calibration for all rows: ranges are real-valued, so they serve every multiplier
  // (apply_config keeps them).
  calibrate(m, calib, cfg.calibration, e.run.batch_size);
  std::map<std::string, LayerCalibration> base;  // the exact calibration, per layer
  for (auto& [name, l] : emu::approximable_layers(*m)) base[name] = {l->state().ranges, l->state().hist_a};
  const NoiseAwareTable noise_aware =
      cfg.calibration.method == emu::CalibrationMethod::noise_aware
          ? noise_aware_table(m, calib, cfg.calibration, cfg.compensation, o.library, lib, mults, e.run.batch_size)
          : NoiseAwareTable{};
  emu::apply_config(*m, cfg, lib);  // back from the table's configs, with the exact calibration
  for (auto& [name, l] : emu::approximable_layers(*m)) {
    l->state().ranges = base.at(name).ranges;
    l->state().hist_a = base.at(name).hist_a;
  }
  if (!split_baselines || mpi::rank() == 1) exact = evaluate(m, test, e.run.batch_size, "exact8", e.run.progress);
  if (split_baselines) {
    const std::vector<std::string> parts =
        mpi::gather(Json{{"fp32", {fp32.top1, fp32.top5}}, {"exact", {exact.top1, exact.top5}}}.dump());
    Json both;
    if (mpi::is_root()) {
      const Json r1 = Json::parse(parts.at(1));
      both = {{"fp32", {fp32.top1, fp32.top5}}, {"exact", r1.at("exact")}};
    }
    both = Json::parse(mpi::broadcast(both.dump()));
    fp32.top1 = both["fp32"][0].get<double>();
    fp32.top5 = both["fp32"][1].get<double>();
    exact.top1 = both["exact"][0].get<double>();
    exact.top5 = both["exact"][1].get<double>();
  }

  // Rows done by an earlier run of the same inputs that was killed (or stopped) are kept in
  // sensitivity.partial.json, rewritten after every row, and not evaluated again.
  const fs::path partial_path = dir / "sensitivity.partial.json";
  const std::string model_id = model_identifier(e.model);  // SHA-256 of the file: once
  const Json key = sensitivity_key(o, model_id, lib, layers, mults, test, fp32.top1, exact.top1);
  Json done = Json::object();  // "layer\tmultiplier" -> {top1, top5}
  if (mpi::is_root() && fs::exists(partial_path)) {
    try {
      const Json p = read_json_file(partial_path);
      if (p.value("key", Json()) == key) done = p.at("rows");
    } catch (const std::exception&) {
      // unreadable: start over (it is rewritten below)
    }
    if (!done.empty() && e.run.progress)
      std::fprintf(stderr, "sensitivity: resuming, %zu of %zu rows from %s\n", done.size(),
                   layers.size() * mults.size(), partial_path.string().c_str());
  }
  // Under MPI rank 0 owns the partial file: the others learn from it which rows are done.
  if (mpi::parallel()) done = Json::parse(mpi::broadcast(done.dump()));
  const size_t resumed = done.size();
  // The rows still to evaluate, in table order; under MPI spread over the ranks in rounds, each
  // round's rows sent to rank 0, which saves them before the next round.
  std::vector<std::pair<size_t, size_t>> pending;
  for (size_t i = 0; i < layers.size(); ++i)
    for (size_t j = 0; j < mults.size(); ++j)
      if (!done.contains(layers[i] + "\t" + mults[j])) pending.emplace_back(i, j);
  const bool stop = o.stop_after > 0 && int64_t(pending.size()) > o.stop_after;
  if (stop) pending.resize(size_t(o.stop_after));
  std::unique_ptr<Progress> bar;
  if (e.run.progress && mpi::is_root()) {
    bar = std::make_unique<Progress>("sensitivity", layers.size() * mults.size(), "evaluations");
    if (resumed > 0) bar->advance(resumed, "resumed");
  }
  mpi::for_each_item(
      pending.size(),
      [&](size_t k) {
        const auto [i, j] = pending[k];
        emu::ApproxConfig c = cfg;
        c.layers = {{layers[i], mults[j]}};
        emu::apply_config(*m, c, lib);
        // noise_aware: the row's layer gets the range and histogram of its multiplier (what
        // calibrating the row's config gives it); the other layers keep the exact calibration's.
        for (auto& [name, l] : emu::approximable_layers(*m)) {
          auto& st = l->state();
          const auto it = noise_aware.find(mults[j]);
          const bool row = name == layers[i] && it != noise_aware.end();
          st.ranges = row ? it->second.at(name).ranges : base.at(name).ranges;
          st.hist_a = row ? it->second.at(name).hist_a : base.at(name).hist_a;
        }
        const Accuracy a = evaluate(m, test, e.run.batch_size, "", false);
        return Json{{"top1", a.top1}, {"top5", a.top5}}.dump();
      },
      [&](size_t k) { return fmt::format("row {} x {}", layers[pending[k].first], mults[pending[k].second]); },
      [&](size_t k, const std::string& result) {
        const auto [i, j] = pending[k];
        done[layers[i] + "\t" + mults[j]] = Json::parse(result);
        write_json_atomic(partial_path, Json{{"key", key}, {"rows", done}});
        if (bar) bar->advance(1, layers[i] + " " + mults[j]);
      });
  if (stop) {
    throw Error("TRN-004", fmt::format("sensitivity stopped after {} rows, as asked; run it again to resume "
                                       "from {}", o.stop_after, partial_path.string()));
  }
  if (!mpi::is_root()) return Json();  // rank 0 writes the results
  Json rows = Json::array();
  std::vector<std::vector<double>> drop(layers.size(), std::vector<double>(mults.size()));
  std::string csv = "layer,multiplier,top1,top5,drop_top1\n";
  for (size_t i = 0; i < layers.size(); ++i) {
    for (size_t j = 0; j < mults.size(); ++j) {
      const Json& d = done.at(layers[i] + "\t" + mults[j]);
      Accuracy a;
      a.top1 = d.at("top1").get<double>();
      a.top5 = d.at("top5").get<double>();
      drop[i][j] = exact.top1 - a.top1;
      rows.push_back({{"layer", layers[i]}, {"multiplier", mults[j]}, {"top1", a.top1}, {"top5", a.top5},
                      {"drop_top1", drop[i][j]}});
      csv += fmt::format("{},{},{:.6f},{:.6f},{:.6f}\n", layers[i], mults[j], a.top1, a.top5, drop[i][j]);
    }
  }
  if (bar) bar->finish();
  Json r = {{"model", e.model},
            {"model_id", model_id},  // the search checks it (search/model.hpp)
            {"dataset", test.name},
            {"images", test.size()},
            {"library", o.library},
            {"baseline", {{"fp32_top1", fp32.top1}, {"exact8_top1", exact.top1}, {"exact8_top5", exact.top5}}},
            {"compensation", emu::to_string(cfg.compensation)},
            {"layers", layers},
            {"multipliers", mults},
            {"rows", rows}};
  write_file_atomic(dir / "sensitivity.csv", csv);
  write_file_atomic(dir / "sensitivity.svg", heatmap_svg(layers, mults, drop, exact.top1));
  r["files"] = {{"csv", (dir / "sensitivity.csv").string()},
                {"json", (dir / "sensitivity.json").string()},
                {"svg", (dir / "sensitivity.svg").string()}};
  r["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r["resumed_rows"] = resumed;
  write_json_atomic(dir / "sensitivity.json", r);
  std::error_code ec;
  fs::remove(partial_path, ec);  // complete: the result files hold every row
  return r;
}

}  // namespace axx::train
