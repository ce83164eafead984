// ONNX importer: valid node-test models convert to the expected IR, and every
// kind of broken file gives a tilescope::Error naming the file and the reason.
//
// Models come from Debian's libonnx-testdata (the ONNX node tests); variants
// are made by editing the parsed onnx::ModelProto and serialising it again, so
// each test states exactly what is wrong with its file.
#include "onnx/onnx.pb.h"
#include "tilescope/engine/onnx_import.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace tilescope::engine {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const fs::path kNodeTests = "/usr/share/libonnx-testdata/data/node";

std::vector<std::byte> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

onnx::ModelProto read_model(const std::string& test_name) {
  onnx::ModelProto model;
  std::ifstream in(kNodeTests / test_name / "model.onnx", std::ios::binary);
  if (!model.ParseFromIstream(&in)) throw std::runtime_error("cannot read node test " + test_name);
  return model;
}

std::vector<std::byte> serialize(const google::protobuf::MessageLite& message) {
  const std::string s = message.SerializeAsString();
  std::vector<std::byte> bytes(s.size());
  std::memcpy(bytes.data(), s.data(), s.size());
  return bytes;
}

Graph parse(const onnx::ModelProto& model) { return parse_onnx(serialize(model), "edited.onnx"); }

// The message of the Error that `fn` throws; fails the test when it throws
// nothing or something else.
std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-tilescope exception: " << e.what();
    return {};
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

std::string parse_error(const onnx::ModelProto& model) {
  return error_of([&] { parse(model); });
}

// The node test model with one extra float initializer "B" consumed by nothing
// but declared, so tensor conversion runs on it.
onnx::TensorProto& add_initializer(onnx::ModelProto& model, const std::string& name = "B") {
  onnx::TensorProto& t = *model.mutable_graph()->add_initializer();
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  return t;
}

class OnnxImportFiles : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tilescope_onnx_import_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, std::span<const std::byte> bytes) {
    const fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path.string();
  }
  std::string write(const std::string& name, const std::string& text) {
    return write(name, std::as_bytes(std::span<const char>(text.data(), text.size())));
  }

  fs::path dir_;
};

// --- bad files on disk: the message starts with the path and says why --------

TEST_F(OnnxImportFiles, MissingFile) {
  const std::string path = (dir_ / "nope.onnx").string();
  const std::string msg = error_of([&] { load_onnx(path); });
  EXPECT_THAT(msg, StartsWith(path + ": "));
  EXPECT_THAT(msg, HasSubstr("no such file"));
}

TEST_F(OnnxImportFiles, Directory) {
  const std::string msg = error_of([&] { load_onnx(dir_.string()); });
  EXPECT_THAT(msg, StartsWith(dir_.string() + ": "));
  EXPECT_THAT(msg, HasSubstr("is a directory"));
}

TEST_F(OnnxImportFiles, EmptyFile) {
  const std::string path = write("empty.onnx", std::string());
  const std::string msg = error_of([&] { load_onnx(path); });
  EXPECT_THAT(msg, StartsWith(path + ": "));
  EXPECT_THAT(msg, HasSubstr("empty"));
}

TEST_F(OnnxImportFiles, TruncatedFile) {
  const auto bytes = read_bytes(kNodeTests / "test_conv_with_strides_padding" / "model.onnx");
  const std::string path = write("truncated.onnx", std::span(bytes).first(bytes.size() / 2));
  const std::string msg = error_of([&] { load_onnx(path); });
  EXPECT_THAT(msg, StartsWith(path + ": "));
  EXPECT_THAT(msg, HasSubstr("truncated"));
}

TEST_F(OnnxImportFiles, JpegFile) {
  // The start of a JFIF file: SOI marker, APP0 segment.
  static constexpr char kJpeg[] =
      "\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xFF\xDB";
  const std::string jpeg(kJpeg, sizeof(kJpeg) - 1);
  const std::string path = write("photo.onnx", jpeg);
  const std::string msg = error_of([&] { load_onnx(path); });
  EXPECT_THAT(msg, StartsWith(path + ": "));
  EXPECT_THAT(msg, HasSubstr("not a valid ONNX model"));
}

TEST_F(OnnxImportFiles, TextFile) {
  const std::string path = write("notes.onnx", "name: yolov8n\nthis is a YAML file, not a model\n");
  const std::string msg = error_of([&] { load_onnx(path); });
  EXPECT_THAT(msg, StartsWith(path + ": "));
  EXPECT_THAT(msg, HasSubstr("ONNX"));
}

