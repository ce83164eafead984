#include "backends/onednn/compiler.h"

#include "backends/onednn/bf16_plan.h"

#include <algorithm>
#include <cstring>

namespace tilescope::engine::onednn {

Compiler::Compiler(const Graph& graph, dnnl::engine engine, bool inputs_as_tensors, bool bf16)
    : graph_(graph), engine_(std::move(engine)), stream_(engine_), inputs_as_tensors_(inputs_as_tensors),
      bf16_(bf16) {
  if (bf16_) bf16_values_ = plan_bf16_values(graph_);
  u8_values_ = plan_u8_values(graph_);
  for (const Node& node : graph_.nodes) {
    for (const std::string& input : node.inputs) {
      if (!input.empty()) ++uses_left_[input];
    }
  }
  for (const ValueInfo& output : graph_.outputs)
    ++uses_left_[output.name];
  for (std::size_t i = 0; i < graph_.inputs.size(); ++i) {
    const ValueInfo& input = graph_.inputs[i];
    const ValueType& vt = type(input.name);
    const int b = new_buffer(StorageKind::kInput, num_elements(vt.shape) * dtype_size(vt.dtype));
    buffers_[b].external_index = i;
    buffers_[b].overwritable = false;
    define_state(input.name, MemRef{b, 0, vt.dtype == DType::kFloat32 ? plain_md(vt.shape) : Md()});
  }
}

int Compiler::new_buffer(StorageKind kind, std::size_t bytes) {
  Buffer buffer;
  buffer.kind = kind;
  buffer.bytes = bytes;
  buffers_.push_back(std::move(buffer));
  return static_cast<int>(buffers_.size()) - 1;
}

void Compiler::touch(const MemRef& ref) {
  Buffer& b = buffers_.at(ref.buffer);
  const int step = static_cast<int>(steps_.size());
  if (b.first_step < 0) b.first_step = step;
  b.last_step = std::max(b.last_step, step);
}

const Compiler::ValueState* Compiler::find_state(const std::string& value) const {
  auto it = values_.find(value);
  return it == values_.end() || it->second.ref.buffer < 0 ? nullptr : &it->second;
}

Compiler::ValueState& Compiler::state_of(const std::string& value) {
  if (constant(value) != nullptr) return constant_state(value);
  auto it = values_.find(value);
  if (it == values_.end() || it->second.ref.buffer < 0) {
    throw Error("onednn backend: value '" + value + "' is read before any node produced it");
  }
  return it->second;
}

// Constants get a plain copy only when someone reads them plain: conv weights
// are reordered straight from the graph's initializer, so the executable does
// not hold them twice.
Compiler::ValueState& Compiler::constant_state(const std::string& value) {
  ValueState& st = values_[value];
  if (st.ref.buffer >= 0) return st;
  const Tensor& t = *constant(value);
  const int b = new_buffer(StorageKind::kConstant, t.nbytes());
  buffers_[b].storage = std::make_unique<Tensor>(t.clone());
  buffers_[b].overwritable = false;
  st.ref = MemRef{b, 0, t.dtype() == DType::kFloat32 ? plain_md(t.shape()) : Md()};
  return st;
}

void Compiler::define_state(const std::string& value, MemRef ref) {
  ValueState& st = values_[value];
  if (st.ref.buffer >= 0) throw Error("onednn backend: value '" + value + "' is defined twice");
  buffers_[ref.buffer].uses_left += uses_left_[value];
  st.ref = std::move(ref);
}

Md Compiler::layout(const std::string& value) const {
  return with_type(stored_layout(value), dnnl::memory::data_type::f32);
}

Md Compiler::stored_layout(const std::string& value) const {
  if (const Tensor* t = constant(value)) return plain_md(t->shape());
  const ValueState* st = find_state(value);
  if (st == nullptr) throw Error("onednn backend: value '" + value + "' is read before any node produced it");
  return is_dense(st->ref.md) ? st->ref.md : same_order(st->ref.md, st->ref.md.dims());
}

const Quant* Compiler::quant(const std::string& value) const {
  auto it = u8_values_.find(value);
  return it == u8_values_.end() ? nullptr : &it->second;
}

dnnl::memory::data_type Compiler::planned_type(const std::string& value) const {
  if (stores_bf16(value)) return dnnl::memory::data_type::bf16;
  if (quant(value) != nullptr) return dnnl::memory::data_type::u8;
  return dnnl::memory::data_type::f32;
}

std::optional<Quant> Compiler::stored_quant(const std::string& value) const {
  if (constant(value) != nullptr) return std::nullopt;
  const ValueState* st = find_state(value);
  if (st == nullptr || st->ref.md.data_type() != dnnl::memory::data_type::u8) return std::nullopt;
  const Quant* q = quant(value);
  if (q == nullptr)
    throw Error("onednn backend: value '" + value + "' is stored as u8 without a quantization");
  return *q;
}

MemRef Compiler::read(const std::string& value, const Md& md) {
  if (!is_f32(value)) throw Error("onednn backend: value '" + value + "' is not float32");
  if (const Tensor* t = constant(value);
      t != nullptr && is_plain(md) && md.data_type() == dnnl::memory::data_type::f32) {
    if (md.get_size() != t->nbytes()) {
      throw Error("onednn backend: constant '" + value + "' " + shape_str(t->shape()) +
                  " cannot be read as " + md_str(md));
    }
    MemRef ref = constant_state(value).ref;
    ref.md = md;
    return ref;
  }
  ValueState& st = values_[value];
  if (st.ref.buffer >= 0 && same_layout(st.ref.md, md)) return MemRef{st.ref.buffer, st.ref.offset, md};
  for (const MemRef& copy : st.copies) {
    if (same_layout(copy.md, md)) return copy;
  }
  if (const Tensor* t = constant(value)) {
    const int b = new_buffer(StorageKind::kConstant, md.get_size());
    buffers_[b].storage =
        std::make_unique<Tensor>(DType::kUInt8, Shape{static_cast<std::int64_t>(md.get_size())});
    buffers_[b].overwritable = false;
    // The initializer's bytes seen plain with md's dims (e.g. grouped conv
    // weights [G, O/G, I/G, kh, kw] over ONNX's [O, I/G, kh, kw]).
    if (plain_md(md.dims()).get_size() != t->nbytes()) {
      throw Error("onednn backend: constant '" + value + "' " + shape_str(t->shape()) +
                  " cannot be read as " + md_str(md));
    }
    dnnl::memory src(plain_md(md.dims()), engine_, const_cast<void*>(t->raw()));
    dnnl::memory dst(md, engine_, buffers_[b].storage->raw());
    dnnl::reorder(src, dst).execute(stream_, src, dst);
    stream_.wait();
    st.copies.push_back(MemRef{b, 0, md});
    return st.copies.back();
  }
  const MemRef& from = state_of(value).ref;
  const int b = new_buffer(StorageKind::kArena, md.get_size());
  // Later readers may share the copy: nobody may overwrite it in place.
  buffers_[b].overwritable = false;
  MemRef copy{b, 0, md};
  std::optional<Quant> dst_q;
  if (md.data_type() == dnnl::memory::data_type::u8) {
    const Quant* q = quant(value);
    if (q == nullptr)
      throw Error("onednn backend: value '" + value + "' has no quantization to read it as u8");
    dst_q = *q;
  }
  add_quant_reorder(from, stored_quant(value), copy, dst_q, is_dense(from.md) ? "Reorder" : "Reorder(view)");
  st.copies.push_back(copy);
  return copy;
}

MemRef Compiler::read_reshaped(const std::string& value, const Dims& dims) {
  MemRef ref = read_plain(value);
  const Md md = plain_md(dims);
  if (md.get_size() != ref.md.get_size()) {
    throw Error("onednn backend: cannot view value '" + value + "' " + md_str(ref.md) + " as " + md_str(md));
  }
  ref.md = md;
  return ref;
}

bool Compiler::can_overwrite(const Node& node, const std::string& value) const {
  if (constant(value) != nullptr) return false;
  const ValueState* st = find_state(value);
  if (st == nullptr) return false;
  const Buffer& b = buffers_[st->ref.buffer];
  if (b.kind != StorageKind::kArena || !b.overwritable) return false;
  int own_reads = 0;
  for (const std::string& input : node.inputs) {
    if (input.empty() || constant(input) != nullptr) continue;
    const ValueState* other = find_state(input);
    if (other != nullptr && other->ref.buffer == st->ref.buffer) ++own_reads;
  }
  return b.uses_left == own_reads;
}

std::optional<MemRef> Compiler::take_copy(const std::string& value, const Md& md,
                                          const MemRef& read_by_caller) {
  auto st = values_.find(value);
  if (st == values_.end()) return std::nullopt;
  std::vector<MemRef>& copies = st->second.copies;
  for (auto it = copies.begin(); it != copies.end(); ++it) {
    // uses_left of a copy's buffer counts the values viewing it (a Slice of a copy).
    const Buffer& buffer = buffers_[it->buffer];
    if (same_layout(it->md, md) && buffer.kind == StorageKind::kArena && buffer.uses_left == 0 &&
        it->buffer != read_by_caller.buffer) {
      MemRef copy = *it;
      copies.erase(it);
      return copy;
    }
  }
  return std::nullopt;
}

MemRef Compiler::define(const std::string& value, const Md& md) {
  if (const MemRef* planned = slot(value); planned != nullptr && same_layout(planned->md, md)) {
    define_state(value, *planned);
    return *planned;
  }
  const int b = new_buffer(StorageKind::kArena, md.get_size());
  MemRef ref{b, 0, md};
  define_state(value, ref);
  return ref;
}

MemRef Compiler::new_arena_ref(const Md& md) {
  return MemRef{new_buffer(StorageKind::kArena, md.get_size()), 0, md};
}

bool Compiler::plan_slot(const std::string& value, const MemRef& slot) {
  return slots_.emplace(value, slot).second;
}

const MemRef* Compiler::slot(const std::string& value) const {
  auto it = slots_.find(value);
  return it == slots_.end() ? nullptr : &it->second;
}

void Compiler::define_alias(const std::string& value, const MemRef& ref) {
  if (ref.md.dims() != to_dims(type(value).shape)) {
    throw Error("onednn backend: value '" + value + "' " + shape_str(type(value).shape) +
                " cannot be stored as " + md_str(ref.md));
  }
  define_state(value, ref);
}

void Compiler::define_view(const std::string& value, const MemRef& parent, const Dims& offsets) {
  const Dims dims = to_dims(type(value).shape);
  if (const std::optional<DenseRegion> region = dense_region(parent.md, dims, offsets)) {
    define_alias(value, MemRef{parent.buffer, parent.offset + region->byte_offset, region->md});
  } else {
    define_alias(value, MemRef{parent.buffer, parent.offset, parent.md.submemory_desc(dims, offsets)});
  }
  values_[value].view = ViewOf{parent, offsets};
}

const Compiler::ViewOf* Compiler::view_of(const std::string& value) const {
  const ValueState* st = find_state(value);
  return st != nullptr && st->view ? &*st->view : nullptr;
}

MemRef Compiler::define_reusing(const Node& node, const std::string& value, const std::string& input,
                                const MemRef& input_ref) {
  // A planned slot in the same layout beats overwriting the input: it saves
  // the Concat's copy later.
  if (const MemRef* planned = slot(value); planned != nullptr && same_layout(planned->md, input_ref.md))
    return define(value, input_ref.md);
  const ValueState* st = find_state(input);
  const bool is_primary =
      st != nullptr && st->ref.buffer == input_ref.buffer && st->ref.offset == input_ref.offset;
  if (is_primary && can_overwrite(node, input)) {
    MemRef ref = input_ref;
    define_alias(value, ref);
    return ref;
  }
  return define(value, input_ref.md);
}

Tensor* Compiler::define_owned(const std::string& value) {
  const ValueType& vt = type(value);
  auto [tensor, ref] = owned_tensor(vt.dtype, vt.shape);
  define_state(value, ref);
  return tensor;
}

std::pair<Tensor*, MemRef> Compiler::owned_tensor(DType dtype, const Shape& shape) {
  auto tensor = std::make_unique<Tensor>(dtype, shape);
  const int b = new_buffer(StorageKind::kOwned, tensor->nbytes());
  Tensor* raw = tensor.get();
  buffers_[b].storage = std::move(tensor);
  return {raw, MemRef{b, 0, dtype == DType::kFloat32 ? plain_md(shape) : Md()}};
}

const MemRef* Compiler::shared(const std::string& key) const {
  auto it = shared_.find(key);
  return it == shared_.end() ? nullptr : &it->second;
}

Compiler::TensorSource Compiler::tensor_source(const std::string& value) {
  TensorSource source;
  for (std::size_t i = 0; i < graph_.inputs.size(); ++i) {
    if (graph_.inputs[i].name == value) source.input_index = static_cast<int>(i);
  }
  if (source.input_index >= 0) {
    if (!inputs_as_tensors_) source.input_index = -1;
    return source;
  }
  const ValueType& vt = type(value);
  const ValueState* st = constant(value) != nullptr ? &constant_state(value) : find_state(value);
  if (st == nullptr) return source;
  const Buffer& b = buffers_[st->ref.buffer];
  if (b.storage != nullptr && st->ref.offset == 0 && b.storage->dtype() == vt.dtype &&
      b.storage->shape() == vt.shape) {
    source.tensor = b.storage.get();
  }
  return source;
}

const MemRef& Compiler::stored(const std::string& value) const {
  const ValueState* st = find_state(value);
  if (st == nullptr) throw Error("onednn backend: value '" + value + "' was never produced");
  return st->ref;
}

dnnl::primitive_attr Compiler::attr() const {
  dnnl::primitive_attr attr;
  // One scratchpad buffer shared by all primitives (they run one at a time)
  // instead of one allocation per primitive.
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void Compiler::add_primitive(std::string label, dnnl::primitive primitive,
                             std::vector<std::pair<int, MemRef>> args, const Md& scratchpad) {
  for (const auto& [arg, ref] : args)
    touch(ref);
  scratchpad_bytes_ = std::max(scratchpad_bytes_, scratchpad.get_size());
  Step step;
  step.label = std::move(label);
  step.node = current_node_;
  step.primitive = std::move(primitive);
  step.arg_refs = std::move(args);
  step.scratchpad_md = scratchpad;
  steps_.push_back(std::move(step));
}

void Compiler::add_native(std::string label, std::unique_ptr<NativeKernel> kernel,
                          std::vector<std::pair<int, MemRef>> args) {
  for (const auto& [arg, ref] : args)
    touch(ref);
  Step step;
  step.label = std::move(label);
  step.node = current_node_;
  step.native = std::move(kernel);
  step.arg_refs = std::move(args);
  steps_.push_back(std::move(step));
}

void Compiler::add_custom(std::string label, std::unique_ptr<CustomOp> op, std::span<const MemRef> touched) {
  for (const MemRef& ref : touched)
    touch(ref);
  Step step;
  step.label = std::move(label);
  step.node = current_node_;
  step.custom = std::move(op);
  steps_.push_back(std::move(step));
}

void Compiler::run_now(dnnl::primitive primitive, const std::unordered_map<int, dnnl::memory>& args) {
  primitive.execute(stream_, args);
  stream_.wait();
}

void Compiler::add_reorder(const MemRef& src, const MemRef& dst, std::string label) {
  dnnl::reorder::primitive_desc pd(engine_, src.md, engine_, dst.md, attr());
  add_primitive(std::move(label), dnnl::reorder(pd), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}},
                pd.scratchpad_desc());
}

