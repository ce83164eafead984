// Compile-time state of the oneDNN backend: where each value is stored and in
// which layout, the buffers, and the steps built so far. Kernel builders
// (kernel_registry.h) talk to it through this interface only:
//
//   read(value, md)      - the value in layout md; a reorder is inserted (and
//                          cached for later readers) when it is stored otherwise;
//   define(value, md)    - fresh arena storage for an output;
//   define_alias(...)    - an output stored in existing storage (in-place ops,
//                          views, the conv `sum` post-op), allowed when
//                          can_overwrite() or when the output only reads;
//   add_primitive(...)   - appends a step; buffer lifetimes follow from the
//                          steps that touch them, which is what memory planning
//                          needs.
//
// Values keep the layout their producer chose: conversions happen only where a
// consumer needs another one. Graph inputs and constants start plain.
//
// Element types. Every value is float32 to the graph; in bf16 mode
// (bf16_plan.h) some are stored as bfloat16, and in int8 models (QConv nodes,
// quant_plan.h) some as uint8 with a scale and zero point. layout() and
// read_as_is() speak float32 whatever the storage, so that builders unaware of
// either stay correct (read() inserts the conversion, dequantizing u8);
// aware builders (convolution, QConv, Concat, pooling, resize, Split/Slice
// views) ask planned_type(), quant() and stored_layout().
#pragma once

#include "backends/onednn/layout.h"
#include "backends/onednn/plan.h"
#include "backends/onednn/quant_plan.h"
#include "tilescope/engine/graph.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace tilescope::engine::onednn {

class Compiler {
public:
  // `inputs_as_tensors`: fallback kernels may read graph inputs as the
  // caller's Tensors; false when the executable runs on raw input pointers
  // (batch splitting), so fallbacks stage a copy instead.
  // `bf16`: convolutions compute in bfloat16 and the values plan_bf16_values
  // picks are stored so.
  Compiler(const Graph& graph, dnnl::engine engine, bool inputs_as_tensors = true, bool bf16 = false);

  const Graph& graph() const { return graph_; }
  const dnnl::engine& engine() const { return engine_; }
  std::int64_t opset() const { return graph_.opset; }
  const ValueType& type(const std::string& value) const { return graph_.type_of(value); }
  bool is_f32(const std::string& value) const { return type(value).dtype == DType::kFloat32; }
  // The initializer behind `value`, or nullptr for runtime values.
  const Tensor* constant(const std::string& value) const { return graph_.find_initializer(value); }

  // Layout of `value` as stored now: its producer's choice (plain for graph
  // inputs and constants); for a strided view, the dense layout of the same
  // dimension order, which read() then materialises (once) for dense readers.
  // Always an f32 descriptor (the stored one's format with f32 elements).
  Md layout(const std::string& value) const;
  // layout() with the stored element type (bf16 for values stored so).
  Md stored_layout(const std::string& value) const;
  // Bf16 mode (convolutions in bfloat16) and the values stored in bf16.
  bool bf16() const { return bf16_; }
  bool stores_bf16(const std::string& value) const { return bf16_values_.count(value) != 0; }
  // The quantization of a value planned as uint8 (quant_plan.h), or nullptr.
  const Quant* quant(const std::string& value) const;
  // The element type `value` is planned to be stored in: bf16, u8 or f32.
  // Producers that honour it write it; read() converts from whatever they wrote.
  dnnl::memory::data_type planned_type(const std::string& value) const;
  // The quantization of `value`'s stored bytes when they are u8, else nullopt.
  std::optional<Quant> stored_quant(const std::string& value) const;
  // `value` in layout `md` (same dims). Constants are converted once, now, and
  // may be read with other dims of the same element count (their bytes seen
  // plain with md's dims: grouped conv weights).
  MemRef read(const std::string& value, const Md& md);
  MemRef read_plain(const std::string& value) { return read(value, plain_md(type(value).shape)); }
  MemRef read_as_is(const std::string& value) { return read(value, layout(value)); }
  // `value` exactly as stored, which may be a strided view into another value's
  // buffer (Slice/Split outputs): for steps that are reorders, which read any
  // strides, so that a view needs no copy of its own.
  MemRef read_any(const std::string& value) { return state_of(value).ref; }
  // `value` read plain and viewed with `dims` of the same element count (rank
  // padding for broadcasting, Reshape).
  MemRef read_reshaped(const std::string& value, const Dims& dims);

  // True when `node` may write over `value`'s storage: it lives in the arena
  // and every read still to come is one of `node`'s own inputs.
  bool can_overwrite(const Node& node, const std::string& value) const;
  // Takes a copy of `value` already made in layout `md` for earlier readers, for
  // the caller to overwrite: the copy leaves the cache (a later reader wanting
  // that layout gets a new one). nullopt when there is none, or when a view
  // reads it, or when it is `read_by_caller` (the step also reads it).
  std::optional<MemRef> take_copy(const std::string& value, const Md& md, const MemRef& read_by_caller);

  // Fresh arena storage for output `value` in layout `md`, or its planned
  // slot when it has one in that layout.
  MemRef define(const std::string& value, const Md& md);

