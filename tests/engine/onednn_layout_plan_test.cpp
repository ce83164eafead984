// onednn backend: plans made before kernels are built, against the reference
// backend.
//
// - Batch splitting (backends/onednn/batch_split.h): a batch-N graph whose
//   nodes keep samples apart runs as N runs of its batch-1 version; graphs that
//   mix samples (an axis-0 op, a batch-specific constant, a reshape across the
//   batch) must keep running whole. Both must match the reference.
// - Concat slots (concat.cpp): with AVX-512 and Winograd, a YOLO C2f/C3k2 block
//   at batch 1 writes its Concat in place (no copy, no dense copy of the split
//   halves), whatever else reads the parts.
//
// Tolerance 1e-4 of the output's magnitude, as for the other whole-graph tests
// (onednn_graph_test.cpp): stacked float32 convolutions (Winograd ones within
// 2e-5 each, onednn_winograd_test.cpp) whose errors add up.
#include "backends/onednn/batch_split.h"
#include "backends/onednn/onednn_executable.h"
#include "onednn_test_util.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string>
#include <vector>

namespace tilescope::engine::onednn_test {
namespace {

using Ints = std::vector<std::int64_t>;

constexpr double kGraphTolerance = 1e-4;

// Sets an environment variable the backend reads at each compile while alive.
class ScopedEnv {
public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string conv_silu(GraphBuilder& b, const std::string& x, std::int64_t in, std::int64_t out,
                      std::int64_t k, const std::string& name, const std::string& sum = "") {
  std::vector<std::string> inputs{x, b.random_constant(name + "_w", {out, in, k, k}, 1.0f / k),
                                  b.random_constant(name + "_b", {out}, 0.1f)};
  if (!sum.empty()) inputs.push_back(sum);
  Node& n = b.node("FusedConv", inputs, {name}, "tilescope");
  n.attrs.set("pads", Ints(4, k / 2));
  n.attrs.set("activation", std::string("silu"));
  return name;
}

// YOLO11's C3k2 (c3k=False) as exported at opset 17: cv1 -> two Slices ->
// bottleneck with residual on the second half -> Concat -> cv2.
std::string c3k2(GraphBuilder& b, const std::string& x, std::int64_t c, const std::string& name) {
  const std::int64_t h = c / 2;
  conv_silu(b, x, c, c, 1, name + "_cv1");
  auto ints = [&](const std::string& n, Ints v) {
    return b.constant(name + n, tensor_of<std::int64_t>({static_cast<std::int64_t>(v.size())}, v));
  };
  b.node("Slice", {name + "_cv1", ints("_s0", {0}), ints("_e0", {h}), ints("_a0", {1})}, {name + "_a"});
  b.node("Slice", {name + "_cv1", ints("_s1", {h}), ints("_e1", {c}), ints("_a1", {1})}, {name + "_b"});
  conv_silu(b, name + "_b", h, h, 3, name + "_m_cv1");
  conv_silu(b, name + "_m_cv1", h, h, 3, name + "_m_cv2", name + "_b");
  b.node("Concat", {name + "_a", name + "_b", name + "_m_cv2"}, {name + "_cat"})
      .attrs.set("axis", std::int64_t{1});
  return conv_silu(b, name + "_cat", 3 * h, c, 1, name + "_cv2");
}

// Convolutions, a C3k2 block, then an attention-like tail with batch-shaped
// constants (Reshape to [N, ...], Transpose keeping dim 0, Softmax on the last
// axis) and a broadcast constant without a batch.
Graph separable_graph(std::int64_t batch, std::uint32_t seed) {
  GraphBuilder b(seed);
  const std::string x = b.input("x", {batch, 16, 12, 12});
  const std::string f = c3k2(b, conv_silu(b, x, 16, 32, 3, "stem"), 32, "blk");
  b.node("Reshape", {f, b.constant("shape", tensor_of<std::int64_t>({3}, {batch, 32, -1}))}, {"flat"});
  b.node("Transpose", {"flat"}, {"t"}).attrs.set("perm", Ints{0, 2, 1});
  b.node("Softmax", {"t"}, {"p"}).attrs.set("axis", std::int64_t{-1});
  b.node("Mul", {"p", b.random_constant("scale", {1, 1, 32})}, {"y"});
  b.output("y");
  return b.build();
}

// One thread: one copy of the per-sample plan (with more threads than that and
// a batch they divide, each thread gets its own copy).
MemoryReport memory_of(const Graph& graph, const char* split) {
  const ScopedEnv env("TILESCOPE_BATCH_SPLIT", split);
  return compile_onednn(graph, 1)->memory();
}

TEST(OnednnBatchSplit, SeparableGraphRunsPerSample) {
  const std::string name = "Graph(separable,[4,16,12,12])";
  const Graph graph = separable_graph(4, seed_of(name));
  const std::optional<onednn::PerSampleGraph> sample = onednn::per_sample_graph(graph);
  ASSERT_TRUE(sample.has_value()) << name;
  EXPECT_EQ(sample->batch, 4);
  EXPECT_EQ(sample->graph.type_of("y").shape, (Shape{1, 144, 32})) << name;
  // 2 threads: two samples at a time, one per thread; 1 and 3 threads: one
  // sample at a time on all threads (3 does not divide the batch).
  for (int threads : {1, 2, 3})
    expect_matches_reference(name + "[threads=" + std::to_string(threads) + "]", graph, kGraphTolerance,
                             threads);
  {
    const ScopedEnv env("TILESCOPE_BATCH_SPLIT", "0");
    expect_matches_reference(name + "[whole]", graph, kGraphTolerance);
  }
  // One sample's activations at a time: a quarter of the whole batch's (the
  // buffers are the same up to alignment and the per-sample layouts chosen).
  EXPECT_LT(memory_of(graph, "1").activation_bytes * 3, memory_of(graph, "0").activation_bytes) << name;
}

// Each graph mixes samples (or may): it must not be split, and still match.
TEST(OnednnBatchSplit, GraphsThatMixSamplesRunWhole) {
  struct Mixing {
    std::string name;
    std::function<void(GraphBuilder&, const std::string&)> tail; // x [4,8,6,6] -> "y"
  };
  const std::vector<Mixing> cases{
      {"softmax_axis0",
       [](GraphBuilder& b, const std::string& x) {
         b.node("Softmax", {x}, {"y"}).attrs.set("axis", std::int64_t{0});
       }},
      {"transpose_batch",
       [](GraphBuilder& b, const std::string& x) {
         b.node("Transpose", {x}, {"t"}).attrs.set("perm", Ints{1, 0, 2, 3}); // [8,4,6,6]
         b.node("Reshape", {"t", b.constant("s", tensor_of<std::int64_t>({4}, {4, 8, 6, 6}))}, {"y"});
       }},
      {"reshape_across_batch",
       [](GraphBuilder& b, const std::string& x) {
         b.node("Reshape", {x, b.constant("s", tensor_of<std::int64_t>({4}, {2, 16, 6, 6}))}, {"r"});
         b.node("Softmax", {"r"}, {"p"}).attrs.set("axis", std::int64_t{1});
         b.node("Reshape", {"p", b.constant("s2", tensor_of<std::int64_t>({4}, {4, 8, 6, 6}))}, {"y"});
       }},
      {"batch_constant",
       [](GraphBuilder& b, const std::string& x) {
         b.node("Add", {x, b.random_constant("c", {4, 8, 1, 1})}, {"y"});
       }},
      {"reduce_batch",
       [](GraphBuilder& b, const std::string& x) {
         b.node("ReduceMean", {x}, {"m"}).attrs.set("axes", Ints{0});
         b.node("Sub", {x, "m"}, {"y"});
       }},
      {"concat_batch",
       [](GraphBuilder& b, const std::string& x) {
         b.node("Concat", {x, x}, {"c"}).attrs.set("axis", std::int64_t{0});
         b.node("Slice",
                {"c", b.constant("st", tensor_of<std::int64_t>({1}, {2})),
                 b.constant("en", tensor_of<std::int64_t>({1}, {6})),
                 b.constant("ax", tensor_of<std::int64_t>({1}, {0}))},
                {"y"});
       }},
  };
  for (const Mixing& m : cases) {
    const std::string name = "Graph(mixing," + m.name + ",[4,8,6,6])";
    if (!selected(name)) continue;
    GraphBuilder b(seed_of(name));
    const std::string x = conv_silu(b, b.input("x", {4, 8, 6, 6}), 8, 8, 3, "conv");
    m.tail(b, x);
    b.output("y");
    const Graph graph = b.build();
    EXPECT_FALSE(onednn::per_sample_graph(graph).has_value()) << name;
    expect_matches_reference(name, graph, kGraphTolerance);
  }
}

TEST(OnednnBatchSplit, EnvironmentTurnsItOff) {
  const Graph graph = separable_graph(2, 7);
  EXPECT_TRUE(onednn::per_sample_graph(graph).has_value());
  const ScopedEnv env("TILESCOPE_BATCH_SPLIT", "0");
  EXPECT_FALSE(onednn::per_sample_graph(graph).has_value());
}

bool winograd_layouts() {
  const char* algo = std::getenv("TILESCOPE_CONV_ALGO");
  return dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core &&
         (algo == nullptr || std::string(algo) != "direct");
}

// The C3k2 halves are dense regions of the Concat's buffer: cv1 writes them,
// the bottleneck reads the second one and writes its slot, so the Concat and
// the Slices cost no step. The Concat output is also read by a second node.
TEST(OnednnConcatSlots, C3k2BlockWritesItsConcatInPlace) {
  const std::string name = "Graph(c3k2_slots,[1,32,20,20])";
  GraphBuilder b(seed_of(name));
  const std::string f = c3k2(b, b.input("x", {1, 32, 20, 20}), 32, "blk");
  b.node("MaxPool", {"blk_cat"}, {"pool"}).attrs.set("kernel_shape", Ints{2, 2});
  b.last_node().attrs.set("strides", Ints{2, 2});
  b.output(f);
  b.output("pool");
  const Graph graph = b.build();
  expect_matches_reference(name, graph, kGraphTolerance);
  if (!winograd_layouts()) GTEST_SKIP() << "slots follow the Winograd layout (AVX-512)";
  const std::vector<std::string> labels = onednn::step_labels(*compile_onednn(graph, 2));
  for (const std::string& label : labels) {
    EXPECT_NE(label, "Concat") << name << ": " << ::testing::PrintToString(labels);
    EXPECT_NE(label, "Reorder(view)") << name << ": " << ::testing::PrintToString(labels);
  }
}

// Inputs that cannot take a slot (a graph input, a value read twice by the
// Concat, channel counts off the block size) are copied; the rest still go in
// place, and the result is the same.
TEST(OnednnConcatSlots, MixedInputsStillMatch) {
  struct Case {
    std::string name;
    std::int64_t channels;
  };
  for (const Case& k : {Case{"aligned", 16}, Case{"unaligned", 12}}) {
    const std::string name =
        "Graph(concat_mixed," + k.name + ",[1," + std::to_string(k.channels) + ",10,10])";
    if (!selected(name)) continue;
    GraphBuilder b(seed_of(name));
    const std::string x = b.input("x", {1, k.channels, 10, 10});
    const std::string c1 = conv_silu(b, x, k.channels, k.channels, 3, "c1");
    const std::string c2 = conv_silu(b, c1, k.channels, k.channels, 1, "c2");
    b.node("Concat", {c1, x, c2, c1}, {"cat"}).attrs.set("axis", std::int64_t{1});
    const std::string y = conv_silu(b, "cat", 4 * k.channels, 16, 1, "head");
    b.output(y);
    b.output(c2); // also a graph output: it keeps its own storage
    expect_matches_reference(name, b.build(), kGraphTolerance);
  }
}

} // namespace
} // namespace tilescope::engine::onednn_test
