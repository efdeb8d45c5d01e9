// Flow stage "sensitivity": each approximable layer alone with each multiplier of the library
// (the others exact 8-bit), the data the search's surrogate and policy start from; with the
// search's error compensation ([search] compensation), so the drops are those the search will see.
#include "flows/flow_stages.hpp"

namespace axx::flows {

StageDef sensitivity_stage() {
  StageDef s;
  s.name = "sensitivity";
  s.what = "per-layer sensitivity to every multiplier";
  s.reads = {"characterize", "model", "calibrate"};
  s.inputs = [](const FlowSpec& spec) {
    Json in{{"sensitivity", spec.table("sensitivity")},
            {"calibrate", spec.table("calibrate")},
            {"data", spec.table("data")},
            {"seed", spec.table("flow")["seed"]}};
    // Measured the way the search scores: with its compensation (absent when none: old runs stay valid).
    const std::string comp = spec.table("search").value("compensation", "none");
    if (comp != "none") in["compensation"] = comp;
    return in;
  };
  s.run = [](StageContext& ctx) {
    const Json& c = ctx.spec().table("sensitivity");
    std::vector<std::string> args{"sensitivity"};
    for (const auto& a : model_args(ctx)) args.push_back(a);
    args.insert(args.end(), {"--library", ctx.outputs_of("characterize").at("library").get<std::string>()});
    for (const auto& a : data_args(ctx.spec())) args.push_back(a);
    args.insert(args.end(), {"--test-limit", std::to_string(c.at("images").get<int64_t>())});
    for (const auto& a : calibration_args(ctx)) args.push_back(a);
    if (!c.at("multipliers").empty()) {
      args.push_back("--multipliers");
      for (const auto& m : c.at("multipliers")) args.push_back(m.get<std::string>());
    }
    args.insert(args.end(), {"--compensation", ctx.spec().table("search").value("compensation", "none")});
    args.insert(args.end(), {"--out", ctx.dir().string()});
    ctx.run("sensitivity", args);
    return Json{{"json", (ctx.dir() / "sensitivity.json").string()},
                {"csv", (ctx.dir() / "sensitivity.csv").string()},
                {"svg", (ctx.dir() / "sensitivity.svg").string()}};
  };
  s.required_files = [](const Json&) {
    return std::vector<std::string>{"sensitivity.json", "sensitivity.csv", "sensitivity.svg"};
  };
  return s;
}

}  // namespace axx::flows
