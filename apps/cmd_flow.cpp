// transaxx flow: run the end-to-end co-design flow from a flow file (flows/flow_run.hpp).
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "apps/commands.hpp"
#include "common/json.hpp"
#include "flows/flow_run.hpp"
#include "flows/flow_spec.hpp"
#include "flows/flow_stages.hpp"
#include "mpi/mpi.hpp"
#include "common/error.hpp"

namespace axx::app {

namespace {

struct FlowArgs {
  std::string file, runs;
  flows::FlowRunOptions o;
  bool json = false;
};

}  // namespace

void add_flow_commands(CLI::App& app) {
  auto* flow = app.add_subcommand(
      "flow", "The end-to-end co-design flow: characterize -> model -> calibrate -> sensitivity -> search -> "
              "finetune -> hwgen -> report, cached and resumable (runs/<flow>/<stage>/)");
  flow->require_subcommand(1);

  auto a = std::make_shared<FlowArgs>();
  auto* run = flow->add_subcommand("run", "Run a flow file (TOML; `transaxx flow keys` lists every key). Stages whose "
                                          "inputs are unchanged are skipped; a killed run continues where it stopped");
  run->add_option("flow", a->file, "flow file, e.g. examples/demo/flow.toml")->required();
  run->add_option("--from", a->o.from, "start at this stage (earlier ones must have run)");
  run->add_option("--to", a->o.to, "stop after this stage");
  run->add_option("--only", a->o.only, "run just this stage");
  run->add_flag("--force", a->o.force, "rerun the selected stages even when they are up to date");
  run->add_option("--runs", a->runs, "folder of run folders (default: the flow file's [flow] runs, \"runs\")");
  run->add_flag("--no-progress{false}", a->o.progress, "no live stage line on stderr");
  run->add_flag("--json", a->json, "print the stage outcomes as JSON");
  run->callback([a] {
    if (mpi::launched()) {
      // Every rank would run the whole flow into the same folder; the stages' own commands are
      // what spreads over ranks.
      throw UsageError("CLI-030", "flow run was started by mpirun/srun; run it as a plain process and set [flow] "
                                  "launcher (e.g. \"mpirun -np 8\" or \"srun\") so that its library build, "
                                  "sensitivity and search stages run across the ranks");
    }
    const flows::FlowSpec spec = flows::load_flow(a->file);
    flows::check_flow_inputs(spec);  // every input the stages read, before any stage runs
    if (!a->runs.empty()) a->o.runs = a->runs;
    const flows::FlowRunResult r = flows::run_flow(spec, a->o);
    Json out{{"flow", spec.name}, {"dir", r.dir.string()}, {"stages", Json::array()}};
    for (const auto& s : r.stages) out["stages"].push_back({{"stage", s.stage}, {"status", s.status}, {"seconds", s.seconds}});
    if (a->json) {
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::cout << fmt::format("flow '{}' in {}\n", spec.name, r.dir.string());
    for (const auto& s : r.stages) {
      std::cout << fmt::format("  {:<13} {}\n", s.stage,
                               s.status == "ran" ? fmt::format("ran ({:.0f} s)", s.seconds) : s.status);
    }
    const auto report = r.dir / "report" / "report.html";
    if (std::filesystem::exists(report)) std::cout << fmt::format("report: {}\n", report.string());
    // The result in one line, so a user sees it without opening the report.
    const auto report_json = r.dir / "report" / "report.json";
    if (std::filesystem::exists(report_json)) {
      const Json h = read_json_file(report_json).value("headline", Json(nullptr));
      std::cout << (h.is_null() ? std::string("headline: no fine-tuned point within [finetune] max_drop of exact 8-bit")
                                : "headline: " + flows::headline_line(h))
                << "\n";
    }
  });

  auto check_file = std::make_shared<std::string>();
  auto* check = flow->add_subcommand("check", "Validate a flow file and the input files it names; print it with every default filled in");
  check->add_option("flow", *check_file, "flow file")->required();
  check->callback([check_file] {
    const flows::FlowSpec spec = flows::load_flow(*check_file);
    flows::check_flow_inputs(spec);
    std::cout << spec.settings.dump(2) << "\n";
  });

  flow->add_subcommand("keys", "Every table and key a flow file may set, with types and defaults")->callback([] {
    std::cout << flows::describe_flow_keys();
  });
  flow->add_subcommand("stages", "The stages in order, with what each does")->callback([] {
    for (const auto& s : flows::flow_stages()) std::cout << fmt::format("  {:<13} {}\n", s.name, s.what);
  });
}

}  // namespace axx::app
