// Differential testing of the onednn backend against the reference backend
// (ggml's test-backend-ops / ncnn's testutil style): build a small graph, run it
// on both with the same random inputs, compare by error relative to the
// reference's magnitude.
//
// Each case has a re-runnable name such as "Conv(k=3,s=2,g=1,[1,16,32,32])".
// The environment variable ONEDNN_CASE=<substring> restricts every grid test to
// the cases whose name contains it.
#pragma once

#include "backends/executable.h"
#include "passes/passes.h"
#include "tilescope/engine/graph.h"

#include <cmath>
#include <cstdlib>
#include <functional>
#include <gtest/gtest.h>
#include <random>
#include <string>
#include <vector>

namespace tilescope::engine::onednn_test {

inline std::uint32_t seed_of(const std::string& name) {
  return static_cast<std::uint32_t>(std::hash<std::string>{}(name));
}

inline Tensor random_tensor(Shape shape, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& v : t.values<float>())
    v = dist(rng);
  return t;
}

template <class T> Tensor tensor_of(Shape shape, std::vector<T> values) {
  return Tensor::from<T>(std::move(shape), std::span<const T>(values.data(), values.size()));
}

// Builds a graph node by node; build() runs shape inference.
class GraphBuilder {
public:
  explicit GraphBuilder(std::uint32_t seed, std::int64_t opset = 17) : rng_(seed) {
    graph_.name = "onednn_test";
    graph_.opset = opset;
  }

  std::string input(const std::string& name, const Shape& shape, DType dtype = DType::kFloat32) {
    ValueInfo info{name, dtype, {}, true};
    for (std::int64_t d : shape)
      info.dims.push_back(Dim{d, ""});
    graph_.inputs.push_back(std::move(info));
    return name;
  }
  std::string constant(const std::string& name, Tensor value) {
    graph_.initializers.insert_or_assign(name, std::move(value));
    return name;
  }
  std::string random_constant(const std::string& name, const Shape& shape, float scale = 1.0f) {
    return constant(name, random_tensor(shape, rng_, -scale, scale));
  }
  Node& node(const std::string& op_type, std::vector<std::string> inputs, std::vector<std::string> outputs,
             const std::string& domain = "") {
    Node n;
    n.name = "n" + std::to_string(graph_.nodes.size()) + "_" + op_type;
    n.op_type = op_type;
    n.domain = domain;
    n.inputs = std::move(inputs);
    n.outputs = std::move(outputs);
    graph_.nodes.push_back(std::move(n));
    return graph_.nodes.back();
  }
  Node& last_node() { return graph_.nodes.back(); }
  void output(const std::string& name) {
    graph_.outputs.push_back(ValueInfo{name, DType::kFloat32, {}, false});
  }
  std::mt19937& rng() { return rng_; }

  Graph build() {
    passes::infer_shapes(graph_);
    for (ValueInfo& out : graph_.outputs)
      out.dtype = graph_.type_of(out.name).dtype;
    return std::move(graph_);
  }

private:
  Graph graph_;
  std::mt19937 rng_;
};

// Largest |onednn - reference| over all outputs divided by the largest
// |reference| (at least 1e-3, so that all-zero outputs compare absolutely).
struct Comparison {
  double relative_error = 0.0;
  std::string problem; // non-empty when shapes/types/counts differ
};

inline std::vector<Tensor> random_inputs(const Graph& graph, std::uint32_t seed) {
  std::mt19937 rng(seed ^ 0x9e3779b9u);
  std::vector<Tensor> inputs;
  for (const ValueInfo& in : graph.inputs)
    inputs.push_back(random_tensor(graph.type_of(in.name).shape, rng));
  return inputs;
}

inline Comparison compare_outputs(const std::vector<Tensor>& expected, const std::vector<Tensor>& actual) {
  Comparison c;
  if (expected.size() != actual.size()) {
    c.problem = std::to_string(actual.size()) + " outputs, expected " + std::to_string(expected.size());
    return c;
  }
  double max_ref = 1e-3;
  double max_err = 0.0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (expected[i].dtype() != actual[i].dtype() || expected[i].shape() != actual[i].shape()) {
      c.problem = "output " + std::to_string(i) + " is " + shape_str(actual[i].shape()) + ", expected " +
                  shape_str(expected[i].shape());
      return c;
    }
    for (std::int64_t k = 0; k < expected[i].size(); ++k) {
      const double r = expected[i].get_as_double(k);
      const double a = actual[i].get_as_double(k);
      max_ref = std::max(max_ref, std::fabs(r));
      const double err = std::fabs(a - r);
      if (!(err <= max_err)) max_err = std::isnan(err) ? INFINITY : err;
    }
  }
  c.relative_error = max_err / max_ref;
  return c;
}

inline std::vector<Tensor> run(Executable& exe, const std::vector<Tensor>& inputs) {
  std::vector<const Tensor*> ptrs;
  for (const Tensor& t : inputs)
    ptrs.push_back(&t);
  return exe.run(ptrs);
}

// True when the case should run under the ONEDNN_CASE filter.
inline bool selected(const std::string& name) {
  const char* filter = std::getenv("ONEDNN_CASE");
  return filter == nullptr || name.find(filter) != std::string::npos;
}

// Compiles `graph` on both backends, runs both twice on the same random inputs
// (the second run checks that nothing depends on leftovers of the first) and
// expects agreement within `tolerance` (relative, see Comparison).
inline void expect_matches_reference(const std::string& name, const Graph& graph, double tolerance,
                                     int threads = 2) {
  SCOPED_TRACE("case " + name + " (rerun: ONEDNN_CASE='" + name + "')");
  const std::vector<Tensor> inputs = random_inputs(graph, seed_of(name));
  std::vector<Tensor> expected = run(*compile_reference(graph), inputs);
  std::unique_ptr<Executable> exe = compile_onednn(graph, threads);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const Comparison c = compare_outputs(expected, run(*exe, inputs));
    EXPECT_EQ(c.problem, "") << name;
    EXPECT_LE(c.relative_error, tolerance) << name << " (run " << attempt + 1 << ")";
  }
}

} // namespace tilescope::engine::onednn_test
