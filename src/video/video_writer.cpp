#include "tilescope/video/video_writer.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include "ffmpeg_error.h"
#include "tilescope/core/error.h"

namespace tilescope::video {

struct VideoWriter::Impl {
  std::string path;
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  AVStream* stream = nullptr;
  SwsContext* sws = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  std::int64_t next_pts = 0;
  bool header_written = false;
  bool closed = false;

  ~Impl() {
    try {
      finish();
    } catch (const Error&) {
      // Destructors must not throw; the file is left incomplete.
    }
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    if (format != nullptr && !(format->oformat->flags & AVFMT_NOFILE)) avio_closep(&format->pb);
    avformat_free_context(format);
  }

  [[noreturn]] void fail(const std::string& what, int code) const {
    throw Error(path + ": " + what + (code < 0 ? ": " + av_error_text(code) : std::string()));
  }

  // Sends `f` (nullptr = flush) and writes every packet the encoder returns.
  void encode(AVFrame* f) {
    int rc = avcodec_send_frame(codec, f);
    if (rc < 0) fail("encoding failed", rc);
    while ((rc = avcodec_receive_packet(codec, packet)) == 0) {
      // Constant frame rate: each packet lasts one frame. Without a duration the
      // MP4 edit list ends at the last frame's start and readers drop that frame.
      if (packet->duration <= 0) packet->duration = 1;
      av_packet_rescale_ts(packet, codec->time_base, stream->time_base);
      packet->stream_index = stream->index;
      rc = av_interleaved_write_frame(format, packet);
      if (rc < 0) fail("write failed", rc);
    }
    if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) fail("encoding failed", rc);
  }

  void finish() {
    if (closed || !header_written) return;
    closed = true;
    encode(nullptr);
    const int rc = av_write_trailer(format);
    if (rc < 0) fail("cannot finish the file", rc);
  }
};

VideoWriter::VideoWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VideoWriter::VideoWriter(VideoWriter&&) noexcept = default;
VideoWriter& VideoWriter::operator=(VideoWriter&&) noexcept = default;
VideoWriter::~VideoWriter() = default;

VideoWriter VideoWriter::open(const std::string& path, int width, int height, double fps) {
  quiet_ffmpeg_logs();
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  if (width <= 0 || height <= 0 || (width % 2) != 0 || (height % 2) != 0) {
    impl->fail("frame size " + std::to_string(width) + "x" + std::to_string(height) +
                   " must be positive and even (yuv420p)",
               0);
  }
  if (!(fps > 0.0)) fps = 25.0;
  int rc = avformat_alloc_output_context2(&impl->format, nullptr, "mp4", path.c_str());
  if (rc < 0 || impl->format == nullptr) impl->fail("cannot create an MP4 container", rc);

  // H.264 when this FFmpeg has libx264 (Debian's does), else MPEG-4 part 2.
  const AVCodec* encoder = avcodec_find_encoder_by_name("libx264");
  if (encoder == nullptr) encoder = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
  if (encoder == nullptr) impl->fail("no H.264 or MPEG-4 encoder in this FFmpeg", 0);

  impl->codec = avcodec_alloc_context3(encoder);
  AVCodecContext* c = impl->codec;
  c->width = width;
  c->height = height;
  c->pix_fmt = AV_PIX_FMT_YUV420P;
  const AVRational rate = av_d2q(fps, 100000);
  c->time_base = av_inv_q(rate);
  c->framerate = rate;
  c->gop_size = 50;
  c->thread_count = 1;
  if (impl->format->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary* opts = nullptr;
  if (std::string(encoder->name) == "libx264") {
    av_dict_set(&opts, "preset", "veryfast", 0);
    av_dict_set(&opts, "crf", "23", 0);
  } else {
    c->bit_rate = static_cast<std::int64_t>(width) * height * 4; // ~4 bits/pixel/s: legible boxes and text
  }
  rc = avcodec_open2(c, encoder, &opts);
  av_dict_free(&opts);
  if (rc < 0) impl->fail("cannot open the " + std::string(encoder->name) + " encoder", rc);

  impl->stream = avformat_new_stream(impl->format, nullptr);
  if (impl->stream == nullptr) impl->fail("out of memory", 0);
  impl->stream->time_base = c->time_base;
  rc = avcodec_parameters_from_context(impl->stream->codecpar, c);
  if (rc < 0) impl->fail("bad encoder parameters", rc);

  if (!(impl->format->oformat->flags & AVFMT_NOFILE)) {
    rc = avio_open(&impl->format->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (rc < 0) impl->fail("cannot open for writing", rc);
  }
  rc = avformat_write_header(impl->format, nullptr);
  if (rc < 0) impl->fail("cannot write the MP4 header", rc);
  impl->header_written = true;

  impl->frame = av_frame_alloc();
  impl->packet = av_packet_alloc();
  impl->frame->format = c->pix_fmt;
  impl->frame->width = width;
  impl->frame->height = height;
  rc = av_frame_get_buffer(impl->frame, 0);
  if (rc < 0) impl->fail("out of memory", rc);
  impl->sws = sws_getContext(width, height, AV_PIX_FMT_BGR24, width, height, AV_PIX_FMT_YUV420P, SWS_BILINEAR,
                             nullptr, nullptr, nullptr);
  if (impl->sws == nullptr) impl->fail("cannot create the colour converter", 0);
  return VideoWriter(std::move(impl));
}

void VideoWriter::write(const cv::Mat& bgr) {
  Impl& s = *impl_;
  if (s.closed) s.fail("write after close", 0);
  if (bgr.cols != s.codec->width || bgr.rows != s.codec->height || bgr.type() != CV_8UC3) {
    s.fail("frame is " + std::to_string(bgr.cols) + "x" + std::to_string(bgr.rows) + ", expected " +
               std::to_string(s.codec->width) + "x" + std::to_string(s.codec->height) + " BGR",
           0);
  }
  int rc = av_frame_make_writable(s.frame);
  if (rc < 0) s.fail("out of memory", rc);
  const std::uint8_t* src[4] = {bgr.data, nullptr, nullptr, nullptr};
  const int src_stride[4] = {static_cast<int>(bgr.step[0]), 0, 0, 0};
  sws_scale(s.sws, src, src_stride, 0, bgr.rows, s.frame->data, s.frame->linesize);
  s.frame->pts = s.next_pts++;
  s.encode(s.frame);
}

void VideoWriter::close() { impl_->finish(); }

} // namespace tilescope::video
