// transaxx search — Monte Carlo tree search with a hardware-driven policy (TransAxx).
//
// TransAxx (Danopoulos, Zervakis, Soudris & Henkel, "TransAxx: Efficient Transformers with
// Approximate Computing", arXiv 2402.07545, 2024) searches per-layer multiplier assignments with
// MCTS guided by a hardware-driven policy and an accuracy predictor. Its public code has the MCTS
// skeleton only; the state, reward, policy and front construction here are ours:
//
// * State: a partial assignment; depth d fixes the multiplier of the d-th layer in "stake" order
//   (largest share of the all-exact energy first, so the decisions that move power most sit at
//   the top of the tree). Actions: that layer's pruned candidates (space.hpp).
// * Selection: UCT (Kocsis & Szepesvári, "Bandit based Monte-Carlo planning", ECML 2006) with a
//   configurable exploration constant; children are expanded in the policy's order.
// * Seeds: the first evaluations are the uniform configurations (one multiplier on every layer,
//   the nearest costlier candidate where pruning removed it; at most a third of the budget,
//   spread over the power range): cheap to list and very informative, they show the surrogate
//   how each design's error accumulates over the whole network.
// * Rollouts: the hardware-driven policy completes the assignment layer by layer with the
//   multiplier minimizing Δdrop_l(m) + λ·power_share_l(m), Δdrop the surrogate's marginal drop
//   of m on layer l given the error the rest of the network carries at that power (its
//   accumulated bias and drops): a layer that barely loses accuracy gets a cheap multiplier, a
//   sensitive one stays accurate, and biased designs stop being chosen once their bias adds up.
//   λ is set by bisection so the policy meets the round's power target, then jittered
//   log-normally per rollout; with probability ε a layer gets a random candidate. Children are
//   expanded in the same order (cheaper multipliers first where the layer is less sensitive).
// * Reward: the surrogate's predicted accuracy under an ε-constraint on power (reward > 0.5 iff
//   the configuration is within the power target), scaled over the accuracy window [reference,
//   best]: configurations predicted below the window earn little, so the trees extend the front
//   where it counts instead of anywhere.
// * Front: targets are placed in the gaps of the MEASURED front (largest possible hypervolume
//   gain first, a gap tried repeatedly without success loses priority). Each round proposes
//   `batch` configurations (one tree per target), the evaluator scores them, every scored
//   configuration enters the Pareto archive and the surrogate is refitted on all of them.
//   Every configuration the trees simulate also enters a predicted archive (reported in stats).
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_set>

#include "search/algorithm.hpp"

namespace axx::search {

namespace {

struct Node {
  int visits = 0;
  double total = 0;
  std::vector<int> child;  ///< node index per candidate, -1 = not expanded
  std::vector<int> order;  ///< expansion order (policy preference)
  int expanded = 0;
};

struct Scored {
  Config config;
  double reward = 0;
};

struct Gap {
  double lo, hi, area;  ///< power range and the most hypervolume a point inside could add
};

class Mcts {
 public:
  Mcts(const AlgorithmInputs& in, EvalContext& ctx)
      : in_(in), s_(*in.space), sur_(*in.surrogate), ctx_(ctx), rng_(in.seed ^ 0x4D43545300000001ull) {
    const size_t L = s_.num_layers();
    for (size_t l = 0; l < L; ++l) order_.push_back(l);
    auto stake = [&](size_t l) {
      double m = 0;
      for (const auto& c : s_.candidates(l)) m = std::max(m, c.power_share);
      return m;
    };
    std::stable_sort(order_.begin(), order_.end(), [&](size_t a, size_t b) { return stake(a) > stake(b); });
    p_min_ = s_.power_rel(s_.all_cheapest());
    p_max_ = std::max(s_.power_rel(s_.all_exact()), p_min_ + 1e-12);
  }

