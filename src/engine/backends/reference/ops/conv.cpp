// Conv (opset 1-11+): y[n, m, o] = B[m] + sum over the input channels c of m's
// group and the kernel taps k of X[n, c, o * stride - pad_begin + k * dilation]
// * W[m, c, k], taps in the padding contributing zero. 1-, 2- and 3-D.
#include "backends/reference/numeric.h"
#include "backends/reference/ops/conv_reference.h"
#include "backends/reference/ops/window_3d.h"

#include <type_traits>

namespace tilescope::engine::reference {
namespace {

template <class T> void conv_loop(const ConvAttrs& a, const T* x, const T* w, const T* bias, double* y) {
  const Window3d g = to_window_3d(a);
  const std::int64_t in_group = a.in_channels / a.group;
  const std::int64_t out_group = a.out_channels / a.group;
  const std::int64_t in_plane = g.in_plane();
  const std::int64_t k_plane = g.kernel_plane();
  for (std::int64_t n = 0; n < a.batch; ++n) {
    for (std::int64_t m = 0; m < a.out_channels; ++m) {
      const std::int64_t first_channel = (m / out_group) * in_group;
      for (std::int64_t od = 0; od < g.out[0]; ++od) {
        for (std::int64_t oh = 0; oh < g.out[1]; ++oh) {
          for (std::int64_t ow = 0; ow < g.out[2]; ++ow) {
            double acc = bias != nullptr ? static_cast<double>(bias[m]) : 0.0;
            for (std::int64_t c = 0; c < in_group; ++c) {
              const T* xc = x + (n * a.in_channels + first_channel + c) * in_plane;
              const T* wc = w + (m * in_group + c) * k_plane;
              g.for_each_tap(od, oh, ow, [&](std::int64_t at, std::int64_t k, auto...) {
                acc += static_cast<double>(xc[at]) * static_cast<double>(wc[k]);
              });
            }
            *y++ = acc;
          }
        }
      }
    }
  }
}

void infer(InferContext& ctx) {
  require_dtype(ctx, 0, kFloatTypes);
  infer_conv_common(ctx, parse_conv_attrs(ctx.node(), ctx.shape(0), ctx.shape(1)));
}

void run(const KernelContext& ctx) {
  const ConvAttrs a = parse_conv_attrs(ctx.node, ctx.in(0).shape(), ctx.in(1).shape());
  store_doubles(conv_reference(a, ctx.in(0), ctx.in(1), ctx.has_input(2) ? &ctx.in(2) : nullptr), ctx.out(0));
}

} // namespace

void infer_conv_common(InferContext& ctx, const ConvAttrs& a) {
  const DType t = ctx.dtype(0);
  if (ctx.dtype(1) != t) {
    ctx.fail("weights W have element type " + std::string(dtype_name(ctx.dtype(1))) + ", input X " +
             std::string(dtype_name(t)) + "; they must match");
  }
  if (a.spatial_rank() > kMaxSpatialRank) {
    ctx.fail("convolution over " + std::to_string(a.spatial_rank()) +
             " spatial dims is not supported (at most 3)");
  }
  if (ctx.has_input(2)) {
    if (ctx.dtype(2) != t) ctx.fail("bias B must have X's element type " + std::string(dtype_name(t)));
    if (ctx.shape(2) != Shape{a.out_channels}) {
      ctx.fail("bias B has shape " + shape_str(ctx.shape(2)) + ", expected [" +
               std::to_string(a.out_channels) + "]");
    }
  }
  ctx.set_output(0, t, a.output_shape());
}

std::vector<double> conv_reference(const ConvAttrs& a, const Tensor& x, const Tensor& w, const Tensor* bias) {
  std::vector<double> y(static_cast<std::size_t>(num_elements(a.output_shape())));
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      conv_loop<T>(a, x.data<T>(), w.data<T>(), bias != nullptr ? bias->data<T>() : nullptr, y.data());
    } else {
      throw Error("conv_reference: element type " + std::string(dtype_name(x.dtype())) +
                  " is not a float type");
    }
  });
  return y;
}

void store_doubles(const std::vector<double>& values, Tensor& y) {
  visit_dtype(y.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* out = y.data<T>();
    for (std::size_t i = 0; i < values.size(); ++i)
      out[i] = store_as<T>(values[i]);
  });
}

void register_conv(OpRegistry& r) { r.add({"", "Conv", infer, run}); }

} // namespace tilescope::engine::reference
