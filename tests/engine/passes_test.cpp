// Graph passes: memory planning invariants, constant folding of exporter shape
// chains, and fusions checked by running the fused and unfused graphs on the
// reference backend (the fusion must not change the numbers beyond float
// rounding of the folded BatchNorm weights).
#include "passes/passes.h"
#include "tilescope/engine/session.h"

#include <cmath>
#include <gtest/gtest.h>
#include <random>

namespace tilescope::engine {
namespace {

using passes::BufferRequest;

TEST(MemoryPlan, BuffersAliveTogetherNeverOverlap) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<BufferRequest> reqs;
    for (int i = 0; i < 40; ++i) {
      int a = static_cast<int>(rng() % 30), b = static_cast<int>(rng() % 30);
      reqs.push_back({static_cast<std::size_t>(1 + rng() % 5000), std::min(a, b), std::max(a, b)});
    }
    auto plan = passes::plan_memory(reqs, 64);
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      EXPECT_EQ(plan.offsets[i] % 64, 0u);
      EXPECT_LE(plan.offsets[i] + reqs[i].bytes, plan.arena_bytes);
      for (std::size_t j = i + 1; j < reqs.size(); ++j) {
        const bool live_together =
            reqs[i].first_step <= reqs[j].last_step && reqs[j].first_step <= reqs[i].last_step;
        const bool overlap = plan.offsets[i] < plan.offsets[j] + reqs[j].bytes &&
                             plan.offsets[j] < plan.offsets[i] + reqs[i].bytes;
        EXPECT_FALSE(live_together && overlap) << "trial " << trial << " buffers " << i << " and " << j;
      }
    }
    EXPECT_LE(plan.arena_bytes, plan.naive_bytes);
  }
}

TEST(MemoryPlan, ChainReusesMemory) {
  // a -> b -> c -> d: each buffer lives two steps; two slots suffice.
  std::vector<BufferRequest> reqs = {{1024, 0, 1}, {1024, 1, 2}, {1024, 2, 3}, {1024, 3, 4}};
  auto plan = passes::plan_memory(reqs, 64);
  EXPECT_EQ(plan.arena_bytes, 2048u);
  EXPECT_EQ(plan.naive_bytes, 4096u);
}

Tensor random_tensor(Shape shape, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::uniform_real_distribution<float> d(lo, hi);
  for (float& v : t.values<float>())
    v = d(rng);
  return t;
}

