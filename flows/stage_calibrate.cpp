// Flow stage "calibrate": the model's baselines — FP32 and exact 8-bit accuracy with calibrated
// activation ranges (saved) — and its approximable layers with multiply counts and operand
// statistics (`transaxx layers`), which the search and the hardware power estimate use.
#include "flows/flow_stages.hpp"

namespace axx::flows {

namespace fs = std::filesystem;

StageDef calibrate_stage() {
  StageDef s;
  s.name = "calibrate";
  s.what = "FP32 and exact 8-bit baselines, calibrated ranges, layer statistics";
  s.reads = {"model"};
  s.inputs = [](const FlowSpec& spec) {
    Json in{{"calibrate", spec.table("calibrate")}, {"data", spec.table("data")}, {"seed", spec.table("flow")["seed"]}};
    // Entropy ranges were 1/8 of the observed ones before 2026-12-03: those runs are redone.
    if (spec.table("calibrate").value("method", "") == "entropy") in["entropy_fix"] = 1;
    return in;
  };
  s.run = [](StageContext& ctx) {
    const std::string limit = std::to_string(ctx.spec().table("data").at("test_limit").get<int64_t>());
    std::vector<std::string> common = model_args(ctx);
    for (const auto& a : data_args(ctx.spec())) common.push_back(a);
    common.insert(common.end(), {"--test-limit", limit});
    const std::vector<std::string> calib = calibration_args(ctx);

    std::vector<std::string> fp32{"eval"};
    fp32.insert(fp32.end(), common.begin(), common.end());
    fp32.insert(fp32.end(), calib.begin(), calib.end());
    fp32.insert(fp32.end(), {"--result", (ctx.dir() / "fp32.json").string()});
    ctx.run("eval-fp32", fp32);

    std::vector<std::string> exact{"eval", "--exact8"};
    exact.insert(exact.end(), common.begin(), common.end());
    exact.insert(exact.end(), calib.begin(), calib.end());
    exact.insert(exact.end(), {"--save-calibration", (ctx.dir() / "calibration.json").string(), "--result",
                               (ctx.dir() / "exact8.json").string()});
    ctx.run("eval-exact8", exact);

    std::vector<std::string> layers{"layers", ctx.outputs_of("model").at("model").get<std::string>()};
    if (!ctx.outputs_of("model").value("preset", "").empty()) {
      layers.insert(layers.end(), {"--preset", ctx.outputs_of("model").at("preset").get<std::string>()});
    }
    for (const auto& a : data_args(ctx.spec())) layers.push_back(a);
    for (const auto& a : calibration_args(ctx, "--calib-images", "--data-seed")) layers.push_back(a);
    layers.insert(layers.end(), {"--out", (ctx.dir() / "layers.json").string(), "--operands",
                                 (ctx.dir() / "operands").string()});
    ctx.run("layers", layers);

    const Json f = read_json_file(ctx.dir() / "fp32.json");
    const Json e = read_json_file(ctx.dir() / "exact8.json");
    return Json{{"fp32_top1", f.at("top1")},
                {"exact8_top1", e.at("top1")},
                {"images", e.at("images")},
                {"calibration", (ctx.dir() / "calibration.json").string()},
                {"layers", (ctx.dir() / "layers.json").string()},
                {"operands", (ctx.dir() / "operands").string()}};
  };
  s.required_files = [](const Json&) {
    return std::vector<std::string>{"fp32.json", "exact8.json", "calibration.json", "layers.json"};
  };
  return s;
}

}  // namespace axx::flows
