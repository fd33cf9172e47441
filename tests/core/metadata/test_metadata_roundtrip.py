"""Round trip: names given in a library, exported to XMP, imported into a fresh library land on the
same faces; exiftool reads every region back; a second export changes no byte. The full 200-photo
run is ``benchmarks/bench_metadata.py`` (BENCHMARKS.md); this test uses 30 photos."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from metadata_support import copy, exiftool, named_faces, need_exiftool, run_import, shared_pipeline
from sqlalchemy import select

from core.library.people import assign_faces
from core.library.roots import local_path
from core.metadata.export import export_xmp
from core.paths import lfw_default
from core.storage.engine import open_library
from core.storage.schema import Face, Photo

pytestmark = [pytest.mark.lfw, pytest.mark.slow]
N = 30


def lfw_first_photos(n: int) -> list[Path]:
    root = lfw_default()
    if root is None:
        pytest.skip("LFW not found at ../shared/lfw (set FACEORG_LFW to use another copy)")
    out = []
    for person in sorted((root / "images").iterdir()):
        first = next(iter(sorted(person.glob("*.jpg"))), None)
        if first is not None:
            out.append(first)
        if len(out) == n:
            break
    return out


def name_central_faces(library) -> int:  # noqa: ANN001
    """Each LFW photo's central face gets its person's name (as a user would); returns how many."""
    with library.session() as s:
        rows = s.execute(select(local_path(s), Face.id, Face.x, Face.y, Face.w, Face.h)
                         .join(Face, Face.photo_id == Photo.id)).all()
        by_name: dict[str, list[int]] = {}
        for path, fid, x, y, w, h in rows:
            if x <= 125 <= x + w and y <= 125 <= y + h:
                by_name.setdefault(Path(path).stem.rsplit("_", 1)[0].replace("_", " "), []).append(fid)
        for name, faces in by_name.items():
            assign_faces(s, faces, name)
        s.commit()
    return sum(len(f) for f in by_name.values())


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_round_trip_through_sidecars(library, tmp_path):
    need_exiftool()
    folder = tmp_path / "photos"
    for src in lfw_first_photos(N):
        copy(src, folder / src.name)
    run_import(library, folder, shared_pipeline())
    named = name_central_faces(library)
    assert named >= N - 1  # LFW photos are centred on their person
    photos_before = {k: v for k, v in digests(folder).items()}
    first = export_xmp(library, [folder])
    assert first.errors == [] and first.written == first.sidecars == len({*named_faces(library)})
    after = digests(folder)
    assert {k: v for k, v in after.items() if not k.endswith(".xmp")} == photos_before  # photos untouched
    # exiftool reads every region back, as MWG and as MP, with the names
    expected = named_faces(library)
    for photo, faces in expected.items():
        info = json.loads(exiftool("-j", "-struct", "-XMP:all", folder / f"{photo}.xmp"))[0]
        mwg = [r["Name"] for r in info["RegionInfo"]["RegionList"]]
        mp = [r["PersonDisplayName"] for r in info["RegionInfoMP"]["Regions"]]
        assert sorted(mwg) == sorted(mp) == sorted(n for n, _, _ in faces)
        assert info["RegionInfo"]["AppliedToDimensions"] == {"H": 250, "Unit": "pixel", "W": 250}
        assert info["PersonInImage"] in (faces[0][0], [n for n, _, _ in faces])
    # a second export changes no byte
    second = export_xmp(library, [folder])
    assert second.written == 0 and second.unchanged == first.written
    assert digests(folder) == after
    # a fresh library importing the folder: the same name on the same face, boxes within 1 px
    with open_library(tmp_path / "fresh.sqlite") as fresh:
        report = run_import(fresh, folder, shared_pipeline())
        assert report.metadata_faces_named == named and report.metadata_region_faces == 0
        got = named_faces(fresh)
    assert set(got) == set(expected)
    for photo, faces in expected.items():
        assert [n for n, _, _ in got[photo]] == [n for n, _, _ in faces]
        for (_, a, _), (_, b, _) in zip(got[photo], faces, strict=True):
            assert np.abs(np.subtract(a, b)).max() <= 1.0
