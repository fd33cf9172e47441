"""Helpers for the XMP tests: exiftool as the independent oracle (writing fixtures in other apps'
conventions, reading back what we wrote), one shared pipeline, small imports."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from core.embedding.embedder import EmbedderSettings
from core.library.importer import ImportSettings, import_folders
from core.library.roots import local_path
from core.paths import lfw_default
from core.pipeline import FacePipeline, PipelineSettings
from core.storage.schema import Assignment, Face, Person, Photo

SETTINGS = ImportSettings(workers=1, batch_size=16, commit_every=16)


def need_exiftool() -> str:
    exe = shutil.which("exiftool")
    if exe is None:
        pytest.skip("exiftool not installed (Debian: apt-get install libimage-exiftool-perl)")
    return exe


def exiftool(*args: str | Path) -> str:
    """Run exiftool; fail the test with its message when it fails."""
    proc = subprocess.run([need_exiftool(), "-q", "-q", *map(str, args)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def exif_json(path: Path, *tags: str) -> dict:
    """exiftool's JSON of one file (structures kept), group names on."""
    out = exiftool("-j", "-struct", "-G1", *(tags or ("-all",)), path)
    return json.loads(out)[0]


def mwg_arg(regions: list[tuple[str, tuple[float, float, float, float]]], dims: tuple[int, int] | None,
            kind: str = "Face") -> str:
    """exiftool's ``-XMP-mwg-rs:RegionInfo=`` for MWG regions given as (name, (cx, cy, w, h))."""
    items = ",".join(f"{{Area={{X={cx:.6f},Y={cy:.6f},W={w:.6f},H={h:.6f},Unit=normalized}},Name={name},"
                     f"Type={kind}}}" for name, (cx, cy, w, h) in regions)
    applied = f"AppliedToDimensions={{W={dims[0]},H={dims[1]},Unit=pixel}}," if dims else ""
    return f"-XMP-mwg-rs:RegionInfo={{{applied}RegionList=[{items}]}}"


def mp_arg(regions: list[tuple[str, tuple[float, float, float, float]]]) -> str:
    """exiftool's ``-XMP-MP:RegionInfoMP=`` for Windows regions given as (name, (x, y, w, h))."""
    items = ",".join(f"{{Rectangle={x:.6f}|, {y:.6f}|, {w:.6f}|, {h:.6f},PersonDisplayName={name}}}"
                     for name, (x, y, w, h) in regions)
    return f"-XMP-MP:RegionInfoMP={{Regions=[{items}]}}"


def run_import(library, folder: Path, pipeline, **settings):  # noqa: ANN001, ANN201
    s = ImportSettings(**{**SETTINGS.__dict__, **settings})
    return import_folders(library, [folder], pipeline=pipeline, settings=s)


def named_faces(library) -> dict[str, list[tuple[str, tuple[float, float, float, float], str]]]:  # noqa: ANN001
    """photo file name -> [(person, box, source)] of its named faces."""
    out: dict[str, list] = {}
    with library.session() as s:
        q = (select(Photo.path, Person.name, Face.x, Face.y, Face.w, Face.h, Assignment.source)
             .join(Face, Face.photo_id == Photo.id).join(Assignment, Assignment.face_id == Face.id)
             .join(Person, Person.id == Assignment.person_id).order_by(Photo.path, Face.id))
        for path, name, x, y, w, h, source in s.execute(q):
            out.setdefault(Path(path).name, []).append((name, (x, y, w, h), source))
    return out


def face_boxes(library, name: str) -> list[tuple[float, float, float, float]]:  # noqa: ANN001
    with library.session() as s:
        return [tuple(r) for r in s.execute(select(Face.x, Face.y, Face.w, Face.h).join(Photo)
                                            .where(local_path(s).like(f"%/{name}")).order_by(Face.id))]


@functools.cache
def shared_pipeline() -> FacePipeline:
    """One pipeline for the metadata tests (the model loads once), one torch thread."""
    return FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False, batch_size=8, threads=1)))


def lfw(name: str) -> Path:
    """An LFW photo by file stem (``Tony_Blair_0001``), or skip."""
    root = lfw_default()
    if root is None:
        pytest.skip("LFW not found at ../shared/lfw (set FACEORG_LFW to use another copy)")
    path = root / "images" / name.rsplit("_", 1)[0] / f"{name}.jpg"
    if not path.exists():
        pytest.skip(f"{path} missing from LFW")
    return path


def copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(src.read_bytes())
    return dst
