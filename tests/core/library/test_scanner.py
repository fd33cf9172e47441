"""The recursive scan: order, junk, links, loops, unreadable folders. No images decoded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.imaging.formats import has_image_extension
from core.library.scanner import ScanError, ScanFile, is_skipped_name, scan
from core.progress import Cancelled, CancelToken


def _files(root: Path) -> list[ScanFile]:
    return [i for i in scan([root]) if isinstance(i, ScanFile)]


def _rel(items: list[ScanFile], root: Path) -> list[str]:
    return [os.path.relpath(i.path, root.resolve()) for i in items]


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_recursive_sorted_with_stat_and_extension_flag(tmp_path: Path) -> None:
    _touch(tmp_path / "b.jpg", b"12345")
    _touch(tmp_path / "a" / "z.HEIC")
    _touch(tmp_path / "a" / "deep" / "x.dat")
    _touch(tmp_path / "c.txt")
    items = _files(tmp_path)
    assert _rel(items, tmp_path) == ["b.jpg", "c.txt", "a/z.HEIC", "a/deep/x.dat"]  # files, then folders
    by_name = {Path(i.path).name: i for i in items}
    assert by_name["b.jpg"].size == 5
    assert by_name["b.jpg"].mtime == (tmp_path / "b.jpg").stat().st_mtime
    assert by_name["z.HEIC"].image_ext and not by_name["x.dat"].image_ext
    assert all(Path(i.path).is_absolute() for i in items)


def test_hidden_and_os_junk_skipped(tmp_path: Path) -> None:
    _touch(tmp_path / "keep.jpg")
    for junk in (".DS_Store", "Thumbs.db", "desktop.ini", "._keep.jpg", ".hidden/a.jpg",
                 "@eaDir/keep.jpg/SYNOFILE_THUMB_M.jpg", "$RECYCLE.BIN/old.jpg", "sub/.git/x.png"):
        _touch(tmp_path / junk)
    assert _rel(_files(tmp_path), tmp_path) == ["keep.jpg"]
    assert is_skipped_name(".DS_Store") and is_skipped_name("THUMBS.DB") and not is_skipped_name("a.jpg")


def test_symlinks_followed_and_loops_end(tmp_path: Path) -> None:
    real = _touch(tmp_path / "photos" / "a.jpg")
    (tmp_path / "photos" / "link.jpg").symlink_to(real)
    (tmp_path / "photos" / "loop").symlink_to(tmp_path / "photos", target_is_directory=True)
    (tmp_path / "photos" / "sub").mkdir()
    (tmp_path / "photos" / "sub" / "up").symlink_to(tmp_path, target_is_directory=True)
    outside = _touch(tmp_path / "elsewhere" / "b.png")
    (tmp_path / "photos" / "more").symlink_to(outside.parent, target_is_directory=True)
    (tmp_path / "photos" / "dangling.jpg").symlink_to(tmp_path / "nothing.jpg")
    items = list(scan([tmp_path / "photos"]))
    files = sorted(_rel([i for i in items if isinstance(i, ScanFile)], tmp_path / "photos"))
    # each folder once: "up" leads to tmp_path, which holds photos/ (seen) and elsewhere/
    assert "a.jpg" in files and "link.jpg" in files
    assert sum(f.endswith("b.png") for f in files) == 1
    assert len(files) == 3
    errors = [i for i in items if isinstance(i, ScanError)]
    assert [(Path(e.path).name, e.reason, e.folder) for e in errors] == [("dangling.jpg", "broken link", False)]


def test_missing_root_and_file_root(tmp_path: Path) -> None:
    photo = _touch(tmp_path / "one.jpeg")
    items = list(scan([tmp_path / "nope", photo]))
    assert isinstance(items[0], ScanError) and items[0].folder and items[0].reason == "not found"
    assert isinstance(items[1], ScanFile) and items[1].path == str(photo.resolve())


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_unreadable_folder_is_an_error_and_scan_goes_on(tmp_path: Path) -> None:
    _touch(tmp_path / "a" / "x.jpg")
    _touch(tmp_path / "b" / "y.jpg")
    (tmp_path / "a").chmod(0)
    try:
        items = list(scan([tmp_path]))
    finally:
        (tmp_path / "a").chmod(0o755)
    errors = [i for i in items if isinstance(i, ScanError)]
    assert [(Path(e.path).name, e.reason, e.folder) for e in errors] == [("a", "permission denied", True)]
    assert _rel([i for i in items if isinstance(i, ScanFile)], tmp_path) == ["b/y.jpg"]


def test_cancel(tmp_path: Path) -> None:
    for i in range(5):
        _touch(tmp_path / f"d{i}" / "x.jpg")
    token = CancelToken()
    it = scan([tmp_path], cancel=token)
    next(it)
    token.cancel()
    with pytest.raises(Cancelled):
        list(it)


@pytest.mark.parametrize(("name", "expected"), [
    ("a.jpg", True), ("a.JPEG", True), ("b.heic", True), ("c.Png", True), ("x.tiff", True),
    ("a.jpg.txt", False), ("jpg", False), ("a.raw", False)])
def test_image_extensions(name: str, expected: bool) -> None:
    assert has_image_extension(name) is expected
