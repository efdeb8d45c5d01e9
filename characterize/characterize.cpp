#include "characterize/characterize.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <regex>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/library_folder.hpp"
#include "common/npy.hpp"
#include "common/sha256.hpp"
#include "characterize/error_metrics.hpp"
#include "eda/gate_netlist.hpp"
#include "eda/liberty.hpp"
#include "characterize/plots.hpp"
#include "characterize/simulation_check.hpp"
#include "eda/verilator.hpp"

namespace axx::flows {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014):
// small, seedable and identical on every platform, so stimuli are reproducible.
struct SplitMix64 {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
};

fs::path liberty_of(const CharacterizeOptions& o) { return o.liberty.empty() ? default_liberty_path() : o.liberty; }

/// The stimulus file is not a readable .npy array of numbers (STIM-001).
[[noreturn]] void unreadable_histogram(const fs::path& path, const Error& e) {
  throw Error("STIM-001", fmt::format("stimulus histogram {}: {}", path.string(), e.what()));
}

std::vector<double> read_histogram(const fs::path& path) {
  NpyArray a;
  try {
    a = read_npy(path);
  } catch (const Error& e) {
    unreadable_histogram(path, e);
  }
  if (a.shape != std::vector<size_t>{256, 256}) {
    std::string s;
    for (size_t d : a.shape) s += (s.empty() ? "" : ", ") + std::to_string(d);
    throw Error("STIM-002", fmt::format("stimulus histogram {}: shape is ({}); expected (256, 256): counts of operand "
                                        "pairs, row = activation a, column = weight b",
                                        path.string(), s));
  }
  std::vector<double> h;
  try {
    h = a.to_double();
  } catch (const Error& e) {
    unreadable_histogram(path, e);
  }
  double sum = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    if (!std::isfinite(h[i]) || h[i] < 0) {
      throw Error("STIM-003", fmt::format("stimulus histogram {}: entry [{}][{}] is {}; a histogram needs finite, "
                                          "non-negative counts",
                                          path.string(), i / 256, i % 256, h[i]));
    }
    sum += h[i];
  }
  if (sum <= 0) throw Error("STIM-004", fmt::format("stimulus histogram {}: all counts are zero", path.string()));
  return h;
}

PairSequence make_stimulus(const CharacterizeOptions& o) {
  SplitMix64 rng{o.seed};
  PairSequence pairs(o.vectors);
  if (o.stimulus == "uniform") {
    for (auto& p : pairs) p = static_cast<uint16_t>(rng.next() >> 48);
    return pairs;
  }
  const std::vector<double> h = read_histogram(o.stimulus);
  std::vector<double> cdf(h.size());
  double acc = 0;
  for (size_t i = 0; i < h.size(); ++i) cdf[i] = (acc += h[i]);
  for (auto& p : pairs) {
    const double u = rng.uniform() * acc;
    size_t i = static_cast<size_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
    while (i < h.size() && h[i] == 0) ++i;  // never land on an empty bin at a float boundary
    p = static_cast<uint16_t>(std::min<size_t>(i, 65535));
  }
  return pairs;
}

Json stimulus_json(const CharacterizeOptions& o) {
  Json s;
  s["kind"] = o.stimulus == "uniform" ? "uniform" : "histogram";
  if (o.stimulus != "uniform") {
    s["file"] = o.stimulus;
    s["sha256"] = sha256_file(o.stimulus);
  }
  s["vectors"] = o.vectors;
  s["seed"] = o.seed;
  return s;
}

std::string record_name(const CharacterizeOptions& o, const std::string& top) {
  const std::string name = o.name.empty() ? top : o.name;
  if (name.empty() || name.find('/') != std::string::npos || name[0] == '.' || name.size() > 200) {
    throw Error("CHR-012", fmt::format("record name '{}' is not usable as a file name; give a name without '/' "
                                       "and not starting with '.'",
                                       name));
  }
  return name;
}

// Signedness: an explicit choice, else `signed` ports, else the naming conventions of
// EvoApproxLib (mul8s_*) and of our catalog (*_s8, *_s8_*), else unsigned.
bool infer_signedness(const CharacterizeOptions& o, const DesignInfo& info, const std::string& name,
                      std::string& from) {
  if (o.is_signed) {
    from = "option";
    return *o.is_signed;
  }
  if (info.ports_declared_signed) {
    from = "ports declared signed";
    return true;
  }
  static const std::regex signed_name(R"((^|_)mul\d+s(_|$)|_s(8|16)(_|$))", std::regex::icase);
  for (const std::string& n : {info.top, name}) {
    if (std::regex_search(n, signed_name)) {
      from = "name '" + n + "' (pass --unsigned if wrong)";
      return true;
    }
  }
  from = "default (unsigned)";
  return false;
}

