"""Personal training on a library built from LFW: held-out recognition before and after the personal head.

    .venv/bin/python -m benchmarks.bench_personal [--lfw DIR] [--min-images 10] [--seeds 0,1,2]
        [--config '{"lr": 1e-4}' ...] [--json OUT]

The library: every image of the LFW people with at least ``--min-images`` images (158 people, 4,324 images
at 10), one face each, with the pretrained FaceNet embedding from the LFW embedding cache
(:func:`core.evaluation.lfw_run.cached_embed_lfw`, default pipeline; only images not cached yet are
embedded), each person named as one group (assignments source "user"). Then
:func:`core.training.personal.train_personal` per seed (held-out split: 25 % of each person's faces) and,
for the first adopted head, the switch of the library to it (re-embedding from stored embeddings).
Prints a markdown table; ``--json`` writes the numbers with the machine and date.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import torch
from sqlalchemy import insert

from benchmarks.harness import lfw_root
from core.evaluation.lfw_run import cached_embed_lfw
from core.library.active_model import use_model
from core.library.named_faces import named_embeddings
from core.library.people import assign_faces
from core.modelstore.registry import PRETRAINED_ID
from core.pipeline import FacePipeline
from core.storage.embeddings import save_embeddings
from core.storage.engine import Library, open_library
from core.storage.schema import Face, Photo
from core.training.personal import PersonalConfig, train_personal


def lfw_people_paths(root: Path, min_images: int) -> list[str]:
    """Relative paths of every image of the people with at least ``min_images`` images, sorted."""
    people: dict[str, list[str]] = {}
    for p in (root / "images").glob("*/*.jpg"):
        people.setdefault(p.parent.name, []).append(str(p.relative_to(root / "images")))
    return sorted(r for v in people.values() if len(v) >= min_images for r in v)


def build_library(path: Path, root: Path, rel: list[str], embeddings) -> Library:  # noqa: ANN001
    """One photo and one face per image, its stored embedding, and each person named."""
    lib = open_library(path)
    with lib.session() as s:
        photo_ids = s.scalars(insert(Photo).returning(Photo.id, sort_by_parameter_order=True), [
            {"path": str(root / "images" / r), "size": 0, "mtime": 0.0, "content_hash": f"{i:064x}", "width": 250,
             "height": 250, "status": "done", "face_count": 1} for i, r in enumerate(rel)]).all()
        face_ids = s.scalars(insert(Face).returning(Face.id, sort_by_parameter_order=True), [
            {"photo_id": p, "x": 70.0, "y": 70.0, "w": 110.0, "h": 110.0, "score": 1.0} for p in photo_ids]).all()
        save_embeddings(s, PRETRAINED_ID, zip(face_ids, embeddings, strict=True))
        by_person: dict[str, list[int]] = {}
        for f, r in zip(face_ids, rel, strict=True):
            by_person.setdefault(r.split("/")[0], []).append(f)
        for name, faces in by_person.items():
            assign_faces(s, faces, name.replace("_", " "))
    return lib


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lfw", type=Path, default=None)
    ap.add_argument("--min-images", type=int, default=10)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--config", action="append", default=[], help="TrainConfig overrides as JSON (repeatable)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", dest="json_out")
    args = ap.parse_args()
    root = lfw_root(args.lfw)
    torch.set_num_threads(args.threads)
    rel = lfw_people_paths(root, args.min_images)
    t0 = time.perf_counter()
    emb = cached_embed_lfw(root, rel, FacePipeline())
    embed_s = time.perf_counter() - t0
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        lib = build_library(Path(tmp) / "lib.sqlite", root, rel, emb.embeddings)
        adopted_model = None
        for overrides in args.config or ["{}"]:
            base = PersonalConfig()
            train_cfg = dataclasses.replace(base.train, **json.loads(overrides))
            for seed in (int(s) for s in args.seeds.split(",")):
                cfg = dataclasses.replace(base, train=train_cfg, seed=seed, threads=args.threads)
                c0 = time.process_time()
                data = named_embeddings(lib, sources=cfg.sources)  # inside the timing, as the CLI does
                res = train_personal(data.embeddings, data.labels, cfg, source=data.source, name=f"bench-{len(runs)}",
                                     models_directory=Path(tmp) / "models")
                run = {"overrides": json.loads(overrides), "seed": seed, **res.to_json(),
                       "cpu_s": round(time.process_time() - c0, 2)}
                run.pop("model")
                runs.append(run)
                if res.adopted and adopted_model is None:
                    adopted_model = res.model
        switch = None
        if adopted_model is not None:
            rep = use_model(lib, adopted_model)
            switch = {**rep.to_json(), "faces_per_s": round(rep.embedded / max(rep.seconds, 1e-9))}
        lib.close()
    print(f"LFW people with >= {args.min_images} images: {len(set(r.split('/')[0] for r in rel))} people, "
          f"{len(rel)} faces (embeddings {embed_s:.0f} s, {int(emb.fallback.sum())} centre crops)\n")
    print("| settings | seed | held-out faces | before (pretrained) | after (personal head) | adopted | CPU s |")
    print("|---|---|---|---|---|---|---|")
    for r in runs:
        print(f"| {json.dumps(r['overrides']) if r['overrides'] else 'default'} | {r['seed']} | {r['n_test']} | "
              f"{r['accuracy_before']:.2%} | {r['accuracy_after']:.2%} | {'yes' if r['adopted'] else 'no'} | "
              f"{r['cpu_s']} |")
    if switch:
        print(f"\nSwitching the library to the adopted head: {switch['embedded']} faces from stored embeddings in "
              f"{switch['seconds']} s ({switch['faces_per_s']} faces/s)")
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
              "cpu": platform.processor() or platform.machine(), "torch": torch.__version__, "threads": args.threads,
              "min_images": args.min_images, "n_faces": len(rel),
              "personal_config": dataclasses.asdict(PersonalConfig()),
              "runs": runs, "switch": switch}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
