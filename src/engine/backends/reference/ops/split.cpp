// Split: cuts the input along `axis` into the node's outputs. Chunk sizes come
// from, in order of precedence:
//   - the `split` attribute (opset < 13) or the optional input 1 (opset >= 13,
//     known at load time): explicit sizes summing to the axis dim;
//   - the `num_outputs` attribute (opset 18): chunks of ceil(dim / n), the last
//     one smaller when the dim does not divide evenly;
//   - otherwise equal chunks, one per output; the dim must divide evenly.
#include "backends/reference/ops/data_movement.h"

#include <cstring>

namespace tilescope::engine::reference {
namespace {

std::vector<std::int64_t> chunk_sizes(const InferContext& ctx, std::int64_t dim) {
  const Attributes& attrs = ctx.node().attrs;
  const auto outputs = static_cast<std::int64_t>(ctx.num_outputs());
  const std::string dim_text = "axis dim " + std::to_string(dim) + " of input " + shape_str(ctx.shape(0));
  std::vector<std::int64_t> sizes;
  if (ctx.opset() < 13 ? attrs.has("split") : ctx.has_input(1)) {
    sizes = ctx.opset() < 13 ? attrs.get_ints("split") : movement::constant_ints(ctx, 1, "split sizes");
    std::int64_t sum = 0;
    for (std::int64_t s : sizes) {
      if (s < 0) ctx.fail("split sizes " + movement::ints_str(sizes) + " contain a negative size");
      sum += s;
    }
    if (sum != dim) {
      ctx.fail("split sizes " + movement::ints_str(sizes) + " sum to " + std::to_string(sum) + ", not the " +
               dim_text);
    }
  } else if (attrs.has("num_outputs")) {
    const std::int64_t n = attrs.get_int("num_outputs");
    if (n < 1) ctx.fail("num_outputs " + std::to_string(n) + " must be positive");
    const std::int64_t chunk = (dim + n - 1) / n;
    const std::int64_t last = dim - chunk * (n - 1);
    if (last < 0) {
      ctx.fail("num_outputs " + std::to_string(n) + " cannot split the " + dim_text + ": chunks of " +
               std::to_string(chunk) + " leave nothing for the last outputs");
    }
    sizes.assign(static_cast<std::size_t>(n), chunk);
    sizes.back() = last;
  } else {
    if (outputs == 0 || dim % outputs != 0) {
      ctx.fail("cannot split the " + dim_text + " into " + std::to_string(outputs) +
               " equal parts; give 'split' sizes");
    }
    sizes.assign(static_cast<std::size_t>(outputs), dim / outputs);
  }
  if (static_cast<std::int64_t>(sizes.size()) != outputs) {
    ctx.fail("split sizes " + movement::ints_str(sizes) + " give " + std::to_string(sizes.size()) +
             " chunks but the node has " + std::to_string(outputs) + " outputs");
  }
  return sizes;
}

void infer(InferContext& ctx) {
  const Shape& in = ctx.shape(0);
  if (in.empty()) ctx.fail("cannot split a scalar");
  const auto axis = static_cast<std::size_t>(movement::normalize_axis(
      ctx, ctx.node().attrs.get_int("axis", 0), static_cast<std::int64_t>(in.size()), "axis"));
  const std::vector<std::int64_t> sizes = chunk_sizes(ctx, in[axis]);
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    Shape out = in;
    out[axis] = sizes[i];
    ctx.set_output(i, ctx.dtype(0), std::move(out));
  }
}

// The inverse of Concat: each of the `outer` rows of the input is a sequence of
// one block per output, sized by that output's dims from axis on.
void run(const KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  const auto rank = static_cast<std::int64_t>(in.shape().size());
  std::int64_t axis = ctx.node.attrs.get_int("axis", 0);
  if (axis < 0) axis += rank;
  const std::int64_t outer = movement::dims_product(in.shape(), 0, static_cast<std::size_t>(axis));
  const std::size_t elem = dtype_size(in.dtype());
  const auto* src = static_cast<const std::byte*>(in.raw());
  for (std::int64_t o = 0; o < outer; ++o) {
    for (Tensor* out : ctx.outputs) {
      const std::size_t block = static_cast<std::size_t>(out->size() / outer) * elem;
      std::memcpy(static_cast<std::byte*>(out->raw()) + static_cast<std::size_t>(o) * block, src, block);
      src += block;
    }
  }
}

} // namespace

void register_split(OpRegistry& r) { r.add({"", "Split", infer, run}); }

} // namespace tilescope::engine::reference
