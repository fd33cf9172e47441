"""Names in XMP: the LFW round trip, export speed, the import-time cost of reading metadata, and
the region-to-face matching rule.

    .venv/bin/python -m benchmarks.bench_metadata [--n 200] [--repeat 3] [--lfw DIR] [--json OUT] [--profile]

1. Import N LFW photos (the first photo of the first N people, sorted) into library A; name each
   photo's central face with its person's name (as a user would).
2. ``export_xmp`` to sidecars (ms per photo), then again (must write nothing, change no byte);
   exiftool reads every sidecar back (every region, MWG and MP, with its name).
3. Library B imports the same folder with metadata reading off, then reads the metadata
   (``sync_metadata``) on its own: its share of the whole is the import-time cost. Every name
   must land on the same face as in A (boxes within 1 px).
4. ``export_xmp --embedded`` into copies of the photos (ms per photo), and again (no byte).
5. The matching rule (on the LFW photos, then on crowded "group photos" of 4 LFW photos pasted
   130 px apart): regions drawn around each named face in other apps' styles (scaled 0.5-2,
   shifted up to 30% of the box) matched against all detected faces of the photo under each
   candidate rule: right face / wrong face / no face.

Needs LFW (../shared/lfw or FACEORG_LFW) and exiftool. Prints markdown; ``--json`` writes the numbers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.harness import lfw_root, write_json


def _photos(n: int, lfw: Path | None = None) -> list[Path]:
    root = lfw_root(lfw)
    out = []
    for person in sorted((root / "images").iterdir()):
        first = next(iter(sorted(person.glob("*.jpg"))), None)
        if first is not None:
            out.append(first)
        if len(out) == n:
            break
    return out


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _named(lib) -> dict[str, list[tuple[str, tuple[float, ...]]]]:  # noqa: ANN001
    from sqlalchemy import select

    from core.storage.schema import Assignment, Face, Person, Photo

    out: dict[str, list] = {}
    with lib.session() as s:
        q = (select(Photo.path, Person.name, Face.x, Face.y, Face.w, Face.h).join(Face, Face.photo_id == Photo.id)
             .join(Assignment, Assignment.face_id == Face.id).join(Person, Person.id == Assignment.person_id)
             .order_by(Photo.path, Face.id))
        for path, name, *box in s.execute(q):
            out.setdefault(Path(path).name, []).append((name, tuple(box)))
    return out


def _name_central(lib) -> int:  # noqa: ANN001
    from sqlalchemy import select

    from core.library.people import assign_faces
    from core.storage.schema import Face, Photo

    with lib.session() as s:
        by_name: dict[str, list[int]] = {}
        for path, fid, x, y, w, h in s.execute(select(Photo.path, Face.id, Face.x, Face.y, Face.w, Face.h)
                                               .join(Face, Face.photo_id == Photo.id)):
            if x <= 125 <= x + w and y <= 125 <= y + h:
                by_name.setdefault(Path(path).stem.rsplit("_", 1)[0].replace("_", " "), []).append(fid)
        for name, faces in by_name.items():
            assign_faces(s, faces, name)
        s.commit()
    return sum(len(v) for v in by_name.values())


def _all_faces(lib) -> dict[str, list[tuple[float, ...]]]:  # noqa: ANN001
    from sqlalchemy import select

    from core.storage.schema import Face, Photo

    out: dict[str, list] = {}
    with lib.session() as s:
        for path, *box in s.execute(select(Photo.path, Face.x, Face.y, Face.w, Face.h)
                                    .join(Face, Face.photo_id == Photo.id).order_by(Face.id)):
            out.setdefault(Path(path).name, []).append(tuple(box))
    return out


def _matching(named: dict, faces: dict, seed: int = 0) -> dict[str, dict[str, int]]:
    """Each named face's box redrawn in other apps' styles; each rule's right / wrong / none."""
    from core.metadata.matching import MIN_IOU, match
    from core.metadata.regions import centre_inside, iou

    rules = {
        "IoU >= 0.5": lambda r, f: iou(r, f) >= 0.5,
        f"IoU >= {MIN_IOU}": lambda r, f: iou(r, f) >= MIN_IOU,
        "centre of region in face": lambda r, f: centre_inside(r, f),
        "mutual centre-inside": lambda r, f: centre_inside(r, f) and centre_inside(f, r),
    }
    rng = np.random.default_rng(seed)
    chosen = "chosen: IoU >= 0.3 or centre of region in face, one to one"
    out = {k: {"right": 0, "wrong": 0, "none": 0} for k in [*rules, chosen]}
    for photo, items in named.items():
        boxes = faces[photo]
        for _, (x, y, w, h) in items:
            right = boxes.index((x, y, w, h))
            for scale in (0.5, 0.7, 1.0, 1.4, 2.0):
                dx, dy = rng.uniform(-0.3, 0.3, 2)
                cx, cy = x + w / 2 + dx * w, y + h / 2 + dy * h
                rw, rh = w * scale, h * scale
                region = (cx - rw / 2, cy - rh / 2, rw, rh)
                for name, rule in rules.items():
                    ok = [j for j, f in enumerate(boxes) if rule(region, f)]
                    best = max(ok, key=lambda j: iou(region, boxes[j]), default=None)
                    out[name]["none" if best is None else "right" if best == right else "wrong"] += 1
                got = match([region], boxes)[0]
                out[chosen]["none" if got is None else "right" if got == right else "wrong"] += 1
    return out


