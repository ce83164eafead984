// Cast: converts to the element type named by attribute "to" (an ONNX
// TensorProto.DataType number). Conversion rules are store_as() in numeric.h:
// float -> integer truncates toward zero (saturating, NaN -> 0), integer ->
// narrower integer wraps, anything -> bool is "!= 0". Types outside the
// engine's DType set (float16, string, ...) fail at load time.
#include "backends/reference/numeric.h"

namespace tilescope::engine::reference {
namespace {

struct OnnxType {
  std::int64_t code;
  const char* name;
  DType dtype; // kUndefined: known to ONNX, not supported here
};

// onnx.proto TensorProto.DataType.
constexpr OnnxType kOnnxTypes[] = {
    {1, "FLOAT", DType::kFloat32},
    {2, "UINT8", DType::kUInt8},
    {3, "INT8", DType::kInt8},
    {4, "UINT16", DType::kUndefined},
    {5, "INT16", DType::kUndefined},
    {6, "INT32", DType::kInt32},
    {7, "INT64", DType::kInt64},
    {8, "STRING", DType::kUndefined},
    {9, "BOOL", DType::kBool},
    {10, "FLOAT16", DType::kUndefined},
    {11, "DOUBLE", DType::kFloat64},
    {12, "UINT32", DType::kUndefined},
    {13, "UINT64", DType::kUndefined},
    {14, "COMPLEX64", DType::kUndefined},
    {15, "COMPLEX128", DType::kUndefined},
    {16, "BFLOAT16", DType::kUndefined},
};

// Throws Error naming the unsupported or unknown type.
DType target_of(const Attributes& attrs) {
  const std::int64_t to = attrs.get_int("to");
  for (const OnnxType& t : kOnnxTypes) {
    if (t.code != to) continue;
    if (t.dtype == DType::kUndefined) {
      throw Error("cast to " + std::string(t.name) + " (to=" + std::to_string(to) + ") is not supported");
    }
    return t.dtype;
  }
  throw Error("attribute 'to' = " + std::to_string(to) + " is not an ONNX data type");
}

void infer(InferContext& ctx) {
  DType to = DType::kUndefined;
  try {
    to = target_of(ctx.node().attrs);
  } catch (const Error& e) {
    ctx.fail(e.what());
  }
  require_dtype(ctx, 0,
                {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32, DType::kInt8, DType::kUInt8,
                 DType::kBool});
  ctx.set_output(0, to, ctx.shape(0));
}

void run(const KernelContext& ctx) {
  const Tensor& in = ctx.in(0);
  Tensor& out = ctx.out(0);
  visit_dtype(in.dtype(), [&](auto from_tag) {
    using From = decltype(from_tag);
    visit_dtype(out.dtype(), [&](auto to_tag) {
      using To = decltype(to_tag);
      const From* x = in.data<From>();
      To* y = out.data<To>();
      for (std::int64_t i = 0; i < in.size(); ++i)
        y[i] = store_as<To>(static_cast<ComputeType<From>>(x[i]));
    });
  });
}

} // namespace

void register_cast(OpRegistry& r) { r.add({"", "Cast", infer, run}); }

} // namespace tilescope::engine::reference
