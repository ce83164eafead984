#!/usr/bin/python3
"""A real RTSP camera for tests, the demo and the benchmark: the sample video, looped.

Usage by hand (Debian's python: it has the GStreamer bindings; a pyenv `python3` does not):

    /usr/bin/python3 tools/rtsp_server.py                    # rtsp://127.0.0.1:8554/demo
    /usr/bin/python3 tools/rtsp_server.py --count 4          # /cam0 .. /cam3, for the benchmark
    /usr/bin/python3 tools/rtsp_server.py --port 0 --fps 5   # any free port; 5 frames per second
    /usr/bin/python3 tools/rtsp_server.py --codec mjpeg      # RTP/JPEG instead of H.264

then point a camera at the printed URL (`tilescope serve` config, ffplay, vlc). It prints one line
`READY <url> [<url> ...]` on stdout once it accepts connections (tests wait for it), serves until
SIGINT/SIGTERM, and only listens on --host (127.0.0.1 unless told otherwise).

How: one GStreamer pipeline decodes the video (default: .cache/media/vtest.avi, fetched by
scripts/setup) into raw frames and rewinds at the end; a Python thread paces them at --fps and
pushes each frame into every connected mount's appsrc, whose pipeline encodes it (x264enc,
tune=zerolatency, a key frame every second so a client that joins or rejoins decodes at once) and
payloads it as RTP. Mounts are shared: clients of one mount share one encoder. Needs
gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-{base,good,ugly} and gstreamer1.0-libav.
"""
import argparse
import os
import signal
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_VIDEO = os.path.join(REPO, ".cache", "media", "vtest.avi")


class Decoder:
    """Decodes the file into I420 frames, forever (rewinds at the end of the stream)."""

    def __init__(self, path):
        self.pipeline = Gst.parse_launch(
            f'filesrc location="{path}" ! decodebin ! videoconvert ! video/x-raw,format=I420 '
            "! appsink name=sink sync=false max-buffers=4 drop=false"
        )
        self.sink = self.pipeline.get_by_name("sink")
        self.pipeline.set_state(Gst.State.PLAYING)
        first = self.sink.emit("try-pull-sample", 10 * Gst.SECOND)
        if first is None:
            raise RuntimeError(f"{path}: no video frame decoded (is it a video GStreamer can play?)")
        self.caps = first.get_caps()
        structure = self.caps.get_structure(0)
        self.width = structure.get_value("width")
        self.height = structure.get_value("height")
        ok, num, den = structure.get_fraction("framerate")
        self.fps = num / den if ok and num > 0 and den > 0 else 10.0
        self.pending = first

    def next_buffer(self):
        if self.pending is not None:
            sample, self.pending = self.pending, None
            return sample.get_buffer()
        for _ in range(2):
            sample = self.sink.emit("try-pull-sample", 5 * Gst.SECOND)
            if sample is not None:
                return sample.get_buffer()
            # End of stream (or a stall): start over.
            self.pipeline.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT, 0)
        raise RuntimeError("the decoder stopped producing frames")


class Mount:
    """One RTSP path; remembers the appsrc of its current (shared) media."""

    def __init__(self, decoder, fps, codec):
        self.lock = threading.Lock()
        self.sources = []
        caps = (
            f"video/x-raw,format=I420,width={decoder.width},height={decoder.height},"
            f"framerate={int(round(fps * 1000))}/1000"
        )
        if codec == "h264":
            key_every = max(1, int(round(fps)))
            encode = (
                f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={key_every} bitrate=2000 "
                "! video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=1"
            )
        else:
            encode = "jpegenc quality=85 ! rtpjpegpay name=pay0 pt=26"
        self.factory = GstRtspServer.RTSPMediaFactory()
        self.factory.set_launch(
            f'( appsrc name=src is-live=true format=time do-timestamp=true caps="{caps}" '
            f"! queue max-size-buffers=4 leaky=downstream ! {encode} )"
        )
        self.factory.set_shared(True)
        self.factory.connect("media-configure", self.on_media_configure)

    def on_media_configure(self, _factory, media):
        src = media.get_element().get_child_by_name("src")
        with self.lock:
            self.sources.append(src)
        media.connect("unprepared", self.on_unprepared, src)

    def on_unprepared(self, _media, src):
        with self.lock:
            if src in self.sources:
                self.sources.remove(src)

    def push(self, buffer):
        with self.lock:
            sources = list(self.sources)
        for src in sources:
            # A live appsrc stamps buffers with the running time (do-timestamp), which only
            # exists once a client has sent PLAY; frames queued before would go out stale.
            if src.current_state == Gst.State.PLAYING:
                src.emit("push-buffer", buffer)


def pump(decoder, mounts, fps, stop):
    """Paces frames at `fps` (a camera does not speed up when it falls behind) into every mount."""
    period = 1.0 / fps
    due = time.monotonic()
    while not stop.is_set():
        buffer = decoder.next_buffer()
        # A shallow copy without the file's timestamps: appsrc's do-timestamp only stamps
        # buffers that have none (it then uses the running time, as a camera would).
        buffer = buffer.copy()
        buffer.pts = buffer.dts = Gst.CLOCK_TIME_NONE
        buffer.duration = int(Gst.SECOND * period)
        for mount in mounts:
            mount.push(buffer)
        due += period
        delay = due - time.monotonic()
        if delay < -1.0:
            due = time.monotonic()  # too far behind (a stalled box): skip ahead instead of bursting
        elif delay > 0:
            stop.wait(delay)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--video", default=DEFAULT_VIDEO, help="file to serve (default: the sample video)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8554, help="0 picks a free port (printed)")
    parser.add_argument("--mount", default="/demo", help="path when --count is not given")
    parser.add_argument("--count", type=int, default=0, help="serve N mounts /cam0 .. /cam{N-1}")
    parser.add_argument("--fps", type=float, default=0, help="frames per second (default: the file's)")
    parser.add_argument("--codec", choices=["h264", "mjpeg"], default="h264")
    args = parser.parse_args()
    if not os.path.isfile(args.video):
        sys.exit(f"rtsp_server: {args.video}: no such file (scripts/setup fetches the sample video)")
    if args.count < 0 or args.fps < 0:
        sys.exit("rtsp_server: --count and --fps must not be negative")

    Gst.init(None)
    decoder = Decoder(args.video)
    fps = args.fps or decoder.fps
    paths = [f"/cam{i}" for i in range(args.count)] if args.count else [args.mount]
    mounts = [Mount(decoder, fps, args.codec) for _ in paths]

    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    table = server.get_mount_points()
    for path, mount in zip(paths, mounts):
        table.add_factory(path, mount.factory)
    if server.attach(None) == 0:
        sys.exit(f"rtsp_server: cannot listen on {args.host}:{args.port}")
    port = server.get_bound_port()

    loop = GLib.MainLoop()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, lambda: (loop.quit(), False)[1])
    pumper = threading.Thread(target=pump, args=(decoder, mounts, fps, stop), daemon=True)
    pumper.start()
    urls = " ".join(f"rtsp://{args.host}:{port}{path}" for path in paths)
    print(f"READY {urls}", flush=True)
    print(
        f"rtsp_server: {os.path.basename(args.video)} {decoder.width}x{decoder.height} "
        f"at {fps:g} fps ({args.codec})",
        file=sys.stderr,
        flush=True,
    )
    loop.run()
    stop.set()
    pumper.join(timeout=2)
    decoder.pipeline.set_state(Gst.State.NULL)


if __name__ == "__main__":
    main()