// Simulates RTL and netlist (simulation_check.hpp); on a difference, reruns unoptimized and
// asks Yosys. Returns the agreed tables and fills `how` (the record's "simulation"); throws when
// they cannot agree.
SimulationResult simulate_and_decide(SimulationRequest req, const CharacterizeOptions& o, const DesignInfo& info,
                                     const fs::path& work, Json& how) {
  req.options = first_simulation_options();
  how = {{"verilator", verilator_version()},
         {"options", req.options},
         {"rerun_options", rerun_simulation_options()},
         {"yosys_check_pairs", kYosysCheckPairs},
         {"second_opinion", false},
         {"decided_by", "the RTL and gate-level simulations agree"}};
  SimulationResult first = simulate_exhaustive(req, work);
  if (differing_pairs(first).empty()) return first;

  SimulationRequest again = req;
  again.options = rerun_simulation_options();
  again.tag = "O0";
  SimulationResult rerun = simulate_exhaustive(again, work);
  const std::vector<size_t> asked = pairs_for_yosys(first, rerun);
  std::vector<std::pair<int, int>> pairs;
  for (const size_t i : asked) pairs.emplace_back(static_cast<int>(i >> 8), static_cast<int>(i & 255));
  const std::string logs = fmt::format("logs: {}, {}, {}", (work / "verilator.log").string(),
                                       (work / "verilator-O0.log").string(), (work / "eval.log").string());
  std::vector<EvaluatedOutput> ys;
  try {
    ys = evaluate_rtl(o.design, info, pairs, work, "eval");
  } catch (const Error& e) {
    throw Error("CHR-023", fmt::format("module '{}': the synthesized netlist differs from the RTL (first at a={} b={}: "
                                       "RTL 0x{:04x}, gates 0x{:04x}) and Yosys could not evaluate the RTL to decide "
                                       "which is right: {}",
                                       info.top, pairs[0].first, pairs[0].second, rerun.rtl[asked[0]],
                                       rerun.gate[asked[0]], e.what()));
  }
  const Json decided = decide_simulation(info.top, first, rerun, asked, ys, logs);
  for (auto it = decided.begin(); it != decided.end(); ++it) how[it.key()] = it.value();
  return rerun;
}

}  // namespace

void validate_options(const CharacterizeOptions& o) {
  if (!(o.clock_mhz > 0) || !std::isfinite(o.clock_mhz)) {
    throw Error("CHR-010", fmt::format("clock frequency {} MHz: expected a positive frequency in MHz", o.clock_mhz));
  }
  if (o.vectors < 10000 || o.vectors > 10000000) {
    throw Error("CHR-011", fmt::format("{} operand pairs for the power simulation: expected between 10000 and "
                                       "10000000",
                                       o.vectors));
  }
  if (o.stimulus != "uniform") read_histogram(o.stimulus);
}

std::string rtl_sha256(const std::vector<fs::path>& files, const std::vector<std::pair<std::string, std::string>>& params) {
  Sha256 h;
  for (const auto& f : files) h.update(read_file(f));
  for (const auto& [k, v] : params) h.update("\n" + k + "=" + v);
  return h.hex();
}

std::string characterize_inputs_key(const CharacterizeOptions& o, const std::string& name) {
  Sha256 h;
  h.update(fmt::format("flow {}\nname {}\ntop {}\n", kCharacterizeFlowVersion, name, o.design.top));
  for (const auto& f : o.design.files) h.update(sha256_file(f) + "\n");
  for (const auto& [k, v] : o.design.params) h.update("param " + k + "=" + v + "\n");
  h.update("a " + o.design.port_a + "\nb " + o.design.port_b + "\n");
  h.update(fmt::format("signed {}\n", o.is_signed ? (*o.is_signed ? "1" : "0") : "auto"));
  h.update("liberty " + sha256_file(liberty_of(o)) + "\n");
  h.update(fmt::format("clock {:.9g}\n", o.clock_mhz));
  h.update(stimulus_json(o).dump() + "\n");
  h.update(yosys_version() + "\n" + verilator_version() + "\n");
  h.update("simulation " + simulation_settings() + "\n");
  return h.hex();
}