def _group_photos(pipeline, photos: list[Path], per: int = 4, step: int = 130) -> tuple[dict, dict]:  # noqa: ANN001
    """Crowded "group photos": ``per`` LFW photos pasted ``step`` px apart (faces ~40 px apart), so
    a region can land on a neighbour. The truth for each pasted person: the detected face whose
    box holds that photo's centre. Returns (named, faces) shaped like the round trip's."""
    from PIL import Image

    named: dict[str, list] = {}
    faces: dict[str, list] = {}
    for g in range(len(photos) // per):
        canvas = Image.new("RGB", (step * (per - 1) + 250, 250), (128, 128, 128))
        for k, p in enumerate(photos[g * per:(g + 1) * per]):
            canvas.paste(Image.open(p).convert("RGB"), (k * step, 0))
        boxes = [tuple(float(v) for v in d.box) for d in pipeline.detect(np.asarray(canvas))]
        key = f"group{g}"
        faces[key] = boxes
        for k in range(per):
            cx = k * step + 125
            hit = [b for b in boxes if b[0] <= cx <= b[0] + b[2] and b[1] <= 125 <= b[1] + b[3]]
            if len(hit) == 1:
                named.setdefault(key, []).append((f"p{k}", hit[0]))
    return named, faces


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--lfw", type=Path, help="LFW folder (default: FACEORG_LFW or ../shared/lfw)")
    ap.add_argument("--profile", action="store_true", help="profile the metadata read")
    ap.add_argument("--repeat", type=int, default=3, help="fresh libraries for the import-cost pair (median)")
    args = ap.parse_args()
    exiftool = shutil.which("exiftool")
    if exiftool is None:
        sys.exit("exiftool not installed")
    from core.embedding.embedder import EmbedderSettings
    from core.library.importer import ImportSettings, import_folders
    from core.metadata.export import export_xmp
    from core.metadata.library_sync import sync_metadata
    from core.pipeline import FacePipeline, PipelineSettings
    from core.storage.engine import open_library

    pipeline = FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False, threads=1)))
    _ = pipeline.model_id
    res: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
                 "cpus": __import__("os").cpu_count(), "n": args.n}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = tmp / "photos"
        folder.mkdir()
        for p in _photos(args.n, args.lfw):
            shutil.copy2(p, folder / p.name)
        with open_library(tmp / "a.sqlite") as a:
            t0 = time.perf_counter()
            rep_a = import_folders(a, [folder], pipeline=pipeline,
                                   settings=ImportSettings(workers=2, read_metadata=False))
            res["import_a_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            sync_metadata(a, [str(folder)], pipeline)  # photos without any XMP: the common case
            res["metadata_none_s"] = time.perf_counter() - t0
            res["metadata_none_share"] = res["metadata_none_s"] / (res["import_a_s"] + res["metadata_none_s"])
            res["faces"] = rep_a.faces_new
            res["named"] = _name_central(a)
            expected = _named(a)
            faces_a = _all_faces(a)
            before = _digests(folder)
            t0 = time.perf_counter()
            first = export_xmp(a, [folder])
            res["export_sidecar_ms_per_photo"] = (time.perf_counter() - t0) * 1000 / max(1, first.photos)
            res["export_sidecar_written"] = first.written
            after = _digests(folder)
            res["photos_untouched"] = all(after[k] == v for k, v in before.items())
            second = export_xmp(a, [folder])
            res["second_export_written"] = second.written
            res["second_export_same_bytes"] = _digests(folder) == after
        # exiftool reads every region back
        out = subprocess.run([exiftool, "-j", "-struct", "-XMP:all", *sorted(folder.glob("*.xmp"))],
                             capture_output=True, text=True, check=True).stdout
        back = {Path(d["SourceFile"]).name[:-4]: d for d in json.loads(out)}
        regions_ok = sum(
            sorted(r["Name"] for r in back[p]["RegionInfo"]["RegionList"]) == sorted(n for n, _ in items)
            and sorted(r["PersonDisplayName"] for r in back[p]["RegionInfoMP"]["Regions"]) == sorted(
                n for n, _ in items)
            for p, items in expected.items() if p in back)
        res["exiftool_regions_read_back"] = f"{regions_ok}/{len(expected)} photos"
        # a fresh library: import without metadata, then read it: the cost and the names (``--repeat``
        # fresh libraries, import and read measured as a pair each time: the median share is reported)
        shares, reads, imports = [], [], []
        for k in range(args.repeat):
            with open_library(tmp / f"b{k}.sqlite") as b:
                t0 = time.perf_counter()
                import_folders(b, [folder], pipeline=pipeline,
                               settings=ImportSettings(workers=2, read_metadata=False))
                imports.append(time.perf_counter() - t0)
                import cProfile
                import pstats

                prof = cProfile.Profile()
                t0 = time.perf_counter()
                if args.profile and k == 0:
                    prof.enable()
                meta = sync_metadata(b, [str(folder)], pipeline)
                reads.append(time.perf_counter() - t0)
                if args.profile and k == 0:
                    prof.disable()
                    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
                shares.append(reads[-1] / (imports[-1] + reads[-1]))
                res["metadata_faces_named"] = meta.faces_named
                got = _named(b)
        mid = sorted(range(len(shares)), key=shares.__getitem__)[len(shares) // 2]
        res["import_b_s"], res["metadata_read_s"] = imports[mid], reads[mid]
        res["metadata_share_of_import"] = shares[mid]
        res["metadata_shares"] = shares
        res["metadata_read_ms_per_photo"] = 1000 * float(np.median(reads)) / max(1, args.n)
        same = sum(1 for p, items in expected.items() for i, (n, box) in enumerate(items)
                   if p in got and i < len(got[p]) and got[p][i][0] == n
                   and np.abs(np.subtract(got[p][i][1], box)).max() <= 1.0)
        res["same_name_same_face"] = f"{same}/{sum(len(v) for v in expected.values())}"
        # embedded, into copies of the photos
        emb = tmp / "embedded"
        emb.mkdir()
        for p in sorted(folder.glob("*.jpg")):
            shutil.copy2(p, emb / p.name)
        with open_library(tmp / "c.sqlite") as c:
            import_folders(c, [emb], pipeline=pipeline, settings=ImportSettings(workers=2, read_metadata=False))
            _name_central(c)
            t0 = time.perf_counter()
            e1 = export_xmp(c, [emb], embedded=True)
            res["export_embedded_ms_per_photo"] = (time.perf_counter() - t0) * 1000 / max(1, e1.photos)
            res["export_embedded_written"] = e1.embedded
            snap = _digests(emb)
            e2 = export_xmp(c, [emb], embedded=True)
            res["second_embedded_written"] = e2.written
            res["second_embedded_same_bytes"] = _digests(emb) == snap
        res["matching"] = _matching(expected, faces_a)
        group_named, group_faces = _group_photos(pipeline, _photos(args.n, args.lfw)[:120])
        res["matching_groups_faces"] = sum(len(v) for v in group_named.values())
        res["matching_groups"] = _matching(group_named, group_faces, seed=1)
    _print(res)
    if args.json:
        write_json(args.json, res)


def _print(r: dict) -> None:
    print(f"LFW round trip, {r['n']} photos, {r['named']} named faces ({r['faces']} detected)")
    print(f"- same name on the same face (box within 1 px) in a fresh library: {r['same_name_same_face']}")
    print(f"- exiftool reads every region back (MWG + MP): {r['exiftool_regions_read_back']}")
    print(f"- second export: {r['second_export_written']} files written, same bytes: {r['second_export_same_bytes']};"
          f" photos untouched by sidecar export: {r['photos_untouched']}")
    print(f"- export: sidecar {r['export_sidecar_ms_per_photo']:.1f} ms/photo, embedded "
          f"{r['export_embedded_ms_per_photo']:.1f} ms/photo (second embedded export: "
          f"{r['second_embedded_written']} written, same bytes {r['second_embedded_same_bytes']})")
    print(f"- import {r['import_b_s']:.1f} s without metadata + reading metadata {r['metadata_read_s']:.2f} s "
          f"= {100 * r['metadata_share_of_import']:.1f}% of the import (every photo with a sidecar naming its face; "
          f"median of {len(r['metadata_shares'])}: " + ", ".join(f"{100 * x:.1f}%" for x in r["metadata_shares"])
          + f"; read {r['metadata_read_ms_per_photo']:.1f} ms/photo)")
    print(f"- photos without XMP: import {r['import_a_s']:.1f} s + reading metadata {r['metadata_none_s']:.2f} s "
          f"= {100 * r['metadata_none_share']:.1f}%")
    for title, key in (("LFW photos", "matching"), (f"crowded groups ({r['matching_groups_faces']} faces)",
                                                     "matching_groups")):
        print(f"\nmatching, {title}\n\n| rule | right face | wrong face | no face |\n|---|---|---|---|")
        for rule, c in r[key].items():
            print(f"| {rule} | {c['right']} | {c['wrong']} | {c['none']} |")


if __name__ == "__main__":
    main()
