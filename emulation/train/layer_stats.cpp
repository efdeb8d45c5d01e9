// transaxx train — layer statistics for the search and hwgen (see layer_stats.hpp).
#include "emulation/train/layer_stats.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/npy.hpp"
#include "common/progress.hpp"
#include "common/sha256.hpp"
#include "emulation/device.hpp"
#include "emulation/layers.hpp"
#include "emulation/train/engine.hpp"
#include "emulation/train/layer_walk.hpp"

namespace axx::train {

namespace fs = std::filesystem;

std::string model_identifier(const std::string& path) {
  if (!fs::exists(path)) throw Error("TRN-024", fmt::format("model file {} does not exist", path));
  return fmt::format("{}@{}", fs::path(path).stem().string(), sha256_file(path).substr(0, 12));
}

namespace {

void write_npy_u8(const fs::path& path, const std::vector<uint8_t>& v, const std::vector<size_t>& shape) {
  std::string bytes = npy_header("|u1", shape);
  bytes.append(reinterpret_cast<const char*>(v.data()), v.size());
  write_file_atomic(path, bytes);
}

}  // namespace

Json compute_layer_stats(const LayerStatsOptions& o) {
  if (o.images < 1) throw UsageError("TRN-021", fmt::format("{} images: give at least 1", o.images));
  if (o.sample_rows < 1) throw UsageError("TRN-022", fmt::format("{} operand rows per sample: give at least 1", o.sample_rows));
  if (o.pool_values < 1) throw UsageError("TRN-023", fmt::format("{} values per operand pool: give at least 1", o.pool_values));
  set_threads(o.run.threads);
  const c10::Device device = emu::resolve_device(o.run.device);
  const bool with_data = !o.data.kind.empty();
  if (o.histograms && !with_data) {
    throw UsageError("TRN-025", "operand histograms and samples need a dataset (its training images); without one "
                                "only the layers' names and multiply counts are computed");
  }
  imp::ModelFileOptions mo;  // any model file: native/timm safetensors or TorchScript (input spec or sidecar)
  mo.preset = o.preset;
  mo.num_heads = o.heads;
  mo.input = {o.channels, o.image_size, o.num_classes};
  const Model m = load_any_model(o.model, mo);
  m.to(device);
  data::Dataset calib;
  if (with_data) {
    calib = load_calibration_set(o.data, o.images, o.run.seed);
    check_fits(m.input(), calib);
  }
  torch::NoGradGuard ng;
  m->eval();

  // Multiply counts of one image, from the layers themselves (FP32 forward). They depend only on
  // shapes: without data, zeros of the model's input shape.
  reset_to_fp32(m);
  const imp::InputSpec& in = m.input();
  m.forward(with_data ? calib.images.narrow(0, 0, 1) : at::zeros({1, in.channels, in.image_size, in.image_size}));
  const auto layers = ordered_layers(*m);
  Json out;
  out["version"] = 1;
  out["model"] = model_identifier(o.model);
  out["model_file"] = o.model;
  out["dataset"] = calib.name;  // "" without data
  out["images"] = o.histograms ? calib.size() : 0;
  Json jl = Json::array();
  int64_t total = 0;
  std::vector<int64_t> macs;  // per image (last_macs() changes with every later forward)
  for (const auto& [name, l] : layers) {
    const auto& g = l->last_gemm();  // of the one-image forward: what an accelerator runs
    jl.push_back({{"name", name},
                  {"kind", emu::to_string(l->kind())},
                  {"macs", l->last_macs()},
                  {"m", g.m},
                  {"k", g.k},
                  {"n", g.n},
                  {"count", g.count}});
    macs.push_back(l->last_macs());
    total += l->last_macs();
  }
  out["macs_per_image"] = total;

  if (o.histograms) {
    emu::CalibrationSettings cs;
    if (!o.calibration.empty()) cs.method = emu::parse_calibration_method(o.calibration);
    if (o.percentile > 0) cs.percentile = o.percentile;
    out["calibration"] = emu::to_string(cs.method);
    Json files = Json::object();
    for (const bool is_signed : {true, false}) {
      const std::string tag = is_signed ? "s8" : "u8";
      emu::ApproxConfig cfg;
      cfg.default_multiplier = is_signed ? "exact_s8" : "exact_u8";
      cfg.calibration = cs;
      emu::apply_config(*m, cfg, emu::MultiplierLibrary());
      calibrate(m, calib, cs, o.run.batch_size);
      std::vector<std::shared_ptr<emu::OperandRecorder>> recs;
      for (size_t i = 0; i < layers.size(); ++i) {
        auto r = std::make_shared<emu::OperandRecorder>();
        r->max_rows = o.operands_dir.empty() ? 0 : o.sample_rows;
        r->seed = o.run.seed * 1000003 + i;
        layers[i].second->state().recorder = r;
        recs.push_back(r);
      }
      std::unique_ptr<Progress> bar;
      if (o.run.progress) bar = std::make_unique<Progress>("layer statistics " + tag, size_t(calib.size()), "images");
      try {
        for (int64_t b = 0; b < calib.size(); b += o.run.batch_size) {
          const int64_t n = std::min(o.run.batch_size, calib.size() - b);
          m.forward(calib.images.narrow(0, b, n));
          if (bar) bar->advance(size_t(n));
        }
      } catch (...) {
        for (const auto& [name, l] : layers) l->state().recorder.reset();
        throw;
      }
      if (bar) bar->finish();
      for (const auto& [name, l] : layers) l->state().recorder.reset();
      for (size_t i = 0; i < layers.size(); ++i) {
        const emu::OperandRecorder& r = *recs[i];
        jl[i]["operands"]["a_" + tag] = std::vector<double>(r.hist_a.begin(), r.hist_a.end());
        jl[i]["operands"]["b_" + tag] = std::vector<double>(r.hist_b.begin(), r.hist_b.end());
      }
      if (o.operands_dir.empty()) continue;
      const fs::path dir = o.operands_dir;
      ensure_writable_dir(dir);
      // Per-layer samples, then one pool per operand drawn in proportion to multiply counts.
      Json lf = Json::object();
      std::vector<uint8_t> pool_a, pool_w;
      for (size_t i = 0; i < layers.size(); ++i) {
        const emu::OperandRecorder& r = *recs[i];
        const std::string& name = layers[i].first;
        const size_t k = size_t(std::max<int64_t>(1, r.k));
        const std::string fa = fmt::format("{}.{}.a.npy", name, tag), fw = fmt::format("{}.{}.w.npy", name, tag);
        write_npy_u8(dir / fa, r.rows_a, {r.rows_a.size() / k, k});
        write_npy_u8(dir / fw, r.rows_b, {r.rows_b.size() / k, k});
        lf[name] = {{"a", fa}, {"w", fw}, {"k", r.k}, {"rows_a", r.rows_a.size() / k}, {"rows_w", r.rows_b.size() / k}};
        const double share = total > 0 ? double(macs[i]) / double(total) : 0.0;
        const int64_t want = std::llround(share * double(o.pool_values));
        for (int64_t j = 0; j < want; ++j) {
          const uint64_t h = emu::mix64(o.run.seed ^ emu::mix64(i * 0x100000001b3ull + uint64_t(j)));
          if (!r.rows_a.empty()) pool_a.push_back(r.rows_a[h % r.rows_a.size()]);
          if (!r.rows_b.empty()) pool_w.push_back(r.rows_b[emu::mix64(h) % r.rows_b.size()]);
        }
      }
      const std::string pa = fmt::format("model.{}.a.npy", tag), pw = fmt::format("model.{}.w.npy", tag);
      write_npy_u8(dir / pa, pool_a, {pool_a.size()});
      write_npy_u8(dir / pw, pool_w, {pool_w.size()});
      files[tag] = {{"a", pa}, {"w", pw}, {"layers", lf}};
    }
    if (!o.operands_dir.empty()) {
      Json idx = {{"version", 1},
                  {"model", out["model"]},
                  {"format", "NumPy |u1 raw 8-bit operand codes (LUT indices); s8: int8 two's complement, u8: "
                             "uint8 with zero points"},
                  {"files", files}};
      write_json_atomic(fs::path(o.operands_dir) / "operands.json", idx);
      out["operand_files"] = idx;
      out["operand_files"]["dir"] = o.operands_dir;
    }
    reset_to_fp32(m);
  }
  out["layers"] = jl;
  return out;
}

}  // namespace axx::train
