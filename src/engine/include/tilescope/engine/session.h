// Session: a loaded model ready to run on one backend.
//
// Loading imports the file, checks every operator is supported (all unsupported
// ones reported together) and, when every input shape is static or fixed by
// SessionOptions::input_shapes, compiles right away so shape errors surface at
// load. Other input shapes (e.g. another batch size) compile lazily on first use
// and are cached. A Session is not thread-safe: use one per thread.
#pragma once

#include "tilescope/engine/graph.h"

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tilescope::engine {

enum class Backend { kReference, kOnednn };

std::optional<Backend> parse_backend(std::string_view name); // "reference" | "onednn"
std::string_view backend_name(Backend backend);

// Arithmetic precision of the onednn backend.
//   kFp32 - float32 throughout;
//   kBf16 - convolutions take bfloat16 weights and activations (float32
//           accumulation), and the values flowing between convolutions, Concat,
//           pooling and resize stay bfloat16; every other op (the detect head's
//           decode, Softmax, Sigmoid) and the graph outputs stay float32, with a
//           conversion only where the two meet. Needs AVX-512 (AVX512-BF16 or
//           AMX run it natively; plain AVX-512 emulates it, slower than float32);
//   kInt8 - the model's own QuantizeLinear/DequantizeLinear nodes (a QDQ model,
//           `tilescope model quantize`); a float model is refused.
enum class Precision { kFp32, kBf16, kInt8 };

std::optional<Precision> parse_precision(std::string_view name); // "fp32" | "bf16" | "int8"
std::string_view precision_name(Precision precision);
// True when this CPU runs bfloat16 convolutions natively (AVX512-BF16 or AMX),
// where they beat float32; elsewhere kBf16 still works but runs slower.
bool native_bf16_available();

struct SessionOptions {
  Backend backend = Backend::kOnednn;
  int threads = 0; // 0 = all cores (onednn backend)
  // Fixed shapes for inputs with dynamic dims, e.g. {"images", {1,3,384,640}}.
  std::map<std::string, Shape> input_shapes;
  bool fuse = true; // Conv+BN / activation / residual fusion passes
  // kBf16 needs the onednn backend; the reference backend runs float32 only.
  Precision precision = Precision::kFp32;
  // Verification (tilescope verify): each run keeps a copy of the node outputs
  // the backend materialises, for take_captured(). Costs a copy of every
  // activation per run; the onednn backend captures float32 values only, and
  // values that exist only inside one of its steps (a Conv's output before the
  // activation fused into it) have no copy.
  bool capture_values = false;
};

struct MemoryReport {
  std::size_t weight_bytes = 0;           // constants held by the backend
  std::size_t activation_bytes = 0;       // planned activation arena (with buffer reuse)
  std::size_t activation_naive_bytes = 0; // the same without reuse
  std::size_t scratch_bytes = 0;          // backend scratchpad
};

class Session {
public:
  // Opens an ONNX file (.onnx) or a TF.js graph model (model.json).
  static Session open(const std::string& path, SessionOptions options = {});
  static Session from_graph(Graph graph, SessionOptions options = {});

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  const Graph& model() const; // as imported
  const std::vector<ValueInfo>& inputs() const;
  const std::vector<ValueInfo>& outputs() const;
  const SessionOptions& options() const;

  // Runs the model. `inputs` by name; every graph input must be given. Returns
  // the outputs in graph output order. Throws Error on a missing input or a
  // shape/type that does not fit the model.
  std::vector<Tensor> run(const std::map<std::string, const Tensor*>& inputs);
  // Convenience for single-input models.
  std::vector<Tensor> run(const Tensor& input);

  // Compiles for these input shapes now (cached for later runs).
  void prepare(const std::map<std::string, Shape>& input_shapes);
  // Memory of the most recently compiled plan.
  MemoryReport memory_report() const;
  // The graph after specialisation and passes, for the most recent plan.
  const Graph& compiled_graph() const;
  // With SessionOptions::capture_values: the node outputs of the most recent
  // run, by value name (moved out; empty until the next run). Empty otherwise.
  std::map<std::string, Tensor> take_captured();

private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Imports a model file by its format: a TF.js graph model (model.json) or ONNX
// (anything else). Throws Error naming the file and the problem.
Graph load_model(const std::string& path);

// Names of operators in `graph` that no backend supports, with the nodes using
// each: "Mod (2 nodes: /m/Mod, /m/Mod_1)". Empty when all are supported.
std::vector<std::string> unsupported_operators(const Graph& graph);

} // namespace tilescope::engine
