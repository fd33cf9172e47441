"""``faceorg train --mode scratch|finetune|personal`` and ``faceorg models [use NAME]``.

* ``personal``: a metric head on the library's named faces (seconds, no images); adopted -- saved and made
  the library's model -- only if it recognises held-out faces better (``--no-use``: save, don't switch).
* ``scratch``: the seed experiment (SeedCNN on 62 LFW people), 62-way accuracy vs the seed's 61.3 %.
* ``finetune``: the LFW 10-fold fine-tuning protocol (``--folds``), mean accuracy before/after and CPU
  minutes per fold; ``--final`` trains one model on every LFW person and saves it for the library.
Progress goes to stderr; Ctrl+C cancels cleanly and the same command resumes (checkpoints under the cache
folder; ``--restart`` starts over). Exit codes: 0 done, 1 refused, 2 library locked, 130 cancelled.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from core.cli.common import CliError, add_command, open_library_cli, sigint_cancels
from core.progress import Progress


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(subparsers, "train", run_train, "train or fine-tune the triplet-loss embedding model")
    p.add_argument("--mode", required=True, choices=["scratch", "finetune", "personal"])
    p.add_argument("--data", help="LFW folder for scratch/finetune (default: the bundled copy, if any)")
    p.add_argument("--epochs", type=int, help="epochs (default: the mode's own)")
    p.add_argument("--out", help="name of the saved model (default: <mode>-<date>-<time>)")
    p.add_argument("--folds", help="finetune: comma-separated folds to run (default: all 10)")
    p.add_argument("--final", action="store_true", help="finetune: one model on all LFW people, saved")
    p.add_argument("--limit", type=int, help="finetune: only the first N LFW images (smoke runs)")
    p.add_argument("--views", type=int, help="finetune: jittered views of each face to train on besides the "
                   "plain one (image augmentation before the frozen trunk; default: "
                   "core.training.lfw_views.DEFAULT_VIEWS, off: see BENCHMARKS.md §4)")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda")
    p.add_argument("--restart", action="store_true", help="ignore checkpoints of an earlier run")
    p.add_argument("--no-use", action="store_true", help="personal: keep the library's current model")
    p.add_argument("--no-progress", action="store_true", help="no progress on stderr")
    p.add_argument("--json", dest="json_out", help="write the result as JSON to this file")
    m = add_command(subparsers, "models", run_models, "list saved models; `models use NAME` switches to one", True)
    m.add_argument("action", nargs="?", choices=["use"], help="use: make NAME the library's model")
    m.add_argument("name", nargs="?", metavar="NAME", help="a model name, id, .pt file or 'pretrained'")
    m.add_argument("--no-progress", action="store_true", help="no progress on stderr")


class TrainProgress:
    """Training progress on stderr: one redrawn line on a terminal, a line every few seconds otherwise."""

    def __init__(self, stream: Any = None, log_interval: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = 0.2 if self.tty else log_interval
        self._last = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self._last < self.interval and not (p.total and p.done >= p.total):
            return
        self._last = now
        line = f"{p.message}: {p.done}/{p.total}" if p.total else f"{p.message}..."
        extra = p.extra
        if "loss" in extra:
            line += f"  loss {extra['loss']:.4f}"
        if "val_score" in extra:
            line += f"  validation {extra['val_score']:.2%}"
        self.stream.write(f"\r{line[:100]:<100}" if self.tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def _lfw(args: argparse.Namespace) -> Path:
    from core.paths import lfw_default

    data = Path(args.data) if args.data else lfw_default()
    if data is None or not (data / "images").is_dir():
        raise CliError(f"no LFW images/ folder in {data or '(none given: use --data)'}")
    return data


def _work_dir(kind: str, *parts: Any) -> Path:
    """Where a run keeps its checkpoints and finished folds: keyed by its settings and the face pipeline's
    (detector, crop, standardisation), so a run with other faces never resumes from this one's results."""
    from core.paths import cache_dir
    from core.pipeline import PipelineSettings

    key = hashlib.sha256(repr((parts, dataclasses.asdict(PipelineSettings()))).encode()).hexdigest()[:12]
    return cache_dir() / "training" / f"{kind}-{key}"


def folds_work_dir(config: Any, data: str | Path, limit: int | None = None, views: int = 0) -> Path:
    """The work dir of ``faceorg train --mode finetune`` (the 10-fold protocol) with this TrainConfig and
    number of jittered views: its finished folds' results and each fold's checkpoints (which hold the
    fold's best head)."""
    from core.training.finetune import PROTOCOL_VERSION

    key = (dataclasses.asdict(config), limit, str(data), PROTOCOL_VERSION) + ((views,) if views else ())
    return _work_dir("folds", *key)


