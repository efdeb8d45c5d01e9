// Flow stage "search": the accuracy–power front of per-layer multiplier configurations
// (`transaxx search`, checkpointed: a killed search resumes), with the baselines when asked.
#include "flows/flow_stages.hpp"

namespace axx::flows {

StageDef search_stage() {
  StageDef s;
  s.name = "search";
  s.what = "search the accuracy-power front";
  s.reads = {"characterize", "model", "calibrate", "sensitivity"};
  // 2: the uniform configurations are measured, and pruning with measured drops keeps the noise
  // Pareto set (2026-12-03). 3: the surrogate counts negative measured drops as none (MCTS).
  // 4: uniform configurations MCTS scored join its whole-test-set front ("uniform_seeds").
  s.results_version = 4;
  s.inputs = [](const FlowSpec& spec) {
    Json search = spec.table("search");
    if (search.value("compensation", "none") == "none") search.erase("compensation");  // runs made before it stay valid
    if (search.value("max_candidates", int64_t{6}) == 6) search.erase("max_candidates");  // likewise
    return Json{{"search", search},
                {"calibrate", spec.table("calibrate")},
                {"data", spec.table("data")},
                {"seed", spec.table("flow")["seed"]}};
  };
  s.run = [](StageContext& ctx) {
    const Json& c = ctx.spec().table("search");
    std::vector<std::string> args{"search"};
    for (const auto& a : model_args(ctx)) args.push_back(a);
    args.insert(args.end(), {"--library", ctx.outputs_of("characterize").at("library").get<std::string>(),
                             "--sensitivity", ctx.outputs_of("sensitivity").at("json").get<std::string>(),
                             "--layers", ctx.outputs_of("calibrate").at("layers").get<std::string>()});
    for (const auto& a : data_args(ctx.spec())) args.push_back(a);
    for (const auto& a : calibration_args(ctx, "--calib-images", "--data-seed")) args.push_back(a);
    args.insert(args.end(), {"--test-limit", std::to_string(ctx.spec().table("data").at("test_limit").get<int64_t>()),
                             "--algo", c.at("algo").get<std::string>(), "--budget",
                             std::to_string(c.at("budget").get<int64_t>()), "--eval-images",
                             std::to_string(c.at("eval_images").get<int64_t>()), "--config-batch",
                             std::to_string(c.at("batch").get<int64_t>()), "--max-candidates",
                             std::to_string(c.at("max_candidates").get<int64_t>()), "--seed",
                             std::to_string(ctx.spec().table("flow").at("seed").get<int64_t>())});
    if (!c.at("compare").empty()) {
      args.push_back("--compare");
      for (const auto& a : c.at("compare")) args.push_back(a.get<std::string>());
    }
    args.insert(args.end(), {"--compensation", c.at("compensation").get<std::string>(), "--out", ctx.dir().string()});
    ctx.run("search", args);
    return Json{{"dir", ctx.dir().string()},
                {"algo", c.at("algo")},
                {"summary", (ctx.dir() / "summary.json").string()},
                {"front", (ctx.dir() / c.at("algo").get<std::string>() / "front.json").string()},
                {"svg", (ctx.dir() / "front.svg").string()}};
  };
  s.required_files = [](const Json& out) {
    return std::vector<std::string>{"summary.json", out.at("algo").get<std::string>() + "/front.json"};
  };
  return s;
}

}  // namespace axx::flows
