// `tilescope model inspect`, `tilescope model run`, `tilescope model quantize` and
// `tilescope model export`.
#include "commands.h"
#include "detector_options.h"
#include "tilescope/engine/npy.h"
#include "tilescope/engine/onnx_import.h"
#include "tilescope/engine/session.h"
#include "tilescope/quant/export.h"
#include "tilescope/quant/quantize.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

namespace tilescope::cli {
namespace {

namespace fs = std::filesystem;
using engine::Graph;

std::string dims_str(const engine::ValueInfo& v) {
  if (!v.has_shape) return "?";
  std::string s = "[";
  for (std::size_t i = 0; i < v.dims.size(); ++i) {
    if (i) s += ",";
    s += v.dims[i].is_static() ? std::to_string(v.dims[i].value)
                               : (v.dims[i].symbol.empty() ? "?" : v.dims[i].symbol);
  }
  return s + "]";
}

nlohmann::json inspect_json(const std::string& path, const Graph& g) {
  nlohmann::json j;
  j["file"] = path;
  j["opset"] = g.opset;
  j["producer"] = g.producer;
  auto values = [](const std::vector<engine::ValueInfo>& vs) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& v : vs)
      a.push_back({{"name", v.name}, {"dtype", engine::dtype_name(v.dtype)}, {"shape", dims_str(v)}});
    return a;
  };
  j["inputs"] = values(g.inputs);
  j["outputs"] = values(g.outputs);
  j["metadata"] = g.metadata;
  std::map<std::string, int> hist;
  for (const auto& n : g.nodes)
    hist[n.domain.empty() ? n.op_type : n.domain + "." + n.op_type]++;
  j["operators"] = hist;
  j["nodes"] = g.nodes.size();
  std::size_t params = 0;
  for (const auto& [name, t] : g.initializers)
    params += static_cast<std::size_t>(t.size());
  j["parameters"] = params;
  j["unsupported"] = engine::unsupported_operators(g);
  return j;
}

void print_inspect(const nlohmann::json& j) {
  std::cout << "model     " << j["file"].get<std::string>() << "\n"
            << "opset     " << j["opset"] << "   producer " << j["producer"].get<std::string>() << "\n"
            << "nodes     " << j["nodes"] << "   parameters " << j["parameters"] << "\n";
  for (const char* kind : {"inputs", "outputs"}) {
    std::cout << kind << ":\n";
    for (const auto& v : j[kind]) {
      std::cout << "  " << v["name"].get<std::string>() << "  " << v["dtype"].get<std::string>() << " "
                << v["shape"].get<std::string>() << "\n";
    }
  }
  if (!j["metadata"].empty()) {
    std::cout << "metadata:\n";
    for (const auto& [k, v] : j["metadata"].items()) {
      std::string s = v.get<std::string>();
      if (s.size() > 120) s = s.substr(0, 117) + "...";
      std::cout << "  " << k << ": " << s << "\n";
    }
  }
  std::cout << "operators:\n";
  for (const auto& [op, n] : j["operators"].items())
    std::cout << "  " << op << " x" << n << "\n";
  if (j["unsupported"].empty()) {
    std::cout << "unsupported operators: none\n";
  } else {
    std::cout << "unsupported operators:\n";
    for (const auto& s : j["unsupported"])
      std::cout << "  " << s.get<std::string>() << "\n";
  }
}

// "images=x.npy" or "x.npy" (single-input models).
std::map<std::string, engine::Tensor> read_inputs(const std::vector<std::string>& specs,
                                                  const std::vector<engine::ValueInfo>& model_inputs) {
  std::map<std::string, engine::Tensor> inputs;
  for (const std::string& spec : specs) {
    auto eq = spec.find('=');
    std::string name, file;
    if (eq == std::string::npos) {
      if (model_inputs.size() != 1) {
        throw Error("--input " + spec + ": the model has " + std::to_string(model_inputs.size()) +
                    " inputs; use NAME=FILE.npy");
      }
      name = model_inputs[0].name;
      file = spec;
    } else {
      name = spec.substr(0, eq);
      file = spec.substr(eq + 1);
    }
    inputs.emplace(name, engine::read_npy(file));
  }
  return inputs;
}

std::string file_safe(std::string name) {
  for (char& c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) c = '_';
  }
  return name;
}

nlohmann::json quantize_json(const quant::QuantizeReport& r) {
  nlohmann::json activations = nlohmann::json::array();
  for (const auto& a : r.activations) {
    activations.push_back({{"value", a.value},
                           {"min", a.min},
                           {"max", a.max},
                           {"scale", a.scale},
                           {"zero_point", a.zero_point}});
  }
  return {{"images", r.images},
          {"convs_quantized", r.convs_quantized},
          {"convs_kept", r.convs_kept},
          {"activations", activations},
          {"notes", r.notes}};
}

