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
import json
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
    from core.library.named_faces import named_embeddings
    from core.training.runs import LabelledEmbeddings, RunRequest, plan_run, run_training

    run = plan_run(RunRequest("personal", epochs=args.epochs, name=args.out))
    with open_library_cli(args, write=True) as library:
        data = named_embeddings(library, sources=run.config.sources, progress=bar)
        outcome = run_training(run, named=LabelledEmbeddings(data.embeddings, data.labels, data.source),
                               progress=bar, cancel=token)
        res = outcome.result
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
    from core.training.runs import RunRequest, run_training

    outcome = run_training(RunRequest("scratch", _lfw(args), epochs=args.epochs, device=args.device, name=args.out,
                                      restart=args.restart), progress=bar, cancel=token)
    res = outcome.result
    print(f"Scratch CNN: {res.test_accuracy:.1%} 62-way test accuracy (k={res.k}); seed notebook "
          f"{outcome.before:.1%}; {res.seconds / 60:.1f} min")
    out: dict[str, Any] = {"test_accuracy": res.test_accuracy, "k": res.k, "seed_accuracy": outcome.before,
                           "val_accuracy_by_k": res.val_accuracy_by_k, "seconds": res.seconds,
                           "best_epoch": res.train.best_epoch, "checkpoints": str(outcome.run.work_dirs["scratch"])}
    if outcome.model is not None:
        out["model"] = outcome.model.to_json()
        print(f"Saved as {outcome.model.name} (a 60x60 research model: not usable for the library)")
    return out


def _finetune(args: argparse.Namespace, bar: Any, token: Any) -> dict[str, Any]:
    from core.training.runs import RunRequest, run_training

    folds = tuple(int(f) for f in args.folds.split(",")) if args.folds else tuple(range(10))
    request = RunRequest("finetune", _lfw(args), epochs=args.epochs, device=args.device, views=args.views,
                         limit=args.limit, folds=() if args.final else folds, final=args.final, name=args.out,
                         restart=args.restart)
    outcome = run_training(request, progress=bar, cancel=token)
    if args.final:
        final = outcome.final
        print(f"Fine-tuned on {final.n_images} images of {final.n_people} people in {final.seconds / 60:.1f} min; "
              f"saved as {final.model.name}. Use it with `faceorg models use {final.model.name}`.")
        return {"model": final.model.to_json(), "n_people": final.n_people, "n_images": final.n_images,
                "seconds": final.seconds, "epoch_losses": final.train.epoch_losses}
    rep = outcome.result
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