  // Planned storage (concat.cpp, plan_concat_slots): before any node is built,
  // a Concat output gets its buffer and inputs get their region of it (a slot),
  // so that producers writing the slot's layout fill the Concat for free.
  // Fresh arena storage bound to no value yet.
  MemRef new_arena_ref(const Md& md);
  // Gives `value` a slot; false when it already has one.
  bool plan_slot(const std::string& value, const MemRef& slot);
  // The slot of `value`, or nullptr.
  const MemRef* slot(const std::string& value) const;
  // Output `value` stored in `ref`'s storage; `ref.md` must have its dims.
  void define_alias(const std::string& value, const MemRef& ref);
  // Output `value` as the region at `offsets` of `parent` (a Split/Slice view):
  // a dense tensor at a byte offset when the region is one (layout.h,
  // dense_region), else a strided sub-memory.
  void define_view(const std::string& value, const MemRef& parent, const Dims& offsets);
  // For a value made by define_view: where it lies in its parent; else nullptr.
  struct ViewOf {
    MemRef parent;
    Dims offsets;
  };
  const ViewOf* view_of(const std::string& value) const;
  // Output `value` in its planned slot when it has one in `input_ref`'s
  // layout, else in the storage of `input` (read as `input_ref`) when `node`
  // may overwrite it, else in fresh storage of the same layout: in-place
  // elementwise ops.
  MemRef define_reusing(const Node& node, const std::string& value, const std::string& input,
                        const MemRef& input_ref);
  // Output `value` stored in a Tensor the executable owns (fallback kernels).
  Tensor* define_owned(const std::string& value);
  // A Tensor the executable owns with `value`'s type, not a value's storage
  // (fallback staging); returns it and the reference through which steps write it.
  std::pair<Tensor*, MemRef> owned_tensor(DType dtype, const Shape& shape);
  // Storage a builder made for something other than a value and that later
  // builders may reuse, under a key of the builder's choosing (qconv.cpp: one
  // quantized copy of an input for all the QConvs that read it alike).
  const MemRef* shared(const std::string& key) const;
  void share(const std::string& key, const MemRef& ref) { shared_[key] = ref; }

  // Where a Tensor-level kernel finds `value` at run time without a copy: a
  // Tensor of exactly its type, or a graph input (input_index, unless the
  // compiler was told otherwise). Both empty when
  // the value lives in the arena or under another shape (then stage a copy).
  // A constant gets its plain copy here.
  struct TensorSource {
    const Tensor* tensor = nullptr;
    int input_index = -1;
  };
  TensorSource tensor_source(const std::string& value);

  // Primitive attributes every primitive here uses (user-managed scratchpad).
  dnnl::primitive_attr attr() const;
  // Appends a primitive step; `label` is the op type for profiles.
  void add_primitive(std::string label, dnnl::primitive primitive, std::vector<std::pair<int, MemRef>> args,
                     const Md& scratchpad = Md());
  // Appends a step that runs our own `kernel` on `args` (bound like a
  // primitive's).
  void add_native(std::string label, std::unique_ptr<NativeKernel> kernel,
                  std::vector<std::pair<int, MemRef>> args);
  // Appends a step that runs `op` (on Tensors); `touched` are the arena
  // references it reads or writes, for their lifetimes.
  void add_custom(std::string label, std::unique_ptr<CustomOp> op, std::span<const MemRef> touched);
  // Executes a primitive now, on memory the caller owns (compile-time checks).
  void run_now(dnnl::primitive primitive, const std::unordered_map<int, dnnl::memory>& args);
  // A reorder step from `src` to `dst`. "Reorder" labels layout conversions;
  // ops made of reorders (Split, Transpose) pass their own op type.
  void add_reorder(const MemRef& src, const MemRef& dst, std::string label = "Reorder");
  // A reorder step that also converts between float and u8: `src_q` says how
  // u8 source bytes dequantize, `dst_q` how float values quantize into a u8
  // destination (nullopt for float sides; equal ones for a u8 copy).
  void add_quant_reorder(const MemRef& src, const std::optional<Quant>& src_q, const MemRef& dst,
                         const std::optional<Quant>& dst_q, std::string label);

  // Walk bookkeeping: compile_onednn calls begin_node before each node's
  // builder and finish_node after it.
  void begin_node(const Node& node) { current_node_ = node.name; }
  void finish_node(const Node& node);
  // Called once after the last node: graph outputs are read by the copy-out.
  void finish_graph();

  // Results, moved out by the executable.
  std::vector<Buffer>& buffers() { return buffers_; }
  std::vector<Step>& steps() { return steps_; }
  const MemRef& stored(const std::string& value) const; // throws if undefined
  bool is_defined(const std::string& value) const { return find_state(value) != nullptr; }
  std::size_t scratchpad_bytes() const { return scratchpad_bytes_; }

private:
  struct ValueState {
    MemRef ref;                 // primary storage
    std::vector<MemRef> copies; // the same data converted for other readers
    std::optional<ViewOf> view; // set by define_view
  };

  int new_buffer(StorageKind kind, std::size_t bytes);
  void touch(const MemRef& ref);
  ValueState& state_of(const std::string& value);
  const ValueState* find_state(const std::string& value) const;
  ValueState& constant_state(const std::string& value);
  void define_state(const std::string& value, MemRef ref);

  const Graph& graph_;
  dnnl::engine engine_;
  dnnl::stream stream_; // compile-time reorders of constants
  std::vector<Buffer> buffers_;
  std::vector<Step> steps_;
  std::map<std::string, ValueState> values_;
  std::map<std::string, int> uses_left_; // per value: reads not yet compiled
  std::map<std::string, MemRef> slots_;
  std::map<std::string, MemRef> shared_;
  std::size_t scratchpad_bytes_ = 0;
  std::string current_node_;
  bool inputs_as_tensors_ = true;
  bool bf16_ = false;
  std::set<std::string> bf16_values_;
  std::map<std::string, Quant> u8_values_;
};

} // namespace tilescope::engine::onednn
