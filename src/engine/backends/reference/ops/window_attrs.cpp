#include "backends/reference/ops/window_attrs.h"

#include <algorithm>
#include <string>

namespace tilescope::engine {
namespace {

[[noreturn]] void fail(const Node& node, const std::string& message) {
  throw Error(node.describe() + ": " + message);
}

std::string ints_str(const std::vector<std::int64_t>& v) { return shape_str(v); }

// An optional per-dim attribute: `fallback` when absent, else exactly `n` values.
std::vector<std::int64_t> ints_attr(const Node& node, const std::string& name, std::size_t n,
                                    std::int64_t fallback) {
  if (!node.attrs.has(name)) return std::vector<std::int64_t>(n, fallback);
  std::vector<std::int64_t> v = node.attrs.get_ints(name);
  if (v.size() != n) {
    fail(node, "attribute '" + name + "' " + ints_str(v) + " has " + std::to_string(v.size()) +
                   " values, expected " + std::to_string(n));
  }
  return v;
}

AutoPad parse_auto_pad(const Node& node) {
  const std::string s = node.attrs.get_string("auto_pad", "NOTSET");
  if (s == "NOTSET") return AutoPad::kNotSet;
  if (s == "SAME_UPPER") return AutoPad::kSameUpper;
  if (s == "SAME_LOWER") return AutoPad::kSameLower;
  if (s == "VALID") return AutoPad::kValid;
  fail(node,
       "attribute 'auto_pad' value '" + s + "' is not supported (NOTSET, SAME_UPPER, SAME_LOWER, VALID)");
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

WindowAttrs parse_window(const Node& node, const Shape& x, std::vector<std::int64_t> kernel_shape,
                         bool ceil_mode);

} // namespace

Shape WindowAttrs::output_shape(std::int64_t batch, std::int64_t channels) const {
  Shape s{batch, channels};
  s.insert(s.end(), output_size.begin(), output_size.end());
  return s;
}

WindowAttrs parse_window_attrs(const Node& node, const Shape& x, std::vector<std::int64_t> kernel_shape,
                               bool ceil_mode) {
  return with_node_context(node, [&] { return parse_window(node, x, std::move(kernel_shape), ceil_mode); });
}

namespace {

WindowAttrs parse_window(const Node& node, const Shape& x, std::vector<std::int64_t> kernel_shape,
                         bool ceil_mode) {
  const std::size_t rank = kernel_shape.size();
  if (x.size() != rank + 2) {
    fail(node, "input shape " + shape_str(x) + " does not fit a " + std::to_string(rank) +
                   "-d window (expected [N, C] plus " + std::to_string(rank) + " spatial dims)");
  }
  WindowAttrs w;
  w.auto_pad = parse_auto_pad(node);
  w.input_size.assign(x.begin() + 2, x.end());
  w.kernel_shape = std::move(kernel_shape);
  w.strides = ints_attr(node, "strides", rank, 1);
  w.dilations = ints_attr(node, "dilations", rank, 1);
  for (std::size_t i = 0; i < rank; ++i) {
    if (w.kernel_shape[i] < 1) fail(node, "kernel_shape " + ints_str(w.kernel_shape) + " must be positive");
    if (w.strides[i] < 1) fail(node, "attribute 'strides' " + ints_str(w.strides) + " must be positive");
    if (w.dilations[i] < 1)
      fail(node, "attribute 'dilations' " + ints_str(w.dilations) + " must be positive");
  }
  std::vector<std::int64_t> pads(2 * rank, 0);
  if (w.auto_pad == AutoPad::kNotSet) {
    pads = ints_attr(node, "pads", 2 * rank, 0);
    for (std::int64_t p : pads) {
      if (p < 0) fail(node, "attribute 'pads' " + ints_str(pads) + " must not be negative");
    }
  }
  w.pads_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(rank));
  w.pads_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(rank), pads.end());
  w.output_size.resize(rank);

  for (std::size_t i = 0; i < rank; ++i) {
    const std::int64_t in = w.input_size[i];
    const std::int64_t s = w.strides[i];
    const std::int64_t k_eff = (w.kernel_shape[i] - 1) * w.dilations[i] + 1;
    std::int64_t out = 0;
    switch (w.auto_pad) {
    case AutoPad::kNotSet: {
      const std::int64_t span = in + w.pads_begin[i] + w.pads_end[i] - k_eff;
      out = (ceil_mode ? ceil_div(span, s) : floor_div(span, s)) + 1;
      // A window starting in the end padding covers no input element.
      if (ceil_mode && out > 1 && (out - 1) * s >= in + w.pads_begin[i]) --out;
      break;
    }
    case AutoPad::kValid: out = floor_div(in - k_eff, s) + 1; break;
    case AutoPad::kSameUpper:
    case AutoPad::kSameLower: {
      out = ceil_div(in, s);
      const std::int64_t total = std::max<std::int64_t>(0, (out - 1) * s + k_eff - in);
      const std::int64_t small = total / 2;
      w.pads_begin[i] = w.auto_pad == AutoPad::kSameUpper ? small : total - small;
      w.pads_end[i] = total - w.pads_begin[i];
      break;
    }
    }
    if (out < 1) {
      fail(node, "output would be empty: spatial input " + ints_str(w.input_size) + ", kernel " +
                     ints_str(w.kernel_shape) + ", dilations " + ints_str(w.dilations) + ", pads " +
                     ints_str(pads) + ", strides " + ints_str(w.strides));
    }
    w.output_size[i] = out;
  }
  return w;
}

} // namespace
} // namespace tilescope::engine
