#include "tilescope/video/live_source.h"

#include "source_open.h"
#include "tilescope/core/error.h"
#include "tilescope/core/redact.h"
#include "tilescope/video/video_reader.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <random>
#include <thread>

namespace tilescope::video {

const char* to_string(SourceState state) {
  switch (state) {
  case SourceState::kConnecting: return "connecting";
  case SourceState::kLive: return "live";
  case SourceState::kRetrying: return "retrying";
  case SourceState::kEnded: return "ended";
  case SourceState::kStopped: return "stopped";
  }
  return "unknown";
}

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kCloseTimeoutS = 1.0;    // RTSP TEARDOWN and the like, to a peer that may be gone
constexpr double kFpsWindowS = 2.0;       // input_fps averages the arrivals of this long
constexpr std::size_t kMaxArrivals = 256; // ... but never keeps more than this many
constexpr double kMaxBehindS = 1.0;       // a paced file this late skips ahead instead of bursting
constexpr double kMinBackoffS = 0.05;     // a zero initial backoff would spin on a dead source

Clock::duration seconds_to_duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Delivers the frames of a file at their timestamps, like a camera would: due(pts) is the
// moment to publish a frame. Survives loop restarts (timestamps start over at 0): the first
// frame of the next pass is due one frame period after the last one of the previous pass.
class Pacer {
public:
  void set_period(double period_s) { period_s_ = period_s; }

  Clock::time_point due(double pts_s) {
    const auto now = Clock::now();
    if (!anchored_ || pts_s < last_pts_s_) {
      const auto next = anchored_ ? std::max(now, last_due_ + seconds_to_duration(period_s_)) : now;
      anchor_ = next - seconds_to_duration(pts_s);
      anchored_ = true;
    }
    auto at = anchor_ + seconds_to_duration(pts_s);
    if (at < now - seconds_to_duration(kMaxBehindS)) { // a stalled box: resume from now
      anchor_ = now - seconds_to_duration(pts_s);
      at = now;
    }
    last_pts_s_ = pts_s;
    last_due_ = at;
    return at;
  }

private:
  bool anchored_ = false;
  Clock::time_point anchor_;
  Clock::time_point last_due_;
  double last_pts_s_ = 0;
  double period_s_ = 0;
};

} // namespace

struct LiveSource::Impl {
  enum class End { kStopped, kFileEnd, kFailed };
  struct Session {
    End end = End::kFailed;
    std::string error;
    std::int64_t frames = 0;
  };

  Impl(std::string url_in, SourceOptions options_in)
      : url(std::move(url_in)), shown_url(redact_url(url)), options(std::move(options_in)),
        kind(source_kind(url)) {}

  const std::string url;
  const std::string shown_url; // for messages: password redacted
  const SourceOptions options;
  const SourceKind kind;

  std::atomic<bool> stopping{false};
  OperationDeadline deadline; // decode thread only (and FFmpeg's callback on it)

  mutable std::mutex mutex;
  std::condition_variable frame_ready; // wait_frame
  std::condition_variable wake;        // the decode thread's backoff and pacing sleeps
  // The newest frame, still in the decoder's pixel format: converting to BGR costs about as
  // much as decoding, so only frames a consumer takes (and wants) are converted.
  struct Pending {
    DecodedPicture picture;
    std::int64_t seq = 0;
    double pts_s = 0;
    Clock::time_point arrived;
    std::int64_t wall_ms = 0;
  };
  std::optional<Pending> slot;
  SourceStatus status;
  Clock::time_point retry_at;
  std::deque<Clock::time_point> arrivals;
  std::int64_t next_seq = 1;

  std::mutex join_mutex;
  std::thread thread;

  std::mutex convert_mutex; // consumers (normally one): the converter is not thread-safe
  BgrConverter converter;

  // Decode thread state.
  bool opened_before = false;
  Pacer pacer;

  void run();
  Session play(bool loop_restart);
  void publish(DecodedPicture& picture);
  void set_state(SourceState state);
  // Sleeps until `until` unless stop() comes first (then false).
  bool sleep_until(Clock::time_point until);
  double backoff_s(int consecutive_failures, std::mt19937& rng) const;
  std::string describe_failure(const std::string& error, const std::string& waiting_for) const;
};

void LiveSource::Impl::set_state(SourceState state) {
  std::lock_guard lock(mutex);
  if (stopping.load()) return; // stop() has the last word
  status.state = state;
}

bool LiveSource::Impl::sleep_until(Clock::time_point until) {
  std::unique_lock lock(mutex);
  return !wake.wait_until(lock, until, [this] { return stopping.load(); });
}