def run_train(args: argparse.Namespace) -> int:
    from core.progress import Cancelled, CancelToken

    token = CancelToken()
    bar = None if args.no_progress else TrainProgress()
    runner = {"personal": _personal, "scratch": _scratch, "finetune": _finetune}[args.mode]
    try:
        with sigint_cancels(token):
            result = runner(args, bar, token)
    except Cancelled:
        print("cancelled: run the same command again to resume", file=sys.stderr)
        return 130
    except FileExistsError as exc:
        raise CliError(f"{exc.args[0] if exc.args else exc}; choose another --out") from None
    finally:
        if bar is not None:
            bar.close()
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2, default=str))
    return 0


def _personal(args: argparse.Namespace, bar: Any, token: Any) -> dict[str, Any]:
    from core.library.active_model import use_model
    from core.training.personal import PersonalConfig, train_personal

    cfg = PersonalConfig()
    if args.epochs:
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, epochs=args.epochs))
    with open_library_cli(args, write=True) as library:
        res = train_personal(library, cfg, name=args.out, progress=bar, cancel=token)
        out = res.to_json()
        print(f"Personal head: held-out recognition {res.accuracy_before:.1%} -> {res.accuracy_after:.1%} "
              f"({res.n_test} faces of {res.n_people} people, {res.n_train} training faces, {res.seconds:.1f} s)")
        print(res.reason[0].upper() + res.reason[1:])
        if res.model is not None:
            print(f"Saved as {res.model.name} ({res.model.path})")
            if not args.no_use:
                rep = use_model(library, res.model, progress=bar, cancel=token)
                out["reembed"] = rep.to_json()
                print(f"The library now uses {res.model.name}: {rep.from_stored} faces re-embedded from stored "
                      f"embeddings in {rep.seconds:.1f} s. Run `faceorg cluster` to group faces again with it.")
    return out


def _scratch(args: argparse.Namespace, bar: Any, token: Any) -> dict[str, Any]:
    from core.modelstore.saved_model import load_model
    from core.training.scratch import SEED_NOTEBOOK_ACCURACY, ScratchConfig, train_scratch

    cfg = ScratchConfig()
    train_cfg = dataclasses.replace(cfg.train, device=args.device, **({"epochs": args.epochs} if args.epochs else {}))
    cfg = dataclasses.replace(cfg, train=train_cfg)
    out_dir = _work_dir("scratch", dataclasses.asdict(cfg))
    if args.restart:
        shutil.rmtree(out_dir, ignore_errors=True)
    res = train_scratch(_lfw(args), config=cfg, progress=bar, cancel=token, out_dir=out_dir)
    print(f"Scratch CNN: {res.test_accuracy:.1%} 62-way test accuracy (k={res.k}); seed notebook "
          f"{SEED_NOTEBOOK_ACCURACY:.1%}; {res.seconds / 60:.1f} min")
    out: dict[str, Any] = {"test_accuracy": res.test_accuracy, "k": res.k, "seed_accuracy": SEED_NOTEBOOK_ACCURACY,
                           "val_accuracy_by_k": res.val_accuracy_by_k, "seconds": res.seconds,
                           "best_epoch": res.train.best_epoch, "checkpoints": str(out_dir)}
    if res.model_path is not None:
        from core.modelstore.registry import new_model_name, save_trained

        loaded = load_model(res.model_path)
        info = save_trained(loaded.model, args.out or new_model_name("scratch"),
                            {**loaded.metadata, "metrics": {"seed_test_accuracy": res.test_accuracy, "k": res.k}})
        out["model"] = info.to_json()
        print(f"Saved as {info.name} (a 60x60 research model: not usable for the library)")
    return out


