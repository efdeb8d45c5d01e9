// transaxx train — `transaxx search` on a real model: the search library (search/run.hpp) driven
// by the emulator evaluator (search_eval.hpp), with the final fronts re-evaluated on the whole
// test set. No LibTorch types here.
//
// Writes into out_dir what run_search writes (per algorithm: checkpoint.json, evaluations.csv,
// front.csv, front.json, configs/point_NNN.json; front.svg) plus
//   layers.json     the Layers JSON searched (computed when no layers file is given)
//   summary.json    run_search's summary, extended per algorithm with "points": [{power_rel,
//                   energy_pj, accuracy (search subset), accuracy_full (whole test set, null
//                   when not re-evaluated), config_file (relative to out_dir)}] and
//                   "hypervolume_full" (hypervolume of those points on accuracy_full), and at
//                   the top "evaluation": {model, images, full_images, calibration, reference},
//                   and "uniform": [{multiplier, power_rel, energy_pj, accuracy, accuracy_full,
//                   dominated (by a front point on the whole test set), config_file}], one per
//                   non-exact multiplier of the searched signedness on every layer
//   uniform/<multiplier>.json  their approximation configs
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "model_search/search_eval.hpp"
#include "search/run.hpp"

namespace axx::train {

struct ModelSearchOptions {
  SearchEvalOptions eval;             ///< model, data, subset size, calibration, library
  std::string layers_file;            ///< Layers JSON; "" = computed (layer_stats.hpp)
  std::string sensitivity_file;       ///< `transaxx sensitivity` JSON or search SensitivityTable
  std::string algo = "mcts";          ///< mcts | nsga2 | random | greedy
  std::vector<std::string> compare;   ///< other algorithms at the same budget and seed
  int64_t budget = 100;               ///< configurations scored per algorithm, ≥ 1
  uint64_t seed = 1;                  ///< search seed (the data seed is eval.run.seed)
  int batch = 4;                      ///< configurations per evaluator call, ≥ 1
  int max_candidates = 6;             ///< per layer after Pareto pruning (0 = all; else ≥ 2)
  std::string signedness = "any";     ///< any | signed | unsigned multipliers
  /// Prune candidates on bias too (search/space.hpp): unbiased designs survive next to cheaper
  /// biased ones whose error accumulates along the network.
  bool bias_aware = true;
  /// The evaluator runs "mean" compensation on every approximate layer: the search's error
  /// features (bias, noise) are those of the compensated products. Set it together with the
  /// engine's compensation (the compensation option of the model commands).
  bool mean_compensation = false;
  double exploration = -1;            ///< MCTS UCT constant (< 0 = library default)
  int simulations = 0;                ///< MCTS simulations per proposal (0 = default)
  int population = 0;                 ///< NSGA-II population (0 = default)
  /// Hypervolume reference accuracy (fraction). < 0: the all-exact accuracy on the search
  /// subset minus max_drop.
  double ref_accuracy = -1;
  double max_drop = 0.05;             ///< accuracy fraction, ≥ 0
  bool final_eval = true;             ///< re-evaluate every front point on the whole test set
  bool resume = true;
  int64_t stop_after = 0;             ///< > 0: stop after this many scored configs (tests resume)
  std::string out_dir = "runs/search";
  bool progress = true;               ///< progress lines on stderr
};

/// Runs the search; returns summary.json's content. Errors (usage errors exit 2): MSR-001
/// budget < 1, MSR-002 no library, MSR-003 negative max drop, MSR-004 unknown signedness,
/// MSR-009 negative eval images; MSR-005 a config, MSR-006 a sensitivity table, MSR-007 a layers
/// file and MSR-008 a search space of another model; SRC-002 empty library, SRC-008 a checkpoint
/// of another search, TRN-*, EMU-*.
Json run_model_search(const ModelSearchOptions& o);

/// A uniform configuration (one multiplier on every layer) an algorithm scored itself.
struct UniformSeed {
  search::EvalRecord record;
  std::map<std::string, std::string> layers;  ///< layer -> multiplier (all `multiplier`)
  std::string multiplier;
  double accuracy_full = 0;
};
/// The uniform configurations among `evaluated` (first of each multiplier; never all-exact)
/// that are not on `front` and that no point of `front_full` (the front measured on the whole
/// test set), nor an earlier such seed, dominates there; `full` measures a configuration (layer
/// -> multiplier) on the whole test set. They join the algorithm's whole-test-set front: the
/// search found them, the subset's noise kept them off its front.
std::vector<UniformSeed> uniform_seeds_off_front(
    const search::SearchSpace& space, const std::vector<search::EvalRecord>& evaluated,
    const std::vector<search::ParetoPoint>& front, std::vector<search::ParetoPoint> front_full,
    const std::function<double(const std::map<std::string, std::string>&)>& full);

}  // namespace axx::train
