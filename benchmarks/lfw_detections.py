"""Detect the central face of every LFW image once; write boxes + landmarks (.npz) and the hit rate.

The .npz feeds bench_lfw_alignment.py and bench_finetune.py (which then measure only the crop or the
training). The hit rate is the share of the 13,233 images where the detector finds a face.

    python -m benchmarks.lfw_detections --lfw ../shared/lfw --detector yunet --out dets_yunet.npz
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from core.detection import make_detector
from core.evaluation.lfw_run import central_detection
from core.imaging.loader import load_image


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw", required=True)
    ap.add_argument("--detector", default="yunet", choices=["yunet", "mtcnn"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    root = Path(args.lfw) / "images"
    paths = sorted(str(p.relative_to(root)) for p in root.glob("*/*.jpg"))[:args.limit]
    detector = make_detector(args.detector)
    boxes = np.full((len(paths), 4), np.nan, np.float32)
    landmarks = np.full((len(paths), 5, 2), np.nan, np.float32)
    t = time.perf_counter()
    for i, rel in enumerate(paths):
        image = load_image(root / rel).rgb
        det = central_detection(detector.detect(image), image.shape[1], image.shape[0])
        if det is not None:
            boxes[i], landmarks[i] = det.box, det.landmarks
    found = int((~np.isnan(boxes[:, 0])).sum())
    np.savez(args.out, paths=np.array(paths), boxes=boxes, landmarks=landmarks)
    print(json.dumps({"detector": args.detector, "images": len(paths), "found": found,
                      "share": found / len(paths), "seconds": round(time.perf_counter() - t, 1),
                      "machine": platform.platform(), "date": datetime.now(UTC).isoformat(timespec="seconds")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
