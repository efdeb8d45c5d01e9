// Flow stage "hwgen": the systolic-array accelerator for the design point's multiplier mix
// (`transaxx hwgen`), by default verified: lint, bit-exact simulation against the emulator's
// LUT-GEMM in every mode, synthesis, and power under operands recorded from the model's layers.
#include <fmt/format.h>

#include "common/error.hpp"
#include "common/library_folder.hpp"
#include "flows/flow_stages.hpp"

namespace axx::flows {

namespace fs = std::filesystem;

namespace {

/// Whether the config's multipliers are signed (the array follows them; all-exact: signed).
bool design_is_signed(const std::string& config_path, const std::string& library) {
  const Json cfg = read_json_file(config_path);
  const lib::LibraryIndex index = lib::read_index(library);
  std::vector<std::string> names;
  if (cfg.contains("default") && cfg["default"].is_string()) names.push_back(cfg["default"].get<std::string>());
  const Json layers = cfg.value("layers", Json::object());
  for (const auto& [layer, m] : layers.items()) {  // "name" or {"multiplier": "name", "compensation": ...}
    if (m.is_string()) names.push_back(m.get<std::string>());
    else if (m.is_object() && m.contains("multiplier") && m["multiplier"].is_string()) names.push_back(m["multiplier"].get<std::string>());
  }
  for (const auto& n : names) {
    if (const lib::IndexEntry* e = index.find(n)) return lib::read_entry_record(index, *e).is_signed;
  }
  return true;
}

}  // namespace

StageDef hwgen_stage() {
  StageDef s;
  s.name = "hwgen";
  s.what = "generate (and verify) the accelerator for the design point";
  s.reads = {"characterize", "calibrate", "finetune"};
  s.inputs = [](const FlowSpec& spec) { return Json{{"hwgen", spec.table("hwgen")}, {"seed", spec.table("flow")["seed"]}}; };
  s.run = [](StageContext& ctx) {
    const Json& c = ctx.spec().table("hwgen");
    const Json& ft = ctx.outputs_of("finetune");
    if (ft.at("hardware_config").is_null()) {
      throw Error("FLOW-007", "the search front is empty: there is no configuration to build hardware for");
    }
    // The model's GEMM shapes, from the layer statistics of the calibrate stage.
    const Json layers = read_json_file(ctx.outputs_of("calibrate").at("layers").get<std::string>());
    Json shapes{{"layers", Json::array()}};
    for (const auto& l : layers.at("layers")) {
      if (!l.contains("m") || !l.contains("k") || !l.contains("n")) {
        throw Error("FLOW-020", fmt::format("{}: layer '{}' has no GEMM shape (m, k, n); rerun the calibrate stage "
                                            "with this version of transaxx",
                                            ctx.outputs_of("calibrate").at("layers").get<std::string>(),
                                            l.value("name", "?")));
      }
      shapes["layers"].push_back({{"name", l.at("name")}, {"m", l.at("m")}, {"k", l.at("k")}, {"n", l.at("n")},
                                  {"count", l.value("count", int64_t{1})}});
    }
    write_json_atomic(ctx.dir() / "layer_shapes.json", shapes);
    const fs::path design = ctx.dir() / "design";
    std::vector<std::string> args{"hwgen",
                                  "--config",
                                  ft.at("hardware_config").get<std::string>(),
                                  "--library",
                                  ctx.outputs_of("characterize").at("library").get<std::string>(),
                                  "--rows",
                                  std::to_string(c.at("rows").get<int64_t>()),
                                  "--cols",
                                  std::to_string(c.at("cols").get<int64_t>()),
                                  "--dataflow",
                                  c.at("dataflow").get<std::string>(),
                                  "--layers",
                                  (ctx.dir() / "layer_shapes.json").string(),
                                  "--seed",
                                  std::to_string(ctx.spec().table("flow").at("seed").get<int64_t>()),
                                  "--jobs",
                                  ctx.threads(),
                                  "--out",
                                  design.string()};
    // Power under the model's own operands: the pool of codes recorded over all layers, weighted
    // by multiply count, in the quantization the design's multipliers use.
    const std::string code = design_is_signed(ft.at("hardware_config").get<std::string>(),
                                              ctx.outputs_of("characterize").at("library").get<std::string>())
                                 ? "s8"
                                 : "u8";
    const fs::path ops = ctx.outputs_of("calibrate").at("operands").get<std::string>();
    const fs::path pool_a = ops / fmt::format("model.{}.a.npy", code), pool_w = ops / fmt::format("model.{}.w.npy", code);
    const bool real_operands = fs::exists(pool_a) && fs::exists(pool_w);
    if (c.at("verify").get<bool>()) {
      args.push_back("--verify");
      if (real_operands) args.insert(args.end(), {"--operands-a", pool_a.string(), "--operands-w", pool_w.string()});
    }
    ctx.run("hwgen", args);
    return Json{{"design", design.string()},
                {"manifest", (design / "manifest.json").string()},
                {"config", ft.at("hardware_config")},
                {"verified", c.at("verify")},
                {"power_operands", real_operands ? Json(fmt::format("model.{}.a/w.npy (calibrate stage)", code))
                                                 : Json("uniform random")}};
  };
  s.required_files = [](const Json&) { return std::vector<std::string>{"design/manifest.json"}; };
  return s;
}

}  // namespace axx::flows