TEST_F(OnnxImportFiles, ModelWithoutGraph) {
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.set_producer_name("hand-made");
  const std::string path = write("nograph.onnx", serialize(model));
  const std::string msg = error_of([&] { load_onnx(path); });
  EXPECT_THAT(msg, StartsWith(path + ": "));
  EXPECT_THAT(msg, HasSubstr("has no graph"));
}

TEST_F(OnnxImportFiles, ValidFileLoads) {
  const auto bytes = read_bytes(kNodeTests / "test_relu" / "model.onnx");
  const Graph g = load_onnx(write("relu.onnx", bytes));
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op_type, "Relu");
}

// Every strict prefix of a model is an error (or, cut between top-level fields,
// a model missing its opset); none may crash.
TEST(OnnxImport, EveryPrefixOfAModelIsAnError) {
  const auto bytes = read_bytes(kNodeTests / "test_conv_with_strides_padding" / "model.onnx");
  ASSERT_GT(bytes.size(), 100u);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const std::string msg = error_of([&] { parse_onnx(std::span(bytes).first(n), "cut.onnx"); });
    EXPECT_THAT(msg, StartsWith("cut.onnx: ")) << "prefix of " << n << " bytes";
  }
  EXPECT_NO_THROW(parse_onnx(bytes, "whole.onnx"));
}

// --- the IR of valid models --------------------------------------------------

TEST(OnnxImport, ReluModel) {
  const Graph g = load_onnx((kNodeTests / "test_relu" / "model.onnx").string());
  EXPECT_EQ(g.name, "test_relu");
  EXPECT_EQ(g.opset, 14);
  EXPECT_EQ(g.producer, "backend-test");
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.inputs[0].name, "x");
  EXPECT_EQ(g.inputs[0].dtype, DType::kFloat32);
  EXPECT_TRUE(g.inputs[0].has_shape);
  ASSERT_EQ(g.inputs[0].dims.size(), 3u);
  EXPECT_EQ(g.inputs[0].dims[0].value, 3);
  EXPECT_EQ(g.inputs[0].dims[1].value, 4);
  EXPECT_EQ(g.inputs[0].dims[2].value, 5);
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.outputs[0].name, "y");
  ASSERT_EQ(g.nodes.size(), 1u);
  const Node& n = g.nodes[0];
  EXPECT_EQ(n.op_type, "Relu");
  EXPECT_EQ(n.domain, "");
  EXPECT_EQ(n.name, "Relu_0"); // the file gives no name: one is invented
  EXPECT_EQ(n.inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(n.outputs, std::vector<std::string>{"y"});
  EXPECT_TRUE(g.initializers.empty());
}

