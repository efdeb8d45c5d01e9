// Flow stage "model": the model the flow studies — a given file (hashed, so replacing it
// reruns everything downstream) or one trained here with `transaxx train` (resumes a killed run
// from its last epoch checkpoint).
#include <fmt/format.h>

#include "common/error.hpp"
#include "flows/flow_stages.hpp"

namespace axx::flows {

namespace fs = std::filesystem;

StageDef model_stage() {
  StageDef s;
  s.name = "model";
  s.what = "the model (given file or `transaxx train`)";
  s.inputs = [](const FlowSpec& spec) {
    Json in{{"model", spec.table("model")}};
    const std::string file = spec.table("model").at("file").get<std::string>();
    if (!file.empty()) {
      in["file_sha256"] = content_hash(file);
    } else {
      in["data"] = spec.table("data");
      in["seed"] = spec.table("flow").at("seed");
    }
    return in;
  };
  s.run = [](StageContext& ctx) {
    const Json& m = ctx.spec().table("model");
    const std::string file = m.at("file").get<std::string>();
    if (!file.empty()) {  // it exists: check_flow_inputs ran before any stage
      return Json{{"model", file}, {"preset", m.at("preset")}, {"trained_here", false}};
    }
    const fs::path out = ctx.dir() / "train";
    std::vector<std::string> args{"train", "--preset", m.at("preset").get<std::string>(), "--out", out.string()};
    for (const auto& a : data_args(ctx.spec())) args.push_back(a);
    args.insert(args.end(),
                {"--epochs", std::to_string(m.at("epochs").get<int64_t>()), "--max-steps",
                 std::to_string(m.at("max_steps").get<int64_t>()), "--train-batch",
                 std::to_string(m.at("train_batch").get<int64_t>()), "--lr", Json(m.at("lr")).dump(), "--train-limit",
                 std::to_string(m.at("train_limit").get<int64_t>()), "--test-limit",
                 std::to_string(ctx.spec().table("data").at("test_limit").get<int64_t>()), "--threads", ctx.threads(),
                 "--device", ctx.device(), "--data-seed", std::to_string(ctx.spec().table("flow").at("seed").get<int64_t>())});
    ctx.run("train", args);
    const Json result = read_json_file(out / "result.json");
    return Json{{"model", (out / "model.safetensors").string()},
                {"preset", ""},
                {"trained_here", true},
                {"test_top1", result.value("test_top1", 0.0)}};
  };
  s.required_files = [](const Json& out) {
    return out.value("trained_here", false) ? std::vector<std::string>{"train/model.safetensors"}
                                            : std::vector<std::string>{};
  };
  return s;
}

}  // namespace axx::flows