double LiveSource::Impl::backoff_s(int consecutive_failures, std::mt19937& rng) const {
  const double initial = std::max(options.backoff_initial_s, kMinBackoffS);
  const double ceiling = std::max(options.backoff_max_s, initial);
  const double base = std::min(ceiling, initial * std::pow(2.0, std::min(consecutive_failures - 1, 30)));
  const double jitter = std::clamp(options.backoff_jitter, 0.0, 1.0);
  if (jitter == 0) return base;
  // Jitter spreads the retries of many cameras behind one failed switch or NVR.
  std::uniform_real_distribution<double> factor(1.0 - jitter, 1.0 + jitter);
  return base * factor(rng);
}

std::string LiveSource::Impl::describe_failure(const std::string& error,
                                               const std::string& waiting_for) const {
  // An interrupted FFmpeg call only says "Immediate exit requested": name the timeout instead.
  if (deadline.expired()) return timeout_message(shown_url, waiting_for, deadline.seconds());
  return error; // VideoReader's messages name the URL redacted
}

void LiveSource::Impl::publish(DecodedPicture& picture) {
  Pending pending;
  pending.pts_s = picture.timestamp_s;
  pending.arrived = Clock::now();
  pending.wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  const int width = picture.width(), height = picture.height();
  pending.picture = std::move(picture);
  std::optional<Pending> dropped; // released outside the lock
  {
    std::lock_guard lock(mutex);
    pending.seq = next_seq++;
    if (slot) {
      ++status.frames_dropped;
      dropped = std::move(slot);
    }
    status.width = width;
    status.height = height;
    ++status.frames_decoded;
    if (!stopping.load()) status.state = SourceState::kLive;
    arrivals.push_back(pending.arrived);
    while (arrivals.size() > kMaxArrivals ||
           (arrivals.size() > 2 && pending.arrived - arrivals.front() > seconds_to_duration(kFpsWindowS)))
      arrivals.pop_front();
    slot = std::move(pending);
  }
  frame_ready.notify_all();
}

LiveSource::Impl::Session LiveSource::Impl::play(bool loop_restart) {
  if (const std::string problem = check_source_options(options); !problem.empty())
    return {End::kFailed, shown_url + ": " + problem, 0};
  const ReaderOptions reader_options =
      make_reader_options(kind, options, std::max(options.open_timeout_s, options.read_timeout_s),
                          [this] { return stopping.load() || deadline.passed(); });

  std::optional<VideoReader> reader;
  // Destroyed before `reader` (reverse order): closing gets a short deadline of its own.
  struct ArmCloseDeadline {
    OperationDeadline& deadline;
    ~ArmCloseDeadline() { deadline.arm(kCloseTimeoutS); }
  } arm_close{deadline};

  deadline.arm(options.open_timeout_s);
  try {
    reader.emplace(VideoReader::open(url, reader_options));
  } catch (const Error& e) {
    if (stopping.load()) return {End::kStopped, {}, 0};
    return {End::kFailed, describe_failure(e.what(), "no answer"), 0};
  }
  const VideoInfo& info = reader->info();
  pacer.set_period(info.fps > 0 ? 1.0 / info.fps : 0.0);
  {
    std::lock_guard lock(mutex);
    if (opened_before && !loop_restart) ++status.reconnects;
    status.codec = info.codec;
    status.width = info.width;
    status.height = info.height;
  }
  opened_before = true;

  const bool pace = kind == SourceKind::kFile && options.pace_files;
  Session session;
  DecodedPicture frame;
  while (true) {
    // open_timeout_s covers connecting and the first frame together (a camera may send its
    // first key frame only after a second or two); each later frame has read_timeout_s.
    const bool first = session.frames == 0;
    if (!first) deadline.arm(options.read_timeout_s);
    bool got = false;
    try {
      got = reader->read(frame);
    } catch (const Error& e) {
      if (stopping.load()) return {End::kStopped, {}, 0};
      session.end = End::kFailed;
      session.error = describe_failure(e.what(), first ? "no first frame" : "no frame");
      return session;
    }
    if (stopping.load()) return {End::kStopped, {}, 0};
    if (!got) {
      if (kind == SourceKind::kFile) {
        session.end = End::kFileEnd;
      } else {
        session.end = End::kFailed;
        session.error = shown_url + ": the stream ended (the server closed it)";
      }
      return session;
    }
    if (pace && !sleep_until(pacer.due(frame.timestamp_s))) return {End::kStopped, {}, 0};
    publish(frame);
    ++session.frames;
  }
}