Node make_node(std::string name, std::string op, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.name = std::move(name);
  n.op_type = std::move(op);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

// x -> Conv -> BN -> SiLU (Sigmoid, Mul) -> Add(x) -> Relu -> y, plus a
// Shape->Gather->Unsqueeze->Concat->Reshape chain that must fold away.
Graph residual_block(std::mt19937& rng) {
  Graph g;
  g.opset = 17;
  g.inputs.push_back({"x", DType::kFloat32, {{1, ""}, {4, ""}, {6, ""}, {5, ""}}, true});
  g.outputs.push_back({"y", DType::kFloat32, {}, false});
  g.initializers.emplace("W", random_tensor({4, 4, 3, 3}, rng, -0.3f, 0.3f));
  g.initializers.emplace("B", random_tensor({4}, rng));
  g.initializers.emplace("scale", random_tensor({4}, rng, 0.5f, 1.5f));
  g.initializers.emplace("bias", random_tensor({4}, rng));
  g.initializers.emplace("mean", random_tensor({4}, rng));
  g.initializers.emplace("var", random_tensor({4}, rng, 0.2f, 2.0f));
  g.initializers.emplace("idx", Tensor::scalar<std::int64_t>(1));
  g.initializers.emplace("minus1", Tensor::from<std::int64_t>({1}, {-1}));
  g.initializers.emplace("zero", Tensor::from<std::int64_t>({1}, {0}));

  Node conv = make_node("conv", "Conv", {"x", "W", "B"}, {"c"});
  conv.attrs.set("pads", std::vector<std::int64_t>{1, 1, 1, 1});
  g.nodes.push_back(std::move(conv));
  g.nodes.push_back(make_node("bn", "BatchNormalization", {"c", "scale", "bias", "mean", "var"}, {"n"}));
  g.nodes.push_back(make_node("sig", "Sigmoid", {"n"}, {"s"}));
  g.nodes.push_back(make_node("mul", "Mul", {"n", "s"}, {"m"}));
  g.nodes.push_back(make_node("add", "Add", {"x", "m"}, {"r"}));
  g.nodes.push_back(make_node("relu", "Relu", {"r"}, {"q"}));
  g.nodes.push_back(make_node("shape", "Shape", {"q"}, {"sh"}));
  Node gather = make_node("gather", "Gather", {"sh", "idx"}, {"ch"});
  g.nodes.push_back(std::move(gather));
  Node unsq = make_node("unsq", "Unsqueeze", {"ch", "zero"}, {"ch1"});
  g.nodes.push_back(std::move(unsq));
  Node cat = make_node("cat", "Concat", {"zero", "ch1", "minus1"}, {"newshape"});
  cat.attrs.set("axis", std::int64_t{0});
  g.nodes.push_back(std::move(cat));
  g.nodes.push_back(make_node("reshape", "Reshape", {"q", "newshape"}, {"y"}));
  return g;
}

TEST(Passes, FoldAndFuseKeepTheResult) {
  std::mt19937 rng(3);
  Graph g = residual_block(rng);
  Tensor x = random_tensor({1, 4, 6, 5}, rng);

  SessionOptions plain{Backend::kReference, 1, {}, /*fuse=*/false};
  SessionOptions fused{Backend::kReference, 1, {}, /*fuse=*/true};
  Session a = Session::from_graph(g.clone(), plain);
  Session b = Session::from_graph(g.clone(), fused);
  Tensor ya = std::move(a.run(x)[0]);
  Tensor yb = std::move(b.run(x)[0]);
  ASSERT_EQ(ya.shape(), (Shape{1, 4, 30}));
  ASSERT_EQ(yb.shape(), ya.shape());
  // Folding BN into float32 weights rounds W*s once: ~1e-7 relative per term,
  // 36 terms per output -> well under 1e-5.
  for (std::int64_t i = 0; i < ya.size(); ++i)
    EXPECT_NEAR(ya.data<float>()[i], yb.data<float>()[i], 1e-5) << i;

  // The fused graph: FusedConv(silu, sum=x) + Relu + Reshape; the shape chain folded.
  const Graph& cg = b.compiled_graph();
  std::vector<std::string> ops;
  for (const Node& n : cg.nodes)
    ops.push_back(n.op_type);
  EXPECT_EQ(ops, (std::vector<std::string>{"FusedConv", "Relu", "Reshape"}));
  EXPECT_EQ(cg.nodes[0].attrs.get_string("activation", ""), "silu");
  EXPECT_EQ(cg.nodes[0].inputs.size(), 4u);
  EXPECT_EQ(cg.nodes[0].inputs[3], "x");
  EXPECT_EQ(cg.nodes[0].fused_from, (std::vector<std::string>{"bn", "sig", "mul", "add"}));
}

TEST(Passes, DynamicInputMustBeFixed) {
  Graph g;
  g.opset = 17;
  g.inputs.push_back({"images", DType::kFloat32, {{-1, "batch"}, {3, ""}, {8, ""}, {8, ""}}, true});
  g.outputs.push_back({"y", DType::kFloat32, {}, false});
  g.nodes.push_back(make_node("relu", "Relu", {"images"}, {"y"}));
  Graph copy = g.clone();
  try {
    passes::specialize_inputs(copy, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dimension 0 ('batch') is dynamic"), std::string::npos) << e.what();
  }
  Graph wrong_rank = g.clone();
  EXPECT_THROW(passes::specialize_inputs(wrong_rank, {{"images", {1, 3, 8}}}), Error);
  Graph wrong_dim = g.clone();
  EXPECT_THROW(passes::specialize_inputs(wrong_dim, {{"images", {1, 4, 8, 8}}}), Error);
  Graph ok = g.clone();
  passes::specialize_inputs(ok, {{"images", {4, 3, 8, 8}}});
  EXPECT_EQ(ok.inputs[0].dims[0].value, 4);
}

TEST(Passes, UnsupportedOperatorsListedTogether) {
  Graph g;
  g.opset = 17;
  g.inputs.push_back({"x", DType::kFloat32, {{1, ""}}, true});
  g.outputs.push_back({"z", DType::kFloat32, {}, false});
  g.nodes.push_back(make_node("m1", "Mod", {"x", "x"}, {"a"}));
  g.nodes.push_back(make_node("m2", "Mod", {"a", "x"}, {"b"}));
  g.nodes.push_back(make_node("e", "Erf", {"b"}, {"z"}));
  try {
    Session::from_graph(std::move(g));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("Erf (1 node: e)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Mod (2 nodes: m1, m2)"), std::string::npos) << msg;
  }
}

} // namespace
} // namespace tilescope::engine
