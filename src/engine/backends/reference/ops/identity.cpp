// Identity: output = input (any type).
#include "backends/reference/op_registry.h"

#include <cstring>

namespace tilescope::engine::reference {
namespace {

void infer(InferContext& ctx) { ctx.set_output(0, ctx.dtype(0), ctx.shape(0)); }

void run(const KernelContext& ctx) { std::memcpy(ctx.out(0).raw(), ctx.in(0).raw(), ctx.in(0).nbytes()); }

} // namespace

void register_identity(OpRegistry& r) { r.add({"", "Identity", infer, run}); }

} // namespace tilescope::engine::reference
