#include "flows/flow_stages.hpp"

#include <algorithm>
#include <vector>

#include "common/sha256.hpp"

namespace axx::flows {

namespace fs = std::filesystem;

std::vector<StageDef> flow_stages() {
  return {characterize_stage(), model_stage(),    calibrate_stage(), sensitivity_stage(),
          search_stage(),       finetune_stage(), hwgen_stage(),     report_stage()};
}

std::vector<std::string> data_args(const FlowSpec& spec) {
  const Json& d = spec.table("data");
  std::vector<std::string> a{"--dataset", d.at("dataset").get<std::string>()};
  if (!d.at("path").get<std::string>().empty()) a.insert(a.end(), {"--data", d.at("path").get<std::string>()});
  if (d.at("dataset").get<std::string>() == "folder") {
    a.insert(a.end(), {"--img-size", std::to_string(d.at("img_size").get<int64_t>())});
  }
  return a;
}

std::vector<std::string> model_args(const StageContext& ctx) {
  const Json& m = ctx.outputs_of("model");
  std::vector<std::string> a{"--model", m.at("model").get<std::string>()};
  if (!m.value("preset", "").empty()) a.insert(a.end(), {"--preset", m.at("preset").get<std::string>()});
  return a;
}

std::vector<std::string> calibration_args(const StageContext& ctx, const std::string& images_flag,
                                         const std::string& seed_flag) {
  const Json& c = ctx.spec().table("calibrate");
  std::vector<std::string> a{"--calibration", c.at("method").get<std::string>(), images_flag,
                             std::to_string(c.at("images").get<int64_t>())};
  if (c.at("method") == "percentile" || c.at("method") == "noise_aware") a.insert(a.end(), {"--percentile", Json(c.at("percentile")).dump()});
  a.insert(a.end(), {"--threads", ctx.threads(), "--device", ctx.device(), seed_flag,
                     std::to_string(ctx.spec().table("flow").at("seed").get<int64_t>())});
  return a;
}

std::string content_hash(const fs::path& path) {
  if (path.empty()) return "";
  std::error_code ec;
  if (!fs::exists(path, ec)) return "missing";
  if (!fs::is_directory(path, ec)) return sha256_file(path);
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  std::string all;
  for (const auto& f : files) all += fs::relative(f, path).string() + " " + sha256_file(f) + "\n";
  return sha256_hex(all);
}

}  // namespace axx::flows
