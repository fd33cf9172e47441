"""The importer's view of the library (every photo row by path, id and content) and the
plan of one import: which scanned files need work, which are unchanged or back again.

Only the main thread touches these objects; worker threads get plain values.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from core.imaging.loader import is_image_file
from core.library.roots import local_path
from core.library.scanner import ScanError, ScanFile, scan
from core.progress import CancelToken, ProgressFn, report
from core.storage.schema import Photo
from core.storage.states import READ_STATUSES, PhotoStatus

SCAN_REPORT_EVERY = 500  # files


@dataclass(eq=False, slots=True)
class KnownPhoto:
    """A photo row as the importer tracks it (``id`` is None until a new row is written)."""

    id: int | None
    path: str
    size: int
    mtime: float
    status: str
    content_hash: str | None
    duplicate_of: int | None = None

    def same_file(self, file: ScanFile) -> bool:
        return self.size == file.size and self.mtime == file.mtime

    def same_content(self, digest: str | None) -> bool:
        """Content already imported here (a done or missing row with this hash)."""
        return digest is not None and self.content_hash == digest and self.status in READ_STATUSES


class LibraryIndex:
    """Every photo row by path, and the originals (not duplicates, done or missing) by hash."""

    def __init__(self, rows: Iterable[KnownPhoto]) -> None:
        self.by_path: dict[str, KnownPhoto] = {}
        self.by_hash: dict[str, KnownPhoto] = {}
        for row in rows:
            self.by_path[row.path] = row
            self._add_hash(row)

    @staticmethod
    def statement(session: Session) -> Select[int, str, int, float, str, str | None, int | None]:
        """The rows the index holds, in id order, as :class:`KnownPhoto` fields (also what
        :mod:`core.library.index_cache` compares). Paths are this computer's (roots mapped)."""
        return select(Photo.id, local_path(session).label("path"), Photo.size, Photo.mtime, Photo.status,
                      Photo.content_hash, Photo.duplicate_of).order_by(Photo.id)

    @classmethod
    def read(cls, session: Session, *where: ColumnElement[bool]) -> list[KnownPhoto]:
        """The rows (those matching ``where``), in id order."""
        return [KnownPhoto(*row) for row in session.execute(cls.statement(session).where(*where))]

    @classmethod
    def load(cls, session: Session) -> LibraryIndex:
        return cls(cls.read(session))

    def _add_hash(self, row: KnownPhoto) -> None:
        if row.duplicate_of is None and row.status in READ_STATUSES and row.content_hash:
            self.by_hash.setdefault(row.content_hash, row)

    def add(self, row: KnownPhoto) -> None:
        """A row written (or about to be written) by this import."""
        self.by_path[row.path] = row
        self._add_hash(row)

    def move(self, row: KnownPhoto, path: str, size: int, mtime: float) -> None:
        """``row`` now lives at ``path`` (a moved file, or a swap with its duplicate)."""
        if self.by_path.get(row.path) is row:
            del self.by_path[row.path]
        row.path, row.size, row.mtime = path, size, mtime
        self.by_path[path] = row

    def rehash(self, row: KnownPhoto, digest: str | None) -> None:
        """``row`` got new content (or became an original)."""
        if row.content_hash and self.by_hash.get(row.content_hash) is row:
            del self.by_hash[row.content_hash]
        row.content_hash = digest
        self._add_hash(row)

    def original(self, digest: str | None) -> KnownPhoto | None:
        return self.by_hash.get(digest) if digest else None

    def duplicates_of(self) -> dict[int, list[KnownPhoto]]:
        out: dict[int, list[KnownPhoto]] = {}
        for row in self.by_path.values():
            if row.duplicate_of is not None:
                out.setdefault(row.duplicate_of, []).append(row)
        return out


@dataclass
class ImportPlan:
    """The result of scanning: files to read (new paths first, then known paths with new
    content, so that a photo moved away is found at its new path before another file takes
    its old name), rows to restore as they are, what was seen."""

    work: list[tuple[ScanFile, KnownPhoto | None]] = field(default_factory=list)
    restore: list[KnownPhoto] = field(default_factory=list)
    unchanged: int = 0
    ignored: int = 0
    seen: set[str] = field(default_factory=set)
    errors: list[ScanError] = field(default_factory=list)

    @property
    def files_total(self) -> int:
        return self.unchanged + len(self.restore) + len(self.work)


def plan_import(roots: Iterable[str | os.PathLike[str]], index: LibraryIndex, *,
                progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> ImportPlan:
    """Scan ``roots`` and sort what is found. Unchanged files (same path, size and mtime as a
    done row) are not opened; unknown files without an image extension are kept only when
    their content is an image. Error and pending rows are always read again."""
    plan = ImportPlan()
    changed: list[tuple[ScanFile, KnownPhoto | None]] = []
    for item in scan(roots, cancel=cancel):
        if isinstance(item, ScanError):
            plan.errors.append(item)
            continue
        if item.path in plan.seen:
            continue
        plan.seen.add(item.path)
        known = index.by_path.get(item.path)
        if known is not None and known.same_file(item) and known.status in READ_STATUSES:
            if known.status == PhotoStatus.MISSING:
                plan.restore.append(known)
            else:
                plan.unchanged += 1
        elif known is not None:
            changed.append((item, known))
        elif item.image_ext or is_image_file(item.path):
            plan.work.append((item, None))
        else:
            plan.ignored += 1
        if len(plan.seen) % SCAN_REPORT_EVERY == 0:
            report(progress, plan.files_total + len(changed), None, "scanning")
    plan.work += changed
    return plan


def under(path: str, roots: Iterable[str]) -> bool:
    """True when ``path`` is one of ``roots`` or lies below one."""
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def vanished(index: LibraryIndex, plan: ImportPlan, roots: list[str]) -> list[KnownPhoto]:
    """Rows under ``roots`` whose file the scan did not see (and not below an unreadable folder),
    not already missing."""
    blind = [e.path for e in plan.errors if e.folder]
    below = tuple(r.rstrip(os.sep) + os.sep for r in roots)  # str.startswith first: 100,000 rows in ~10 ms
    return [row for row in index.by_path.values()
            if (row.path.startswith(below) or row.path in roots) and row.status != PhotoStatus.MISSING
            and row.path not in plan.seen and not under(row.path, blind)]
