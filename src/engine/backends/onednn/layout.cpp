#include "backends/onednn/layout.h"

#include <algorithm>
#include <numeric>

namespace tilescope::engine::onednn {

Dims to_dims(const Shape& shape) {
  if (shape.empty()) return {1};
  return Dims(shape.begin(), shape.end());
}

Md plain_md(const Dims& shape, dnnl::memory::data_type type) {
  const Dims dims = to_dims(shape);
  Dims strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) {
    strides[i] = strides[i + 1] * std::max<dnnl::memory::dim>(dims[i + 1], 1);
  }
  return Md(dims, type, strides);
}

Md with_type(const Md& md, dnnl::memory::data_type type) {
  if (md.is_zero() || md.data_type() == type) return md;
  Md out = md;
  out.data.data_type = static_cast<dnnl_data_type_t>(type);
  return out;
}

bool is_plain(const Md& md) {
  const dnnl_memory_desc_t& d = md.data;
  if (d.format_kind != dnnl_blocked || d.format_desc.blocking.inner_nblks != 0 || d.offset0 != 0)
    return false;
  // Strides of size-1 dims are irrelevant (oneDNN fills them per format tag).
  dnnl_dim_t expected = 1;
  for (int i = d.ndims - 1; i >= 0; --i) {
    if (d.dims[i] != 1 && d.format_desc.blocking.strides[i] != expected) return false;
    expected *= d.dims[i];
  }
  return true;
}

bool same_layout(const Md& a, const Md& b) {
  if (a == b) return true;
  return a.dims() == b.dims() && a.data_type() == b.data_type() && is_plain(a) && is_plain(b);
}

namespace {

// The dims of an unblocked descriptor from outermost to innermost stride; among
// equal strides (size-1 dims) the logical order, as oneDNN's format tags do.
bool stride_order(const Md& md, std::vector<int>& axes) {
  const dnnl_memory_desc_t& d = md.data;
  if (d.format_kind != dnnl_blocked || d.format_desc.blocking.inner_nblks != 0) return false;
  const auto& strides = d.format_desc.blocking.strides;
  axes.resize(d.ndims);
  std::iota(axes.begin(), axes.end(), 0);
  std::stable_sort(axes.begin(), axes.end(), [&](int a, int b) { return strides[a] > strides[b]; });
  return true;
}

} // namespace

bool dense_order(const Md& md, std::vector<int>* order) {
  const dnnl_memory_desc_t& d = md.data;
  std::vector<int> axes;
  if (d.offset0 != 0 || !stride_order(md, axes)) return false;
  dnnl_dim_t expected = 1;
  for (int i = d.ndims - 1; i >= 0; --i) {
    if (d.dims[axes[i]] != 1 && d.format_desc.blocking.strides[axes[i]] != expected) return false;
    expected *= d.dims[axes[i]];
  }
  if (order != nullptr) *order = std::move(axes);
  return true;
}

bool is_dense(const Md& md) {
  const dnnl_memory_desc_t& d = md.data;
  if (d.offset0 != 0) return false;
  return d.format_kind != dnnl_blocked || d.format_desc.blocking.inner_nblks > 0 || dense_order(md);
}

Md same_order(const Md& like, const Dims& dims) {
  std::vector<int> order;
  if (like.data.ndims != static_cast<int>(dims.size()) || !stride_order(like, order)) {
    return plain_md(dims, like.is_zero() ? dnnl::memory::data_type::f32 : like.data_type());
  }
  Dims strides(dims.size(), 1);
  dnnl::memory::dim stride = 1;
  for (int i = static_cast<int>(order.size()) - 1; i >= 0; --i) {
    strides[order[i]] = stride;
    stride *= std::max<dnnl::memory::dim>(dims[order[i]], 1);
  }
  return Md(dims, like.data_type(), strides);
}

Md channel_blocked_md(const Dims& dims, int block, dnnl::memory::data_type type) {
  using tag = dnnl::memory::format_tag;
  tag t = tag::undef;
  if (block == 16) {
    t = dims.size() == 3   ? tag::aBc16b
        : dims.size() == 4 ? tag::aBcd16b
        : dims.size() == 5 ? tag::aBcde16b
                           : tag::undef;
  } else if (block == 8) {
    t = dims.size() == 3   ? tag::aBc8b
        : dims.size() == 4 ? tag::aBcd8b
        : dims.size() == 5 ? tag::aBcde8b
                           : tag::undef;
  }
  return t == tag::undef ? Md() : Md(dims, type, t);
}

std::optional<DenseRegion> dense_region(const Md& parent, const Dims& dims, const Dims& offsets) {
  const Dims parent_dims = parent.dims();
  if (parent_dims.size() < 2 || dims.size() != parent_dims.size() || offsets.size() != dims.size() ||
      parent_dims[0] != 1) {
    return std::nullopt;
  }
  const dnnl::memory::data_type type = parent.data_type();
  if (type != dnnl::memory::data_type::f32 && type != dnnl::memory::data_type::bf16) return std::nullopt;
  for (std::size_t d = 0; d < dims.size(); ++d) {
    if (d != 1 && (offsets[d] != 0 || dims[d] != parent_dims[d])) return std::nullopt;
  }
  if (offsets[1] < 0 || offsets[1] + dims[1] > parent_dims[1]) return std::nullopt;
  std::size_t inner = dnnl::memory::data_type_size(type); // bytes of one channel
  for (std::size_t d = 2; d < dims.size(); ++d)
    inner *= static_cast<std::size_t>(dims[d]);
  const std::size_t byte_offset = static_cast<std::size_t>(offsets[1]) * inner;
  if (is_plain(parent)) return DenseRegion{plain_md(dims, type), byte_offset};
  const dnnl_memory_desc_t& d = parent.data;
  if (d.format_kind != dnnl_blocked || d.format_desc.blocking.inner_nblks != 1 ||
      d.format_desc.blocking.inner_idxs[0] != 1) {
    return std::nullopt;
  }
  const int block = static_cast<int>(d.format_desc.blocking.inner_blks[0]);
  const Md blocked = channel_blocked_md(parent_dims, block, type);
  if (blocked.is_zero() || blocked != parent || offsets[1] % block != 0 || dims[1] % block != 0)
    return std::nullopt;
  return DenseRegion{channel_blocked_md(dims, block, type), byte_offset};
}

Md innermost_md(const Dims& dims, int axis) {
  Dims strides(dims.size(), 1);
  dnnl::memory::dim stride = std::max<dnnl::memory::dim>(dims[axis], 1);
  for (int i = static_cast<int>(dims.size()) - 1; i >= 0; --i) {
    if (i == axis) continue;
    strides[i] = stride;
    stride *= std::max<dnnl::memory::dim>(dims[i], 1);
  }
  return Md(dims, dnnl::memory::data_type::f32, strides);
}

std::string md_str(const Md& md) {
  const dnnl_memory_desc_t& d = md.data;
  std::string out;
  std::vector<int> order;
  if (dense_order(md, &order)) {
    for (int axis : order)
      out += static_cast<char>('a' + axis);
  } else if (d.format_kind == dnnl_blocked) {
    out = "blocked";
    for (int i = 0; i < d.format_desc.blocking.inner_nblks; ++i) {
      out += std::to_string(d.format_desc.blocking.inner_blks[i]) +
             static_cast<char>('a' + d.format_desc.blocking.inner_idxs[i]);
    }
  } else {
    out = "any";
  }
  out += ":";
  for (int i = 0; i < d.ndims; ++i) {
    if (i) out += 'x';
    out += std::to_string(d.dims[i]);
  }
  return out;
}

} // namespace tilescope::engine::onednn