void Compiler::add_quant_reorder(const MemRef& src, const std::optional<Quant>& src_q, const MemRef& dst,
                                 const std::optional<Quant>& dst_q, std::string label) {
  using DataType = dnnl::memory::data_type;
  const bool src_u8 = src.md.data_type() == DataType::u8, dst_u8 = dst.md.data_type() == DataType::u8;
  if ((src_u8 && !src_q) || (dst_u8 && !dst_q)) {
    throw Error("onednn backend: a u8 reorder side without its quantization (" + label + ")");
  }
  if ((!src_u8 && !dst_u8) || (src_u8 && dst_u8 && *src_q == *dst_q)) {
    add_reorder(src, dst, std::move(label));
    return;
  }
  // oneDNN 2.x reorders compute dst = scale * (src - src_zp) + dst_zp, rounded
  // to nearest even and saturated for integer destinations.
  float scale = 1.0f;
  if (src_u8) scale *= src_q->scale;
  if (dst_u8) scale /= dst_q->scale;
  dnnl::primitive_attr a = attr();
  if (scale != 1.0f) a.set_output_scales(0, {scale});
  if (src_u8 && src_q->zero_point != 0) a.set_zero_points(DNNL_ARG_SRC, 0, {src_q->zero_point});
  if (dst_u8 && dst_q->zero_point != 0) a.set_zero_points(DNNL_ARG_DST, 0, {dst_q->zero_point});
  dnnl::reorder::primitive_desc pd(engine_, src.md, engine_, dst.md, a);
  add_primitive(std::move(label), dnnl::reorder(pd), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}},
                pd.scratchpad_desc());
}

void Compiler::finish_node(const Node& node) {
  for (const std::string& input : node.inputs) {
    if (input.empty() || constant(input) != nullptr) continue;
    --uses_left_[input];
    if (const ValueState* st = find_state(input)) --buffers_[st->ref.buffer].uses_left;
  }
}

void Compiler::finish_graph() {
  for (const ValueInfo& output : graph_.outputs)
    touch(state_of(output.name).ref);
}

} // namespace tilescope::engine::onednn
