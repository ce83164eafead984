// The oneDNN kernels: for each op a builder that turns one node into steps
// (primitives created once, weights reordered once). A builder returns false to
// decline a node it cannot map onto oneDNN (a dtype, attribute or shape
// combination); the node then runs on the fallback, its reference kernel. So
// every op the reference registry has runs here, fast or not.
//
// Adding a kernel: a builder in the op family's file and one line in that
// file's register_* function; a new family adds one line to
// kernel_registry.cpp's sorted list.
#pragma once

#include "backends/onednn/compiler.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tilescope::engine::onednn {

// Must decline (return false) before touching `c` when it cannot build the node.
using BuildFn = bool (*)(Compiler& c, const Node& node);

class KernelRegistry {
public:
  void add(std::string domain, std::string op_type, BuildFn fn);
  BuildFn find(std::string_view domain, std::string_view op_type) const;
  static const KernelRegistry& instance();

private:
  std::map<std::pair<std::string, std::string>, BuildFn, std::less<>> builders_;
};

// Runs the node's reference kernel on plain Tensors, with copies from and to
// oneDNN layouts where needed. Throws Error naming the node when the reference
// registry has no kernel for it.
void build_fallback(Compiler& c, const Node& node);

// A primitive descriptor, or nullopt when oneDNN has no implementation for the
// combination (the builder then declines). Other oneDNN errors propagate.
template <class Pd, class... Args> std::optional<Pd> try_primitive_desc(Args&&... args) {
  try {
    return Pd(std::forward<Args>(args)...);
  } catch (const dnnl::error& e) {
    if (e.status == dnnl_unimplemented || e.status == dnnl_invalid_arguments) return std::nullopt;
    throw;
  }
}

// True when the value is float32 with at least one element: the oneDNN kernels
// here handle f32 only (the project's models are f32); empty tensors and other
// types go to the fallback.
bool f32_nonempty(const Compiler& c, const std::string& value);
// f32_nonempty for every input and output the node has.
bool all_f32(const Compiler& c, const Node& node);

// Family registrations (one file each).
void register_batch_norm_kernels(KernelRegistry& r);
void register_binary_kernels(KernelRegistry& r);
void register_concat_kernels(KernelRegistry& r);
void register_conv_kernels(KernelRegistry& r);
void register_eltwise_kernels(KernelRegistry& r);
void register_matmul_kernels(KernelRegistry& r);
void register_pooling_kernels(KernelRegistry& r);
void register_qconv_kernels(KernelRegistry& r);
void register_resize_kernels(KernelRegistry& r);
void register_slice_kernels(KernelRegistry& r);
void register_softmax_kernels(KernelRegistry& r);
void register_view_kernels(KernelRegistry& r);

// The layout every reader of `value` wants, when they agree: plain for views
// (Reshape and the like), MatMul, fallback ops and graph outputs; the
// axis-innermost one for Softmax. nullopt when some reader takes any layout or
// readers disagree: the producer then keeps its own choice. For producers that
// can write any layout at no extra cost (Concat, Transpose).
std::optional<Md> readers_layout(const Compiler& c, const std::string& value);

// Where output `output` of a Split or Slice node starts in its input (one
// offset per dim), or nullopt for other nodes and cuts not mapped here.
std::optional<Dims> cut_offsets(const Compiler& c, const Node& node, std::size_t output);

// The channel block of the blocked layout (nChw16c, nChw8c) that convolutions
// here produce anyway (conv.cpp): 16 on AVX-512 with Winograd (its only
// layout), 8 below AVX-512 (oneDNN's choice there), 0 when they keep NHWC
// (AVX-512, TILESCOPE_CONV_ALGO=direct, and bf16 mode: brgconv on NHWC).
int blocked_conv_channel_block(const Compiler& c);

// Plans Concat outputs and their inputs' slots before any node is built
// (concat.cpp): batch-1 channel Concats get a buffer, plain when their readers
// want plain (a Reshape, the graph output), else in the blocked layout above
// (none when convolutions keep NHWC: a channel slice of it is not dense), and
// each input a dense region of it, so that producers writing that layout
// (convolutions, pooling, resize, elementwise ops) fill the Concat without a
// copy.
void plan_concat_slots(Compiler& c);

// Sigmoid(x) whose only reader is Mul(x, Sigmoid(x)): both become one swish
// step, built at the Mul. Returns the Mul, or nullptr.
const Node* swish_consumer(const Compiler& c, const Node& sigmoid);
// Builds the swish for `mul` when its inputs are x and a Sigmoid(x) deferred by
// the Sigmoid builder; false otherwise.
bool build_swish(Compiler& c, const Node& mul);

} // namespace tilescope::engine::onednn