TEST(OnnxImport, ConvAttributes) {
  const Graph g = load_onnx((kNodeTests / "test_conv_with_strides_padding" / "model.onnx").string());
  EXPECT_EQ(g.opset, 11);
  ASSERT_EQ(g.inputs.size(), 2u); // x and W are both real inputs in this test
  EXPECT_EQ(g.inputs[1].name, "W");
  ASSERT_EQ(g.nodes.size(), 1u);
  const Attributes& a = g.nodes[0].attrs;
  EXPECT_EQ(a.get_ints("kernel_shape"), (std::vector<std::int64_t>{3, 3}));
  EXPECT_EQ(a.get_ints("pads"), (std::vector<std::int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(a.get_ints("strides"), (std::vector<std::int64_t>{2, 2}));
  EXPECT_FALSE(a.has("dilations"));
}

// The Constant node's tensor attribute must equal the test's expected output
// (the oracle: what ONNX's reference evaluation of the node produced).
TEST(OnnxImport, ConstantTensorAttributeMatchesExpectedOutput) {
  const Graph g = load_onnx((kNodeTests / "test_constant" / "model.onnx").string());
  ASSERT_EQ(g.nodes.size(), 1u);
  ASSERT_EQ(g.nodes[0].op_type, "Constant");
  const Tensor& value = g.nodes[0].attrs.get_tensor("value");
  const Tensor expected = parse_onnx_tensor(
      read_bytes(kNodeTests / "test_constant" / "test_data_set_0" / "output_0.pb"), "output_0.pb");
  ASSERT_EQ(value.dtype(), DType::kFloat32);
  ASSERT_EQ(value.shape(), expected.shape());
  for (std::int64_t i = 0; i < value.size(); ++i)
    EXPECT_EQ(value.data<float>()[i], expected.data<float>()[i]);
}

// Tensor files: output = max(input, 0) element by element is the oracle for
// both parses (ONNX stores both as raw float32).
TEST(OnnxImport, TensorFilesOfReluTest) {
  const fs::path dir = kNodeTests / "test_relu" / "test_data_set_0";
  const Tensor x = parse_onnx_tensor(read_bytes(dir / "input_0.pb"), "input_0.pb");
  const Tensor y = parse_onnx_tensor(read_bytes(dir / "output_0.pb"), "output_0.pb");
  ASSERT_EQ(x.dtype(), DType::kFloat32);
  ASSERT_EQ(x.shape(), (Shape{3, 4, 5}));
  ASSERT_EQ(y.shape(), x.shape());
  int negatives = 0;
  for (std::int64_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(y.data<float>()[i], std::max(x.data<float>()[i], 0.0f)) << "element " << i;
    negatives += x.data<float>()[i] < 0;
  }
  EXPECT_GT(negatives, 0); // the data exercises both branches
}

TEST(OnnxImport, BadTensorFile) {
  const std::string msg = error_of([] { parse_onnx_tensor({}, "output_0.pb"); });
  EXPECT_THAT(msg, StartsWith("output_0.pb: "));
  onnx::TensorProto t;
  t.set_name("y");
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_dims(4);
  t.set_raw_data(std::string(12, '\0'));
  const std::string short_msg = error_of([&] { parse_onnx_tensor(serialize(t), "output_0.pb"); });
  EXPECT_THAT(short_msg, StartsWith("output_0.pb: tensor 'y': "));
  EXPECT_THAT(short_msg, HasSubstr("12 bytes, expected 4 x 4"));
}

TEST(OnnxImport, InitializersAreNotInputs) {
  onnx::ModelProto model = read_model("test_conv_with_strides_padding");
  // Make W an initializer while it stays listed as a graph input, as old
  // exporters do.
  onnx::TensorProto& w = add_initializer(model, "W");
  for (int d : {1, 1, 3, 3})
    w.add_dims(d);
  for (int i = 0; i < 9; ++i)
    w.add_float_data(static_cast<float>(i) * 0.5f);
  const Graph g = parse(model);
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.inputs[0].name, "x");
  const Tensor* t = g.find_initializer("W");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(t->data<float>()[8], 4.0f);
}

// Each supported ONNX type, once from raw_data and once from its typed field.
struct TypeCase {
  onnx::TensorProto::DataType onnx_type;
  DType dtype;
};

class OnnxImportTypes : public ::testing::TestWithParam<TypeCase> {};

TEST_P(OnnxImportTypes, RawAndTypedFieldsAgree) {
  const TypeCase c = GetParam();
  const std::vector<double> values = {0, 1,   2,
                                      7, 100, 1}; // representable in every type (bool: 0/1 checked below)
  visit_dtype(c.dtype, [&](auto tag) {
    using T = decltype(tag);
    onnx::ModelProto model = read_model("test_relu");
    onnx::TensorProto& raw = add_initializer(model, "raw");
    onnx::TensorProto& typed = add_initializer(model, "typed");
    for (auto* t : {&raw, &typed}) {
      t->set_data_type(c.onnx_type);
      t->add_dims(2);
      t->add_dims(3);
    }
    std::string bytes;
    for (double v : values) {
      const T x = static_cast<T>(v);
      bytes.append(reinterpret_cast<const char*>(&x), sizeof(T));
      switch (c.onnx_type) {
      case onnx::TensorProto::FLOAT: typed.add_float_data(static_cast<float>(v)); break;
      case onnx::TensorProto::DOUBLE: typed.add_double_data(v); break;
      case onnx::TensorProto::INT64: typed.add_int64_data(static_cast<std::int64_t>(v)); break;
      default: typed.add_int32_data(static_cast<std::int32_t>(x)); break;
      }
    }
    raw.set_raw_data(bytes);
    const Graph g = parse(model);
    for (const char* name : {"raw", "typed"}) {
      const Tensor* t = g.find_initializer(name);
      ASSERT_NE(t, nullptr) << name;
      ASSERT_EQ(t->dtype(), c.dtype) << name;
      ASSERT_EQ(t->shape(), (Shape{2, 3})) << name;
      for (std::size_t i = 0; i < values.size(); ++i) {
        EXPECT_EQ(t->data<T>()[i], static_cast<T>(values[i])) << name << " element " << i;
      }
    }
  });
}

INSTANTIATE_TEST_SUITE_P(AllTypes, OnnxImportTypes,
                         ::testing::Values(TypeCase{onnx::TensorProto::FLOAT, DType::kFloat32},
                                           TypeCase{onnx::TensorProto::DOUBLE, DType::kFloat64},
                                           TypeCase{onnx::TensorProto::INT64, DType::kInt64},
                                           TypeCase{onnx::TensorProto::INT32, DType::kInt32},
                                           TypeCase{onnx::TensorProto::INT8, DType::kInt8},
                                           TypeCase{onnx::TensorProto::UINT8, DType::kUInt8},
                                           TypeCase{onnx::TensorProto::BOOL, DType::kBool}),
                         [](const auto& info) { return std::string(dtype_name(info.param.dtype)); });

TEST(OnnxImport, NegativeInt8InInt32Data) {
  onnx::ModelProto model = read_model("test_relu");
  onnx::TensorProto& t = add_initializer(model);
  t.set_data_type(onnx::TensorProto::INT8);
  t.add_dims(2);
  t.add_int32_data(-128);
  t.add_int32_data(-1);
  const Graph g = parse(model);
  EXPECT_EQ(g.find_initializer("B")->data<std::int8_t>()[0], -128);
  EXPECT_EQ(g.find_initializer("B")->data<std::int8_t>()[1], -1);
}

TEST(OnnxImport, BoolRawBytesAreNormalised) {
  onnx::ModelProto model = read_model("test_relu");
  onnx::TensorProto& t = add_initializer(model);
  t.set_data_type(onnx::TensorProto::BOOL);
  t.add_dims(3);
  t.set_raw_data(std::string("\x00\x01\x07", 3));
  const Graph g = parse(model);
  const auto* b = g.find_initializer("B")->data<bool>();
  const auto* bytes = static_cast<const std::uint8_t*>(g.find_initializer("B")->raw());
  EXPECT_FALSE(b[0]);
  EXPECT_EQ(bytes[1], 1);
  EXPECT_EQ(bytes[2], 1); // 7 stored as a proper true
}

// float16 constants are widened to float32. Expected values by hand from the
// IEEE 754 binary16 layout (sign, 5-bit exponent biased by 15, 10-bit mantissa).
TEST(OnnxImport, Float16IsWidenedToFloat32) {
  const std::vector<std::uint16_t> halves = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x7C00, 0x8000, 0x3555};
  const std::vector<float> expected = {1.0f,
                                       -2.0f,
                                       65504.0f,                 // largest finite half
                                       std::ldexp(1.0f, -24),    // smallest subnormal
                                       std::ldexp(1023.0f, -24), // largest subnormal
                                       INFINITY,
                                       -0.0f,
                                       0.333251953125f}; // 0x3555 = 1.0101010101b x 2^-2
  onnx::ModelProto model = read_model("test_relu");
  onnx::TensorProto& raw = add_initializer(model, "raw");
  onnx::TensorProto& typed = add_initializer(model, "typed");
  std::string bytes;
  for (std::uint16_t h : halves) {
    bytes.append(reinterpret_cast<const char*>(&h), 2);
    typed.add_int32_data(h);
  }
  for (auto* t : {&raw, &typed}) {
    t->set_data_type(onnx::TensorProto::FLOAT16);
    t->add_dims(static_cast<std::int64_t>(halves.size()));
  }
  raw.set_raw_data(bytes);
  const Graph g = parse(model);
  for (const char* name : {"raw", "typed"}) {
    const Tensor* t = g.find_initializer(name);
    ASSERT_EQ(t->dtype(), DType::kFloat32);
    for (std::size_t i = 0; i < halves.size(); ++i) {
      EXPECT_EQ(t->data<float>()[i], expected[i]) << name << " half 0x" << std::hex << halves[i];
      EXPECT_EQ(std::signbit(t->data<float>()[i]), std::signbit(expected[i])) << name << " element " << i;
    }
  }
}

