"""Measure the activation ranges of the int8 FaceNet and write core/embedding/facenet_int8_calibration.json.

    .venv/bin/python -m benchmarks.calibrate_int8 [--lfw DIR] [--n 96] [--check 128]

Calibration faces: ``--n`` LFW images of people outside the View-2 pairs (seeded choice), detected and
cropped by the import pipeline. Then the int8 model built from the file is compared with the float
model on ``--check`` crops of View-2 images: prints the cosine between their embeddings (min / mean)
and both models' CPU ms per face on one thread.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from core.paths import lfw_default


def lfw_crops(root: Path, rels: list[str]) -> np.ndarray:
    from core.evaluation.lfw_run import lfw_crop
    from core.pipeline import FacePipeline

    pipeline = FacePipeline()
    return np.stack([lfw_crop(pipeline, root, rel)[0] for rel in rels])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=Path, default=None)
    parser.add_argument("--n", type=int, default=96)
    parser.add_argument("--check", type=int, default=128)
    args = parser.parse_args(argv)
    root = args.lfw or lfw_default()
    if root is None:
        parser.error("LFW not found; pass --lfw or set FACEORG_LFW")
    import onnxruntime as ort

    from core.alignment import standardize
    from core.embedding.int8 import CALIBRATION_FILE, build_int8, check_int8
    from core.embedding.onnx_embedder import pretrained_onnx
    from core.evaluation.lfw import read_pairs

    pairs = read_pairs(root / "pairs.txt")
    in_pairs = {p.path_a for p in pairs} | {p.path_b for p in pairs}
    every = sorted(str(p.relative_to(root / "images")) for p in (root / "images").glob("*/*.jpg"))
    rng = random.Random(0)
    calib = rng.sample([r for r in every if r not in in_pairs], args.n)
    check = rng.sample(sorted(in_pairs), args.check)
    faces = standardize(lfw_crops(root, calib))
    float_model = pretrained_onnx()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "int8.onnx"
        build_int8(float_model, target, calibration_faces=[faces[i:i + 8] for i in range(0, len(faces), 8)])
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        f_sess = ort.InferenceSession(str(float_model), options, providers=["CPUExecutionProvider"])
        q_sess = ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
        x = standardize(lfw_crops(root, check))
        a = f_sess.run(None, {"faces": x})[0]
        b = q_sess.run(None, {"faces": x})[0]
        cos = (a * b).sum(1)
        times = {}
        for name, sess in (("float", f_sess), ("int8", q_sess)):
            t = time.process_time()
            sess.run(None, {"faces": x[:32]})
            times[name] = round(1000 * (time.process_time() - t) / 32, 1)
    out = {"calibration_faces": len(calib), "check_faces": len(check), "cosine_min": round(float(cos.min()), 5),
           "cosine_mean": round(float(cos.mean()), 5), "cpu_ms_per_face_1_thread": times,
           "lowest_check": round(check_int8(f_sess, q_sess, x[:8]), 5), "written": str(CALIBRATION_FILE)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
