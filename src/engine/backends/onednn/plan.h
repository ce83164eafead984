// The compiled form of a graph on the oneDNN backend: buffers, references into
// them, and the steps that run in order. Built by Compiler, executed by
// OnednnExecutable (onednn_executable.cpp).
//
// Storage model. Every runtime value lives in a Buffer:
//   kArena    - a region of the one activation arena; offset chosen by
//               passes::plan_memory from the steps that touch it;
//   kInput    - a graph input, owned by the caller; its address is bound per run;
//   kConstant - weights and other initializers the steps read (owned here,
//               already in the layout their consumer wants);
//   kOwned    - a Tensor owned here that a fallback (reference) kernel writes
//               or reads, kept for the executable's life;
//   kOutput   - a graph output written straight into the Tensor a run
//               returns (set by the executable, never by the compiler).
// A MemRef is (buffer, byte offset, oneDNN memory descriptor): several values
// may share one buffer (in-place ops, views, the conv `sum` post-op).
#pragma once

#include "tilescope/engine/tensor.h"

#include <cstddef>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tilescope::engine::onednn {

enum class StorageKind { kArena, kInput, kConstant, kOwned, kOutput };

struct Buffer {
  StorageKind kind = StorageKind::kArena;
  std::size_t bytes = 0;
  // Steps that touch the buffer (inclusive); first_step < 0 until touched.
  int first_step = -1;
  int last_step = -1;
  std::size_t external_index = 0;  // kInput / kOutput: index into the run's inputs / outputs
  std::unique_ptr<Tensor> storage; // kConstant / kOwned
  std::size_t arena_offset = 0;    // kArena, after planning
  // Reads of the buffer that are still to be compiled (all values stored in it),
  // and whether it may be overwritten once they are down to the current node's.
  int uses_left = 0;
  bool overwritable = true;
};

struct MemRef {
  int buffer = -1;
  std::size_t offset = 0; // bytes
  dnnl::memory::desc md;  // zero for non-f32 values (always plain, Tensor-backed)
};

// Work a oneDNN primitive cannot do: runs on Tensors (the reference kernels).
class CustomOp {
public:
  virtual ~CustomOp() = default;
  // `graph_inputs`: this run's inputs, in graph.inputs order.
  virtual void run(std::span<const Tensor* const> graph_inputs) = 0;
};

// Work done by the backend's own code on bound memory, where oneDNN has no
// kernel or a slow one (native_swish.cpp). It reads and writes the same
// arguments a primitive would; runs on the calling thread's OpenMP team.
class NativeKernel {
public:
  virtual ~NativeKernel() = default;
  virtual void run(const std::unordered_map<int, dnnl::memory>& args) = 0;
};

struct Step {
  std::string label; // op type (or "Reorder"), for profiling
  std::string node;  // the graph node it belongs to, for profiling
  dnnl::primitive primitive;
  std::vector<std::pair<int, MemRef>> arg_refs; // DNNL_ARG_* -> storage
  dnnl::memory::desc scratchpad_md;             // zero when none
  std::unique_ptr<CustomOp> custom;             // set instead of primitive
  std::unique_ptr<NativeKernel> native;         // set instead of primitive
  std::unordered_map<int, dnnl::memory> args;   // filled when bound
};

} // namespace tilescope::engine::onednn
