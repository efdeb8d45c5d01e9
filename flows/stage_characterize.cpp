// Flow stage "characterize": the multiplier library, built with `transaxx library build`
// (incremental: records whose inputs are unchanged are reused) or taken from a folder.
#include <fmt/format.h>

#include "common/error.hpp"
#include "flows/flow_stages.hpp"
#include "characterize/library.hpp"

namespace axx::flows {

namespace fs = std::filesystem;

StageDef characterize_stage() {
  StageDef s;
  s.name = "characterize";
  s.what = "characterize the multipliers (Yosys, Verilator, power) into a library";
  s.keep_on_change = true;  // library builds reuse every record whose inputs are unchanged
  s.inputs = [](const FlowSpec& spec) {
    Json in = spec.table("characterize");
    Json files = Json::object();
    if (!in.at("library").get<std::string>().empty()) {
      files["library.json"] = content_hash(fs::path(in.at("library").get<std::string>()) / "library.json");
    } else if (in.at("inputs").empty()) {
      files["builtin"] = content_hash(builtin_rtl_dir());
    } else {
      for (const auto& p : in.at("inputs")) files[p.get<std::string>()] = content_hash(p.get<std::string>());
    }
    in["files"] = files;
    return in;
  };
  s.run = [](StageContext& ctx) {
    const Json& c = ctx.spec().table("characterize");
    if (!c.at("library").get<std::string>().empty()) {
      const fs::path lib = c.at("library").get<std::string>();
      const Json index = load_library_index(lib);  // LIB-001 when it is not a library
      return Json{{"library", fs::absolute(lib).lexically_normal().string()},
                  {"multipliers", index.at("multipliers").size()},
                  {"built_here", false}};
    }
    const fs::path lib = ctx.dir() / "library";
    std::vector<std::string> args{"library", "build"};
    for (const auto& p : c.at("inputs")) args.push_back(p.get<std::string>());
    args.insert(args.end(), {"--out", lib.string(), "-j", ctx.threads()});
    if (!c.at("only").empty()) {
      args.push_back("--only");
      for (const auto& n : c.at("only")) args.push_back(n.get<std::string>());
    }
    ctx.run("library-build", args);
    const Json index = load_library_index(lib);
    return Json{{"library", lib.string()}, {"multipliers", index.at("multipliers").size()}, {"built_here", true}};
  };
  s.required_files = [](const Json& out) {
    return out.value("built_here", false) ? std::vector<std::string>{"library/library.json"}
                                          : std::vector<std::string>{};
  };
  return s;
}

}  // namespace axx::flows