  Json run() {
    UniqueSampler sampler(s_);
    int rounds = 0, fallback = 0;
    const std::vector<Config> seeds = uniform_configs();
    for (size_t i = 0; i < seeds.size() && ctx_.remaining() > 0; i += size_t(std::max(1, in_.batch))) {
      std::vector<Config> chunk(seeds.begin() + long(i),
                                seeds.begin() + long(std::min(seeds.size(), i + size_t(std::max(1, in_.batch)))));
      ctx_.evaluate(chunk);
      for (const auto& c : chunk) {
        if (auto a = ctx_.lookup(c)) archive_.insert(ParetoPoint{c, s_.power_rel(c), *a, -1});
      }
      refit();
    }
    while (ctx_.remaining() > 0) {
      const int64_t b = std::min<int64_t>(in_.batch, ctx_.remaining());
      refresh_scale();
      std::vector<double> targets = pick_targets(int(b));
      std::vector<Config> proposals;
      std::unordered_set<std::string> keys;
      // Candidates: every tree's best configurations and the archive of simulated ones.
      std::vector<std::vector<Scored>> tops;
      for (double t : targets) tops.push_back(search(t));
      std::vector<ParetoPoint> cands;
      std::unordered_set<std::string> cand_keys;
      auto add_cand = [&](const Config& c) {
        if (ctx_.seen(c) || !cand_keys.insert(config_key(c)).second) return;
        cands.push_back(ParetoPoint{c, s_.power_rel(c), sur_.predict(c), -1});
      };
      for (const auto& top : tops)
        for (const auto& sc : top) add_cand(sc.config);
      for (const auto& q : predicted_.points()) add_cand(q.config);
      // Batch by expected improvement: the candidate whose predicted point adds the most
      // hypervolume to the measured front, then the next one against the front including the
      // first one's prediction, and so on.
      ParetoArchive believed = archive_;
      for (int64_t i = 0; i < b; ++i) {
        std::vector<ParetoPoint> f;
        for (const auto& p : believed.points()) {
          if (p.power_rel < in_.reference.power_rel && p.accuracy > in_.reference.accuracy) f.push_back(p);
        }
        int best = -1;
        double best_gain = 0;
        for (size_t k = 0; k < cands.size(); ++k) {
          if (keys.count(config_key(cands[k].config))) continue;
          const double g = gain(f, cands[k].power_rel, cands[k].accuracy);
          if (g > best_gain) {
            best_gain = g;
            best = int(k);
          }
        }
        if (best < 0) {
          // No predicted improvement: the tree's own choice for this target.
          for (const auto& sc : tops[size_t(i) % tops.size()]) {
            if (!ctx_.seen(sc.config) && !keys.count(config_key(sc.config))) {
              keys.insert(config_key(sc.config));
              proposals.push_back(sc.config);
              break;
            }
          }
          continue;
        }
        keys.insert(config_key(cands[size_t(best)].config));
        proposals.push_back(cands[size_t(best)].config);
        believed.insert(cands[size_t(best)]);
      }
      while (int64_t(proposals.size()) < b) {
        // Tiny spaces: the trees only found scored configurations; spend the rest at random.
        auto c = sampler.next(rng_, ctx_);
        if (!c) break;
        if (keys.insert(config_key(*c)).second) {
          proposals.push_back(*c);
          ++fallback;
        }
      }
      if (proposals.empty()) break;
      ctx_.evaluate(proposals);
      for (const auto& c : proposals) {
        if (auto a = ctx_.lookup(c)) archive_.insert(ParetoPoint{c, s_.power_rel(c), *a, -1});
      }
      refit();
      ++rounds;
    }
    Json stats;
    stats["rounds"] = rounds;
    stats["uniform_seeds"] = seeds.size();
    stats["simulations"] = simulations_;
    stats["random_fallbacks"] = fallback;
    stats["predicted_archive_size"] = predicted_.size();
    stats["surrogate_weights"] = Json::array();
    for (double w : sur_.weights()) stats["surrogate_weights"].push_back(w);
    return stats;
  }

 private:
  const AlgorithmInputs& in_;
  const SearchSpace& s_;
  Surrogate& sur_;
  EvalContext& ctx_;
  Rng rng_;
  std::vector<size_t> order_;
  double p_min_ = 0, p_max_ = 1;
  double acc_hi_ = 1, acc_lo_ = 0;
  ParetoArchive archive_;    ///< measured
  ParetoArchive predicted_;  ///< surrogate-scored simulations
  std::map<std::pair<long long, long long>, int> attempts_;
  int64_t simulations_ = 0;
  double ref_pos_ = 0, ref_bias_ = 0;  ///< error the network carries around the current target

