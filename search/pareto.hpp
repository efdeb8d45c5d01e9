// transaxx search — Pareto archive and exact 2-D hypervolume for (power ↓, accuracy ↑).
//
// Hypervolume (the "S metric"): Zitzler & Thiele, "Multiobjective optimization using
// evolutionary algorithms — a comparative case study", PPSN V, 1998. In two dimensions it is
// computed exactly by one sweep over the points sorted by power. The reference point is fixed by
// the caller (SearchOptions::reference) and must be the same for every front that is compared.
#pragma once

#include <cstdint>
#include <vector>

#include "search/space.hpp"

namespace axx::search {

/// Fixed reference point: the worst power and accuracy still counted.
struct ReferencePoint {
  double power_rel = 1.0;  ///< relative power (1 = all exact); points at or above add nothing
  double accuracy = 0.0;   ///< fraction in [0, 1]; points at or below add nothing
};

struct ParetoPoint {
  Config config;
  double power_rel = 0;     ///< relative power of the config (1 = all exact)
  double accuracy = 0;      ///< measured accuracy (fraction); predicted where stated
  int64_t eval_index = -1;  ///< position in the evaluation log (-1 if not measured)
};

/// True when a is at least as good in both objectives and better in one.
bool dominates(double power_a, double acc_a, double power_b, double acc_b);

/// Exact area dominated by `points` (power, accuracy) and bounded by `ref`.
double hypervolume_2d(const std::vector<ParetoPoint>& points, const ReferencePoint& ref);

/// The non-dominated points of `points` (first occurrence kept among equal objectives), sorted
/// by power ascending.
std::vector<ParetoPoint> pareto_front(const std::vector<ParetoPoint>& points);

/// Incrementally maintained non-dominated set, sorted by power ascending.
class ParetoArchive {
 public:
  /// Inserts `p` unless dominated by (or equal in both objectives to) a member; removes members
  /// it dominates. Returns true when inserted.
  bool insert(const ParetoPoint& p);
  const std::vector<ParetoPoint>& points() const { return points_; }
  size_t size() const { return points_.size(); }
  /// Would `p` be inserted?
  bool accepts(double power_rel, double accuracy) const;

 private:
  std::vector<ParetoPoint> points_;
};

}  // namespace axx::search
