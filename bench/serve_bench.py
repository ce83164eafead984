#!/usr/bin/env python3
"""How many cameras `tilescope serve` sustains on this machine (issue #5's benchmark).

    /usr/bin/python3 bench/serve_bench.py [--binary build/src/cli/tilescope] [--cameras 1,2,4,6]
                                          [--duration 30] [--warmup 10] [--fps 5] [--source file|rtsp]

For each camera count N it writes a config with N cameras on the sample video (768x576, 10 fps),
the default model and adaptive tiling with motion/track gating, starts `tilescope serve`, listens on
the WebSocket for `duration` seconds after `warmup`, and reports per camera: processed fps (frame
messages per second), latency from frame arrival (decoded) to the detection message received on the
WebSocket (median, p95), tiles per frame, the process's peak memory (VmHWM from /metrics), and the
CPU time of the serve process per processed frame (user + system from /proc/PID/stat over the
measured window, divided by the frames /metrics counts as processed in it), split by thread kind:
decode (the ts-live-source threads: demux, decode), camera (the cam-* threads: conversion to BGR,
motion, planning, inference, tracking, events; OpenMP's worker threads inherit the name of the
camera thread that started them, so inference counts here) and the rest (HTTP, WebSocket, store).
CPU per frame is the number to compare on a busy machine, where fps says more about the other
processes than about tilescope.

Sources: `file` cameras read the video paced at its frame rate, looping, exactly as a camera
delivers frames (decode cost included); `rtsp` serves N streams from tools/rtsp_server.py (GStreamer)
on this same machine, so its H.264 encoders compete with tilescope for the two cores: use it to
check the network path, not for the capacity number.
Prints a markdown table and writes OUT/serve_bench.json.
"""
import argparse
import base64
import json
import os
import pathlib
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebSocket:
    """The client side of RFC 6455, enough for text messages from the server."""

    def __init__(self, host, port, path):
        self.sock = socket.create_connection((host, port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("WebSocket handshake: connection closed")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError(f"WebSocket handshake refused: {head[:200]!r}")

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _send(self, opcode, payload):
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def receive(self):
        """The next text message (pings answered, fragments joined); None when closed."""
        message = b""
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                return None
            if opcode == 0x9:
                self._send(0xA, payload)
                continue
            if opcode in (0x1, 0x0):
                message += payload
                if b0 & 0x80:
                    return message.decode()


def write_config(path, storage, port, urls, fps):
    cameras = "\n".join(
        f"  - name: cam{i}\n    url: {json.dumps(url)}\n    fps_limit: {fps}\n" for i, url in enumerate(urls))
    path.write_text(f"server:\n  port: {port}\nstorage:\n  path: {json.dumps(str(storage))}\n"
                    f"tiling:\n  mode: adaptive\ncameras:\n{cameras}")


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(stat_path):
    """utime + stime of a process or thread, in seconds (None when it is gone)."""
    try:
        text = pathlib.Path(stat_path).read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def thread_kind(name):
    if name.startswith("ts-live-source"):
        return "decode"
    if name.startswith("cam-"):
        return "camera"
    return "other"


def cpu_by_kind(pid):
    """CPU seconds per thread kind, summed over the process's threads alive now."""
    out = {"decode": 0.0, "camera": 0.0, "other": 0.0}
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
        except OSError:
            continue
        seconds = cpu_seconds(task / "stat")
        if seconds is not None:
            out[thread_kind(name)] += seconds
    return out


def frames_processed(metrics_text):
    total = 0
    for line in metrics_text.splitlines():
        if line.startswith("tilescope_camera_frames_processed_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def run_one(args, n, work):
    port = free_port()
    storage = work / f"storage-{n}"
    config = work / f"tilescope-{n}.yml"
    rtsp = None
    if args.source == "rtsp":
        rtsp_port = free_port()
        rtsp = subprocess.Popen(["/usr/bin/python3", str(ROOT / "tools/rtsp_server.py"), "--port", str(rtsp_port),
                                 "--count", str(n), "--video", args.video], stdout=subprocess.PIPE, text=True)
        line = rtsp.stdout.readline()
        if not line.startswith("READY"):
            raise RuntimeError(f"rtsp server did not start: {line!r}")
        urls = [f"rtsp://127.0.0.1:{rtsp_port}/cam{i}" for i in range(n)]
    else:
        urls = [args.video] * n
    write_config(config, storage, port, urls, args.fps)
    server = subprocess.Popen([args.binary, "serve", "--config", str(config)], stdout=subprocess.DEVNULL,
                              stderr=open(work / f"serve-{n}.log", "w"))
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError(f"serve did not come up; see {work}/serve-{n}.log")
                time.sleep(0.3)
        ws = WebSocket("127.0.0.1", port, "/api/v1/ws")
        ws.sock.settimeout(5)
        per_camera = {}
        start = time.time()
        measure_from = start + args.warmup
        end = measure_from + args.duration
        cpu_start = None
        while time.time() < end:
            if cpu_start is None and time.time() >= measure_from:
                cpu_start = (cpu_seconds(f"/proc/{server.pid}/stat"), cpu_by_kind(server.pid),
                             frames_processed(urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()),
                             time.time())
            try:
                text = ws.receive()
            except (socket.timeout, EOFError):
                continue
            if text is None:
                break
            received_ms = time.time() * 1000
            message = json.loads(text)
            if message.get("type") != "frame" or time.time() < measure_from:
                continue
            stats = per_camera.setdefault(message["camera"], {"frames": 0, "latency": [], "tiles": []})
            stats["frames"] += 1
            stats["latency"].append(received_ms - message["ts_ms"])  # ts_ms: when the frame was decoded
            stats["tiles"].append(len(message.get("tiles", [])) + (1 if message.get("full_frame") else 0))
        cpu_end = (cpu_seconds(f"/proc/{server.pid}/stat"), cpu_by_kind(server.pid))
        metrics = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
        cpu_wall = time.time()
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        if rtsp:
            rtsp.kill()
    fps = [per_camera.get(f"cam{i}", {"frames": 0})["frames"] / args.duration for i in range(n)]
    latency = [v for s in per_camera.values() for v in s["latency"]]
    tiles = [v for s in per_camera.values() for v in s["tiles"]]
    peak = metric(metrics, "tilescope_process_peak_memory_bytes") or 0
    cpu = {"cpu_ms_per_frame": float("nan"), "cpu_cores": float("nan")}
    if cpu_start is not None:
        frames = frames_processed(metrics) - cpu_start[2]
        used = cpu_end[0] - cpu_start[0]
        cpu["cpu_cores"] = used / (cpu_wall - cpu_start[3])
        if frames > 0:
            cpu["cpu_ms_per_frame"] = 1000 * used / frames
            for kind in ("decode", "camera", "other"):
                cpu[f"cpu_ms_per_frame_{kind}"] = 1000 * (cpu_end[1][kind] - cpu_start[1][kind]) / frames
    return {
        "cameras": n,
        "fps_min": min(fps), "fps_median": statistics.median(fps),
        "latency_p50_ms": percentile(latency, 0.5), "latency_p95_ms": percentile(latency, 0.95),
        "tiles_per_frame": statistics.mean(tiles) if tiles else 0,
        "peak_mb": peak / 2**20, "peak_mb_per_camera": peak / 2**20 / n,
        **cpu,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=str(ROOT / "build/src/cli/tilescope"))
    parser.add_argument("--video", default=str(ROOT / ".cache/media/vtest.avi"))
    parser.add_argument("--cameras", default="1,2,4,6")
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--fps", type=float, default=5)
    parser.add_argument("--source", choices=["file", "rtsp"], default="file")
    parser.add_argument("--out", default=str(ROOT / "runs/serve_bench"))
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
        for n in [int(x) for x in args.cameras.split(",")]:
            print(f"[serve_bench] {n} camera(s): {args.warmup:.0f} s warm-up, {args.duration:.0f} s measured",
                  file=sys.stderr, flush=True)
            results.append(run_one(args, n, pathlib.Path(tmp)))
    (out / "serve_bench.json").write_text(json.dumps(results, indent=2))
    print(f"| cameras | processed fps per camera (min / median) | latency p50 / p95 ms | tiles per frame "
          f"| peak memory MB (per camera) | CPU ms per processed frame (decode / camera + inference / rest) |")
    print("|---|---|---|---|---|---|")
    for r in results:
        split = " / ".join(f"{r.get('cpu_ms_per_frame_' + k, float('nan')):.1f}" for k in ("decode", "camera", "other"))
        print(f"| {r['cameras']} | {r['fps_min']:.1f} / {r['fps_median']:.1f} | {r['latency_p50_ms']:.0f} / "
              f"{r['latency_p95_ms']:.0f} | {r['tiles_per_frame']:.1f} | {r['peak_mb']:.0f} "
              f"({r['peak_mb_per_camera']:.0f}) | {r['cpu_ms_per_frame']:.1f} ({split}) |")


if __name__ == "__main__":
    main()
