#include "tilescope/eval/synth.h"

#include "tilescope/core/error.h"
#include "tilescope/detect/annotate.h"
#include "tilescope/video/video_reader.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

namespace tilescope::eval {
namespace {

namespace fs = std::filesystem;

// A cut-out object: pixels and an 8-bit mask of the same size, tight around the mask.
struct BankObject {
  cv::Mat bgr;
  cv::Mat mask;
  int class_id = 0;
};

// Seeded randomness with our own arithmetic on top of mt19937 (whose output
// sequence the standard fixes), so a seed gives the same benchmark everywhere.
class Random {
public:
  explicit Random(std::uint32_t seed) : engine_(seed) {}
  double uniform() { return static_cast<double>(engine_()) / 4294967296.0; } // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int integer(int lo, int hi) { // [lo, hi]
    return lo + static_cast<int>(uniform() * (hi - lo + 1));
  }

private:
  std::mt19937 engine_;
};

// Per-pixel temporal median of `frames` (all the same size, 8-bit BGR).
cv::Mat temporal_median(const std::vector<cv::Mat>& frames) {
  const cv::Mat& first = frames.front();
  cv::Mat median(first.size(), first.type());
  std::vector<std::uint8_t> values(frames.size());
  const std::size_t mid = values.size() / 2;
  for (int y = 0; y < first.rows; ++y) {
    std::uint8_t* out = median.ptr<std::uint8_t>(y);
    for (int x = 0; x < first.cols * 3; ++x) {
      for (std::size_t i = 0; i < frames.size(); ++i)
        values[i] = frames[i].ptr<std::uint8_t>(y)[x];
      std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
      out[x] = values[mid];
    }
  }
  return median;
}

// The foreground mask of `box` in `frame` against the empty `background`: the
// largest connected piece of the changed pixels, or an empty Mat when the piece
// does not look like one whole object (too small, too sparse).
cv::Mat foreground_mask(const cv::Mat& frame, const cv::Mat& background, const cv::Rect& box) {
  cv::Mat diff;
  cv::absdiff(frame(box), background(box), diff);
  std::vector<cv::Mat> channels;
  cv::split(diff, channels);
  cv::Mat changed = cv::max(cv::max(channels[0], channels[1]), channels[2]) > 28;
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5});
  cv::morphologyEx(changed, changed, cv::MORPH_CLOSE, kernel);
  cv::morphologyEx(changed, changed, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, {3, 3}));
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(changed, labels, stats, centroids, 8);
  int best = 0, best_area = 0;
  for (int i = 1; i < n; ++i) {
    if (stats.at<int>(i, cv::CC_STAT_AREA) > best_area)
      best = i, best_area = stats.at<int>(i, cv::CC_STAT_AREA);
  }
  if (best == 0) return {};
  const int height = stats.at<int>(best, cv::CC_STAT_HEIGHT);
  const int width = stats.at<int>(best, cv::CC_STAT_WIDTH);
  const double fill = static_cast<double>(best_area) / (width * height);
  // A whole pedestrian spans most of the detector's box and fills 30-85% of its own box.
  if (height < 0.75 * box.height || fill < 0.3 || fill > 0.85) return {};
  return labels == best;
}

