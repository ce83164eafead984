#include "tilescope/video/video_reader.h"

extern "C" {
#include <libavcodec/avcodec.h>
#ifdef TILESCOPE_HAVE_AVDEVICE
#include <libavdevice/avdevice.h>
#endif
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

#include "ffmpeg_error.h"
#include "tilescope/core/error.h"
#include "tilescope/core/redact.h"

#include <algorithm>
#include <mutex>

namespace tilescope::video {
namespace {

// Once per process: TLS for https (avformat_network_init) and the capture devices
// (V4L2 lives in libavdevice, optional at build time).
void init_ffmpeg() {
  quiet_ffmpeg_logs();
  static std::once_flag once;
  std::call_once(once, [] {
    avformat_network_init();
#ifdef TILESCOPE_HAVE_AVDEVICE
    avdevice_register_all();
#endif
  });
}

} // namespace

struct VideoReader::Impl {
  std::string url;
  std::function<bool()> interrupt; // ReaderOptions::interrupt; FFmpeg polls it through on_interrupt
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  BgrConverter converter; // read(Frame&)
  DecodedPicture picture; // read(Frame&): the frame being converted
  AVPacket* packet = nullptr;
  AVFrame* frame = nullptr;
  int stream_index = -1;
  AVRational time_base{0, 1};
  std::int64_t next_index = 0;
  std::int64_t first_pts = AV_NOPTS_VALUE;
  bool draining = false;
  bool finished = false;
  VideoInfo info;

  static int on_interrupt(void* opaque) {
    const auto* self = static_cast<const Impl*>(opaque);
    return self->interrupt && self->interrupt() ? 1 : 0;
  }

  ~Impl() {
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    avformat_close_input(&format);
  }

  [[noreturn]] void fail(const std::string& what, int code) const {
    throw Error(redact_url(url) + ": " + what + (code < 0 ? ": " + av_error_text(code) : std::string()));
  }

  // Numbers and timestamps the decoded frame (in `frame`).
  void stamp(std::int64_t& index, double& timestamp_s) {
    const std::int64_t pts = frame->best_effort_timestamp;
    if (pts != AV_NOPTS_VALUE && first_pts == AV_NOPTS_VALUE) first_pts = pts;
    if (pts != AV_NOPTS_VALUE) {
      timestamp_s = static_cast<double>(pts - first_pts) * av_q2d(time_base);
    } else {
      timestamp_s = info.fps > 0 ? static_cast<double>(next_index) / info.fps : 0.0;
    }
    index = next_index++;
  }
  // Decodes the next frame into `frame` (false at the end of the stream).
  bool decode_next();
};

VideoReader::VideoReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VideoReader::VideoReader(VideoReader&&) noexcept = default;
VideoReader& VideoReader::operator=(VideoReader&&) noexcept = default;
VideoReader::~VideoReader() = default;

VideoReader VideoReader::open(const std::string& url, const ReaderOptions& options) {
  init_ffmpeg();
  auto impl = std::make_unique<Impl>();
  impl->url = url;
  impl->interrupt = options.interrupt;
  AVDictionary* dict = nullptr;
  const std::string timeout_us = std::to_string(static_cast<std::int64_t>(options.open_timeout_s * 1e6));
  if (url.find("://") != std::string::npos) {
    av_dict_set(&dict, "rw_timeout", timeout_us.c_str(), 0); // network I/O: give up instead of hanging
    if (url.rfind("rtsp://", 0) == 0) {
      av_dict_set(&dict, "timeout", timeout_us.c_str(), 0);
      if (!options.rtsp_transport.empty())
        av_dict_set(&dict, "rtsp_transport", options.rtsp_transport.c_str(), 0);
    }
  }
  if (options.analyze_s > 0) {
    // FFmpeg reads ahead to learn the stream's parameters and frame rate: up to 5 s, and 20
    // frames (2 s at 10 fps) for RTSP, whose timestamps say nothing about the rate. On a
    // live camera that is start-up delay, and those frames come out late.
    const std::string analyze_us = std::to_string(static_cast<std::int64_t>(options.analyze_s * 1e6));
    av_dict_set(&dict, "analyzeduration", analyze_us.c_str(), 0);
    av_dict_set(&dict, "fpsprobesize", "2", 0);
  }
  std::string format_name = options.input_format;
  if (format_name.empty() && url.rfind("/dev/video", 0) == 0) format_name = "video4linux2";
  const AVInputFormat* input_format = nullptr;
  if (!format_name.empty()) {
    input_format = av_find_input_format(format_name.c_str());
    if (input_format == nullptr) {
      av_dict_free(&dict);
      impl->fail("this FFmpeg build has no '" + format_name + "' input" +
                     (format_name == "video4linux2" ? " (V4L2 devices need libavdevice)" : ""),
                 0);
    }
  }
  // The context is allocated first so the interrupt callback covers the open itself.
  impl->format = avformat_alloc_context();
  if (impl->format == nullptr) {
    av_dict_free(&dict);
    impl->fail("out of memory", 0);
  }
  if (impl->interrupt) impl->format->interrupt_callback = {&Impl::on_interrupt, impl.get()};
  int rc = avformat_open_input(&impl->format, url.c_str(), input_format, &dict);
  av_dict_free(&dict);
  if (rc < 0) impl->fail("cannot open", rc);
  rc = avformat_find_stream_info(impl->format, nullptr);
  if (rc < 0) impl->fail("cannot read stream information", rc);
  const AVCodec* decoder = nullptr;
  rc = av_find_best_stream(impl->format, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (rc < 0) impl->fail("no decodable video stream", rc);
  impl->stream_index = rc;
  AVStream* stream = impl->format->streams[rc];
  impl->time_base = stream->time_base;

  impl->codec = avcodec_alloc_context3(decoder);
  if (impl->codec == nullptr) impl->fail("out of memory", 0);
  rc = avcodec_parameters_to_context(impl->codec, stream->codecpar);
  if (rc < 0) impl->fail("bad codec parameters", rc);
  impl->codec->thread_count = 1; // inference owns the cores; decode stays on one
  rc = avcodec_open2(impl->codec, decoder, nullptr);
  if (rc < 0) impl->fail("cannot open the " + std::string(decoder->name) + " decoder", rc);
  if (impl->codec->width <= 0 || impl->codec->height <= 0) impl->fail("video stream has no frame size", 0);

  impl->packet = av_packet_alloc();
  impl->frame = av_frame_alloc();
  if (impl->packet == nullptr || impl->frame == nullptr) impl->fail("out of memory", 0);

  VideoInfo& info = impl->info;
  info.width = impl->codec->width;
  info.height = impl->codec->height;
  AVRational rate = stream->avg_frame_rate.num > 0 ? stream->avg_frame_rate : stream->r_frame_rate;
  info.fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0;
  info.frame_count = stream->nb_frames > 0 ? stream->nb_frames : -1;
  if (info.frame_count < 0 && impl->format->duration > 0 && info.fps > 0) {
    info.frame_count = static_cast<std::int64_t>(
        static_cast<double>(impl->format->duration) / AV_TIME_BASE * info.fps + 0.5);
  }
  info.codec = decoder->name;
  return VideoReader(std::move(impl));
}

const VideoInfo& VideoReader::info() const { return impl_->info; }

bool VideoReader::Impl::decode_next() {
  while (!finished) {
    int rc = avcodec_receive_frame(codec, frame);
    if (rc == 0) return true;
    if (rc == AVERROR_EOF) {
      finished = true;
      break;
    }
    if (rc != AVERROR(EAGAIN)) fail("decode error at frame " + std::to_string(next_index), rc);
    if (draining) {
      finished = true;
      break;
    }
    // The decoder wants more input.
    rc = av_read_frame(format, packet);
    if (rc == AVERROR_EOF) {
      draining = true;
      avcodec_send_packet(codec, nullptr);
      continue;
    }
    if (rc < 0) fail("read error at frame " + std::to_string(next_index), rc);
    if (packet->stream_index == stream_index) {
      rc = avcodec_send_packet(codec, packet);
      av_packet_unref(packet);
      if (rc < 0 && rc != AVERROR(EAGAIN) && rc != AVERROR_INVALIDDATA) {
        fail("decode error at frame " + std::to_string(next_index), rc);
      }
    } else {
      av_packet_unref(packet);
    }
  }
  return false;
}

bool VideoReader::read(Frame& out) {
  Impl& s = *impl_;
  if (!read(s.picture)) return false;
  out.index = s.picture.index;
  out.timestamp_s = s.picture.timestamp_s;
  try {
    s.converter.convert(s.picture, out.bgr);
  } catch (const Error& e) {
    s.fail(e.what(), 0);
  }
  s.picture.reset(); // the buffer goes back to the decoder's pool
  return true;
}

bool VideoReader::read(DecodedPicture& out) {
  Impl& s = *impl_;
  if (!s.decode_next()) return false;
  s.stamp(out.index, out.timestamp_s);
  av_frame_unref(out.frame_);
  av_frame_move_ref(out.frame_, s.frame);
  return true;
}

// --- DecodedPicture, BgrConverter ---------------------------------------------------

DecodedPicture::DecodedPicture() : frame_(av_frame_alloc()) {
  if (frame_ == nullptr) throw Error("out of memory (av_frame_alloc)");
}

DecodedPicture::~DecodedPicture() { av_frame_free(&frame_); }

DecodedPicture::DecodedPicture(DecodedPicture&& other) noexcept : DecodedPicture() {
  *this = std::move(other);
}

DecodedPicture& DecodedPicture::operator=(DecodedPicture&& other) noexcept {
  if (this == &other) return *this;
  av_frame_unref(frame_);
  av_frame_move_ref(frame_, other.frame_); // leaves `other` an empty frame
  index = other.index;
  timestamp_s = other.timestamp_s;
  return *this;
}

bool DecodedPicture::empty() const { return frame_->buf[0] == nullptr && frame_->data[0] == nullptr; }
int DecodedPicture::width() const { return frame_->width; }
int DecodedPicture::height() const { return frame_->height; }
void DecodedPicture::reset() { av_frame_unref(frame_); }

BgrConverter::~BgrConverter() { sws_freeContext(sws_); }

void BgrConverter::convert(const DecodedPicture& picture, cv::Mat& bgr) {
  if (picture.empty()) throw Error("no decoded picture to convert");
  const AVFrame* frame = picture.frame_;
  const int w = frame->width, h = frame->height;
  sws_ = sws_getCachedContext(sws_, w, h, static_cast<AVPixelFormat>(frame->format), w, h, AV_PIX_FMT_BGR24,
                              SWS_BILINEAR, nullptr, nullptr, nullptr);
  if (sws_ == nullptr) throw Error("cannot convert the decoded pixel format");
  bgr.create(h, w, CV_8UC3);
  std::uint8_t* dst[4] = {bgr.data, nullptr, nullptr, nullptr};
  int dst_stride[4] = {static_cast<int>(bgr.step[0]), 0, 0, 0};
  sws_scale(sws_, frame->data, frame->linesize, 0, h, dst, dst_stride);
}

} // namespace tilescope::video
