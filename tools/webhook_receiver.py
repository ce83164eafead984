#!/usr/bin/python3
"""An HTTP receiver for the alerts webhook tests: records every POST under --dir.

Each request is saved as NNNNNN.json: {"received_ms", "path", "headers" (lower-case
names), "body" (text), "status" (what was answered), "signature_valid" (with --secret:
the X-Tilescope-Signature recomputed here with Python's hmac; null without)}. When
listening, the bound port is written to <dir>/ready.

  /usr/bin/python3 tools/webhook_receiver.py --dir /tmp/hooks --port 0 --secret s3cret
      [--statuses 500,503]   answer these statuses to the first requests, then 200
      [--delay-s 2]          wait before answering (timeouts)
"""
import argparse
import hashlib
import hmac
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--secret", default=None)
    parser.add_argument("--statuses", default="")
    parser.add_argument("--delay-s", type=float, default=0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    statuses = [int(s) for s in args.statuses.split(",") if s]
    lock = threading.Lock()
    counter = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *unused):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if args.delay_s:
                time.sleep(args.delay_s)
            with lock:
                counter[0] += 1
                n = counter[0]
            status = statuses[n - 1] if n <= len(statuses) else 200
            valid = None
            if args.secret is not None:
                expected = "sha256=" + hmac.new(args.secret.encode(), body, hashlib.sha256).hexdigest()
                valid = hmac.compare_digest(expected, self.headers.get("X-Tilescope-Signature", ""))
            record = {
                "received_ms": int(time.time() * 1000),
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "status": status,
                "signature_valid": valid,
            }
            write_atomic(os.path.join(args.dir, "%06d.json" % n), json.dumps(record).encode())
            answer = json.dumps({"status": status}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    write_atomic(os.path.join(args.dir, "ready"), str(server.server_address[1]).encode())
    signal.signal(signal.SIGTERM, lambda *unused: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
