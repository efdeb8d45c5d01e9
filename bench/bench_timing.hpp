// transaxx benchmarks — timing shared by the benches: wall time, or the process's CPU time (all
// threads) for single-threaded runs on a machine shared with other jobs, where it measures the
// work itself rather than the time slices it got.
#pragma once

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
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
///
/// `settle_a` > 0 (a = LUT kernel, b = OpenBLAS sgemm): each round first runs a back to back,
/// untimed, for settle_a seconds, then times it three times; then b once untimed and three times
/// timed. OpenBLAS's worker threads keep polling for work for 2^28 TSC ticks (~0.1 s) after each
/// call, so a LUT kernel timed right after an sgemm shares its cores with them (measured: 2
/// threads, M = 197, fc2 20 G/s instead of 40). Sleeping that time away instead is no cure on a
/// virtual machine: parked virtual CPUs wake slowly, and attention·V of one image then ran at 21
/// instead of 41 G/s for calls after the sleep. Each side is thus timed in its steady state, back
/// to back, with the other side's threads idle (as inside an approximate model, where no BLAS call
/// comes between the LUT products).
inline std::pair<double, double> best_of(int reps, const std::function<void()>& a, const std::function<void()>& b,
                                         bool cpu_time, double settle_a = 0) {
  a();
  b();
  double ta = 1e30, tb = 1e30;
  const int inner = settle_a > 0 ? 3 : 1;
  for (int i = 0; i < reps; ++i) {
    if (settle_a > 0) {
      const auto t0 = std::chrono::steady_clock::now();
      do a();
      while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < settle_a);
    }
    for (int j = 0; j < inner; ++j) ta = std::min(ta, seconds(a, cpu_time));
    if (settle_a > 0) b();
    for (int j = 0; j < inner; ++j) tb = std::min(tb, seconds(b, cpu_time));
  }
  return {ta, tb};
}

/// LibTorch's OpenMP threads spin-wait between parallel regions unless OMP_WAIT_POLICY says
/// otherwise, which on a few cores steals them from OpenBLAS (see apps/main.cpp). libgomp reads
/// the variable when it loads, so a bench sets it and re-executes itself once, as the
/// transaxx model commands do. A value the user set is kept.
inline void use_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY")) return;
  ::setenv("OMP_WAIT_POLICY", "passive", 1);
  ::execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
}

}  // namespace axx::bench
