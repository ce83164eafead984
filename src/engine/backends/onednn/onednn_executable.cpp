// compile_onednn: walks the nodes in order, gives each a oneDNN kernel (or the
// reference fallback), plans one activation arena and binds every primitive
// argument to its final address. A run then only executes the prepared steps:
// no allocation except the returned outputs, no primitive creation (building an
// AMX/brgconv primitive costs 10-40 ms, ONEDNN_NOTES.md pitfall 8).
#include "backends/onednn/onednn_executable.h"

#include "backends/onednn/batch_split.h"
#include "backends/onednn/debug_hooks.h"
#include "backends/onednn/kernel_registry.h"
#include "backends/onednn/profiler.h"
#include "passes/passes.h"

#include <chrono>
#include <cstring>
#include <exception>
#include <map>
#include <omp.h>

namespace tilescope::engine {
namespace onednn {
namespace {

// The OpenMP build of oneDNN sizes its parallel regions (and some kernels their
// blocking, at primitive creation) from omp_get_max_threads() of the calling
// thread. Set it for compile and for each run, and restore the caller's value.
class OmpThreads {
public:
  explicit OmpThreads(int threads) : saved_(omp_get_max_threads()) {
    omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs());
  }
  ~OmpThreads() { omp_set_num_threads(saved_); }
  OmpThreads(const OmpThreads&) = delete;
  OmpThreads& operator=(const OmpThreads&) = delete;

private:
  int saved_;
};

class OnednnExecutable final : public Executable {
public:
  OnednnExecutable(const Graph& graph, dnnl::engine engine, Compiler& compiler, int threads);
  std::vector<Tensor> run(std::span<const Tensor* const> inputs) override;
  MemoryReport memory() const override { return report_; }
  std::map<std::string, Tensor> take_captured() override;
  // The copies capture steps write (debug_hooks.h), by value name.
  void set_captures(std::vector<std::pair<std::string, const Tensor*>> captures) {
    captures_ = std::move(captures);
  }
  const std::vector<Step>& steps() const { return steps_; }
  // Runs on caller-owned memory: input_data[i] / output_data[i] hold the
  // compiled types of graph input / output i. `input_tensors` are the same
  // inputs as Tensors for fallback kernels that read them (empty when compiled
  // with inputs_as_tensors = false). The caller sets the OpenMP thread count.
  void execute(std::span<const void* const> input_data, std::span<void* const> output_data,
               std::span<const Tensor* const> input_tensors);
  int threads() const { return threads_; }

private:
  struct GraphOutput {
    MemRef ref;
    ValueType type;
    bool in_place = false;  // written straight into the returned Tensor (kOutput)
    dnnl::reorder to_plain; // else a copy: a reorder, or memcpy when stored plain
    dnnl::memory src;
    dnnl::memory dst; // bound to the returned Tensor each run
  };
  // A memory object over caller-owned storage, re-pointed at each run.
  struct ExternalBinding {
    dnnl::memory memory;
    StorageKind kind; // kInput or kOutput
    std::size_t index;
    std::size_t offset;
  };

  std::byte* address(const MemRef& ref);
  dnnl::memory bind(const MemRef& ref);
  const std::byte* run_address(const MemRef& ref, std::span<const void* const> input_data) const;
  void check_inputs(std::span<const Tensor* const> inputs) const;

