"""Issue 13: one import of the hostile folder (tests/hostile/hostile_corpus.py): every case is
imported, or refused with its reason, or reported by the scan, and `faceorg status` says the same
in readable, escaped text and in JSON that gives the exact file names back."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hostile_corpus import build
from sqlalchemy import select

from core.cli.main import main
from core.embedding.embedder import EmbedderSettings
from core.library import queries
from core.library.importer import ImportSettings, import_folders
from core.library.roots import roots_of
from core.pipeline import FacePipeline, PipelineSettings
from core.safetext import printable
from core.storage.engine import open_library
from core.storage.schema import Photo


def test_hostile_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "hostile"
    cases = build(folder)
    lib = tmp_path / "lib.sqlite"
    pipeline = FacePipeline(PipelineSettings(embedder=EmbedderSettings(flip=False, batch_size=8, threads=1)))
    with open_library(lib) as library:
        report = import_folders(library, [folder], pipeline=pipeline,
                                settings=ImportSettings(workers=2, batch_size=8, commit_every=4))
        with library.session() as s:
            rows = {roots_of(s).local(p.root_id, p.path): p for p in s.scalars(select(Photo))}
            problems = dict(queries.scan_problems(s))
    reported = dict(report.errors)
    assert not report.cancelled
    for rel, case in cases.items():
        path = str(folder / rel)
        row = rows.get(path)
        if case.outcome == "imported":
            assert row is not None and row.status == "done" and row.duplicate_of is None, (rel, row and row.error)
            if case.faces is not None:
                assert row.face_count == case.faces, rel
        elif case.outcome == "error":
            assert row is not None and row.status == "error" and case.reason in (row.error or ""), (rel, row)
            assert case.reason in reported[path]
        elif case.outcome == "scan":
            assert row is None and case.reason in reported[path] and problems[path] == reported[path], rel
        else:
            assert row is None and path not in reported, rel
            assert not any(p.startswith(path + os.sep) for p in rows), rel  # the loop was not walked
    expected_problems = {str(folder / r) for r, c in cases.items() if c.outcome in ("error", "scan")}
    assert set(reported) == expected_problems
    assert len(rows) == sum(c.outcome in ("imported", "error") for c in cases.values())

    # status: the same problems, escaped for the terminal, exact in JSON
    assert main(["--library", str(lib), "status"]) == 0
    text = capsys.readouterr().out
    assert "\x1b" not in text and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)
    for path in expected_problems:
        assert printable(path) in text or len(expected_problems) > 20
    assert "bad_" not in text or "\\xff" in text
    assert main(["--library", str(lib), "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert {e["path"] for e in status["errors"]} == expected_problems  # surrogates round-trip
    assert status["done"] == sum(c.outcome == "imported" for c in cases.values())