  // One multiplier on every layer (where pruning removed it from a layer: that layer's cheapest
  // candidate at least as costly). At most a third of the budget, evenly spread over power.
  std::vector<Config> uniform_configs() const {
    const auto& lib = s_.library();
    std::vector<Config> out;
    std::unordered_set<std::string> keys{config_key(s_.all_exact())};
    for (size_t m = 0; m < lib.multipliers.size(); ++m) {
      bool anywhere = false;
      for (size_t l = 0; l < s_.num_layers() && !anywhere; ++l)
        for (const auto& c : s_.candidates(l)) anywhere |= c.mult == int(m);
      if (!anywhere) continue;
      const double e = lib.multipliers[m].energy_pj_per_op;
      Config c(s_.num_layers(), 0);
      for (size_t l = 0; l < s_.num_layers(); ++l) {
        const auto& cands = s_.candidates(l);
        int pick = -1;
        for (size_t k = 0; k < cands.size(); ++k) {
          if (cands[k].mult == int(m)) {
            pick = int(k);
            break;
          }
          const double ek = lib.multipliers[size_t(cands[k].mult)].energy_pj_per_op;
          if (ek >= e && (pick < 0 || ek < lib.multipliers[size_t(cands[size_t(pick)].mult)].energy_pj_per_op))
            pick = int(k);
        }
        c[l] = pick < 0 ? s_.all_exact()[l] : pick;
      }
      if (keys.insert(config_key(c)).second) out.push_back(c);
    }
    std::stable_sort(out.begin(), out.end(),
                     [&](const Config& a, const Config& b) { return s_.power_rel(a) < s_.power_rel(b); });
    const size_t cap = size_t(std::max<int64_t>(1, ctx_.budget() / 3));
    if (out.size() > cap) {
      std::vector<Config> thin;
      for (size_t i = 0; i < cap; ++i) {
        const size_t idx = cap == 1 ? out.size() / 2 : size_t(std::lround(double(i) * double(out.size() - 1) / double(cap - 1)));
        thin.push_back(out[idx]);
      }
      out = thin;
    }
    return out;
  }

  void refit() {
    std::vector<Config> cs;
    std::vector<double> as;
    for (const auto& r : ctx_.log()) {
      cs.push_back(r.config);
      as.push_back(r.accuracy);
    }
    sur_.fit(cs, as);
  }

  // The accuracy window: from the reference accuracy (its floor) to the best accuracy known.
  void refresh_scale() {
    acc_lo_ = in_.reference.accuracy;
    acc_hi_ = sur_.predict(s_.all_exact());
    for (const auto& p : archive_.points()) acc_hi_ = std::max(acc_hi_, p.accuracy);
    if (!(acc_hi_ - acc_lo_ > 1e-9)) acc_hi_ = acc_lo_ + 1e-3;
  }

  // Hypervolume a point (power p, accuracy a) would add to the measured front f (power
  // ascending, non-dominated): the part of its dominated rectangle not yet dominated.
  double gain(const std::vector<ParetoPoint>& f, double p, double a) const {
    const ReferencePoint& ref = in_.reference;
    if (!(p < ref.power_rel && a > ref.accuracy)) return 0;
    double g = 0, x = p;
    double level = ref.accuracy;  // best measured accuracy at power ≤ x
    size_t i = 0;
    while (i < f.size() && f[i].power_rel <= p) level = std::max(level, f[i++].accuracy);
    while (x < ref.power_rel) {
      const double nx = i < f.size() ? std::min(f[i].power_rel, ref.power_rel) : ref.power_rel;
      g += (nx - x) * std::max(0.0, a - level);
      if (i >= f.size()) break;
      level = std::max(level, f[i++].accuracy);
      x = nx;
    }
    return g;
  }