TEST(OnnxImport, MetadataOpsetProducerAndDynamicDims) {
  onnx::ModelProto model = read_model("test_relu");
  model.set_producer_name("pytorch");
  model.set_producer_version("1.13.1");
  auto* kv = model.add_metadata_props();
  kv->set_key("names");
  kv->set_value("{0: 'person', 1: 'knife'}");
  model.mutable_opset_import(0)->set_domain("ai.onnx");
  model.mutable_opset_import(0)->set_version(17);
  auto* ms = model.add_opset_import();
  ms->set_domain("com.microsoft");
  ms->set_version(1);
  auto* dims =
      model.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  dims->mutable_dim(0)->set_dim_param("batch");
  dims->mutable_dim(1)->Clear(); // neither value nor name: anonymous dynamic
  const Graph g = parse(model);
  EXPECT_EQ(g.producer, "pytorch 1.13.1");
  EXPECT_EQ(g.metadata.at("names"), "{0: 'person', 1: 'knife'}");
  EXPECT_EQ(g.opset, 17);
  ASSERT_EQ(g.inputs[0].dims.size(), 3u);
  EXPECT_FALSE(g.inputs[0].dims[0].is_static());
  EXPECT_EQ(g.inputs[0].dims[0].symbol, "batch");
  EXPECT_FALSE(g.inputs[0].dims[1].is_static());
  EXPECT_EQ(g.inputs[0].dims[1].symbol, "");
  EXPECT_EQ(g.inputs[0].dims[2].value, 5);
}

