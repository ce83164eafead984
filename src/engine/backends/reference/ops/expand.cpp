// Expand: broadcasts the input to `shape` (input 1, known at load time) with
// numpy's bidirectional rule: dims aligned from the right, each pair equal or
// one of them 1. The result may be larger than `shape` in either direction
// (e.g. [3,1] expanded by [2,1,6] gives [2,3,6]).
#include "backends/reference/ops/data_movement.h"

namespace tilescope::engine::reference {
namespace {

void infer(InferContext& ctx) {
  const Shape& in = ctx.shape(0);
  const std::vector<std::int64_t> target = movement::constant_ints(ctx, 1, "shape");
  const std::size_t rank = std::max(in.size(), target.size());
  Shape out(rank);
  for (std::size_t k = 0; k < rank; ++k) {
    // k counts from the right.
    const std::int64_t a = k < in.size() ? in[in.size() - 1 - k] : 1;
    const std::int64_t b = k < target.size() ? target[target.size() - 1 - k] : 1;
    if (b < 0) ctx.fail("shape " + movement::ints_str(target) + " has negative dim " + std::to_string(b));
    if (a != b && a != 1 && b != 1) {
      ctx.fail("cannot expand input " + shape_str(in) + " to shape " + movement::ints_str(target) + ": dim " +
               std::to_string(a) + " and " + std::to_string(b) + " are incompatible");
    }
    out[rank - 1 - k] = a == 1 ? b : a;
  }
  ctx.set_output(0, ctx.dtype(0), std::move(out));
}

// A stride of 0 repeats the input along dims it broadcasts (size 1 or missing).
void run(const KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  Tensor& out = ctx.out(0);
  const Shape& in_shape = in.shape();
  const std::vector<std::int64_t> in_strides = strides_of(in_shape);
  const std::size_t lead = out.shape().size() - in_shape.size();
  std::vector<std::int64_t> src_strides(out.shape().size(), 0);
  for (std::size_t i = 0; i < in_shape.size(); ++i) {
    src_strides[lead + i] = in_shape[i] == 1 ? 0 : in_strides[i];
  }
  movement::strided_copy(static_cast<const std::byte*>(in.raw()), src_strides, out.shape(),
                         dtype_size(in.dtype()), static_cast<std::byte*>(out.raw()));
}

} // namespace

void register_expand(OpRegistry& r) { r.add({"", "Expand", infer, run}); }

} // namespace tilescope::engine::reference
