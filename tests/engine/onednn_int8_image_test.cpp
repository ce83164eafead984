// onednn backend, int8: the graph's f32 image quantized for the first QConv
// by our own loop (native_convert.h, make_image_to_u8_kernel) in one pass,
// f32 NCHW -> u8 NHWC.
//
// - The kernel alone against the reference backend's QuantizeLinear (ONNX:
//   round half to even of x / scale, plus the zero point, saturated; NaN ->
//   0): 1, 3 and 4 channels, widths that are not a multiple of the 16-pixel
//   vector (the scalar tail), batch 2, zero points 0 / 3 / 128, values on
//   exact ties (k + 0.5) * scale, out of range and NaN, and a destination that
//   is the interior of a padded buffer (its border must stay untouched). Any
//   byte off fails (a swapped channel, a tie rounded away from even).
// - The same values against oneDNN's reorder (what ran before): equal but on
//   the ties, where oneDNN's x * (1 / scale) may land one ulp off the quotient
//   and round the other way (at most one step).
// - A Q -> DQ -> Conv stem compiled with precision int8: one QuantizeLinear
//   step (oneDNN needed two reorders) and the reference's output.
#include "backends/onednn/native_convert.h"
#include "backends/onednn/onednn_executable.h"
#include "onednn_test_util.h"
#include "tilescope/engine/session.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <gtest/gtest.h>
#include <limits>
#include <string>
#include <vector>