CharacterizeResult characterize(const CharacterizeOptions& options) {
  const auto t0 = Clock::now();
  validate_options(options);
  yosys_version();  // both tools are needed: say so before any work is done
  verilator_version();
  // Tools run in the caller's folder (so the user's relative paths and messages stay as given);
  // everything we write is addressed by absolute path.
  CharacterizeOptions o = options;
  o.out_dir = fs::absolute(options.out_dir).lexically_normal();
  ensure_writable_dir(o.out_dir);
  CharacterizeResult res;
  // Up-to-date check: a record whose key matches and whose LUT is intact is reused as it is.
  auto try_reuse = [&](const std::string& name) {
    if (name.empty() || o.force) return false;
    const fs::path rec = o.out_dir / (name + ".json");
    std::error_code ec;
    if (!fs::exists(rec, ec)) return false;
    try {
      lib::MultiplierRecord r = lib::read_record(rec);
      if (r.inputs_sha256 != characterize_inputs_key(o, name) || !fs::exists(r.lut) ||
          sha256_file(r.lut) != r.lut_sha256) {
        return false;
      }
      res.record = std::move(r.json);
    } catch (const Error&) {
      return false;  // an unreadable old record is simply rebuilt
    }
    res.record_path = rec;
    res.reused = true;
    res.seconds.total = seconds_since(t0);
    return true;
  };
  if (try_reuse(o.name.empty() ? o.design.top : o.name)) return res;

  // Logs of a failed check stay in work/<name or file stem>/ for the user to read.
  const fs::path scratch =
      o.out_dir / "work" / (o.name.empty() ? o.design.files.front().stem().string() + ".inspect" : o.name);
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  auto t = Clock::now();
  DesignInfo info = inspect_design(o.design, scratch);
  const std::string name = record_name(o, info.top);
  if (o.name.empty() && o.design.top.empty() && try_reuse(name)) {
    fs::remove_all(scratch);
    return res;
  }
  const fs::path work = o.out_dir / "work" / name;
  if (work != scratch) {
    fs::remove_all(work);
    fs::rename(scratch, work);
  }
  res.seconds.inspect = seconds_since(t);

  t = Clock::now();
  const fs::path liberty = liberty_of(o);
  const auto lib = load_liberty(liberty);
  synthesize(o.design, info, liberty, work);
  const GateNetlist net = load_gate_netlist(work / "gate.json", info.top, info.port_a, info.port_b, info.port_o, *lib);
  res.seconds.synthesis = seconds_since(t);

  std::string signed_from;
  const bool is_signed = infer_signedness(o, info, name, signed_from);
  t = Clock::now();
  SimulationRequest sreq{o.design.files, info.top, o.design.params, info.port_a, info.port_b, info.port_o,
                         work / "gate_flat.v", info.bit_index, {}, {}};
  Json simulation;
  const SimulationResult sim = simulate_and_decide(sreq, o, info, work, simulation);
  res.seconds.simulation = seconds_since(t);
  bool constant = true;
  for (size_t i = 1; i < 65536 && constant; ++i) constant = sim.rtl[i] == sim.rtl[0];
  if (constant) {
    throw Error("CHR-006", fmt::format("module '{}': output '{}' is 0x{:04x} for every input pair; a multiplier "
                                       "must depend on its inputs",
                                       info.top, info.port_o, sim.rtl[0]));
  }

  t = Clock::now();
  PairSequence all(65536);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint16_t>(i);
  const std::vector<uint16_t> ours = evaluate_outputs(net, all);
  for (size_t i = 0; i < 65536; ++i) {
    if (ours[i] != sim.gate[i]) {
      throw Error("CHR-009", fmt::format("internal: the power netlist evaluation differs from Verilator at a={} b={} "
                                         "(0x{:04x} vs 0x{:04x}); please report this with {}",
                                         i >> 8, i & 255, ours[i], sim.gate[i], (work / "gate.json").string()));
    }
  }
  res.seconds.netlist_check = seconds_since(t);

  t = Clock::now();
  const PairSequence stim = make_stimulus(o);
  const TimingReport timing = analyze_timing(net);
  const PowerReport power = analyze_power(net, timing, stim, lib->voltage, o.clock_mhz);
  res.seconds.power = seconds_since(t);

  t = Clock::now();
  const std::vector<int32_t> lut = lut_from_raw(sim.rtl, is_signed);
  const ErrorMetrics m = compute_error_metrics(lut, is_signed);
  const fs::path lut_path = o.out_dir / (name + ".npy");
  const std::string lut_bytes = npy_bytes_i32(lut, {256, 256});
  write_file_atomic(lut_path, lut_bytes);
  write_file_atomic(o.out_dir / (name + ".error.svg"), error_heatmap_svg(name, lut, is_signed, m));

  Json r;
  r["name"] = name;
  r["source"] = fs::absolute(o.design.files.front()).lexically_normal().string();
  Json sources = Json::array();
  for (const auto& f : o.design.files) sources.push_back(fs::absolute(f).lexically_normal().string());
  r["sources"] = sources;
  r["top"] = info.top;
  Json params = Json::object();
  for (const auto& [k, v] : o.design.params) params[k] = v;
  r["params"] = params;
  r["signed"] = is_signed;
  r["signed_from"] = signed_from;
  r["ports"] = {{"a", info.port_a}, {"b", info.port_b}, {"o", info.port_o}};
  r["width_a"] = 8;
  r["width_b"] = 8;
  r["width_o"] = 16;
  r["rtl_sha256"] = rtl_sha256(o.design.files, o.design.params);
  r["lut"] = lut_path.filename().string();
  r["lut_sha256"] = sha256_hex(lut_bytes);
  r["error_plot"] = name + ".error.svg";
  r["error"] = {{"mae", m.mae},         {"mae_pct", m.mae_pct}, {"wce", m.wce},         {"wce_pct", m.wce_pct},
                {"mre_pct", m.mre_pct}, {"wcre_pct", m.wcre_pct}, {"ep_pct", m.ep_pct}, {"mse", m.mse},
                {"mean_error", m.mean_error}, {"error_std", m.error_std}, {"comp_mean_error", m.comp_mean_error}};
  Json mix = Json::object();
  int cells = 0;
  for (const auto& [type, count] : net.cell_mix) {
    mix[type] = count;
    cells += count;
  }
  r["hw"] = {{"area_um2", net.area_um2},
             {"cells", cells},
             {"cell_mix", mix},
             {"delay_ns", timing.delay_ns},
             {"power_uw", power.total_uw},
             {"switching_uw", power.switching_uw},
             {"internal_uw", power.internal_uw},
             {"leakage_uw", power.leakage_uw},
             {"energy_pj_per_op", power.energy_pj_per_op},
             {"dynamic_pj_per_op", power.dynamic_pj_per_op},
             {"toggles_per_op", power.toggles_per_op}};
  r["tech"] = {{"liberty", lib->name},
               {"liberty_path", fs::absolute(liberty).lexically_normal().string()},
               {"liberty_sha256", lib->sha256},
               {"voltage_v", lib->voltage},
               {"clock_mhz", o.clock_mhz},
               {"input_slew_ns", kInputSlewNs},
               {"output_load_pf", kOutputLoadPf}};
  r["stimulus"] = stimulus_json(o);
  r["tools"] = {{"yosys", yosys_version()}, {"verilator", verilator_version()}};
  r["simulation"] = simulation;
  r["flow_version"] = kCharacterizeFlowVersion;
  r["inputs_sha256"] = characterize_inputs_key(o, name);
  res.record_path = o.out_dir / (name + ".json");
  lib::write_record(res.record_path, r);
  res.seconds.write = seconds_since(t);
  res.record = std::move(r);
  res.seconds.total = seconds_since(t0);
  return res;
}

