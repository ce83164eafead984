#!/usr/bin/env python3
"""End-to-end checks of `tilescope serve` as a user runs it (issue #5):

- an invalid config prints every issue with its path and exits 1, nothing started
  (no storage folder appears);
- --bind beyond loopback without auth is refused before anything starts;
- with no config, `serve` writes the commented default to ./tilescope.yml, says so,
  starts the demo camera and prints "open http://127.0.0.1:PORT"; /healthz answers,
  /metrics shows the camera processing frames; SIGTERM stops it cleanly (exit 0);
- started again, it does not rewrite the config and keeps its camera.

Usage: serve_cli_test.py TILESCOPE_BINARY   (needs the default model and the sample
video, from scripts/setup; skips with exit code 77 otherwise).
"""
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import urllib.request

from clitest import Process, check, finish, run

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
MODEL = os.path.join(ROOT, ".cache", "models", "nanodet", "nanodet.json")
VIDEO = os.path.join(ROOT, ".cache", "media", "vtest.avi")


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return r.status, r.read().decode()


def metric(text, name):
    match = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(match.group(1)) if match else None


def main():
    binary = os.path.abspath(sys.argv[1])
    if not os.path.exists(MODEL) or not os.path.exists(VIDEO):
        print("skipped: run scripts/setup for the default model and the sample video")
        return 77
    tmp = tempfile.mkdtemp(prefix="tilescope_serve_cli_")
    try:
        # Invalid config: every issue with its path, nothing started.
        bad = os.path.join(tmp, "bad")
        os.makedirs(bad)
        with open(os.path.join(bad, "tilescope.yml"), "w") as f:
            f.write("server:\n  port: 70000\ncameras:\n  - name: \"front door\"\n    url: \"\"\n")
        code, out, err = run(binary, "serve", "--config", os.path.join(bad, "tilescope.yml"), timeout=120)
        check(code == 1, f"invalid config: exit 1 (got {code})")
        for path in ("server.port", "cameras[0].name", "cameras[0].url"):
            check(path + ":" in err, f"invalid config: the issue at {path} is reported")
        check(not os.path.exists(os.path.join(bad, "tilescope-data")), "invalid config: no storage created")

        # Beyond loopback without auth: refused before anything starts.
        refused = os.path.join(tmp, "refused")
        os.makedirs(refused)
        code, out, err = run(binary, "serve", "--config", os.path.join(refused, "t.yml"), "--bind", "0.0.0.0",
                             "--port", "0", timeout=120)
        check(code == 1 and "auth" in err, f"--bind 0.0.0.0 without auth: exit 1 naming auth (got {code})")
        check(not os.path.exists(os.path.join(refused, "tilescope-data")), "--bind refused: no storage created")

        # No config: the default is written to ./tilescope.yml and the demo camera runs.
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        server = Process("serve", [binary, "serve", "--port", "0"], cwd=home)
        opened = server.wait_for(r"open http://127\.0\.0\.1:(\d+)", 120)
        check(opened is not None, "serve prints 'open http://127.0.0.1:PORT'")
        if opened is None:
            print("".join(server.output))
            server.stop()
            return finish()
        port = int(opened.group(1))
        check(any("wrote a default config to tilescope.yml" in l for l in server.output),
              "serve says it wrote the default config")
        check(os.path.exists(os.path.join(home, "tilescope.yml")), "./tilescope.yml written")
        status, body = get(port, "/healthz")
        check(status == 200 and '"ok"' in body, "/healthz answers ok")
        processed = None
        deadline = time.time() + 180
        while time.time() < deadline:
            _, text = get(port, "/metrics")
            processed = metric(text, 'tilescope_camera_frames_processed_total{camera="demo"}')
            if processed and processed >= 3:
                break
            time.sleep(0.5)
        check(processed is not None and processed >= 3, f"the demo camera processes frames (metrics: {processed})")
        check("# TYPE tilescope_inference_latency_ms histogram" in text, "/metrics has the latency histogram")
        code = server.stop(signal.SIGTERM)
        check(code == 0, f"SIGTERM: exit 0 (got {code})")
        check(any(l.strip() == "stopped" for l in server.output), "SIGTERM: 'stopped' printed")

        # Again: the config is not rewritten, the camera is still there.
        with open(os.path.join(home, "tilescope.yml")) as f:
            before = f.read()
        server = Process("serve", [binary, "serve", "--port", "0", "--config", "tilescope.yml"], cwd=home)
        opened = server.wait_for(r"open http://127\.0\.0\.1:(\d+)", 120)
        check(opened is not None, "restart: serves again")
        if opened:
            _, body = get(int(opened.group(1)), "/api/v1/cameras")
            check('"name":"demo"' in body, "restart: the demo camera is kept")
        code = server.stop(signal.SIGINT)
        check(code == 0, f"SIGINT: exit 0 (got {code})")
        check(not any("wrote a default config" in l for l in server.output), "restart: no new default config")
        with open(os.path.join(home, "tilescope.yml")) as f:
            check(f.read() == before, "restart: tilescope.yml unchanged")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
