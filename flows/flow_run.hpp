// transaxx flows — running a flow: stages, their run folders, skipping and resuming.
//
// Every stage writes into <runs>/<flow>/<stage>/:
//   stage.json          written last, atomically: the inputs (settings, upstream hashes, file
//                       hashes), their SHA-256, every command line with its log and exit status,
//                       the stage's outputs, and "status": "done"
//   stage.started.json  while the stage runs (the inputs' hash it started with)
//   logs/NN-step.log    each command's output, the command line on top
// A stage runs its work as `transaxx` subcommands (argument vectors, never a shell), so each
// step is a command a user can copy from the log and rerun by hand, and each one resumes on its
// own (library builds are incremental, training and search checkpoint).
//
// Skipping: a stage whose stage.json says done with the same inputs' hash (and whose output
// files exist) is skipped. Its hash covers its settings and the hashes of the stages it reads,
// so changing a setting reruns that stage and everything downstream. A stage killed halfway is
// rerun; its folder is kept when it started from the same inputs (its commands resume) and
// cleared when the inputs changed (a stale checkpoint would be refused).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "flows/flow_spec.hpp"

namespace axx::flows {

/// Bump when stage commands change so that old run folders rerun.
constexpr int kFlowVersion = 2;

/// What one stage sees while it runs.
class StageContext {
 public:
  StageContext(const FlowSpec& spec, std::filesystem::path flow_dir, std::string stage, std::filesystem::path exe,
               const Json* upstream, std::function<void(const std::filesystem::path&)> on_log);
  const FlowSpec& spec() const { return spec_; }
  const std::string& stage() const { return stage_; }
  /// <runs>/<flow>/<stage>/
  const std::filesystem::path& dir() const { return dir_; }
  /// <runs>/<flow>/
  const std::filesystem::path& flow_dir() const { return flow_dir_; }
  /// The "outputs" of an earlier stage's stage.json (FLOW-004 when it has not run).
  const Json& outputs_of(const std::string& stage) const;
  /// Runs `transaxx args...` with its output in logs/NN-<step>.log; throws FLOW-010 with the
  /// command, exit status, log path and the log's last lines when it fails.
  void run(const std::string& step, const std::vector<std::string>& args);
  /// LibTorch threads, -j (the [flow] threads setting) as an argument string.
  std::string threads() const;
  /// [flow] device ("cpu", "cuda" or "auto"), passed to the model commands as --device.
  std::string device() const;
  /// Runs `transaxx args...` like run(), unless the stage is resuming an interrupted run of the
  /// same inputs and this step finished then with the same arguments (its `done` marker, a JSON
  /// file, records them; `outputs` are the files the step writes, which must still be there).
  /// Returns true when the step was reused; it is then listed in stage.json with "reused": true.
  bool run_once(const std::string& step, const std::vector<std::string>& args, const std::filesystem::path& done,
                const std::vector<std::filesystem::path>& outputs);
  /// True when the stage was started earlier with the same inputs and did not finish (killed):
  /// its folder holds that run's work.
  bool resuming() const { return resuming_; }
  void set_resuming(bool r) { resuming_ = r; }
  /// Where run_once() says that a step is reused (the flow's progress display).
  void set_message_sink(std::function<void(const std::string&)> f) { on_message_ = std::move(f); }
  /// A progress line for the user (the message sink; nothing without one).
  void message(const std::string& line) const {
    if (on_message_) on_message_(line);
  }
  /// The command records (for stage.json).
  const Json& commands() const { return commands_; }

 private:
  const FlowSpec& spec_;
  std::filesystem::path flow_dir_, dir_;
  std::string stage_;
  std::filesystem::path exe_;
  const Json* upstream_;  ///< {"stage": stage.json, ...}
  std::function<void(const std::filesystem::path&)> on_log_;
  std::function<void(const std::string&)> on_message_;
  /// The fields every stage.json command record starts with: step, argv, command.
  static Json command_record(const std::string& step, const std::vector<std::string>& argv);
  bool resuming_ = false;
  Json commands_ = Json::array();
};

/// One stage of the flow (flow_stages.hpp has the eight).
struct StageDef {
  std::string name;
  std::string what;                ///< one line for listings and the report
  std::vector<std::string> reads;  ///< earlier stages whose outputs it uses
  /// The stage's own settings that determine its results (besides the stages it reads).
  std::function<Json(const FlowSpec&)> inputs;
  /// Does the work; returns the outputs recorded in stage.json (paths, key numbers).
  std::function<Json(StageContext&)> run;
  /// Keep the folder when the inputs changed (work inside is itself incremental).
  bool keep_on_change = false;
  /// Output files (relative to the stage folder) that must exist for a skip.
  std::function<std::vector<std::string>(const Json& outputs)> required_files;
  /// The version of what the stage computes from its inputs: bumped when a change of transaxx
  /// gives other results for the same flow file (a fixed bug, a new search rule), so that runs
  /// made before it are out of date and rerun, with everything after them. From 2 on it enters
  /// the inputs hash (version 1 leaves the hashes of existing runs as they were).
  int results_version = 1;
};

struct FlowRunOptions {
  std::string from, to, only;           ///< stage names; empty = unrestricted
  bool force = false;                   ///< rerun the selected stages even when up to date
  std::filesystem::path exe;            ///< the transaxx program; empty = this process's
  std::filesystem::path runs;           ///< overrides [flow] runs when set
  bool progress = true;                 ///< the live stage line on stderr
};

struct StageOutcome {
  std::string stage;
  std::string status;  ///< "ran", "skipped" (up to date), "not selected"
  double seconds = 0;
};

struct FlowRunResult {
  std::filesystem::path dir;  ///< <runs>/<flow>/
  std::vector<StageOutcome> stages;
};

/// Runs the selected stages in order. Throws FLOW-004 (an earlier stage needed by the selection
/// has not run), FLOW-005 (unknown stage name in from/to/only), FLOW-018 (only with from or to),
/// FLOW-019 (from after to), FLOW-010 (a command failed), FLOW-021 (no path to the program).
FlowRunResult run_flow(const FlowSpec& spec, const FlowRunOptions& options);

/// What a stage's cache hash covers (stage.json "inputs"): the flow format version, the stage's
/// settings, its results_version when above 1, and the hashes of the stages it reads (those in
/// `upstream`).
Json stage_inputs(const StageDef& st, const FlowSpec& spec, const std::map<std::string, std::string>& upstream);

/// Why a stage reruns, in words, from the inputs its last run recorded and the current ones: each
/// setting that differs ("search.budget 60 -> 80", dotted as in the flow file), a new results
/// version of the stage, an earlier stage that changed, another flow format. Empty when equal.
std::vector<std::string> input_changes(const Json& before, const Json& now);

/// <runs>/<flow>/ of a spec (options.runs, else [flow] runs, relative to the current folder).
std::filesystem::path flow_run_dir(const FlowSpec& spec, const FlowRunOptions& options);

}  // namespace axx::flows
