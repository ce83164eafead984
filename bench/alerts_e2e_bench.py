#!/usr/bin/python3
"""End-to-end alert latency (issue #6): from the camera frame in which an event is confirmed to
the SMTP server accepting the e-mail, with `tilescope serve` running N live cameras.

    /usr/bin/python3 bench/alerts_e2e_bench.py [--cameras 4] [--duration 60] [--warmup 15]
        [--stagger 6] [--fps 5] [--binary build/src/cli/tilescope] [--video .cache/media/vtest.avi]
        [--drain-bench build/bench/alerts_bench | --no-drain] [--out runs/alerts_e2e_bench]

What runs, all on 127.0.0.1:
  - tools/smtp_receiver.py (aiosmtpd): saves every message with the wall-clock time its DATA was
    accepted (`received_ms`);
  - `tilescope serve` with an `alerts:` section (one e-mail sink, one rule on `person` that fires as
    soon as the pipeline opens an event) and N file cameras looping the sample video, added through
    the API `--stagger` seconds apart so their events do not coincide.

Per message, from its headers: X-Tilescope-Frame-Time (the payload's frame_ms: when the frame in
which the event was confirmed was decoded, the pipeline's arrival time of that frame),
X-Tilescope-Event-Id and X-Tilescope-Delivery-Id; from GET /api/v1/alerts/deliveries/{id}:
created_ms (the outbox row, written inside AlertService::on_event). So:

    total        = received_ms - frame_ms     (the target: under 1 s)
    frame->queue = created_ms  - frame_ms     (detection, tracking, confirmation, the event row and
                                               its snapshot JPEG, then the rule and the outbox row)
    queue->SMTP  = received_ms - created_ms   (the sender thread, MIME, SMTP to the server's accept)

Alerts whose frame falls in the measured window (after `--warmup` from the last camera's start)
count; after the window the bench waits for the outbox to empty, so slow alerts are not cut off.
The load average (1 min) is sampled every second over the window: the machine may be shared.
Also runs `alerts_bench` (when built) for the outbox drain after an outage (1,000 alerts queued,
snapshot of the size the real alerts had). Prints markdown tables; writes OUT/alerts_e2e_bench.json.
"""
import argparse
import email.parser
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    values = sorted(values)
    rank = q * (len(values) - 1)
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def api(base, path, body=None, method=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        text = response.read().decode()
    return json.loads(text) if text else None


class LoadSampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.samples = []
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.wait(1.0):
            self.samples.append(load_average())


def write_config(path, storage, port, smtp_port):
    path.write_text(f"""server:
  port: {port}
storage:
  path: {json.dumps(str(storage))}
tiling:
  mode: adaptive
alerts:
  ui_base_url: http://127.0.0.1:{port}
  sinks:
    - name: mail
      type: email
      smtp_url: smtp://127.0.0.1:{smtp_port}
      from: nvr@example.com
      to: [guard@example.com]
      timeout_s: 30
  rules:
    - name: person
      classes: [person]
      severity: warning
      sinks: [mail]
""")


def start_smtp(mail_dir, log):
    process = subprocess.Popen(["/usr/bin/python3", str(ROOT / "tools/smtp_receiver.py"), "--dir", str(mail_dir),
                                "--port", "0"], stdout=log, stderr=log)
    ready = mail_dir / "ready"
    deadline = time.time() + 20
    while not ready.exists():
        if time.time() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError("tools/smtp_receiver.py did not start (is python3-aiosmtpd installed?)")
        time.sleep(0.1)
    return process, int(ready.read_text())


def read_messages(mail_dir):
    """Every accepted message: received_ms and the X-Tilescope-* headers."""
    parser = email.parser.BytesHeaderParser()
    out = []
    for meta_path in sorted(mail_dir.glob("*.json")):
        meta = json.loads(meta_path.read_text())
        eml = meta_path.with_suffix(".eml")
        headers = parser.parsebytes(eml.read_bytes())
        frame = headers.get("X-Tilescope-Frame-Time")
        out.append({
            "received_ms": meta["received_ms"],
            "delivery_id": headers.get("X-Tilescope-Delivery-Id", ""),
            "event_id": int(headers.get("X-Tilescope-Event-Id", "0")),
            "frame_ms": int(frame) if frame else None,
            "bytes": eml.stat().st_size,
        })
    return out


def stop(process, timeout=20):
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_e2e(args, work):
    mail_dir = work / "mail"
    mail_dir.mkdir()
    smtp_log = open(work / "smtp.log", "w")
    smtp, smtp_port = start_smtp(mail_dir, smtp_log)
    port = free_port()
    config = work / "tilescope.yml"
    write_config(config, work / "storage", port, smtp_port)
    serve_log = work / "serve.log"
    env = dict(os.environ, OMP_WAIT_POLICY="passive")
    server = subprocess.Popen([args.binary, "serve", "--config", str(config)], stdout=subprocess.DEVNULL,
                              stderr=open(serve_log, "w"), env=env)
    sampler = LoadSampler()
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 90
        while True:
            try:
                api(base, "/healthz", timeout=2)
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError(f"serve did not come up; see {serve_log}")
                time.sleep(0.3)
        for i in range(args.cameras):
            if i > 0:
                time.sleep(args.stagger)
            api(base, "/api/v1/cameras", {"name": f"cam{i}", "url": args.video, "fps_limit": args.fps}, "POST")
            print(f"[alerts_e2e] camera cam{i} started", file=sys.stderr, flush=True)
        window_start_ms = int((time.time() + args.warmup) * 1000)
        window_end_ms = window_start_ms + int(args.duration * 1000)
        time.sleep(args.warmup)
        print(f"[alerts_e2e] measuring for {args.duration:.0f} s", file=sys.stderr, flush=True)
        sampler.start()
        time.sleep(args.duration)
        sampler.stop_event.set()
        statuses = api(base, "/api/v1/cameras")["cameras"]
        # Alerts of frames inside the window may still be on their way: let the outbox empty
        # (the cameras go on, so new alerts keep coming; those are not counted).
        drain_deadline = time.time() + 60
        while time.time() < drain_deadline:
            pending = [d for d in api(base, "/api/v1/alerts/deliveries?state=pending&limit=500")["deliveries"]
                       if d["payload"].get("frame_ms") is not None
                       and d["payload"]["frame_ms"] <= window_end_ms]
            if not pending:
                break
            time.sleep(0.5)
        time.sleep(1.0)  # the last accepted message's files are written after the 250
        deliveries = {}
        offset = 0
        while True:
            page = api(base, f"/api/v1/alerts/deliveries?limit=500&offset={offset}")
            for d in page["deliveries"]:
                deliveries[d["id"]] = d
            offset += len(page["deliveries"])
            if not page["deliveries"] or offset >= page["total"]:
                break
    finally:
        sampler.stop_event.set()
        stop(server)
        stop(smtp)
        smtp_log.close()

    messages = read_messages(mail_dir)
    rows = []
    for m in messages:
        d = deliveries.get(m["delivery_id"])
        if m["frame_ms"] is None or d is None or not (window_start_ms <= m["frame_ms"] < window_end_ms):
            continue
        rows.append({
            "camera": d["camera"], "event_id": m["event_id"],
            "total_ms": m["received_ms"] - m["frame_ms"],
            "frame_to_queue_ms": d["created_ms"] - m["frame_ms"],
            "queue_to_smtp_ms": m["received_ms"] - d["created_ms"],
            "bytes": m["bytes"], "attempts": d["attempts"],
        })
    in_window = [d for d in deliveries.values()
                 if d["payload"].get("frame_ms") is not None and window_start_ms <= d["payload"]["frame_ms"] < window_end_ms]
    unsent = [d["id"] for d in in_window if d["state"] != "sent"]

    def stats(key):
        values = [r[key] for r in rows]
        return {"median": percentile(values, 0.5), "p95": percentile(values, 0.95),
                "max": max(values) if values else float("nan"), "min": min(values) if values else float("nan")}

    return {
        "cameras": args.cameras, "duration_s": args.duration, "fps_limit": args.fps, "stagger_s": args.stagger,
        "alerts": len(rows), "alerts_not_delivered_in_window": len(unsent),
        "messages_received": len(messages), "deliveries_queued": len(deliveries),
        "messages_without_frame_time": sum(1 for m in messages if m["frame_ms"] is None),
        "alerts_per_camera": {c: sum(1 for r in rows if r["camera"] == c) for c in sorted({r["camera"] for r in rows})},
        "total_ms": stats("total_ms"), "frame_to_queue_ms": stats("frame_to_queue_ms"),
        "queue_to_smtp_ms": stats("queue_to_smtp_ms"),
        "mail_kb_median": percentile([r["bytes"] / 1024 for r in rows], 0.5),
        "retried": sum(1 for r in rows if r["attempts"] > 1),
        "load_average_1m": {"mean": sum(sampler.samples) / len(sampler.samples) if sampler.samples else load_average(),
                            "min": min(sampler.samples, default=float("nan")),
                            "max": max(sampler.samples, default=float("nan"))},
        "camera_status": [{"name": s.get("name") or s.get("config", {}).get("name"),
                           "processed_fps": s.get("status", {}).get("processed_fps", s.get("processed_fps")),
                           "latency_p50_ms": s.get("status", {}).get("latency_p50_ms", s.get("latency_p50_ms"))}
                          for s in statuses],
        "rows": rows,
    }


def run_drain(args, snapshot_kb):
    """alerts_bench's outage part: 1,000 alerts queued with the SMTP server down, then it comes back."""
    if args.no_drain:
        return None
    if not os.access(args.drain_bench, os.X_OK):
        print(f"[alerts_e2e] {args.drain_bench} not built: no drain numbers (ninja alerts_bench)", file=sys.stderr)
        return None
    print("[alerts_e2e] outbox drain (alerts_bench, 1000 queued)", file=sys.stderr, flush=True)
    load_before = load_average()
    result = subprocess.run([args.drain_bench, "--events-per-camera", "0", "--queued", str(args.queued),
                             "--snapshot-kb", str(max(1, int(round(snapshot_kb))))],
                            capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        print(f"[alerts_e2e] alerts_bench failed: {result.stderr.strip()}", file=sys.stderr)
        return None
    report = json.loads(result.stdout[:result.stdout.rindex("}") + 1])
    return dict(report["throughput"], snapshot_kb=int(round(snapshot_kb)), load_average_1m_before=load_before,
                load_average_1m_after=load_average())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=str(ROOT / "build/src/cli/tilescope"))
    parser.add_argument("--video", default=str(ROOT / ".cache/media/vtest.avi"))
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=15)
    parser.add_argument("--stagger", type=float, default=6, help="seconds between the cameras' starts")
    parser.add_argument("--fps", type=float, default=5)
    parser.add_argument("--drain-bench", default=str(ROOT / "build/bench/alerts_bench"))
    parser.add_argument("--queued", type=int, default=1000)
    parser.add_argument("--no-drain", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "runs/alerts_e2e_bench"))
    args = parser.parse_args()
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"alerts_e2e_bench: {args.binary} is not built (ninja -C <build> tilescope)")
    if not os.path.exists(args.video):
        sys.exit(f"alerts_e2e_bench: {args.video} is missing (scripts/setup fetches it)")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="alerts-e2e-") as tmp:
        e2e = run_e2e(args, pathlib.Path(tmp))
    # The drain moves mails of the size the real alerts had (inline + attached JPEG, base64:
    # the JPEG is about a third of the message twice over).
    drain = run_drain(args, e2e["mail_kb_median"] * 3 / 8 if e2e["alerts"] else 150)
    (out / "alerts_e2e_bench.json").write_text(json.dumps({"e2e": e2e, "drain": drain}, indent=2))

    t, f, q, load = e2e["total_ms"], e2e["frame_to_queue_ms"], e2e["queue_to_smtp_ms"], e2e["load_average_1m"]
    print(f"\n{e2e['alerts']} alerts from {e2e['cameras']} cameras in {e2e['duration_s']:.0f} s "
          f"(per camera: {', '.join(f'{k} {v}' for k, v in e2e['alerts_per_camera'].items())}); "
          f"not delivered: {e2e['alerts_not_delivered_in_window']}; retried: {e2e['retried']}; "
          f"messages received in the whole run {e2e['messages_received']} "
          f"({e2e['messages_without_frame_time']} without X-Tilescope-Frame-Time); "
          f"mail median {e2e['mail_kb_median']:.0f} KB; load average (1 min) over the window "
          f"{load['mean']:.1f} (min {load['min']:.1f}, max {load['max']:.1f})\n")
    print("| | median | p95 | max |")
    print("| --- | --- | --- | --- |")
    print(f"| **frame in which the event is confirmed → SMTP server accepted** | **{t['median']:.0f} ms** | "
          f"**{t['p95']:.0f} ms** | {t['max']:.0f} ms |")
    print(f"| frame → alert queued (`on_event`: detection, tracking, event row, snapshot, rule, outbox) | "
          f"{f['median']:.0f} ms | {f['p95']:.0f} ms | {f['max']:.0f} ms |")
    print(f"| alert queued → SMTP server accepted (sender thread, MIME, SMTP) | {q['median']:.0f} ms | "
          f"{q['p95']:.0f} ms | {q['max']:.0f} ms |")
    if drain:
        print(f"\noutbox drain after an outage ({drain['queued']} alerts queued over 4 cameras, "
              f"{drain['snapshot_kb']} KB snapshots, then the server comes back): "
              f"**{drain['messages_per_s']:.0f} messages/s** ({drain['seconds_from_server_up']:.1f} s); "
              f"load average {drain['load_average_1m_before']:.1f} -> {drain['load_average_1m_after']:.1f}")
    print(f"\nwritten: {out / 'alerts_e2e_bench.json'}")


if __name__ == "__main__":
    main()
