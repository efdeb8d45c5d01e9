// transaxx search — evaluation context, algorithm registry and unique sampler (algorithm.hpp).
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "common/error.hpp"
#include "search/algorithm.hpp"

namespace axx::search {

EvalContext::EvalContext(const SearchSpace& space, Evaluator& evaluator, int64_t budget, int batch,
                         std::vector<EvalRecord> replay,
                         std::function<bool(const std::vector<EvalRecord>&)> after_batch)
    : space_(&space),
      evaluator_(&evaluator),
      budget_(budget),
      batch_(std::max(1, batch)),
      replay_(std::move(replay)),
      after_batch_(std::move(after_batch)) {}

std::optional<double> EvalContext::lookup(const Config& c) const {
  auto it = index_.find(config_key(c));
  if (it == index_.end()) return std::nullopt;
  return log_[it->second].accuracy;
}

void EvalContext::append(const Config& c, double acc) {
  index_.emplace(config_key(c), log_.size());
  log_.push_back(EvalRecord{c, space_->power_rel(c), acc});
}

std::vector<double> EvalContext::evaluate(const std::vector<Config>& configs) {
  std::vector<double> out(configs.size(), std::numeric_limits<double>::quiet_NaN());
  // New configurations in request order, each once.
  std::vector<Config> fresh;
  std::unordered_map<std::string, size_t> fresh_index;
  for (const auto& c : configs) {
    space_->check(c);
    const std::string k = config_key(c);
    if (index_.count(k) || fresh_index.count(k)) continue;
    if (int64_t(fresh.size()) >= remaining()) continue;
    fresh_index.emplace(k, fresh.size());
    fresh.push_back(c);
  }
  size_t pos = 0;
  while (pos < fresh.size()) {
    if (replayed_ < int64_t(replay_.size())) {
      const EvalRecord& r = replay_[size_t(replayed_)];
      if (config_key(r.config) != config_key(fresh[pos])) {
        throw Error("SRC-016", fmt::format("the checkpoint does not match this search: evaluation "
                                           "{} was [{}] but the search now asks for [{}]; it was "
                                           "written by another version or other options — delete "
                                           "it or run without resume",
                                           replayed_, config_key(r.config), config_key(fresh[pos])));
      }
      append(fresh[pos], r.accuracy);
      ++replayed_;
      ++pos;
      continue;
    }
    const size_t n = std::min(fresh.size() - pos, size_t(batch_));
    std::vector<Config> chunk(fresh.begin() + long(pos), fresh.begin() + long(pos + n));
    std::vector<double> acc = evaluator_->evaluate(*space_, chunk);
    if (acc.size() != chunk.size()) {
      throw Error("SRC-011",
                  fmt::format("the evaluator returned {} accuracies for {} configurations", acc.size(), chunk.size()));
    }
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(acc[i])) {
        throw Error("SRC-027", fmt::format("the evaluator returned a non-finite accuracy for "
                                           "configuration [{}]",
                                           config_key(chunk[i])));
      }
      append(chunk[i], acc[i]);
    }
    pos += n;
    if (after_batch_ && !after_batch_(log_)) throw StopRequested{};
  }
  for (size_t i = 0; i < configs.size(); ++i) {
    if (auto a = lookup(configs[i])) out[i] = *a;
  }
  return out;
}

const std::vector<AlgorithmInfo>& algorithms() {
  static const std::vector<AlgorithmInfo> table = {
      {"mcts",
       "Monte Carlo tree search (UCT) with a hardware-driven rollout policy and a surrogate "
       "accuracy model; proposes configurations that fill the gaps of the measured front",
       &run_mcts},
      {"nsga2", "NSGA-II genetic algorithm (ALWANN's search) on measured accuracy", &run_nsga2},
      {"random", "uniform random configurations without repetition", &run_random},
      {"greedy", "sensitivity-ordered descent from all-exact: cheapest accuracy-per-power step first", &run_greedy},
  };
  return table;
}

const AlgorithmInfo& find_algorithm(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& a : algorithms()) {
    if (name == a.name) return a;
    names.push_back(a.name);
  }
  throw Error("SRC-010", fmt::format("unknown search algorithm '{}'; valid: {}", name, join_names(names)));
}

Config UniqueSampler::decode(uint64_t index) const {
  Config c(space_->num_layers());
  for (size_t l = 0; l < c.size(); ++l) {
    const uint64_t k = space_->candidates(l).size();
    c[l] = int(index % k);
    index /= k;
  }
  return c;
}

std::optional<Config> UniqueSampler::next(Rng& rng, const EvalContext& ctx) {
  if (size_) {
    const uint64_t n = *size_;
    while (drawn_ < n) {
      const uint64_t j = drawn_ + rng.below(n - drawn_);
      auto get = [&](uint64_t i) {
        auto it = swaps_.find(i);
        return it == swaps_.end() ? i : it->second;
      };
      const uint64_t vj = get(j), vi = get(drawn_);
      swaps_[j] = vi;
      swaps_.erase(drawn_);
      ++drawn_;
      Config c = decode(vj);
      if (!ctx.seen(c)) return c;
    }
    return std::nullopt;
  }
  for (int tries = 0; tries < 1000; ++tries) {
    Config c(space_->num_layers());
    for (size_t l = 0; l < c.size(); ++l) c[l] = rng.index(space_->candidates(l).size());
    if (!ctx.seen(c)) return c;
  }
  return std::nullopt;
}

}  // namespace axx::search
