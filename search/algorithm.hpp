// transaxx search — what every search algorithm gets (the evaluation context with the budget,
// the cache and the replay log) and the algorithm registry.
//
// Resume works by replay: a checkpoint stores every scored configuration with its accuracy in
// order. A resumed search runs the same algorithm with the same seed from the start; the context
// answers the first evaluations from the log (checking that the algorithm asks for the very same
// configurations) instead of calling the evaluator, so the search continues exactly where the
// killed one stopped and ends with the same front as an uninterrupted run. Only the evaluator's
// work is expensive; redoing the algorithm's own bookkeeping costs milliseconds.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/json.hpp"
#include "search/evaluator.hpp"
#include "search/pareto.hpp"
#include "search/rng.hpp"
#include "search/space.hpp"
#include "search/surrogate.hpp"

namespace axx::search {

struct EvalRecord {
  Config config;
  double power_rel = 0;
  double accuracy = 0;
};

/// Thrown by EvalContext::evaluate when the caller's stop callback asked to stop; run_search
/// catches it and returns an incomplete result (the checkpoint is already written).
struct StopRequested {};

class EvalContext {
 public:
  /// batch: most configurations per evaluator call (≥ 1). replay: log of an earlier run.
  /// after_batch: called after each evaluator call with the whole log (writes the checkpoint);
  /// returns false to stop the search there.
  EvalContext(const SearchSpace& space, Evaluator& evaluator, int64_t budget, int batch, std::vector<EvalRecord> replay,
              std::function<bool(const std::vector<EvalRecord>&)> after_batch);

  const SearchSpace& space() const { return *space_; }
  int64_t budget() const { return budget_; }
  int64_t used() const { return int64_t(log_.size()); }
  int64_t remaining() const { return budget_ - used(); }
  /// Accuracy of an already scored configuration.
  std::optional<double> lookup(const Config& c) const;
  bool seen(const Config& c) const { return index_.count(config_key(c)) > 0; }
  /// Scores `configs`: those already scored come from the log and do not count; the others
  /// (at most remaining(), in order; extra ones are dropped and get NaN) are answered from the
  /// replay log or by the evaluator in batches. Returns one accuracy per input.
  std::vector<double> evaluate(const std::vector<Config>& configs);
  const std::vector<EvalRecord>& log() const { return log_; }
  /// Evaluations answered from the replay log.
  int64_t replayed() const { return replayed_; }

 private:
  const SearchSpace* space_;
  Evaluator* evaluator_;
  int64_t budget_;
  int batch_;
  std::vector<EvalRecord> replay_;
  std::function<bool(const std::vector<EvalRecord>&)> after_batch_;
  std::vector<EvalRecord> log_;
  std::unordered_map<std::string, size_t> index_;
  int64_t replayed_ = 0;

  void append(const Config& c, double acc);
};

/// Tuning of the Monte Carlo tree search (mcts.cpp).
struct MctsOptions {
  /// UCT exploration constant c in Q/N + c·sqrt(ln N_parent / N_child); rewards are in [0, 1].
  /// Range ≥ 0. Kocsis & Szepesvári use √2 for rewards in [0, 1]; 0.4 explores less because the
  /// rollout policy is already informed.
  double exploration = 0.4;
  /// Tree simulations per proposed configuration (surrogate calls, not evaluations); ≥ 1.
  int simulations = 400;
  /// Probability that a rollout picks a uniformly random candidate for a layer; [0, 1].
  double rollout_epsilon = 0.05;
  /// σ of the log-normal jitter of the rollout policy's power–accuracy trade-off λ; ≥ 0.
  double lambda_jitter = 0.5;
};

/// Tuning of NSGA-II (nsga2.cpp).
struct Nsga2Options {
  int population = 16;     ///< individuals per generation, ≥ 4 (clipped to the budget)
  double crossover = 0.9;  ///< probability of uniform crossover per child, [0, 1]
  double mutation = -1;    ///< per-gene mutation probability; < 0 = 1 / layers
};

/// Everything an algorithm reads. The RNG is the algorithm's own, seeded from the search seed.
struct AlgorithmInputs {
  const SearchSpace* space = nullptr;
  Surrogate* surrogate = nullptr;  ///< built from the sensitivity table (may have none)
  ReferencePoint reference;
  uint64_t seed = 1;
  int batch = 4;  ///< configurations proposed per evaluator call
  MctsOptions mcts;
  Nsga2Options nsga2;
};

/// An algorithm scores configurations through ctx until the budget is spent (or it has nothing
/// left to try) and returns algorithm-specific statistics.
using AlgorithmFn = Json (*)(const AlgorithmInputs& in, EvalContext& ctx);

struct AlgorithmInfo {
  const char* name;
  const char* help;
  AlgorithmFn run;
};

/// The registry (one table: --help and error messages come from it).
const std::vector<AlgorithmInfo>& algorithms();
/// Throws SRC-010 listing the valid names.
const AlgorithmInfo& find_algorithm(const std::string& name);

Json run_mcts(const AlgorithmInputs& in, EvalContext& ctx);
Json run_nsga2(const AlgorithmInputs& in, EvalContext& ctx);
Json run_random(const AlgorithmInputs& in, EvalContext& ctx);
Json run_greedy(const AlgorithmInputs& in, EvalContext& ctx);

/// Draws configurations uniformly without replacement (sparse Fisher–Yates over the mixed-radix
/// index when the space has ≤ 2^62 configurations, rejection otherwise), skipping ones already
/// scored. nullopt when every configuration has been drawn.
class UniqueSampler {
 public:
  explicit UniqueSampler(const SearchSpace& space) : space_(&space), size_(space.size()) {}
  std::optional<Config> next(Rng& rng, const EvalContext& ctx);

 private:
  const SearchSpace* space_;
  std::optional<uint64_t> size_;
  uint64_t drawn_ = 0;
  std::unordered_map<uint64_t, uint64_t> swaps_;
  Config decode(uint64_t index) const;
};

}  // namespace axx::search
