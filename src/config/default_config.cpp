// The commented default configuration `tilescope serve` writes when there is none: the
// first thing a user reads, so it documents every option. parse_config must accept it
// (tests/config checks the round trip).
#include "tilescope/config/config.h"

namespace tilescope::config {

namespace {

// A YAML double-quoted scalar: backslashes and quotes escaped; "${" doubled so a path
// holding it is not taken for an environment variable.
std::string yaml_quoted(const std::string& text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"' || c == '\\') out += '\\';
    if (text.compare(i, 2, "${") == 0) out += '$';
    out += c;
  }
  return out + "\"";
}

constexpr const char* kHead = R"(# tilescope serve — configuration
#
# Layout (every key is optional unless marked required; unknown keys are errors):
#
#   server:   bind, port, auth {tokens, username, password}, max_upload_mb, threads
#   model:    path, precision, labels, threads
#   storage:  path, retention_days, max_gb
#   tiling:   mode, overlap, min_object_px, budget_ms, full_frame, motion_gating, sweep_every
#   cameras:  - name, url, enabled, fps_limit, rtsp_transport, loop, classes, score_threshold,
#               class_thresholds, tiling, zones [{name, points}], masks, events
#               {classes, min_score, confirm_n, confirm_m}
#   alerts:   rules and sinks (email, webhook, MQTT)
#
# Any string value may name an environment variable as ${NAME} (e.g. a camera password:
# url: "rtsp://admin:${CAM1_PASSWORD}@10.0.0.5/live"), so secrets need not be in this
# file; an unset variable is an error. Write $${ for a literal ${.
#
# Cameras added or edited in the web UI are kept in the database (storage.path) and
# survive restarts; this file is not rewritten.
#
# The whole file is checked before anything starts: every problem is reported with its
# place (e.g. `cameras[2].url`).

server:
  # Address to listen on. 127.0.0.1 keeps the server on this machine; any other address
  # (0.0.0.0: every interface) requires auth below.
  bind: 127.0.0.1
  port: 8080                # 1..65535
  auth:
    # Bearer tokens for the API (header `Authorization: Bearer <token>`). Long random
    # strings, e.g. from `openssl rand -hex 32`.
    tokens: []
    # Login for the web UI, which hands out a session token. Set both or neither.
    username: ""
    password: ""            # better: "${TILESCOPE_PASSWORD}"
  max_upload_mb: 64         # largest image or video accepted by /api/v1/detect and /api/v1/jobs
  threads: 2                # HTTP I/O threads (1..64)

model:
  # An Ultralytics export (`yolo export model=best.pt format=onnx`: YOLOv8, YOLO11,
  # YOLOv5) or a TF.js graph. Empty: the default model, NanoDet-m (COCO, 80 classes),
  # fetched by scripts/setup. A relative path is relative to this file.
  path: ""
  precision: fp32           # fp32 | bf16 (AVX-512 CPUs) | int8 (a model from `tilescope model quantize`)
  # Class names, one per line, when the model does not carry them (ONNX metadata `names`).
  labels: ""
  threads: 0                # inference threads; 0: every core

storage:
  # Database (tilescope.db) and event snapshots. Relative to this file.
  path: tilescope-data
  retention_days: 14        # events that started longer ago are deleted; 0: keep them
  max_gb: 10                # database + snapshots above this: the oldest events go; 0: no limit

# Sliced (tiled) inference, so objects of a few dozen pixels in a large frame are found.
# These are the defaults; a camera may override any of them under its own `tiling:`.
tiling:
  # off:       the whole frame once, resized to the model input (fastest, misses small objects)
  # adaptive:  tile size from the frame, the model input and min_object_px (recommended)
  # sahi-auto: SAHI's automatic slicing
  # WxH:       fixed slices, e.g. 640x640 (with overlap below)
  mode: adaptive
  overlap: 0.2              # fixed WxH only: fraction of a slice shared with its neighbour, [0, 1)
  min_object_px: 0          # adaptive: smallest object wanted, in frame pixels; 0: 16
  budget_ms: 0              # adaptive: inference time per frame to stay under; 0: no budget
  # full_frame: true        # also run the whole frame (large objects); unset: the planner decides
  # Live cameras: tiles only where there is motion or a tracked object; every view of the
  # plan still runs at least once every `sweep_every` processed frames (in rotation), so
  # still objects are found too.
  motion_gating: true
  sweep_every: 10           # >= 1

cameras:
  # Each camera:
  #   name:            required; letters, digits, '_' and '-'; unique (used in URLs and MQTT topics)
  #   url:             required; rtsp://user:pass@host:554/stream, rtsps://, http(s):// (MJPEG,
  #                    MPEG-TS, HLS), udp://, a video file, or a device such as /dev/video0
  #   enabled:         true | false
  #   fps_limit:       processed frames per second (frames in between are skipped); 0: as fast as possible
  #   rtsp_transport:  tcp | udp
  #   loop:            files: start over at the end
  #   classes:         classes to detect, e.g. [person, car]; empty: every class of the model
  #   score_threshold: detection confidence, [0, 1]
  #   class_thresholds: per-class confidence, e.g. {person: 0.5, knife: 0.3}
  #   tiling:          overrides of the tiling defaults above, e.g. {mode: 640x640}
  #   zones:           named areas; an event records the zones its object entered.
  #                    Points are [x, y] in [0, 1] of the frame width and height
  #                    ((0, 0) top-left), so they survive a change of resolution:
  #                      zones:
  #                        - name: door
  #                          points: [[0.1, 0.5], [0.3, 0.5], [0.3, 1.0], [0.1, 1.0]]
  #   masks:           areas where nothing is detected (a clock, a tree), same points:
  #                      masks: [[[0.0, 0.0], [0.3, 0.0], [0.3, 0.08], [0.0, 0.08]]]
  #   events:          which tracked objects make events
  #     classes:       e.g. [person]; empty: no events
  #     min_score:     a track's best score must reach this, [0, 1]
  #     confirm_n, confirm_m: seen in N of the last M processed frames (1 <= N <= M <= 100)
  #                    before the event opens, so a one-frame false detection does not
  - name: demo
    url: )";

constexpr const char* kTail = R"(
    enabled: true
    fps_limit: 5
    rtsp_transport: tcp
    loop: true
    classes: []
    score_threshold: 0.35
    class_thresholds: {}
    zones: []
    masks: []
    events:
      classes: [person]
      min_score: 0.5
      confirm_n: 3
      confirm_m: 5

# Alerts (email, webhooks, MQTT) on events: rules and sinks. Empty: no alerts.
# alerts:
)";

} // namespace

std::string default_config_yaml(const std::string& demo_video) {
  return std::string(kHead) + yaml_quoted(demo_video) + kTail;
}

} // namespace tilescope::config