  int threads_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::vector<ValueInfo> inputs_;
  std::vector<ValueType> input_types_;
  std::vector<Buffer> buffers_;
  std::vector<Step> steps_;
  Tensor arena_;
  Tensor scratchpad_;
  std::vector<ExternalBinding> external_bindings_;
  std::vector<GraphOutput> outputs_;
  MemoryReport report_;
  Profiler profiler_;
  std::vector<std::pair<std::string, const Tensor*>> captures_;
};

std::vector<std::string> step_field(const std::vector<Step>& steps, std::string Step::*field) {
  std::vector<std::string> out;
  for (const Step& s : steps)
    out.push_back(s.*field);
  return out;
}

OnednnExecutable::OnednnExecutable(const Graph& graph, dnnl::engine engine, Compiler& compiler, int threads)
    : threads_(threads), engine_(std::move(engine)), stream_(engine_), inputs_(graph.inputs),
      buffers_(std::move(compiler.buffers())), steps_(std::move(compiler.steps())),
      profiler_(step_field(steps_, &Step::label), step_field(steps_, &Step::node)) {
  for (const ValueInfo& input : inputs_)
    input_types_.push_back(graph.type_of(input.name));

  // Graph outputs stored plain and alone in an arena buffer are written by
  // their producer straight into the Tensor the run returns: no copy, and the
  // buffer leaves the arena.
  for (std::size_t i = 0; i < graph.outputs.size(); ++i) {
    const MemRef& ref = compiler.stored(graph.outputs[i].name);
    Buffer& buffer = buffers_[ref.buffer];
    if (buffer.kind == StorageKind::kArena && ref.offset == 0 && !ref.md.is_zero() && is_plain(ref.md) &&
        ref.md.data_type() == dnnl::memory::data_type::f32 && ref.md.get_size() == buffer.bytes) {
      buffer.kind = StorageKind::kOutput;
      buffer.external_index = i;
    }
  }

  // One arena for every activation; buffers whose lifetimes do not overlap
  // share bytes (passes::plan_memory, best-fit greedy by size).
  std::vector<passes::BufferRequest> requests;
  std::vector<std::size_t> arena_buffers;
  for (std::size_t b = 0; b < buffers_.size(); ++b) {
    const Buffer& buffer = buffers_[b];
    if (buffer.kind == StorageKind::kArena && buffer.first_step >= 0) {
      requests.push_back({buffer.bytes, buffer.first_step, buffer.last_step});
      arena_buffers.push_back(b);
    }
    if (buffer.kind == StorageKind::kConstant) report_.weight_bytes += buffer.bytes;
    if (buffer.kind == StorageKind::kOwned) {
      report_.activation_bytes += buffer.bytes;
      report_.activation_naive_bytes += buffer.bytes;
    }
  }
  const passes::MemoryPlan plan = passes::plan_memory(requests);
  for (std::size_t i = 0; i < arena_buffers.size(); ++i)
    buffers_[arena_buffers[i]].arena_offset = plan.offsets[i];
  arena_ = Tensor(DType::kUInt8, Shape{static_cast<std::int64_t>(plan.arena_bytes)});
  report_.activation_bytes += plan.arena_bytes;
  report_.activation_naive_bytes += plan.naive_bytes;
  scratchpad_ = Tensor(DType::kUInt8, Shape{static_cast<std::int64_t>(compiler.scratchpad_bytes())});
  report_.scratch_bytes = compiler.scratchpad_bytes();

  for (Step& step : steps_) {
    for (const auto& [arg, ref] : step.arg_refs)
      step.args.emplace(arg, bind(ref));
    if (!step.scratchpad_md.is_zero()) {
      step.args.emplace(DNNL_ARG_SCRATCHPAD, dnnl::memory(step.scratchpad_md, engine_, scratchpad_.raw()));
    }
  }
  for (const ValueInfo& output : graph.outputs) {
    GraphOutput out;
    out.ref = compiler.stored(output.name);
    out.type = graph.type_of(output.name);
    const Buffer& buffer = buffers_[out.ref.buffer];
    out.in_place = buffer.kind == StorageKind::kOutput && buffer.external_index == outputs_.size();
    const bool plain_f32 = is_plain(out.ref.md) && out.ref.md.data_type() == dnnl::memory::data_type::f32;
    if (!out.in_place && out.type.dtype == DType::kFloat32 && !plain_f32) {
      out.src = bind(out.ref);
      out.dst = dnnl::memory(plain_md(out.type.shape), engine_, nullptr);
      out.to_plain = dnnl::reorder(out.src, out.dst);
    }
    outputs_.push_back(std::move(out));
  }
}

std::map<std::string, Tensor> OnednnExecutable::take_captured() {
  std::map<std::string, Tensor> out;
  for (const auto& [value, copy] : captures_)
    out.emplace(value, copy->clone());
  return out;
}

std::byte* OnednnExecutable::address(const MemRef& ref) {
  Buffer& buffer = buffers_.at(ref.buffer);
  switch (buffer.kind) {
  case StorageKind::kArena: return static_cast<std::byte*>(arena_.raw()) + buffer.arena_offset + ref.offset;
  case StorageKind::kConstant:
  case StorageKind::kOwned: return static_cast<std::byte*>(buffer.storage->raw()) + ref.offset;
  case StorageKind::kInput:
  case StorageKind::kOutput: return nullptr;
  }
  return nullptr;
}

// Graph inputs and in-place outputs get their address at each run; everything
// else is fixed now.
dnnl::memory OnednnExecutable::bind(const MemRef& ref) {
  dnnl::memory memory(ref.md, engine_, address(ref));
  const Buffer& buffer = buffers_.at(ref.buffer);
  if (buffer.kind == StorageKind::kInput || buffer.kind == StorageKind::kOutput) {
    external_bindings_.push_back({memory, buffer.kind, buffer.external_index, ref.offset});
  }
  return memory;
}

// For the copy of outputs that are not written in place (never kOutput).
const std::byte* OnednnExecutable::run_address(const MemRef& ref,
                                               std::span<const void* const> input_data) const {
  const Buffer& buffer = buffers_.at(ref.buffer);
  if (buffer.kind == StorageKind::kInput) {
    return static_cast<const std::byte*>(input_data[buffer.external_index]) + ref.offset;
  }
  return const_cast<OnednnExecutable*>(this)->address(ref);
}

void OnednnExecutable::check_inputs(std::span<const Tensor* const> inputs) const {
  if (inputs.size() != inputs_.size()) {
    throw Error("onednn backend: " + std::to_string(inputs.size()) + " inputs given, the model has " +
                std::to_string(inputs_.size()));
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const ValueType& want = input_types_[i];
    if (inputs[i] == nullptr || inputs[i]->dtype() != want.dtype || inputs[i]->shape() != want.shape) {
      throw Error("onednn backend: input '" + inputs_[i].name + "' must be " +
                  std::string(dtype_name(want.dtype)) + shape_str(want.shape) + " as compiled");
    }
  }
}

std::vector<Tensor> OnednnExecutable::run(std::span<const Tensor* const> inputs) {
  check_inputs(inputs);
  OmpThreads omp_threads(threads_);
  std::vector<Tensor> results;
  results.reserve(outputs_.size());
  for (const GraphOutput& out : outputs_)
    results.emplace_back(out.type.dtype, out.type.shape);
  std::vector<const void*> input_data;
  for (const Tensor* input : inputs)
    input_data.push_back(input->raw());
  std::vector<void*> output_data;
  for (Tensor& result : results)
    output_data.push_back(result.raw());
  execute(input_data, output_data, inputs);
  return results;
}

void OnednnExecutable::execute(std::span<const void* const> input_data, std::span<void* const> output_data,
                               std::span<const Tensor* const> input_tensors) {
  for (ExternalBinding& binding : external_bindings_) {
    // oneDNN takes non-const handles; steps never write graph inputs (their
    // buffers are not overwritable, Compiler::can_overwrite).
    const void* base =
        binding.kind == StorageKind::kInput ? input_data[binding.index] : output_data[binding.index];
    binding.memory.set_data_handle(const_cast<std::byte*>(static_cast<const std::byte*>(base)) +
                                   binding.offset);
  }
  const bool profile = profiler_.enabled();
  if (profile) profiler_.begin_run();
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    Step& step = steps_[i];
    const Profiler::Duration start = profile ? profiler_.now() : Profiler::Duration{};
    if (step.custom) {
      step.custom->run(input_tensors);
    } else if (step.native) {
      step.native->run(step.args);
    } else {
      step.primitive.execute(stream_, step.args);
    }
    if (profile) {
      stream_.wait();
      profiler_.add(i, profiler_.now() - start);
    }
  }
  stream_.wait();

