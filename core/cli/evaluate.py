"""``faceorg evaluate lfw|identify``: measure the embeddings on LFW."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.detection import DEFAULT_DETECTOR, DETECTOR_NAMES


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("evaluate", help="measure face verification / identification on LFW")
    sub = p.add_subparsers(dest="evaluation", required=True, metavar="EVALUATION")
    lfw = sub.add_parser("lfw", help="View-2 10-fold verification on pairs.txt")
    lfw.add_argument("--data", required=True, help="LFW folder (with images/ and pairs.txt)")
    lfw.add_argument("--pairs", help="pairs file (default DATA/pairs.txt)")
    lfw.add_argument("--folds", help="comma-separated fold numbers to use (default: all)")
    lfw.add_argument("--json", dest="json_out", help="write the result as JSON to this file")
    lfw.add_argument("--roc", help="write the ROC curve to this PNG")
    _pipeline_args(lfw)
    lfw.set_defaults(func=run_lfw)
    ident = sub.add_parser("identify", help="the seed experiment: 62-way k-NN on LFW people with >= 20 images")
    ident.add_argument("--data", required=True, help="LFW folder (with images/)")
    ident.add_argument("--json", dest="json_out", help="write the result as JSON to this file")
    _pipeline_args(ident)
    ident.set_defaults(func=run_identify)


def _pipeline_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--detector", default=DEFAULT_DETECTOR, choices=DETECTOR_NAMES)
    p.add_argument("--align", default=None, choices=["crop", "similarity"], help="default: the tuned default")
    p.add_argument("--no-flip", action="store_true", help="skip flip averaging")
    p.add_argument("--model", help="a saved model file (.pt) instead of the pretrained FaceNet")
    p.add_argument("--no-cache", action="store_true", help="don't reuse cached LFW embeddings")


def _pipeline(args: argparse.Namespace):  # noqa: ANN202
    from dataclasses import replace

    from core.alignment import AlignSettings
    from core.embedding.embedder import EmbedderSettings
    from core.modelstore.loading import load_embedder
    from core.pipeline import FacePipeline, PipelineSettings

    align = AlignSettings() if args.align is None else replace(AlignSettings(), method=args.align)
    settings = PipelineSettings(detector=args.detector, align=align,
                                embedder=EmbedderSettings(flip=not args.no_flip))
    embedder = load_embedder(args.model, settings.embedder) if args.model else None
    return FacePipeline(settings, embedder=embedder)


def _progress_printer():  # noqa: ANN202
    def show(p) -> None:  # noqa: ANN001
        if p.total:
            sys.stderr.write(f"\r{p.message}: {p.done}/{p.total}")
            sys.stderr.flush()
    return show


def run_lfw(args: argparse.Namespace) -> int:
    from core.evaluation.lfw_run import verify_lfw

    data = Path(args.data)
    if not (data / "images").is_dir():
        print(f"error: no images/ folder in {data}", file=sys.stderr)
        return 2
    folds = [int(f) for f in args.folds.split(",")] if args.folds else None
    out = verify_lfw(data, args.pairs, _pipeline(args), folds=folds, use_cache=not args.no_cache,
                     progress=_progress_printer())
    sys.stderr.write("\n")
    report = out.to_json()
    r = out.result
    print(f"LFW accuracy {r.accuracy_mean * 100:.2f}% +- {r.accuracy_std * 100:.2f} over {len(r.accuracy_per_fold)} "
          f"folds ({r.n_pairs} pairs), threshold {r.threshold_mean:.3f} (squared L2)")
    print(f"VAL@FAR={r.far_target:g}: {r.val_mean * 100:.2f}% +- {r.val_std * 100:.2f} (FAR {r.far_mean:.4f}); "
          f"AUC {r.roc.auc:.4f}; EER {r.roc.eer * 100:.2f}%")
    print(f"{out.n_fallback} of {out.n_images} images had no detected face and used a centre crop")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2))
    if args.roc:
        from core.evaluation.roc_plot import roc_plot

        roc_plot(r, args.roc, label=out.model_id)
    return 0


def run_identify(args: argparse.Namespace) -> int:
    from core.evaluation.lfw_run import identify_seed

    data = Path(args.data)
    if not (data / "images").is_dir():
        print(f"error: no images/ folder in {data}", file=sys.stderr)
        return 2
    out = identify_seed(data, _pipeline(args), use_cache=not args.no_cache, progress=_progress_printer())
    sys.stderr.write("\n")
    r = out.result
    print(f"Seed identification: {r.test_accuracy * 100:.2f}% test accuracy, {out.n_people}-way, k={r.k} "
          f"(chosen on validation); seed notebook: 61.3%")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out.to_json(), indent=2))
    return 0