std::string format_record_summary(const Json& r) {
  const Json& e = r["error"];
  const Json& hw = r["hw"];
  return fmt::format(
      "{} ({}, {}; top {})\n"
      "  error   MAE {:.4g} ({:.4g}%)  WCE {:.0f} ({:.4g}%)  MRE {:.4g}%  EP {:.4g}%  bias {:.4g}\n"
      "  area    {:.1f} um2, {} cells    delay {:.3f} ns\n"
      "  power   {:.2f} uW at {} MHz ({:.4f} pJ/op; switching {:.2f}, internal {:.2f}, leakage {:.4f} uW)\n"
      "  files   {}, {}\n",
      r["name"].get<std::string>(), r["signed"].get<bool>() ? "signed" : "unsigned",
      r["signed_from"].get<std::string>(), r["top"].get<std::string>(), e["mae"].get<double>(),
      e["mae_pct"].get<double>(), e["wce"].get<double>(), e["wce_pct"].get<double>(), e["mre_pct"].get<double>(),
      e["ep_pct"].get<double>(), e["mean_error"].get<double>(), hw["area_um2"].get<double>(),
      hw["cells"].get<int>(), hw["delay_ns"].get<double>(), hw["power_uw"].get<double>(),
      r["tech"]["clock_mhz"].get<double>(), hw["energy_pj_per_op"].get<double>(), hw["switching_uw"].get<double>(),
      hw["internal_uw"].get<double>(), hw["leakage_uw"].get<double>(), r["lut"].get<std::string>(),
      r["error_plot"].get<std::string>());
}

}  // namespace axx::flows
