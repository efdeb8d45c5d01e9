#include "eda/yosys.hpp"

#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/json.hpp"
#include "common/subprocess.hpp"

namespace axx::flows {

namespace {

namespace fs = std::filesystem;

std::string quoted_path(const fs::path& p) {
  const std::string s = p.string();
  if (s.find('"') != std::string::npos || s.find('\n') != std::string::npos) {
    throw Error("YSY-008", fmt::format("file name '{}' contains a double quote or a newline, which Yosys scripts "
                                       "cannot express; rename the file",
                                       s));
  }
  return "\"" + s + "\"";
}

// Yosys names: plain identifiers as they are, others escaped.
std::string yosys_id(const std::string& name) {
  static const std::regex plain("[A-Za-z_][A-Za-z0-9_$]*");
  return std::regex_match(name, plain) ? name : "\\" + name;
}

std::string read_commands(const DesignSpec& spec) {
  std::string s;
  for (const auto& f : spec.files) s += "read_verilog -sv " + quoted_path(f) + "\n";
  return s;
}

// The first line of a Yosys log holding "ERROR:" (Yosys puts file:line before it).
std::string yosys_error(const fs::path& log) {
  const std::string text = tail_lines(log, 60);
  const size_t pos = text.find("ERROR:");
  if (pos == std::string::npos) return text;
  const size_t start = text.rfind('\n', pos);
  const size_t end = text.find('\n', pos);
  const size_t from = start == std::string::npos ? 0 : start + 1;
  return text.substr(from, end == std::string::npos ? std::string::npos : end - from);
}

void run_yosys(const std::string& script_name, const std::string& script, const fs::path& work,
               const std::string& error_code, const std::string& what) {
  write_file_atomic(work / script_name, script);
  const fs::path log = work / (fs::path(script_name).stem().string() + ".log");
  const int rc = run_process({"yosys", "-q", "-l", log.string(), "-s", (work / script_name).string()},
                             {{}, work / (fs::path(script_name).stem().string() + ".stdout"), {}});
  if (rc != 0) {
    throw Error(error_code, fmt::format("{}: {}\n(Yosys exit status {}; full log: {})", what, yosys_error(log), rc,
                                        log.string()));
  }
}

std::string describe_ports(const Json& mod) {
  std::vector<std::string> parts;
  for (auto it = mod["ports"].begin(); it != mod["ports"].end(); ++it) {
    parts.push_back(fmt::format("{} {} [{} bits]", it.value()["direction"].get<std::string>(), it.key(),
                                it.value()["bits"].size()));
  }
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) s += (i ? ", " : "") + parts[i];
  return parts.empty() ? "no ports" : s;
}

}  // namespace

std::string yosys_version() {
  static std::once_flag once;
  static std::string version;
  std::call_once(once, [] {
    if (!find_program("yosys").empty()) version = first_output_line({"yosys", "-V"});
  });
  if (version.empty()) require_program("yosys", "yosys");
  return version;
}

