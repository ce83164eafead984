#include "backends/reference/ops/pool_attrs.h"

#include <string>

namespace tilescope::engine {
namespace {

[[noreturn]] void fail(const Node& node, const std::string& message) {
  throw Error(node.describe() + ": " + message);
}

bool bool_attr(const Node& node, const std::string& name) {
  const std::int64_t v = node.attrs.get_int(name, 0);
  if (v != 0 && v != 1) fail(node, "attribute '" + name + "' value " + std::to_string(v) + " must be 0 or 1");
  return v == 1;
}

} // namespace

PoolAttrs parse_pool_attrs(const Node& node, const Shape& x) {
  return with_node_context(node, [&] {
    if (x.size() < 3) fail(node, "input X has shape " + shape_str(x) + ", expected [N, C, spatial...]");
    if (!node.attrs.has("kernel_shape")) fail(node, "required attribute 'kernel_shape' is missing");
    PoolAttrs a;
    a.ceil_mode = bool_attr(node, "ceil_mode");
    a.count_include_pad = bool_attr(node, "count_include_pad");
    a.storage_order = node.attrs.get_int("storage_order", 0);
    if (a.storage_order != 0 && a.storage_order != 1) {
      fail(node, "attribute 'storage_order' value " + std::to_string(a.storage_order) + " must be 0 or 1");
    }
    static_cast<WindowAttrs&>(a) =
        parse_window_attrs(node, x, node.attrs.get_ints("kernel_shape"), a.ceil_mode);
    a.batch = x[0];
    a.channels = x[1];
    return a;
  });
}

} // namespace tilescope::engine
