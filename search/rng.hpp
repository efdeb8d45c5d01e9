// transaxx search — the one random number generator every search algorithm uses.
//
// xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2018)
// seeded through splitmix64. Everything is written out here instead of using <random>
// distributions because std::uniform_int_distribution & co. are implementation-defined: the same
// seed would give a different search on another libstdc++/libc++ version. std::random_device is
// never used; a search is a pure function of its seed and of the evaluator's answers.
#pragma once

#include <cmath>
#include <cstdint>

namespace axx::search {

/// splitmix64 step: also used to derive independent sub-seeds and to hash configurations.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed = 1) {
    uint64_t s = seed;
    for (auto& w : s_) w = splitmix64(s);
  }
  /// Next raw 64-bit value.
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform integer in [0, n), n ≥ 1; unbiased (rejection on the top of the range).
  uint64_t below(uint64_t n) {
    if (n <= 1) return 0;
    const uint64_t limit = ~uint64_t(0) - (~uint64_t(0) % n);
    uint64_t x;
    do x = next();
    while (x >= limit);
    return x % n;
  }
  /// Uniform int in [0, n) for container indices.
  int index(size_t n) { return int(below(uint64_t(n))); }
  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool bernoulli(double p) { return uniform() < p; }
  /// Standard normal (Box–Muller, one value per call; the pair's second value is dropped so the
  /// stream position depends only on the number of calls).
  double normal() {
    double u1 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace axx::search