DesignInfo inspect_design(const DesignSpec& spec, const fs::path& work) {
  yosys_version();
  if (spec.files.empty()) throw Error("YSY-009", "no Verilog file given; give the multiplier's Verilog file(s)");
  for (const auto& f : spec.files) {
    std::error_code ec;
    if (!fs::exists(f, ec)) throw Error("YSY-001", fmt::format("Verilog file '{}' does not exist", f.string()));
    if (!fs::is_regular_file(f, ec)) {
      throw Error("YSY-010", fmt::format("'{}' is not a regular file; give a Verilog file", f.string()));
    }
  }
  const fs::path pre = work / "modules.json";
  run_yosys("inspect.ys", read_commands(spec) + "proc\nwrite_json " + quoted_path(pre) + "\n", work, "YSY-002",
            "Yosys could not read the design");
  const Json doc = read_json_file(pre);
  DesignInfo info;
  std::set<std::string> instantiated;
  std::vector<std::pair<std::string, std::string>> with_src;  // (src, name) for declaration order
  for (auto it = doc["modules"].begin(); it != doc["modules"].end(); ++it) {
    const Json& attrs = it.value().value("attributes", Json::object());
    if (attrs.contains("blackbox")) continue;
    info.modules.push_back(it.key());
    with_src.emplace_back(attrs.value("src", std::string()), it.key());
    for (auto c = it.value()["cells"].begin(); c != it.value()["cells"].end(); ++c) {
      std::string type = c.value()["type"].get<std::string>();
      if (!type.empty() && type[0] == '\\') type = type.substr(1);
      instantiated.insert(type);
    }
  }
  if (info.modules.empty()) {
    throw Error("YSY-011", fmt::format("no module found in {}; expected a Verilog module with two 8-bit inputs "
                                       "and one 16-bit output",
                                       spec.files.front().string()));
  }
  auto list = [](const std::vector<std::string>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s;
  };
  if (!spec.top.empty()) {
    if (std::find(info.modules.begin(), info.modules.end(), spec.top) == info.modules.end()) {
      throw Error("YSY-012", fmt::format("top module '{}' is not in the files; they define: {}", spec.top,
                                         list(info.modules)));
    }
    info.top = spec.top;
    return info;
  }
  std::sort(with_src.begin(), with_src.end());
  std::vector<std::string> candidates;
  for (const auto& [src, name] : with_src) {
    if (instantiated.count(name)) continue;
    if (doc["modules"][name]["ports"].empty()) continue;  // test benches are not multipliers
    candidates.push_back(name);
  }
  if (candidates.empty()) {
    throw Error("YSY-013", fmt::format("no top-level module with ports in the given files (modules: {}); name the "
                                       "multiplier's top module",
                                       list(info.modules)));
  }
  if (candidates.size() > 1) {
    // Unused helper modules (a half adder defined but not instantiated) are not candidates when
    // exactly one candidate has a multiplier's ports.
    std::vector<std::string> shaped;
    for (const auto& c : candidates) {
      int in8 = 0, out16 = 0, other = 0;
      const Json& ports = doc["modules"][c]["ports"];
      for (auto p = ports.begin(); p != ports.end(); ++p) {
        const std::string dir = p.value()["direction"].get<std::string>();
        const size_t w = p.value()["bits"].size();
        if (dir == "input" && w == 8) ++in8;
        else if (dir == "output" && w == 16) ++out16;
        else ++other;
      }
      if (in8 == 2 && out16 == 1 && other == 0) shaped.push_back(c);
    }
    if (shaped.size() == 1) candidates = shaped;
  }
  if (candidates.size() > 1) {
    throw Error("YSY-003", fmt::format("several top-level modules could be the multiplier: {}; name the top module "
                                       "to characterize",
                                       list(candidates)));
  }
  info.top = candidates.front();
  return info;
}