def _finetune(args: argparse.Namespace, bar: Any, token: Any) -> dict[str, Any]:
    from core.training.lfw_finetune import default_train_config, run_folds, train_final
    from core.training.lfw_views import DEFAULT_VIEWS

    cfg = dataclasses.replace(default_train_config(), device=args.device,
                              **({"epochs": args.epochs} if args.epochs else {}))
    data = _lfw(args)
    views = DEFAULT_VIEWS if args.views is None else args.views
    if args.final:
        from core.modelstore.registry import new_model_name

        work = _work_dir("final", dataclasses.asdict(cfg), args.limit, str(data), *((views,) if views else ()))
        if args.restart:
            shutil.rmtree(work, ignore_errors=True)
        final = train_final(data, args.out or new_model_name("finetuned"), config=cfg, limit=args.limit,
                            checkpoint_dir=work, views=views, progress=bar, cancel=token)
        shutil.rmtree(work, ignore_errors=True)  # saved: a re-run trains a new model
        print(f"Fine-tuned on {final.n_images} images of {final.n_people} people in {final.seconds / 60:.1f} min; "
              f"saved as {final.model.name}. Use it with `faceorg models use {final.model.name}`.")
        return {"model": final.model.to_json(), "n_people": final.n_people, "n_images": final.n_images,
                "seconds": final.seconds, "epoch_losses": final.train.epoch_losses}
    folds = tuple(int(f) for f in args.folds.split(",")) if args.folds else tuple(range(10))
    work = folds_work_dir(cfg, data, args.limit, views)
    if args.restart:
        shutil.rmtree(work, ignore_errors=True)
    rep = run_folds(data, work, folds=folds, config=cfg, limit=args.limit, views=views, progress=bar,
                    cancel=token)
    for f in rep.folds:
        kept = "" if f.adopted else "; pretrained head kept: better on validation"
        print(f"fold {f.fold}: {f.accuracy_before:.2%} -> {f.accuracy_after:.2%} (best epoch {f.best_epoch}, "
              f"{rep.cpu_minutes[f.fold]:.1f} CPU min{kept})")
    print(f"LFW {len(rep.folds)}-fold mean: {rep.mean_before:.2%} -> {rep.mean_after:.2%} "
          f"({rep.n_images} images, {rep.n_pairs} pairs)")
    out = rep.to_json()
    g = out["grouping_held_out"]
    if g["grouping_f1_before"] is not None and g["grouping_f1_after"] is not None:
        print(f"Grouping of held-out people (BCubed F1 at 'normal'): {g['grouping_f1_before']:.3f} -> "
              f"{g['grouping_f1_after']:.3f}")
    return out


def run_models(args: argparse.Namespace) -> int:
    from core.modelstore.registry import list_models

    if args.action == "use":
        if not args.name:
            raise CliError("which model? `faceorg models use NAME` (see `faceorg models`)")
        return _use(args)
    active = None
    try:
        from core.library.active_model import active_model

        with open_library_cli(args, write=False) as library:
            active = active_model(library).model_id
    except CliError:
        pass  # no library (yet): the pretrained model is the one a new library uses
    models = list_models(active)
    if args.json:
        print(json.dumps({"active": active, "models": [m.to_json() for m in models]}, indent=2))
        return 0
    for m in models:
        metric = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in m.metrics.items()
                           if isinstance(v, int | float))
        flag = "*" if m.active else " "
        usable = "" if m.usable else "  (not for the library)"
        print(f"{flag} {m.name:<32} {m.arch:<12} {m.created[:19]:<19}  {metric}{usable}")
    return 0


def _use(args: argparse.Namespace) -> int:
    from core.library.active_model import reembed, set_active_model
    from core.modelstore.registry import ModelNotFoundError, find_model
    from core.progress import Cancelled, CancelToken

    token = CancelToken()
    bar = None if args.no_progress else TrainProgress()
    try:
        info = find_model(args.name)
    except ModelNotFoundError as exc:
        raise CliError(str(exc)) from None
    with open_library_cli(args, write=True) as library, sigint_cancels(token):
        switch = set_active_model(library, info)
        rep = None
        if not switch.activated:
            try:
                rep = reembed(library, progress=bar, cancel=token)
            except Cancelled:
                print("cancelled: faces embedded so far are kept; run the same command to go on", file=sys.stderr)
                return 130
            finally:
                if bar is not None:
                    bar.close()
    if args.json:
        print(json.dumps({"model_id": switch.model_id, "name": info.name,
                          "activated": switch.activated or bool(rep and rep.activated),
                          "reembed": None if rep is None else rep.to_json()}))
    elif rep is None:
        print(f"The library now uses {info.name} (all {switch.faces} faces already had its embeddings).")
    else:
        state = "now uses" if rep.activated else "will use (not all faces embedded yet)"
        print(f"The library {state} {info.name}: {rep.embedded} faces embedded ({rep.from_stored} from stored "
              f"embeddings), {rep.already} already done, {rep.failed_faces} unreadable, {rep.seconds:.1f} s.")
    return 0
