// transaxx search — the accuracy evaluator the search is given.
//
// search/ knows nothing of LibTorch: the emulation engine (or a toy model in tests and benches)
// implements Evaluator. Calls are batched so that an emulator can score several configurations
// in one pass over the dataset (one model copy per config, or configs spread over MPI ranks).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "search/space.hpp"

namespace axx::search {

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  /// Accuracy (fraction in [0, 1]) of each configuration, in order. The multiplier of layer l is
  /// space.multiplier_name(c, l); space.to_approx_config(c) gives the docs/architecture.md config. May throw:
  /// the search has checkpointed every earlier batch and resumes after it.
  virtual std::vector<double> evaluate(const SearchSpace& space, const std::vector<Config>& configs) = 0;
  /// The layer names of the model this evaluator runs (model order); empty = do not check. When
  /// set, run_search refuses a search space of another model (SRC-013).
  virtual std::vector<std::string> layer_names() const { return {}; }
};

/// Wraps a per-configuration function (toy evaluators, tests).
class FunctionEvaluator : public Evaluator {
 public:
  using Fn = std::function<double(const SearchSpace&, const Config&)>;
  explicit FunctionEvaluator(Fn fn, std::vector<std::string> layer_names = {})
      : fn_(std::move(fn)), names_(std::move(layer_names)) {}
  std::vector<double> evaluate(const SearchSpace& space, const std::vector<Config>& configs) override {
    std::vector<double> out;
    out.reserve(configs.size());
    for (const auto& c : configs) out.push_back(fn_(space, c));
    ++calls_;
    scored_ += int64_t(configs.size());
    return out;
  }
  std::vector<std::string> layer_names() const override { return names_; }
  int64_t calls() const { return calls_; }
  int64_t scored() const { return scored_; }

 private:
  Fn fn_;
  std::vector<std::string> names_;
  int64_t calls_ = 0;
  int64_t scored_ = 0;
};

}  // namespace axx::search
