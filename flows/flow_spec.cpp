#include "flows/flow_spec.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <toml++/toml.h>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/library_folder.hpp"

namespace axx::flows {

namespace fs = std::filesystem;
using T = FlowKey::Type;

const std::vector<std::string>& flow_stage_names() {
  static const std::vector<std::string> names = {"characterize", "model",    "calibrate", "sensitivity",
                                                 "search",       "finetune", "hwgen",     "report"};
  return names;
}

const std::vector<FlowKey>& flow_keys() {
  auto str = [](std::string t, std::string n, std::string d, std::string help, std::vector<std::string> ch = {},
                bool path = false) {
    FlowKey k{std::move(t), std::move(n), T::string, Json(std::move(d)), 0, 0, std::move(ch), path, std::move(help)};
    return k;
  };
  auto integer = [](std::string t, std::string n, int64_t d, double lo, double hi, std::string help) {
    return FlowKey{std::move(t), std::move(n), T::integer, Json(d), lo, hi, {}, false, std::move(help)};
  };
  auto number = [](std::string t, std::string n, double d, double lo, double hi, std::string help) {
    return FlowKey{std::move(t), std::move(n), T::number, Json(d), lo, hi, {}, false, std::move(help)};
  };
  auto boolean = [](std::string t, std::string n, bool d, std::string help) {
    return FlowKey{std::move(t), std::move(n), T::boolean, Json(d), 0, 0, {}, false, std::move(help)};
  };
  auto list = [](std::string t, std::string n, std::string help, bool path = false) {
    return FlowKey{std::move(t), std::move(n), T::string_list, Json::array(), 0, 0, {}, path, std::move(help)};
  };
  static const std::vector<FlowKey> keys = {
      str("flow", "name", "", "run folder name: <runs>/<name>/ (default: the flow file's name without .toml)"),
      str("flow", "runs", "runs", "folder holding the run folders, relative to the current folder"),
      integer("flow", "threads", 2, 1, 256, "threads for LibTorch and parallel characterization"),
      integer("flow", "seed", 1, 0, 1e15, "seed of calibration subsets, training and the search"),
      str("flow", "device", "cpu",
          "where the model stages (train, eval, layers, sensitivity, search, finetune) run: cpu, cuda (a GPU; a CUDA "
          "build, docs/gpu.md) or auto (cuda when usable); results are the same",
          {"cpu", "cuda", "auto"}),
      str("flow", "launcher", "",
          "command put before the stages' library build, sensitivity and search commands to run them across MPI "
          "ranks, split on spaces (e.g. \"mpirun -np 8\" or \"srun\"; \"\" = plain processes); results are the same"),

      str("data", "dataset", "fashion-mnist", "dataset kind", {"fashion-mnist", "cifar10", "folder"}),
      str("data", "path", "", "dataset folder (\"\" = the Debian package's for fashion-mnist)", {}, true),
      integer("data", "test_limit", 0, 0, 1e9, "test images for the final accuracies (0 = all)"),
      integer("data", "img_size", 224, 1, 4096, "folder datasets: image side after resize and centre crop"),

      list("characterize", "inputs",
           "Verilog files, folders of them or catalog .csv files (empty = the built-in catalog)", true),
      list("characterize", "only", "multiplier names to keep from the inputs (empty = all)"),
      str("characterize", "library", "", "an existing library folder to use instead of characterizing", {}, true),

      str("model", "file", "", "model file: .safetensors (native or timm names) or TorchScript .pt with its sidecar .json; empty = train one", {}, true),
      str("model", "preset", "", "model preset: shape for timm files, or the architecture to train"),
      boolean("model", "train", false, "train the model from scratch with `transaxx train`"),
      integer("model", "epochs", 6, 1, 10000, "training epochs"),
      integer("model", "max_steps", 0, 0, 1e12, "training: stop after this many steps (0 = epochs decide)"),
      integer("model", "train_batch", 128, 1, 1e6, "training batch size"),
      number("model", "lr", 2e-3, 1e-9, 10, "training peak learning rate"),
      integer("model", "train_limit", 0, 0, 1e9, "training images (0 = all)"),

      str("calibrate", "method", "percentile",
          "activation range calibration (noise_aware: percentile for exact layers, approximate ones clip "
          "where quantization plus multiplier error is least)",
          {"max", "percentile", "mse", "entropy", "noise_aware"}),
      number("calibrate", "percentile", 99.99, 50, 100, "percentile for method = \"percentile\" or \"noise_aware\""),
      integer("calibrate", "images", 512, 1, 1e7, "training images used for calibration"),

      list("sensitivity", "multipliers", "multipliers tried on each layer (empty = every one of the library)"),
      integer("sensitivity", "images", 1000, 1, 1e9, "test images per measurement"),

      str("search", "algo", "mcts", "search algorithm", {"mcts", "nsga2", "random", "greedy"}),
      integer("search", "budget", 100, 1, 1e9, "configurations scored by emulation"),
      list("search", "compare", "baselines run with the same budget and overlaid on the plot"),
      integer("search", "eval_images", 1000, 1, 1e9, "test images per scored configuration"),
      integer("search", "batch", 4, 1, 4096, "configurations per evaluation round"),
      integer("search", "max_candidates", 6, 0, 1000,
              "multipliers kept per layer after Pareto pruning (0 = every one; else at least 2): fewer "
              "is a smaller space, more lets one multiplier go on every layer (uniform seeds)"),
      str("search", "compensation", "none",
          "error compensation of the scored configurations: none, or mean (each weight code's mean error "
          "under the layer's calibrated activation histogram is subtracted)",
          {"none", "mean"}),

      integer("finetune", "points", 2, 0, 100,
              "most front points fine-tuned, one at a time: each the cheapest predicted to land within max_drop after "
              "fine-tuning (its top-1 before plus what fine-tuning won back on the points before it); fewer when no "
              "cheaper point is predicted to land"),
      number("finetune", "max_drop", 0.01, 0, 1, "accuracy drop allowed against exact 8-bit (fraction)"),
      number("finetune", "window", 0.03, 0, 1,
             "drop against exact 8-bit before fine-tuning of the points worth fine-tuning (fraction; at least "
             "max_drop); before any point is fine-tuned, fine-tuning is expected to win back (window - max_drop)/2"),
      integer("finetune", "steps", 300, 1, 1e9, "optimizer steps of approximation-aware fine-tuning"),
      str("finetune", "gradient", "ste",
          "backward of the approximate products: ste (straight-through) or lut (the table's finite differences)",
          {"ste", "lut"}),
      number("finetune", "lr", 1e-4, 1e-9, 10, "fine-tuning learning rate (cosine to lr/100)"),
      integer("finetune", "train_limit", 0, 0, 1e9, "training images (0 = all)"),
      str("finetune", "compensation", "search",
          "error compensation while fine-tuning: search (as [search] compensation), none or mean",
          {"search", "none", "mean"}),
      str("finetune", "calibration", "calibrate",
          "calibration of the fine-tuned points (their accuracy before fine-tuning is measured again with it): "
          "calibrate (as [calibrate] method) or noise_aware (approximate layers clipped for their error; needs "
          "[calibrate] method = \"percentile\" or \"noise_aware\")",
          {"calibrate", "noise_aware"}),

      integer("hwgen", "rows", 8, 1, 256, "PE rows of the systolic array"),
      integer("hwgen", "cols", 8, 1, 256, "PE columns"),
      str("hwgen", "dataflow", "ws", "ws (weight-stationary) or os (output-stationary)", {"ws", "os"}),
      boolean("hwgen", "verify", true, "lint, simulate bit-exact against the emulator, synthesize, power"),

      str("report", "title", "", "report title (default: the flow's name)"),
  };
  return keys;
}

namespace {

std::vector<std::string> table_names() {
  std::vector<std::string> t;
  for (const auto& k : flow_keys()) {
    if (std::find(t.begin(), t.end(), k.table) == t.end()) t.push_back(k.table);
  }
  return t;
}

std::vector<std::string> key_names(const std::string& table) {
  std::vector<std::string> n;
  for (const auto& k : flow_keys()) {
    if (k.table == table) n.push_back(k.name);
  }
  return n;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& valid) {
  std::string best;
  size_t best_d = 3;  // more than two edits is not a typo
  for (const auto& v : valid) {
    const size_t d = edit_distance(word, v);
    if (d < best_d) best_d = d, best = v;
  }
  return best.empty() ? "" : fmt::format(" (did you mean '{}'?)", best);
}

std::string where(const std::string& origin, const toml::source_region& r) {
  return fmt::format("{}:{}", origin, r.begin.line);
}

std::string type_name(const FlowKey& k) {
  switch (k.type) {
    case T::string: return k.choices.empty() ? "a string" : fmt::format("one of \"{}\"", fmt::join(k.choices, "\", \""));
    case T::integer:
      return k.min < k.max ? fmt::format("an integer in [{:.0f}, {:.0f}]", k.min, k.max) : "an integer";
    case T::number: return k.min < k.max ? fmt::format("a number in [{:g}, {:g}]", k.min, k.max) : "a number";
    case T::boolean: return "true or false";
    case T::string_list: return "a list of strings, e.g. [\"a\", \"b\"]";
  }
  return "?";
}

fs::path resolve(const fs::path& base, const std::string& p) {
  if (p.empty()) return {};
  const fs::path path(p);
  return (path.is_absolute() ? path : base / path).lexically_normal();
}

Json convert(const FlowKey& k, const toml::node& v, const std::string& origin, const fs::path& base) {
  auto bad = [&](const std::string& got) {
    return UsageError("FLOW-003", fmt::format("{}: [{}] {}: expected {}, got {}", where(origin, v.source()), k.table,
                                              k.name, type_name(k), got));
  };
  auto shown = [&]() {
    std::ostringstream os;
    v.visit([&](auto&& n) { os << n; });
    return os.str();
  };
  // A number outside the key's range (from the schema, the one table of ranges).
  auto out_of_range = [&](const std::string& got) {
    return UsageError("FLOW-030", fmt::format("{}: [{}] {} = {} is out of range: expected {} ({})",
                                              where(origin, v.source()), k.table, k.name, got, type_name(k), k.help));
  };
  switch (k.type) {
    case T::string: {
      if (!v.is_string()) throw bad(shown());
      const std::string s = *v.value<std::string>();
      if (!k.choices.empty() && std::find(k.choices.begin(), k.choices.end(), s) == k.choices.end()) {
        throw bad("\"" + s + "\"" + did_you_mean(s, k.choices));
      }
      return k.is_path ? Json(resolve(base, s).string()) : Json(s);
    }
    case T::integer: {
      if (!v.is_integer()) throw bad(shown());
      const int64_t i = *v.value<int64_t>();
      if (k.min < k.max && (double(i) < k.min || double(i) > k.max)) throw out_of_range(std::to_string(i));
      return Json(i);
    }
    case T::number: {
      if (!v.is_number()) throw bad(shown());
      const double d = *v.value<double>();
      if (!std::isfinite(d) || (k.min < k.max && (d < k.min || d > k.max))) throw out_of_range(shown());
      return Json(d);
    }
    case T::boolean:
      if (!v.is_boolean()) throw bad(shown());
      return Json(*v.value<bool>());
    case T::string_list: {
      const toml::array* a = v.as_array();
      if (!a) throw bad(shown());
      Json out = Json::array();
      for (const auto& e : *a) {
        if (!e.is_string()) throw bad(shown());
        const std::string s = *e.value<std::string>();
        out.push_back(k.is_path ? resolve(base, s).string() : s);
      }
      return out;
    }
  }
  return {};
}

}  // namespace

FlowSpec parse_flow(const std::string& text, const std::string& origin, const fs::path& base_dir) {
  toml::table doc;
  try {
    doc = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw UsageError("FLOW-001", fmt::format("{}:{}:{}: not valid TOML: {}", origin, e.source().begin.line,
                                             e.source().begin.column, e.description()));
  }
  FlowSpec spec;
  spec.settings = Json::object();
  for (const auto& t : table_names()) spec.settings[t] = Json::object();
  const std::vector<std::string> tables = table_names();
  for (auto&& [tkey, tnode] : doc) {
    const std::string tname(tkey.str());
    if (std::find(tables.begin(), tables.end(), tname) == tables.end() || !tnode.is_table()) {
      throw UsageError("FLOW-008", fmt::format("{}: unknown {} '{}'{}; the tables are [{}]", where(origin, tkey.source()),
                                               tnode.is_table() ? "table" : "top-level key", tname,
                                               did_you_mean(tname, tables), fmt::join(tables, "], [")));
    }
    const std::vector<std::string> names = key_names(tname);
    for (auto&& [key, node] : *tnode.as_table()) {
      const std::string kname(key.str());
      const auto it = std::find_if(flow_keys().begin(), flow_keys().end(),
                                   [&](const FlowKey& k) { return k.table == tname && k.name == kname; });
      if (it == flow_keys().end()) {
        throw UsageError("FLOW-002", fmt::format("{}: unknown key '{}' in [{}]{}; valid keys: {} (see `transaxx flow "
                                                 "keys`)",
                                                 where(origin, key.source()), kname, tname, did_you_mean(kname, names),
                                                 fmt::join(names, ", ")));
      }
      spec.settings[tname][kname] = convert(*it, node, origin, base_dir);
    }
  }
  for (const auto& k : flow_keys()) {
    if (!spec.settings[k.table].contains(k.name)) spec.settings[k.table][k.name] = k.fallback;
  }
  spec.name = spec.settings["flow"]["name"].get<std::string>();
  if (spec.name.empty()) spec.name = fs::path(origin).stem().string();
  if (spec.name.empty() || spec.name.find('/') != std::string::npos || spec.name == "." || spec.name == "..") {
    throw UsageError("FLOW-013", fmt::format("{}: [flow] name '{}': expected a folder name without '/'", origin,
                                             spec.name));
  }
  spec.settings["flow"]["name"] = spec.name;
  const Json& m = spec.settings["model"];
  if (m["file"].get<std::string>().empty() && !m["train"].get<bool>()) {
    throw UsageError("FLOW-014", fmt::format("{}: [model] needs file = \"model.safetensors\" or train = true", origin));
  }
  if (!m["file"].get<std::string>().empty() && m["train"].get<bool>()) {
    throw UsageError("FLOW-015", fmt::format("{}: [model] has both file and train = true; keep one", origin));
  }
  if (m["train"].get<bool>() && m["preset"].get<std::string>().empty()) {
    throw UsageError("FLOW-016", fmt::format("{}: [model] train = true needs preset = \"vit_fmnist\" (or another "
                                             "preset that `transaxx train` offers)",
                                             origin));
  }
  const std::string cal = spec.settings["calibrate"]["method"].get<std::string>();
  if (spec.settings["finetune"]["calibration"] == "noise_aware" && cal != "percentile" && cal != "noise_aware") {
    // noise_aware calibrates exact layers by the percentile: exact 8-bit, the reference of the
    // fine-tuned points, must be calibrated the same way.
    throw UsageError("FLOW-024", fmt::format("{}: [finetune] calibration = \"noise_aware\" needs [calibrate] method = "
                                             "\"percentile\" or \"noise_aware\" (exact 8-bit, the reference, is "
                                             "calibrated by the percentile), not \"{}\"",
                                             origin, cal));
  }
  for (const auto& c : spec.settings["search"]["compare"]) {
    static const std::vector<std::string> algos = {"mcts", "nsga2", "random", "greedy"};
    const std::string a = c.get<std::string>();
    if (std::find(algos.begin(), algos.end(), a) == algos.end()) {
      throw UsageError("FLOW-017", fmt::format("{}: [search] compare: unknown algorithm '{}'{}; valid: {}", origin, a,
                                               did_you_mean(a, algos), fmt::join(algos, ", ")));
    }
  }
  return spec;
}

FlowSpec load_flow(const fs::path& path) {
  if (!fs::exists(path)) {
    throw UsageError("FLOW-011", fmt::format("flow file '{}' does not exist; examples/demo/flow.toml is one to start "
                                             "from",
                                             path.string()));
  }
  const fs::path abs = fs::absolute(path).lexically_normal();
  FlowSpec spec = parse_flow(read_file(abs), abs.string(), abs.parent_path());
  spec.file = abs;
  return spec;
}

void check_flow_inputs(const FlowSpec& spec) {
  const std::string origin = spec.file.string();
  std::error_code ec;
  const std::string model = spec.settings.at("model").at("file").get<std::string>();
  if (!model.empty() && !fs::is_regular_file(model, ec)) {
    throw Error("FLOW-006", fmt::format("{}: [model] file '{}' does not exist; give a .safetensors model (e.g. "
                                        "examples/models/fmnist_vit.safetensors) or set train = true",
                                        origin, model));
  }
  const Json& d = spec.settings.at("data");
  std::string data = d.at("path").get<std::string>();
  const bool fmnist_default = data.empty() && d.at("dataset").get<std::string>() == "fashion-mnist";
  if (fmnist_default) data = "/usr/share/datasets/fashion-mnist";
  if (!data.empty() && !fs::is_directory(data, ec)) {
    throw Error("FLOW-022", fmt::format("{}: [data] path '{}' is not a folder{}", origin, data,
                                        fmnist_default ? " (the default of dataset = \"fashion-mnist\": install the "
                                                         "Debian package dataset-fashion-mnist, e.g. with scripts/setup.sh)"
                                                       : "; give the dataset's folder"));
  }
  const Json& c = spec.settings.at("characterize");
  const std::string library = c.at("library").get<std::string>();
  if (!library.empty()) {
    // LIB-001..010: no library.json or records, or not ones; LIB-011..015: a table missing,
    // unreadable or not the one its record was characterized with (changed since)
    for (const auto& r : lib::read_library(library).records) lib::read_lut(r);
  } else {
    for (const Json& p : c.at("inputs")) {
      if (!fs::exists(p.get<std::string>(), ec)) {
        throw Error("FLOW-023", fmt::format("{}: [characterize] inputs: '{}' does not exist; give Verilog files or "
                                            "folders of them",
                                            origin, p.get<std::string>()));
      }
    }
  }
}

std::string describe_flow_keys() {
  std::string out = "# transaxx flow file keys (TOML). Paths are relative to the flow file.\n";
  std::string table;
  for (const auto& k : flow_keys()) {
    if (k.table != table) {
      table = k.table;
      out += fmt::format("\n[{}]\n", table);
    }
    std::string def = k.fallback.dump();
    if (k.type == T::boolean || k.type == T::integer || k.type == T::number) def = k.fallback.dump();
    out += fmt::format("{:<24} # {}; {}\n", k.name + " = " + def, k.help, type_name(k));
  }
  return out;
}

}  // namespace axx::flows
