"""Issue 13: the import, grouping and undo log stopped at each commit point (deterministically,
by :mod:`core.faults`, not by timing), then run again, end exactly as a run never stopped: the
photo batch, a photo's face write, the grouping write and the undo log all commit whole or not
at all, and the next run carries on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from import_support import SETTINGS, astronaut_jpeg, check_consistent, shared_pipeline
from PIL import Image
from skimage import data
from sqlalchemy import select

from core import faults
from core.library.grouping import regroup
from core.library.importer import import_folders
from core.library.people import name_cluster, rename_person
from core.library.roots import local_path, roots_of
from core.library.undo import undo_last
from core.storage.engine import open_library
from core.storage.schema import Assignment, Face, Operation, Person, Photo

FAULTS = [("import.restore", 1), ("import.faces", 2), ("import.batch", 1), ("import.committed", 1),
          ("import.vanished", 1), ("grouping.write", 1), ("grouping.write", 2), ("undo.record", 1),
          ("undo.record", 2), ("undo.apply", 1)]


def _folder(root: Path) -> Path:
    folder = root / "photos"
    astronaut_jpeg(folder / "a0.jpg")
    for i in range(1, 6):
        Image.fromarray(np.roll(data.astronaut(), 23 * i, axis=1)).save(folder / f"a{i}.jpg", quality=88)
    for i in range(2):
        Image.fromarray(data.chelsea()[:, 30 * i:]).save(folder / f"cat{i}.jpg", quality=88)
    (folder / "notes.jpg").write_text("not a photo")
    return folder


def _workflow(lib: Path, folder: Path) -> None:
    """Import and group; name the first photo's group, rename, undo the rename; delete a photo,
    import and group again. Each step is skipped when already done, so a rerun carries on."""
    with open_library(lib) as library:
        import_folders(library, [folder], pipeline=shared_pipeline(), settings=SETTINGS)
        regroup(library)
        with library.session() as s:
            kinds = {op.kind: op for op in s.scalars(select(Operation))}
        if "name_cluster" not in kinds:
            with library.session() as s:
                face = s.scalars(select(Face.id).join(Photo).where(local_path(s) == str(folder / "a0.jpg"))).one()
                name_cluster(s, s.get(Assignment, face).cluster_id, "Ann")
        if "rename_person" not in kinds:
            with library.session() as s:
                rename_person(s, s.scalars(select(Person.id)).one(), "Anna")
        with library.session() as s:
            rename = s.scalars(select(Operation).where(Operation.kind == "rename_person")).one()
            if not rename.undone:
                undo_last(s)
        (folder / "a5.jpg").unlink(missing_ok=True)
        import_folders(library, [folder], pipeline=shared_pipeline(), settings=SETTINGS)
        regroup(library)


def _state(lib: Path, folder: Path) -> dict:
    """The library's content, by file and box rather than by row id."""
    check_consistent(lib)
    with open_library(lib, read_only=True) as library, library.session() as s:
        local = roots_of(s).local
        paths = {p.id: str(Path(local(p.root_id, p.path)).relative_to(folder)) for p in s.scalars(select(Photo))}
        photos = sorted((paths[p.id], p.status, p.face_count, p.content_hash, p.duplicate_of is None, p.error)
                        for p in s.scalars(select(Photo)))
        key = {f.id: (paths[f.photo_id], round(f.x), round(f.y), round(f.w)) for f in s.scalars(select(Face))}
        people = {p.id: p.name for p in s.scalars(select(Person))}
        named, groups = set(), {}
        for a in s.scalars(select(Assignment)):
            if a.person_id is not None:
                named.add((key[a.face_id], people[a.person_id], a.source))
            else:
                groups.setdefault(a.cluster_id, set()).add(key[a.face_id])
        ops = [(op.kind, op.undone) for op in s.scalars(select(Operation).order_by(Operation.id))]
    return {"photos": photos, "faces": sorted(key.values()), "named": sorted(named),
            "groups": sorted(sorted(g) for g in groups.values()), "people": sorted(people.values()), "ops": ops}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("clean")
    folder = _folder(root)
    _workflow(root / "lib.sqlite", folder)
    state = _state(root / "lib.sqlite", folder)
    assert state["people"] == ["Ann"] and state["ops"] == [("name_cluster", False), ("rename_person", True)]
    assert len(state["photos"]) == 9 and sum(p[1] == "missing" for p in state["photos"]) == 1
    return state


@pytest.mark.parametrize(("point", "nth"), FAULTS, ids=[f"{p}-{n}" for p, n in FAULTS])
def test_stopped_at_a_commit_point_then_rerun_equals_a_clean_run(tmp_path: Path, clean: dict, point: str,
                                                                nth: int) -> None:
    folder = _folder(tmp_path)
    lib = tmp_path / "lib.sqlite"
    faults.arm(point, nth)
    try:
        with pytest.raises(faults.FaultInjected):  # the point is reached: the test cannot pass vacuously
            _workflow(lib, folder)
    finally:
        faults.disarm()
    check_consistent(lib)
    _workflow(lib, folder)
    assert _state(lib, folder) == clean


@pytest.mark.parametrize("point", ["import.faces", "grouping.write", "undo.record"])
def test_process_dies_at_a_commit_point_then_rerun_equals_a_clean_run(tmp_path: Path, clean: dict,
                                                                     point: str) -> None:
    """The same, with the process ending at once (``os._exit``: no rollback, no cleanup, the lock
    and the open write transaction die with it) instead of an exception."""
    folder = _folder(tmp_path)
    lib = tmp_path / "lib.sqlite"
    here = Path(__file__).resolve().parent
    script = (f"import sys; sys.path[:0] = [{str(here)!r}]; from pathlib import Path; "
              f"from test_import_faults import _workflow; _workflow(Path({str(lib)!r}), Path({str(folder)!r}))")
    env = {**os.environ, "FACEORG_FAULT": f"{point}:2:exit" if point == "import.faces" else f"{point}:1:exit",
           "PYTHONPATH": str(here.parents[2])}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == faults.EXIT_CODE, run.stderr[-3000:]
    check_consistent(lib)
    _workflow(lib, folder)
    assert _state(lib, folder) == clean