TEST(OnnxImport, UntypedOutputAndShapelessInput) {
  onnx::ModelProto model = read_model("test_relu");
  model.mutable_graph()->mutable_output(0)->clear_type();
  model.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  const Graph g = parse(model);
  EXPECT_EQ(g.outputs[0].dtype, DType::kUndefined);
  EXPECT_FALSE(g.outputs[0].has_shape);
  EXPECT_EQ(g.inputs[0].dtype, DType::kFloat32);
  EXPECT_FALSE(g.inputs[0].has_shape);
}

// Two Relu nodes, the first named after what the second would be invented as,
// listed consumer-first: names stay unique and nodes come out sorted.
TEST(OnnxImport, NamesAreInventedUniqueAndNodesSorted) {
  onnx::ModelProto model = read_model("test_relu");
  onnx::GraphProto& g = *model.mutable_graph();
  onnx::NodeProto second = g.node(0); // x -> y
  g.mutable_node(0)->set_input(0, "t");
  g.mutable_node(0)->set_name("Relu_1"); // t -> y, listed first
  second.set_output(0, "t");             // x -> t, unnamed, index 1
  *g.add_node() = second;
  const Graph out = parse(model);
  ASSERT_EQ(out.nodes.size(), 2u);
  EXPECT_EQ(out.nodes[0].outputs[0], "t");
  EXPECT_EQ(out.nodes[1].outputs[0], "y");
  EXPECT_EQ(out.nodes[1].name, "Relu_1");
  EXPECT_EQ(out.nodes[0].name, "Relu_1_1");
}

