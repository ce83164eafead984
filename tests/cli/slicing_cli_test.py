#!/usr/bin/env python3
"""End-to-end checks of sliced inference and evaluation as a user runs them (issue #4):

- `tiles --json` prints SAHI's slices (computed here by hand from get_slice_bboxes'
  rule) and `tiles --draw` writes a picture;
- `eval synth` builds a small benchmark; `eval --images` with slicing finds more
  of its small people than full-frame inference, prints the 12 COCO numbers as
  one JSON object, writes the HTML report, and survives a corrupt image;
- `eval --dt` with a results file that names an unknown image fails, naming it;
- `detect --slice` writes boxes in the frame's pixels;
- `eval sweep --only` writes its table, JSON and plot.

Usage: slicing_cli_test.py TILESCOPE_BINARY   (needs the default model and the
sample video, from scripts/setup; skips with exit code 77 otherwise).
"""
import json
import os
import shutil
import sys
import tempfile

from clitest import check, finish, run

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
MODEL = os.path.join(ROOT, ".cache", "models", "nanodet", "nanodet.json")
VIDEO = os.path.join(ROOT, ".cache", "media", "vtest.avi")
KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
def sahi_slices(height, width, size, ratio):
    """SAHI's get_slice_bboxes rule as its documentation states it: neighbours start
    size - int(ratio * size) apart; a slice crossing the right or bottom edge is shifted
    back to end at it; row by row."""
    overlap = int(ratio * size)
    boxes, y_min, y_max = [], 0, 0
    while y_max < height:  # the loops stop once a slice has reached the edge
        y_max, x_min, x_max = y_min + size, 0, 0
        while x_max < width:
            x_max = x_min + size
            if y_max > height or x_max > width:
                right, bottom = min(width, x_max), min(height, y_max)
                boxes.append([max(0, right - size), max(0, bottom - size), right, bottom])
            else:
                boxes.append([x_min, y_min, x_max, y_max])
            x_min = x_max - overlap
        y_min = y_max - overlap
    return boxes


def test_tiles(binary, tmp):
    rc, out, err = run(binary, "tiles", "--size", "1920x1080", "--slice", "640x640", "--overlap", "0.2",
                       "--input", "416x416", "--json")
    check(rc == 0, f"tiles --json exits 0 ({err.strip()})")
    plan = json.loads(out)
    # By hand: step 640 - 128 = 512; x 0, 512, 1024, then 1536 + 640 > 1920 -> 1280; y 0, then 512 + 640 > 1080 -> 440.
    expected = [[0, 0, 640, 640], [512, 0, 1152, 640], [1024, 0, 1664, 640], [1280, 0, 1920, 640],
                [0, 440, 640, 1080], [512, 440, 1152, 1080], [1024, 440, 1664, 1080], [1280, 440, 1920, 1080]]
    check(plan["tiles"] == expected, f"SAHI's 640 slices of 1920x1080 (got {plan['tiles']})")
    for size, ratio in [(640, 0.2), (416, 0.2), (512, 0.25), (300, 0.1)]:
        rc, out, _ = run(binary, "tiles", "--size", "1920x1080", "--slice", f"{size}x{size}", "--overlap",
                         str(ratio), "--input", "416x416", "--json")
        check(json.loads(out)["tiles"] == sahi_slices(1080, 1920, size, ratio),
              f"{size} px slices, overlap {ratio}: the rule computed here")
    check(plan["full_frame"] is True, "fixed slicing keeps SAHI's full-frame pass by default")
    rc, out, _ = run(binary, "tiles", "--size", "1920x1080", "--slice", "640x640", "--no-full-frame",
                     "--input", "416x416", "--json")
    check(json.loads(out)["full_frame"] is False, "--no-full-frame")
    png = os.path.join(tmp, "tiles.png")
    rc, out, err = run(binary, "tiles", "--size", "1920x1080", "--slice", "adaptive", "--input", "416x416",
                       "--out", png)
    check(rc == 0 and os.path.getsize(png) > 10000, "tiles --out draws the plan")
    rc, _, err = run(binary, "tiles", "--size", "1920x1080", "--slice", "640x640", "--overlap", "1.5",
                     "--input", "416x416")
    check(rc != 0 and "--overlap" in err, f"a bad --overlap is named ({err.strip()})")