  // Targets go to the gaps of the measured front. A gap's score is the largest hypervolume gain
  // the surrogate promises there (best predicted configuration not yet scored, from the archive
  // of simulated configurations, re-predicted with the current fit) plus a small share of the
  // gap's area bound so unexplored gaps are still visited; a gap tried repeatedly loses
  // priority.
  std::vector<double> pick_targets(int n) {
    const ReferencePoint& ref = in_.reference;
    const double top = std::min(p_max_, ref.power_rel);
    std::vector<ParetoPoint> f;
    for (const auto& p : archive_.points()) {
      if (p.power_rel < ref.power_rel && p.accuracy > ref.accuracy) f.push_back(p);
    }
    std::vector<double> out;
    if (f.empty()) {
      for (int i = 0; i < n; ++i) {
        const double u = (double(i) + rng_.uniform(0.25, 0.75)) / double(n);
        out.push_back(p_min_ + u * (top - p_min_));
      }
      return out;
    }
    // Re-predict the simulated front with the current surrogate.
    ParetoArchive pred;
    for (const auto& q : predicted_.points()) {
      if (!ctx_.seen(q.config)) pred.insert(ParetoPoint{q.config, q.power_rel, sur_.predict(q.config), -1});
    }
    predicted_ = pred;
    std::vector<Gap> gaps;
    gaps.push_back({p_min_, f.front().power_rel, (f.front().power_rel - p_min_) * (f.front().accuracy - ref.accuracy)});
    for (size_t i = 0; i + 1 < f.size(); ++i) {
      gaps.push_back({f[i].power_rel, f[i + 1].power_rel,
                      (f[i + 1].power_rel - f[i].power_rel) * (f[i + 1].accuracy - f[i].accuracy)});
    }
    gaps.push_back({f.back().power_rel, top, (top - f.back().power_rel) * std::max(0.0, acc_hi_ - f.back().accuracy)});
    std::vector<double> best_gain(gaps.size(), 0), best_power(gaps.size(), -1);
    for (const auto& q : pred.points()) {
      const double g = gain(f, q.power_rel, q.accuracy);
      for (size_t k = 0; k < gaps.size(); ++k) {
        const bool inside = q.power_rel >= gaps[k].lo && (q.power_rel < gaps[k].hi || k + 1 == gaps.size());
        if (inside && g > best_gain[k]) {
          best_gain[k] = g;
          best_power[k] = q.power_rel;
        }
      }
    }
    std::vector<int> picked(gaps.size(), 0);
    for (int i = 0; i < n; ++i) {
      int best = -1;
      double best_score = 0;
      for (size_t g = 0; g < gaps.size(); ++g) {
        if (!(gaps[g].hi > gaps[g].lo)) continue;
        const double promise = picked[g] ? 0.0 : best_gain[g];
        const double sc = (promise + 0.05 * gaps[g].area) / double(1 + attempts_[key(gaps[g])]);
        if (best < 0 || sc > best_score) {
          best = int(g);
          best_score = sc;
        }
      }
      if (best < 0) {
        out.push_back(rng_.uniform(p_min_, top));
        continue;
      }
      const Gap& g = gaps[size_t(best)];
      ++attempts_[key(g)];
      if (!picked[size_t(best)] && best_power[size_t(best)] >= 0) {
        out.push_back(best_power[size_t(best)]);
      } else {
        out.push_back(g.lo + rng_.uniform(0.3, 0.98) * (g.hi - g.lo));
      }
      ++picked[size_t(best)];
    }
    return out;
  }

  static std::pair<long long, long long> key(const Gap& g) {
    return {std::llround(g.lo * 1e9), std::llround(g.hi * 1e9)};
  }

  double policy_score(size_t l, size_t k, double lambda) const {
    return sur_.marginal_drop(l, int(k), ref_pos_, ref_bias_) + lambda * s_.candidates(l)[k].power_share;
  }

  // The error level the policy's configuration at this target carries (fixed point, 3 rounds):
  // the marginal drops of the policy are taken around it.
  double settle_policy(double target) {
    ref_pos_ = ref_bias_ = 0;
    double lambda = lambda_for(target);
    for (int it = 0; it < 3; ++it) {
      double pos = 0, bias = 0;
      for (size_t l = 0; l < s_.num_layers(); ++l) {
        const int k = policy_pick(l, lambda);
        pos += std::max(0.0, sur_.drop(l, k));
        bias += sur_.bias(l, k);
      }
      ref_pos_ = pos;
      ref_bias_ = bias;
      lambda = lambda_for(target);
    }
    return lambda;
  }

  int policy_pick(size_t l, double lambda) const {
    const auto& cands = s_.candidates(l);
    int best = 0;
    double bs = policy_score(l, 0, lambda);
    for (size_t k = 1; k < cands.size(); ++k) {
      const double v = policy_score(l, k, lambda);
      if (v < bs) {
        bs = v;
        best = int(k);
      }
    }
    return best;
  }

  double policy_power(double lambda) const {
    double p = 0;
    for (size_t l = 0; l < s_.num_layers(); ++l) p += s_.candidates(l)[size_t(policy_pick(l, lambda))].power_share;
    return p;
  }

  // Smallest λ whose greedy assignment meets the power target (policy power falls with λ).
  double lambda_for(double target) const {
    double hi = 1e-3;
    while (policy_power(hi) > target && hi < 1e9) hi *= 4;
    double lo = 0;
    if (policy_power(lo) <= target) return 0;
    for (int it = 0; it < 50; ++it) {
      const double mid = 0.5 * (lo + hi);
      if (policy_power(mid) > target)
        lo = mid;
      else
        hi = mid;
    }
    return hi;
  }