void add_quantize_command(CLI::App& model) {
  auto* q = model.add_subcommand("quantize", "Post-training static int8 quantisation to a QDQ ONNX model");
  static std::string model_path, out_path, method = "minmax", report_path;
  static quant::QuantizeOptions options;
  static bool int8_activations = false;
  q->add_option("model", model_path, "ONNX file (opset >= 13)")->required();
  q->add_option("--calib", options.calibration_dir, "Folder of calibration images")->required();
  q->add_option("--out", out_path, "QDQ ONNX file to write")->required();
  q->add_option("--n", options.max_images, "Calibration images (the first N by file name)")->default_val(100);
  q->add_option("--method", method, "Activation ranges: minmax | percentile")
      ->check(CLI::IsMember({"minmax", "percentile"}))
      ->default_val("minmax");
  q->add_option("--percentile", options.percentile, "Quantile for --method percentile, in percent")
      ->default_val(99.999);
  q->add_flag("--int8-activations", int8_activations, "Activations int8 instead of uint8 (both asymmetric)");
  q->add_flag("--fp32-first-last", options.keep_first_last_fp32,
              "Keep the first Conv (reading the image) and the last ones (no Conv after them) in fp32");
  q->add_option("--exclude", options.exclude_nodes, "Conv node to keep in fp32 (repeatable)");
  q->add_option("--imgsz", options.input_size, "Input size for models with dynamic height / width")
      ->default_val(640);
  q->add_option("--threads", options.threads, "Threads for the calibration runs (0 = all cores)");
  q->add_option("--report", report_path, "Write the calibrated ranges as JSON to this file");
  q->callback([] {
    options.method = quant::parse_calibration_method(method);
    options.int8_activations = int8_activations;
    const quant::QuantizeReport report = quant::quantize_model(model_path, out_path, options);
    for (const std::string& note : report.notes)
      std::cout << "note: " << note << "\n";
    std::cout << "calibrated on " << report.images << " images (" << method << ")\n"
              << "quantized " << report.convs_quantized << " Conv nodes, " << report.activations.size()
              << " activations (" << (int8_activations ? "int8" : "uint8") << "), weights int8 per channel\n";
    for (const std::string& kept : report.convs_kept)
      std::cout << "kept fp32: " << kept << "\n";
    if (!report_path.empty()) {
      std::ofstream file(report_path);
      file << quantize_json(report).dump(2) << "\n";
      if (!file) throw Error(report_path + ": cannot write the report");
    }
    std::cout << "wrote " << out_path << "\n";
  });
}

void add_export_command(CLI::App& model) {
  auto* e = model.add_subcommand("export",
                                 "Write a model (TF.js or ONNX) as a float ONNX file, for other runtimes");
  static std::string model_path, out_path;
  e->add_option("model", model_path, "ONNX file or TF.js model.json")->required();
  e->add_option("--out", out_path, "ONNX file to write")->required();
  e->callback([] {
    quant::export_model(model_path, out_path);
    std::cout << "wrote " << out_path << "\n";
  });
}

} // namespace

void add_model_commands(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Inspect and run ONNX models");
  model->require_subcommand(1);

  auto* inspect = model->add_subcommand("inspect", "Inputs, outputs, opset, metadata, operators of a model");
  static std::string inspect_path;
  static bool inspect_json_out = false;
  inspect->add_option("model", inspect_path, "ONNX file or TF.js model.json")->required();
  inspect->add_flag("--json", inspect_json_out, "Print one JSON object");
  inspect->callback([] {
    Graph g = engine::load_model(inspect_path);
    auto j = inspect_json(inspect_path, g);
    if (inspect_json_out) {
      std::cout << j.dump(2) << "\n";
    } else {
      print_inspect(j);
    }
    if (!j["unsupported"].empty()) throw Error(inspect_path + ": the model uses unsupported operators");
  });

  add_quantize_command(*model);
  add_export_command(*model);

  auto* run = model->add_subcommand("run", "Run a model on .npy inputs and write one .npy per output");
  static std::string run_path, out_dir, backend = "onednn", run_precision = "fp32";
  static std::vector<std::string> input_specs;
  static int threads = 0;
  run->add_option("model", run_path, "ONNX file or TF.js model.json")->required();
  run->add_option("--input", input_specs, "NAME=FILE.npy (or FILE.npy for single-input models)")->required();
  run->add_option("--output-dir", out_dir, "Folder for the outputs (created)")->required();
  run->add_option("--backend", backend, "reference | onednn")->check(CLI::IsMember({"reference", "onednn"}));
  run->add_option("--threads", threads, "Threads (0 = all cores)");
  add_precision_option(run, run_precision);
  run->callback([] {
    engine::SessionOptions options;
    options.backend = *engine::parse_backend(backend);
    options.precision = precision_flag(run_precision);
    options.threads = threads;
    // Input shapes come from the .npy files: the model's dims are fixed to them at load.
    engine::Graph graph = engine::load_model(run_path);
    std::map<std::string, engine::Tensor> inputs = read_inputs(input_specs, graph.inputs);
    for (const auto& [name, t] : inputs)
      options.input_shapes[name] = t.shape();
    engine::Session session = [&] {
      try {
        return engine::Session::from_graph(std::move(graph), options);
      } catch (const Error& e) {
        throw Error(run_path + ": " + e.what());
      }
    }();
    std::map<std::string, const engine::Tensor*> feed;
    for (const auto& [name, t] : inputs)
      feed[name] = &t;
    std::vector<engine::Tensor> outputs = session.run(feed);
    fs::create_directories(out_dir);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const std::string file = (fs::path(out_dir) / (file_safe(session.outputs()[i].name) + ".npy")).string();
      engine::write_npy(file, outputs[i]);
      std::cout << file << "  " << engine::dtype_name(outputs[i].dtype()) << " "
                << engine::shape_str(outputs[i].shape()) << "\n";
    }
  });
}

} // namespace tilescope::cli
