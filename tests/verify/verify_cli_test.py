#!/usr/bin/python3
"""`tilescope verify` end to end, as CI would run it (issue #7).

Usage: verify_cli_test.py TILESCOPE_BINARY REPLICA_DIR

On the YOLOv8n replica (dynamic export, at 160x160 so the reference backend stays
quick): onednn:fp32 passes against the reference (exit 0) with a text summary,
JSON and an HTML report; a fault injected with TILESCOPE_FAULT_NODE fails it with
exit code 2 naming that node; onednn:bf16 passes (random-weight budget file); bad budget
files, int8 on a float model, unknown precisions and missing
models are errors (exit 1) that say what is wrong; `--onnx-node-tests` prints the
per-operator table. Exit 77 (skipped) when the replicas are missing.
"""
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "cli"))
from clitest import check, finish, run  # noqa: E402

NODE_TESTS = "/usr/share/libonnx-testdata/data/node"


def main(binary, replica_dir):
    model = Path(replica_dir) / "yolov8n_op17_640_dynamic.onnx"
    if not model.exists():
        print(f"skip: {model} missing (the replicas fixture makes it)")
        return 77
    common = [str(model), "--imgsz", "160", "--n", "2", "--threads", "2"]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report"
        rc, out, err = run(binary, "verify", *common, "--report", str(report))
        check(rc == 0, f"fp32 verify passes (exit {rc}): {err.strip()[-300:]}")
        check("PASS" in out and "worst nodes" in out, "text summary with worst nodes and PASS")
        check("candidate  onednn:fp32   against reference" in out, "summary names both sides")
        check("detections (yolov8 head" in out, "detections compared on the replica")
        check((report / "index.html").exists() and (report / "errors.png").exists()
              and (report / "report.json").exists(), "report folder: index.html, errors.png, report.json")
        if (report / "index.html").exists():
            page = (report / "index.html").read_text()
            check('<img src="errors.png"' in page and "Worst layers" in page, "HTML has the chart and worst layers")

        rc, out, err = run(binary, "verify", *common, "--json")
        result = json.loads(out) if rc == 0 else {}
        check(rc == 0 and result.get("passed") is True, f"--json prints a passing result (exit {rc})")
        nodes = result.get("nodes", [])
        check(len(nodes) > 50, f"--json lists every compared node ({len(nodes)})")
        fused = [n for n in nodes if n["op"] == "FusedConv" and n["fused_from"]]
        if not fused:
            check(False, "fused conv nodes in the JSON")
            return finish()
        target = fused[len(fused) // 2]["node"]

        env = dict(os.environ, TILESCOPE_FAULT_NODE=target)
        p = __import__("subprocess").run([binary, "verify", *common, "--json"], capture_output=True, text=True,
                                         env=env, timeout=900)
        faulted = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
        check(p.returncode == 2, f"fault in {target}: exit code 2 (got {p.returncode})")
        first = (faulted.get("first_failure") or {}).get("node")
        check(first == target, f"first node beyond budget is the faulted one ({first})")
        p = __import__("subprocess").run([binary, "verify", *common], capture_output=True, text=True, env=env,
                                         timeout=900)
        check(p.returncode == 2 and f"FAIL: first node beyond budget: {target}" in p.stdout,
              "text output names the faulted node")

        budget = Path(tmp) / "budget.yaml"
        budget.write_text("default:\n  rel_rmze: 1e-4\n")
        rc, out, err = run(binary, "verify", *common, "--budget", str(budget))
        check(rc == 1 and "budget.yaml: default.rel_rmze: unknown key" in err, f"bad budget file: exit 1 ({err.strip()})")
        budget.write_text("default:\n  rel_rmse: 0\n")
        rc, out, err = run(binary, "verify", *common, "--budget", str(budget))
        check(rc == 2 and "FAIL" in out, f"a zero budget fails (exit {rc})")

    # Random weights amplify bf16 rounding: the replicas have their own budget file (see its header).
    random_budget = Path(__file__).resolve().parent / "data" / "bf16_random_weights.yaml"
    rc, out, err = run(binary, "verify", *common, "--candidate", "onednn:bf16", "--budget", str(random_budget))
    check(rc == 0 and "candidate  onednn:bf16" in out and "PASS" in out,
          f"bf16 verify passes within the random-weight bf16 budget (exit {rc}): {err.strip()[-300:]}")
    rc, out, err = run(binary, "verify", *common, "--candidate", "onednn:int8")
    check(rc == 1 and "tilescope model quantize" in err, f"int8 on a float model points at quantize ({err.strip()})")
    rc, out, err = run(binary, "verify", *common, "--candidate", "onednn:fp8")
    check(rc == 1 and "unknown precision 'fp8'" in err, f"unknown precision ({err.strip()})")
    rc, out, err = run(binary, "verify", "/nonexistent/model.onnx")
    check(rc == 1 and "/nonexistent/model.onnx" in err, f"missing model ({err.strip()})")
    rc, out, err = run(binary, "verify")
    check(rc == 1 and "give a model, or --onnx-node-tests" in err, "no model and no node tests")

    if Path(NODE_TESTS).is_dir():
        rc, out, err = run(binary, "verify", "--onnx-node-tests", NODE_TESTS, "--ops", "Relu,Sigmoid")
        check(rc == 0 and "ONNX node tests on the onednn backend" in out, f"node tests table (exit {rc})")
        rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:] if len(line.split()) == 5}
        check(rows.get("Relu", [None])[0] == "1" and rows.get("Relu", [None, None])[1] == "1",
              f"Relu: 1 case, 1 passed ({rows.get('Relu')})")
        rc, out, err = run(binary, "verify", "--onnx-node-tests", NODE_TESTS, "--ops", "Relu", "--backend",
                           "reference", "--json")
        check(rc == 0 and json.loads(out)["backend"] == "reference", "node tests on the reference backend, JSON")
    return finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