def test_eval(binary, tmp):
    bench = os.path.join(tmp, "synth")
    rc, out, err = run(binary, "eval", "synth", "--out", bench, "--count", "3", "--size", "1280x720",
                       "--seed", "3")
    check(rc == 0, f"eval synth exits 0 ({err.strip()[-300:]})")
    gt_path = os.path.join(bench, "instances.json")
    gt = json.load(open(gt_path))
    check(len(gt["images"]) == 3 and len(gt["annotations"]) >= 3 * 8, "3 images with their objects")
    # A corrupt file named in the ground truth: reported, the others still evaluated.
    shutil.copy(gt_path, os.path.join(tmp, "gt_with_bad.json"))
    gt_bad = json.load(open(gt_path))
    gt_bad["images"].append({"id": 99, "file_name": "broken.jpg", "width": 1280, "height": 720})
    with open(os.path.join(bench, "images", "broken.jpg"), "wb") as f:
        f.write(b"\xff\xd8\xff\xe0 truncated")
    with open(os.path.join(tmp, "gt_with_bad.json"), "w") as f:
        json.dump(gt_bad, f)

    results = {}
    for name, flags in [("full", ["--slice", "off"]), ("sliced", ["--slice", "416x416"])]:
        report = os.path.join(tmp, "report_" + name)
        rc, out, err = run(binary, "eval", "--gt", gt_path, "--images", os.path.join(bench, "images"), *flags,
                           "--json", "--out", report)
        check(rc == 0, f"eval --images {' '.join(flags)} exits 0 ({err.strip()[-300:]})")
        metrics = json.loads(out)
        check(list(metrics.keys()) == KEYS, f"--json prints exactly the 12 keys ({list(metrics.keys())})")
        check(os.path.exists(os.path.join(report, "index.html")) and os.path.exists(os.path.join(report, "pr.png")),
              "the HTML report and its precision-recall chart")
        results[name] = metrics
    check(results["sliced"]["AR100"] > results["full"]["AR100"],
          f"slices find more of the small objects: AR100 {results['sliced']['AR100']:.3f} vs "
          f"{results['full']['AR100']:.3f} full frame")

    rc, out, err = run(binary, "eval", "--gt", os.path.join(tmp, "gt_with_bad.json"), "--images",
                       os.path.join(bench, "images"), "--json")
    check(rc == 0 and "broken.jpg" in err, f"a corrupt image is named and the rest evaluated ({err.strip()[-200:]})")

    bad_dt = os.path.join(tmp, "bad_dt.json")
    with open(bad_dt, "w") as f:
        json.dump([{"image_id": 12345, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}], f)
    rc, out, err = run(binary, "eval", "--gt", gt_path, "--dt", bad_dt)
    check(rc == 1 and "12345" in err, f"detections on an unknown image are refused, naming it ({err.strip()})")

    frame = os.path.join(bench, "images", gt["images"][0]["file_name"])
    out_dir = os.path.join(tmp, "detect")
    rc, out, err = run(binary, "detect", frame, "--slice", "adaptive", "--save-json", "--out", out_dir)
    check(rc == 0, f"detect --slice adaptive exits 0 ({err.strip()[-200:]})")
    line = json.loads(open(os.path.join(out_dir, "results.jsonl")).readline())
    boxes = [d["box"] for d in line["detections"]]
    check(all(0 <= b[0] <= b[2] <= 1280 and 0 <= b[1] <= b[3] <= 720 for b in boxes),
          f"{len(boxes)} boxes in the frame's pixels")
    check("engine inputs" in out, "the summary says how many engine inputs a frame took")

    sweep = os.path.join(tmp, "sweep")
    rc, out, err = run(binary, "eval", "sweep", "--bench", bench, "--only", "fixed 640", "--out", sweep)
    check(rc == 0, f"eval sweep exits 0 ({err.strip()[-300:]})")
    rows = json.load(open(os.path.join(sweep, "sweep.json")))
    check([r["config"] for r in rows] == ["fixed 640 + full", "fixed 640"], f"--only picks configurations ({rows})")
    check(os.path.exists(os.path.join(sweep, "sweep.png")) and "| fixed 640 |" in out, "table and plot")


def main():
    binary = sys.argv[1]
    if not os.path.exists(MODEL) or not os.path.exists(VIDEO):
        print("skipped: default model or sample video missing (run scripts/setup)")
        return 77
    tmp = tempfile.mkdtemp(prefix="tilescope_slicing_cli_")
    try:
        test_tiles(binary, tmp)
        test_eval(binary, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
