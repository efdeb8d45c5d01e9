// transaxx search — Pareto archive and hypervolume (see pareto.hpp).
#include "search/pareto.hpp"

#include <algorithm>

namespace axx::search {

bool dominates(double pa, double aa, double pb, double ab) { return pa <= pb && aa >= ab && (pa < pb || aa > ab); }

double hypervolume_2d(const std::vector<ParetoPoint>& points, const ReferencePoint& ref) {
  std::vector<std::pair<double, double>> v;
  for (const auto& p : points) {
    if (p.power_rel < ref.power_rel && p.accuracy > ref.accuracy) v.emplace_back(p.power_rel, p.accuracy);
  }
  std::sort(v.begin(), v.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first < b.first : a.second > b.second; });
  double area = 0, best = ref.accuracy;
  for (size_t i = 0; i < v.size(); ++i) {
    best = std::max(best, v[i].second);
    const double next = i + 1 < v.size() ? v[i + 1].first : ref.power_rel;
    area += (next - v[i].first) * (best - ref.accuracy);
  }
  return area;
}

std::vector<ParetoPoint> pareto_front(const std::vector<ParetoPoint>& points) {
  ParetoArchive a;
  for (const auto& p : points) a.insert(p);
  return a.points();
}

bool ParetoArchive::accepts(double power, double acc) const {
  for (const auto& q : points_) {
    if (dominates(q.power_rel, q.accuracy, power, acc) || (q.power_rel == power && q.accuracy == acc)) {
      return false;
    }
  }
  return true;
}

bool ParetoArchive::insert(const ParetoPoint& p) {
  if (!accepts(p.power_rel, p.accuracy)) return false;
  std::vector<ParetoPoint> kept;
  kept.reserve(points_.size() + 1);
  for (auto& q : points_) {
    if (!dominates(p.power_rel, p.accuracy, q.power_rel, q.accuracy)) kept.push_back(std::move(q));
  }
  auto pos = std::upper_bound(kept.begin(), kept.end(), p.power_rel,
                              [](double v, const ParetoPoint& q) { return v < q.power_rel; });
  kept.insert(pos, p);
  points_ = std::move(kept);
  return true;
}

}  // namespace axx::search
