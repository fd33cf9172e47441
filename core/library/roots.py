"""Library roots: photo paths relative to named folders, so that computers which mount the
photos at different places (``/Volumes/Photos``, ``P:\\``, ``/mnt/nas/photos``) share one library.

A photo's file is ``(Photo.root_id, Photo.path)``: a :class:`~core.storage.schema.LibraryRoot`
and the path below it, with "/" separators. An import makes a root for each folder it is given
that no root holds yet (named after the folder). Where a root is on *this* computer is, in order:

1. its mapping here (``faceorg roots map NAME FOLDER``, the app's Settings: :mod:`core.library.root_mounts`);
2. the folder recorded in the library when the root was made, if that folder exists here
   (the computer that imported it, or one that mounts the share at the same place);
3. nowhere: the root is **unmapped**. Its photos read as ``<NAME>/path`` (never a real file),
   so they are never found, never re-imported and never marked missing; ``faceorg status``
   and the app say ``root 'NAME' is not mapped on this computer: faceorg roots map NAME /path``.

Code that reads photo files takes their local path from :func:`local_path` (an SQL expression,
so that queries stay one SELECT) or :meth:`RootMap.local`; code that writes a path stores
:func:`stored_values`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import case, func, insert, literal, select, type_coerce
from sqlalchemy.orm import Session

from core.library import root_mounts
from core.storage.fspath import FsPath
from core.storage.schema import LibraryMeta, LibraryRoot, Photo

LIBRARY_ID_KEY = "library_id"
_SESSION_KEY = "faceorg.roots"
SEPARATORS = "/\\"

How = Literal["mapped", "recorded", "unmapped"]


@dataclass(frozen=True)
class Root:
    id: int
    name: str
    recorded: str | None  # the folder stored in the library
    mount: str | None  # the folder on this computer, None when unmapped
    how: How

    @property
    def prefix(self) -> str:
        """What a photo's relative path is appended to (after a separator)."""
        return self.mount.rstrip(SEPARATORS) if self.mount is not None else f"<{self.name}>"

    @property
    def sep(self) -> str:
        return os.sep if self.mount is not None else "/"

    def unmapped_message(self) -> str:
        return f"root '{self.name}' is not mapped on this computer: faceorg roots map {quote(self.name)} /path"


def quote(name: str) -> str:
    return name if name and all(c.isalnum() or c in "-_." for c in name) else "'" + name.replace("'", "'\\''") + "'"


@dataclass(frozen=True)
class RootMap:
    """The library's roots and where each is on this computer."""

    library_id: str | None
    roots: tuple[Root, ...] = ()
    _by_id: dict[int, Root] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({r.id: r for r in self.roots})

    def get(self, root_id: int | None) -> Root | None:
        return None if root_id is None else self._by_id.get(root_id)

    def by_name(self, name: str) -> Root | None:
        wanted = name.casefold()
        return next((r for r in self.roots if r.name.casefold() == wanted), None)

    @property
    def unmapped(self) -> list[Root]:
        return [r for r in self.roots if r.mount is None]

    def local(self, root_id: int | None, path: str) -> str:
        """The path on this computer of the photo stored as ``(root_id, path)``."""
        root = self.get(root_id)
        if root is None:
            return path
        return root.prefix + root.sep + (path.replace("/", os.sep) if root.mount is not None else path)

    def stored(self, path: str) -> tuple[int, str] | None:
        """``(root id, relative path)`` for the local absolute ``path``: the mapped root nearest
        above it; None when no root holds it."""
        best: Root | None = None
        for root in self.roots:
            if root.mount is not None and _inside(path, root.prefix) and \
                    (best is None or len(root.prefix) > len(best.prefix)):
                best = root
        if best is None:
            return None
        rel = path[len(best.prefix):].lstrip(SEPARATORS)
        return best.id, rel.replace(os.sep, "/")


def _inside(path: str, prefix: str) -> bool:
    """``path`` is the folder ``prefix`` (no trailing separator) or below it."""
    return path == prefix or path.startswith(prefix + os.sep) or path.startswith(prefix + "/") or \
        (prefix == "" and path.startswith(("/", "\\")))


def library_id(session: Session) -> str | None:
    meta = session.get(LibraryMeta, LIBRARY_ID_KEY)
    return str(meta.value) if meta is not None and meta.value else None


def load_roots(session: Session) -> RootMap:
    """The roots, read now (see :func:`roots_of` for the cached form)."""
    lib_id = library_id(session)
    mounts = root_mounts.mounts(lib_id)
    roots = []
    for root_id, name, recorded in session.execute(select(LibraryRoot.id, LibraryRoot.name, LibraryRoot.path)
                                                   .order_by(LibraryRoot.id)):
        mount = mounts.get(name)
        how: How = "mapped"
        if mount is None:
            how = "recorded" if recorded and os.path.isdir(recorded) else "unmapped"
            mount = recorded if how == "recorded" else None
        roots.append(Root(root_id, name, recorded, mount, how))
    return RootMap(lib_id, tuple(roots))


