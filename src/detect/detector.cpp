#include "tilescope/detect/detector.h"

#include "tilescope/core/error.h"
#include "tilescope/detect/class_names.h"

#include <algorithm>
#include <chrono>

namespace tilescope::detect {
namespace {

constexpr int kMaxStride = 32; // Ultralytics and NanoDet grids: sizes must divide by it

using Clock = std::chrono::steady_clock;
double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::string joined_names(const std::vector<engine::ValueInfo>& values) {
  std::string s;
  for (const engine::ValueInfo& v : values)
    s += (s.empty() ? "" : ", ") + v.name + " " + dims_str(v);
  return s;
}

// Names by priority: the user's labels file, the model's `names` metadata. Empty
// when neither exists (the head's defaults come later).
std::vector<std::string> explicit_class_names(const DetectorOptions& options,
                                              const std::map<std::string, std::string>& metadata) {
  if (!options.labels_path.empty()) return read_labels_file(options.labels_path);
  auto it = metadata.find("names");
  if (it == metadata.end()) return {};
  try {
    return parse_names_metadata(it->second);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + "; give the names with a labels file instead");
  }
}

bool fully_static(const engine::ValueInfo& v) {
  return v.has_shape &&
         std::all_of(v.dims.begin(), v.dims.end(), [](const engine::Dim& d) { return d.is_static(); });
}

// Exports with dynamic axes often declare outputs as [?,?,?]: compile for the
// input size now (the plan is cached for the first run) and take the inferred
// shapes, so heads are recognised from real sizes and shape errors surface at load.
void fill_output_dims(engine::Session& session, const std::string& input_name,
                      const engine::Shape& input_shape, std::vector<engine::ValueInfo>& outputs) {
  if (std::all_of(outputs.begin(), outputs.end(), fully_static)) return;
  session.prepare({{input_name, input_shape}});
  const engine::Graph& compiled = session.compiled_graph();
  for (engine::ValueInfo& out : outputs) {
    const bool batch_dynamic = !out.dims.empty() && !out.dims[0].is_static();
    out.dims.clear();
    for (std::int64_t d : compiled.type_of(out.name).shape)
      out.dims.push_back({d, ""});
    if (batch_dynamic) out.dims[0] = {-1, "batch"};
    out.has_shape = true;
  }
}

} // namespace

struct Detector::Impl {
  engine::Session session;
  std::unique_ptr<Head> head;
  std::vector<std::string> names;
  Preprocessor preprocessor;
  cv::Size input_size;
  std::int64_t fixed_batch = 0; // > 0 when the model fixes its batch size
  int max_batch = 0;
  // Scratch kept between calls so that steady-state detection does not allocate.
  engine::Tensor input;
  std::vector<LetterboxGeometry> geometry;
  std::vector<Detection> candidates_in_input;
  std::vector<Detection> kept_in_input;
  Nms nms;

  Impl(engine::Session s, std::unique_ptr<Head> h, std::vector<std::string> n, cv::Size size,
       std::int64_t batch, int max)
      : session(std::move(s)), head(std::move(h)), names(std::move(n)), preprocessor(head->preprocess()),
        input_size(size), fixed_batch(batch), max_batch(max) {}

  int batch_limit() const { return fixed_batch > 0 ? static_cast<int>(fixed_batch) : max_batch; }
};

Detector Detector::open(const std::string& model_path, const DetectorOptions& options) {
  engine::Session session = engine::Session::open(model_path, options.session);
  try {
    return create(std::move(session), options);
  } catch (const Error& e) {
    throw Error(model_path + ": " + e.what());
  }
}

Detector Detector::create(engine::Session session, const DetectorOptions& options) {
  const std::vector<engine::ValueInfo>& inputs = session.inputs();
  if (inputs.size() != 1) {
    throw Error("the model has " + std::to_string(inputs.size()) + " inputs (" + joined_names(inputs) +
                "); a detector needs exactly one image input");
  }
  const engine::ValueInfo& in = inputs[0];
  const auto dim = [&](std::size_t i) { return in.dims[i].is_static() ? in.dims[i].value : -1; };
  if (in.has_shape && (in.dims.size() != 4 || (dim(1) >= 0 && dim(1) != 3))) {
    throw Error("input " + in.name + " is " + dims_str(in) +
                "; expected an image batch [batch, 3, height, width]");
  }
  if (options.input_size <= 0)
    throw Error("input size must be > 0, got " + std::to_string(options.input_size));
  if (options.max_batch < 0) throw Error("max batch must be >= 0, got " + std::to_string(options.max_batch));
  const int dynamic_size = (options.input_size + kMaxStride - 1) / kMaxStride * kMaxStride;
  const bool shaped = in.has_shape && in.dims.size() == 4;
  const cv::Size input_size(shaped && dim(3) > 0 ? static_cast<int>(dim(3)) : dynamic_size,
                            shaped && dim(2) > 0 ? static_cast<int>(dim(2)) : dynamic_size);
  const std::int64_t fixed_batch = shaped && dim(0) > 0 ? dim(0) : 0;

  const std::map<std::string, std::string>& metadata = session.model().metadata;
  std::vector<std::string> names = explicit_class_names(options, metadata);
  ModelSignature signature{inputs, session.outputs(), metadata, std::nullopt};
  fill_output_dims(session, in.name,
                   {fixed_batch > 0 ? fixed_batch : 1, 3, input_size.height, input_size.width},
                   signature.outputs);
  if (!names.empty()) signature.num_classes_hint = static_cast<int>(names.size());
  std::unique_ptr<Head> head = HeadRegistry::instance().create(options.head, signature);

  const int nc = head->num_classes();
  if (names.empty()) names = head->default_class_names();
  if (names.empty()) names = generic_class_names(nc);
  if (static_cast<int>(names.size()) != nc) {
    const std::string source = options.labels_path.empty() ? "metadata 'names'" : options.labels_path;
    throw Error(source + " has " + std::to_string(names.size()) + " class names but the " +
                std::string(head->name()) + " head predicts " + std::to_string(nc) + " classes");
  }
  return Detector(std::make_unique<Impl>(std::move(session), std::move(head), std::move(names), input_size,
                                         fixed_batch, options.max_batch));
}

