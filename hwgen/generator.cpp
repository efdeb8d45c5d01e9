// transaxx — the systolic-array generator (see generator.hpp).
#include "hwgen/generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/error.hpp"
#include "common/fs.hpp"
#include "common/sha256.hpp"
#include "hwgen/cycle_model.hpp"
#include "hwgen/design_folder.hpp"

namespace axx::hwgen {

namespace fs = std::filesystem;

Json schedule_estimates(const DesignSpec& spec) {
  Json layers = Json::array();
  int64_t cycles = 0, macs = 0, array_macs = 0;
  std::vector<int64_t> mode_macs(spec.modes.size(), 0);
  const std::vector<int64_t> loads = table_load_cycles(spec);
  for (const ScheduleEntry& e : spec.schedule) {
    Json j{{"layer", e.shape.name}, {"multiplier", e.multiplier}, {"mode", e.mode}, {"m", e.shape.m}, {"k", e.shape.k},
           {"n", e.shape.n},        {"count", e.shape.count}};
    macs += e.shape.m * e.shape.k * e.shape.n * e.shape.count;
    if (e.mode >= 0) {
      const LayerEstimate est = estimate_layer(spec.array, e.shape);
      j["tiles"] = est.tiles;
      j["cycles"] = est.cycles;
      j["macs"] = est.macs;
      j["utilization"] = est.utilization;
      j["time_us"] = est.time_us;
      cycles += est.cycles;
      if (spec.array.compensation) {
        // The host writes the layer's table (one entry a cycle) before its tiles.
        j["compensation"] = e.compensation;
        j["table_load_cycles"] = loads[static_cast<size_t>(&e - spec.schedule.data())];
        cycles += loads[static_cast<size_t>(&e - spec.schedule.data())];
      }
      array_macs += est.macs;
      mode_macs[static_cast<size_t>(e.mode)] += est.macs;
    } else {
      j["on_array"] = false;
    }
    layers.push_back(j);
  }
  Json per_mode = Json::object();
  for (size_t i = 0; i < spec.modes.size(); ++i) per_mode[spec.modes[i].name] = mode_macs[i];
  const double util = cycles ? static_cast<double>(array_macs) / (static_cast<double>(spec.array.rows) *
                                                                  spec.array.cols * static_cast<double>(cycles))
                             : 0.0;
  return Json{{"model", spec.model},
              {"layers", layers},
              {"total",
               {{"cycles", cycles},
                {"time_us", static_cast<double>(cycles) / spec.array.clock_mhz},
                {"macs_on_array", array_macs},
                {"macs_total", macs},
                {"macs_per_mode", per_mode},
                {"utilization", util},
                {"steady_state_utilization", steady_state_utilization(spec.array)}}}};
}

GeneratedDesign generate_design(const DesignSpec& spec, const GenerateOptions& options) {
  validate(spec);
  if (options.tests_per_mode < 1 || options.tests_per_mode > 1000) {
    throw Error("HWG-017", fmt::format("{} testbench tiles per mode: must be in 1..1000", options.tests_per_mode));
  }
  const ArrayParams& a = spec.array;
  const bool ws = a.dataflow == Dataflow::kWeightStationary;
  GeneratedDesign d;
  d.spec = spec;
  std::vector<int> row_delays, col_delays, deskew_delays;
  for (int r = 0; r < a.rows; ++r) row_delays.push_back(r);
  for (int c = 0; c < a.cols; ++c) {
    col_delays.push_back(c);
    deskew_delays.push_back(a.cols - 1 - c);
  }
  const MultiplierCopies copies = copy_multiplier_sources(spec);
  for (const GeneratedFile& f : copies.files) {
    d.files.push_back(f);
    d.rtl_order.push_back(f.path);
    d.multiplier_files.push_back(f.path);
  }
  auto add = [&](const std::string& module, std::string text) {
    d.files.push_back({"rtl/" + module + ".v", std::move(text)});
    d.rtl_order.push_back("rtl/" + module + ".v");
  };
  add("axx_hw_pe", emit_pe(spec));
  add("axx_hw_array", emit_array(spec));
  add("axx_hw_skew",
      emit_delay_lines(spec, "axx_hw_skew", "input skew: row r's activations and valid bits wait r cycles", 8,
                       row_delays, true));
  if (ws) {
    add("axx_hw_deskew", emit_delay_lines(spec, "axx_hw_deskew", "output de-skew: column c's sums wait cols-1-c cycles",
                                          a.acc_bits, deskew_delays, false));
  } else {
    add("axx_hw_wskew",
        emit_delay_lines(spec, "axx_hw_wskew", "weight skew: column c's weights wait c cycles", 8, col_delays, false));
  }
  add("axx_hw_ctrl", emit_controller(spec));
  if (a.compensation) add("axx_hw_comp", emit_comp(spec));
  add("axx_hw_top", emit_top(spec));
  d.tests = make_tile_tests(spec, options.tests_per_mode, options.seed);
  for (auto& f : emit_testbench(spec, d.tests)) d.files.push_back(std::move(f));
  d.files.push_back({"axx_hw.h", emit_header(spec)});
  d.files.push_back({"files.f", emit_file_list(d.rtl_order)});
  d.files.push_back({"lint.vlt", emit_lint_config()});
  d.files.push_back({"synth.tcl", emit_synth_script(d.rtl_order)});
  d.files.push_back({"README.md", emit_readme(spec, d.rtl_order, copies)});

  Json modes = Json::array();
  for (size_t i = 0; i < spec.modes.size(); ++i) {
    const MultiplierSpec& m = spec.modes[i];
    Json params = Json::object();
    for (const auto& [k, v] : m.params) params[k] = v;
    modes.push_back({{"mode", i},
                     {"multiplier", m.name},
                     {"top", m.top},
                     {"params", params},
                     {"sources", copies.mode_sources[i]},
                     {"signed", m.is_signed},
                     {"record_energy_pj_per_op", m.energy_pj_per_op},
                     {"record_area_um2", m.area_um2}});
  }
  Json files = Json::array();
  for (const auto& f : d.files) files.push_back({{"path", f.path}, {"sha256", sha256_hex(f.text)}});
  Json tests = Json::array();
  for (size_t i = 0; i < d.tests.size(); ++i) {
    tests.push_back({{"test", i},
                     {"mode", d.tests[i].mode},
                     {"len", d.tests[i].len},
                     {"model_cycles", tile_cycles(a, d.tests[i].len)}});
  }
  // Where the copied Verilog came from (nothing the design needs; no paths outside the folder).
  Json copied = Json::array();
  for (size_t i = 0; i < copies.files.size(); ++i) {
    copied.push_back({{"file", copies.files[i].path},
                      {"original_name", copies.original_names[i]},
                      {"multipliers", copies.used_by[i]},
                      {"sha256", sha256_hex(copies.files[i].text)}});
  }
  // The config as given, less its library folder (a path outside the design).
  Json config = spec.config;
  if (config.is_object()) config.erase("library");
  Json parameters{{"rows", a.rows},
                  {"cols", a.cols},
                  {"dataflow", dataflow_name(a.dataflow)},
                  {"operand_bits", 8},
                  {"acc_bits", a.acc_bits},
                  {"signed", a.is_signed},
                  {"stream_depth", a.stream_depth},
                  {"mode_bits", mode_bits(spec)},
                  {"clock_mhz", a.clock_mhz}};
  if (a.compensation) parameters["compensation"] = true;
  d.manifest = Json{{"version", 1},
                    {"generator", "transaxx hwgen"},
                    {"top", "axx_hw_top"},
                    {"parameters", parameters},
                    {"modes", modes},
                    {"rtl", d.rtl_order},
                    {"tools",
                     {{"file_list", "files.f"},
                      {"verilator_config", "lint.vlt"},
                      {"yosys_script", "synth.tcl"},
                      {"liberty", "environment variable LIBERTY of synth.tcl"},
                      {"readme", "README.md"}}},
                    {"files", files},
                    {"cycle_model",
                     {{"tile_cycles", ws ? "len + 2*rows + cols + 2" : "len + 2*rows + cols + 1"},
                      {"layer_cycles", "tiles * (tile_cycles + 1)"},
                      {"len", ws ? "rows of A per tile (M chunk)" : "K chunk"}}},
                    {"schedule", schedule_estimates(spec)},
                    {"testbench", {{"seed", options.seed}, {"tiles", tests}}},
                    {"config", config},
                    {"provenance",
                     {{"multiplier_sources", copied},
                      {"note", "the multipliers' Verilog was copied unchanged from the sources their library "
                               "records name"}}}};
  if (a.compensation) {
    d.manifest["compensation"] = {
        {"contract", "COMPENSATION.md: out = wrap_acc(sum_k lut[a][b] - sum_k t[b]), t the layer's integer table"},
        {"table_entries", 256},
        {"table_bits", comp_table_bits(a)},
        {"ports",
         {{"t_wr_en", "input, 1: write t[t_wr_addr] <= t_wr_data this cycle (between tiles)"},
          {"t_wr_addr", "input [7:0], the weight (B) code b"},
          {"t_wr_data", fmt::format("input [{}:0], t(b) in two's complement (its low bits)", comp_table_bits(a) - 1)}}},
        {"correction", ws ? "per column: cleared at start, minus t[w] for every weight row loaded; the column's "
                            "initial partial sum"
                          : "per column: cleared at start, minus t[w] for every weight row streamed; added to the "
                            "column's sums as they drain"},
        {"testbench_tables", "tb/t.hex, 256 entries per tile"}};
  }
  return d;
}

void write_design(const GeneratedDesign& design, const fs::path& out) {
  ensure_writable_dir(out);
  std::set<std::string> ours;
  for (const auto& f : design.files) ours.insert(f.path);
  for (const char* sub : {"rtl", "tb"}) {
    if (!fs::is_directory(out / sub)) continue;
    std::vector<fs::path> stale, dirs;
    for (const auto& e : fs::recursive_directory_iterator(out / sub)) {
      if (e.is_directory()) dirs.push_back(e.path());
      if (e.is_regular_file() && !ours.count(e.path().lexically_relative(out).generic_string())) {
        stale.push_back(e.path());
      }
    }
    for (const auto& p : stale) fs::remove(p);
    // Folders the stale files leave empty (e.g. a multiplier this design no longer has), deepest first.
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
      std::error_code ec;
      if (fs::is_empty(*it, ec) && !ec) fs::remove(*it, ec);
    }
  }
  for (const auto& f : design.files) write_file_atomic(out / f.path, f.text);
  write_json_atomic(out / "manifest.json", design.manifest);
}

}  // namespace axx::hwgen