def roots_of(session: Session) -> RootMap:
    """The roots as this session sees them (read once per session)."""
    cached = session.info.get(_SESSION_KEY)
    if not isinstance(cached, RootMap):
        cached = session.info[_SESSION_KEY] = load_roots(session)
    return cached


def forget(session: Session) -> None:
    session.info.pop(_SESSION_KEY, None)


def local_path(session: Session) -> Any:
    """SQL: the photo's path on this computer (typed as a path; label it to select it)."""
    roots = roots_of(session)
    if not roots.roots:
        return Photo.path
    rel = Photo.path if os.sep == "/" else func.replace(Photo.path, "/", os.sep)
    whens = [(Photo.root_id == r.id, literal(r.prefix + r.sep, FsPath) + (rel if r.mount is not None else Photo.path))
             for r in roots.roots]
    return type_coerce(case(*whens, else_=Photo.path), FsPath)


def stored_values(session: Session, path: str) -> dict[str, Any]:
    """``{"root_id", "path"}`` to store for the local absolute ``path``; a path no root holds
    gets a new root, its folder."""
    found = roots_of(session).stored(path)
    if found is None:
        ensure_roots(session, [os.path.dirname(path) or path])
        found = roots_of(session).stored(path)
    if found is None:  # not an absolute path: stored as it is
        return {"root_id": None, "path": path}
    return {"root_id": found[0], "path": found[1]}


def ensure_roots(session: Session, folders: list[str]) -> list[str]:
    """Make a root for each of ``folders`` (absolute, resolved) that no mapped root holds yet,
    named after the folder; returns the new roots' names. Call inside a write transaction."""
    made: list[str] = []
    for folder in folders:
        if not os.path.isabs(folder) or not os.path.exists(folder) or roots_of(session).stored(folder) is not None:
            continue
        if os.path.isfile(folder):
            folder = os.path.dirname(folder)
            if roots_of(session).stored(folder) is not None:
                continue
        taken = {n.casefold() for n in session.scalars(select(LibraryRoot.name))}
        base = os.path.basename(folder.rstrip(SEPARATORS)).rstrip(":") or folder.strip(SEPARATORS + ":") or "root"
        name, n = base, 1
        while name.casefold() in taken:
            n += 1
            name = f"{base} {n}"
        session.execute(insert(LibraryRoot).values(name=name, path=folder))
        forget(session)
        made.append(name)
    return made


@dataclass(frozen=True)
class RootStatus:
    """A root as ``faceorg roots list`` and the app's Settings show it."""

    name: str
    photos: int  # rows, duplicates included
    here: str | None  # the folder on this computer, None when unmapped
    how: How
    recorded: str | None

    @property
    def found(self) -> bool:
        return self.here is not None and os.path.isdir(self.here)


def root_statuses(session: Session) -> list[RootStatus]:
    counts = dict(session.execute(select(Photo.root_id, func.count()).group_by(Photo.root_id)).all())
    return [RootStatus(r.name, int(counts.get(r.id, 0)), r.mount, r.how, r.recorded) for r in roots_of(session).roots]


def unmapped_messages(session: Session) -> list[str]:
    """One line per root that is not mapped on this computer (and holds photos)."""
    return [r.unmapped_message() for r in roots_of(session).unmapped
            if session.scalar(select(Photo.id).where(Photo.root_id == r.id).limit(1)) is not None]


class RootError(ValueError):
    """A root that does not exist, or a folder that cannot be its mount (one-line message)."""


def map_root(session: Session, name: str, folder: str | None, *, label: str) -> Root:
    """Map root ``name`` to ``folder`` on this computer (None: forget the mapping, back to the
    recorded folder); the library is not written. Returns the root as it is mapped now."""
    root = roots_of(session).by_name(name)
    if root is None:
        known = ", ".join(repr(r.name) for r in roots_of(session).roots) or "none"
        raise RootError(f"no root named {name!r} in this library (roots: {known})")
    lib_id = roots_of(session).library_id
    if lib_id is None:
        raise RootError("this library has no identity yet: open it once for writing to upgrade it")
    if folder is not None:
        from core.library.scanner import resolve_root

        resolved = str(resolve_root(folder))
        if not os.path.isdir(resolved):
            raise RootError(f"not a folder: {folder}")
        folder = resolved
    root_mounts.set_mount(lib_id, root.name, folder, label=label)
    forget(session)
    mapped = roots_of(session).by_name(root.name)
    assert mapped is not None
    return mapped
