// Merging: hand-computed cases (cases/merge.test) comparing NMS, NMM and greedy NMM,
// IoU and IoS, per class and agnostic; plus properties on many random boxes.
#include "case_file.h"
#include "tilescope/core/error.h"
#include "tilescope/tiling/merge.h"

#include <chrono>
#include <gtest/gtest.h>
#include <random>

namespace tilescope::tiling {
namespace {

using detect::BoxXYXY;
using detect::Detection;
using testing::words;

std::string str(const std::vector<Detection>& ds) {
  std::string s;
  for (const Detection& d : ds) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s%g %g %g %g %g %d", s.empty() ? "" : " | ", d.box.x1, d.box.y1,
                  d.box.x2, d.box.y2, d.score, d.class_id);
    s += buf;
  }
  return s.empty() ? "none" : s;
}

Detection parse_detection(const std::vector<std::string>& w, std::size_t at) {
  return {{std::stof(w.at(at)), std::stof(w.at(at + 1)), std::stof(w.at(at + 2)), std::stof(w.at(at + 3))},
          std::stof(w.at(at + 4)),
          std::stoi(w.at(at + 5))};
}

TEST(Merge, HandComputedCases) {
  const auto cases =
      testing::read_cases(std::string(TILESCOPE_SOURCE_DIR) + "/tests/tiling/cases/merge.test");
  ASSERT_GE(cases.size(), 10u);
  Merger merger; // one merger for every case: its scratch reuse is under test too
  int checks = 0;
  for (const auto& c : cases) {
    std::vector<Detection> input;
    for (const std::string& line : c.input)
      input.push_back(parse_detection(words(line), 0));
    for (const std::string& line : c.expected) {
      SCOPED_TRACE(c.name() + ": " + line);
      const std::size_t arrow = line.find("->");
      ASSERT_NE(arrow, std::string::npos);
      const auto opts = words(line.substr(0, arrow));
      MergeOptions o;
      o.algorithm = parse_merge_algorithm(opts.at(0));
      o.metric = parse_match_metric(opts.at(1));
      o.threshold = std::stof(opts.at(2));
      o.class_agnostic = opts.size() > 3 && opts[3] == "agnostic";
      std::vector<Detection> want;
      const auto rhs = words(line.substr(arrow + 2));
      if (!(rhs.size() == 1 && rhs[0] == "none")) {
        for (std::size_t i = 0; i < rhs.size(); i += 7) // 6 numbers and a '|'
          want.push_back(parse_detection(rhs, i));
      }
      std::vector<Detection> got;
      merger.run(input, o, got);
      EXPECT_EQ(str(got), str(want));
      EXPECT_EQ(got, want);
      ++checks;
    }
  }
  EXPECT_GE(checks, 30);
}

TEST(Merge, ParsersNameTheText) {
  EXPECT_EQ(parse_merge_algorithm("greedy-nmm"), MergeAlgorithm::kGreedyNmm);
  EXPECT_EQ(parse_match_metric("iou"), MatchMetric::kIou);
  try {
    parse_merge_algorithm("soft-nms");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("soft-nms"), std::string::npos);
  }
  EXPECT_THROW(parse_match_metric("giou"), Error);
  MergeOptions bad;
  bad.threshold = 1.5f;
  EXPECT_THROW(merge_detections({}, bad), Error);
}

TEST(Merge, IosIsIntersectionOverTheSmallerBox) {
  EXPECT_DOUBLE_EQ(ios({0, 0, 10, 10}, {5, 0, 25, 10}), 50.0 / 100.0);
  EXPECT_DOUBLE_EQ(ios({0, 0, 100, 100}, {10, 10, 20, 20}), 1.0);
  EXPECT_DOUBLE_EQ(ios({0, 0, 10, 10}, {20, 20, 30, 30}), 0.0);
  EXPECT_DOUBLE_EQ(ios({0, 0, 0, 10}, {0, 0, 10, 10}), 0.0); // empty box
}

// Properties on random scenes: output sorted by score, no more boxes than input, every
// output box encloses an input box of its score (its keeper), NMS output is a subset of
// the input, and merging is fast enough for thousands of boxes.
TEST(Merge, PropertiesOnRandomBoxes) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> pos(0, 1900), size(4, 200), score(0.05f, 1.0f);
  std::uniform_int_distribution<int> cls(0, 4);
  Merger merger;
  for (int n : {0, 1, 2, 10, 100, 3000}) {
    std::vector<Detection> boxes;
    for (int i = 0; i < n; ++i) {
      const float x = pos(rng), y = pos(rng) * 0.5f, w = size(rng), h = size(rng);
      boxes.push_back({{x, y, x + w, y + h}, score(rng), cls(rng)});
    }
    for (auto algorithm : {MergeAlgorithm::kNms, MergeAlgorithm::kNmm, MergeAlgorithm::kGreedyNmm}) {
      for (auto metric : {MatchMetric::kIou, MatchMetric::kIos}) {
        for (bool agnostic : {false, true}) {
          SCOPED_TRACE("n " + std::to_string(n) + " algorithm " + std::to_string(int(algorithm)) +
                       " metric " + std::to_string(int(metric)) + " agnostic " + std::to_string(agnostic));
          MergeOptions o{algorithm, metric, 0.5f, agnostic};
          std::vector<Detection> out;
          const auto t0 = std::chrono::steady_clock::now();
          merger.run(boxes, o, out);
          const double ms =
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
          // 3000 boxes: ~4.5M box comparisons at worst, a few ms; 500 ms leaves room for a loaded machine.
          EXPECT_LT(ms, 500.0);
          ASSERT_LE(out.size(), boxes.size());
          ASSERT_EQ(out.empty(), n == 0);
          for (std::size_t i = 1; i < out.size(); ++i)
            ASSERT_GE(out[i - 1].score, out[i].score);
          for (const Detection& d : out) {
            const bool has_keeper = std::any_of(boxes.begin(), boxes.end(), [&](const Detection& b) {
              return b.score == d.score && b.box.x1 >= d.box.x1 && b.box.y1 >= d.box.y1 &&
                     b.box.x2 <= d.box.x2 && b.box.y2 <= d.box.y2;
            });
            ASSERT_TRUE(has_keeper);
            if (algorithm == MergeAlgorithm::kNms) {
              ASSERT_NE(std::find(boxes.begin(), boxes.end(), d), boxes.end());
            }
          }
          // No two kept boxes of one class (or any, agnostic) match at the candidate
          // test with their keepers' boxes under NMS.
          if (algorithm == MergeAlgorithm::kNms) {
            for (std::size_t i = 0; i < out.size(); ++i) {
              for (std::size_t j = i + 1; j < out.size(); ++j) {
                if (!agnostic && out[i].class_id != out[j].class_id) continue;
                const double v = metric == MatchMetric::kIos ? ios(out[i].box, out[j].box)
                                                             : detect::iou(out[i].box, out[j].box);
                ASSERT_LT(v, 0.5);
              }
            }
          }
        }
      }
    }
  }
}

} // namespace
} // namespace tilescope::tiling