  const Profiler::Duration copy_start = profile ? profiler_.now() : Profiler::Duration{};
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    GraphOutput& out = outputs_[i];
    if (out.in_place) continue;
    if (out.to_plain) {
      out.dst.set_data_handle(output_data[i]);
      out.to_plain.execute(stream_, out.src, out.dst);
    } else {
      std::memcpy(output_data[i], run_address(out.ref, input_data),
                  num_elements(out.type.shape) * dtype_size(out.type.dtype));
    }
  }
  stream_.wait();
  if (profile) profiler_.add_output_copy(profiler_.now() - copy_start);
}

// A batch-N graph run sample by sample through its batch-1 version
// (batch_split.h): dim 0 is outermost in the plain inputs and outputs, so
// sample b is one contiguous slice of each.
//
// When the batch is a multiple of the thread count, each thread runs whole
// samples on its own single-threaded copy of the plan (a lane) instead of all
// threads sharing every step: no fork/join per step, and each core keeps its
// sample in its own L2. Measured on YOLO11n, batch 4, 2 threads (Zen 5): 58 ms
// in two lanes against 75 ms sample by sample on both threads while the host
// was busy (18.9 ms per two-thread sample then), about even when it was idle
// (~15 ms per sample either way). It costs a copy of the weights and of the
// arena per lane.
class BatchLoopExecutable final : public Executable {
public:
  BatchLoopExecutable(const Graph& graph, std::int64_t batch,
                      std::vector<std::unique_ptr<OnednnExecutable>> lanes)
      : batch_(batch), lanes_(std::move(lanes)) {
    for (const ValueInfo& input : graph.inputs) {
      input_types_.push_back(graph.type_of(input.name));
      input_names_.push_back(input.name);
    }
    for (const ValueInfo& output : graph.outputs)
      output_types_.push_back(graph.type_of(output.name));
  }

