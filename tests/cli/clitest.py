"""Shared pieces of the end-to-end CLI tests: run the binary, record checks, report."""
import subprocess

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
