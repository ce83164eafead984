"""Shared pieces of the end-to-end CLI tests: run the binary, record checks, report, and
background processes (`tilescope serve`, test servers) whose output can be waited for."""
import queue
import re
import signal
import subprocess
import threading
import time

failures = []


def check(cond, what):
    """Prints one ok/FAIL line and remembers failures; the test goes on either way."""
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(binary, *args, timeout=900):
    """Runs the binary; returns (exit code, stdout, stderr)."""
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def finish():
    """The closing line ctest's log shows, and the exit code."""
    print(f"{len(failures)} failed" if failures else "all checks passed")
    return 1 if failures else 0


class Process:
    """A background process whose output lines are collected and can be waited for."""

    def __init__(self, name, argv, cwd=None):
        self.name = name
        self.proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, errors="replace")
        self.lines = queue.Queue()
        self.output = []
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.output.append(line)
            self.lines.put(line)

    def wait_for(self, pattern, timeout):
        """The first new output line matching `pattern` within `timeout` s, else None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    return None
                continue
            match = re.search(pattern, line)
            if match:
                return match
        return None

    def text(self):
        with self.lock:
            return "".join(self.output)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Signals the process (if it still runs) and reaps it; returns its exit code. Its
        whole output is in `output` afterwards."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.reader.join(timeout=10)  # the last lines, up to the end of its output
        return code
