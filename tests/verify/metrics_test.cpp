// verify's error metrics on small tensors whose values are worked out by hand
// (in the comments); tolerances are 1e-12 relative: the metrics are computed in
// double from exactly representable float32 inputs.
#include "tilescope/verify/budget.h"
#include "tilescope/verify/metrics.h"

#include <cmath>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <limits>

namespace tilescope::verify {
namespace {

using engine::Tensor;

constexpr double kEps = 1e-12;

TEST(VerifyMetrics, HandComputedFourElements) {
  // r = [1, 2, -4, 8], c = [1, 2.5, -4, 7]: d = [0, 0.5, 0, 1].
  const Tensor r = Tensor::from<float>({4}, {1, 2, -4, 8});
  const Tensor c = Tensor::from<float>({4}, {1, 2.5f, -4, 7});
  const ErrorStats s = compare_tensors(r, c, {0.1, 0.1});
  EXPECT_EQ(s.elements, 4);
  EXPECT_NEAR(s.max_abs, 1.0, kEps);
  // max(0.5 / 2, 1 / 8): both |r| are far above the floor 1e-3 * RMS(r).
  EXPECT_NEAR(s.max_rel, 0.25, kEps);
  // sqrt((0.25 + 1) / 4) and RMS(r) = sqrt(85 / 4).
  EXPECT_NEAR(s.rmse, std::sqrt(0.3125), kEps);
  EXPECT_NEAR(s.ref_rms, std::sqrt(21.25), kEps);
  EXPECT_NEAR(s.rel_rmse, std::sqrt(0.3125 / 21.25), kEps);
  // <r, c> = 1 + 5 + 16 + 56 = 78; |r|^2 = 85, |c|^2 = 72.25.
  EXPECT_NEAR(s.cosine, 78.0 / std::sqrt(85.0 * 72.25), kEps);
  // atol_rms * RMS(r) + rtol|r| with atol_rms 0.1: 0.461 + 0.2 at r = 2 (d 0.5:
  // within), 0.461 + 0.8 at r = 8 (d 1: within); rtol 0 leaves 0.461: both beyond.
  EXPECT_NEAR(s.beyond_share, 0.0, kEps);
  EXPECT_NEAR(compare_tensors(r, c, {0.1, 0.0}).beyond_share, 0.5, kEps);
  // atol_rms 0.01 (0.0461) + rtol 0.05: 0.146 at r = 2 (beyond), 0.446 at r = 8 (beyond).
  EXPECT_NEAR(compare_tensors(r, c, {0.01, 0.05}).beyond_share, 0.5, kEps);
  EXPECT_EQ(s.nonfinite_mismatches, 0);
}

TEST(VerifyMetrics, IdenticalTensorsHaveZeroError) {
  const Tensor r = Tensor::from<float>({2, 2}, {0.5f, -3, 7, 1e-8f});
  const ErrorStats s = compare_tensors(r, r);
  EXPECT_EQ(s.max_abs, 0);
  EXPECT_EQ(s.max_rel, 0);
  EXPECT_EQ(s.rel_rmse, 0);
  EXPECT_NEAR(s.cosine, 1.0, kEps);
  EXPECT_EQ(s.beyond_share, 0);
}

TEST(VerifyMetrics, RelativeErrorFloorIsAFractionOfTheTensorRms) {
  // RMS(r) = sqrt(1000^2 / 2) = 707.1; floor = 1e-3 * 707.1, so the 0.001
  // error at r = 0 is 0.001 / 0.7071 relative, not infinite.
  const Tensor r = Tensor::from<float>({2}, {1000, 0});
  const Tensor c = Tensor::from<float>({2}, {1000, 0.001f});
  const ErrorStats s = compare_tensors(r, c);
  EXPECT_NEAR(s.max_rel, static_cast<double>(0.001f) / (kRelativeFloor * std::sqrt(500000.0)), 1e-9);
}

TEST(VerifyMetrics, AllZeroReference) {
  const Tensor zeros = Tensor::from<float>({3}, {0, 0, 0});
  const ErrorStats same = compare_tensors(zeros, zeros);
  EXPECT_EQ(same.rel_rmse, 0);
  EXPECT_EQ(same.cosine, 1);
  const ErrorStats off = compare_tensors(zeros, Tensor::from<float>({3}, {0, 1, 0}));
  EXPECT_TRUE(std::isinf(off.rel_rmse));
  EXPECT_EQ(off.cosine, 0);
  EXPECT_FALSE(check_budget(off, default_budgets(Precision::kFp32).default_budget).passed);
}

TEST(VerifyMetrics, NonFiniteValues) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  // Matching NaN and infinity pairs are left out; the rest is exact.
  const ErrorStats same =
      compare_tensors(Tensor::from<float>({3}, {nan, inf, 2}), Tensor::from<float>({3}, {nan, inf, 2}));
  EXPECT_EQ(same.nonfinite_mismatches, 0);
  EXPECT_EQ(same.max_abs, 0);
  const ErrorStats off =
      compare_tensors(Tensor::from<float>({2}, {1, 2}), Tensor::from<float>({2}, {nan, 2}));
  EXPECT_EQ(off.nonfinite_mismatches, 1);
  EXPECT_EQ(off.beyond_share, 0.5);
  const BudgetCheck check = check_budget(off, default_budgets(Precision::kFp32).default_budget);
  EXPECT_FALSE(check.passed);
  EXPECT_THAT(check.violations, testing::Contains(testing::HasSubstr("NaN/infinity")));
}

TEST(VerifyMetrics, AccumulatorCoversAllPairsAsOneSet) {
  // Two pairs: d = [1] (r = 2) and d = [0, 2] (r = [1, 4]) -> sum d^2 = 5 over 3
  // elements; sum r^2 = 21.
  ErrorAccumulator acc({0, 0});
  acc.add(Tensor::from<float>({1}, {2}), Tensor::from<float>({1}, {3}));
  acc.add(Tensor::from<float>({2}, {1, 4}), Tensor::from<float>({2}, {1, 6}));
  const ErrorStats s = acc.stats();
  EXPECT_EQ(s.elements, 3);
  EXPECT_NEAR(s.rmse, std::sqrt(5.0 / 3), kEps);
  EXPECT_NEAR(s.rel_rmse, std::sqrt(5.0 / 21), kEps);
  EXPECT_NEAR(s.max_abs, 2, kEps);
  EXPECT_NEAR(s.max_rel, 0.5, kEps); // 1/2 and 2/4
  EXPECT_NEAR(s.beyond_share, 2.0 / 3, kEps);
  // <r, c> = 6 + 1 + 24 = 31; |r|^2 = 21, |c|^2 = 9 + 1 + 36 = 46.
  EXPECT_NEAR(s.cosine, 31 / std::sqrt(21.0 * 46), kEps);
}

TEST(VerifyMetrics, IntegerTensorsAndShapeMismatch) {
  const Tensor a = Tensor::from<std::int64_t>({2}, {3, 4});
  const Tensor b = Tensor::from<std::int64_t>({2}, {3, 5});
  EXPECT_NEAR(compare_tensors(a, b).max_abs, 1.0, kEps);
  EXPECT_THAT(
      [&] {
        compare_tensors(a, Tensor::from<std::int64_t>({1, 2}, {3, 4}));
      },
      testing::ThrowsMessage<Error>(testing::HasSubstr("shapes differ: reference [2], candidate [1,2]")));
}

TEST(VerifyMetrics, BudgetCheckNamesEachViolation) {
  Budget b;
  b.rel_rmse = 1e-4;
  b.min_cosine = 0.99999;
  b.beyond_share = 0.01;
  b.max_abs = 0.5;
  ErrorStats s;
  s.rel_rmse = 0.1;
  s.cosine = 0.9;
  s.beyond_share = 0.5;
  s.max_abs = 1;
  const BudgetCheck c = check_budget(s, b);
  EXPECT_FALSE(c.passed);
  EXPECT_THAT(c.violations, testing::ElementsAre("rel_rmse 0.1 > 0.0001", "cosine 0.9 < 0.99999",
                                                 "beyond_share 0.5 > 0.01", "max_abs 1 > 0.5"));
  s = ErrorStats{};
  EXPECT_TRUE(check_budget(s, b).passed);
  s.rel_rmse = std::numeric_limits<double>::quiet_NaN(); // NaN metrics fail
  EXPECT_FALSE(check_budget(s, b).passed);
}

} // namespace
} // namespace tilescope::verify
