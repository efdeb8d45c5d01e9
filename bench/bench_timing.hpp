// transaxx benchmarks — timing shared by the benches: wall time, or the process's CPU time (all
// threads) for single-threaded runs on a machine shared with other jobs, where it measures the
// work itself rather than the time slices it got.
#pragma once

#include <time.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <utility>

namespace axx::bench {

/// CPU time of the whole process so far, seconds.
inline double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

/// Seconds f takes: process CPU time when cpu_time, else wall time.
inline double seconds(const std::function<void()>& f, bool cpu_time) {
  if (cpu_time) {
    const double c0 = process_cpu_seconds();
    f();
    return process_cpu_seconds() - c0;
  }
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Best of `reps` for a and b after one warm-up each, alternating the two so that load from
/// other processes hits both alike.
inline std::pair<double, double> best_of(int reps, const std::function<void()>& a, const std::function<void()>& b,
                                         bool cpu_time) {
  a();
  b();
  double ta = 1e30, tb = 1e30;
  for (int i = 0; i < reps; ++i) {
    ta = std::min(ta, seconds(a, cpu_time));
    tb = std::min(tb, seconds(b, cpu_time));
  }
  return {ta, tb};
}

}  // namespace axx::bench