Detector::Detector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Detector::Detector(Detector&&) noexcept = default;
Detector& Detector::operator=(Detector&&) noexcept = default;
Detector::~Detector() = default;

const Head& Detector::head() const { return *impl_->head; }
const std::vector<std::string>& Detector::class_names() const { return impl_->names; }
cv::Size Detector::input_size() const { return impl_->input_size; }
int Detector::batch_limit() const { return impl_->batch_limit(); }
engine::Session& Detector::session() { return impl_->session; }

DetectResult Detector::detect(const std::vector<cv::Mat>& images_bgr, const DetectOptions& options) {
  check_nms_options(options.nms);
  for (std::size_t i = 0; i < images_bgr.size(); ++i) { // all checked before any work
    const cv::Mat& m = images_bgr[i];
    const int ch = m.channels();
    if (m.empty() || m.depth() != CV_8U || (ch != 1 && ch != 3 && ch != 4)) {
      throw Error("image " + std::to_string(i) +
                  ": expected a non-empty 8-bit image with 1, 3 or 4 channels");
    }
  }
  Impl& s = *impl_;
  DetectResult result;
  result.detections_in_image.resize(images_bgr.size());
  const std::size_t n = images_bgr.size();
  const std::size_t chunk = s.batch_limit() > 0 ? std::size_t(s.batch_limit()) : std::max<std::size_t>(n, 1);
  const float conf = options.nms.conf_threshold;

  for (std::size_t start = 0; start < n; start += chunk) {
    const std::size_t count = std::min(chunk, n - start);
    const std::int64_t batch = s.fixed_batch > 0 ? s.fixed_batch : static_cast<std::int64_t>(count);
    const engine::Shape shape{batch, 3, s.input_size.height, s.input_size.width};
    if (s.input.shape() != shape) s.input = engine::Tensor(engine::DType::kFloat32, shape);

    const Clock::time_point t0 = Clock::now();
    s.geometry.resize(count);
    // Slots past `count` in a fixed-size batch keep old pixels; their outputs are ignored.
    for (std::size_t i = 0; i < count; ++i)
      s.geometry[i] = s.preprocessor.fill(images_bgr[start + i], s.input, std::int64_t(i));
    const Clock::time_point t1 = Clock::now();
    std::vector<engine::Tensor> outputs = s.session.run(s.input);
    const Clock::time_point t2 = Clock::now();

    s.head->check_outputs(outputs, s.input_size);
    for (std::size_t o = 0; o < outputs.size(); ++o) {
      if (outputs[o].rank() == 0 || outputs[o].shape()[0] != batch) {
        throw Error("output " + std::to_string(o) + " is " + engine::shape_str(outputs[o].shape()) +
                    "; expected batch " + std::to_string(batch) + " first");
      }
    }
    for (std::size_t i = 0; i < count; ++i) {
      s.candidates_in_input.clear();
      s.head->decode(outputs, std::int64_t(i), s.input_size, conf, s.candidates_in_input);
      s.nms.run(s.candidates_in_input, options.nms, s.kept_in_input);
      std::vector<Detection>& out = result.detections_in_image[start + i];
      out.reserve(s.kept_in_input.size());
      for (const Detection& d : s.kept_in_input)
        out.push_back({s.geometry[i].to_image(d.box), d.score, d.class_id});
    }
    const Clock::time_point t3 = Clock::now();
    result.timings.preprocess_ms += ms_between(t0, t1);
    result.timings.inference_ms += ms_between(t1, t2);
    result.timings.postprocess_ms += ms_between(t2, t3);
    ++result.timings.runs;
  }
  return result;
}

} // namespace tilescope::detect
