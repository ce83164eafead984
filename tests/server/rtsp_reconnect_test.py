#!/usr/bin/python3
"""The live system rides out a camera outage (issue #5), end to end with real parts:

- a real RTSP camera: tools/rtsp_server.py (GStreamer's RTSP server) serving the sample
  video on a free port of 127.0.0.1;
- the real `tilescope serve` binary with one camera on that rtsp:// URL (its password
  must never show up anywhere), driven through its HTTP API only.

Steps, each bounded in time:
 1. the camera goes live and opens person events;
 2. the RTSP server is killed mid-stream (SIGKILL: a crash, no goodbye): the camera's
    status goes to "retrying" with the error, and no frame is decoded while it is down;
 3. the server is started again on the same port: the camera is live again, the
    reconnect is counted (status and /metrics), frames are processed again, and NEW
    events open (ids above every earlier one, start times after the restart);
 4. `serve` stops cleanly on SIGTERM (exit 0).
Whatever happens, both processes are stopped before the test returns.

Usage: rtsp_reconnect_test.py TILESCOPE_BINARY   (needs the default model and the sample
video from scripts/setup, and GStreamer's RTSP server for Debian's python; skips with
exit code 77 otherwise). Prints one ok/FAIL line per check, and the processes' output
on failure.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from clitest import Process, check, failures, finish  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MODEL = os.path.join(ROOT, ".cache", "models", "nanodet", "nanodet.json")
VIDEO = os.path.join(ROOT, ".cache", "media", "vtest.avi")
RTSP_SERVER = os.path.join(ROOT, "tools", "rtsp_server.py")
PYTHON = "/usr/bin/python3"  # Debian's: it has the GStreamer bindings
SECRET = "s3cret-rtsp-pw"  # in the camera URL; must never come back


def start_rtsp(port, timeout=60):
    """tools/rtsp_server.py on `port` (0: any free one); (process, url) or (process, None)."""
    server = Process("rtsp_server", [PYTHON, RTSP_SERVER, "--port", str(port), "--video", VIDEO])
    ready = server.wait_for(r"^READY (\S+)", timeout)
    return server, (ready.group(1) if ready else None)


class Api:
    """JSON over HTTP to the serve under test; every call bounded in time."""

    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.bodies = []  # everything received: checked for the camera password

    def get_text(self, path):
        with urllib.request.urlopen(self.base + path, timeout=30) as response:
            body = response.read().decode("utf-8", "replace")
        self.bodies.append(body)
        return body

    def get(self, path):
        return json.loads(self.get_text(path))

    def status(self, camera_id):
        return self.get(f"/api/v1/cameras/{camera_id}/status")

    def events(self, camera_id, **filters):
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        return self.get(f"/api/v1/events?camera={camera_id}&limit=500" + ("&" + query if query else ""))

    def metric(self, name):
        text = self.get_text("/metrics")
        match = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
        return float(match.group(1)) if match else None


def poll(what, timeout, interval=0.25):
    """Calls what() until it returns something truthy or `timeout` s pass; returns the last value."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        try:
            value = what()
        except (urllib.error.URLError, OSError, ValueError) as error:
            value = None
            print(f"  (poll: {error})")
        if value:
            return value
        time.sleep(interval)
    return value


def now_ms():
    return int(time.time() * 1000)


def write_config(folder, url):
    path = os.path.join(folder, "tilescope.yml")
    with open(path, "w") as f:
        f.write(f"""# rtsp_reconnect_test: one RTSP camera, storage in a temporary folder.
server:
  bind: 127.0.0.1
storage:
  path: data
cameras:
  - name: door
    url: "{url}"
    fps_limit: 5
    rtsp_transport: tcp
    events:
      classes: [person]
""")
    return path


