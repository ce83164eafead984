// System::metrics_text: per camera and process metrics in Prometheus text format.
#include "jobs.h"
#include "metrics.h"
#include "system_impl.h"

namespace tilescope::pipeline {
namespace {

struct CameraSample {
  Labels labels;
  CameraInfo info;
  LatencyHistogram::Snapshot latency;
};

using Gauge = double (*)(const CameraInfo&);

struct CameraFamily {
  const char* name;
  MetricsText::Type type;
  const char* help;
  Gauge value;
};

constexpr MetricsText::Type kGauge = MetricsText::Type::kGauge;
constexpr MetricsText::Type kCounter = MetricsText::Type::kCounter;

// One row per per-camera family: adding a metric is adding a row.
const CameraFamily kCameraFamilies[] = {
    {"tilescope_camera_up", kGauge, "1 when the camera delivers frames (state live), else 0.",
     [](const CameraInfo& c) { return c.source.state == video::SourceState::kLive ? 1.0 : 0.0; }},
    {"tilescope_camera_input_fps", kGauge, "Frames decoded per second (recent average).",
     [](const CameraInfo& c) { return c.source.input_fps; }},
    {"tilescope_camera_processed_fps", kGauge, "Frames through detection per second (recent average).",
     [](const CameraInfo& c) { return c.processed_fps; }},
    {"tilescope_camera_frames_decoded_total", kCounter, "Frames decoded since the camera's worker started.",
     [](const CameraInfo& c) { return static_cast<double>(c.source.frames_decoded); }},
    {"tilescope_camera_frames_dropped_total", kCounter,
     "Frames replaced by a newer one before the worker took them (inference slower than the camera).",
     [](const CameraInfo& c) { return static_cast<double>(c.source.frames_dropped); }},
    {"tilescope_camera_frames_skipped_total", kCounter,
     "Frames decoded but not processed (over the fps limit, or replaced before the worker took them).",
     [](const CameraInfo& c) { return static_cast<double>(c.frames_skipped); }},
    {"tilescope_camera_frames_processed_total", kCounter, "Frames through detection.",
     [](const CameraInfo& c) { return static_cast<double>(c.frames_processed); }},
    {"tilescope_camera_tiles_per_frame", kGauge,
     "Detector views per processed frame, tiles plus the full-frame pass (recent average).",
     [](const CameraInfo& c) { return c.tiles_per_frame; }},
    {"tilescope_camera_reconnects_total", kCounter, "Successful reconnections after the first connection.",
     [](const CameraInfo& c) { return static_cast<double>(c.source.reconnects); }},
    {"tilescope_events_opened_total", kCounter, "Events opened since tilescope started.",
     [](const CameraInfo& c) { return static_cast<double>(c.events_opened); }},
};

} // namespace

std::string System::metrics_text() const {
  const Impl& s = *impl_;
  std::vector<CameraSample> cameras;
  for (CameraInfo& info : System::cameras()) {
    CameraSample sample;
    sample.labels = {{"camera", info.config.name}};
    {
      std::lock_guard lock(s.counters_mutex);
      const auto it = s.counters.find(info.id);
      if (it != s.counters.end()) sample.latency = it->second->latency.snapshot();
    }
    sample.info = std::move(info);
    cameras.push_back(std::move(sample));
  }

  MetricsText out;
  for (const CameraFamily& f : kCameraFamilies) {
    out.family(f.name, f.type, f.help);
    for (const CameraSample& c : cameras)
      out.sample(f.name, c.labels, f.value(c.info));
  }
  out.family(
      "tilescope_inference_latency_ms", MetricsText::Type::kHistogram,
      "Milliseconds from a frame's arrival (decoded) to its detections (tracked), per processed frame.");
  for (const CameraSample& c : cameras)
    out.histogram("tilescope_inference_latency_ms", c.labels, c.latency);

  const ProcessMemory memory = read_process_memory();
  out.family("tilescope_process_resident_memory_bytes", kGauge, "Resident memory of the process (VmRSS).");
  out.sample("tilescope_process_resident_memory_bytes", {}, static_cast<double>(memory.resident_bytes));
  out.family("tilescope_process_peak_memory_bytes", kGauge, "Peak resident memory of the process (VmHWM).");
  out.sample("tilescope_process_peak_memory_bytes", {}, static_cast<double>(memory.peak_bytes));
  out.family("tilescope_process_uptime_seconds", kGauge, "Seconds since the system started.");
  out.sample("tilescope_process_uptime_seconds", {},
             std::chrono::duration<double>(std::chrono::steady_clock::now() - s.started).count());
  out.family("tilescope_cameras", kGauge, "Cameras configured.");
  out.sample("tilescope_cameras", {}, static_cast<double>(cameras.size()));
  out.family("tilescope_jobs_queued", kGauge, "Video jobs waiting for the job worker.");
  out.sample("tilescope_jobs_queued", {}, static_cast<double>(s.jobs->queued()));
  std::size_t listeners = 0;
  {
    std::lock_guard lock(s.listeners_mutex);
    listeners = s.listeners.size();
  }
  out.family("tilescope_listeners", kGauge,
             "Registered frame and event listeners (WebSocket clients, alerts).");
  out.sample("tilescope_listeners", {}, static_cast<double>(listeners));
  return out.text();
}

} // namespace tilescope::pipeline
