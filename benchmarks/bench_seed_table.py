"""The seed table: the seed notebook's CNN, our scratch CNN, the pretrained FaceNet, FaceNet with a metric head
and the fine-tuned FaceNet, on the seed identification protocol and LFW 10-fold verification.

    .venv/bin/python -m benchmarks.bench_seed_table [--lfw DIR] [--scratch-model PATH]
        [--finetune-json benchmarks/results/finetune-cpu.json] [--json OUT]

* Identification: the seed split (62 people with >= 20 images; 10 gallery / 5 validation / 5 test images
  each), 62-way k-NN, k chosen on validation, test accuracy.
* Verification: LFW View 2, 10 folds (pairs.txt), accuracy at the threshold chosen on the other nine folds.
* Seed CNN: 61.3 % quoted from the notebook. Scratch CNN: a saved SeedCNN (``--scratch-model``, default the
  newest ``seed_cnn`` model of ``faceorg models``, made by ``faceorg train --mode scratch``), 60x60 inputs
  cut from the images exactly as in its training (centre 128 px); without one, the accuracy documented in
  bench_train_scratch.py is quoted. Pretrained FaceNet: the pipeline's embeddings (LFW embedding cache).
* FaceNet + metric head (CPU, seconds): the personal head trained on stored embeddings of *other* people --
  for identification on LFW people with >= 2 images outside the 62; for verification one head per fold
  trained on the people of the other nine folds.
* Fine-tuned FaceNet (last blocks, per-fold heads of ``finetune_lfw``): quoted from the JSON of
  ``faceorg train --mode finetune --json`` (or of bench_finetune.py on a GPU): ~1 CPU hour for 10 folds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from benchmarks.harness import lfw_root
from core.evaluation.identification import knn_identify, seed_split
from core.evaluation.lfw import pair_arrays, pair_distances, read_pairs, read_people, verify_10fold
from core.evaluation.lfw_run import cached_embed_lfw
from core.evaluation.roc import best_accuracy_threshold
from core.modelstore.networks import MetricHead, project
from core.pipeline import FacePipeline
from core.training.datasets import ImageFiles, TensorFaces
from core.training.personal import PersonalConfig
from core.training.scratch import SEED_NOTEBOOK_ACCURACY, ScratchConfig
from core.training.trainer import train

SCRATCH_DOCUMENTED = 0.735  # bench_train_scratch.py, CPU run of the committed defaults


def embed_60(model: torch.nn.Module, files: list[Path], batch_size: int = 128) -> np.ndarray:
    """SeedCNN embeddings of image files, preprocessed as in the scratch training (eval transforms)."""
    from core.training.augment import eval_transforms

    cfg = ScratchConfig()
    ds = ImageFiles([(f, "x") for f in files], ["x"], transform=eval_transforms(cfg.image_size),
                    image_size=cfg.image_size, center_crop=cfg.center_crop, context=cfg.context, cache=False)
    model.eval()
    out = []
    with torch.inference_mode():
        for s in range(0, len(ds), batch_size):
            out.append(model(torch.stack([ds[i][0] for i in range(s, min(len(ds), s + batch_size))])).numpy())
    return np.concatenate(out)


def fit_head(x: np.ndarray, people: np.ndarray, seed: int = 0) -> MetricHead:
    """The personal head's training (default settings) on all of ``x``."""
    cfg = PersonalConfig().train
    labels = np.unique(people, return_inverse=True)[1]
    torch.manual_seed(seed)
    head = MetricHead(x.shape[1], x.shape[1])
    spe = max(10, len(x) // (cfg.P * cfg.K))
    train(head, TensorFaces(torch.from_numpy(x), labels.tolist()),
          dataclasses.replace(cfg, steps_per_epoch=spe, seed=seed))
    return head.eval()


def identification(split, emb: dict[str, np.ndarray], root: Path) -> float:  # noqa: ANN001
    def rows(part: list) -> tuple[np.ndarray, list[str]]:
        return np.stack([emb[str(p.relative_to(root / "images"))] for p, _ in part]), [n for _, n in part]

    (g, gl), (v, vl), (t, tl) = rows(split.gallery), rows(split.validation), rows(split.test)
    return knn_identify(g, gl, v, vl, t, tl).test_accuracy


def verification(x: np.ndarray, arrays: tuple[np.ndarray, ...]) -> float:
    a, b, same, folds = arrays
    return verify_10fold(pair_distances(x, a, b), same, folds).accuracy_mean


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lfw", type=Path, default=None)
    ap.add_argument("--scratch-model", type=Path, default=None)
    ap.add_argument("--finetune-json", type=Path,
                    default=Path(__file__).resolve().parent / "results" / "finetune-cpu.json")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    root = lfw_root(args.lfw)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    split = seed_split(root)
    pairs = read_pairs(root / "pairs.txt")
    seed_people = set(split.people)
    count: dict[str, int] = {}
    for p in (root / "images").glob("*/*.jpg"):
        count[p.parent.name] = count.get(p.parent.name, 0) + 1
    multi = sorted(str(p.relative_to(root / "images")) for p in (root / "images").glob("*/*.jpg")
                   if count[p.parent.name] >= 2)
    pair_paths = sorted({p.path_a for p in pairs} | {p.path_b for p in pairs})
    all_paths = sorted(set(multi) | set(pair_paths))
    lfw = cached_embed_lfw(root, all_paths, FacePipeline())  # per-image cache: only new images are embedded
    emb = dict(zip(all_paths, lfw.embeddings, strict=True))
    index = {p: i for i, p in enumerate(pair_paths)}
    arrays = pair_arrays(pairs, index)
    x_pairs = np.stack([emb[p] for p in pair_paths])
    rows: list[dict] = [{"model": "Seed CNN (notebook)", "identification": SEED_NOTEBOOK_ACCURACY,
                         "verification": None, "source": "quoted from the seed notebook"}]

    scratch = scratch_model(args.scratch_model)
    if scratch is None:
        rows.append({"model": "Scratch SeedCNN (ours)", "identification": SCRATCH_DOCUMENTED, "verification": None,
                     "source": "quoted (bench_train_scratch.py); no saved scratch model found"})
    else:
        model, path = scratch
        files = [p for part in (split.gallery, split.validation, split.test) for p, _ in part]
        e60 = dict(zip(map(str, files), embed_60(model, files), strict=True))
        ident = knn_identify(*[v for part in (split.gallery, split.validation, split.test) for v in
                               (np.stack([e60[str(p)] for p, _ in part]), [n for _, n in part])]).test_accuracy
        pe = embed_60(model, [root / "images" / p for p in pair_paths])
        rows.append({"model": "Scratch SeedCNN (ours)", "identification": ident,
                     "verification": verification(pe, arrays), "source": f"measured, {path.name}, 60x60 centre crops"})

    rows.append({"model": "Pretrained FaceNet", "identification": identification(split, emb, root),
                 "verification": verification(x_pairs, arrays), "source": "measured (pipeline embeddings)"})

    others = [p for p in multi if p.split("/")[0] not in seed_people]
    head = fit_head(np.stack([emb[p] for p in others]), np.array([p.split("/")[0] for p in others]))
    head_emb = dict(zip(all_paths, project(head, lfw.embeddings), strict=True))
    people_folds = read_people(root / "people.txt")
    fold_acc = []
    for k, fold_people in enumerate(people_folds):
        test_people = {n for n, _ in fold_people}
        tr = [p for p in multi if p.split("/")[0] not in test_people]
        h = fit_head(np.stack([emb[p] for p in tr]), np.array([p.split("/")[0] for p in tr]), seed=k)
        y = project(h, x_pairs)
        a, b, same, folds = arrays
        d = pair_distances(y, a, b)
        t = best_accuracy_threshold(d[folds != k], same[folds != k])
        fold_acc.append(float(np.mean((d[folds == k] <= t) == same[folds == k])))
    rows.append({"model": "FaceNet + metric head (personal head on embeddings)",
                 "identification": identification(split, head_emb, root), "verification": float(np.mean(fold_acc)),
                 "source": "measured on CPU: heads trained on other people only (per fold for verification)"})

    ft = json.loads(args.finetune_json.read_text()) if args.finetune_json.is_file() else None
    if ft is not None:
        run = ft["runs"][0] if "runs" in ft else ft  # bench_finetune.py (GPU) or `faceorg train --json`
        rows.append({"model": "Fine-tuned FaceNet (last blocks, per-fold heads)", "identification": None,
                     "verification": run["mean_after"],
                     "source": f"quoted: {args.finetune_json.name} ({ft.get('device', 'CPU')}, before "
                               f"{run['mean_before']:.2%}, lr {run['config']['lr']}, "
                               f"{run['config']['epochs']} epochs)"})
    print("| model | seed identification (62-way, test) | LFW 10-fold verification | source |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {_pct(r['identification'])} | {_pct(r['verification'])} | {r['source']} |")
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
              "cpu": platform.processor() or platform.machine(), "torch": torch.__version__,
              "seconds": round(time.perf_counter() - t0, 1), "n_fallback_center_crop": int(lfw.fallback.sum()),
              "rows": rows, "head_fold_accuracy": fold_acc}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2))
    return 0


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.2%}"


def scratch_model(path: Path | None) -> tuple[torch.nn.Module, Path] | None:
    from core.modelstore.registry import list_models
    from core.modelstore.saved_model import load_model

    if path is None:
        found = [m for m in list_models() if m.arch == "seed_cnn" and m.path is not None]
        if not found:
            return None
        path = found[0].path
    return load_model(path).model, path


if __name__ == "__main__":
    sys.exit(main())
