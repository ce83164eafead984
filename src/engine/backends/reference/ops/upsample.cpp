// Upsample (opset 7-9, deprecated in 10): Resize-10 under another name. Scales
// come from the `scales` attribute (7, 8) or input 1 (9); modes nearest and
// linear; coordinates asymmetric, nearest rounding as ONNX Runtime's (see
// NearestMode::kSimple).
#include "backends/reference/ops/resize_reference.h"

namespace tilescope::engine::reference {
namespace {

void infer(InferContext& ctx) {
  const Tensor* scales = ctx.opset() >= 9 ? &ctx.require_constant(1) : nullptr;
  infer_resize_common(ctx, parse_upsample_attrs(ctx.node(), ctx.opset(), ctx.shape(0), scales));
}

void run(const KernelContext& ctx) {
  const Tensor* scales = ctx.opset >= 9 ? &ctx.in(1) : nullptr;
  resize_reference(parse_upsample_attrs(ctx.node, ctx.opset, ctx.in(0).shape(), scales), ctx.in(0),
                   ctx.out(0));
}

} // namespace

void register_upsample(OpRegistry& r) { r.add({"", "Upsample", infer, run}); }

} // namespace tilescope::engine::reference
