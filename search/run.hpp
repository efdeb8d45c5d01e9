// transaxx search — one search run end to end: the entry point of `transaxx search`.
//
//   SearchOptions o;
//   o.library = load_multiplier_library(dir);  o.model = load_model_layers(path);
//   o.sensitivity = load_sensitivity(path);    o.algo = "mcts";  o.budget = 200;
//   o.out_dir = "runs/search/mcts";  o.compare = {"nsga2", "random", "greedy"};
//   SearchResult r = run_search(o, evaluator);
//
// Writes into out_dir, for the algorithm and each one in `compare` (same evaluator, budget and
// seed), a folder <algo>/ with
//   checkpoint.json   every scored configuration in order (resume replays it, algorithm.hpp)
//   evaluations.csv   the same as a table
//   front.csv, front.json   the measured Pareto front (power ↓, accuracy ↑)
//   configs/point_NNN.json  one docs/architecture.md approximation config per front point
// and at the top summary.json (hypervolume per algorithm) and front.svg (all fronts overlaid).
// Every file is written atomically; a killed run resumes from the checkpoints.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "search/algorithm.hpp"
#include "search/evaluator.hpp"
#include "search/library.hpp"
#include "search/model.hpp"
#include "search/pareto.hpp"
#include "search/space.hpp"

namespace axx::search {

struct SearchProgress {
  std::string algo;
  int64_t used = 0;  ///< configurations scored so far (replayed ones included)
  int64_t budget = 0;
  double hypervolume = 0;  ///< of the measured front so far
};

struct SearchOptions {
  // The problem.
  MultiplierLibrary library;
  ModelLayers model;
  std::optional<SensitivityTable> sensitivity;  ///< strongly advised for mcts and greedy
  SpaceOptions space;
  // The search.
  std::string algo = "mcts";  ///< a name from algorithms()
  int64_t budget = 100;       ///< configurations scored by the evaluator, ≥ 1
  uint64_t seed = 1;
  int batch = 4;             ///< configurations per evaluator call (and per MCTS round), ≥ 1
  ReferencePoint reference;  ///< fixed hypervolume reference, the same for every algorithm
  MctsOptions mcts;
  Nsga2Options nsga2;
  /// Other algorithms run with the same evaluator, budget and seed, overlaid in the plot.
  std::vector<std::string> compare;
  // Outputs.
  std::filesystem::path out_dir;  ///< "" = write nothing (no checkpoint, no resume)
  bool resume = true;             ///< continue from out_dir/<algo>/checkpoint.json when present
  bool plot = true;               ///< write front.svg
  /// Called after every evaluator call; return false to stop (the checkpoint is written first).
  std::function<bool(const SearchProgress&)> on_progress;
};

struct AlgorithmRun {
  std::string algo;
  std::vector<ParetoPoint> front;       ///< measured, power ascending
  std::vector<EvalRecord> evaluations;  ///< in scoring order
  double hypervolume = 0;               ///< of `front` w.r.t. SearchOptions::reference
  int64_t replayed = 0;                 ///< evaluations answered from a checkpoint
  double wall_s = 0;                    ///< this process only (not deterministic)
  bool complete = false;                ///< false when stopped by on_progress
  Json stats;                           ///< algorithm-specific
};

struct SearchResult {
  AlgorithmRun primary;
  std::vector<AlgorithmRun> baselines;  ///< one per SearchOptions::compare entry
  double log10_space_size = 0;
  std::vector<size_t> candidates_per_layer;
};

/// Validates the options (SRC-001 budget < 1, SRC-002 empty library, SRC-010 unknown algorithm,
/// SRC-013 evaluator of another model, SRC-014 other bad values), builds the space and runs.
/// While running: SRC-011 / SRC-027 the evaluator returned the wrong count / a non-finite
/// accuracy, SRC-016 a resumed checkpoint the search does not replay.
SearchResult run_search(const SearchOptions& opts, Evaluator& evaluator);

/// Runs one algorithm on a built space (no files unless `dir` is set). Used by run_search.
AlgorithmRun run_algorithm(const std::string& algo, const SearchOptions& opts, const SearchSpace& space,
                           Evaluator& evaluator, const std::filesystem::path& dir);

/// Checkpoint I/O. The fingerprint covers everything that determines the trajectory (problem,
/// algorithm, seed, budget, batch, tuning); load_checkpoint throws SRC-008 when it differs,
/// SRC-015 when the file cannot be read and SRC-009 when it is malformed.
std::string search_fingerprint(const std::string& algo, const SearchOptions& opts, const SearchSpace& space);
void write_checkpoint(const std::filesystem::path& path, const std::string& algo, const std::string& fingerprint,
                      const SearchSpace& space, const std::vector<EvalRecord>& log, bool complete);
std::vector<EvalRecord> load_checkpoint(const std::filesystem::path& path, const std::string& fingerprint,
                                        const SearchSpace& space);

/// Front files of one algorithm run (front.csv, front.json, configs/, evaluations.csv).
void write_front_files(const std::filesystem::path& dir, const AlgorithmRun& run, const SearchSpace& space);

/// SVG scatter/step plot of the fronts (x: relative power, y: accuracy), first one highlighted.
std::string plot_fronts_svg(const std::vector<AlgorithmRun>& runs, const ReferencePoint& ref);

}  // namespace axx::search