TEST(OnnxImport, AllAttributeTypes) {
  onnx::ModelProto model = read_model("test_relu");
  onnx::NodeProto& n = *model.mutable_graph()->mutable_node(0);
  auto add = [&](const char* name, onnx::AttributeProto::AttributeType type) {
    onnx::AttributeProto& a = *n.add_attribute();
    a.set_name(name);
    a.set_type(type);
    return &a;
  };
  add("i", onnx::AttributeProto::INT)->set_i(-3);
  add("f", onnx::AttributeProto::FLOAT)->set_f(0.25f);
  add("s", onnx::AttributeProto::STRING)->set_s("nearest");
  auto* ints = add("ints", onnx::AttributeProto::INTS);
  ints->add_ints(1);
  ints->add_ints(-1);
  add("floats", onnx::AttributeProto::FLOATS)->add_floats(1.5f);
  add("strings", onnx::AttributeProto::STRINGS)->add_strings("a");
  auto* t = add("t", onnx::AttributeProto::TENSOR)->mutable_t();
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_int64_data(42); // scalar
  // IR v1 style: no type field, the value field tells.
  n.add_attribute()->set_name("legacy");
  n.mutable_attribute(n.attribute_size() - 1)->set_i(9);
  const Graph g = parse(model);
  const Attributes& a = g.nodes[0].attrs;
  EXPECT_EQ(a.get_int("i"), -3);
  EXPECT_EQ(a.get_float("f", 0), 0.25f);
  EXPECT_EQ(a.get_string("s", ""), "nearest");
  EXPECT_EQ(a.get_ints("ints"), (std::vector<std::int64_t>{1, -1}));
  EXPECT_EQ(a.get_floats("floats"), (std::vector<float>{1.5f}));
  EXPECT_EQ(a.get_strings("strings"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(a.get_tensor("t").shape(), Shape{});
  EXPECT_EQ(a.get_tensor("t").data<std::int64_t>()[0], 42);
  EXPECT_EQ(a.get_int("legacy"), 9);
}

// --- models that are valid protobuf but that we must refuse ------------------

TEST(OnnxImportErrors, RawDataSizeMismatch) {
  onnx::ModelProto model = read_model("test_relu");
  onnx::TensorProto& t = add_initializer(model);
  t.add_dims(2);
  t.add_dims(3);
  t.set_raw_data(std::string(20, '\0'));
  const std::string msg = parse_error(model);
  EXPECT_THAT(msg, StartsWith("edited.onnx: initializer 'B': "));
  EXPECT_THAT(msg, HasSubstr("raw_data holds 20 bytes, expected 6 x 4"));
}

TEST(OnnxImportErrors, TypedDataCountMismatch) {
  onnx::ModelProto model = read_model("test_relu");
  onnx::TensorProto& t = add_initializer(model);
  t.add_dims(4);
  t.add_float_data(1.0f);
  const std::string msg = parse_error(model);
  EXPECT_THAT(msg, StartsWith("edited.onnx: initializer 'B': "));
  EXPECT_THAT(msg, HasSubstr("holds 1 values, expected 4"));
}

TEST(OnnxImportErrors, MissingData) {
  onnx::ModelProto model = read_model("test_relu");
  add_initializer(model).add_dims(3);
  EXPECT_THAT(parse_error(model), HasSubstr("initializer 'B': holds 0 values, expected 3"));
}

TEST(OnnxImportErrors, NegativeTensorDim) {
  onnx::ModelProto model = read_model("test_relu");
  onnx::TensorProto& t = add_initializer(model);
  t.add_dims(-2);
  t.add_float_data(1.0f);
  const std::string msg = parse_error(model);
  EXPECT_THAT(msg, HasSubstr("initializer 'B': negative dimension"));
}

// Shapes far beyond any file must fail on the size check, not in the allocator.
TEST(OnnxImportErrors, AbsurdTensorSizes) {
  {
    onnx::ModelProto model = read_model("test_relu");
    onnx::TensorProto& t = add_initializer(model);
    t.add_dims(std::int64_t{1} << 40);
    t.add_dims(std::int64_t{1} << 40); // overflows int64
    EXPECT_THAT(parse_error(model),
                HasSubstr("initializer 'B': shape [1099511627776,1099511627776] is too large"));
  }
  {
    onnx::ModelProto model = read_model("test_relu");
    onnx::TensorProto& t = add_initializer(model);
    t.add_dims(std::int64_t{1} << 40);
    t.set_raw_data(std::string(8, '\0'));
    EXPECT_THAT(parse_error(model),
                HasSubstr("initializer 'B': raw_data holds 8 bytes, expected 1099511627776 x 4"));
  }
  {
    onnx::ModelProto model = read_model("test_relu");
    onnx::TensorProto& t = add_initializer(model);
    t.add_dims(std::int64_t{1} << 62);
    t.set_raw_data(std::string(8, '\0')); // 2^62 x 4 bytes overflows uint64
    EXPECT_THAT(parse_error(model), HasSubstr("initializer 'B': raw_data holds 8 bytes"));
  }
}

TEST(OnnxImportErrors, UnsupportedTensorType) {
  onnx::ModelProto model = read_model("test_relu");
  onnx::TensorProto& t = add_initializer(model, "labels");
  t.set_data_type(onnx::TensorProto::STRING);
  t.add_string_data("cat");
  const std::string msg = parse_error(model);
  EXPECT_THAT(msg, StartsWith("edited.onnx: initializer 'labels': "));
  EXPECT_THAT(msg, HasSubstr("STRING is not supported"));
}

TEST(OnnxImportErrors, ExternalData) {
  onnx::ModelProto model = read_model("test_relu");
  onnx::TensorProto& t = add_initializer(model, "conv.weight");
  t.add_dims(4);
  t.set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = t.add_external_data();
  kv->set_key("location");
  kv->set_value("weights.bin");
  const std::string msg = parse_error(model);
  EXPECT_THAT(msg, StartsWith("edited.onnx: initializer 'conv.weight': "));
  EXPECT_THAT(msg, HasSubstr("external"));
  EXPECT_THAT(msg, HasSubstr("weights.bin"));
}

TEST(OnnxImportErrors, SubgraphAttribute) {
  onnx::ModelProto model = read_model("test_relu");
  onnx::NodeProto& n = *model.mutable_graph()->mutable_node(0);
  n.set_name("/model/If");
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name("then_branch");
  a.set_type(onnx::AttributeProto::GRAPH);
  a.mutable_g()->set_name("then");
  const std::string msg = parse_error(model);
  EXPECT_THAT(msg, StartsWith("edited.onnx: node /model/If (Relu): attribute 'then_branch'"));
  EXPECT_THAT(msg, HasSubstr("subgraph"));
}

TEST(OnnxImportErrors, SparseTensorAttribute) {
  onnx::ModelProto model = read_model("test_relu");
  onnx::AttributeProto& a = *model.mutable_graph()->mutable_node(0)->add_attribute();
  a.set_name("sparse_value");
  a.set_type(onnx::AttributeProto::SPARSE_TENSOR);
  const std::string msg = parse_error(model);
  EXPECT_THAT(msg, StartsWith("edited.onnx: node Relu_0 (Relu): attribute 'sparse_value'"));
  EXPECT_THAT(msg, HasSubstr("sparse"));
}

TEST(OnnxImportErrors, OpsetOutOfRange) {
  for (int version : {1, 6, 20}) {
    onnx::ModelProto model = read_model("test_relu");
    model.mutable_opset_import(0)->set_version(version);
    const std::string msg = parse_error(model);
    EXPECT_THAT(msg, StartsWith("edited.onnx: opset " + std::to_string(version) + " "));
    EXPECT_THAT(msg, HasSubstr("7-19"));
  }
}

TEST(OnnxImportErrors, NoDefaultOpset) {
  onnx::ModelProto model = read_model("test_relu");
  model.clear_opset_import();
  EXPECT_THAT(parse_error(model), HasSubstr("no opset for the default ONNX domain"));
}

TEST(OnnxImportErrors, NegativeInputDim) {
  onnx::ModelProto model = read_model("test_relu");
  model.mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(1)
      ->set_dim_value(-4);
  EXPECT_THAT(parse_error(model), HasSubstr("graph input 'x' has negative dimension -4"));
}

TEST(OnnxImportErrors, NonTensorInput) {
  onnx::ModelProto model = read_model("test_relu");
  model.mutable_graph()->mutable_input(0)->mutable_type()->mutable_sequence_type();
  EXPECT_THAT(parse_error(model), HasSubstr("graph input 'x' is a sequence"));
}

TEST(OnnxImportErrors, UnsupportedInputType) {
  onnx::ModelProto model = read_model("test_relu");
  model.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(
      onnx::TensorProto::FLOAT16);
  EXPECT_THAT(parse_error(model), HasSubstr("graph input 'x' has element type FLOAT16"));
}

TEST(OnnxImportErrors, UndefinedNodeInput) {
  onnx::ModelProto model = read_model("test_relu");
  model.mutable_graph()->mutable_node(0)->set_input(0, "ghost");
  EXPECT_THAT(parse_error(model), HasSubstr("node Relu_0 (Relu): input 'ghost' is not a graph input"));
}

TEST(OnnxImportErrors, Cycle) {
  onnx::ModelProto model = read_model("test_relu");
  onnx::GraphProto& g = *model.mutable_graph();
  g.mutable_node(0)->set_input(0, "y2"); // y = relu(y2), y2 = relu(y)
  onnx::NodeProto& back = *g.add_node();
  back.set_op_type("Relu");
  back.add_input("y");
  back.add_output("y2");
  EXPECT_THAT(parse_error(model), HasSubstr("cycle"));
}

TEST(OnnxImportErrors, ValueDefinedTwice) {
  onnx::ModelProto model = read_model("test_relu");
  *model.mutable_graph()->add_node() = model.graph().node(0);
  EXPECT_THAT(parse_error(model), HasSubstr("output 'y' is already defined"));
}

TEST(OnnxImportErrors, NoOutputs) {
  onnx::ModelProto model = read_model("test_relu");
  model.mutable_graph()->clear_output();
  EXPECT_THAT(parse_error(model), HasSubstr("the graph has no outputs"));
}

} // namespace
} // namespace tilescope::engine
