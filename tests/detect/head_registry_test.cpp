// Head recognition from output shapes, overrides, and shape errors.
#include "tilescope/core/error.h"
#include "tilescope/detect/head.h"

#include <gtest/gtest.h>

namespace tilescope::detect {
namespace {

engine::ValueInfo value(const std::string& name, std::vector<std::int64_t> dims) {
  engine::ValueInfo v;
  v.name = name;
  v.dtype = engine::DType::kFloat32;
  v.has_shape = true;
  for (std::int64_t d : dims)
    v.dims.push_back(engine::Dim{d, d < 0 ? "dyn" : ""});
  return v;
}

ModelSignature signature(std::vector<engine::ValueInfo> outputs) {
  ModelSignature s;
  s.inputs = {value("images", {1, 3, 640, 640})};
  s.outputs = std::move(outputs);
  return s;
}

// The default model's outputs in TF.js signature order (scores first).
ModelSignature nanodet_signature(int classes = 80, int box_channels = 44) {
  return signature({value("Identity:0", {1, 2704, classes}), value("Identity_1:0", {1, 676, classes}),
                    value("Identity_2:0", {1, 169, classes}), value("Identity_3:0", {1, 2704, box_channels}),
                    value("Identity_4:0", {1, 676, box_channels}),
                    value("Identity_5:0", {1, 169, box_channels})});
}

std::unique_ptr<Head> recognised(const ModelSignature& s) { return HeadRegistry::instance().create("", s); }

TEST(HeadRegistry, RecognisesYolov8StaticAndDynamic) {
  auto h = recognised(signature({value("output0", {1, 84, 8400})}));
  EXPECT_EQ(h->name(), "yolov8");
  EXPECT_EQ(h->num_classes(), 80);
  EXPECT_EQ(recognised(signature({value("output0", {-1, 84, -1})}))->name(), "yolov8");
  EXPECT_EQ(recognised(signature({value("output0", {1, 6, 8400})}))->num_classes(),
            2); // custom 2-class model
  EXPECT_EQ(h->preprocess().pad_value, 114);
  EXPECT_EQ(h->preprocess().channel_order, ChannelOrder::kRgb);
}

TEST(HeadRegistry, RecognisesYolov5StaticAndDynamic) {
  auto h = recognised(signature({value("output0", {1, 25200, 85})}));
  EXPECT_EQ(h->name(), "yolov5");
  EXPECT_EQ(h->num_classes(), 80);
  EXPECT_EQ(recognised(signature({value("output0", {-1, -1, 85})}))->name(), "yolov5");
}

TEST(HeadRegistry, RecognisesNanodetInAnyOutputOrder) {
  auto h = recognised(nanodet_signature());
  EXPECT_EQ(h->name(), "nanodet");
  EXPECT_EQ(h->num_classes(), 80);
  EXPECT_EQ(h->default_class_names().size(), 80u);
  EXPECT_EQ(h->preprocess().channel_order, ChannelOrder::kBgr);
  EXPECT_EQ(h->preprocess().pad_value, 0);

  ModelSignature shuffled = nanodet_signature();
  std::swap(shuffled.outputs[0], shuffled.outputs[4]);
  std::swap(shuffled.outputs[2], shuffled.outputs[3]);
  EXPECT_EQ(recognised(shuffled)->name(), "nanodet");
}

// With 3 classes the score tensors are told apart by the class-count hint (from
// the labels file or metadata names).
TEST(HeadRegistry, NanodetUsesTheClassCountHint) {
  ModelSignature s = nanodet_signature(3, 32);
  EXPECT_THROW(recognised(s), Error); // default hint 80 fits no output
  s.num_classes_hint = 3;
  auto h = recognised(s);
  EXPECT_EQ(h->num_classes(), 3);
  EXPECT_TRUE(h->default_class_names().empty());
}

TEST(HeadRegistry, OverrideByName) {
  const ModelSignature s = signature({value("output0", {1, 100, 200})});
  EXPECT_EQ(recognised(s)->name(), "yolov8");
  auto h = HeadRegistry::instance().create("yolov5", s);
  EXPECT_EQ(h->name(), "yolov5");
  EXPECT_EQ(h->num_classes(), 195);
  EXPECT_EQ(HeadRegistry::instance().create("auto", s)->name(), "yolov8");
}

TEST(HeadRegistry, ErrorsNameTheShapesAndTheHeads) {
  try {
    recognised(signature({value("out", {1, 10})}));
    FAIL();
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("out [1,10]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--head"), std::string::npos) << msg;
    EXPECT_NE(msg.find("nanodet"), std::string::npos) << msg;
  }
  try {
    HeadRegistry::instance().create("yolox", signature({value("output0", {1, 84, 8400})}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("yolov8"), std::string::npos) << e.what();
  }
  EXPECT_THROW(HeadRegistry::instance().create("yolov8", signature({value("output0", {1, -1, 8400})})),
               Error);
  EXPECT_THROW(HeadRegistry::instance().create("nanodet", signature({value("output0", {1, 84, 8400})})),
               Error);
}

TEST(HeadRegistry, RegistryListsEveryHeadOnce) {
  std::vector<std::string> names;
  for (const HeadEntry& e : HeadRegistry::instance().entries())
    names.emplace_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"nanodet", "yolov5", "yolov8"}));
}

TEST(HeadCheckOutputs, RejectsShapesThatDoNotFit) {
  auto v8 = recognised(signature({value("output0", {1, 84, 8400})}));
  std::vector<engine::Tensor> outs;
  outs.emplace_back(engine::DType::kFloat32, engine::Shape{1, 85, 100});
  try {
    v8->check_outputs(outs, {640, 640});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[1,85,100]"), std::string::npos) << e.what();
  }
  outs[0] = engine::Tensor(engine::DType::kFloat32, engine::Shape{2, 84, 100});
  EXPECT_NO_THROW(v8->check_outputs(outs, {640, 640}));

  auto nano = recognised(nanodet_signature());
  std::vector<engine::Tensor> nano_outs;
  for (const auto& v : nanodet_signature().outputs) {
    nano_outs.emplace_back(engine::DType::kFloat32, engine::Shape{1, v.dims[1].value, v.dims[2].value});
  }
  EXPECT_NO_THROW(nano->check_outputs(nano_outs, {416, 416}));
  EXPECT_THROW(nano->check_outputs(nano_outs, {320, 320}), Error); // 2704 cells is no stride of 320
  nano_outs.pop_back();
  EXPECT_THROW(nano->check_outputs(nano_outs, {416, 416}), Error);
}

} // namespace
} // namespace tilescope::detect