std::vector<BankObject> build_bank(detect::Detector& detector, const SynthOptions& o, cv::Mat& background) {
  video::VideoReader reader = video::VideoReader::open(o.video_path);
  std::vector<cv::Mat> sampled;
  video::Frame frame;
  for (std::int64_t i = 0; (o.bank_max_frames <= 0 || i < o.bank_max_frames) && reader.read(frame); ++i) {
    if (i % o.bank_frame_step == 0) sampled.push_back(frame.bgr.clone());
  }
  if (sampled.size() < 5) throw Error(o.video_path + ": too few frames for a median background");
  background = temporal_median(sampled);

  detect::DetectOptions det;
  det.nms.conf_threshold = 0.3f; // low, so that neighbours of a candidate are seen too
  std::vector<BankObject> bank;
  constexpr int kBatch = 8;
  for (std::size_t start = 0; start < sampled.size(); start += kBatch) {
    const std::vector<cv::Mat> batch(
        sampled.begin() + static_cast<std::ptrdiff_t>(start),
        sampled.begin() + static_cast<std::ptrdiff_t>(std::min(sampled.size(), start + kBatch)));
    const detect::DetectResult result = detector.detect(batch, det);
    for (std::size_t b = 0; b < batch.size(); ++b) {
      const auto& dets = result.detections_in_image[b];
      const cv::Rect frame_rect(0, 0, batch[b].cols, batch[b].rows);
      for (const detect::Detection& d : dets) {
        if (d.score < o.min_bank_score ||
            std::find(o.classes.begin(), o.classes.end(), d.class_id) == o.classes.end())
          continue;
        // Grow the box a little: detector boxes can clip feet and heads.
        const float mx = 0.1f * d.box.width(), my = 0.06f * d.box.height();
        const cv::Rect box = cv::Rect(cv::Point(static_cast<int>(std::floor(d.box.x1 - mx)),
                                                static_cast<int>(std::floor(d.box.y1 - my))),
                                      cv::Point(static_cast<int>(std::ceil(d.box.x2 + mx)),
                                                static_cast<int>(std::ceil(d.box.y2 + my))));
        if (box.height < o.min_bank_height || (box & frame_rect) != box) continue; // small or at the border
        const bool crowded = std::any_of(dets.begin(), dets.end(), [&](const detect::Detection& other) {
          if (&other == &d) return false;
          const detect::BoxXYXY grown{d.box.x1 - mx, d.box.y1 - my, d.box.x2 + mx, d.box.y2 + my};
          return detect::iou(grown, other.box) > 0.0;
        });
        if (crowded) continue;
        const cv::Mat mask = foreground_mask(batch[b], background, box);
        if (mask.empty()) continue;
        const cv::Rect tight = cv::boundingRect(mask);
        bank.push_back({batch[b](box)(tight).clone(), mask(tight).clone(), d.class_id});
      }
    }
  }
  if (bank.empty()) throw Error(o.video_path + ": the detector found no clear, confident object to cut out");
  return bank;
}

// `image` scaled to cover `size`, a random crop of it, mirrored half the time.
cv::Mat random_cover(const cv::Mat& image, cv::Size size, Random& random) {
  const double cover =
      std::max(static_cast<double>(size.width) / image.cols, static_cast<double>(size.height) / image.rows);
  const double scale = cover * random.uniform(1.0, 1.25);
  cv::Mat scaled;
  cv::resize(image, scaled, cv::Size(), scale, scale, scale > 1 ? cv::INTER_CUBIC : cv::INTER_AREA);
  const int x = random.integer(0, std::max(0, scaled.cols - size.width));
  const int y = random.integer(0, std::max(0, scaled.rows - size.height));
  cv::Mat out = scaled(cv::Rect(x, y, size.width, size.height)).clone();
  if (random.uniform() < 0.5) cv::flip(out, out, 1);
  return out;
}

// Regions where the detector already sees a bank class in the bare background.
std::vector<cv::Rect> crowd_regions(detect::Detector& detector, const cv::Mat& background,
                                    const std::vector<int>& classes) {
  std::vector<cv::Mat> views{background};
  std::vector<cv::Point> offsets{{0, 0}};
  const int hw = background.cols / 2, hh = background.rows / 2;
  for (int r = 0; r < 2; ++r) {
    for (int c = 0; c < 2; ++c) {
      views.push_back(background(cv::Rect(c * hw, r * hh, hw, hh)));
      offsets.emplace_back(c * hw, r * hh);
    }
  }
  detect::DetectOptions det;
  det.nms.conf_threshold = 0.3f;
  det.nms.classes = classes;
  const detect::DetectResult result = detector.detect(views, det);
  std::vector<cv::Rect> regions;
  for (std::size_t v = 0; v < views.size(); ++v) {
    for (const detect::Detection& d : result.detections_in_image[v]) {
      regions.emplace_back(
          cv::Point(static_cast<int>(d.box.x1) + offsets[v].x, static_cast<int>(d.box.y1) + offsets[v].y),
          cv::Point(static_cast<int>(std::ceil(d.box.x2)) + offsets[v].x,
                    static_cast<int>(std::ceil(d.box.y2)) + offsets[v].y));
    }
  }
  return regions;
}

