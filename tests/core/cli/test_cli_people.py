"""faceorg cluster / people / groups / show / name / rename / merge / reject / assign / hide / ignore /
review / undo / redo, through main([...]) on a library of synthetic embeddings."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from core.cli.main import main
from core.storage.embeddings import save_embeddings
from core.storage.engine import open_library
from core.storage.schema import Assignment, Person

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "library"))
from test_grouping import MODEL, blend, centres, pin_thresholds, samples  # noqa: E402

GROUPING_KEYS = {"library", "recognized", "suggested", "clustered", "clusters_total", "clusters_new",
                 "clusters_kept", "seconds", "strictness", "threshold", "model_id"}


class Tty(io.StringIO):
    """Typed answers on a terminal."""

    def isatty(self) -> bool:
        return True


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    """The JSON object printed last (earlier commands' text output is skipped)."""
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.fixture
def lib(tmp_path: Path, factory) -> tuple[str, dict[str, list[int]]]:
    """A library file: 3 people x 4 faces (one photo each)."""
    path = tmp_path / "lib.sqlite"
    c = centres(4, seed=5)
    faces: dict[str, list[int]] = {}
    with open_library(path) as library, library.session() as s:
        pin_thresholds(s)
        for i, key in enumerate("abc"):
            ids = factory.faces(s, 4)
            save_embeddings(s, MODEL, zip(ids, samples(c[i], 4, seed=i), strict=True))
            faces[key] = ids
    return str(path), faces


def add_borderline(path: str, factory) -> int:
    """A face between person "a" and a stranger: suggested for "a" once "a" has a name."""
    c = centres(4, seed=5)
    with open_library(path) as library, library.session() as s:
        (face,) = factory.faces(s, 1)
        save_embeddings(s, MODEL, [(face, blend(c[0], c[3], 0.58))])
    return face


def run(lib: str, *args: str) -> int:
    return main(["--library", lib, *args])


def _cluster_of(lib: str, face: int) -> int:
    with open_library(lib) as library, library.session() as s:
        return s.get(Assignment, face).cluster_id


def test_cluster_groups_and_people(lib, capsys):
    path, faces = lib
    assert run(path, "cluster", "--json") == 0
    out = _json(capsys)
    assert set(out) == GROUPING_KEYS
    assert (out["clusters_total"], out["clusters_new"], out["strictness"], out["model_id"]) == (3, 3, "normal", MODEL)
    assert run(path, "cluster", "--strictness", "strict") == 0
    assert "Grouped (strict)" in capsys.readouterr().out
    assert run(path, "groups", "--json") == 0
    groups = _json(capsys)["groups"]
    assert [g["faces"] for g in groups] == [4, 4, 4]
    assert set(groups[0]) == {"id", "label", "faces", "cover_face_id"} and groups[0]["label"] == f"c{groups[0]['id']}"
    assert run(path, "people", "--json") == 0
    assert _json(capsys) == {"people": []}
    assert run(path, "people", "--all", "--json") == 0
    assert len(_json(capsys)["groups"]) == 3
    assert run(path, "people") == 0
    assert "No named people yet" in capsys.readouterr().out


def test_name_show_rename_merge_hide_and_undo(lib, capsys):
    path, faces = lib
    run(path, "cluster")
    ca, cb, cc = (_cluster_of(path, faces[k][0]) for k in "abc")
    capsys.readouterr()
    assert run(path, "name", f"c{ca}", "Ann", "Lee") == 0
    assert 'Named group' in capsys.readouterr().out
    assert run(path, "show", "ann lee", "--json") == 0
    shown = _json(capsys)
    assert (shown["kind"], shown["name"], len(shown["faces"])) == ("person", "Ann Lee", 4)
    assert set(shown["faces"][0]) == {"id", "photo_id", "photo", "box", "source", "confidence"}
    assert shown["faces"][0]["photo"].startswith("/photos/")
    assert run(path, "show", str(cb), "--json") == 0
    assert _json(capsys)["kind"] == "cluster"
    assert run(path, "show", f"c{cc}") == 0
    assert "4 face(s)" in capsys.readouterr().out

    assert run(path, "name", f"c{cb}", "ANN LEE") == 1  # exists, no terminal, no --yes
    assert "--yes" in capsys.readouterr().err
    assert run(path, "name", f"c{cb}", "Bob") == 0
    assert run(path, "rename", "bob", "Robert") == 0
    assert run(path, "rename", "Robert", "ann lee") == 1  # taken
    assert run(path, "merge", "Robert", "Ann Lee") == 0
    assert run(path, "people", "--json") == 0
    assert [(p["name"], p["faces"]) for p in _json(capsys)["people"]] == [("Ann Lee", 8)]
    assert run(path, "undo") == 0
    assert "Undone: Merge" in capsys.readouterr().out
    assert run(path, "redo") == 0
    assert "Redone" in capsys.readouterr().out
    assert run(path, "undo") == 0
    assert run(path, "hide", "Robert") == 0
    assert run(path, "people", "--json") == 0
    assert [p["name"] for p in _json(capsys)["people"]] == ["Ann Lee"]
    assert run(path, "people", "--all", "--json") == 0
    assert {p["name"]: p["hidden"] for p in _json(capsys)["people"]} == {"Ann Lee": False, "Robert": True}
    assert run(path, "hide", "Robert", "--show") == 0
    assert run(path, "show", "Nobody") == 1
    assert run(path, "name", "c9999", "X") == 1


def test_name_existing_asks_on_a_terminal(lib, capsys, monkeypatch):
    path, faces = lib
    run(path, "cluster")
    ca, cb = _cluster_of(path, faces["a"][0]), _cluster_of(path, faces["b"][0])
    run(path, "name", str(ca), "Ann")
    monkeypatch.setattr(sys, "stdin", Tty("n\n"))
    assert run(path, "name", str(cb), "ann") == 1
    monkeypatch.setattr(sys, "stdin", Tty("y\n"))
    assert run(path, "name", str(cb), "ann") == 0
    assert "Added group" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    cc = _cluster_of(path, faces["c"][0])
    assert run(path, "name", str(cc), "Ann", "--yes") == 0
    assert run(path, "people", "--json") == 0
    assert _json(capsys)["people"][-1]["faces"] == 12


def test_assign_reject_ignore(lib, capsys):
    path, faces = lib
    run(path, "cluster")
    run(path, "name", str(_cluster_of(path, faces["a"][0])), "Ann")
    stranger = faces["c"][0]
    assert run(path, "assign", str(stranger), "Zoe") == 0
    assert "(new person)" in capsys.readouterr().out
    assert run(path, "reject", str(stranger)) == 0
    with open_library(path) as library, library.session() as s:
        assert s.get(Assignment, stranger) is None
    assert run(path, "reject", str(stranger)) == 1  # belongs to nobody now
    assert "--from" in capsys.readouterr().err
    assert run(path, "reject", str(faces["a"][1]), "--from", "ann") == 0
    assert run(path, "ignore", str(faces["a"][2]), str(faces["a"][3])) == 0
    assert run(path, "show", "Ann", "--json") == 0
    assert len(_json(capsys)["faces"]) == 1
    assert run(path, "ignore", "--restore", str(faces["a"][2])) == 0
    assert run(path, "ignore", "999999") == 1
    assert run(path, "undo") == 0 and run(path, "undo") == 0
    assert run(path, "show", "Ann", "--json") == 0
    assert len(_json(capsys)["faces"]) == 3


def test_review_list_accept_reject_and_interactive(lib, capsys, monkeypatch, factory):
    path, faces = lib
    run(path, "cluster")
    run(path, "name", str(_cluster_of(path, faces["a"][0])), "Ann")
    face = add_borderline(path, factory)
    assert run(path, "cluster", "--json") == 0
    assert _json(capsys)["suggested"] == 1
    assert run(path, "review", "--json") == 0
    (item,) = _json(capsys)["suggestions"]
    assert set(item) == {"face_id", "person_id", "person", "distance", "photo_id", "photo"}
    assert (item["face_id"], item["person"]) == (face, "Ann")
    assert run(path, "review") == 0
    assert "is Ann?" in capsys.readouterr().out
    assert run(path, "review", "--accept", str(face)) == 0
    assert run(path, "review", "--accept", str(face)) == 1  # nothing left to answer
    assert run(path, "undo") == 0
    assert run(path, "review", "--reject", str(face)) == 0
    with open_library(path) as library, library.session() as s:
        assert s.get(Assignment, face) is None
    assert run(path, "undo") == 0
    monkeypatch.setattr(sys, "stdin", Tty("maybe\ny\n"))
    assert run(path, "review") == 0
    assert "1 yes, 0 no, 0 skipped" in capsys.readouterr().out
    with open_library(path) as library, library.session() as s:
        person = s.scalar(select(Person).where(Person.name == "Ann"))
        assert s.get(Assignment, face).person_id == person.id
    assert run(path, "review", "--accept", "1", "--reject", "2") == 1


def test_no_library_and_nothing_to_undo(tmp_path, capsys):
    missing = str(tmp_path / "none.sqlite")
    assert run(missing, "people") == 1
    assert "no library" in capsys.readouterr().err
    empty = str(tmp_path / "empty.sqlite")
    # nothing to undo or redo: nothing changed, exit 1 like every refusal (documented in --help)
    assert run(empty, "undo") == 1 and run(empty, "redo") == 1
    assert capsys.readouterr().err.splitlines() == ["faceorg: nothing to undo", "faceorg: nothing to redo"]
    assert run(empty, "cluster", "--json") == 0
    assert _json(capsys)["clusters_total"] == 0


def test_locked_library_exits_2(lib, capsys):
    path, _ = lib
    with open_library(path):
        assert run(path, "rename", "a", "b") == 2
    assert "faceorg:" in capsys.readouterr().err


def test_helpers_are_numpy_free_of_surprises():
    assert np.isclose(np.linalg.norm(centres(1)[0]), 1.0)


def _named_legacy(path: str, cluster: int, name: str) -> int:
    """A person named ``name`` the way an older version could store it (no refusal then)."""
    from sqlalchemy import update

    from core.storage.schema import Cluster

    with open_library(path) as library, library.session() as s:
        person = Person(name=name, name_key=name.casefold())
        s.add(person)
        s.flush()
        s.execute(update(Assignment).where(Assignment.cluster_id == cluster).values(
            cluster_id=None, person_id=person.id, source="user"))
        s.execute(update(Cluster).where(Cluster.id == cluster).values(active=False))
        return person.id


def test_names_cannot_shadow_labels(lib, capsys):
    """Issue 13: `name c19 c24` made `show c24` show the person; `name c26 p1` made `merge p1 p2`
    merge the person *named* p1. Label-like names are refused; labels always mean what they name."""
    path, faces = lib
    assert run(path, "cluster") == 0
    groups = sorted(_cluster_of(path, f[0]) for f in faces.values())
    capsys.readouterr()
    for bad in (f"c{groups[1]}", "p1", "42", "C7"):
        assert run(path, "name", f"c{groups[0]}", bad) == 1
        assert "looks like a group or person label" in capsys.readouterr().err
    # a name stored by an older version that looks like a label: the label still wins
    legacy = _named_legacy(path, groups[0], f"c{groups[1]}")
    assert run(path, "show", f"c{groups[1]}", "--json") == 0
    out = _json(capsys)
    assert (out["kind"], out["id"]) == ("cluster", groups[1])
    assert run(path, "name", f"c{groups[2]}", "Bob") == 0
    bob = run(path, "people", "--json") == 0 and next(p["id"] for p in _json(capsys)["people"] if p["name"] == "Bob")
    assert run(path, "rename", f"c{groups[1]}", f"p{bob}") == 1  # no person p<bob> as a *name* either
    assert run(path, "merge", f"p{legacy}", f"p{bob}") == 0  # ids, not names
    with open_library(path) as library, library.session() as s:
        assert s.get(Person, legacy) is None and s.get(Person, bob).name == "Bob"


def test_control_characters_refused_in_names_and_escaped_on_output(lib, capsys):
    """Issue 13: ANSI escapes in names reached the terminal raw."""
    path, faces = lib
    assert run(path, "cluster") == 0
    group = _cluster_of(path, faces["a"][0])
    capsys.readouterr()
    assert run(path, "name", f"c{group}", "Eve\x1b[31mRED") == 1
    assert "control characters" in capsys.readouterr().err
    legacy = _named_legacy(path, group, "Mal\x1b[2Jlory")
    assert run(path, "people") == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "Mal\\x1b[2Jlory" in out
    assert run(path, "show", f"p{legacy}") == 0
    assert "\x1b" not in capsys.readouterr().out


def test_reject_unknown_face_says_no_such_face(lib, capsys):
    path, _ = lib
    assert run(path, "reject", "999999") == 1
    assert capsys.readouterr().err.strip() == "faceorg: no such face: 999999 (faceorg show PERSON lists face ids)"
