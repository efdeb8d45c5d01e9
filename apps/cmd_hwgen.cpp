// transaxx hwgen: generate a systolic-array accelerator for an approximation config, and
// (--verify) lint, simulate against the golden LUT-GEMM, synthesize and estimate power.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "apps/commands.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/npy.hpp"
#include "hwgen/verify/hwgen_verify.hpp"
#include "eda/liberty.hpp"
#include "hwgen/generator.hpp"
#include "hwgen/spec.hpp"

namespace axx::app {

namespace {

struct HwgenArgs {
  std::string config, library, dataflow = "ws", out = "runs/hwgen", model = "vit_tiny_patch16_224", layers;
  std::string liberty, operands_a, operands_w;
  hwgen::ArrayParams array;
  hwgen::GenerateOptions gen;
  flows::HwVerifyOptions verify;
  bool is_unsigned = false, run_verify = false, json = false;
};

std::vector<uint8_t> read_operands(const std::string& path) {
  if (path.empty()) return {};
  const NpyArray arr = read_npy(path);
  std::vector<uint8_t> out;
  for (double v : arr.to_double()) out.push_back(static_cast<uint8_t>(static_cast<int64_t>(v) & 0xff));
  if (out.empty()) throw UsageError("CLI-003", fmt::format("{}: the operand file holds no values", path));
  return out;
}

}  // namespace

void add_hwgen_commands(CLI::App& app) {
  auto o = std::make_shared<HwgenArgs>();
  auto* c = app.add_subcommand("hwgen",
                               "Generate a systolic-array accelerator (Verilog) for an approximation config: one "
                               "mode per distinct multiplier, the per-layer schedule, a self-checking testbench; "
                               "--verify lints, simulates, synthesizes and estimates power");
  c->add_option("--config", o->config, "approximation config (JSON, docs/architecture.md format)")->required();
  c->add_option("--library", o->library, "multiplier library folder (default: the config's \"library\")");
  c->add_option("--rows", o->array.rows, "PE rows, 1..256 (WS: K per tile; OS: M per tile)")->required();
  c->add_option("--cols", o->array.cols, "PE columns, 1..256 (N per tile)")->required();
  c->add_option("--dataflow", o->dataflow, "ws (weight-stationary) or os (output-stationary)")->default_str("ws");
  c->add_option("--acc-bits", o->array.acc_bits, "accumulator width in bits, 16 + ceil(log2 K) .. 32")
      ->default_val(o->array.acc_bits);
  c->add_option("--stream-depth", o->array.stream_depth,
                "words of the streamed memory: largest tile M (WS) or K (OS), 1..65536")
      ->default_val(o->array.stream_depth);
  c->add_option("--clock-mhz", o->array.clock_mhz, "clock for time and power figures, MHz")
      ->default_val(o->array.clock_mhz);
  c->add_flag("--unsigned", o->is_unsigned, "unsigned array when the config uses only \"exact\"");
  c->add_flag("--compensation", o->array.compensation,
              "build the control-variate compensation hardware (per-column correction, table port) even when no "
              "layer of the config asks for \"mean\" compensation");
  c->add_option("--model", o->model,
                fmt::format("built-in layer shapes for the schedule: {}", fmt::join(hwgen::model_names(), ", ")))
      ->default_str(o->model);
  c->add_option("--layers", o->layers, "layer-shape file instead of --model: {\"layers\": [{name, m, k, n, count}]}");
  c->add_option("--out", o->out, "design folder")->default_str(o->out);
  c->add_option("--tests-per-mode", o->gen.tests_per_mode, "random tiles per mode in the testbench, 1..1000")
      ->default_val(o->gen.tests_per_mode);
  c->add_option("--seed", o->gen.seed, "seed of the testbench tiles and the power operands")->default_val(o->gen.seed);
  c->add_flag("--verify", o->run_verify, "lint (-Wall), simulate every mode bit-exact, synthesize, estimate power");
  c->add_option("--liberty", o->liberty, "Liberty library for synthesis and power")
      ->default_str(flows::default_liberty_path().string());
  c->add_option("--jobs", o->verify.jobs, "parallel C++ compiles of the testbench")->default_val(o->verify.jobs);
  c->add_option("--sim-opt", o->verify.sim_opt_level, "g++ -O level of the testbench, 0..3 (0 builds fastest)")
      ->default_val(o->verify.sim_opt_level);
  c->add_option("--power-cycles", o->verify.power_cycles,
                "busy cycles per PE position and mode in the power "
                "simulation, 16..100000")
      ->default_val(o->verify.power_cycles);
  c->add_option("--operands-a", o->operands_a, "activations for the power simulation (.npy of raw 8-bit values)");
  c->add_option("--operands-w", o->operands_w, "weights for the power simulation (.npy of raw 8-bit values)");
  c->add_flag("--json", o->json, "print the manifest (and verification report) as JSON");
  c->callback([o] {
    try {
      o->array.dataflow = hwgen::parse_dataflow(o->dataflow);
    } catch (const Error& e) {
      throw UsageError(e.code(), e.what());
    }
    o->array.is_signed = !o->is_unsigned;
    const std::vector<hwgen::LayerShape> layers =
        o->layers.empty() ? hwgen::model_layers(o->model) : hwgen::read_layer_file(o->layers);
    const Json config = read_json_file(o->config);
    const hwgen::DesignSpec spec =
        hwgen::build_spec(config, o->library, o->array, layers,
                          o->layers.empty() ? o->model : std::filesystem::path(o->layers).filename().string());
    hwgen::GeneratedDesign design = hwgen::generate_design(spec, o->gen);
    hwgen::write_design(design, o->out);
    Json out{{"design", o->out}, {"manifest", design.manifest}};
    if (o->run_verify) {
      o->verify.liberty = o->liberty;
      o->verify.seed = o->gen.seed;
      o->verify.activations = read_operands(o->operands_a);
      o->verify.weights = read_operands(o->operands_w);
      const flows::HwVerifyReport rep = flows::verify_design(design, o->out, o->verify);
      // The cost estimates join the manifest (without run times, so it stays reproducible).
      Json cost = rep.to_json();
      cost.erase("seconds");
      cost["lint"].erase("seconds");
      for (const char* k : {"build_seconds", "run_seconds", "macs_per_second"}) cost["simulation"].erase(k);
      cost["synthesis"].erase("seconds");
      cost["power"].erase("seconds");
      design.manifest["verification"] = cost;
      write_json_atomic(std::filesystem::path(o->out) / "manifest.json", design.manifest);
      out["verification"] = rep.to_json();
      if (!o->json) {
        std::cout << fmt::format(
            "verified: lint clean; {} tiles bit-exact in {} mode(s), cycles = model; area {:.0f} um2 ({} cells, PE "
            "{:.0f} um2); {:.1f} s\n",
            rep.sim.tiles.size(), spec.modes.size(), rep.synth.area_um2, rep.synth.cells, rep.synth.pe_area_um2,
            rep.seconds.at("total"));
        for (const auto& m : rep.power.modes) {
          std::cout << fmt::format("  mode {:<16} array {:10.1f} uW busy, PE {:.3f} pJ/MAC", m.multiplier,
                                   m.array_power_uw, m.pe_busy_pj_per_cycle);
          if (spec.array.compensation) std::cout << fmt::format(", compensation {:.1f} uW", m.comp_power_uw);
          std::cout << "\n";
        }
        if (spec.array.compensation) {
          std::cout << fmt::format("  compensation block: {:.0f} um2 ({} cells)\n", rep.synth.comp_area_um2,
                                   rep.synth.comp_cells);
        }
        std::cout << fmt::format("  energy per inference (PE array): {:.3f} uJ\n", rep.power.energy_per_inference_uj);
      }
    }
    if (o->json) {
      std::cout << out.dump(2) << "\n";
    } else {
      const Json& tot = design.manifest["schedule"]["total"];
      std::cout << fmt::format(
          "wrote {} ({} x {} {}, {} mode(s): {}); {} cycles per inference ({:.1f} us at {} MHz), "
          "utilization {:.3f}\n",
          o->out, spec.array.rows, spec.array.cols, hwgen::dataflow_name(spec.array.dataflow), spec.modes.size(),
          [&] {
            std::string s;
            for (const auto& m : spec.modes) s += (s.empty() ? "" : ", ") + m.name;
            return s;
          }(),
          tot["cycles"].get<int64_t>(), tot["time_us"].get<double>(), spec.array.clock_mhz,
          tot["utilization"].get<double>());
    }
  });
}

}  // namespace axx::app
