// Loading COCO files (and the messages when they are wrong), writing them back,
// and the summary text / --json output.
#include "coco_test_util.h"
#include "tilescope/core/error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace tilescope::eval {
namespace {

using test::kTol;
using ::testing::HasSubstr;

constexpr const char* kGt = R"({
  "images": [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480}, {"id": 2}],
  "annotations": [
    {"id": 10, "image_id": 1, "category_id": 3, "bbox": [0, 0, 10, 10], "area": 90, "iscrowd": 0},
    {"id": 11, "image_id": 2, "category_id": 3, "bbox": [5, 5, 20, 10], "iscrowd": 1, "ignore": 1}
  ],
  "categories": [{"id": 3, "name": "person"}]
})";

// The message thrown by parsing `text` as ground truth ("" if none).
std::string gt_error(const std::string& text) {
  try {
    parse_coco_ground_truth(text, "gt.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string dt_error(const std::string& text) {
  const CocoGroundTruth gt = parse_coco_ground_truth(kGt, "gt.json");
  try {
    parse_coco_results(text, "dt.json", gt);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CocoIo, ParsesGroundTruth) {
  const CocoGroundTruth gt = parse_coco_ground_truth(kGt, "gt.json");
  ASSERT_EQ(gt.images.size(), 2u);
  EXPECT_EQ(gt.images[0].file_name, "a.jpg");
  EXPECT_EQ(gt.images[0].width, 640);
  EXPECT_EQ(gt.images[1].width, 0);
  ASSERT_EQ(gt.annotations.size(), 2u);
  EXPECT_EQ(gt.annotations[0].id, 10);
  EXPECT_EQ(gt.annotations[0].area, 90);  // the field, not 10*10
  EXPECT_EQ(gt.annotations[1].area, 200); // no field: the box
  EXPECT_TRUE(gt.annotations[1].iscrowd);
  EXPECT_TRUE(gt.annotations[1].ignore);
  EXPECT_EQ((gt.annotations[1].bbox), (CocoBox{5, 5, 20, 10}));
  ASSERT_NE(gt.find_category(3), nullptr);
  EXPECT_EQ(gt.find_category(3)->name, "person");
  EXPECT_EQ(gt.find_image(5), nullptr);
}

TEST(CocoIo, GroundTruthErrorsNameFieldAndValue) {
  EXPECT_THAT(gt_error("{"), HasSubstr("gt.json: not valid JSON"));
  // A number beyond double's range is nlohmann's out_of_range, not a parse_error (fuzzer find).
  EXPECT_THAT(gt_error(R"({"images": [{"id": 1, "width": 4e55555}]})"), HasSubstr("gt.json: not valid JSON"));
  EXPECT_THAT(gt_error(R"({"images": [{"id": 1, "width": 1e131}], "annotations": [], "categories": []})"),
              HasSubstr("images[0].width: must be at most 1e9 pixels"));
  EXPECT_THAT(gt_error("[]"), HasSubstr("expected a COCO instances object"));
  EXPECT_THAT(gt_error(R"({"images": [], "categories": []})"),
              HasSubstr("missing required key 'annotations'"));
  EXPECT_THAT(gt_error(R"({"images": {}, "annotations": [], "categories": []})"),
              HasSubstr("gt.json: images: expected an array, got object"));
  EXPECT_THAT(gt_error(R"({"images": [{"id": "x"}], "annotations": [], "categories": []})"),
              HasSubstr("gt.json: images[0].id: expected an integer, got \"x\""));
  EXPECT_THAT(gt_error(R"({"images": [{"id": 1}, {"id": 1}], "annotations": [], "categories": []})"),
              HasSubstr("images[1].id: image id 1 is listed twice"));
  const std::string base =
      R"({"images": [{"id": 1}], "categories": [{"id": 1, "name": "a"}], "annotations": )";
  EXPECT_THAT(gt_error(base + R"([{"image_id": 1, "category_id": 1}]})"),
              HasSubstr("annotations[0]: missing required key 'bbox'"));
  EXPECT_THAT(gt_error(base + R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3]}]})"),
              HasSubstr("annotations[0].bbox: expected [x, y, width, height], got [1,2,3]"));
  EXPECT_THAT(gt_error(base + R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, -3, 4]}]})"),
              HasSubstr("annotations[0].bbox: width and height must be >= 0"));
  EXPECT_THAT(gt_error(base + R"([{"image_id": 9, "category_id": 1, "bbox": [1, 2, 3, 4]}]})"),
              HasSubstr("annotations[0].image_id: image 9 is not in the file's 'images'"));
  EXPECT_THAT(gt_error(base + R"([{"image_id": 1, "category_id": 4, "bbox": [1, 2, 3, 4]}]})"),
              HasSubstr("annotations[0].category_id: category 4 is not in the file's 'categories'"));
  EXPECT_THAT(gt_error(base + R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "iscrowd": 2}]})"),
              HasSubstr("annotations[0].iscrowd: expected 0, 1, true or false, got 2"));
  EXPECT_THAT(gt_error(base + R"([{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": -1}]})"),
              HasSubstr("annotations[0].area: must be >= 0"));
  EXPECT_THAT(gt_error(base + R"([{"id": 4, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]},
                                  {"id": 4, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}]})"),
              HasSubstr("annotations[1].id: annotation id 4 is used twice"));
}

