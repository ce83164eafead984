// Pad (opset 2-19), any element type. Opset < 11 takes attributes `pads`,
// `mode`, `value`; opset 11+ inputs [data, pads, constant_value (optional),
// axes (optional, 18+)]. pads = [begin per axis..., end per axis...]; negative
// pads crop. Modes: constant, edge (repeat the border element), reflect (mirror
// without repeating the border, numpy's "reflect", repeated for pads past the
// dim) and wrap (19: periodic).
#include "backends/reference/numeric.h"

#include <algorithm>
#include <type_traits>
#include <vector>

namespace tilescope::engine::reference {
namespace {

enum class PadMode { kConstant, kEdge, kReflect, kWrap };

struct PadAttrs {
  PadMode mode = PadMode::kConstant;
  std::vector<std::int64_t> begin; // per dim of data
  std::vector<std::int64_t> end;
};

// Reads mode and pads from attributes or inputs; `pads` / `axes` are those
// inputs' values (opset 11+, axes may be nullptr).
PadAttrs parse_pad(const Node& node, std::int64_t opset, const Shape& x, const Tensor* pads,
                   const Tensor* axes, const InferContext* ctx) {
  auto fail = [&](const std::string& message) -> void {
    if (ctx != nullptr) ctx->fail(message);
    throw Error(node.describe() + ": " + message);
  };
  PadAttrs a;
  const std::string mode = node.attrs.get_string("mode", "constant");
  if (mode == "constant") {
    a.mode = PadMode::kConstant;
  } else if (mode == "edge") {
    a.mode = PadMode::kEdge;
  } else if (mode == "reflect") {
    a.mode = PadMode::kReflect;
  } else if (mode == "wrap") {
    a.mode = PadMode::kWrap;
  } else {
    fail("attribute 'mode' value '" + mode + "' is not supported (constant, edge, reflect, wrap)");
  }
  const auto rank = static_cast<std::int64_t>(x.size());
  std::vector<std::int64_t> values;
  if (opset < 11) {
    values = node.attrs.get_ints(node.attrs.has("pads") ? "pads" : "paddings"); // "paddings": opset 1
  } else {
    values = pads->to_int64_vector();
  }
  std::vector<std::int64_t> dims;
  if (axes != nullptr) {
    for (std::int64_t axis : axes->to_int64_vector()) {
      const std::int64_t d = axis < 0 ? axis + rank : axis;
      if (d < 0 || d >= rank || std::count(dims.begin(), dims.end(), d) != 0) {
        fail("input 'axes' " + shape_str(axes->to_int64_vector()) + " is out of range or repeats for rank " +
             std::to_string(rank));
      }
      dims.push_back(d);
    }
  } else {
    for (std::int64_t d = 0; d < rank; ++d)
      dims.push_back(d);
  }
  const std::size_t n = dims.size();
  if (values.size() != 2 * n) {
    fail("pads " + shape_str(values) + " has " + std::to_string(values.size()) + " values, expected " +
         std::to_string(2 * n) + " for input " + shape_str(x));
  }
  a.begin.assign(x.size(), 0);
  a.end.assign(x.size(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    const auto d = static_cast<std::size_t>(dims[i]);
    a.begin[d] = values[i];
    a.end[d] = values[i + n];
    const std::int64_t out = x[d] + a.begin[d] + a.end[d];
    if (out < 0)
      fail("pads " + shape_str(values) + " crop dim " + std::to_string(d) + " of " + shape_str(x) +
           " below 0");
    if (x[d] == 0 && out > 0 && a.mode != PadMode::kConstant) {
      fail("mode '" + mode + "' cannot pad dim " + std::to_string(d) + " of the empty input " + shape_str(x));
    }
  }
  return a;
}

// Input index along one dim for output index o, or -1 for the constant value.
std::int64_t source_index(PadMode mode, std::int64_t o, std::int64_t begin, std::int64_t n) {
  const std::int64_t i = o - begin;
  if (i >= 0 && i < n) return i;
  switch (mode) {
  case PadMode::kConstant: return -1;
  case PadMode::kEdge: return std::clamp<std::int64_t>(i, 0, n - 1);
  case PadMode::kReflect: {
    if (n == 1) return 0;
    const std::int64_t period = 2 * (n - 1);
    const std::int64_t m = ((i % period) + period) % period;
    return m < n ? m : period - m;
  }
  case PadMode::kWrap: return ((i % n) + n) % n;
  }
  return -1;
}

template <class T> T constant_value(const KernelContext& ctx) {
  if (ctx.opset < 11) return store_as<T>(static_cast<double>(ctx.node.attrs.get_float("value", 0.0f)));
  if (!ctx.has_input(2) || ctx.in(2).size() == 0) return T{};
  const Tensor& v = ctx.in(2);
  if (v.dtype() == dtype_of<T>()) return v.data<T>()[0];
  return is_float_dtype(v.dtype()) ? store_as<T>(v.get_as_double(0)) : store_as<T>(v.get_as_int(0));
}

template <class T> void pad_loop(const PadAttrs& a, const Tensor& x, T value, Tensor& y) {
  const Shape& xs = x.shape();
  const Shape& ys = y.shape();
  const std::size_t rank = xs.size();
  const std::vector<std::int64_t> x_strides = strides_of(xs);
  // Per dim, the input offset (index * stride) of every output index, or -1.
  std::vector<std::vector<std::int64_t>> src(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    for (std::int64_t o = 0; o < ys[d]; ++o) {
      const std::int64_t i = source_index(a.mode, o, a.begin[d], xs[d]);
      src[d].push_back(i < 0 ? -1 : i * x_strides[d]);
    }
  }
  const T* in = x.data<T>();
  T* out = y.data<T>();
  std::vector<std::int64_t> o(rank, 0);
  for (std::int64_t flat = 0; flat < y.size(); ++flat) {
    std::int64_t offset = 0;
    bool inside = true;
    for (std::size_t d = 0; d < rank && inside; ++d) {
      const std::int64_t s = src[d][static_cast<std::size_t>(o[d])];
      inside = s >= 0;
      offset += s;
    }
    out[flat] = inside ? in[offset] : value;
    for (std::size_t d = rank; d > 0 && ++o[d - 1] == ys[d - 1];)
      o[--d] = 0;
  }
}

Shape padded_shape(const PadAttrs& a, const Shape& x) {
  Shape y = x;
  for (std::size_t d = 0; d < x.size(); ++d)
    y[d] += a.begin[d] + a.end[d];
  return y;
}

void infer(InferContext& ctx) {
  const Tensor* pads = ctx.opset() >= 11 ? &ctx.require_constant(1) : nullptr;
  const Tensor* axes = ctx.opset() >= 11 && ctx.has_input(3) ? &ctx.require_constant(3) : nullptr;
  if (ctx.opset() >= 11 && ctx.has_input(2) && ctx.dtype(2) != ctx.dtype(0)) {
    ctx.fail("input 'constant_value' has element type " + std::string(dtype_name(ctx.dtype(2))) + ", data " +
             std::string(dtype_name(ctx.dtype(0))) + "; they must match");
  }
  const PadAttrs a = parse_pad(ctx.node(), ctx.opset(), ctx.shape(0), pads, axes, &ctx);
  ctx.set_output(0, ctx.dtype(0), padded_shape(a, ctx.shape(0)));
}

void run(const KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  const Tensor* pads = ctx.opset >= 11 ? &ctx.in(1) : nullptr;
  const Tensor* axes = ctx.opset >= 11 && ctx.has_input(3) ? &ctx.in(3) : nullptr;
  const PadAttrs a = parse_pad(ctx.node, ctx.opset, x.shape(), pads, axes, nullptr);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    pad_loop<T>(a, x, constant_value<T>(ctx), ctx.out(0));
  });
}

} // namespace

void register_pad(OpRegistry& r) { r.add({"", "Pad", infer, run}); }

} // namespace tilescope::engine::reference
