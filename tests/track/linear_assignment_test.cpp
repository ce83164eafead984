// Linear assignment against brute force over every (partial) matching.
#include "tilescope/track/linear_assignment.h"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

namespace tilescope::track {
namespace {

// Optimal totals are sums of at most 7 doubles in [0, 1]: any two ways of adding them
// agree to ~1e-15; 1e-9 only absorbs that.
constexpr double kTol = 1e-9;

CostMatrix random_matrix(std::mt19937& rng, int rows, int cols) {
  std::uniform_real_distribution<double> dist(0, 1);
  // A coarse grid half of the time, so ties (which trip naive implementations) occur.
  const bool coarse = rng() % 2 == 0;
  CostMatrix m(rows, cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      m.at(r, c) = coarse ? std::floor(dist(rng) * 4) / 4 : dist(rng);
  return m;
}

std::string describe(const CostMatrix& m) {
  std::ostringstream os;
  os << m.rows() << "x" << m.cols() << " [";
  for (int r = 0; r < m.rows(); ++r) {
    os << (r ? "; " : "");
    for (int c = 0; c < m.cols(); ++c)
      os << (c ? " " : "") << m.at(r, c);
  }
  return os.str() + "]";
}

// Minimum over injective maps of the smaller side into the larger one.
double brute_force_full(const CostMatrix& m) {
  const bool rows_small = m.rows() <= m.cols();
  const int small = std::min(m.rows(), m.cols());
  const int large = std::max(m.rows(), m.cols());
  std::vector<int> perm(large);
  std::iota(perm.begin(), perm.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  do { // every permutation of the large side; its first `small` entries are the map
    double total = 0;
    for (int i = 0; i < small; ++i)
      total += rows_small ? m.at(i, perm[i]) : m.at(perm[i], i);
    best = std::min(best, total);
  } while (std::next_permutation(perm.begin(), perm.end()));
  return best;
}

// Minimum of sum(cost - threshold) over partial matchings using only pairs <= threshold.
double brute_force_gated(const CostMatrix& m, double threshold, int row, std::vector<char>& used) {
  if (row == m.rows()) return 0;
  double best = brute_force_gated(m, threshold, row + 1, used); // row unmatched
  for (int c = 0; c < m.cols(); ++c) {
    if (used[c] || m.at(row, c) > threshold) continue;
    used[c] = 1;
    best = std::min(best, m.at(row, c) - threshold + brute_force_gated(m, threshold, row + 1, used));
    used[c] = 0;
  }
  return best;
}

TEST(LinearAssignment, MatchesBruteForceOnRandomRectangular) {
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 400; ++trial) {
    const int rows = 1 + static_cast<int>(rng() % 7);
    const int cols = 1 + static_cast<int>(rng() % 7);
    const CostMatrix m = random_matrix(rng, rows, cols);
    const std::vector<int> row_to_col = solve_assignment(m);
    ASSERT_EQ(static_cast<int>(row_to_col.size()), rows);
    std::vector<char> used(cols, 0);
    double total = 0;
    int pairs = 0;
    for (int r = 0; r < rows; ++r) {
      if (row_to_col[r] < 0) continue;
      ASSERT_LT(row_to_col[r], cols);
      ASSERT_FALSE(used[row_to_col[r]]) << "column used twice, trial " << trial << " " << describe(m);
      used[row_to_col[r]] = 1;
      total += m.at(r, row_to_col[r]);
      ++pairs;
    }
    EXPECT_EQ(pairs, std::min(rows, cols)) << "trial " << trial << " " << describe(m);
    EXPECT_NEAR(total, brute_force_full(m), kTol) << "trial " << trial << " " << describe(m);
  }
}

TEST(LinearAssignment, GatedMatchesBruteForce) {
  std::mt19937 rng(777);
  for (int trial = 0; trial < 300; ++trial) {
    const int rows = 1 + static_cast<int>(rng() % 7);
    const int cols = 1 + static_cast<int>(rng() % 7);
    const double threshold = (trial % 3 == 0) ? 0.5 : (trial % 3 == 1 ? 0.8 : 0.25);
    const CostMatrix m = random_matrix(rng, rows, cols);
    const GatedAssignment a = assign_with_threshold(m, threshold);
    std::vector<char> row_seen(rows, 0), col_seen(cols, 0);
    double total = 0;
    for (auto [r, c] : a.matches) {
      ASSERT_LE(m.at(r, c), threshold) << "trial " << trial << " " << describe(m);
      ASSERT_FALSE(row_seen[r] || col_seen[c]) << "trial " << trial;
      row_seen[r] = col_seen[c] = 1;
      total += m.at(r, c) - threshold;
    }
    for (int r : a.unmatched_rows) {
      ASSERT_FALSE(row_seen[r]);
      row_seen[r] = 1;
    }
    for (int c : a.unmatched_cols) {
      ASSERT_FALSE(col_seen[c]);
      col_seen[c] = 1;
    }
    EXPECT_EQ(std::count(row_seen.begin(), row_seen.end(), 1), rows) << "every row reported once";
    EXPECT_EQ(std::count(col_seen.begin(), col_seen.end(), 1), cols) << "every column reported once";
    std::vector<char> used(cols, 0);
    EXPECT_NEAR(total, brute_force_gated(m, threshold, 0, used), kTol)
        << "trial " << trial << " threshold " << threshold << " " << describe(m);
  }
}

TEST(LinearAssignment, GatedPrefersTwoGoodPairsOverOneBest) {
  // Greedy would take (0,0) = 0.1 and leave row 1 unmatched (its only option is col 0);
  // the optimum pairs (0,1) and (1,0): (0.3 - 0.8) + (0.2 - 0.8) < (0.1 - 0.8).
  CostMatrix m(2, 2);
  m.at(0, 0) = 0.1;
  m.at(0, 1) = 0.3;
  m.at(1, 0) = 0.2;
  m.at(1, 1) = 0.95;
  const GatedAssignment a = assign_with_threshold(m, 0.8);
  ASSERT_EQ(a.matches.size(), 2u);
  EXPECT_EQ(a.matches[0], std::make_pair(0, 1));
  EXPECT_EQ(a.matches[1], std::make_pair(1, 0));
}

TEST(LinearAssignment, EmptySides) {
  EXPECT_TRUE(solve_assignment(CostMatrix(0, 3)).empty());
  EXPECT_EQ(solve_assignment(CostMatrix(2, 0)), std::vector<int>({-1, -1}));
  const GatedAssignment a = assign_with_threshold(CostMatrix(0, 2), 0.5);
  EXPECT_TRUE(a.matches.empty());
  EXPECT_EQ(a.unmatched_cols, std::vector<int>({0, 1}));
  const GatedAssignment b = assign_with_threshold(CostMatrix(3, 0), 0.5);
  EXPECT_EQ(b.unmatched_rows, std::vector<int>({0, 1, 2}));
}

} // namespace
} // namespace tilescope::track
