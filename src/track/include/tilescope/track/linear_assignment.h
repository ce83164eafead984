// Optimal linear assignment (the Hungarian method with potentials, O(n^2 m)), and the
// gated form trackers use: pair rows (tracks) with columns (detections) at minimum
// total cost, but never through a pair whose cost is above a threshold.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace tilescope::track {

// Dense row-major cost matrix; costs must be finite.
class CostMatrix {
public:
  CostMatrix() = default;
  CostMatrix(int rows, int cols, double fill = 0)
      : rows_(rows), cols_(cols), values_(std::size_t(rows) * cols, fill) {}

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  double& at(int r, int c) { return values_[std::size_t(r) * cols_ + c]; }
  double at(int r, int c) const { return values_[std::size_t(r) * cols_ + c]; }

private:
  int rows_ = 0, cols_ = 0;
  std::vector<double> values_;
};

// Minimum-cost assignment that uses min(rows, cols) pairs, each row and each column at
// most once. Returns, per row, its column or -1 (only when rows > cols).
std::vector<int> solve_assignment(const CostMatrix& cost);

struct GatedAssignment {
  std::vector<std::pair<int, int>> matches; // (row, col), rows ascending
  std::vector<int> unmatched_rows;          // ascending
  std::vector<int> unmatched_cols;          // ascending
};

// Matches that minimise sum(cost - threshold) over matched pairs, i.e. leaving a row
// and a column unmatched costs `threshold` together: no pair above the threshold is
// ever used, and a pair below it is dropped only when that lets two better pairs
// form. This is what lap.lapjv(cost, extend_cost=True, cost_limit=threshold) solves
// in the reference ByteTrack (it pads the matrix with threshold / 2; so do we).
GatedAssignment assign_with_threshold(const CostMatrix& cost, double threshold);

} // namespace tilescope::track
