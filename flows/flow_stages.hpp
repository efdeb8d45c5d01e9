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
/// The cheapest point of `front` (power ascending, each with "power_rel" and "test_accuracy")
/// measured at `floor` or above, never the all-exact one; null when there is none.
const Json* cheapest_within(const std::vector<Json>& front, double floor);
/// What fine-tuning is expected to win back (fraction of top-1) on a point that starts below
/// max_drop: the mean of after − before over the `done` points that started there ("before_top1",
/// "after_top1"), with (window − max_drop)/2 as a prior worth one point; never negative. A
/// window below max_drop counts as max_drop.
double expected_recovery(const std::vector<Json>& done, double exact8, double max_drop, double window);
/// The finetune stage's next pick among front points (power ascending, each with "index",
/// "power_rel", "test_accuracy"), given the points fine-tuned so far (`done`: "front_index",
/// "power_rel", "before_top1", "after_top1"): the cheapest point predicted to land within
/// max_drop of exact8 after fine-tuning (test_accuracy + expected_recovery), with
/// "predicted_top1" added; null when none is left. Never the all-exact point, a point below the
/// window, one already tried, a uniform configuration the front dominates ("dominated": true),
/// a point no more accurate than one that missed, or one costlier than a point that landed
/// (before any did: than the cheapest point already within max_drop, the safe design).
Json next_pick(const std::vector<Json>& front, double exact8, double max_drop, double window,
               const std::vector<Json>& done);
/// The flow's result in one line (energy saved, top-1 before and after fine-tuning, exact 8-bit),
/// from a finetune/report "headline" object; "" when it is null.
std::string headline_line(const Json& headline);
/// SHA-256 of a file, or of every regular file below a folder (names and contents, sorted);
/// "" for an empty path; "missing" when it does not exist.
std::string content_hash(const std::filesystem::path& path);

}  // namespace axx::flows
