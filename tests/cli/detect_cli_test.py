#!/usr/bin/env python3
"""End-to-end checks of `tilescope detect` as a user runs it (issue #3):

- a folder with a good photo, a truncated JPEG, a text file and a nested photo:
  one clear error line per bad file naming it, the good ones processed and
  written, exit code 1 at the end;
- a video: annotated MP4 and one JSON line per frame with boxes in the video's pixels;
- YOLO txt labels and a COCO results file;
- a missing model fails before any work, naming the file.

Usage: detect_cli_test.py TILESCOPE_BINARY   (needs the default model, fetched by
scripts/setup, and opencv-doc's sample data; skips with exit code 77 otherwise).
"""
import json
import os
import shutil
import sys
import tempfile

from clitest import check, finish, run

DATA = "/usr/share/doc/opencv-doc/examples/data"
MODEL = os.path.join(os.path.dirname(__file__), "..", "..", ".cache", "models", "nanodet", "nanodet.json")
def main():
    binary = sys.argv[1]
    if not os.path.exists(MODEL) or not os.path.exists(f"{DATA}/messi5.jpg"):
        print("skipped: default model or opencv-doc data missing (run scripts/setup)")
        return 77
    tmp = tempfile.mkdtemp(prefix="tilescope_detect_cli_")
    try:
        src = os.path.join(tmp, "in")
        os.makedirs(os.path.join(src, "nested"))
        shutil.copy(f"{DATA}/messi5.jpg", os.path.join(src, "messi.jpg"))
        shutil.copy(f"{DATA}/basketball1.png", os.path.join(src, "nested", "court.png"))
        with open(f"{DATA}/messi5.jpg", "rb") as f:
            jpeg = f.read()
        with open(os.path.join(src, "truncated.jpg"), "wb") as f:
            f.write(jpeg[:600])  # header only: OpenCV cannot decode it
        with open(os.path.join(src, "notes.txt"), "w") as f:
            f.write("not an image\n")

        out = os.path.join(tmp, "out")
        coco = os.path.join(out, "coco.json")
        rc, stdout, stderr = run(binary, "detect", src, "--out", out, "--save-json", "--save-txt",
                                 "--save-coco", coco)
        check(rc == 1, f"folder with bad files exits 1 (got {rc})")
        check("truncated.jpg" in stderr and "notes.txt" in stderr, "each bad file is named on stderr")
        check(stderr.count("error:") == 2, f"exactly two error lines (got {stderr.count('error:')})")
        check(os.path.exists(os.path.join(out, "messi.jpg")), "annotated messi.jpg written")
        check(os.path.exists(os.path.join(out, "nested", "court.png")), "nested folder structure kept")
        with open(os.path.join(out, "results.jsonl")) as f:
            lines = [json.loads(line) for line in f]
        check(len(lines) == 2, f"two JSON lines for two good images (got {len(lines)})")
        messi = next(l for l in lines if l["source"].endswith("messi.jpg"))
        check(messi["width"] == 548 and messi["height"] == 342, "image size recorded")
        people = [d for d in messi["detections"] if d["class_name"] == "person"]
        check(len(people) >= 1, "a person is found in messi5.jpg")
        if people:
            x1, y1, x2, y2 = people[0]["box"]
            check(0 <= x1 < x2 <= 548 and 0 <= y1 < y2 <= 342, "boxes in original image pixels")
        with open(os.path.join(out, "labels", "messi.txt")) as f:
            rows = [r.split() for r in f.read().splitlines()]
        check(len(rows) == len(messi["detections"]) and all(len(r) == 5 for r in rows), "YOLO txt: one row per box")
        check(all(0.0 <= float(v) <= 1.0 for r in rows for v in r[1:]), "YOLO txt coordinates normalised")
        with open(coco) as f:
            coco_rows = json.load(f)
        check(len(coco_rows) == sum(len(l["detections"]) for l in lines), "COCO file has every box")
        check("2 images" in stdout and "2 failed" in stdout, f"summary counts images and failures: {stdout!r}")

        vout = os.path.join(tmp, "vout")
        rc, stdout, stderr = run(binary, "detect", f"{DATA}/vtest.avi", "--out", vout, "--save-json",
                                 "--classes", "person")
        check(rc == 0, f"video exits 0 (got {rc}: {stderr[-300:]})")
        check(os.path.getsize(os.path.join(vout, "vtest.mp4")) > 100000, "annotated MP4 written")
        with open(os.path.join(vout, "results.jsonl")) as f:
            frames = [json.loads(line) for line in f]
        check(len(frames) == 795, f"one JSON line per frame (got {len(frames)})")
        check(all(d["class_name"] == "person" for fr in frames for d in fr["detections"]), "--classes person filters")
        busy = sum(1 for fr in frames if len(fr["detections"]) >= 3)
        check(busy > 700, f"pedestrians found in most frames ({busy}/795 with >= 3 people)")
        check(frames[10]["frame"] == 10 and abs(frames[10]["timestamp_s"] - 1.0) < 1e-6, "frame index and time")

        rc, stdout, stderr = run(binary, "detect", f"{DATA}/messi5.jpg", "--model", "/nonexistent/model.onnx",
                                 "--out", os.path.join(tmp, "x"))
        check(rc != 0 and "/nonexistent/model.onnx" in stderr, "missing model fails naming the file")
        check(not os.path.exists(os.path.join(tmp, "x")), "nothing written when the model is unusable")

        rc, stdout, stderr = run(binary, "detect", f"{DATA}/messi5.jpg", "--classes", "unicorn", "--out",
                                 os.path.join(tmp, "y"))
        check(rc != 0 and "unicorn" in stderr, "unknown class name is reported")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
