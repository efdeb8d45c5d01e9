// transaxx flows — the flow file: what `transaxx flow run FLOW.toml` reads.
//
// A flow file is TOML (https://toml.io; read with toml++, Debian libtomlplusplus-dev). One table
// per stage plus [flow] and [data]; every key has a type, a default and a range in one schema
// table (flow_keys()), which also generates `transaxx flow keys` and the error messages:
//
//   [flow]        name, runs, threads, seed, device, launcher
//   [data]        dataset, path, test_limit, img_size            (shared by every model stage)
//   [characterize] inputs, only, library, jobs
//   [model]       file, preset, train, epochs, max_steps, train_batch, lr
//   [calibrate]   method, percentile, images
//   [sensitivity] multipliers, images
//   [search]      algo, budget, seed, compare, eval_images, batch, compensation
//   [finetune]    points, max_drop, window, steps, lr, train_limit, compensation, gradient
//   [hwgen]       rows, cols, dataflow, verify
//   [report]      title
//
// Paths are relative to the flow file's folder. Unknown tables or keys (typos) and values of the
// wrong type or range are errors naming the file, line and key (FLOW-001..003, FLOW-008, FLOW-030).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/json.hpp"

namespace axx::flows {

/// One key of the schema.
struct FlowKey {
  enum class Type { string, integer, number, boolean, string_list };
  std::string table;  ///< "search"
  std::string name;   ///< "budget"
  Type type = Type::string;
  Json fallback;      ///< default value
  double min = 0, max = 0;  ///< numeric range (inclusive) when min < max
  std::vector<std::string> choices;  ///< allowed strings; empty = any
  bool is_path = false;     ///< string (or list) resolved against the flow file's folder ("" stays "")
  std::string help;
};

/// The schema, in stage order.
const std::vector<FlowKey>& flow_keys();
/// The stage names in order: characterize model calibrate sensitivity search finetune hwgen report.
const std::vector<std::string>& flow_stage_names();

/// A parsed, validated flow: every key of the schema present (defaults filled in), paths absolute.
struct FlowSpec {
  std::filesystem::path file;  ///< the flow file (absolute)
  std::string name;            ///< [flow] name, default: the file's stem
  Json settings;               ///< {"table": {"key": value}} for every table of the schema
  const Json& table(const std::string& t) const { return settings.at(t); }
};

/// Reads and validates a flow file. Throws UsageError FLOW-001 (not TOML: line and column),
/// FLOW-002 / FLOW-008 (unknown key / table, with its line and the valid names), FLOW-003 (a
/// value of the wrong type, with its line and what is expected), FLOW-030 (a number outside the
/// key's range in flow_keys(), naming the line, key, value and range), FLOW-011 (no
/// such file), FLOW-013..017 (flow name, [model] file/train/preset, [search] compare), FLOW-024
/// ([finetune] calibration noise_aware with a [calibrate] method other than percentile), IO-*
/// when unreadable.
FlowSpec load_flow(const std::filesystem::path& path);
/// Same from text (`origin` names it in messages; paths are resolved against `base_dir`).
FlowSpec parse_flow(const std::string& text, const std::string& origin, const std::filesystem::path& base_dir);

/// Checks that every input file the stages will read exists, before any stage runs (`flow check`
/// and the start of `flow run`): [model] file (FLOW-006), [data] path or the Debian package's
/// Fashion-MNIST (FLOW-022), [characterize] inputs (FLOW-023) and library (LIB-001..015 through
/// the library reader: its index, records and every table, checked against the records'
/// SHA-256). Each error names the flow file, the key and the path.
void check_flow_inputs(const FlowSpec& spec);

/// `transaxx flow keys`: every table and key with type, default and help, as TOML comments.
std::string describe_flow_keys();

}  // namespace axx::flows
