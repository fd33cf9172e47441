"""File > Write Names to Photos and the "Write names to photos" setting: the library's names land in
an XMP sidecar next to the photo (read back with exiv2), the photo itself is untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from gui_support import WAIT_MS, seed
from PIL import Image
from skimage import data

from app.views.names_progress import summary
from core.metadata.xmp_read import parse, read_sidecar
from core.storage.schema import Face, Photo


def _named_photo(lib_path: Path, tmp_path: Path) -> Path:
    photo = tmp_path / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(photo, quality=92)

    def make(session: Any) -> None:
        from core.library.people import assign_faces

        row = Photo(path=str(photo), size=photo.stat().st_size, mtime=photo.stat().st_mtime, content_hash="x",
                    width=512, height=512, status="done", face_count=1)
        session.add(row)
        session.flush()
        face = Face(photo_id=row.id, x=170.0, y=50.0, w=90.0, h=110.0, score=0.99)
        session.add(face)
        session.flush()
        assign_faces(session, [face.id], "Eileen Collins")

    seed(lib_path, make)
    return photo


def _names_in(sidecar: Path) -> list[tuple[str, tuple[float, ...]]]:
    tags = parse(read_sidecar(sidecar), (512, 512))
    return [(r.name, tuple(round(v * 512) for v in r.box)) for r in tags.regions if r.convention == "mwg"]


def test_write_names_from_the_file_menu(qtbot: Any, make_window: Any, lib_path: Path, tmp_path: Path) -> None:
    photo = _named_photo(lib_path, tmp_path)
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    window = make_window()
    with qtbot.waitSignal(window.ctx.names_writer.finished, timeout=WAIT_MS) as blocker:
        window.actions_by_name["write_names"].trigger()
    report = blocker.args[0]
    assert (report.written, report.sidecars, report.errors) == (1, 1, [])
    assert summary(report) == "Names written: 1 file updated, 0 already up to date"
    assert _names_in(photo.with_name("astronaut.jpg.xmp")) == [("Eileen Collins", (170, 50, 90, 110))]
    assert hashlib.sha256(photo.read_bytes()).hexdigest() == digest
    qtbot.waitUntil(lambda: "Names written" in window.statusBar().currentMessage(), timeout=WAIT_MS)


def test_setting_writes_names_after_changes(qtbot: Any, make_window: Any, lib_path: Path, tmp_path: Path,
                                            settings: Any) -> None:
    photo = _named_photo(lib_path, tmp_path)
    sidecar = photo.with_name("astronaut.jpg.xmp")
    assert settings.write_names is False  # off by default
    settings.write_names = True
    window = make_window()
    with qtbot.waitSignal(window.ctx.names_writer.finished, timeout=WAIT_MS + 5000):
        window.ctx.store.changed.emit()  # what every edit and import does
    assert _names_in(sidecar) == [("Eileen Collins", (170, 50, 90, 110))]


def test_import_report_lists_metadata_problems(qtbot: Any, make_window: Any) -> None:
    from app.importing import ImportOutcome
    from core.library.results import ImportReport

    window = make_window()
    report = ImportReport(errors=[("/p/bad.jpg", "not an image")],
                          metadata_skipped=[("/p/a.jpg", 'region "Ann": coordinates outside 0..1')],
                          metadata_problems=[("/p/b.jpg", "b.jpg.xmp: sidecar is not XML")])
    window.ctx.imports.last = ImportOutcome(report, errors=list(report.errors))
    window.show_report()
    model = window.report_dialog.model
    qtbot.waitUntil(lambda: window.report_dialog.summary.text() != "Loading…", timeout=WAIT_MS)
    rows = [(model.index(r, 0).data(), model.index(r, 1).data()) for r in range(model.rowCount())]
    assert sorted(rows) == [("/p/a.jpg", 'metadata: region "Ann": coordinates outside 0..1'),
                            ("/p/b.jpg", "metadata: b.jpg.xmp: sidecar is not XML"), ("/p/bad.jpg", "not an image")]