// Alpha-blends `object` scaled by `scale` at `at`; returns the tight box of the
// blended mask (alpha >= 0.5) in image pixels, empty when nothing is left of it.
cv::Rect paste(cv::Mat& image, const BankObject& object, double scale, cv::Point at) {
  const cv::Size size(std::max(1, static_cast<int>(std::lround(object.bgr.cols * scale))),
                      std::max(1, static_cast<int>(std::lround(object.bgr.rows * scale))));
  cv::Mat pixels, alpha;
  cv::resize(object.bgr, pixels, size, 0, 0, cv::INTER_AREA);
  cv::resize(object.mask, alpha, size, 0, 0, cv::INTER_AREA); // soft edges from area resampling
  cv::Mat roi = image(cv::Rect(at, size));
  for (int y = 0; y < size.height; ++y) {
    const auto* p = pixels.ptr<cv::Vec3b>(y);
    const auto* a = alpha.ptr<std::uint8_t>(y);
    auto* d = roi.ptr<cv::Vec3b>(y);
    for (int x = 0; x < size.width; ++x) {
      const int w = a[x];
      for (int c = 0; c < 3; ++c)
        d[x][c] = static_cast<std::uint8_t>((p[x][c] * w + d[x][c] * (255 - w) + 127) / 255);
    }
  }
  const cv::Rect tight = cv::boundingRect(alpha >= 128);
  return tight.area() > 0 ? tight + at : cv::Rect();
}

bool overlaps_any(const cv::Rect& r, const std::vector<cv::Rect>& others) {
  return std::any_of(others.begin(), others.end(), [&](const cv::Rect& o) { return (r & o).area() > 0; });
}

void check(const SynthOptions& o) {
  if (o.size.width < 64 || o.size.height < 64) throw Error("synth: --size must be at least 64x64");
  if (o.count < 1) throw Error("synth: --count must be at least 1");
  if (o.min_px < 2 || o.max_px < o.min_px) throw Error("synth: need 2 <= min_px <= max_px");
  if (o.objects_min < 1 || o.objects_max < o.objects_min)
    throw Error("synth: need 1 <= objects_min <= objects_max");
  if (o.video_path.empty()) throw Error("synth: no sample video given");
}

} // namespace

std::vector<std::string> default_background_photos() {
  // Scenes without people: facades, streets, aerial views, a wall.
  static const char* kNames[] = {"building.jpg", "leuvenA.jpg", "leuvenB.jpg", "aero1.jpg",
                                 "aero3.jpg",    "graf1.png",   "home.jpg",    "ela_original.jpg"};
  const fs::path dir = "/usr/share/doc/opencv-doc/examples/data";
  std::vector<std::string> paths;
  for (const char* name : kNames) {
    if (fs::exists(dir / name)) paths.push_back((dir / name).string());
  }
  return paths;
}