void LiveSource::Impl::run() {
  pthread_setname_np(pthread_self(), "ts-live-source");
  std::mt19937 rng(std::random_device{}());
  int consecutive_failures = 0;
  bool loop_restart = false;
  while (!stopping.load()) {
    if (!loop_restart) set_state(SourceState::kConnecting);
    Session session = play(loop_restart);
    loop_restart = false;
    if (session.end == End::kStopped || stopping.load()) break;
    if (session.frames > 0) consecutive_failures = 0;
    if (session.end == End::kFileEnd) {
      if (!options.loop) {
        set_state(SourceState::kEnded);
        frame_ready.notify_all(); // wait_frame returns at once from now on
        return;
      }
      if (session.frames > 0) {
        loop_restart = true; // start over: reopening a file is cheap and resets the decoder
        continue;
      }
      session.error = shown_url + ": no frame decoded (empty or undecodable video)";
    }
    ++consecutive_failures;
    const double delay_s = backoff_s(consecutive_failures, rng);
    {
      std::lock_guard lock(mutex);
      if (stopping.load()) break;
      ++status.failures;
      status.last_error = session.error;
      status.state = SourceState::kRetrying;
      retry_at = Clock::now() + seconds_to_duration(delay_s);
      arrivals.clear();
    }
    if (!sleep_until(retry_at)) break;
  }
}

LiveSource::LiveSource(std::string url, SourceOptions options)
    : impl_(std::make_unique<Impl>(std::move(url), std::move(options))) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

LiveSource::~LiveSource() { stop(); }

bool LiveSource::wait_frame(std::int64_t after_seq, LiveFrame& frame, std::chrono::milliseconds timeout) {
  return wait_frame(after_seq, frame, timeout, {});
}

bool LiveSource::wait_frame(std::int64_t after_seq, LiveFrame& frame, std::chrono::milliseconds timeout,
                            const std::function<bool(const LiveFrame&)>& want) {
  Impl& s = *impl_;
  std::optional<Impl::Pending> taken;
  {
    std::unique_lock lock(s.mutex);
    const auto ready = [&] {
      return s.stopping.load() || (s.slot && s.slot->seq > after_seq) ||
             s.status.state == SourceState::kEnded;
    };
    s.frame_ready.wait_for(lock, timeout, ready);
    if (s.stopping.load() || !s.slot || s.slot->seq <= after_seq) return false;
    taken = std::move(s.slot);
    s.slot.reset();
  }
  frame.seq = taken->seq;
  frame.pts_s = taken->pts_s;
  frame.arrived = taken->arrived;
  frame.wall_ms = taken->wall_ms;
  // Never written in place: the caller may still share the previous frame's pixels.
  frame.bgr.release();
  if (want && !want(frame)) return true;
  try {
    std::lock_guard lock(s.convert_mutex);
    s.converter.convert(taken->picture, frame.bgr);
  } catch (const Error& e) {
    std::lock_guard lock(s.mutex);
    s.status.last_error = s.shown_url + ": " + e.what();
    return false;
  }
  return true;
}

SourceStatus LiveSource::status() const {
  const Impl& s = *impl_;
  const auto now = Clock::now();
  std::lock_guard lock(s.mutex);
  SourceStatus out = s.status;
  if (out.state == SourceState::kRetrying)
    out.retry_in_s = std::max(0.0, std::chrono::duration<double>(s.retry_at - now).count());
  if (out.state == SourceState::kLive && s.arrivals.size() >= 2) {
    // Until the next frame comes, the time since the last one counts too: a stalling stream's
    // rate falls instead of freezing at its last value.
    const double span_s = std::chrono::duration<double>(s.arrivals.back() - s.arrivals.front()).count();
    const double mean_gap_s = span_s / static_cast<double>(s.arrivals.size() - 1);
    const double since_last_s = std::chrono::duration<double>(now - s.arrivals.back()).count();
    const double window_s = since_last_s > 2 * mean_gap_s ? span_s + since_last_s : span_s;
    if (window_s > 0) out.input_fps = static_cast<double>(s.arrivals.size() - 1) / window_s;
  }
  return out;
}

const std::string& LiveSource::url() const { return impl_->url; }

void LiveSource::stop() {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.mutex);
    s.stopping.store(true); // under the lock: no sleeper misses the wake-up below
    s.status.state = SourceState::kStopped;
    s.status.retry_in_s = 0;
  }
  s.wake.notify_all();
  s.frame_ready.notify_all();
  std::lock_guard join_lock(s.join_mutex);
  if (s.thread.joinable()) s.thread.join(); // FFmpeg's interrupt callback ends a blocking call
}

} // namespace tilescope::video
