// transaxx search — random search baseline: uniform configurations without repetition.
#include "search/algorithm.hpp"

namespace axx::search {

Json run_random(const AlgorithmInputs& in, EvalContext& ctx) {
  Rng rng(in.seed ^ 0x52414E444F4D0001ull);
  UniqueSampler sampler(*in.space);
  bool exhausted = false;
  while (ctx.remaining() > 0 && !exhausted) {
    std::vector<Config> batch;
    while (int64_t(batch.size()) < std::min<int64_t>(in.batch, ctx.remaining())) {
      auto c = sampler.next(rng, ctx);
      if (!c) {
        exhausted = true;
        break;
      }
      batch.push_back(std::move(*c));
    }
    if (!batch.empty()) ctx.evaluate(batch);
  }
  Json stats;
  stats["space_exhausted"] = exhausted;
  return stats;
}

}  // namespace axx::search
