#!/usr/bin/python3
"""HTTP camera sources for the LiveSource tests, on 127.0.0.1.

    /usr/bin/python3 tests/video/live/http_media_server.py --dir /tmp/media [--port 0] [--auth user:pass]

Makes its media with GStreamer (a 320x240 moving ball: JPEG frames and a 4 s H.264 MPEG-TS
clip) into --dir, then serves, until SIGTERM:
  /mjpeg            multipart/x-mixed-replace JPEGs at --fps, looped (what IP cameras send)
  /clip.ts          the MPEG-TS clip (an HTTP TS stream that ends after 4 s)
  /hls/index.m3u8   an HLS playlist of that clip (/hls/clip.ts)
With --auth every route wants HTTP Basic credentials. Prints "READY http://127.0.0.1:<port>"
once listening. Exits 77 (a test skip) when GStreamer's bindings or elements are missing.
"""
import argparse
import base64
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIP_SECONDS = 4
FRAME_W, FRAME_H = 320, 240


def make_media(folder):
    try:
        import gi

        gi.require_version("Gst", "1.0")
        from gi.repository import GLib, Gst
    except (ImportError, ValueError) as e:
        print(f"http_media_server: GStreamer bindings missing: {e}", file=sys.stderr)
        sys.exit(77)
    Gst.init(None)
    raw = f"videotestsrc pattern=ball num-buffers={{n}} ! video/x-raw,width={FRAME_W},height={FRAME_H},framerate=10/1"
    pipelines = [
        raw.format(n=20) + f' ! jpegenc ! multifilesink location="{folder}/frame%03d.jpg"',
        raw.format(n=10 * CLIP_SECONDS)
        + " ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 ! h264parse ! mpegtsmux"
        + f' ! filesink location="{folder}/clip.ts"',
    ]
    for launch in pipelines:
        try:
            pipeline = Gst.parse_launch(launch)
        except GLib.Error as e:
            print(f"http_media_server: {e.message}", file=sys.stderr)
            sys.exit(77)
        pipeline.set_state(Gst.State.PLAYING)
        message = pipeline.get_bus().timed_pop_filtered(
            30 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR
        )
        pipeline.set_state(Gst.State.NULL)
        if message is None or message.type != Gst.MessageType.EOS:
            sys.exit(f"http_media_server: could not make media with: {launch}")
    with open(os.path.join(folder, "index.m3u8"), "w") as playlist:
        playlist.write(
            "#EXTM3U\n#EXT-X-VERSION:3\n"
            f"#EXT-X-TARGETDURATION:{CLIP_SECONDS}\n#EXT-X-MEDIA-SEQUENCE:0\n"
            f"#EXTINF:{CLIP_SECONDS}.0,\nclip.ts\n#EXT-X-ENDLIST\n"
        )
    frames = []
    for name in sorted(os.listdir(folder)):
        if name.startswith("frame") and name.endswith(".jpg"):
            with open(os.path.join(folder, name), "rb") as f:
                frames.append(f.read())
    return frames


def make_handler(folder, frames, fps, auth):
    expected = "Basic " + base64.b64encode(auth.encode()).decode() if auth else None
    files = {
        "/clip.ts": ("clip.ts", "video/mp2t"),
        "/hls/clip.ts": ("clip.ts", "video/mp2t"),
        "/hls/index.m3u8": ("index.m3u8", "application/vnd.apple.mpegurl"),
    }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: the test prints what matters
            pass

        def do_GET(self):
            if expected and self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="camera"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = self.path.split("?")[0]
            if path == "/mjpeg":
                self.serve_mjpeg()
            elif path in files:
                name, mime = files[path]
                with open(os.path.join(folder, name), "rb") as f:
                    body = f.read()
                self.send_response(200)
                self.send_header("Content-Type", mime)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)

        def serve_mjpeg(self):
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            period = 1.0 / fps
            due = time.monotonic()
            i = 0
            try:
                while True:
                    jpeg = frames[i % len(frames)]
                    i += 1
                    self.wfile.write(
                        b"--frame\r\nContent-Type: image/jpeg\r\n"
                        + f"Content-Length: {len(jpeg)}\r\n\r\n".encode()
                        + jpeg
                        + b"\r\n"
                    )
                    self.wfile.flush()
                    due += period
                    time.sleep(max(0.0, due - time.monotonic()))
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", required=True, help="folder for the generated media")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fps", type=float, default=10)
    parser.add_argument("--auth", default="", help="user:pass for HTTP Basic")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    frames = make_media(args.dir)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args.dir, frames, args.fps, args.auth))
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"READY http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