def run_test(binary, tmp, processes):
    # 1. A camera on a real RTSP server; serve opens person events from it.
    rtsp, url = start_rtsp(0)
    processes.append(rtsp)
    check(url is not None, "the RTSP server starts and prints READY <url>")
    if url is None:
        return
    rtsp_port = int(re.match(r"rtsp://127\.0\.0\.1:(\d+)/", url).group(1))
    camera_url = url.replace("rtsp://", f"rtsp://viewer:{SECRET}@", 1)
    config = write_config(tmp, camera_url)
    serve = Process("tilescope serve", [binary, "serve", "--config", config, "--port", "0"], cwd=tmp)
    processes.append(serve)
    opened = serve.wait_for(r"open http://127\.0\.0\.1:(\d+)", 180)
    check(opened is not None, "serve starts and prints 'open http://127.0.0.1:PORT'")
    if opened is None:
        return
    api = Api(int(opened.group(1)))
    cameras = api.get("/api/v1/cameras")["cameras"]
    check(len(cameras) == 1 and cameras[0]["name"] == "door", "the camera from the config is listed")
    camera_id = cameras[0]["id"]
    check(SECRET not in json.dumps(cameras), "the camera's password is not in the API's camera")

    live = poll(lambda: (lambda s: s if s["state"] == "live" and s["frames_processed"] >= 3 else None)(
        api.status(camera_id)), 180)
    check(live is not None, f"the camera goes live and processes frames (status: {live})")
    if live is None:
        return
    first_events = poll(lambda: api.events(camera_id, label="person")["events"], 240, interval=0.5)
    check(bool(first_events), "person events open from the RTSP stream")
    if not first_events:
        return
    before = api.status(camera_id)
    reconnects_before = before["reconnects"]

    # 2. The camera dies mid-stream.
    kill_ms = now_ms()
    rtsp.stop(signal.SIGKILL)
    down = poll(lambda: (lambda s: s if s["state"] == "retrying" and s["last_error"] else None)(
        api.status(camera_id)), 60, interval=0.1)
    check(down is not None, f"the camera's status goes to retrying with an error (status: {down})")
    if down is not None:
        print(f"  last_error: {down['last_error']}")
        check(SECRET not in down["last_error"], "the error does not show the camera's password")
    decoded = api.status(camera_id)["frames_decoded"]
    time.sleep(2.0)
    still = api.status(camera_id)
    check(still["state"] in ("retrying", "connecting") and still["frames_decoded"] == decoded,
          f"no frame is decoded while the camera is down ({decoded} -> {still['frames_decoded']}, "
          f"state {still['state']})")
    # Everything stored so far; what comes after the restart must be new.
    old_ids = {e["id"] for e in api.events(camera_id)["events"]}
    max_old_id = max(old_ids)

    # 3. The camera comes back on the same address.
    restart_ms = now_ms()
    rtsp2, url2 = None, None
    for _ in range(10):  # the port can linger for a moment after the kill
        rtsp2, url2 = start_rtsp(rtsp_port, timeout=30)
        processes.append(rtsp2)
        if url2 is not None:
            break
        rtsp2.stop()
        time.sleep(1.0)
    check(url2 == url, f"the RTSP server restarts on the same port ({url2})")
    if url2 is None:
        return
    processed_at_restart = api.status(camera_id)["frames_processed"]
    back = poll(lambda: (lambda s: s if s["state"] == "live" and s["reconnects"] > reconnects_before
                         and s["frames_processed"] > processed_at_restart + 3 else None)(api.status(camera_id)),
                120, interval=0.25)
    check(back is not None,
          f"the camera reconnects: live again, reconnect counted, frames processed (status: {back})")
    if back is None:
        return
    print(f"  down for {(restart_ms - kill_ms) / 1000:.1f} s; live again "
          f"{(now_ms() - restart_ms) / 1000:.1f} s after the restart; reconnects {back['reconnects']}")
    reconnects_metric = api.metric('tilescope_camera_reconnects_total{camera="door"}')
    check(reconnects_metric is not None and reconnects_metric >= reconnects_before + 1,
          f"/metrics counts the reconnect (tilescope_camera_reconnects_total: {reconnects_metric})")

    def new_events():
        events = api.events(camera_id, label="person", **{"from": restart_ms})["events"]
        return [e for e in events if e["id"] not in old_ids]
    fresh = poll(new_events, 240, interval=0.5)
    check(bool(fresh), "new person events open after the restart")
    if fresh:
        check(all(e["id"] > max_old_id for e in fresh), "their ids come after every earlier event's")
        check(all(e["start_ms"] >= restart_ms for e in fresh),
              f"they start after the restart ({[e['start_ms'] - restart_ms for e in fresh]} ms after it)")
        with_snapshot = poll(lambda: [e for e in new_events() if e["has_snapshot"]], 60, interval=0.5)
        check(bool(with_snapshot), "a new event has its snapshot")
    # Events of the first connection end once their tracks are gone (no frames for them).
    stale_open = poll(lambda: not [e for e in api.events(camera_id, open="true")["events"]
                                   if e["id"] in old_ids], 120, interval=0.5)
    check(bool(stale_open), "events from before the outage are closed")

    # 4. Clean stop; the password never appeared.
    code = serve.stop(signal.SIGTERM)
    check(code == 0, f"serve stops on SIGTERM with exit 0 (got {code})")
    check(SECRET not in serve.text(), "serve's log never shows the camera's password")
    check(not any(SECRET in body for body in api.bodies), "no API response showed the camera's password")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    if not os.path.exists(MODEL) or not os.path.exists(VIDEO):
        print("skipped: run scripts/setup for the default model and the sample video")
        return 77
    probe = subprocess.run([PYTHON, "-c", "import gi; gi.require_version('GstRtspServer', '1.0'); "
                            "from gi.repository import GstRtspServer"], capture_output=True, text=True)
    if probe.returncode != 0:
        print("skipped: GStreamer's RTSP server for python3 is missing (gir1.2-gst-rtsp-server-1.0)")
        return 77
    tmp = tempfile.mkdtemp(prefix="tilescope_rtsp_reconnect_")
    processes = []
    try:
        run_test(binary, tmp, processes)
    finally:
        for process in reversed(processes):
            process.stop(signal.SIGTERM, timeout=30)
        if failures:
            for process in processes:
                print(f"----- {process.name} output -----")
                print(process.text()[-20000:])
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