SynthSummary build_synth_benchmark(detect::Detector& detector, const SynthOptions& o,
                                   const std::string& out_dir,
                                   const std::function<void(int, int)>& progress) {
  check(o);
  std::vector<cv::Mat> backgrounds(1); // [0]: the video's median, filled by build_bank
  for (const std::string& path : o.background_paths) {
    cv::Mat image = cv::imread(path, cv::IMREAD_COLOR);
    if (image.empty()) throw Error(path + ": not a readable image (synth background)");
    backgrounds.push_back(std::move(image));
  }
  const std::vector<BankObject> bank = build_bank(detector, o, backgrounds[0]);

  const fs::path out(out_dir);
  fs::create_directories(out / "images");
  const std::vector<std::string>& names = detector.class_names();
  auto class_name = [&](int id) {
    return id >= 0 && static_cast<std::size_t>(id) < names.size() ? names[static_cast<std::size_t>(id)]
                                                                  : "class" + std::to_string(id);
  };
  nlohmann::json images = nlohmann::json::array(), annotations = nlohmann::json::array(),
                 categories = nlohmann::json::array();
  for (int id : o.classes)
    categories.push_back({{"id", id + 1}, {"name", class_name(id)}});

  SynthSummary summary;
  summary.bank_objects = static_cast<int>(bank.size());
  Random random(o.seed);
  const double log_min = std::log(o.min_px), log_max = std::log(o.max_px);
  for (int i = 0; i < o.count; ++i) {
    cv::Mat image =
        random_cover(backgrounds[static_cast<std::size_t>(i) % backgrounds.size()], o.size, random);
    std::vector<cv::Rect> taken = crowd_regions(detector, image, o.classes);
    const int image_id = i + 1;
    for (const cv::Rect& r : taken) {
      annotations.push_back({{"id", annotations.size() + 1},
                             {"image_id", image_id},
                             {"category_id", o.classes.front() + 1},
                             {"bbox", {r.x, r.y, r.width, r.height}},
                             {"area", r.area()},
                             {"iscrowd", 1}});
      summary.crowd_regions++;
    }
    const int wanted = random.integer(o.objects_min, o.objects_max);
    for (int placed = 0, tries = 0; placed < wanted && tries < wanted * 40; ++tries) {
      const BankObject& object =
          bank[static_cast<std::size_t>(random.integer(0, static_cast<int>(bank.size()) - 1))];
      const double longer = std::exp(random.uniform(log_min, log_max));
      const double scale = longer / std::max(object.bgr.cols, object.bgr.rows);
      const int w = std::max(1, static_cast<int>(std::lround(object.bgr.cols * scale)));
      const int h = std::max(1, static_cast<int>(std::lround(object.bgr.rows * scale)));
      const cv::Point at(random.integer(0, o.size.width - w), random.integer(0, o.size.height - h));
      // Keep a 4-pixel gap so no two objects touch.
      if (overlaps_any(cv::Rect(at.x - 4, at.y - 4, w + 8, h + 8), taken)) continue;
      const cv::Rect box = paste(image, object, scale, at);
      taken.push_back(cv::Rect(at, cv::Size(w, h)));
      if (box.area() == 0) continue;
      annotations.push_back({{"id", annotations.size() + 1},
                             {"image_id", image_id},
                             {"category_id", object.class_id + 1},
                             {"bbox", {box.x, box.y, box.width, box.height}},
                             {"area", box.area()},
                             {"iscrowd", 0}});
      summary.objects++;
      summary.objects_per_class[class_name(object.class_id)]++;
      placed++;
    }
    char name[32];
    std::snprintf(name, sizeof name, "synth_%04d.jpg", i);
    const fs::path path = out / "images" / name;
    if (!cv::imwrite(path.string(), image, {cv::IMWRITE_JPEG_QUALITY, 95})) {
      throw Error(path.string() + ": cannot write");
    }
    images.push_back({{"id", image_id}, {"file_name", name}, {"width", image.cols}, {"height", image.rows}});
    if (i == 0) {
      std::vector<detect::Detection> truth;
      for (const auto& a : annotations) {
        if (a["image_id"] != image_id) continue;
        const auto& b = a["bbox"];
        const float x = b[0], y = b[1], bw = b[2], bh = b[3];
        truth.push_back(
            {{x, y, x + bw, y + bh}, a["iscrowd"] == 1 ? 0.0f : 1.0f, a["category_id"].get<int>() - 1});
      }
      cv::Mat preview = image.clone();
      detect::annotate(preview, truth, names);
      cv::imwrite((out / "preview.jpg").string(), preview, {cv::IMWRITE_JPEG_QUALITY, 90});
    }
    summary.images++;
    if (progress) progress(i + 1, o.count);
  }
  nlohmann::json gt = {{"info",
                        {{"description", "tilescope synthetic small-object benchmark"},
                         {"seed", o.seed},
                         {"size", std::to_string(o.size.width) + "x" + std::to_string(o.size.height)}}},
                       {"images", images},
                       {"annotations", annotations},
                       {"categories", categories}};
  summary.gt_path = (out / "instances.json").string();
  std::ofstream file(summary.gt_path);
  file << gt.dump(1) << '\n';
  if (!file) throw Error(summary.gt_path + ": cannot write");
  return summary;
}

} // namespace tilescope::eval
