"""The folders that hold the library's photos, for browsing them as a tree.

:func:`photo_folders` lists every folder with photos directly in it (duplicates left out) and how
many; :func:`under` is the condition "the photo is in this folder or below it" (a range on the
unique path index, so a folder of a big library is found without a scan); :func:`folder_tree`
arranges folders as a tree whose roots are the topmost folders (a chain of folders without photos
of their own above them is folded into the root's name)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from core.library.roots import RootMap, local_path
from core.storage.schema import Photo

SEPARATORS = "/\\"


@dataclass(frozen=True)
class FolderCount:
    path: str  # without a trailing separator
    photos: int  # directly in it


@dataclass
class FolderNode:
    """One folder of the tree: ``photos`` directly in it, ``total`` in it and below it."""

    path: str
    name: str
    photos: int = 0
    total: int = 0
    children: list[FolderNode] = field(default_factory=list)


def _dirname_sql(path: Any) -> Any:
    """SQL: the path up to and including its last separator."""
    stripped = func.replace(func.replace(path, "/", ""), "\\", "")
    return func.rtrim(path, stripped)


def photo_folders(session: Session) -> list[FolderCount]:
    """Folders with photos directly in them (not counting duplicates), by path on this computer
    (a root not mapped here shows as ``<NAME>``, see :mod:`core.library.roots`)."""
    folder = _dirname_sql(local_path(session)).label("folder")
    rows = session.execute(select(folder, func.count()).where(Photo.duplicate_of.is_(None))
                           .group_by(folder).order_by(folder)).all()
    out = []
    for path, n in rows:
        trimmed = path.rstrip(SEPARATORS) or path[:1]  # "/" stays "/"
        out.append(FolderCount(trimmed, int(n)))
    return out


def _range(base: str, sep: str) -> Any:
    low, high = base + sep, base + chr(ord(sep) + 1)
    return and_(Photo.path >= low, Photo.path < high)


def under(folder: str, roots: RootMap) -> Any:
    """SQL condition: the photo (its path on this computer) is in ``folder`` or any folder below it.
    Ranges on the unique (root, path) index, so a folder of a big library is found without a scan."""
    base = folder.rstrip(SEPARATORS)
    sep = "\\" if "\\" in folder and "/" not in folder else "/"
    conditions = [and_(Photo.root_id.is_(None), _range(base, sep))]  # rows stored with absolute paths
    for root in roots.roots:
        prefix = root.prefix
        if base == prefix or (prefix + root.sep).startswith(base + sep):
            conditions.append(Photo.root_id == root.id)  # the whole root is in the folder
        elif base.startswith(prefix + root.sep) or base.startswith(prefix + "/"):
            rel = base[len(prefix) + 1:].replace(root.sep, "/")
            conditions.append(and_(Photo.root_id == root.id, _range(rel, "/")))
    return or_(*conditions)


def _cut(path: str) -> int:
    return max(path.rfind("/"), path.rfind("\\"))


def folder_tree(folders: list[FolderCount]) -> list[FolderNode]:
    """The folders as a tree (roots first by path); see the module doc. Each folder walks up to
    the first parent already made, so a big library's tens of thousands of folders are cheap."""
    nodes: dict[str, FolderNode] = {}
    tops: list[FolderNode] = []

    def node_for(path: str) -> FolderNode:
        node = nodes.get(path)
        if node is not None:
            return node
        cut = _cut(path)
        node = nodes[path] = FolderNode(path, path[cut + 1:] if cut >= 0 else path)
        parent = path[:cut] if cut > 0 else ""
        if parent:
            node_for(parent).children.append(node)
        else:  # "/x" or "C:": a top folder
            tops.append(node)
        return node

    for folder in folders:
        node_for(folder.path.rstrip(SEPARATORS) or folder.path).photos += folder.photos
    for node in sorted(nodes.values(), key=lambda n: -len(n.path)):  # children before their parents
        node.total += node.photos
        node.children.sort(key=lambda c: c.name.casefold())
        cut = _cut(node.path)
        parent = nodes.get(node.path[:cut]) if cut > 0 else None
        if parent is not None:
            parent.total += node.total
    out = []
    for top in sorted(tops, key=lambda n: n.path):  # fold the chain of photo-less single folders into the root
        node = top
        while node.photos == 0 and len(node.children) == 1:
            node = node.children[0]
        node.name = node.path
        out.append(node)
    return out
