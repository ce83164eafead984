// The operator registry: for every supported op, its shape inference and its
// reference kernel. The reference kernels are the specification every faster
// backend is checked against: plain loops, double accumulation for floats.
//
// Adding an op: one file in ops/ defining `void register_<op>(OpRegistry&)`,
// plus one line in op_registry.cpp's sorted list.
#pragma once

#include "tilescope/engine/graph.h"

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tilescope::engine::reference {

// What shape inference sees of one node: the static types of its inputs, the
// constant values of those known at load time, and the output types it must set.
class InferContext {
public:
  InferContext(const Node& node, std::int64_t opset, std::vector<const ValueType*> inputs,
               std::vector<const Tensor*> constants);

  const Node& node() const { return node_; }
  std::int64_t opset() const { return opset_; }
  std::size_t num_inputs() const { return inputs_.size(); }
  bool has_input(std::size_t i) const { return i < inputs_.size() && inputs_[i] != nullptr; }
  // Throws (via fail) when input i is absent.
  const ValueType& input(std::size_t i) const;
  const Shape& shape(std::size_t i) const { return input(i).shape; }
  DType dtype(std::size_t i) const { return input(i).dtype; }
  // The value of input i when it is a load-time constant, else nullptr.
  const Tensor* constant(std::size_t i) const { return i < constants_.size() ? constants_[i] : nullptr; }
  // Like constant(i) but fails with "input i (...) must be a constant" when unknown.
  const Tensor& require_constant(std::size_t i) const;

  std::size_t num_outputs() const { return outputs_.size(); }
  void set_output(std::size_t i, DType dtype, Shape shape);
  std::vector<ValueType>& outputs() { return outputs_; }

  // Throws tilescope::Error("node NAME (Op): message").
  [[noreturn]] void fail(const std::string& message) const;

private:
  const Node& node_;
  std::int64_t opset_;
  std::vector<const ValueType*> inputs_;
  std::vector<const Tensor*> constants_;
  std::vector<ValueType> outputs_;
};

// What a kernel sees: inputs (nullptr for absent optional ones) and outputs
// already allocated with the shapes and types shape inference gave.
struct KernelContext {
  const Node& node;
  std::int64_t opset;
  std::span<const Tensor* const> inputs;
  std::span<Tensor* const> outputs;

  bool has_input(std::size_t i) const { return i < inputs.size() && inputs[i] != nullptr; }
  const Tensor& in(std::size_t i) const { return *inputs[i]; }
  Tensor& out(std::size_t i) const { return *outputs[i]; }
};

using InferFn = void (*)(InferContext&);
using KernelFn = void (*)(const KernelContext&);

struct OpDef {
  std::string domain; // "" = ONNX default domain
  std::string op_type;
  InferFn infer = nullptr;
  KernelFn run = nullptr;
};

class OpRegistry {
public:
  void add(OpDef def);
  const OpDef* find(std::string_view domain, std::string_view op_type) const;
  std::vector<std::string> op_types() const; // sorted, "domain.Op" for non-default domains

  // Every op tilescope supports.
  static const OpRegistry& instance();

private:
  std::map<std::pair<std::string, std::string>, OpDef, std::less<>> ops_;
};

} // namespace tilescope::engine::reference