  double reward(double acc, double power, double target) const {
    const double w = acc_hi_ - acc_lo_;
    const double r = acc >= acc_lo_ ? 0.25 + 0.75 * std::min(1.0, (acc - acc_lo_) / w)
                                    : 0.25 * std::exp(-(acc_lo_ - acc) / w);
    if (power <= target) return 0.5 + 0.5 * r;
    const double over = (power - target) / std::max(1e-9, 0.1 * (p_max_ - p_min_));
    return 0.5 * r * std::max(0.0, 1.0 - over);
  }

  std::vector<Scored> search(double target) {
    const size_t L = s_.num_layers();
    const double lambda = settle_policy(target);
    std::vector<Node> nodes;
    auto make_node = [&](size_t depth) {
      Node n;
      if (depth < L) {
        const size_t l = order_[depth];
        const size_t k = s_.candidates(l).size();
        n.child.assign(k, -1);
        for (size_t i = 0; i < k; ++i) n.order.push_back(int(i));
        std::stable_sort(n.order.begin(), n.order.end(), [&](int a, int b) {
          return policy_score(l, size_t(a), lambda) < policy_score(l, size_t(b), lambda);
        });
      }
      nodes.push_back(std::move(n));
      return int(nodes.size() - 1);
    };
    make_node(0);
    std::vector<Scored> top;
    std::unordered_set<std::string> top_keys;
    const size_t keep = size_t(std::max(8, 2 * in_.batch));
    Config c(L, 0);
    std::vector<int> path;
    const int sims = std::max(1, in_.mcts.simulations);
    for (int sim = 0; sim < sims; ++sim) {
      path.assign(1, 0);
      size_t depth = 0;
      int node = 0;
      // Selection and expansion.
      while (depth < L) {
        Node& nd = nodes[size_t(node)];
        const size_t l = order_[depth];
        int k;
        if (nd.expanded < int(nd.order.size())) {
          k = nd.order[size_t(nd.expanded++)];
          const int child = make_node(depth + 1);
          nodes[size_t(node)].child[size_t(k)] = child;
          c[l] = k;
          node = child;
          path.push_back(node);
          ++depth;
          break;
        }
        double best = -1;
        k = 0;
        const double lnN = std::log(double(std::max(1, nd.visits)));
        for (size_t a = 0; a < nd.child.size(); ++a) {
          const Node& ch = nodes[size_t(nd.child[a])];
          const double u = ch.total / std::max(1, ch.visits) +
                           in_.mcts.exploration * std::sqrt(lnN / double(std::max(1, ch.visits)));
          if (u > best) {
            best = u;
            k = int(a);
          }
        }
        c[l] = k;
        node = nd.child[size_t(k)];
        path.push_back(node);
        ++depth;
      }
      // Rollout with the hardware-driven policy.
      const double lam = lambda * std::exp(in_.mcts.lambda_jitter * rng_.normal());
      for (size_t d = depth; d < L; ++d) {
        const size_t l = order_[d];
        c[l] = rng_.bernoulli(in_.mcts.rollout_epsilon) ? rng_.index(s_.candidates(l).size()) : policy_pick(l, lam);
      }
      const double acc = sur_.predict(c);
      const double pw = s_.power_rel(c);
      const double r = reward(acc, pw, target);
      ++simulations_;
      predicted_.insert(ParetoPoint{c, pw, acc, -1});
      for (int n : path) {
        nodes[size_t(n)].visits += 1;
        nodes[size_t(n)].total += r;
      }
      const std::string k = config_key(c);
      if (!top_keys.count(k) && !ctx_.seen(c)) {
        if (top.size() < keep || r > top.back().reward) {
          top.push_back(Scored{c, r});
          top_keys.insert(k);
          std::stable_sort(top.begin(), top.end(),
                           [](const Scored& a, const Scored& b) { return a.reward > b.reward; });
          if (top.size() > keep) {
            top_keys.erase(config_key(top.back().config));
            top.pop_back();
          }
        }
      }
    }
    return top;
  }
};

}  // namespace

Json run_mcts(const AlgorithmInputs& in, EvalContext& ctx) {
  Mcts m(in, ctx);
  return m.run();
}

}  // namespace axx::search
