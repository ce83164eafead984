#include "tilescope/track/linear_assignment.h"

#include <limits>

namespace tilescope::track {

namespace {

// Hungarian method for rows <= cols (e-maxx formulation): adds rows one at a time,
// growing an alternating tree with Dijkstra-like potential updates. Returns row -> col.
std::vector<int> hungarian_rows_le_cols(const CostMatrix& a) {
  const int n = a.rows();
  const int m = a.cols();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // 1-based, index 0 is the virtual column the augmenting path starts from.
  std::vector<double> u(n + 1, 0), v(m + 1, 0);
  std::vector<int> p(m + 1, 0), way(m + 1, 0);
  for (int i = 1; i <= n; ++i) {
    p[0] = i;
    int j0 = 0;
    std::vector<double> minv(m + 1, kInf);
    std::vector<char> used(m + 1, 0);
    do {
      used[j0] = 1;
      const int i0 = p[j0];
      double delta = kInf;
      int j1 = 0;
      for (int j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double cur = a.at(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int j = 0; j <= m; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do { // flip the augmenting path
      const int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> row_to_col(n, -1);
  for (int j = 1; j <= m; ++j)
    if (p[j] != 0) row_to_col[p[j] - 1] = j - 1;
  return row_to_col;
}

} // namespace

std::vector<int> solve_assignment(const CostMatrix& cost) {
  if (cost.rows() == 0 || cost.cols() == 0) return std::vector<int>(cost.rows(), -1);
  if (cost.rows() <= cost.cols()) return hungarian_rows_le_cols(cost);
  CostMatrix transposed(cost.cols(), cost.rows());
  for (int r = 0; r < cost.rows(); ++r)
    for (int c = 0; c < cost.cols(); ++c)
      transposed.at(c, r) = cost.at(r, c);
  const std::vector<int> col_to_row = hungarian_rows_le_cols(transposed);
  std::vector<int> row_to_col(cost.rows(), -1);
  for (int c = 0; c < cost.cols(); ++c)
    row_to_col[col_to_row[c]] = c;
  return row_to_col;
}

GatedAssignment assign_with_threshold(const CostMatrix& cost, double threshold) {
  const int n = cost.rows();
  const int m = cost.cols();
  GatedAssignment out;
  // Square (n + m) matrix: [[cost, t/2], [t/2, 0]]. Row i left unmatched takes a dummy
  // column (t/2); column j left unmatched is taken by a dummy row (t/2); dummies pair
  // with each other for free. A pair above the threshold costs more than leaving both
  // its ends unmatched, so the optimum never uses it.
  const int size = n + m;
  CostMatrix extended(size, size, 0);
  const double half = threshold / 2;
  for (int r = 0; r < size; ++r) {
    for (int c = 0; c < size; ++c) {
      if (r < n && c < m)
        extended.at(r, c) = cost.at(r, c);
      else if (r < n || c < m)
        extended.at(r, c) = half;
    }
  }
  const std::vector<int> row_to_col = size > 0 ? solve_assignment(extended) : std::vector<int>{};
  std::vector<char> col_used(m, 0);
  for (int r = 0; r < n; ++r) {
    const int c = row_to_col[r];
    if (c >= 0 && c < m && cost.at(r, c) <= threshold) {
      out.matches.emplace_back(r, c);
      col_used[c] = 1;
    } else {
      out.unmatched_rows.push_back(r);
    }
  }
  for (int c = 0; c < m; ++c)
    if (!col_used[c]) out.unmatched_cols.push_back(c);
  return out;
}

} // namespace tilescope::track