  std::vector<Tensor> run(std::span<const Tensor* const> inputs) override {
    if (inputs.size() != input_types_.size()) {
      throw Error("onednn backend: " + std::to_string(inputs.size()) + " inputs given, the model has " +
                  std::to_string(input_types_.size()));
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const ValueType& want = input_types_[i];
      if (inputs[i] == nullptr || inputs[i]->dtype() != want.dtype || inputs[i]->shape() != want.shape) {
        throw Error("onednn backend: input '" + input_names_[i] + "' must be " +
                    std::string(dtype_name(want.dtype)) + shape_str(want.shape) + " as compiled");
      }
    }
    std::vector<Tensor> results;
    for (const ValueType& type : output_types_)
      results.emplace_back(type.dtype, type.shape);
    const auto lanes = static_cast<int>(lanes_.size());
    if (lanes == 1) {
      OmpThreads omp_threads(lanes_[0]->threads());
      for (std::int64_t b = 0; b < batch_; ++b)
        run_sample(0, b, inputs, results);
      return results;
    }
    OmpThreads omp_threads(lanes);
    std::vector<std::exception_ptr> errors(lanes_.size());
#pragma omp parallel num_threads(lanes)
    {
      const int lane = omp_get_thread_num();
      // oneDNN and the native kernels run single-threaded inside the lane.
      omp_set_num_threads(1);
      try {
        for (std::int64_t b = lane; b < batch_; b += lanes)
          run_sample(lane, b, inputs, results);
      } catch (...) {
        errors[lane] = std::current_exception(); // exceptions must not leave the parallel region
      }
    }
    for (const std::exception_ptr& error : errors) {
      if (error) std::rethrow_exception(error);
    }
    return results;
  }

