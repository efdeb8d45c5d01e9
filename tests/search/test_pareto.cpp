// Pareto archive and exact 2-D hypervolume against hand-computed cases.
#include <gtest/gtest.h>

#include "search/pareto.hpp"

using namespace axx::search;

namespace {
ParetoPoint P(double power, double acc) { return ParetoPoint{{}, power, acc, -1}; }
}  // namespace

TEST(Hypervolume, SinglePointIsItsRectangle) {
  EXPECT_DOUBLE_EQ(hypervolume_2d({P(0.5, 0.8)}, {1.0, 0.0}), 0.5 * 0.8);
  EXPECT_DOUBLE_EQ(hypervolume_2d({P(0.25, 0.9)}, {1.0, 0.5}), 0.75 * 0.4);
}

TEST(Hypervolume, StaircaseOfThreePoints) {
  // (0.2, 0.5), (0.5, 0.7), (0.8, 0.9), ref (1, 0):
  // [0.2,0.5)×0.5 + [0.5,0.8)×0.7 + [0.8,1)×0.9 = 0.15 + 0.21 + 0.18 = 0.54
  const double hv = hypervolume_2d({P(0.8, 0.9), P(0.2, 0.5), P(0.5, 0.7)}, {1.0, 0.0});
  EXPECT_NEAR(hv, 0.54, 1e-12);
}

TEST(Hypervolume, DominatedAndOutsidePointsAddNothing) {
  const std::vector<ParetoPoint> front{P(0.2, 0.5), P(0.5, 0.7), P(0.8, 0.9)};
  auto with = front;
  with.push_back(P(0.6, 0.6));   // dominated by (0.5, 0.7)
  with.push_back(P(1.2, 0.95));  // beyond the reference power
  with.push_back(P(0.1, -0.1));  // below the reference accuracy
  with.push_back(P(0.5, 0.7));   // duplicate
  EXPECT_NEAR(hypervolume_2d(with, {1.0, 0.0}), hypervolume_2d(front, {1.0, 0.0}), 1e-12);
  EXPECT_DOUBLE_EQ(hypervolume_2d({}, {1.0, 0.0}), 0.0);
}

TEST(Hypervolume, ReferenceAccuracyClipsTheStaircase) {
  // ref accuracy 0.6: (0.2,0.5) adds nothing; [0.5,0.8)×0.1 + [0.8,1)×0.3 = 0.03 + 0.06
  EXPECT_NEAR(hypervolume_2d({P(0.2, 0.5), P(0.5, 0.7), P(0.8, 0.9)}, {1.0, 0.6}), 0.09, 1e-12);
}

TEST(Hypervolume, EqualPowerKeepsTheBetterAccuracy) {
  EXPECT_NEAR(hypervolume_2d({P(0.5, 0.3), P(0.5, 0.7)}, {1.0, 0.0}), 0.35, 1e-12);
}

TEST(ParetoArchive, KeepsOnlyNonDominatedSortedByPower) {
  ParetoArchive a;
  EXPECT_TRUE(a.insert(P(0.5, 0.7)));
  EXPECT_TRUE(a.insert(P(0.2, 0.5)));
  EXPECT_FALSE(a.insert(P(0.6, 0.6)));
  EXPECT_FALSE(a.insert(P(0.5, 0.7)));  // equal objectives: first one stays
  EXPECT_TRUE(a.insert(P(0.8, 0.9)));
  EXPECT_TRUE(a.insert(P(0.4, 0.75)));  // dominates (0.5, 0.7)
  ASSERT_EQ(a.size(), 3u);
  EXPECT_DOUBLE_EQ(a.points()[0].power_rel, 0.2);
  EXPECT_DOUBLE_EQ(a.points()[1].power_rel, 0.4);
  EXPECT_DOUBLE_EQ(a.points()[2].power_rel, 0.8);
  EXPECT_TRUE(dominates(0.1, 0.9, 0.2, 0.9));
  EXPECT_FALSE(dominates(0.2, 0.9, 0.2, 0.9));
}