TEST(CocoIo, ResultsErrorsNameIndexAndIds) {
  EXPECT_THAT(dt_error(R"({"image_id": 1})"), HasSubstr("dt.json: top level: expected a JSON array"));
  EXPECT_THAT(dt_error(R"([{"image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1]}])"),
              HasSubstr("dt.json: [0]: missing required key 'score'"));
  EXPECT_THAT(dt_error(R"([{"image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1], "score": "high"}])"),
              HasSubstr("dt.json: [0].score: expected a number, got \"high\""));
  EXPECT_THAT(dt_error(R"([{"image_id": 1, "category_id": 3, "bbox": [0, 0, 1, 1], "score": 1},
                           {"image_id": 7, "category_id": 3, "bbox": [0, 0, 1, 1], "score": 1},
                           {"image_id": 8, "category_id": 3, "bbox": [0, 0, 1, 1], "score": 1},
                           {"image_id": 7, "category_id": 3, "bbox": [0, 0, 1, 1], "score": 1}])"),
              HasSubstr("dt.json: 3 detections (first at [1]) refer to image ids not in gt.json: 7, 8"));
  // Integral floats are accepted as ids; other categories are kept for evaluate_coco to skip.
  EXPECT_EQ(dt_error(R"([{"image_id": 1.0, "category_id": 77, "bbox": [0, 0, 1, 1], "score": 0.5}])"), "");
}

TEST(CocoIo, FileErrorsNameThePath) {
  try {
    load_coco_ground_truth("/nonexistent/instances.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/instances.json: cannot open"));
  }
}

TEST(CocoIo, WritersRoundTrip) {
  const CocoGroundTruth gt = parse_coco_ground_truth(kGt, "gt.json");
  const CocoGroundTruth again = parse_coco_ground_truth(coco_ground_truth_to_json(gt), "again.json");
  ASSERT_EQ(again.annotations.size(), gt.annotations.size());
  for (std::size_t i = 0; i < gt.annotations.size(); ++i) {
    EXPECT_EQ(again.annotations[i].bbox, gt.annotations[i].bbox);
    EXPECT_EQ(again.annotations[i].area, gt.annotations[i].area);
    EXPECT_EQ(again.annotations[i].iscrowd, gt.annotations[i].iscrowd);
  }
  EXPECT_EQ(again.images[0].file_name, "a.jpg");
  const std::vector<CocoDetection> dets = {{1, 3, {0.5, 1.25, 10, 20.125}, 0.875}, {2, 3, {1, 2, 3, 4}, 0.1}};
  const auto back = parse_coco_results(coco_results_to_json(dets), "dt.json", gt);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].bbox, dets[0].bbox);
  EXPECT_EQ(back[1].score, 0.1);
}

TEST(CocoIo, ToCocoBox) { EXPECT_EQ(to_coco_box({10, 20, 15, 40}), (CocoBox{10, 20, 5, 20})); }

// The evaluation of coco_eval_test's TwoObjectsWithKnownIous:
// AP = 507/1010 = 0.50198, AP50 = 1, AP75 = 51/101 = 0.50495, APs = AP,
// AR1 = 0.35, AR10 = AR100 = ARs = 0.5, medium and large undefined.
CocoSummary two_objects_summary() {
  test::Case c;
  c.image(1).category(1);
  c.gt(1, 1, {0, 0, 10, 10}).gt(1, 1, {100, 100, 10, 10});
  c.dt(1, 1, {0, 0, 10, 8.2}, 0.9).dt(1, 1, {100, 100, 10, 6.2}, 0.8);
  return c.run().summary();
}

TEST(CocoSummaryOutput, TextMatchesPycocotools) {
  // pycocotools: ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}'
  const std::string expected =
      " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.502\n"
      " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 1.000\n"
      " Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 0.505\n"
      " Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.502\n"
      " Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000\n"
      " Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.350\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ] = 0.500\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.500\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.500\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = -1.000\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000\n";
  EXPECT_EQ(format_summary_text(two_objects_summary()), expected);
}

TEST(CocoSummaryOutput, JsonHasTheTwelveKeysInOrder) {
  const std::string text = summary_json(two_objects_summary());
  EXPECT_EQ(text.find('\n'), std::string::npos);
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(text);
  ASSERT_TRUE(j.is_object());
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items())
    keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100",
                                            "ARs", "ARm", "ARl"}));
  EXPECT_NEAR(j["AP"].get<double>(), 507.0 / 1010, kTol);
  EXPECT_NEAR(j["AP75"].get<double>(), 51.0 / 101, kTol);
  EXPECT_NEAR(j["AR1"].get<double>(), 0.35, kTol);
  EXPECT_EQ(j["APm"].get<double>(), -1.0);
  EXPECT_EQ(j["ARl"].get<double>(), -1.0);
}

} // namespace
} // namespace tilescope::eval
