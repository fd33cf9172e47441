"""What else the fine-tuned fold heads can give, measured after ``faceorg train --mode finetune``.

    .venv/bin/python -m benchmarks.bench_finetune_posthoc --epochs 3 --wise 0.5 \\
        --json benchmarks/results/finetune-posthoc-cpu.json

Reads each fold's best head from the CLI's work dir for the same settings (run the CLI first) and, on the
cached trunk features of the LFW pair images, scores every fold's test pairs with the pretrained head and
with that fold's head (as the CLI scored it: averaged weights, or the best epoch) in four ways:

* ``plain``: as the CLI does (threshold on the other nine folds' pairs); must equal the CLI's numbers;
  ``best_epoch_plain``: the same run's best epoch alone, when the CLI averaged the epochs' weights;
* ``val_threshold``: threshold on the validation fold only (the one fold of people the head never saw);
* ``centered``: subtract the mean embedding of the other nine folds' pair images, re-normalise (the
  ``--subtract_mean`` of Sandberg's ``validate_on_lfw.py``), then as ``plain``: a pure domain-shift fix;
* ``wise@a``: WiSE-FT weight interpolation ``(1 - a) * pretrained + a * fine-tuned`` of the head.

``--errors FILE.json`` also lists the test pairs the fine-tuned heads get wrong (``plain``), with their
distance over the threshold, whether the pretrained head got them wrong too, and how many lie within 5 % /
10 % of the threshold; ``--error-collage FILE.png`` draws the worst 24 of them (image pairs side by side).
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
from core.evaluation.lfw import pair_arrays, pair_distances, read_pairs
from core.evaluation.roc import best_accuracy_threshold
from core.training.averaging import WeightAverage
from core.training.checkpoint import latest_checkpoint, load_checkpoint
from core.training.finetune import FacenetHead, head_embeddings
from core.training.interpolate import interpolate_state
from core.training.lfw_finetune import cached_trunk_features, default_train_config, lfw_paths
from core.training.runs import folds_work_dir


def accuracy(emb: np.ndarray, arrays: tuple[np.ndarray, ...], fold: int, threshold_folds: list[int]) -> float:
    a, b, same, folds = arrays
    d = pair_distances(emb, a, b)
    pick = np.isin(folds, threshold_folds)
    t = best_accuracy_threshold(d[pick], same[pick])
    test = folds == fold
    return float(np.mean((d[test] <= t) == same[test]))


def centered(emb: np.ndarray, arrays: tuple[np.ndarray, ...], fold: int) -> np.ndarray:
    a, b, _, folds = arrays
    other = folds != fold
    c = emb - np.concatenate([emb[a[other]], emb[b[other]]]).mean(0)
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def distance_ratio(emb: np.ndarray, arrays: tuple[np.ndarray, ...], fold: int,
                   threshold_folds: list[int]) -> np.ndarray:
    """Squared distance over the threshold (chosen as in :func:`accuracy`) for ``fold``'s pairs."""
    a, b, same, folds = arrays
    d = pair_distances(emb, a, b)
    pick = np.isin(folds, threshold_folds)
    return d[folds == fold] / best_accuracy_threshold(d[pick], same[pick])


def wrong_pairs(pairs: list, same: np.ndarray, ratio: dict[str, np.ndarray]) -> dict:
    """The fine-tuned heads' wrong pairs, worst first, and a summary (see the module doc)."""
    wrong = {k: (r <= 1) != same for k, r in ratio.items()}
    off = np.abs(ratio["finetuned"] - 1)
    order = [int(i) for i in np.argsort(-off) if wrong["finetuned"][i]]
    ft, pre = wrong["finetuned"], wrong["pretrained"]
    summary = {"wrong_finetuned": int(ft.sum()), "wrong_pretrained": int(pre.sum()),
               "wrong_both": int((ft & pre).sum()), "fixed": int((pre & ~ft).sum()), "broken": int((ft & ~pre).sum()),
               "false_rejects": int((ft & same).sum()), "false_accepts": int((ft & ~same).sum()),
               "wrong_within_5pct": int((ft & (off < 0.05)).sum()),
               "wrong_within_10pct": int((ft & (off < 0.10)).sum()),
               "pairs_within_5pct": int((off < 0.05).sum())}
    return {"summary": summary, "pairs": [
        {"a": pairs[i].path_a, "b": pairs[i].path_b, "same": bool(same[i]), "fold": int(pairs[i].fold),
         "ratio_finetuned": round(float(ratio["finetuned"][i]), 4),
         "ratio_pretrained": round(float(ratio["pretrained"][i]), 4), "pretrained_wrong": bool(pre[i])}
        for i in order]}