  MemoryReport memory() const override {
    MemoryReport total;
    for (const auto& lane : lanes_) {
      const MemoryReport m = lane->memory();
      total.weight_bytes += m.weight_bytes;
      total.activation_bytes += m.activation_bytes;
      total.activation_naive_bytes += m.activation_naive_bytes;
      total.scratch_bytes += m.scratch_bytes;
    }
    return total;
  }
  const OnednnExecutable& sample() const { return *lanes_[0]; }

private:
  void run_sample(int lane, std::int64_t b, std::span<const Tensor* const> inputs,
                  std::vector<Tensor>& results) {
    std::vector<const void*> input_data(inputs.size());
    std::vector<void*> output_data(results.size());
    for (std::size_t i = 0; i < inputs.size(); ++i)
      input_data[i] = static_cast<const std::byte*>(inputs[i]->raw()) + b * (inputs[i]->nbytes() / batch_);
    for (std::size_t i = 0; i < results.size(); ++i)
      output_data[i] = static_cast<std::byte*>(results[i].raw()) + b * (results[i].nbytes() / batch_);
    lanes_[lane]->execute(input_data, output_data, {});
  }

  std::int64_t batch_;
  std::vector<std::unique_ptr<OnednnExecutable>> lanes_;
  std::vector<ValueType> input_types_;
  std::vector<std::string> input_names_;
  std::vector<ValueType> output_types_;
};

std::unique_ptr<OnednnExecutable> compile_graph(const Graph& graph, int threads, bool inputs_as_tensors,
                                                const DebugHooks& hooks, bool bf16) {
  OmpThreads omp_threads(threads);
  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  Compiler compiler(graph, engine, inputs_as_tensors, bf16);
  plan_concat_slots(compiler);
  const KernelRegistry& registry = KernelRegistry::instance();
  std::vector<std::pair<std::string, const Tensor*>> captures;
  bool fault_found = false;
  for (const Node& node : graph.nodes) {
    compiler.begin_node(node);
    try {
      const BuildFn build = registry.find(node.domain, node.op_type);
      if (build == nullptr || !build(compiler, node)) build_fallback(compiler, node);
      add_debug_steps(compiler, node, hooks, captures);
    } catch (const dnnl::error& e) {
      throw Error(node.describe() + ": oneDNN: " + e.what());
    }
    fault_found = fault_found || hooks.fault_matches(node);
    compiler.finish_node(node);
  }
  if (!hooks.fault_node.empty() && !fault_found) {
    throw Error("TILESCOPE_FAULT_NODE=" + hooks.fault_node +
                ": the compiled graph has no node of that name (nor one fused into another)");
  }
  compiler.finish_graph();
  auto exe = std::make_unique<OnednnExecutable>(graph, std::move(engine), compiler, threads);
  exe->set_captures(std::move(captures));
  return exe;
}

} // namespace

std::vector<std::string> step_labels(const Executable& exe) {
  const auto* onednn = dynamic_cast<const OnednnExecutable*>(&exe);
  if (const auto* loop = dynamic_cast<const BatchLoopExecutable*>(&exe)) onednn = &loop->sample();
  return onednn == nullptr ? std::vector<std::string>{} : step_field(onednn->steps(), &Step::label);
}

} // namespace onednn

std::unique_ptr<Executable> compile_onednn(const Graph& graph, int threads, bool capture, bool bf16) {
  using namespace onednn;
  const DebugHooks hooks = DebugHooks::from_environment(capture);
  bool f32_inputs = true;
  for (const ValueInfo& input : graph.inputs)
    f32_inputs = f32_inputs && graph.type_of(input.name).dtype == DType::kFloat32;
  // Captured values are whole-batch tensors: no sample-by-sample split then.
  if (std::optional<PerSampleGraph> sample =
          f32_inputs && !capture ? per_sample_graph(graph) : std::nullopt) {
    const int team = threads > 0 ? threads : omp_get_num_procs();
    const bool by_lanes = team > 1 && sample->batch % team == 0;
    std::vector<std::unique_ptr<OnednnExecutable>> lanes;
    for (int lane = 0; lane < (by_lanes ? team : 1); ++lane)
      lanes.push_back(compile_graph(sample->graph, by_lanes ? 1 : threads, false, hooks, bf16));
    return std::make_unique<BatchLoopExecutable>(graph, sample->batch, std::move(lanes));
  }
  return compile_graph(graph, threads, true, hooks, bf16);
}

} // namespace tilescope::engine