namespace tilescope::engine::onednn_test {
namespace {

using onednn::Dims;
using onednn::Md;
using Tag = dnnl::memory::format_tag;
using DataType = dnnl::memory::data_type;

bool has_vbmi() { return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi"); }

struct ImageCase {
  Shape x; // N, C, H, W
  float scale;
  int zero_point;
  bool padded_dst = false; // write into the interior of a buffer padded by 1

  std::string name() const {
    return "Quantize[zp=" + std::to_string(zero_point) + (padded_dst ? ",padded" : "") + "](" + shape_str(x) +
           ")";
  }
};

// Random values over the quantized range and a little past it, with every
// 7th an exact tie and a few out-of-range and NaN values. `special[i]` marks
// the values oneDNN's reorder is not compared on (NaN, huge).
Tensor image(const ImageCase& c, std::vector<char>& tie, std::vector<char>& special) {
  std::mt19937 rng(seed_of(c.name()));
  const float lo = -40.0f * c.scale, hi = (255.0f + 40.0f) * c.scale;
  Tensor t = random_tensor(c.x, rng, lo, hi);
  std::uniform_int_distribution<int> k(-10, 265);
  auto v = t.values<float>();
  tie.assign(v.size(), 0);
  special.assign(v.size(), 0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i % 7 == 3) {
      v[i] = (static_cast<float>(k(rng)) + 0.5f) * c.scale;
      tie[i] = 1;
    }
  }
  const float odd[] = {std::numeric_limits<float>::quiet_NaN(), 1e30f, -1e30f, 0.0f, -0.0f,
                       std::numeric_limits<float>::infinity()};
  for (std::size_t j = 0; j < std::size(odd) && 11 * j + 5 < v.size(); ++j) {
    v[11 * j + 5] = odd[j];
    special[11 * j + 5] = 1;
  }
  return t;
}

// The reference backend's QuantizeLinear of `x`, NCHW.
Tensor reference_quantize(const Tensor& x, float scale, int zero_point) {
  GraphBuilder b(1);
  b.node("QuantizeLinear",
         {b.input("x", x.shape()), b.constant("s", Tensor::scalar<float>(scale)),
          b.constant("z", Tensor::scalar<std::uint8_t>(static_cast<std::uint8_t>(zero_point)))},
         {"q"});
  b.output("q");
  std::vector<Tensor> inputs;
  inputs.push_back(x.clone());
  std::vector<Tensor> out = run(*compile_reference(b.build()), inputs);
  return std::move(out.at(0));
}

// The u8 NHWC destination: dense, or the interior of a buffer padded by one
// pixel on every side (as QConv pads by hand for a nonzero zero point).
struct Destination {
  Md buffer_md, md;
  std::vector<std::uint8_t> bytes;
  Destination(const Shape& x, bool padded) {
    const Dims dims(x.begin(), x.end());
    Dims outer = dims;
    if (padded) outer[2] += 2, outer[3] += 2;
    buffer_md = Md(outer, DataType::u8, Tag::nhwc);
    md = padded ? buffer_md.submemory_desc(dims, Dims{0, 0, 1, 1}) : buffer_md;
    bytes.assign(buffer_md.get_size(), 0xab);
  }
  // Element (n, c, y, x) of the interior.
  std::uint8_t at(const Shape& x, std::int64_t n, std::int64_t c, std::int64_t y, std::int64_t w,
                  bool padded) const {
    const std::int64_t p = padded ? 1 : 0, hp = x[2] + 2 * p, wp = x[3] + 2 * p;
    return bytes[static_cast<std::size_t>(((n * hp + y + p) * wp + w + p) * x[1] + c)];
  }
};

const std::vector<ImageCase>& cases() {
  static const std::vector<ImageCase> all{
      {{1, 3, 5, 37}, 1.0f / 255.0f, 0},       // the YOLO stem's quantization, odd width
      {{1, 1, 3, 16}, 0.02f, 3},               // one channel, exactly one vector
      {{2, 4, 4, 23}, 0.0173f, 128},           // four channels, batch 2
      {{1, 3, 4, 7}, 0.05f, 0},                // narrower than one vector: tail only
      {{1, 3, 6, 41}, 1.0f / 255.0f, 3, true}, // padded destination
      {{2, 1, 5, 19}, 0.01f, 128, true},
      {{1, 4, 3, 33}, 0.1f, 17, true},
  };
  return all;
}

TEST(OnednnInt8Image, QuantizesAsTheReferenceQuantizeLinear) {
  if (!has_vbmi()) GTEST_SKIP() << "the image quantizer needs AVX-512 VBMI";
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  for (const ImageCase& c : cases()) {
    SCOPED_TRACE(c.name());
    std::vector<char> tie, special;
    const Tensor x = image(c, tie, special);
    const Tensor want = reference_quantize(x, c.scale, c.zero_point);
    ASSERT_EQ(want.dtype(), DType::kUInt8);
    const Md src_md(Dims(c.x.begin(), c.x.end()), DataType::f32, Tag::nchw);
    Destination dst(c.x, c.padded_dst);
    auto kernel = onednn::make_image_to_u8_kernel(src_md, dst.md, c.scale, c.zero_point);
    ASSERT_NE(kernel, nullptr);
    dnnl::memory src_mem(src_md, engine, const_cast<void*>(x.raw()));
    dnnl::memory dst_mem(dst.md, engine, dst.bytes.data());
    kernel->run({{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_DST, dst_mem}});

    int wrong = 0;
    std::int64_t i = 0;
    for (std::int64_t n = 0; n < c.x[0]; ++n)
      for (std::int64_t ch = 0; ch < c.x[1]; ++ch)
        for (std::int64_t y = 0; y < c.x[2]; ++y)
          for (std::int64_t w = 0; w < c.x[3]; ++w, ++i) {
            const int got = dst.at(c.x, n, ch, y, w, c.padded_dst), expected = want.values<std::uint8_t>()[i];
            if (got != expected && ++wrong <= 5) {
              ADD_FAILURE() << "x[" << n << "," << ch << "," << y << "," << w
                            << "] = " << x.values<float>()[i] << ": " << got << ", reference " << expected;
            }
          }
    EXPECT_EQ(wrong, 0);
    if (c.padded_dst) {
      // The border is the padding oneDNN reads: untouched.
      std::size_t interior = 0, touched = 0;
      for (std::uint8_t v : dst.bytes)
        touched += v != 0xab;
      interior = static_cast<std::size_t>(x.size());
      EXPECT_LE(touched, interior);
      const std::int64_t wp = c.x[3] + 2;
      for (std::int64_t n = 0; n < c.x[0]; ++n)
        for (std::int64_t w = 0; w < wp; ++w)
          for (std::int64_t ch = 0; ch < c.x[1]; ++ch)
            EXPECT_EQ(dst.bytes[static_cast<std::size_t>((n * (c.x[2] + 2) * wp + w) * c.x[1] + ch)], 0xab);
    }
  }
}

TEST(OnednnInt8Image, AgreesWithOnednnReorderButOnTies) {
  if (!has_vbmi()) GTEST_SKIP() << "the image quantizer needs AVX-512 VBMI";
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  for (const ImageCase& c : cases()) {
    if (c.padded_dst) continue;
    SCOPED_TRACE(c.name());
    std::vector<char> tie, special;
    const Tensor x = image(c, tie, special);
    const Md src_md(Dims(c.x.begin(), c.x.end()), DataType::f32, Tag::nchw);
    Destination ours(c.x, false), theirs(c.x, false);
    auto kernel = onednn::make_image_to_u8_kernel(src_md, ours.md, c.scale, c.zero_point);
    ASSERT_NE(kernel, nullptr);
    dnnl::memory src_mem(src_md, engine, const_cast<void*>(x.raw()));
    dnnl::memory ours_mem(ours.md, engine, ours.bytes.data()),
        theirs_mem(theirs.md, engine, theirs.bytes.data());
    kernel->run({{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_DST, ours_mem}});
    dnnl::primitive_attr attr;
    attr.set_output_scales(0, {1.0f / c.scale});
    if (c.zero_point != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {c.zero_point});
    dnnl::reorder(dnnl::reorder::primitive_desc(engine, src_md, engine, theirs.md, attr))
        .execute(stream, src_mem, theirs_mem);
    stream.wait();
    std::int64_t i = 0, tie_diffs = 0;
    for (std::int64_t n = 0; n < c.x[0]; ++n)
      for (std::int64_t ch = 0; ch < c.x[1]; ++ch)
        for (std::int64_t y = 0; y < c.x[2]; ++y)
          for (std::int64_t w = 0; w < c.x[3]; ++w, ++i) {
            if (special[i]) continue;
            const int a = ours.at(c.x, n, ch, y, w, false), b = theirs.at(c.x, n, ch, y, w, false);
            if (tie[i]) {
              EXPECT_LE(std::abs(a - b), 1) << i;
              tie_diffs += a != b;
            } else {
              EXPECT_EQ(a, b) << "x = " << x.values<float>()[i];
            }
          }
    RecordProperty(c.name() + "_tie_differences", std::to_string(tie_diffs));
  }
}

TEST(OnednnInt8Image, DeclinesWhatItDoesNotConvert) {
  if (!has_vbmi()) GTEST_SKIP() << "the image quantizer needs AVX-512 VBMI";
  const Dims five{1, 5, 4, 4}, three{1, 3, 4, 4};
  EXPECT_EQ(onednn::make_image_to_u8_kernel(Md(five, DataType::f32, Tag::nchw),
                                            Md(five, DataType::u8, Tag::nhwc), 0.1f, 0),
            nullptr); // five channels
  EXPECT_EQ(onednn::make_image_to_u8_kernel(Md(three, DataType::f32, Tag::nhwc),
                                            Md(three, DataType::u8, Tag::nhwc), 0.1f, 0),
            nullptr); // source not NCHW
  EXPECT_EQ(onednn::make_image_to_u8_kernel(Md(three, DataType::f32, Tag::nchw),
                                            Md(three, DataType::u8, Tag::nChw16c), 0.1f, 0),
            nullptr); // blocked destination
  EXPECT_EQ(onednn::make_image_to_u8_kernel(Md(three, DataType::f32, Tag::nchw),
                                            Md(three, DataType::s8, Tag::nhwc), 0.1f, 0),
            nullptr); // s8
  EXPECT_EQ(onednn::make_image_to_u8_kernel(Md(three, DataType::f32, Tag::nchw),
                                            Md(three, DataType::u8, Tag::nhwc), 0.0f, 0),
            nullptr); // no scale
}

// x -> Q -> DQ -> Conv 3x3 stride 2 (int8 per-channel weights): the stem of a
// quantized YOLO, with an odd width.
Graph stem_graph(const Shape& x, std::uint8_t zero_point) {
  GraphBuilder b(11, 13);
  const std::string xs = b.constant("xs", Tensor::scalar<float>(1.0f / 255.0f));
  const std::string xz = b.constant("xz", Tensor::scalar<std::uint8_t>(zero_point));
  b.node("QuantizeLinear", {b.input("x", x), xs, xz}, {"xq"});
  b.node("DequantizeLinear", {"xq", xs, xz}, {"xd"});
  const std::int64_t c_out = 16;
  std::uniform_int_distribution<int> wq(-127, 127);
  Tensor w(DType::kInt8, {c_out, x[1], 3, 3});
  for (auto& v : w.values<std::int8_t>())
    v = static_cast<std::int8_t>(wq(b.rng()));
  for (std::int64_t c = 0; c < c_out; ++c)
    w.values<std::int8_t>()[c * x[1] * 9] = 127; // symmetric, as the QDQ fold recovers W_q
  Tensor s(DType::kFloat32, {c_out});
  for (auto& v : s.values<float>())
    v = 0.01f;
  b.constant("wq", std::move(w));
  b.constant("ws", std::move(s));
  b.constant("wz", Tensor(DType::kInt8, {c_out}));
  b.node("DequantizeLinear", {"wq", "ws", "wz"}, {"w"}).attrs.set("axis", std::int64_t{0});
  b.random_constant("b", {c_out}, 0.3f);
  Node& conv = b.node("Conv", {"xd", "w", "b"}, {"y"});
  conv.attrs.set("pads", std::vector<std::int64_t>(4, 1));
  conv.attrs.set("strides", std::vector<std::int64_t>{2, 2});
  b.output("y");
  return b.build();
}

TEST(OnednnInt8Image, StemQuantizesInOneStepAndMatchesReference) {
  if (!has_vbmi()) GTEST_SKIP() << "the image quantizer needs AVX-512 VBMI";
  for (const auto& [shape, zp] : std::vector<std::pair<Shape, std::uint8_t>>{
           {{1, 3, 64, 67}, 0}, {{1, 3, 33, 45}, 3}, {{1, 1, 32, 35}, 0}, {{1, 4, 32, 31}, 0}}) {
    const std::string name = "stem(zp=" + std::to_string(zp) + "," + shape_str(shape) + ")";
    SCOPED_TRACE(name);
    std::mt19937 rng(seed_of(name));
    const Tensor x = random_tensor(shape, rng, -0.1f, 1.1f);
    SessionOptions options;
    options.backend = Backend::kReference;
    options.threads = 2;
    const Tensor want = std::move(Session::from_graph(stem_graph(shape, zp), options).run({{"x", &x}}).at(0));
    options.backend = Backend::kOnednn;
    options.precision = Precision::kInt8;
    Session session = Session::from_graph(stem_graph(shape, zp), options);
    const std::vector<std::string> labels = onednn::step_labels(*compile_onednn(session.compiled_graph(), 2));
    std::string all;
    for (const std::string& label : labels)
      all += label + " ";
    EXPECT_EQ(std::count(labels.begin(), labels.end(), "QuantizeLinear"), 1) << all;
    EXPECT_EQ(std::count(labels.begin(), labels.end(), "QConv"), 1) << all;
    const Tensor got = std::move(session.run({{"x", &x}}).at(0));
    ASSERT_EQ(got.shape(), want.shape());
    double err = 0, mag = 1e-3;
    for (std::int64_t i = 0; i < want.size(); ++i) {
      err = std::max(err, static_cast<double>(std::fabs(got.values<float>()[i] - want.values<float>()[i])));
      mag = std::max(mag, static_cast<double>(std::fabs(want.values<float>()[i])));
    }
    // Same u8 values on both sides: only float rounding of the accumulation.
    EXPECT_LT(err / mag, 1e-4);
  }
}

} // namespace
} // namespace tilescope::engine::onednn_test
