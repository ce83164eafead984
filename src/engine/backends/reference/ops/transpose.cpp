// Transpose: out.shape[k] = in.shape[perm[k]]; perm defaults to the reversed axes.
#include "backends/reference/ops/data_movement.h"

#include <numeric>

namespace tilescope::engine::reference {
namespace {

std::vector<std::int64_t> permutation(const Node& node, std::size_t rank) {
  if (node.attrs.has("perm")) return node.attrs.get_ints("perm");
  std::vector<std::int64_t> perm(rank);
  std::iota(perm.rbegin(), perm.rend(), 0);
  return perm;
}

void infer(InferContext& ctx) {
  const Shape& in = ctx.shape(0);
  const std::vector<std::int64_t> perm = permutation(ctx.node(), in.size());
  if (perm.size() != in.size()) {
    ctx.fail("perm " + movement::ints_str(perm) + " has " + std::to_string(perm.size()) +
             " entries but the input " + shape_str(in) + " has rank " + std::to_string(in.size()));
  }
  // normalize_axes rejects repeats; with the length equal to the rank that makes
  // it a permutation. Negative entries are not allowed by the spec.
  for (std::int64_t p : perm) {
    if (p < 0) ctx.fail("perm " + movement::ints_str(perm) + " has negative entry " + std::to_string(p));
  }
  const auto axes = movement::normalize_axes(ctx, perm, static_cast<std::int64_t>(in.size()), "perm entry");
  Shape out(in.size());
  for (std::size_t k = 0; k < axes.size(); ++k)
    out[k] = in[static_cast<std::size_t>(axes[k])];
  ctx.set_output(0, ctx.dtype(0), std::move(out));
}

void run(const KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  Tensor& out = ctx.out(0);
  const std::vector<std::int64_t> perm = permutation(ctx.node, in.shape().size());
  const std::vector<std::int64_t> in_strides = strides_of(in.shape());
  std::vector<std::int64_t> src_strides(perm.size());
  for (std::size_t k = 0; k < perm.size(); ++k)
    src_strides[k] = in_strides[static_cast<std::size_t>(perm[k])];
  movement::strided_copy(static_cast<const std::byte*>(in.raw()), src_strides, out.shape(),
                         dtype_size(in.dtype()), static_cast<std::byte*>(out.raw()));
}

} // namespace

void register_transpose(OpRegistry& r) { r.add({"", "Transpose", infer, run}); }

} // namespace tilescope::engine::reference