def collage(root: Path, wrong: list[dict], out: Path, cols: int = 4, tile: int = 150) -> None:
    """The centre 170 px of each wrong pair's two images side by side; S/D = same/different person and the
    distance over the threshold in the corner."""
    import cv2

    tiles = []
    for w in wrong:
        ims = [cv2.resize(cv2.imread(str(root / "images" / w[k]))[40:210, 40:210], (tile, tile)) for k in "ab"]
        t = np.hstack([*ims, np.zeros((tile, 6, 3), np.uint8)])
        colour = (0, 200, 0) if w["same"] else (0, 0, 255)
        cv2.putText(t, f"{'S' if w['same'] else 'D'} {w['ratio_finetuned']:.2f}", (4, 16), cv2.FONT_HERSHEY_SIMPLEX,
                    0.5, colour, 2)
        tiles.append(t)
    while len(tiles) % cols:
        tiles.append(np.zeros_like(tiles[0]))
    cv2.imwrite(str(out), np.vstack([np.hstack(tiles[r:r + cols]) for r in range(0, len(tiles), cols)]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lfw", type=Path, default=None)
    ap.add_argument("--epochs", type=int, default=3, help="the --epochs of the CLI run to read")
    ap.add_argument("--views", type=int, default=0, help="the --views of the CLI run to read (0: none)")
    ap.add_argument("--wise", type=float, action="append", default=[], help="WiSE-FT alpha (repeatable)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--errors", type=Path, help="write the fine-tuned heads' wrong test pairs here (JSON)")
    ap.add_argument("--error-collage", type=Path, help="draw the worst 24 wrong pairs here (PNG)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    root = lfw_root(args.lfw)
    from core.embedding.weights import pretrained_facenet

    cfg = dataclasses.replace(default_train_config(), device="cpu", epochs=args.epochs)
    work = folds_work_dir(cfg, root, views=args.views)
    if not (work / "fold-0.json").is_file():
        raise SystemExit(f"no finished folds in {work}: run `faceorg train --mode finetune --epochs {args.epochs} "
                         f"--views {args.views} --device cpu` first")
    t0 = time.perf_counter()
    paths = lfw_paths(root)
    pairs = read_pairs(root / "pairs.txt")
    index = {p: i for i, p in enumerate(paths)}
    in_pairs = sorted({index[p.path_a] for p in pairs} | {index[p.path_b] for p in pairs})
    base = pretrained_facenet()
    scored = cached_trunk_features(root, paths, base=base)[in_pairs]
    arrays = pair_arrays(pairs, {paths[i]: k for k, i in enumerate(in_pairs)})
    pretrained = FacenetHead(base)
    e_pre = head_embeddings(pretrained, scored)
    rows = []
    ratio = {"pretrained": np.full(len(pairs), np.nan), "finetuned": np.full(len(pairs), np.nan)}
    for fold in range(10):
        file = work / f"fold-{fold}.json"
        if not file.is_file():
            continue
        saved = json.loads(file.read_text())["result"]
        others = [k for k in range(10) if k != fold]
        val = [(fold + 1) % 10]
        ckpt = latest_checkpoint(work / "checkpoints" / f"fold-{fold}")
        if ckpt is None:
            raise SystemExit(f"fold {fold}: no checkpoint left in {work}")
        state = load_checkpoint(ckpt.path)
        best = FacenetHead(base)
        best.load_state_dict(state["best_state"] or state["model"])
        head = FacenetHead(base)  # the fold's head as the CLI scored it
        if saved.get("adopted", True):
            if state.get("average") is not None:
                average = WeightAverage()
                average.load_state_dict(state["average"])
                head.load_state_dict(average.averaged(head))
            else:
                head.load_state_dict(best.state_dict())
        e_ft = head_embeddings(head, scored)
        row = {"fold": fold, "cli_before": saved["accuracy_before"], "cli_after": saved["accuracy_after"],
               "adopted": saved.get("adopted", True)}
        if state.get("average") is not None:  # the best epoch alone, from the same training run
            row["best_epoch_plain"] = accuracy(head_embeddings(best, scored), arrays, fold, others)
        for name, e in (("pretrained", e_pre), ("finetuned", e_ft)):
            row[f"{name}_plain"] = accuracy(e, arrays, fold, others)
            ratio[name][arrays[3] == fold] = distance_ratio(e, arrays, fold, others)
            row[f"{name}_val_threshold"] = accuracy(e, arrays, fold, val)
            row[f"{name}_centered"] = accuracy(centered(e, arrays, fold), arrays, fold, others)
        for alpha in args.wise:
            mixed = FacenetHead(base)
            mixed.load_state_dict(interpolate_state(pretrained.state_dict(), head.state_dict(), alpha))
            e = head_embeddings(mixed, scored)
            row[f"wise@{alpha}"] = accuracy(e, arrays, fold, others)
            row[f"wise@{alpha}_validation"] = accuracy(e, arrays, val[0], [k for k in others if k != val[0]])
        rows.append(row)
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
    means = {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k not in ("fold", "adopted")} if rows else {}
    for k, v in means.items():
        print(f"{k:32s} {v:.2%}")
    if args.errors or args.error_collage:
        errors = wrong_pairs(pairs, arrays[2], ratio)
        if args.errors:
            args.errors.write_text(json.dumps(errors, indent=1))
            print(json.dumps(errors["summary"]))
        if args.error_collage:
            collage(root, errors["pairs"][:24], args.error_collage)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({
            "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
            "threads": args.threads, "work_dir": str(work), "config": dataclasses.asdict(cfg), "means": means,
            "folds": rows, "seconds": time.perf_counter() - t0}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