void synthesize(const DesignSpec& spec, DesignInfo& info, const fs::path& liberty, const fs::path& work) {
  const fs::path elab = work / "elab.json", gate = work / "gate.json", flat = work / "gate_flat.v";
  std::string hier = "hierarchy -check -top " + yosys_id(info.top);
  for (const auto& [k, v] : spec.params) hier += " -chparam " + yosys_id(k) + " " + v;
  const std::string lib = quoted_path(liberty);
  const std::string script = read_commands(spec) + hier + "\n" +
      "proc\nflatten\nopt_clean\n"
      "write_json " + quoted_path(elab) + "\n"
      "synth -flatten -top " + yosys_id(info.top) + "\n"
      // Yosys' default ABC script for -liberty, except that &nf maps for area (delay relaxation
      // -R 1000: any delay up to 11x the best) instead of for minimum delay. Delay-oriented
      // mapping duplicates logic along the critical paths by an amount that depends on the
      // logic depth, which blurs area and power comparisons between designs; with area mapping
      // the EvoApproxLib 8x8 multipliers rank as their published 45 nm area and power
      // (Spearman 0.96 -> 0.99 for both, 49 designs), at about the same run time.
      "abc -liberty " + lib +
      " -script +strash;&get,-n;&fraig,-x;&put;scorr;dc2;dretime;strash;&get,-n;&dch,-f;&nf,-R,1000;&put\n"
      "opt_clean -purge\n"
      "stat -liberty " + lib + "\n"
      "write_json " + quoted_path(gate) + "\n"
      "read_liberty -ignore_miss_func " + lib + "\n"
      "flatten\nopt_clean\n"
      "rename " + yosys_id(info.top) + " axx_gate\n"
      // One port per bit: logic that reads an output bit back would otherwise look like a
      // combinational loop through the output vector to Verilator, which then mis-settles.
      "splitnets -ports -format _\n"
      "write_verilog -noattr " + quoted_path(flat) + "\n";
  run_yosys("synth.ys", script, work, "YSY-007", fmt::format("Yosys could not synthesize module '{}'", info.top));

  // Checks on the elaborated design (before synthesis optimizations).
  const Json ed = read_json_file(elab);
  std::string top_key = info.top;
  if (!ed["modules"].contains(top_key)) {
    for (auto it = ed["modules"].begin(); it != ed["modules"].end(); ++it) {
      if (it.value().value("attributes", Json::object()).contains("top")) top_key = it.key();
    }
  }
  const Json& mod = ed["modules"][top_key];
  std::vector<std::string> inputs, outputs;
  bool all_signed = true;
  for (auto it = mod["ports"].begin(); it != mod["ports"].end(); ++it) {
    const std::string dir = it.value()["direction"].get<std::string>();
    if (dir == "input") inputs.push_back(it.key());
    else if (dir == "output") outputs.push_back(it.key());
    else inputs.push_back(it.key() + "(inout)");
    all_signed = all_signed && it.value().value("signed", 0) == 1;
  }
  auto width = [&](const std::string& p) { return mod["ports"].contains(p) ? mod["ports"][p]["bits"].size() : 0; };
  bool ok = inputs.size() == 2 && outputs.size() == 1 && width(outputs[0]) == 16;
  if (ok) {
    for (const auto& i : inputs) ok = ok && width(i) == 8;
  }
  if (!ok) {
    throw Error("YSY-004", fmt::format("module '{}' has {}; expected exactly two 8-bit inputs (activation, weight) "
                                       "and one 16-bit output",
                                       info.top, describe_ports(mod)));
  }
  info.port_a = inputs[0];
  info.port_b = inputs[1];
  if (!spec.port_a.empty() || !spec.port_b.empty()) {
    const std::string a = spec.port_a.empty() ? (spec.port_b == inputs[0] ? inputs[1] : inputs[0]) : spec.port_a;
    const std::string b = spec.port_b.empty() ? (a == inputs[0] ? inputs[1] : inputs[0]) : spec.port_b;
    for (const auto& [role, p] : {std::pair<std::string, std::string>{"activation", a}, {"weight", b}}) {
      if (std::find(inputs.begin(), inputs.end(), p) == inputs.end()) {
        throw Error("YSY-014", fmt::format("{} input '{}': module '{}' has no input of that name; its inputs are {} and {}",
                                           role, p, info.top, inputs[0], inputs[1]));
      }
    }
    if (a == b) {
      throw Error("YSY-015", fmt::format("the activation and the weight input are both '{}'; name two different inputs",
                                         a));
    }
    info.port_a = a;
    info.port_b = b;
  }
  info.port_o = outputs[0];
  info.ports_declared_signed = all_signed;
  for (const std::string& p : {info.port_a, info.port_b, info.port_o}) {
    const Json& port = mod["ports"][p];
    // Bit i (LSB first) of a [hi:lo] port is named p_(lo+i); of a [lo:hi] ("upto") port p_(hi-i).
    const int width = static_cast<int>(port["bits"].size());
    const int offset = port.value("offset", 0);
    const bool upto = port.value("upto", 0) == 1;
    std::vector<int> idx;
    for (int i = 0; i < width; ++i) idx.push_back(upto ? offset + width - 1 - i : offset + i);
    info.bit_index[p] = idx;
  }

  std::vector<std::string> state;
  for (auto it = mod["cells"].begin(); it != mod["cells"].end(); ++it) {
    const std::string type = it.value()["type"].get<std::string>();
    if (type.find("dff") != std::string::npos || type.find("DFF") != std::string::npos ||
        type.find("latch") != std::string::npos || type.find("LATCH") != std::string::npos ||
        type == "$sr" || type.rfind("$_SR", 0) == 0 || type == "$ff" || type.rfind("$_FF", 0) == 0 ||
        type.rfind("$mem", 0) == 0) {
      const std::string src = it.value().value("attributes", Json::object()).value("src", std::string("?"));
      state.push_back(fmt::format("{} at {}", type, src));
    }
  }
  if (!state.empty()) {
    std::string s;
    for (size_t i = 0; i < state.size() && i < 5; ++i) s += (i ? "; " : "") + state[i];
    throw Error("YSY-005", fmt::format("module '{}' is not purely combinational: it has {} flip-flop/latch/memory "
                                       "cell(s) ({}{}); a multiplier must be combinational (check for incomplete "
                                       "assignments in always blocks, which infer latches)",
                                       info.top, state.size(), s, state.size() > 5 ? "; ..." : ""));
  }

  // Constant outputs after synthesis.
  const Json gd = read_json_file(gate);
  for (auto it = gd["modules"].begin(); it != gd["modules"].end(); ++it) {
    const Json& bits = it.value()["ports"][info.port_o]["bits"];
    bool constant = true;
    for (const auto& b : bits) constant = constant && b.is_string();
    if (constant) {
      throw Error("YSY-006", fmt::format("the output '{}' of module '{}' is constant after synthesis; a multiplier "
                                         "must depend on its inputs",
                                         info.port_o, info.top));
    }
  }
}

