// BatchNormalization, inference form (opset 1-15): per channel c (dim 1),
//   y = (x - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + B[c], in double.
// Inputs [X, scale, B, mean, var]. Training mode (training_mode = 1, or the
// running/saved statistics outputs of opset < 14) and spatial = 0 (opset < 9)
// are rejected at load.
#include "backends/reference/numeric.h"

#include <cmath>
#include <vector>

namespace tilescope::engine::reference {
namespace {

constexpr std::size_t kNumParams = 4; // scale, B, mean, var
constexpr const char* kParamNames[kNumParams] = {"scale", "B", "mean", "var"};

void infer(InferContext& ctx) {
  const Node& node = ctx.node();
  require_dtype(ctx, 0, kFloatTypes);
  const Shape& x = ctx.shape(0);
  if (x.size() < 2) ctx.fail("input X has shape " + shape_str(x) + ", expected [N, C, ...]");
  if (node.attrs.get_int("training_mode", 0) != 0) {
    ctx.fail("attribute 'training_mode' value " + std::to_string(node.attrs.get_int("training_mode", 0)) +
             " is not supported (inference only)");
  }
  if (node.attrs.get_int("spatial", 1) != 1) {
    ctx.fail("attribute 'spatial' value " + std::to_string(node.attrs.get_int("spatial", 1)) +
             " is not supported (only 1)");
  }
  for (std::size_t i = 1; i < node.outputs.size(); ++i) {
    if (!node.outputs[i].empty()) {
      ctx.fail("output " + std::to_string(i) + " ('" + node.outputs[i] +
               "') is a training statistic; only inference (output Y alone) is supported");
    }
  }
  for (std::size_t i = 1; i <= kNumParams; ++i) {
    require_dtype(ctx, i, kFloatTypes);
    if (ctx.shape(i) != Shape{x[1]}) {
      ctx.fail(std::string("input '") + kParamNames[i - 1] + "' has shape " + shape_str(ctx.shape(i)) +
               ", expected [" + std::to_string(x[1]) + "] (channels of X " + shape_str(x) + ")");
    }
  }
  ctx.set_output(0, ctx.dtype(0), x);
}

void run(const KernelContext& ctx) {
  const Tensor& x = ctx.in(0);
  const std::int64_t channels = x.shape()[1];
  const double epsilon = ctx.node.attrs.get_float("epsilon", 1e-5f);
  struct Channel {
    double mean;
    double gain; // scale / sqrt(var + epsilon)
    double bias;
  };
  std::vector<Channel> params(static_cast<std::size_t>(channels));
  for (std::int64_t c = 0; c < channels; ++c) {
    const double var = ctx.in(4).get_as_double(c);
    params[static_cast<std::size_t>(c)] = {ctx.in(3).get_as_double(c),
                                           ctx.in(1).get_as_double(c) / std::sqrt(var + epsilon),
                                           ctx.in(2).get_as_double(c)};
  }
  const std::int64_t batch = x.shape()[0];
  const std::int64_t plane = batch * channels == 0 ? 0 : x.size() / (batch * channels);
  visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<T>) {
      const T* in = x.data<T>();
      T* out = ctx.out(0).data<T>();
      for (std::int64_t n = 0; n < batch; ++n) {
        for (std::int64_t c = 0; c < channels; ++c) {
          const Channel& p = params[static_cast<std::size_t>(c)];
          const std::int64_t base = (n * channels + c) * plane;
          for (std::int64_t i = 0; i < plane; ++i) {
            out[base + i] = store_as<T>((static_cast<double>(in[base + i]) - p.mean) * p.gain + p.bias);
          }
        }
      }
    }
  });
}

} // namespace

void register_batch_normalization(OpRegistry& r) { r.add({"", "BatchNormalization", infer, run}); }

} // namespace tilescope::engine::reference
