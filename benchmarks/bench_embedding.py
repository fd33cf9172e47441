"""Embedding throughput: the batched PyTorch path vs single-image OpenCV DNN on the same graph.

Both embed the same real 160x160 face crops (LFW when present, else the astronaut photo); rounds
alternate between the two paths and the medians are compared, so a noisy machine affects both alike.

    python -m benchmarks.bench_embedding [--faces 64] [--rounds 5] [--batch 32] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import torch

import core  # noqa: E402, F401, I001  (sets the OpenMP wait policy before torch loads)
from core.alignment import AlignSettings, face_input, standardize
from core.detection import make_detector
from core.embedding.embedder import Embedder, EmbedderSettings
from core.embedding.weights import graph_path
from core.imaging.loader import load_image
from core.paths import lfw_default


def real_crops(n: int) -> np.ndarray:
    detector = make_detector("yunet")
    root = lfw_default()
    crops = []
    if root is not None:
        for path in sorted((root / "images").glob("A*/*.jpg"))[:n]:
            image = load_image(path).rgb
            dets = detector.detect(image)
            if dets:
                crops.append(face_input(image, dets[0], AlignSettings()))
    if not crops:
        from skimage import data
        image = data.astronaut()
        crops = [face_input(image, detector.detect(image)[0], AlignSettings())]
    return np.stack([crops[i % len(crops)] for i in range(n)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faces", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=0, help="threads for both paths (default: each its own default)")
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    if args.threads:
        cv2.setNumThreads(args.threads)
    crops = real_crops(args.faces)
    embedder = Embedder(settings=EmbedderSettings(flip=False, batch_size=args.batch, device="cpu",
                                                  threads=args.threads or None))
    with graph_path() as pb:
        net = cv2.dnn.readNetFromTensorflow(str(pb))
    blobs = standardize(crops)

    def opencv_pass() -> np.ndarray:
        out = []
        for x in blobs:  # the graph's flatten is fixed to batch 1
            net.setInput(x[None])
            out.append(net.forward().reshape(-1))
        return np.stack(out)

    ours, ref = embedder.embed(crops), opencv_pass()  # warm-up, and the two paths agree
    max_diff = float(np.abs(ours - ref).max())
    torch_rates, cv_rates = [], []
    for _ in range(args.rounds):
        t = time.perf_counter()
        embedder.embed(crops)
        torch_rates.append(len(crops) / (time.perf_counter() - t))
        t = time.perf_counter()
        opencv_pass()
        cv_rates.append(len(crops) / (time.perf_counter() - t))
    flip = Embedder(model=embedder.model, settings=EmbedderSettings(flip=True, batch_size=args.batch, device="cpu",
                                                                    threads=args.threads or None))
    t = time.perf_counter()
    flip.embed(crops)
    flip_rate = len(crops) / (time.perf_counter() - t)
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
              "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
              "opencv_threads": cv2.getNumThreads(),
              "opencv": cv2.__version__,
              "torch": torch.__version__, "faces": len(crops), "batch": args.batch,
              "torch_faces_per_s": statistics.median(torch_rates), "opencv_faces_per_s": statistics.median(cv_rates),
              "ratio": statistics.median(a / b for a, b in zip(torch_rates, cv_rates, strict=True)),
              "torch_flip_faces_per_s": flip_rate, "max_abs_diff": max_diff,
              "load_average": os.getloadavg()[0], "rounds": {"torch": torch_rates, "opencv": cv_rates}}
    print("| path | faces/s (median) |\n|---|---|")
    print(f"| PyTorch batched (batch {args.batch}, {report['torch_threads']} threads) | "
          f"{report['torch_faces_per_s']:.1f} |")
    print(f"| OpenCV DNN, one image at a time ({report['opencv_threads']} threads) | "
          f"{report['opencv_faces_per_s']:.1f} |")
    print(f"| PyTorch batched + flip averaging | {flip_rate:.1f} |")
    print(f"\nratio PyTorch / OpenCV (median of paired rounds): {report['ratio']:.2f}; "
          f"max |difference| {max_diff:.1e}; load average {report['load_average']:.1f}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