std::vector<EvaluatedOutput> evaluate_rtl(const DesignSpec& spec, const DesignInfo& info,
                                          const std::vector<std::pair<int, int>>& pairs, const fs::path& work,
                                          const std::string& name) {
  std::string script = read_commands(spec) + "hierarchy -check -top " + yosys_id(info.top);
  for (const auto& [k, v] : spec.params) script += " -chparam " + yosys_id(k) + " " + v;
  script += "\nproc\nflatten\nopt_clean\n";
  for (const auto& [a, b] : pairs) {
    script += fmt::format("eval -set-undef -set {} {} -set {} {} -show {}\n", yosys_id(info.port_a), a,
                          yosys_id(info.port_b), b, yosys_id(info.port_o));
  }
  run_yosys(name + ".ys", script, work, "YSY-020", fmt::format("Yosys could not evaluate module '{}'", info.top));
  // "Eval result: \\o = 16'0000000000100000." once per eval, in order; x/z bits for unknowns.
  const fs::path log = work / (name + ".log");
  const std::string text = read_file(log);
  static const std::regex result(R"(Eval result: \S+ = (\d+)'([01xzXZ]+)\.)");
  std::vector<EvaluatedOutput> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), result); it != std::sregex_iterator(); ++it) {
    const std::string bits = (*it)[2].str();
    EvaluatedOutput e;
    for (size_t i = 0; i < bits.size() && i < 16; ++i) {
      const char c = bits[bits.size() - 1 - i];  // MSB first in the log
      if (c == '1') e.value |= static_cast<uint16_t>(1u << i);
      else if (c != '0') e.unknown |= static_cast<uint16_t>(1u << i);
    }
    out.push_back(e);
  }
  if (out.size() != pairs.size()) {
    throw Error("YSY-021", fmt::format("Yosys printed {} evaluation result(s) for module '{}', expected {} (one per "
                                       "operand pair); see {}",
                                       out.size(), info.top, pairs.size(), log.string()));
  }
  return out;
}

}  // namespace axx::flows
