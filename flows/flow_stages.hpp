// transaxx flows — the eight stages of the co-design flow, one file each (stage_<name>.cpp):
//
//   characterize  `transaxx library build`: the multiplier library (records, LUTs, scatter)
//   model         the model file, or `transaxx train`
//   calibrate     `transaxx eval` in fp32 and exact 8-bit (calibrated), `transaxx layers`
//   sensitivity   `transaxx sensitivity`: every layer alone with every multiplier
//   search        `transaxx search`: the accuracy–power front (and the baselines)
//   finetune      `transaxx finetune` of the chosen front points
//   hwgen         `transaxx hwgen --verify` for the first chosen point
//   report        report.html (self-contained) and report.json
#pragma once

#include <string>
#include <vector>

#include "flows/flow_run.hpp"

namespace axx::flows {

/// The stages in order (the registry `flow run --from/--to/--only` and `flow stages` use).
std::vector<StageDef> flow_stages();

StageDef characterize_stage();
StageDef model_stage();
StageDef calibrate_stage();
StageDef sensitivity_stage();
StageDef search_stage();
StageDef finetune_stage();
StageDef hwgen_stage();
StageDef report_stage();

/// Shared by the stages: `--dataset K [--data P] [--img-size S]` from [data].
std::vector<std::string> data_args(const FlowSpec& spec);
/// `--model M [--preset P]` from the model stage's outputs.
std::vector<std::string> model_args(const StageContext& ctx);
/// Calibration options from [calibrate] plus threads and the calibration-subset seed, under the
/// flag names of the command (every model command: --calib-images/--data-seed), so every command
/// calibrates on the same images.
std::vector<std::string> calibration_args(const StageContext& ctx, const std::string& images_flag = "--calib-images",
                                         const std::string& seed_flag = "--data-seed");
/// The finetune stage's choice among front points (power ascending, each with "index",
/// "power_rel", "test_accuracy"), never the all-exact point and never a point below the window:
/// the cheapest points within `window` of exact8 before fine-tuning (fine-tuning is expected to
/// win back up to window − max_drop: these are the points predicted to land within max_drop
/// after it), cheapest first, with the cheapest point already within max_drop kept as the last
/// pick (the safe design), up to count. A window below max_drop counts as max_drop. With two
/// free picks or more (count ≥ 3 when a safe point exists), one of them is the cheapest uniform
/// configuration ("algo": "uniform") in the window. The other free picks ladder down the window:
/// with m of them, pick j is the cheapest point within window·(m − j)/m (the next cheapest when
/// that rung offers nothing new). Uniform configurations the front dominates
/// may be in the list, marked "dominated": true; only the uniform pick takes them.
std::vector<Json> choose_points(const std::vector<Json>& front, double exact8, double max_drop, double window,
                                size_t count);
/// The flow's result in one line (energy saved, top-1 before and after fine-tuning, exact 8-bit),
/// from a finetune/report "headline" object; "" when it is null.
std::string headline_line(const Json& headline);
/// SHA-256 of a file, or of every regular file below a folder (names and contents, sorted);
/// "" for an empty path; "missing" when it does not exist.
std::string content_hash(const std::filesystem::path& path);

}  // namespace axx::flows
